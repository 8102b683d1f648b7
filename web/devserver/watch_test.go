package devserver

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fsnotify/fsnotify"
)

// TestAddTreeWatchesBundles: fsnotify watches one folder at a time, so a
// page bundle's folders (content/posts/<bundle>/img/) must each be
// watched for an edit to a picture in them to rebuild the site.
func TestAddTreeWatchesBundles(t *testing.T) {
	src := t.TempDir()
	want := []string{
		filepath.Join(src, "content"),
		filepath.Join(src, "content", "media"),
		filepath.Join(src, "content", "media", "docs"),
		filepath.Join(src, "content", "posts"),
		filepath.Join(src, "content", "posts", "2026-05-01-rack-tour"),
		filepath.Join(src, "content", "posts", "2026-05-01-rack-tour", "img"),
	}
	for _, d := range want {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := addTree(w, filepath.Join(src, "content")); err != nil {
		t.Fatal(err)
	}
	got := w.WatchList()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("watched:\n got %q\nwant %q", got, want)
	}
}
