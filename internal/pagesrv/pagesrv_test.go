package pagesrv

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/labfront/labfront/internal/sitetest"
)

const site = `
-- index.html --
<html><body>home</body></html>
-- blog/index.html --
<html><body>blog</body></html>
-- blog/post/index.html --
<html><body>post</body></html>
-- 404.html --
<html><body>not found</body></html>
-- assets/site.abc.css --
body{}
-- feed.xml --
<feed/>
-- _redirects --
/old/* /blog/:splat 301
/rss.xml /feed.xml 301
/hidden /blog/post/ 200
-- _headers --
/*
  X-Frame-Options: DENY
  Cache-Control: public, max-age=60
  X-Multi: a

/assets/*
  ! Cache-Control
  Cache-Control: public, max-age=31536000, immutable

/feed.xml
  X-Multi: b
`

func TestHandler(t *testing.T) {
	h := Handler{Root: sitetest.Write(t, site)}
	for _, tc := range []struct {
		path, location, body string
		status               int
		headers              map[string]string
	}{
		{path: "/", status: 200, body: "<html><body>home</body></html>\n", headers: map[string]string{"X-Frame-Options": "DENY", "Cache-Control": "public, max-age=60"}},
		{path: "/blog/post/", status: 200, body: "<html><body>post</body></html>\n"},
		{path: "/blog/post", status: 308, location: "/blog/post/"},
		{path: "/nope/", status: 404, body: "<html><body>not found</body></html>\n"},
		{path: "/_headers", status: 404},
		{path: "/old/post/", status: 301, location: "/blog/post/"},
		{path: "/rss.xml", status: 301, location: "/feed.xml"},
		{path: "/hidden", status: 200, body: "<html><body>post</body></html>\n"},
		{path: "/assets/site.abc.css", status: 200, headers: map[string]string{"Cache-Control": "public, max-age=31536000, immutable", "X-Frame-Options": "DENY", "Content-Type": "text/css; charset=utf-8"}},
		{path: "/feed.xml", status: 200, headers: map[string]string{"X-Multi": "a, b"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			if tc.location != "" && rec.Header().Get("Location") != tc.location {
				t.Errorf("Location = %q, want %q", rec.Header().Get("Location"), tc.location)
			}
			if tc.body != "" && rec.Body.String() != tc.body {
				t.Errorf("body = %q, want %q", rec.Body.String(), tc.body)
			}
			for k, v := range tc.headers {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

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
