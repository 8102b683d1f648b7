package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	stdhtml "html"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/pagesrv"
	"github.com/labfront/labfront/internal/siteurl"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
)

// TestHeadersFileGolden holds _headers to testdata/headers.golden (go test
// -run TestHeadersFileGolden -update to accept a change), within Cloudflare
// Pages' limits of 100 rules and 2,000 characters a line.
func TestHeadersFileGolden(t *testing.T) {
	got, err := headersFile(headerRules())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "headers.golden", "TestHeadersFileGolden", got, true)
	if n := len(headerRules()); n > 100 {
		t.Errorf("%d header rules; Pages applies 100", n)
	}
	for i, l := range strings.Split(got, "\n") {
		if utf8.RuneCountInString(l) > 2000 {
			t.Errorf("_headers line %d has %d characters; Pages allows 2,000", i+1, utf8.RuneCountInString(l))
		}
	}
}

// TestHeadersFileLimits: a _headers that Pages would cut short (more than
// 100 rules, a line over 2,000 characters) is an error, not a deploy
// that silently loses its last rules; at the limits it is written.
func TestHeadersFileLimits(t *testing.T) {
	rules := func(n int) []headerRule {
		rs := make([]headerRule, n)
		for i := range rs {
			rs[i] = headerRule{path: fmt.Sprintf("/r%d/*", i), set: [][2]string{{"X-A", "b"}}}
		}
		return rs
	}
	if _, err := headersFile(rules(100)); err != nil {
		t.Errorf("100 rules: %v", err)
	}
	if s, err := headersFile(rules(101)); err == nil || !strings.Contains(err.Error(), "101 rules") {
		t.Errorf("101 rules: err = %v, wrote %d bytes", err, len(s))
	}
	value := func(n int) []headerRule { // "  X-A: " is 7 characters
		return []headerRule{{path: "/*", set: [][2]string{{"X-A", strings.Repeat("é", n-7)}}}}
	}
	if _, err := headersFile(value(2000)); err != nil {
		t.Errorf("a 2,000-character line: %v", err)
	}
	if _, err := headersFile(value(2001)); err == nil || !strings.Contains(err.Error(), "2001 characters") {
		t.Errorf("a 2,001-character line: err = %v", err)
	}
}

// TestLineFilesRefuseExtraLines: the _headers and _redirects writers
// themselves refuse a value that could end its line or split its fields,
// whatever validated it before (check, another caller, a future key).
func TestLineFilesRefuseExtraLines(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules []headerRule
	}{
		{"CRLF in a value", []headerRule{{path: "/*", set: [][2]string{{"X-A", "a\r\nSet-Cookie: s=1"}}}}},
		{"LF in a value", []headerRule{{path: "/*", set: [][2]string{{"X-A", "a\n/evil\n  X-B: c"}}}}},
		{"tab in a value", []headerRule{{path: "/*", set: [][2]string{{"X-A", "a\tb"}}}}},
		{"U+2028 in a value", []headerRule{{path: "/*", set: [][2]string{{"X-A", "a\u2028b"}}}}},
		{"colon in a name", []headerRule{{path: "/*", set: [][2]string{{"X-A: b\n  X-C", "d"}}}}},
		{"line break in a detach", []headerRule{{path: "/*", detach: []string{"X-A\n/evil"}}}},
		{"space in a path", []headerRule{{path: "/a /b", set: [][2]string{{"X-A", "b"}}}}},
		{"line break in a path", []headerRule{{path: "/a\n  X-A: b", set: [][2]string{{"X-A", "b"}}}}},
		{"empty path", []headerRule{{path: "", set: [][2]string{{"X-A", "b"}}}}},
	} {
		if s, err := headersFile(tc.rules); err == nil {
			t.Errorf("_headers, %s: written as %q, want an error", tc.name, s)
		}
	}
	for _, tc := range []struct {
		name string
		a    content.Alias
	}{
		{"LF in to", content.Alias{From: "/x", To: "https://lab.test/\n/* https://evil.example/ 302", Status: 301}},
		{"CR in to", content.Alias{From: "/x", To: "/y\r/* https://evil.example/", Status: 301}},
		{"space in to", content.Alias{From: "/x", To: "/y /z", Status: 301}},
		{"tab in from", content.Alias{From: "/x\t/y", To: "/z", Status: 301}},
		{"NEL in from", content.Alias{From: "/x\u0085/y", To: "/z", Status: 301}},
		{"U+2029 in to", content.Alias{From: "/x", To: "/y\u2029/z", Status: 301}},
		{"no-break space in to", content.Alias{From: "/x", To: "/y\u00a0/z", Status: 301}},
		{"empty from", content.Alias{From: "", To: "/z", Status: 301}},
		{"empty to", content.Alias{From: "/x", To: "", Status: 301}},
		{"from is a comment", content.Alias{From: "#/x", To: "/z", Status: 301}},
	} {
		if s, err := redirectsFile("/assets/favicon.1.svg", []content.Alias{tc.a}); err == nil {
			t.Errorf("_redirects, %s: written as %q, want an error", tc.name, s)
		}
	}
	got, err := redirectsFile("/assets/favicon.1.svg", []content.Alias{{From: "/old/*", To: "/new/:splat", Status: 301}, {From: "/gh", To: "https://github.com/op", Status: 302}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "/favicon.ico /assets/favicon.1.svg 302\n/old/* /new/:splat 301\n/gh https://github.com/op 302\n"; got != want {
		t.Errorf("_redirects = %q, want %q", got, want)
	}
}

// TestBuildRefusesInjectedRedirect: the case end to end. check
// names the line of the alias; build fails the same way and leaves no
// _redirects behind.
func TestBuildRefusesInjectedRedirect(t *testing.T) {
	src := sitetest.Write(t, `-- content/site.yaml --
title: T
base_url: https://lab.test
aliases:
  - from: /x
    to: "https://lab.test/\n/* https://evil.example/ 302"
`)
	opts := Options{Src: src, Out: filepath.Join(t.TempDir(), "dist"), Static: static.FS(), Islands: Islands()}
	want := `content/site.yaml:5: aliases[0].to: contains a line break (U+000A)`
	if _, err := Check(opts); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Check = %v, want %q", err, want)
	}
	if _, err := Build(context.Background(), opts); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Build = %v, want %q", err, want)
	}
	if _, err := os.Stat(filepath.Join(opts.Out, "_redirects")); err == nil {
		t.Error("a refused build wrote _redirects")
	}
	opts.BaseURL = "https://lab.test\nDisallow: /"
	if _, err := Check(Options{Src: sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML), BaseURL: opts.BaseURL, Static: static.FS(), Islands: Islands()}); err == nil || !strings.Contains(err.Error(), "--base-url: contains a line break") {
		t.Errorf("a --base-url with a line break: %v", err)
	}
}

