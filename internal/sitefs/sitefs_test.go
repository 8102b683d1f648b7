//go:build unix

package sitefs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/labfront/labfront/internal/diag"
)

// newSite makes a checkout with a file, a folder and, beside it (outside
// the checkout), a secret.
func newSite(t *testing.T) (dir, outside string) {
	t.Helper()
	base := t.TempDir()
	dir = filepath.Join(base, "site")
	outside = filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(dir, "static", "img"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for p, data := range map[string]string{
		filepath.Join(dir, "static", "site.css"):     "body{}",
		filepath.Join(dir, "static", "img", "a.svg"): "<svg/>",
		filepath.Join(outside, "secret"):             "TOKEN=hunter2",
	} {
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, outside
}

// TestReadFile: what is inside the site is read, through symlinks too;
// every way out of it and every special file is refused with the reason
// and the path, as an input problem.
func TestReadFile(t *testing.T) {
	for _, tc := range []struct {
		name    string
		link    string // created at static/x, pointing here; $OUT is the outside folder
		fifo    bool
		read    string // the name to read
		want    string // the content, or
		wantErr error
		errPath string
	}{
		{name: "plain file", read: "static/site.css", want: "body{}"},
		{name: "relative symlink inside", link: "site.css", read: "static/x", want: "body{}"},
		{name: "symlinked folder inside", link: "img", read: "static/x/a.svg", want: "<svg/>"},
		{name: "proc environ", link: "/proc/self/environ", read: "static/x", wantErr: ErrOutside, errPath: "static/x"},
		{name: "etc passwd", link: "/etc/passwd", read: "static/x", wantErr: ErrOutside, errPath: "static/x"},
		{name: "relative way out", link: "../../outside/secret", read: "static/x", wantErr: ErrOutside, errPath: "static/x"},
		{name: "absolute symlink to outside", link: "$OUT/secret", read: "static/x", wantErr: ErrOutside, errPath: "static/x"},
		{name: "absolute symlink inside", link: "$SITE/static/site.css", read: "static/x", wantErr: ErrAbsoluteLink, errPath: "static/x"},
		{name: "symlinked folder outside", link: "$OUT", read: "static/x/secret", wantErr: ErrOutside, errPath: "static/x"},
		{name: "dangling outside", link: "/nonexistent/file", read: "static/x", wantErr: ErrOutside, errPath: "static/x"},
		{name: "fifo", fifo: true, read: "static/x", wantErr: ErrNotRegular, errPath: "static/x"},
		{name: "missing", read: "static/none", wantErr: fs.ErrNotExist},
		{name: "dot dot", read: "../outside/secret", wantErr: fs.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, outside := newSite(t)
			x := filepath.Join(dir, "static", "x")
			if tc.link != "" {
				target := strings.ReplaceAll(strings.ReplaceAll(tc.link, "$OUT", outside), "$SITE", dir)
				if err := os.Symlink(target, x); err != nil {
					t.Fatal(err)
				}
			}
			if tc.fifo {
				if err := syscall.Mkfifo(x, 0o644); err != nil {
					t.Skipf("no FIFOs here: %v", err)
				}
			}
			s, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := s.ReadFile(tc.read)
			if tc.wantErr == nil {
				if err != nil || string(got) != tc.want {
					t.Fatalf("%q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || got != nil {
				t.Fatalf("%q, %v; want %v", got, err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error shows the secret: %v", err)
			}
			if tc.errPath == "" {
				return
			}
			want := filepath.ToSlash(filepath.Join(dir, tc.errPath)) + ": " + tc.wantErr.Error()
			if err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			// However the build wraps it, it is an input problem.
			probs, ok := diag.As(errors.Join(errors.New("context"), err))
			if !ok || len(probs) != 1 || probs[0].Error() != want {
				t.Errorf("as a problem: %v, %v", probs, ok)
			}
		})
	}
}

// TestWalk: a walk of a folder lists symlinks to files that stay inside
// as those files, and hands every other symlink to the callback, where
// reading it is refused: one out of the site, and one to a folder, inside
// or not (a loop, or the 2^n paths of links to links, cannot happen).
func TestWalk(t *testing.T) {
	dir, outside := newSite(t)
	for link, target := range map[string]string{"css": "site.css", "pics": "img", "loop": "..", "secret": filepath.Join(outside, "secret"), "out": outside} {
		if err := os.Symlink(target, filepath.Join(dir, "static", link)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var files, refused []string
	err = fs.WalkDir(s.FS("static"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if _, err := fs.ReadFile(s.FS("static"), p); err != nil {
			if !errors.Is(err, ErrOutside) && !errors.Is(err, ErrLinkedFolder) {
				t.Errorf("%s: %v", p, err)
			}
			refused = append(refused, p)
			return nil
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"css", "img/a.svg", "site.css"}; !slices.Equal(files, want) {
		t.Errorf("read %v, want %v", files, want)
	}
	if want := []string{"loop", "out", "pics", "secret"}; !slices.Equal(refused, want) {
		t.Errorf("refused %v, want %v", refused, want)
	}
}

// TestFolder: the checkout's folder when it has one, the fallback when
// not, and never the fallback for a folder that leads out of the site.
func TestFolder(t *testing.T) {
	dir, outside := newSite(t)
	fallback := os.DirFS(outside)
	if _, err := fs.Stat(Folder(dir, "static", fallback), "site.css"); err != nil {
		t.Errorf("the site's static/: %v", err)
	}
	if _, err := fs.Stat(Folder(dir, "web/ts", fallback), "secret"); err != nil {
		t.Errorf("no web/ts: not the fallback: %v", err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "ts")); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadDir(Folder(dir, "ts", fallback), "."); !errors.Is(err, ErrOutside) {
		t.Errorf("a folder symlinked out of the site: %v", err)
	}
}
