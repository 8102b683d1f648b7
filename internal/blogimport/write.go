package blogimport

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // the formats the build decodes
	_ "image/jpeg" // …
	_ "image/png"  // …
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/svgsafe"
	_ "golang.org/x/image/webp" // …
)

// ManifestName is the file, in the destination's content/, that records
// every file an import wrote with the SHA-256 of its bytes. A later
// import may replace a file only while it still has those bytes: one the
// user edited (or wrote) since is never overwritten. The loader skips
// hidden files, so it is never published.
const ManifestName = "content/.labfront-import.json"

type manifest struct {
	Version int `json:"version"`
	// Files maps a path relative to the destination to the hex SHA-256 of
	// the bytes the import wrote there.
	Files map[string]string `json:"files"`
}

// output is one file the import wants to exist with these bytes.
type output struct {
	path string // relative to the destination, slash-separated
	data []byte // nil for a copied file, read from src
	src  string // name in the source for a copied file
	post int    // index in Report.Posts, -1 for none
	// unused marks a bundle file the page does not name: carried because
	// the old theme may have shown it, left out when labfront cannot.
	unused bool
}

// write compares every output with what is on disk and the manifest,
// stages the new and changed ones in a hidden folder of content/, then
// moves them into place and rewrites the manifest. A post with a file
// the user edited since the last import (or wrote themselves) is skipped
// whole, so its index.md and pictures never disagree, and it is listed
// in the report with a hint; the other posts are imported. A failed
// import leaves the destination as it was.
func write(ctx context.Context, s *source, opt Options) (err error) {
	rep := s.rep
	root, err := openDest(opt.Dest, opt.DryRun)
	if err != nil {
		return err
	}
	defer root.Close()
	man, err := readManifest(root)
	if err != nil {
		return err
	}
	var outs []output
	for _, p := range s.posts {
		pr := len(rep.Posts)
		rep.Posts = append(rep.Posts, PostResult{Path: path.Join(p.outDir, "index.md"), From: s.display(p.src), Draft: p.meta.Draft})
		outs = append(outs, output{path: rep.Posts[pr].Path, data: p.text, post: pr})
		for _, name := range sortedKeys(p.files) {
			outs = append(outs, output{path: path.Join(p.outDir, name), src: p.files[name], post: pr, unused: !p.used[name]})
			rep.Files++
			if isImage(name) {
				rep.Images++
			}
		}
		for _, t := range p.trans {
			outs = append(outs, output{path: t.out, data: t.text, post: pr})
		}
	}
	for _, hb := range s.headless {
		mb := MediaBundle{Path: hb.media + "/", From: s.display(hb.dir)}
		for _, name := range sortedKeys(hb.files) {
			outs = append(outs, output{path: path.Join(hb.media, name), src: hb.files[name], post: -1})
			mb.Files++
		}
		rep.Headless = append(rep.Headless, mb)
	}
	for _, t := range s.orphans {
		outs = append(outs, output{path: t.out, data: t.text, post: -1})
	}
	siteYAML, err := siteConfig(root, s, opt)
	if err != nil {
		return err
	}
	if siteYAML != nil {
		outs = append(outs, output{path: "content/site.yaml", data: siteYAML, post: -1})
		rep.SiteYAML = "content/site.yaml"
	}
	if len(outs) > s.limits.Files {
		return fmt.Errorf("this import would write %d files: more than %d, the limit of one import", len(outs), s.limits.Files)
	}
	dests := map[string]bool{}
	for _, o := range outs {
		if dests[o.path] {
			return fmt.Errorf("%s: two files of the import would be written there", o.path)
		}
		dests[o.path] = true
	}

	var st *stage
	if !opt.DryRun {
		if st, err = newStage(root); err != nil {
			return err
		}
		defer func() { err = errors.Join(err, st.discard()) }()
	}
	var conflicts diag.List
	// skipped are the posts (Report.Posts indexes) with an edited file.
	skipped := map[int]bool{}
	status := map[int]string{}
	newMan := manifest{Version: 1, Files: map[string]string{}}
	for k, v := range man.Files {
		newMan.Files[k] = v
	}
	var staged []output
	for _, o := range outs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("stopped at %s (%w); nothing was written", o.path, context.Cause(ctx))
		}
		data := o.data
		if data == nil {
			if data, err = s.readAsset(o.src); err != nil {
				return err
			}
			if err := usableRaster(o.src, data); err != nil {
				if o.unused {
					rep.look(s.display(o.src), 0, "%v, and no page names it: not copied (it stays in the source)", err)
					rep.Files--
					rep.Images--
					continue
				}
				rep.look(s.display(o.src), 0, "%v: copied, but check and build refuse it until it is converted to PNG, JPEG, GIF or WebP", err)
			}
			if strings.EqualFold(path.Ext(o.src), ".svg") {
				// Copied all the same (nothing is lost), but check and build
				// will refuse it until it is fixed: say so now, at its line.
				if _, err := svgsafe.Sanitize(s.display(o.src), data); err != nil {
					if probs, ok := diag.As(err); ok {
						for _, p := range probs {
							rep.look(p.Path, p.Line, "%s (labfront refuses this SVG until it is fixed)", strings.TrimPrefix(p.Error(), p.Path+":"+strconv.Itoa(p.Line)+": "))
						}
					} else {
						rep.look(s.display(o.src), 0, "%v", err)
					}
				}
			}
		}
		sum := sha256.Sum256(data)
		hash := hex.EncodeToString(sum[:])
		old, err := readDest(root, o.path)
		switch {
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return err
		case err == nil && bytes.Equal(old, data):
			mark(status, o.post, "unchanged")
		case err == nil:
			oldSum := sha256.Sum256(old)
			if man.Files[o.path] != hex.EncodeToString(oldSum[:]) {
				why := "edited since the last import"
				if _, known := man.Files[o.path]; !known {
					why = "not written by an import"
				}
				what := "this file was not imported"
				if o.post >= 0 {
					what = "this post was not imported, the others were"
					skipped[o.post] = true
				}
				conflicts.Add(o.path, 0, "", "%s: kept as it is, never overwritten; %s (move your version away, or put back the imported one, and import again to take the source's)", why, what)
				continue
			}
			mark(status, o.post, "updated")
			staged = append(staged, o)
		default:
			mark(status, o.post, "new")
			staged = append(staged, o)
		}
		newMan.Files[o.path] = hash
		if st != nil && len(staged) > 0 && staged[len(staged)-1].path == o.path {
			if err := st.put(o.path, data); err != nil {
				return err
			}
		}
	}
	for i := range skipped {
		status[i] = "kept"
	}
	for i, v := range status {
		rep.Posts[i].Status = v
	}
	conflicts.Sort()
	rep.Look = append(rep.Look, conflicts...)
	// A skipped post's other files stay as the last import left them, and
	// so do their manifest records.
	var commit []output
	for _, o := range staged {
		if o.post >= 0 && skipped[o.post] {
			if h, ok := man.Files[o.path]; ok {
				newMan.Files[o.path] = h
			} else {
				delete(newMan.Files, o.path)
			}
			continue
		}
		commit = append(commit, o)
	}
	if opt.DryRun {
		return nil
	}
	for _, o := range commit {
		if err := st.commit(o.path); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(newMan, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the import manifest: %w", err)
	}
	data = append(data, '\n')
	if old, err := readDest(root, ManifestName); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return writeAtomic(root, ManifestName, data)
}