// hidden is the fuzz oracle's own list of what must never be in a URL,
// written apart from siteurl so the two can disagree: C0, DEL, C1, every
// Unicode space and line or paragraph separator, the bidi controls, and
// the zero-width and byte-order marks.
func hidden(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f, unicode.IsSpace(r), r == 0x2028, r == 0x2029,
		r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
		r >= 0x200b && r <= 0x200d, r == 0xfeff, r == 0x2060:
		return true
	}
	return false
}

// schemeOK is the oracle for schemes: what a browser would read as the
// scheme, after decoding entities and dropping what it drops, must be one
// the site links to; a URL without one must be a path of this site.
func schemeOK(s string, kind siteurl.Kind) bool {
	decoded := strings.Map(func(r rune) rune {
		if r <= 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, stdhtml.UnescapeString(s))
	if c := strings.IndexByte(decoded, ':'); c >= 0 && !strings.ContainsAny(decoded[:c], "/?#") {
		switch strings.ToLower(decoded[:c]) {
		case "http", "https":
			return kind != siteurl.Path && strings.HasPrefix(strings.ToLower(s), strings.ToLower(decoded[:c])+"://")
		case "mailto", "tel":
			return kind == siteurl.Link
		}
		return false
	}
	return strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") && !strings.Contains(s, `\`) && kind != siteurl.Absolute
}

// FuzzSiteURL: whatever siteurl accepts has no hidden character and a
// scheme the site may link to (or is a path of the site), and an alias
// made of accepted values is exactly one _redirects line of three fields.
// The writer alone, on any input, never makes more than one line per rule.
func FuzzSiteURL(f *testing.F) {
	for _, s := range []string{
		"/", "/blog/", "/old/*", "/new/:splat", "https://lab.test/", "mailto:op@lab.test", "tel:+1555",
		"javascript:alert(1)", "java\tscript:alert(1)", "&#106;avascript:alert(1)", "JaVaScRiPt&colon;alert(1)",
		"data:text/html,x", "vbscript:x", "//evil.example", `/\evil.example`, "https://lab.test@evil.example",
		"https://lab.test/\n/* https://evil.example/ 302", "/a\u2028b", "/\u202ex", "/a\u00a0b", "\ufeff/a",
		"/a\x7f", "/a\u0085b", "https:evil.example", "#top", "blog/",
	} {
		f.Add(s, "/to/")
		f.Add("/from", s)
	}
	f.Fuzz(func(t *testing.T, from, to string) {
		for _, s := range []string{from, to} {
			for _, kind := range []siteurl.Kind{siteurl.Path, siteurl.Absolute, siteurl.Target, siteurl.Link} {
				if siteurl.Check(s, kind) != nil {
					continue
				}
				if !utf8.ValidString(s) {
					t.Fatalf("kind %d accepted invalid UTF-8 %q", kind, s)
				}
				for _, r := range s {
					if hidden(r) {
						t.Fatalf("kind %d accepted %q with U+%04X", kind, s, r)
					}
				}
				if !schemeOK(s, kind) {
					t.Fatalf("kind %d accepted %q: not a site path nor an allowed scheme", kind, s)
				}
			}
		}
		out, err := redirectsFile("", []content.Alias{{From: from, To: to, Status: 301}})
		if siteurl.Check(from, siteurl.Path) == nil && siteurl.Check(to, siteurl.Target) == nil && err != nil {
			t.Fatalf("accepted alias %q -> %q refused by the writer: %v", from, to, err)
		}
		if err != nil {
			return
		}
		line, ok := strings.CutSuffix(out, "\n")
		if !ok || strings.ContainsAny(line, "\r\n\u2028\u2029\u0085") {
			t.Fatalf("alias %q -> %q wrote %q: not exactly one line", from, to, out)
		}
		if fields := strings.Fields(line); len(fields) != 3 || fields[0] != from || fields[1] != to || fields[2] != "301" {
			t.Fatalf("alias %q -> %q wrote the fields %q", from, to, fields)
		}
	})
}

// TestImmutableCaching serves a built site with pictures in a bundle and
// in content/media/, beside an SVG, a PDF and a text file, through the
// local Pages server and asks for every file of dist/: a file whose name
// carries the hash of its bytes (picture variants, /assets/) is
// immutable, every other one (pages, feeds, the SVG, the PDF) keeps the
// short caching, since its URL stays the same when it changes.
var cardFileName = regexp.MustCompile(`^[a-z0-9-]+\.[0-9a-f]{10}\.png$`)

func TestImmutableCaching(t *testing.T) {
	src := writePictureSite(t)
	sitetest.WriteInto(t, src, `
-- content/posts/2026-05-01-rack/wiring.svg --
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 20"><rect width="40" height="20"/></svg>
-- content/posts/2026-05-01-rack/img/notes.pdf --
%PDF-1.4 not really
-- content/posts/2026-05-01-rack/rack.jpg.txt --
a text file with a picture's name in it
-- content/media/logo.svg --
<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><circle cx="8" cy="8" r="8"/></svg>
`)
	out := filepath.Join(t.TempDir(), "dist")
	if _, err := Build(context.Background(), Options{Src: src, Out: out, Static: static.FS(), Islands: Islands()}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pagesrv.Handler{Root: out})
	defer srv.Close()
	hashed, plain := 0, 0
	for rel, body := range sitetest.Tree(t, out) {
		if strings.HasPrefix(path.Base(rel), "_") {
			continue // _headers, _redirects, _worker.js: Pages does not serve them
		}
		sum := sha256.Sum256([]byte(body))
		isHashed := slices.Contains(strings.Split(path.Base(rel), "."), hex.EncodeToString(sum[:])[:10])
		// A card is named by the key of everything it is drawn from, not
		// by its bytes: the same key draws the same bytes, and
		// TestCardNames shows the name follows every input.
		isHashed = isHashed || strings.HasPrefix(rel, "cards/") && cardFileName.MatchString(path.Base(rel))
		res, err := srv.Client().Get(srv.URL + "/" + rel)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("/%s: status %d", rel, res.StatusCode)
			continue
		}
		cc := res.Header.Get("Cache-Control")
		switch {
		case isHashed && cc != immutable:
			t.Errorf("/%s is named by its hash but cached as %q", rel, cc)
		case !isHashed && strings.Contains(cc, "immutable"):
			t.Errorf("/%s keeps its URL when it changes but is cached as %q", rel, cc)
		}
		if isHashed {
			hashed++
		} else {
			plain++
		}
	}
	// The site must hold both kinds, variants of both places among them.
	tree := sitetest.Tree(t, out)
	for _, want := range []string{"blog/rack/wiring.svg", "blog/rack/img/notes.pdf", "blog/rack/rack.jpg.txt", "media/logo.svg"} {
		if _, ok := tree[want]; !ok {
			t.Errorf("dist/ has no %s", want)
		}
	}
	var variants []string
	for rel := range tree {
		if m, _ := path.Match("*/*/*.*.??????????.*", rel); m || strings.HasPrefix(rel, "media/net.") {
			variants = append(variants, rel)
		}
	}
	if len(variants) < 5 || hashed < 10 || plain < 10 {
		t.Errorf("%d hashed and %d plain files, variants %v: the site lost its pictures", hashed, plain, variants)
	}
}
