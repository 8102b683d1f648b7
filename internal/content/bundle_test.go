package content

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// TestLoadBundles: a folder in posts/ or notes/ is a page whose slug comes
// from the folder, with every non-hidden file beside its index.md, nested
// ones too, as its resources.
func TestLoadBundles(t *testing.T) {
	site := "-- content/site.yaml --\n" + sitetest.MinimalSiteYAML
	page := func(extra string) string {
		return "---\ntitle: T\ndate: 2026-05-01\n" + extra + "---\nBody.\n"
	}
	type want struct {
		url   string
		dir   string
		files []string
	}
	for _, tc := range []struct {
		name   string
		files  map[string]string
		drafts bool
		want   []want // every page, in the site's order (newest first, then slug)
	}{
		{"dated folder", map[string]string{
			"content/posts/2026-05-01-rack-tour/index.md": page(""),
		}, false, []want{{"/blog/rack-tour/", "content/posts/2026-05-01-rack-tour", nil}}},
		{"undated folder", map[string]string{
			"content/notes/ingress/index.md": page(""),
		}, false, []want{{"/notes/ingress/", "content/notes/ingress", nil}}},
		{"slug key wins over the folder", map[string]string{
			"content/posts/2026-05-01-rack-tour/index.md": page("slug: the-rack\n"),
		}, false, []want{{"/blog/the-rack/", "content/posts/2026-05-01-rack-tour", nil}}},
		{"nested resources, hidden ones left out", map[string]string{
			"content/posts/2026-05-01-rack-tour/index.md":        page(""),
			"content/posts/2026-05-01-rack-tour/config.yaml":     "a: 1\n",
			"content/posts/2026-05-01-rack-tour/img/rack.png":    "PNG",
			"content/posts/2026-05-01-rack-tour/img/a/b/deep.js": "x",
			"content/posts/2026-05-01-rack-tour/extra.md":        "not a page of its own\n",
			"content/posts/2026-05-01-rack-tour/.DS_Store":       "junk",
			"content/posts/2026-05-01-rack-tour/img/.rack.swp":   "junk",
			"content/posts/2026-05-01-rack-tour/.git/config":     "junk",
		}, false, []want{{"/blog/rack-tour/", "content/posts/2026-05-01-rack-tour",
			[]string{"config.yaml", "extra.md", "img/a/b/deep.js", "img/rack.png"}}}},
		{"bundle beside a file post", map[string]string{
			"content/posts/2026-05-01-rack-tour/index.md":  page(""),
			"content/posts/2026-05-01-rack-tour/notes.txt": "n",
			"content/posts/2026-04-01-file.md":             "---\ntitle: F\ndate: 2026-04-01\n---\n",
		}, false, []want{
			{"/blog/rack-tour/", "content/posts/2026-05-01-rack-tour", []string{"notes.txt"}},
			{"/blog/file/", "", nil},
		}},
		{"hidden folder is no bundle", map[string]string{
			"content/posts/.trash/index.md":    page(""),
			"content/posts/2026-04-01-file.md": "---\ntitle: F\ndate: 2026-04-01\n---\n",
		}, false, []want{{"/blog/file/", "", nil}}},
		{"draft bundle left out", map[string]string{
			"content/posts/2026-05-01-wip/index.md": page("draft: true\n"),
			"content/posts/2026-05-01-wip/a.txt":    "a",
		}, false, nil},
		{"draft bundle with --drafts", map[string]string{
			"content/posts/2026-05-01-wip/index.md": page("draft: true\n"),
			"content/posts/2026-05-01-wip/a.txt":    "a",
		}, true, []want{{"/blog/wip/", "content/posts/2026-05-01-wip", []string{"a.txt"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := sitetest.Write(t, site)
			writeFiles(t, dir, tc.files)
			s, err := Load(dir, Options{Drafts: tc.drafts})
			if err != nil {
				t.Fatal(err)
			}
			var got []want
			for _, p := range append(slices.Clone(s.Posts), s.Notes...) {
				w := want{url: p.URL()}
				if p.Bundle != nil {
					w.dir, w.files = p.Bundle.Dir, p.Bundle.Files
					if p.Path != dir+"/"+p.Bundle.Dir+"/index.md" {
						t.Errorf("bundle page path %q, want its index.md", p.Path)
					}
				}
				got = append(got, w)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("pages %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i].url != tc.want[i].url || got[i].dir != tc.want[i].dir || !slices.Equal(got[i].files, tc.want[i].files) {
					t.Errorf("page %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBundleProblems: a folder that is no bundle, a bundle whose slug
// collides, and a broken index.md are reported with the folder or file.
func TestBundleProblems(t *testing.T) {
	site := "-- content/site.yaml --\n" + sitetest.MinimalSiteYAML
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"folder without index.md", map[string]string{
			"content/posts/2026-05-01-rack-tour/rack.png": "PNG",
		}, []string{"content/posts/2026-05-01-rack-tour: folder without index.md: a folder in content/posts is a page bundle, 2026-05-01-rack-tour/index.md plus the files it shows; add the index.md or move the folder out of content/posts"}},
		{"note folder without index.md", map[string]string{
			"content/notes/misc/README.md": "x",
		}, []string{"content/notes/misc: folder without index.md: a folder in content/notes is a page bundle, misc/index.md plus the files it shows; add the index.md or move the folder out of content/notes"}},
		{"same slug as a file post", map[string]string{
			"content/posts/2026-05-01-rack/index.md": "---\ntitle: A\ndate: 2026-05-01\n---\n",
			"content/posts/2026-04-01-rack.md":       "---\ntitle: B\ndate: 2026-04-01\n---\n",
		}, []string{`content/posts/2026-05-01-rack/index.md: slug: duplicate slug "rack": content/posts/2026-04-01-rack.md has the same URL /blog/rack/`}},
		{"index.md without date", map[string]string{
			"content/posts/2026-05-01-rack/index.md": "---\ntitle: A\n---\n",
		}, []string{"content/posts/2026-05-01-rack/index.md:2: date: required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := sitetest.Write(t, site)
			writeFiles(t, dir, tc.files)
			_, err := Load(dir, Options{})
			list, ok := diag.As(err)
			if !ok {
				t.Fatalf("Load: %v, want input problems", err)
			}
			var got []string
			for _, p := range list {
				got = append(got, strings.ReplaceAll(p.Error(), dir+"/", ""))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestMedia: content/media is listed recursively without hidden files;
// a site without it has none.
func TestMedia(t *testing.T) {
	dir := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML)
	s, err := Load(dir, Options{})
	if err != nil || s.Media != nil {
		t.Fatalf("no media folder: %v, %q", err, s.Media)
	}
	writeFiles(t, dir, map[string]string{
		"content/media/logo.svg":        "<svg/>",
		"content/media/docs/manual.pdf": "%PDF",
		"content/media/.hidden":         "x",
		"content/media/.cache/x.bin":    "x",
	})
	s, err = Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"docs/manual.pdf", "logo.svg"}; !slices.Equal(s.Media, want) {
		t.Errorf("media = %q, want %q", s.Media, want)
	}
}

// TestResourceSymlinksOut: a bundle file or media file that is a symlink
// out of the site is refused with its path, like every file the build
// reads (SECURITY.md); one that stays inside the site is published.
func TestResourceSymlinksOut(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	dir := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML+
		"-- content/posts/2026-05-01-rack/index.md --\n---\ntitle: A\ndate: 2026-05-01\n---\n"+
		"-- content/posts/2026-05-01-rack/inside.txt --\ninside\n")
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("TOKEN"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "content", "media"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"content/posts/2026-05-01-rack/leak.txt": outside,
		"content/posts/2026-05-01-rack/same.txt": "inside.txt",
		"content/media/leak.txt":                 outside,
	} {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Load(dir, Options{})
	list, ok := diag.As(err)
	if !ok {
		t.Fatalf("Load: %v, want input problems", err)
	}
	var got []string
	for _, p := range list {
		got = append(got, strings.ReplaceAll(p.Error(), dir+"/", ""))
	}
	want := []string{
		"content/media/leak.txt: symlink outside the site",
		"content/posts/2026-05-01-rack/leak.txt: symlink outside the site",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n got %q\nwant %q", got, want)
	}
	if err := os.Remove(filepath.Join(dir, "content/posts/2026-05-01-rack/leak.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "content/media/leak.txt")); err != nil {
		t.Fatal(err)
	}
	s, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Posts[0].Bundle.Files; !slices.Equal(got, []string{"inside.txt", "same.txt"}) {
		t.Errorf("files = %q", got)
	}
}