// mark records a post's status; the most telling of its files' statuses
// wins (kept > updated > new > unchanged).
func mark(status map[int]string, p int, v string) {
	if p < 0 {
		return
	}
	rank := map[string]int{"": 0, "unchanged": 1, "new": 2, "updated": 3, "kept": 4}
	if rank[v] > rank[status[p]] {
		status[p] = v
	}
}

// rasterExts are the picture extensions the build decodes (and those of
// formats it refuses, so that a HEIC photo is named now, not at check).
var rasterExts = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true,
	".heic": true, ".heif": true, ".avif": true, ".tif": true, ".tiff": true, ".bmp": true,
}

// usableRaster tells whether a file named as a picture holds one the
// build can publish: a source's .png may be an HTML error page saved by
// a download script, a .jpg may hold AVIF.
func usableRaster(name string, data []byte) error {
	if !rasterExts[strings.ToLower(path.Ext(name))] {
		return nil
	}
	if _, _, err := image.DecodeConfig(bytes.NewReader(data)); err != nil {
		return fmt.Errorf("not a PNG, JPEG, GIF or WebP picture (%s)", sniffKind(data))
	}
	return nil
}

// sniffKind names what a refused picture holds, for the report.
func sniffKind(data []byte) string {
	switch {
	case len(data) >= 12 && string(data[4:8]) == "ftyp" && (string(data[8:12]) == "avif" || string(data[8:12]) == "avis"):
		return "it is AVIF"
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		return "it is HEIC or another ISO media file"
	case len(data) >= 2 && string(data[:2]) == "BM":
		return "it is BMP"
	case len(data) >= 4 && (string(data[:4]) == "II*\x00" || string(data[:4]) == "MM\x00*"):
		return "it is TIFF"
	}
	ct := http.DetectContentType(data)
	return "its bytes look like " + strings.TrimSuffix(strings.SplitN(ct, ";", 2)[0], " ")
}

