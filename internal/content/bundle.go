package content

import (
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/sitefs"
)

// Bundle is a page kept as a folder: content/posts/<date>-<slug>/index.md
// and every file beside it, in subfolders too. The files are published
// under the page's URL, so a relative link in index.md (img/rack.png)
// finds its file from the page (/blog/<slug>/img/rack.png).
type Bundle struct {
	Dir string // the folder's name in the site, e.g. content/posts/2026-05-01-rack-tour
	// Files are the resources, slash-separated and relative to Dir,
	// sorted; index.md itself and hidden files and folders (.*) are not
	// among them.
	Files []string
}

// MediaDir is the folder of site-wide files, published at /media/.
const MediaDir = "content/media"

// bundleIndex is the page file of a bundle.
const bundleIndex = "index.md"

// hidden names are never published: editor droppings, .DS_Store, .git.
func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// listFiles lists the regular files under dir (a name of the site),
// relative to it and sorted, skipping hidden files and folders. An entry
// that package sitefs refuses (a symlink out of the site, a FIFO) is a
// problem of that entry: the build never publishes what it cannot read
// safely. A missing dir lists nothing.
func listFiles(files *sitefs.Site, dir string, probs *diag.List) ([]string, error) {
	var out []string
	var walk func(rel string) error
	walk = func(rel string) error {
		name := path.Join(dir, rel)
		entries, err := files.ReadDir(name)
		if p, ok := diag.As(err); ok {
			probs.Append(p)
			return nil
		}
		if err != nil {
			return err
		}
		for _, e := range entries {
			if hidden(e.Name()) {
				continue
			}
			child := path.Join(rel, e.Name())
			switch {
			case e.IsDir():
				// sitefs lists a symlink that would loop as a symlink, so
				// this recursion ends with the tree.
				if err := walk(child); err != nil {
					return err
				}
			case e.Type().IsRegular():
				out = append(out, child)
			default:
				// A symlink sitefs did not resolve, or a special file:
				// Stat says why it is refused.
				if _, err := files.Stat(path.Join(dir, child)); err != nil {
					addReadProblem(probs, files.Display(path.Join(dir, child)), err)
				}
			}
		}
		return nil
	}
	if _, err := files.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		addReadProblem(probs, files.Display(dir), err)
		return nil, nil
	}
	if err := walk("."); err != nil {
		return nil, err
	}
	return out, nil
}

// loadBundle lists a bundle's resources beside its index.md.
func loadBundle(files *sitefs.Site, dir string, probs *diag.List) (*Bundle, error) {
	all, err := listFiles(files, dir, probs)
	if err != nil {
		return nil, err
	}
	b := &Bundle{Dir: dir}
	for _, f := range all {
		if f != bundleIndex {
			b.Files = append(b.Files, f)
		}
	}
	return b, nil
}
