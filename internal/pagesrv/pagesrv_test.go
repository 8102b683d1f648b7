package pagesrv

import (
	"net/http"
	"net/http/httptest"
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