// readAsset reads a file of the source to copy it.
func (s *source) readAsset(name string) ([]byte, error) {
	f, err := s.fs.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := s.budget.Read(f, maxAssetBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.display(name), err)
	}
	return data, nil
}

// openDest opens the destination site as an os.Root, so that no write
// follows a symlink out of it (a content/posts that links elsewhere).
func openDest(dir string, dryRun bool) (*os.Root, error) {
	if _, err := os.Stat(dir); dryRun && errors.Is(err, fs.ErrNotExist) {
		// Nothing there yet: a dry run compares against an empty site,
		// and creates nothing.
		tmp, err := os.MkdirTemp("", "labfront-dry-run-")
		if err != nil {
			return nil, err
		}
		root, err := os.OpenRoot(tmp)
		return root, errors.Join(err, os.Remove(tmp))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create the site folder: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open the site folder: %w", err)
	}
	return root, nil
}

func readDest(root *os.Root, name string) ([]byte, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", name)
	}
	return io.ReadAll(io.LimitReader(f, maxAssetBytes+1))
}

func readManifest(root *os.Root) (manifest, error) {
	m := manifest{Version: 1, Files: map[string]string{}}
	data, err := readDest(root, ManifestName)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("%s: %v (it records what earlier imports wrote; restore it from version control)", ManifestName, err)
	}
	if m.Files == nil {
		m.Files = map[string]string{}
	}
	return m, nil
}

// writeAtomic writes name inside root through a temporary file renamed
// into place, as internal/atomicfile does for plain paths.
func writeAtomic(root *os.Root, name string, data []byte) error {
	if err := root.MkdirAll(path.Dir(name), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", path.Dir(name), err)
	}
	tmp := path.Join(path.Dir(name), "."+path.Base(name)+".tmp-"+randomHex())
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := f.Write(data); err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", name, err), f.Close(), root.Remove(tmp))
	}
	if err := f.Sync(); err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", name, err), f.Close(), root.Remove(tmp))
	}
	if err := f.Close(); err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", name, err), root.Remove(tmp))
	}
	if err := root.Rename(tmp, name); err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", name, err), root.Remove(tmp))
	}
	return nil
}

func randomHex() string { return strings.ToLower(rand.Text()[:16]) }

// stage is the hidden folder (content/.import-*) files are written to
// before any of them is moved into place: on one file system with the
// posts, so each move is a rename.
type stage struct {
	root *os.Root
	dir  string
}

func newStage(root *os.Root) (*stage, error) {
	for _, d := range []string{"content", "content/posts", "content/notes"} {
		if fi, err := root.Lstat(d); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s: a symlink: the import writes only into real folders of the site", d)
		}
	}
	dir := "content/.import-" + randomHex()
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create a staging folder: %w", err)
	}
	return &stage{root: root, dir: dir}, nil
}

func (st *stage) put(name string, data []byte) error {
	return writeAtomic(st.root, path.Join(st.dir, name), data)
}

func (st *stage) commit(name string) error {
	if err := st.root.MkdirAll(path.Dir(name), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", path.Dir(name), err)
	}
	if err := st.root.Rename(path.Join(st.dir, name), name); err != nil {
		return fmt.Errorf("move %s into place: %w", name, err)
	}
	return nil
}

// discard removes the staging folder; after a commit it is empty.
func (st *stage) discard() error {
	if err := st.root.RemoveAll(st.dir); err != nil {
		return fmt.Errorf("remove the staging folder %s: %w", st.dir, err)
	}
	return nil
}

// siteConfig is the site.yaml to write when the destination has none,
// made from the source's configuration; nil when one exists.
func siteConfig(root *os.Root, s *source, opt Options) ([]byte, error) {
	if _, err := root.Stat("content/site.yaml"); err == nil {
		return nil, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	base := s.baseURL
	if base == "" {
		return nil, fmt.Errorf("%s states no base URL and %s/content/site.yaml does not exist: pass --base-url URL (the site's address)", s.dir, opt.Dest)
	}
	title := s.title
	if title == "" {
		title = "My site"
	}
	var b strings.Builder
	enc := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, yamlScalar(v))
		}
	}
	enc("title", title)
	// The labfront site is served at its host's root; old URLs under the
	// old base path redirect there through the posts' aliases.
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		base = u.Scheme + "://" + u.Host
	}
	enc("base_url", base)
	enc("description", s.description)
	enc("language", s.language)
	return []byte(b.String()), nil
}
