package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/corpus"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
)

// corpusPosts is small enough for a fast test and large enough for
// pagination (10 a page) and tag pages with many entries.
const corpusPosts = 60

func buildOpts(src, out string, clean bool) Options {
	return Options{Src: src, Out: out, Static: static.FS(), Islands: Islands(), Clean: clean}
}

func mustBuild(t *testing.T, opts Options) Result {
	t.Helper()
	res, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return res
}

// sameTree fails unless a and b hold the same files with the same bytes.
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	ta, tb := sitetest.Tree(t, a), sitetest.Tree(t, b)
	for p, body := range ta {
		other, ok := tb[p]
		switch {
		case !ok:
			t.Errorf("%s: only in the incremental build", p)
		case other != body:
			t.Errorf("%s: differs from the clean build", p)
		}
	}
	for p := range tb {
		if _, ok := ta[p]; !ok {
			t.Errorf("%s: missing from the incremental build", p)
		}
	}
}

func editFile(t *testing.T, file string, edit func(string) string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	after := edit(string(data))
	if after == string(data) {
		t.Fatalf("edit of %s changed nothing", file)
	}
	if err := os.WriteFile(file, []byte(after), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestIncrementalMatchesCleanBuild edits a built site in the ways an author
// does and holds each incremental build to two things: byte for byte the
// same tree as a clean build of the edited source, and only the work the
// edit calls for.
func TestIncrementalMatchesCleanBuild(t *testing.T) {
	posts := func(src string) []string {
		m, err := filepath.Glob(filepath.Join(src, "content", "posts", "*.md"))
		if err != nil || len(m) != corpusPosts {
			t.Fatalf("corpus posts: %d, %v", len(m), err)
		}
		return m
	}
	tests := []struct {
		name string
		edit func(t *testing.T, src string)
		// maxRendered bounds the outputs rendered again; -1 means the edit
		// touches every page.
		maxRendered int
		minWritten  int
	}{
		{"nothing", func(*testing.T, string) {}, 20, 0},
		{"one old post's body", func(t *testing.T, src string) {
			editFile(t, posts(src)[5], func(s string) string { return s + "\nOne more paragraph, added later.\n" })
		}, 20, 1},
		{"the newest post's title", func(t *testing.T, src string) {
			p := posts(src)
			editFile(t, p[len(p)-1], func(s string) string {
				return strings.Replace(s, "\ntitle: \"", "\ntitle: \"Renamed: ", 1)
			})
		}, 40, 5},
		{"a post's tags", func(t *testing.T, src string) {
			editFile(t, posts(src)[7], func(s string) string {
				return strings.Replace(s, "\ntags: [", "\ntags: [brand-new-tag, ", 1)
			})
		}, 120, 3},
		{"a new post", func(t *testing.T, src string) {
			body := "---\ntitle: A fresh post\ndate: 2030-01-01\ntags: [tag-1]\n---\nFresh words.\n"
			if err := os.WriteFile(filepath.Join(src, "content", "posts", "2030-01-01-fresh.md"), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}, -1, 3},
		{"a deleted post", func(t *testing.T, src string) {
			// The newest post: no other post links to it.
			p := posts(src)
			if err := os.Remove(p[len(p)-1]); err != nil {
				t.Fatal(err)
			}
		}, -1, 1},
		{"a post turned draft", func(t *testing.T, src string) {
			p := posts(src)
			editFile(t, p[len(p)-1], func(s string) string { return strings.Replace(s, "\n---\n", "\ndraft: true\n---\n", 1) })
		}, -1, 1},
		{"the site's title", func(t *testing.T, src string) {
			editFile(t, filepath.Join(src, "content", "site.yaml"), func(s string) string {
				return strings.Replace(s, "title: Benchmark Lab", "title: Renamed Lab", 1)
			})
		}, -1, corpusPosts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := t.TempDir()
			if err := corpus.Write(src, corpusPosts); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "dist")
			first := mustBuild(t, buildOpts(src, out, false))
			if first.Reused != 0 || first.Written != first.Files {
				t.Fatalf("first build: %+v, want everything written", first)
			}
			tc.edit(t, src)
			res := mustBuild(t, buildOpts(src, out, false))
			clean := filepath.Join(t.TempDir(), "dist")
			want := mustBuild(t, buildOpts(src, clean, true))
			sameTree(t, out, clean)
			if res.Files != want.Files {
				t.Errorf("incremental build has %d files, clean %d", res.Files, want.Files)
			}
			if tc.maxRendered >= 0 && res.Rendered > tc.maxRendered {
				t.Errorf("rendered %d outputs, want at most %d (%+v)", res.Rendered, tc.maxRendered, res)
			}
			if res.Written < tc.minWritten {
				t.Errorf("wrote %d files, want at least %d (%+v)", res.Written, tc.minWritten, res)
			}
			if tc.name == "nothing" && (res.Written != 0 || res.Reused < first.Files-20) {
				t.Errorf("unchanged source: %+v, want nothing written and nearly everything reused", res)
			}
		})
	}
}

// TestIncrementalDistrustsTouchedOutput: a file changed or removed in the
// output by hand since the last build is rendered again, not kept.
func TestIncrementalDistrustsTouchedOutput(t *testing.T) {
	src := t.TempDir()
	if err := corpus.Write(src, 12); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dist")
	mustBuild(t, buildOpts(src, out, false))
	pages, err := filepath.Glob(filepath.Join(out, "blog", "*", "index.html"))
	if err != nil || len(pages) < 3 {
		t.Fatalf("post pages: %v %v", pages, err)
	}
	want, err := os.ReadFile(pages[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pages[0], []byte("vandalised"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(pages[1]); err != nil {
		t.Fatal(err)
	}
	res := mustBuild(t, buildOpts(src, out, false))
	if res.Written != 2 {
		t.Errorf("wrote %d files, want the 2 touched ones (%+v)", res.Written, res)
	}
	got, err := os.ReadFile(pages[0])
	if err != nil || string(got) != string(want) {
		t.Errorf("touched page not restored: %v", err)
	}
	if _, err := os.Stat(pages[1]); err != nil {
		t.Errorf("removed page not restored: %v", err)
	}
}

// TestIncrementalFailureKeepsOutputAndCache: a build that fails on bad
// input changes neither the output nor the cache, so fixing the input
// gives the same result as if the mistake never happened.
func TestIncrementalFailureKeepsOutputAndCache(t *testing.T) {
	src := t.TempDir()
	if err := corpus.Write(src, 12); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dist")
	mustBuild(t, buildOpts(src, out, false))
	before := sitetest.Tree(t, out)
	index, err := os.ReadFile(filepath.Join(cacheDir(out), indexFile))
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(src, "content", "posts", "2099-01-01-broken.md")
	if err := os.WriteFile(bad, []byte("---\ntitle: [unclosed\n---\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(context.Background(), buildOpts(src, out, false)); err == nil {
		t.Fatal("build of a broken post succeeded")
	}
	after := sitetest.Tree(t, out)
	if len(after) != len(before) {
		t.Fatalf("output changed by a failed build: %d files, was %d", len(after), len(before))
	}
	for p, body := range before {
		if after[p] != body {
			t.Errorf("%s changed by a failed build", p)
		}
	}
	if again, err := os.ReadFile(filepath.Join(cacheDir(out), indexFile)); err != nil || string(again) != string(index) {
		t.Errorf("build cache changed by a failed build: %v", err)
	}
	if err := os.Remove(bad); err != nil {
		t.Fatal(err)
	}
	if res := mustBuild(t, buildOpts(src, out, false)); res.Written != 0 {
		t.Errorf("after fixing the input: %+v, want nothing written", res)
	}
}

// TestBuildCacheIndex: a damaged index or one written by another labfront
// is ignored, never trusted and never an error for the build.
func TestBuildCacheIndex(t *testing.T) {
	dir := t.TempDir()
	v1, v2 := [32]byte{1}, [32]byte{2}
	ix := &buildIndex{Format: cacheFormat, Version: v1, Outputs: map[string]outputRecord{"a.html": {Keyed: true, Size: 3}}, dir: dir}
	if err := ix.save(nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		version [32]byte
		damage  bool
		want    int
		wantErr bool
	}{
		{"same labfront", v1, false, 1, false},
		{"another labfront", v2, false, 0, false},
		{"damaged", v1, true, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.damage {
				if err := os.WriteFile(filepath.Join(dir, indexFile), []byte("not gob"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := loadIndex(dir, tc.version)
			if (err != nil) != tc.wantErr {
				t.Errorf("err = %v, want error %v", err, tc.wantErr)
			}
			if got == nil || len(got.Outputs) != tc.want {
				t.Errorf("index has %v outputs, want %d", got, tc.want)
			}
		})
	}
	if got := cacheDir("site/dist"); got != filepath.Join("site", ".dist.cache") {
		t.Errorf("cacheDir = %q", got)
	}
}

// TestGoBuildID: labfront's version is the Go toolchain's own build ID of
// the executable, exactly what `go tool buildid` reports; an executable
// without one (not built by Go) has none, and is hashed in full instead.
func TestGoBuildID(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "buildid", exe).Output()
	if err != nil {
		t.Fatalf("go tool buildid: %v", err)
	}
	want := strings.TrimSpace(string(out))
	if got := string(goBuildID(exe)); got != want || !strings.Contains(got, "/") {
		t.Errorf("goBuildID = %q, go tool buildid says %q", got, want)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to try a non-Go executable")
	}
	sh, err = filepath.EvalSymlinks(sh)
	if err != nil {
		t.Fatal(err)
	}
	if id := goBuildID(sh); id != nil {
		t.Errorf("%s is not a Go executable, yet goBuildID = %q", sh, id)
	}
	if id := goBuildID(filepath.Join(t.TempDir(), "missing")); id != nil {
		t.Errorf("a missing file has build ID %q", id)
	}
	v1, err := selfVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v2, _ := selfVersion(); v1 != v2 || v1 == [32]byte{} {
		t.Errorf("selfVersion is not stable: %x, %x", v1, v2)
	}
}

// TestIncrementalBundles: with page bundles and media, an incremental
// build is byte for byte a clean build, and a change to one resource
// writes that one file and nothing else.
func TestIncrementalBundles(t *testing.T) {
	bundle := func(src string) string { return filepath.Join(src, "content", "posts", "2026-05-01-rack-tour") }
	tests := []struct {
		name    string
		edit    func(t *testing.T, src string)
		written int      // exactly this many files get new bytes
		gone    []string // output paths, files or folders, that must be gone
		// processed is how many images the incremental build decodes
		// (-1: any).
		processed int
	}{
		{"nothing", func(*testing.T, string) {}, 0, nil, 0},
		{"a resource edited", func(t *testing.T, src string) {
			editFile(t, filepath.Join(bundle(src), "config.yaml"), func(s string) string { return s + "  - hostname: new.lab.test\n" })
		}, 1, nil, 0},
		{"a binary resource edited", func(t *testing.T, src string) {
			if err := os.WriteFile(filepath.Join(bundle(src), "img", "firmware.bin"), []byte(blobBin+"\x00"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, 1, nil, 0},
		// Its three variants, the two pages that show or link it and the
		// two feeds that carry them.
		{"an image edited", func(t *testing.T, src string) {
			if err := os.WriteFile(filepath.Join(bundle(src), "img", "rack.png"), testPNG(t, 1000, 600, 2), 0o644); err != nil {
				t.Fatal(err)
			}
		}, 7, nil, 1},
		{"an image added", func(t *testing.T, src string) {
			if err := os.WriteFile(filepath.Join(bundle(src), "img", "side.png"), testPNG(t, 300, 200, 3), 0o644); err != nil {
				t.Fatal(err)
			}
		}, 1, []string{"blog/rack-tour/img/side.png"}, 1},
		{"a resource added", func(t *testing.T, src string) {
			if err := os.WriteFile(filepath.Join(bundle(src), "img", "side.txt"), []byte("side"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, 1, nil, 0},
		{"a resource removed with its folder", func(t *testing.T, src string) {
			if err := os.RemoveAll(filepath.Join(bundle(src), "img")); err != nil {
				t.Fatal(err)
			}
			// The page linked it; without the link the site is valid.
			editFile(t, filepath.Join(bundle(src), "index.md"), func(s string) string {
				return strings.Replace(s, `![rack](img/rack.png "front")`, "", 1)
			})
			editFile(t, filepath.Join(src, "content", "posts", "2026-04-01-other.md"), func(s string) string {
				return strings.Replace(s, "(/blog/rack-tour/img/rack.png)", "(/blog/rack-tour/)", 1)
			})
		}, 4, []string{"blog/rack-tour/img"}, 0},
		{"a hidden file added", func(t *testing.T, src string) {
			if err := os.WriteFile(filepath.Join(bundle(src), ".notes.swp"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, 0, nil, 0},
		// A comment alone would change nothing published: svgsafe drops
		// it. A new width is the SVG's size, so the page that shows it
		// and the two feeds that carry its <img width height> are
		// written again with it.
		{"a media file edited", func(t *testing.T, src string) {
			editFile(t, filepath.Join(src, "content", "media", "logo.svg"), func(s string) string { return strings.Replace(s, "/>", ` width="5"/>`, 1) })
		}, 4, nil, 0},
		{"a bundle turned draft", func(t *testing.T, src string) {
			editFile(t, filepath.Join(src, "content", "notes", "ingress", "index.md"), func(s string) string {
				return strings.Replace(s, "\n---\n", "\ndraft: true\n---\n", 1)
			})
		}, -1, []string{"notes/ingress/diagram.svg", "notes/ingress"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := writeBundleSite(t)
			out := filepath.Join(t.TempDir(), "dist")
			mustBuild(t, buildOpts(src, out, false))
			tc.edit(t, src)
			res := mustBuild(t, buildOpts(src, out, false))
			clean := filepath.Join(t.TempDir(), "dist")
			mustBuild(t, buildOpts(src, clean, true))
			sameTree(t, out, clean)
			if tc.written >= 0 && res.Written != tc.written {
				t.Errorf("wrote %d files, want %d (%+v)", res.Written, tc.written, res)
			}
			if tc.processed >= 0 && res.ImagesProcessed != tc.processed {
				t.Errorf("processed %d images, want %d", res.ImagesProcessed, tc.processed)
			}
			for _, p := range tc.gone {
				if _, err := os.Lstat(filepath.Join(out, filepath.FromSlash(p))); !os.IsNotExist(err) {
					t.Errorf("%s still in the output: %v", p, err)
				}
			}
		})
	}
}

// copyTree copies the files of src into dst with their modification
// times, which the build cache checks.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			return err
		}
		return os.Chtimes(target, fi.ModTime(), fi.ModTime())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCorruptCacheIsColdStart flips one bit at each of 64 positions
// (32 in the second half, below) spread over a saved build cache and builds again from the unchanged
// source (the case where the cache is trusted most: pages come from it
// unread): every build must equal a clean build and warn that the cache
// was ignored. First with the file's checksum left as it is, then with
// it recomputed over the damaged bytes, which leaves the per-entry sums
// (or the decoder) to notice.
func TestCorruptCacheIsColdStart(t *testing.T) {
	src := t.TempDir()
	// Few posts: 64+32 builds, and every entry kind is there all the same.
	if err := corpus.Write(src, 4); err != nil {
		t.Fatal(err)
	}
	pristine := t.TempDir()
	mustBuild(t, buildOpts(src, filepath.Join(pristine, "dist"), false))
	want := sitetest.Tree(t, filepath.Join(pristine, "dist"))
	index, err := os.ReadFile(filepath.Join(pristine, ".dist.cache", indexFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, resum := range []bool{false, true} {
		flips := 64
		if resum {
			flips = 32
		}
		for i := range flips {
			// Spread over the file, the first and last bytes included;
			// with the sum recomputed, over what it covers.
			from := 0
			if resum {
				from = sha256.Size
			}
			pos := from + i*(len(index)-1-from)/(flips-1)
			bit := byte(1) << (i % 8)
			parent := t.TempDir()
			copyTree(t, pristine, parent)
			out := filepath.Join(parent, "dist")
			damaged := bytes.Clone(index)
			damaged[pos] ^= bit
			if resum {
				sum := sha256.Sum256(damaged[sha256.Size:])
				copy(damaged, sum[:])
			}
			if err := os.WriteFile(filepath.Join(cacheDir(out), indexFile), damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			opts := buildOpts(src, out, false)
			opts.Log = slog.New(slog.NewTextHandler(&log, nil))
			mustBuild(t, opts)
			if got := sitetest.Tree(t, out); !maps.Equal(got, want) {
				t.Errorf("resum %v, bit %d of byte %d: output differs from a clean build", resum, i%8, pos)
			}
			if !strings.Contains(log.String(), "build cache ignored") {
				t.Errorf("resum %v, bit %d of byte %d: no warning:\n%s", resum, i%8, pos, log.String())
			}
			if !resum && !strings.Contains(log.String(), "checksum mismatch") {
				t.Errorf("bit %d of byte %d: the file's checksum did not catch it:\n%s", i%8, pos, log.String())
			}
		}
	}
}
