package blogimport

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

type importer func(context.Context, string, Options) (*Report, error)

var generators = []struct {
	name string
	site string
	run  importer
}{
	{"hugo", hugoFixture, Hugo},
	{"jekyll", jekyllFixture, Jekyll},
	{"astro", astroFixture, Astro},
}

// writeSite writes a fixture site, with real PNGs where it says PNG.
func writeSite(t *testing.T, archive string) string {
	t.Helper()
	dir := sitetest.Write(t, archive)
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(0, 0, color.NRGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if b, err := os.ReadFile(p); err == nil && string(b) == "PNG\n" {
			return os.WriteFile(p, buf.Bytes(), 0o644)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// dump is the written tree and the report, for a golden file: text
// files in full, others by size.
func dump(t *testing.T, src, dest string, rep *Report) string {
	t.Helper()
	var b strings.Builder
	var out bytes.Buffer
	if err := rep.Print(&out); err != nil {
		t.Fatal(err)
	}
	b.WriteString("== report\n")
	b.WriteString(strings.ReplaceAll(out.String(), filepath.ToSlash(src), "SRC"))
	tree := sitetest.Tree(t, dest)
	names := make([]string, 0, len(tree))
	for n := range tree {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		data := tree[n]
		if strings.HasSuffix(n, ".png") {
			b.WriteString("== " + n + " (PNG)\n")
			continue
		}
		b.WriteString("== " + n + "\n" + data)
		if !strings.HasSuffix(data, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the import (go test -update rewrites it):\n%s", path, diffLines(string(want), got))
	}
}

// diffLines shows the first lines that differ.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want " + wl + "\n  got  " + gl
		}
	}
	return ""
}

// TestGolden imports each fixture and compares every written file and
// the report with testdata/<generator>.golden.
func TestGolden(t *testing.T) {
	for _, g := range generators {
		t.Run(g.name, func(t *testing.T) {
			src := writeSite(t, g.site)
			dest := t.TempDir()
			rep, err := g.run(context.Background(), src, Options{Dest: dest})
			if err != nil {
				t.Fatal(err)
			}
			golden(t, g.name+".golden", dump(t, src, dest, rep))
		})
	}
}

// TestIdempotent: a second import reports every post unchanged and
// rewrites no file (same bytes, same modification times).
func TestIdempotent(t *testing.T) {
	for _, g := range generators {
		t.Run(g.name, func(t *testing.T) {
			src := writeSite(t, g.site)
			dest := t.TempDir()
			if _, err := g.run(context.Background(), src, Options{Dest: dest}); err != nil {
				t.Fatal(err)
			}
			before := stats(t, dest)
			rep, err := g.run(context.Background(), src, Options{Dest: dest})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range rep.Posts {
				if p.Status != "unchanged" {
					t.Errorf("second import: %s is %s, want unchanged", p.Path, p.Status)
				}
			}
			after := stats(t, dest)
			if len(before) != len(after) {
				t.Errorf("second import changed the file count: %d, then %d", len(before), len(after))
			}
			for n, st := range before {
				if after[n] != st {
					t.Errorf("second import touched %s", n)
				}
			}
		})
	}
}

func stats(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[p] = fi.ModTime().String() + string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEditedPostIsKept: a post edited since the last import is never
// overwritten: the import skips that post (its pictures too), names it in
// the report with a hint, and imports the other posts' updates; the post
// is taken again once the edit is moved away.
func TestEditedPostIsKept(t *testing.T) {
	src := writeSite(t, hugoFixture)
	dest := t.TempDir()
	if _, err := Hugo(context.Background(), src, Options{Dest: dest}); err != nil {
		t.Fatal(err)
	}
	editedRel := "content/posts/2024-03-02-rack-tour/index.md"
	edited := filepath.Join(dest, editedRel)
	mine := []byte("---\ntitle: Rack tour\ndate: 2024-03-02\n---\n\nMy own words.\n")
	if err := os.WriteFile(edited, mine, 0o644); err != nil {
		t.Fatal(err)
	}
	// The source changes too: the edited post's picture must stay as it
	// was, another post's update must go through.
	network := filepath.Join(src, "content/posts/network.md")
	b, err := os.ReadFile(network)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(network, append(b, "\nMore.\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(src, "content/posts/rack-tour")
	pics, err := filepath.Glob(filepath.Join(bundle, "*.png"))
	if err != nil || len(pics) == 0 {
		t.Fatalf("fixture rack-tour has no PNG (%v)", err)
	}
	if err := os.WriteFile(pics[0], []byte("changed in the source"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "new-in-source.txt"), []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := stats(t, dest)
	manBefore, err := os.ReadFile(filepath.Join(dest, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Hugo(context.Background(), src, Options{Dest: dest})
	if err != nil {
		t.Fatalf("an edited post must not fail the import: %v", err)
	}
	status := map[string]string{}
	for _, p := range rep.Posts {
		status[filepath.Base(filepath.Dir(p.Path))] = p.Status
	}
	if status["2024-03-02-rack-tour"] != "kept" || status["2024-04-10-the-network"] != "updated" {
		t.Errorf("statuses %v, want rack-tour kept and the-network updated", status)
	}
	var named bool
	for _, p := range rep.Look {
		if p.Path == editedRel && strings.Contains(p.Msg, "edited since the last import") && strings.Contains(p.Msg, "import again") {
			named = true
		}
	}
	if !named {
		t.Errorf("report does not name %s with a hint: %v", editedRel, rep.Look)
	}
	var out bytes.Buffer
	if err := rep.Print(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kept      " + editedRel, "kept 1 edited post as it is", editedRel + ": edited since the last import"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printed report lacks %q:\n%s", want, out.String())
		}
	}
	after := stats(t, dest)
	for n, st := range before {
		changed := after[n] != st
		if want := strings.Contains(n, "the-network"); changed != want && !strings.HasSuffix(n, ".labfront-import.json") {
			t.Errorf("%s changed: %v, want %v", n, changed, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dest, "content/posts/2024-03-02-rack-tour/new-in-source.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a skipped post got a new file (%v)", err)
	}
	if got, err := os.ReadFile(edited); err != nil || !bytes.Equal(got, mine) {
		t.Errorf("the edit was not kept: %q %v", got, err)
	}
	// The manifest still holds the imported hashes of the skipped post, so
	// a third run still knows the edit for one.
	manAfter, err := os.ReadFile(filepath.Join(dest, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(manBefore), "\n") {
		if strings.Contains(line, "rack-tour") && !strings.Contains(string(manAfter), line) {
			t.Errorf("manifest lost %s", strings.TrimSpace(line))
		}
	}
	if strings.Contains(string(manAfter), "new-in-source.txt") {
		t.Errorf("manifest records a file that was not written")
	}
	rep, err = Hugo(context.Background(), src, Options{Dest: dest})
	if err != nil || rep.Posts[statusIndex(t, rep, "rack-tour")].Status != "kept" {
		t.Fatalf("third run: %v %+v, want rack-tour still kept", err, rep.Posts)
	}

	// A file the import never wrote is not overwritten either; once the
	// edit is moved away the post comes back.
	if err := os.Remove(edited); err != nil {
		t.Fatal(err)
	}
	rep, err = Hugo(context.Background(), src, Options{Dest: dest})
	if err != nil {
		t.Fatal(err)
	}
	if st := rep.Posts[statusIndex(t, rep, "rack-tour")].Status; st != "updated" {
		t.Errorf("after moving the edit away: rack-tour %s, want updated (its picture changed)", st)
	}
	if _, err := os.Stat(filepath.Join(dest, "content/posts/2024-03-02-rack-tour/new-in-source.txt")); err != nil {
		t.Errorf("the post's new file is still missing: %v", err)
	}
}

// statusIndex is the index in rep.Posts of the post whose path has name.
func statusIndex(t *testing.T, rep *Report, name string) int {
	t.Helper()
	for i, p := range rep.Posts {
		if strings.Contains(p.Path, name) {
			return i
		}
	}
	t.Fatalf("no post %s in the report: %+v", name, rep.Posts)
	return 0
}

// TestDryRunWritesNothing: the report of a dry run is the real one, and
// the destination is not even created.
func TestDryRunWritesNothing(t *testing.T) {
	src := writeSite(t, jekyllFixture)
	dest := filepath.Join(t.TempDir(), "site")
	rep, err := Jekyll(context.Background(), src, Options{Dest: dest, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Posts) != 3 || rep.Posts[0].Status != "new" {
		t.Errorf("dry run report: %+v", rep.Posts)
	}
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dry run created %s (%v)", dest, err)
	}
}

// TestSourceSymlinkOut: a source file that links out of the source is
// refused, never copied into the site.
func TestSourceSymlinkOut(t *testing.T) {
	src := writeSite(t, hugoFixture)
	secret := filepath.Join(t.TempDir(), "secret.png")
	if err := os.WriteFile(secret, []byte("not yours"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(src, "content/posts/rack-tour/stolen.png")
	if err := os.Symlink(secret, link); err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	_, err := Hugo(context.Background(), src, Options{Dest: dest})
	if err == nil || !strings.Contains(err.Error(), "stolen.png") {
		t.Fatalf("err = %v, want the symlink refused by name", err)
	}
	if _, err := os.Stat(filepath.Join(dest, "content/posts")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused import wrote posts (%v)", err)
	}
}

// TestUnusablePictures: a bundle file named as a picture that holds
// something else is left out when the page does not name it (so the
// import still checks), and reported before check when it does.
func TestUnusablePictures(t *testing.T) {
	src := writeSite(t, `
-- hugo.toml --
baseURL = "https://old.example.org/"
title = "Pictures"
-- content/posts/shots/index.md --
---
title: Shots
date: 2024-01-01
---
![A real one](real.png) and ![A broken one](broken.jpg)
-- content/posts/shots/real.png --
PNG
-- content/posts/shots/broken.jpg --
<!DOCTYPE html><html><body>Not found</body></html>
-- content/posts/shots/saved-page.png --
<!DOCTYPE html><html><body>Not found</body></html>
`)
	dest := t.TempDir()
	rep, err := Hugo(context.Background(), src, Options{Dest: dest})
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dest, "content/posts/2024-01-01-shots")
	if _, err := os.Stat(filepath.Join(bundle, "saved-page.png")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an unused non-picture was copied (%v)", err)
	}
	for _, name := range []string{"real.png", "broken.jpg"} {
		if _, err := os.Stat(filepath.Join(bundle, name)); err != nil {
			t.Errorf("%s not copied: %v", name, err)
		}
	}
	var saved, broken bool
	for _, p := range rep.Look {
		saved = saved || strings.HasSuffix(p.Path, "saved-page.png") && strings.Contains(p.Msg, "text/html") && strings.Contains(p.Msg, "not copied")
		broken = broken || strings.HasSuffix(p.Path, "broken.jpg") && strings.Contains(p.Msg, "check and build refuse it")
	}
	if !saved || !broken {
		t.Errorf("report: %v", rep.Look)
	}
	if rep.Files != 2 || rep.Images != 2 {
		t.Errorf("files %d images %d, want 2 and 2", rep.Files, rep.Images)
	}
}
