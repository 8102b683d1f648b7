// Command photosite writes the photo sites bench/images.sh builds: a
// labfront site whose posts are page bundles holding the photos of a
// directory, each shown once with alt text from the Markdown, and
// optionally the same bundles as a Hugo content tree, so both tools
// process the very same files the way their authors would write them.
//
// Photos are hard-linked into the bundles (copied where the file system
// cannot link): 200 photos of 12 MP are a gigabyte, and two copies of it
// would be writeback on the benchmark's clock. A benchmark that edits a
// photo must therefore replace the file (write a new one and rename it
// over), never write into it, or the other site's copy changes too.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "photosite:", err)
		os.Exit(1)
	}
}

type options struct {
	photos, src, hugo string
	posts, per        int
}

func run(args []string) error {
	fs := flag.NewFlagSet("photosite", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.photos, "photos", "", "directory of photo-NNNN.jpg files (bench/cmd/photos)")
	fs.StringVar(&o.src, "src", "", "labfront site directory to create")
	fs.StringVar(&o.hugo, "hugo", "", "Hugo site directory to add content/posts to (optional)")
	fs.IntVar(&o.posts, "posts", 50, "number of posts")
	fs.IntVar(&o.per, "per", 4, "photos per post; photos are used in name order and reused round-robin when there are fewer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.photos == "" || o.src == "" || o.posts < 1 || o.per < 1 || fs.NArg() != 0 {
		return errors.New("usage: photosite -photos DIR -src DIR [-hugo DIR] [-posts N] [-per K]")
	}
	photos, err := filepath.Glob(filepath.Join(o.photos, "photo-*.jpg"))
	if err != nil {
		return err
	}
	if len(photos) == 0 {
		return fmt.Errorf("%s: no photo-*.jpg", o.photos)
	}
	slices.Sort(photos)
	return write(o, photos)
}

const siteYAML = "title: Photo Lab\nbase_url: https://bench.lab.test\ndescription: A generated site of photo posts.\nauthor: {name: Bench}\n"

func write(o options, photos []string) error {
	if err := os.MkdirAll(filepath.Join(o.src, "content", "posts"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.src, "content", "site.yaml"), []byte(siteYAML), 0o644); err != nil {
		return err
	}
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range o.posts {
		date := day.AddDate(0, 0, i).Format(time.DateOnly)
		slug := fmt.Sprintf("photos-%04d", i)
		srcs, names := postPhotos(photos, i, o.per)
		body := postBody(i, names)
		title := fmt.Sprintf("Rack photos, part %d", i+1)
		lf := filepath.Join(o.src, "content", "posts", date+"-"+slug)
		front := fmt.Sprintf("---\ntitle: %q\ndate: %s\nsummary: Photos of the rack, set %d.\ntags: [photos, rack]\n---\n", title, date, i+1)
		if err := bundle(lf, front+body, srcs, names); err != nil {
			return err
		}
		if o.hugo == "" {
			continue
		}
		// Hugo publishes a bundle's files as they are unless told not
		// to; labfront never publishes an original, so neither may Hugo
		// (it still publishes every resized variant a template uses).
		hf := filepath.Join(o.hugo, "content", "posts", slug)
		hfront := fmt.Sprintf("---\ntitle: %q\ndate: %s\nsummary: Photos of the rack, set %d.\ntags: [photos, rack]\n_build:\n  publishResources: false\n---\n", title, date, i+1)
		if err := bundle(hf, hfront+body, srcs, names); err != nil {
			return err
		}
	}
	return nil
}

// postPhotos are post i's photos and their names in its bundle. Reused
// photos would repeat a name in one bundle: repeats are numbered.
func postPhotos(photos []string, i, per int) (srcs, names []string) {
	for k := range per {
		p := photos[(i*per+k)%len(photos)]
		srcs = append(srcs, p)
		names = append(names, filepath.Base(p))
	}
	return srcs, unique(names)
}

// unique numbers the repeats of a name: photo-0001.jpg, photo-0001-2.jpg.
func unique(names []string) []string {
	seen := map[string]int{}
	out := make([]string, len(names))
	for i, n := range names {
		seen[n]++
		if c := seen[n]; c > 1 {
			ext := filepath.Ext(n)
			n = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(n, ext), c, ext)
		}
		out[i] = n
	}
	return out
}

func postBody(i int, names []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nSet %d of the rack photos, taken while recabling the top of rack switch.\n", i+1)
	for k, n := range names {
		fmt.Fprintf(&b, "\n![Rack photo %d of set %d: patch panel, switch and the cable run to the hypervisors](%s)\n", k+1, i+1, n)
		fmt.Fprintf(&b, "\nShot %d shows the state after step %d of the recabling.\n", k+1, k+1)
	}
	return b.String()
}

// bundle writes dir/index.md and links srcs beside it as names.
func bundle(dir, index string, srcs, names []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "index.md"), []byte(index), 0o644); err != nil {
		return err
	}
	for k, n := range names {
		if err := link(srcs[k], filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return nil
}

func link(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		return errors.Join(fmt.Errorf("copy %s: %w", src, err), out.Close())
	}
	return out.Close()
}
