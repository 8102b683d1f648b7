package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWalkSkipsWhatWranglerSkips(t *testing.T) {
	dir := smallSite(t, map[string]string{
		"index.html":               "<p>hi",
		"_headers":                 "h",
		"_redirects":               "r",
		"_routes.json":             "{}",
		"_worker.js":               "w",
		"functions/api.js":         "f",
		".wrangler/state":          "s",
		".DS_Store":                "d",
		"blog/.DS_Store":           "d",
		"node_modules/x/index.js":  "n",
		"assets/node_modules/y.js": "n",
		".git/HEAD":                "g",
		"blog/x/index.html":        "<p>x",
		"blog/_headers":            "not special below the top",
		".well-known/security.txt": "contact",
	})
	outside := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(outside, []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	assets, err := Walk(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".well-known/security.txt", "blog/_headers", "blog/x/index.html", "index.html"}
	if got := names(assets); !slices.Equal(got, want) {
		t.Errorf("walked %v\nwant %v", got, want)
	}
	for _, a := range assets {
		if a.Hash != AssetHash(a.Name, []byte(mustRead(t, a.Path))) || a.Size == 0 || a.ContentType == "" {
			t.Errorf("asset %+v", a)
		}
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWalkRefusesTooBigFiles(t *testing.T) {
	dir := smallSite(t, map[string]string{"ok.html": "x"})
	big := filepath.Join(dir, "video", "huge.mp4")
	if err := os.MkdirAll(filepath.Dir(big), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: no 25 MiB written to disk.
	if err := f.Truncate(MaxAssetSize + 1); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Walk(dir)
	if err == nil || !strings.Contains(err.Error(), big) || !strings.Contains(err.Error(), "25 MiB") {
		t.Errorf("err = %v, want one naming %s and the limit", err, big)
	}
}

func TestWalkMissingDirectory(t *testing.T) {
	_, err := Walk(filepath.Join(t.TempDir(), "dist"))
	if err == nil || !strings.Contains(err.Error(), "does not exist (build the site first)") {
		t.Errorf("err = %v", err)
	}
}
