//go:build unix

package pagesrv

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// TestHandlerSymlinks: a symlink in the served tree never serves a file
// from outside it (a 404, as for a missing file), a FIFO is not served
// (nor does it hang the answer), and a symlink that stays inside works.
func TestHandlerSymlinks(t *testing.T) {
	root := sitetest.Write(t, site)
	outside := sitetest.Write(t, "-- secret.txt --\nTOKEN=hunter2\n")
	for link, target := range map[string]string{
		"passwd.txt":    "/etc/passwd",
		"secret.txt":    filepath.Join(outside, "secret.txt"),
		"up.txt":        "../" + filepath.Base(outside) + "/secret.txt",
		"out":           outside,
		"feed-copy.xml": "feed.xml",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(root, "pipe.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := Handler{Root: root}
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/passwd.txt", 404}, {"/secret.txt", 404}, {"/up.txt", 404}, {"/out/secret.txt", 404}, {"/out/", 404},
		{"/pipe.txt", 404}, {"/feed-copy.xml", 200},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.status || strings.Contains(rec.Body.String(), "hunter2") || strings.Contains(rec.Body.String(), "root:") {
			t.Errorf("%s: %d %q, want %d", tc.path, rec.Code, rec.Body.String(), tc.status)
		}
	}
}
