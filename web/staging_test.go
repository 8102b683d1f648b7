package web

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
)

// TestStaleStagingRemoved: a build removes the staging directories that
// builds killed before it left beside dist/ (their lock is free), and
// leaves alone one a running build holds and one that is not provably
// labfront's. Its own staging directory and lock file are gone when it
// is done, and the lock file never reaches dist/.
func TestStaleStagingRemoved(t *testing.T) {
	src := sitetest.Write(t, testSite)
	parent := t.TempDir()
	out := filepath.Join(parent, "dist")
	opts := Options{Src: src, Out: out, Static: static.FS(), Islands: Islands()}
	if _, err := Build(context.Background(), opts); err != nil {
		t.Fatal(err)
	}

	stage := func(name string) string {
		t.Helper()
		dir := filepath.Join(parent, ".dist.new-"+name)
		if err := os.MkdirAll(filepath.Join(dir, "blog"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "blog", "index.html"), []byte("half a site"), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	killed := stage("killed")
	f, err := lockStaging(killed)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil { // the build that held it is gone
		t.Fatal(err)
	}
	running := stage("running")
	held, err := lockStaging(running)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	foreign := stage("foreign") // no lock file: not ours to judge

	for _, full := range []bool{false, true} {
		opts.Clean = full
		if _, err := Build(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
	}
	for dir, want := range map[string]bool{killed: false, running: true, foreign: true} {
		_, err := os.Stat(dir)
		if got := err == nil; got != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(dir), got, want)
		}
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, ".dist.new-") && n != filepath.Base(running) && n != filepath.Base(foreign) {
			t.Errorf("%s left behind", n)
		}
	}
	if _, err := os.Stat(filepath.Join(out, stagingLock)); err == nil {
		t.Errorf("%s was published", stagingLock)
	}
}

// TestLockFree: a lock held through another open file is not free; once
// that file is closed it is.
func TestLockFree(t *testing.T) {
	dir := t.TempDir()
	f, err := lockStaging(dir)
	if err != nil {
		t.Fatal(err)
	}
	if free, err := lockFree(filepath.Join(dir, stagingLock)); err != nil || free {
		t.Fatalf("held lock: free=%v err=%v", free, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if free, err := lockFree(filepath.Join(dir, stagingLock)); err != nil || !free {
		t.Fatalf("released lock: free=%v err=%v", free, err)
	}
	if n := removeStale(filepath.Join(dir, "dist"), slog.New(slog.DiscardHandler)); n != 0 {
		t.Errorf("removed %d directories from a folder with none", n)
	}
}

// TestLegacyOldTree: the previous site an older labfront's swap left as
// .dist.new-<digits>.old when it was killed is put back when dist/ is
// missing (even by a build that then fails on its input) and removed
// when dist/ is there; a directory that does not look like a build, or
// whose name os.MkdirTemp could not have made, is left alone.
func TestLegacyOldTree(t *testing.T) {
	src := sitetest.Write(t, testSite)
	tests := []struct {
		name      string
		dir       string
		build     bool // a 404.html inside
		distThere bool
		wantLeft  bool
		wantBack  bool // becomes dist/
	}{
		{"after the swap", ".dist.new-123.old", true, true, false, false},
		{"between the renames", ".dist.new-123.old", true, false, false, true},
		{"not a build", ".dist.new-123.old", false, true, true, false},
		{"not a temp name", ".dist.new-abc.old", true, true, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "dist")
			opts := Options{Src: src, Out: out, Static: static.FS(), Islands: Islands()}
			if _, err := Build(context.Background(), opts); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(parent, tc.dir)
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			marker := "old site"
			if tc.build {
				if err := os.WriteFile(filepath.Join(dir, "404.html"), []byte(marker), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if !tc.distThere {
				if err := os.RemoveAll(out); err != nil {
					t.Fatal(err)
				}
			}
			// A build that fails on its input: only the clean-up runs.
			bad := Options{Src: t.TempDir(), Out: out, Static: static.FS(), Islands: Islands()}
			if _, err := Build(context.Background(), bad); err == nil {
				t.Fatal("a build of an empty source succeeded")
			}
			if _, err := os.Stat(dir); (err == nil) != tc.wantLeft {
				t.Errorf("%s exists: %v, want %v", tc.dir, err == nil, tc.wantLeft)
			}
			got, err := os.ReadFile(filepath.Join(out, "404.html"))
			if back := err == nil && string(got) == marker; back != tc.wantBack {
				t.Errorf("put back as dist/: %v, want %v (%v)", back, tc.wantBack, err)
			}
			if tc.distThere && err != nil {
				t.Errorf("dist/ lost: %v", err)
			}
		})
	}
}
