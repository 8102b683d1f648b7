package pagesrv

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labfront/labfront/internal/testkit/sitetest"
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
-- blog/post/img/rack.480.0123456789.png --
png
-- blog/post/img/rack.svg --
<svg/>
-- blog/post/notes.pdf --
pdf
-- _redirects --
/old/* /blog/:splat 301
/p/:slug/:file /blog/:slug/img/:file 302
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

/blog/*.png
  ! Cache-Control
  Cache-Control: immutable

/blog/*/*.pdf
  X-Two-Splats: never
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
		// A splat inside a path matches at any depth, and only the
		// whole path: the SVG and the PDF beside the PNG keep the
		// catch-all's caching, and Pages drops a rule with two splats.
		{path: "/blog/post/img/rack.480.0123456789.png", status: 200, headers: map[string]string{"Cache-Control": "immutable", "X-Frame-Options": "DENY"}},
		{path: "/blog/post/img/rack.svg", status: 200, headers: map[string]string{"Cache-Control": "public, max-age=60"}},
		{path: "/blog/post/notes.pdf", status: 200, headers: map[string]string{"Cache-Control": "public, max-age=60", "X-Two-Splats": ""}},
		// Placeholders match one segment each and fill the target.
		{path: "/p/post/rack.svg", status: 302, location: "/blog/post/img/rack.svg"},
		{path: "/p/post/img/rack.svg", status: 404},
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
