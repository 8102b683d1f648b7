package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
)

// bundleSite has a post bundle with nested files, a note bundle, a draft
// bundle and site-wide media. Its bundle links every way a bundle can.
const bundleSite = `
-- content/site.yaml --
title: Test Lab
base_url: https://lab.test/
feed_limit: 10
-- content/posts/2026-05-01-rack-tour/index.md --
---
title: Rack tour
date: 2026-05-01
---
The rack: ![rack](img/rack.png "front") and [the config](./config.yaml).

A shared logo ![logo](/media/logo.svg), a manual [PDF](/media/docs/manual%20v2.pdf),
the icon from static/ ![icon](/favicon.svg#x), [the other post](../other/)
and [a section](#part).

## Part
-- content/posts/2026-05-01-rack-tour/config.yaml --
ingress:
  - service: http_status:404
-- content/posts/2026-05-01-rack-tour/.secret-notes.txt --
not for the site
-- content/posts/2026-04-01-other.md --
---
title: Other
date: 2026-04-01
---
Back to [the rack](/blog/rack-tour/img/rack.png).
-- content/notes/ingress/index.md --
---
title: Ingress
date: 2026-03-01
---
![diagram](diagram.svg)
-- content/notes/ingress/diagram.svg --
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>
-- content/posts/2026-06-01-wip/index.md --
---
title: Work in progress
date: 2026-06-01
draft: true
---
![plan](plan.txt)
-- content/posts/2026-06-01-wip/plan.txt --
draft plan
-- content/media/logo.svg --
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"/>
-- content/media/docs/manual v2.pdf --
%PDF-1.4 pretend
`

// blobBin is not valid UTF-8 and holds NUL and CR LF: the copy of a file
// that is not an image must be byte for byte.
const blobBin = "\x89PNG\r\n\x1a\n\x00\xff\xfe binary\r\n"

// testPNG is a w×h PNG, a gradient varied by seed: a real image for the
// build to process.
func testPNG(t testing.TB, w, h int, seed uint8) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetRGBA(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), seed * 40, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeBundleSite(t *testing.T) string {
	t.Helper()
	src := sitetest.Write(t, bundleSite)
	img := filepath.Join(src, "content", "posts", "2026-05-01-rack-tour", "img")
	if err := os.MkdirAll(img, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(img, "rack.png"), testPNG(t, 1000, 600, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(img, "firmware.bin"), []byte(blobBin), 0o644); err != nil {
		t.Fatal(err)
	}
	return src
}

// TestBundleOutputs: bundle files land under their page's URL and media
// under /media/, byte for byte; hidden files and a draft's files do not,
// unless --drafts publishes the draft.
func TestBundleOutputs(t *testing.T) {
	src := writeBundleSite(t)
	for _, drafts := range []bool{false, true} {
		t.Run(fmt.Sprintf("drafts=%v", drafts), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "dist")
			build(t, src, out, drafts)
			tree := sitetest.Tree(t, out)
			want := map[string]string{
				"blog/rack-tour/img/firmware.bin": blobBin,
				"blog/rack-tour/config.yaml":      "ingress:\n  - service: http_status:404\n",
				// SVGs are rebuilt by svgsafe: attributes sorted, no trailing
				// text outside the root.
				"notes/ingress/diagram.svg":    `<svg xmlns="http://www.w3.org/2000/svg" height="10" width="10"><rect height="10" width="10"/></svg>`,
				"media/logo.svg":               `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"/>`,
				"media/docs/manual v2.pdf":     "%PDF-1.4 pretend\n",
				"blog/rack-tour/index.html":    "",
				"blog/wip/plan.txt":            "draft plan\n",
				"blog/rack-tour/.secret-notes": "",
			}
			for p, body := range want {
				got, ok := tree[p]
				switch {
				case p == "blog/rack-tour/.secret-notes":
					for q := range tree {
						if strings.Contains(q, ".secret") {
							t.Errorf("hidden file published as %s", q)
						}
					}
				case p == "blog/wip/plan.txt" && !drafts:
					if ok {
						t.Errorf("%s: a draft's file is published without --drafts", p)
					}
				case !ok:
					t.Errorf("%s: missing", p)
				case body != "" && got != body:
					t.Errorf("%s = %q, want %q", p, got, body)
				}
			}
			// A raster image is published as its variants only: the
			// original's bytes would carry its metadata.
			if _, ok := tree["blog/rack-tour/img/rack.png"]; ok {
				t.Error("the original image is published")
			}
			variant := regexp.MustCompile(`^blog/rack-tour/img/rack\.(480|960|1000)\.[0-9a-f]{10}\.(png|webp)$`)
			var variants []string
			for q := range tree {
				if variant.MatchString(q) {
					variants = append(variants, q)
				}
			}
			if len(variants) != 3 {
				t.Errorf("variants of rack.png = %q, want 480, 960 and the full 1000", variants)
			}
			if !drafts {
				for p, body := range tree {
					if strings.Contains(body, "draft plan") || strings.Contains(p, "wip") {
						t.Errorf("%s carries the draft bundle", p)
					}
				}
			}
		})
	}
}

// TestBundleLinksInPages: the page keeps relative links relative (the
// browser resolves them from /blog/<slug>/, where the files are), and a
// link to a static file by its name goes to its fingerprinted URL.
func TestBundleLinksInPages(t *testing.T) {
	src := writeBundleSite(t)
	out := filepath.Join(t.TempDir(), "dist")
	build(t, src, out, false)
	page := sitetest.ReadFile(t, out, "blog/rack-tour/index.html")
	icon := regexp.MustCompile(`src="/assets/favicon\.[0-9a-f]{10}\.svg#x"`)
	for _, want := range []string{
		`href="./config.yaml"`, `src="/media/logo.svg"`,
		`href="/media/docs/manual%20v2.pdf"`, `href="../other/"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// The image shows its variants and links the full-size one; nothing
	// links the original, which is not published.
	if !regexp.MustCompile(`<a class="figure-link" href="/blog/rack-tour/img/rack\.1000\.[0-9a-f]{10}\.(png|webp)"><img src="/blog/rack-tour/img/rack\.960\.`).MatchString(page) {
		t.Errorf("the image is not the responsive markup:\n%s", page)
	}
	other := sitetest.ReadFile(t, out, "blog/other/index.html")
	if !regexp.MustCompile(`href="/blog/rack-tour/img/rack\.1000\.[0-9a-f]{10}\.(png|webp)"`).MatchString(other) {
		t.Errorf("a link to the image does not open the full-size variant:\n%s", other)
	}
	for name, html := range map[string]string{"rack-tour": page, "other": other} {
		if strings.Contains(html, "rack.png") {
			t.Errorf("%s still links the original rack.png", name)
		}
	}
	if !icon.MatchString(page) {
		t.Errorf("the static icon is not linked by its fingerprinted URL:\n%s", page)
	}
	if strings.Contains(page, `src="/favicon.svg`) {
		t.Error("the page still links /favicon.svg, which the site does not serve")
	}
	// The fingerprinted file exists: the rewrite points at a real file.
	m := regexp.MustCompile(`/assets/favicon\.[0-9a-f]{10}\.svg`).FindString(page)
	if _, err := os.Stat(filepath.Join(out, m)); err != nil {
		t.Errorf("rewritten URL %s has no file: %v", m, err)
	}
}

// TestFeedsUseAbsoluteResourceURLs: feed readers show content away from
// the site, so every link and image of a feed entry is absolute.
func TestFeedsUseAbsoluteResourceURLs(t *testing.T) {
	src := writeBundleSite(t)
	out := filepath.Join(t.TempDir(), "dist")
	build(t, src, out, false)
	var jf struct {
		Items []struct {
			URL         string `json:"url"`
			ContentHTML string `json:"content_html"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(sitetest.ReadFile(t, out, "feed.json")), &jf); err != nil {
		t.Fatal(err)
	}
	contents := map[string]string{}
	for _, it := range jf.Items {
		contents["json "+it.URL] = it.ContentHTML
	}
	atom := sitetest.ReadFile(t, out, "feed.xml")
	contents["atom"] = atom
	rack := contents["json https://lab.test/blog/rack-tour/"]
	// Pictures are one plain <img> of an absolute variant: feed
	// readers ignore srcset, and its candidates would be relative.
	img := regexp.MustCompile(`<img src="https://lab\.test/blog/rack-tour/img/rack\.960\.[0-9a-f]{10}\.(png|webp)" width="1000" height="600" alt="rack" title="front">`)
	if !img.MatchString(rack) {
		t.Errorf("JSON feed entry lacks the plain absolute image:\n%s", rack)
	}
	if strings.Contains(rack, "srcset") || strings.Contains(atom, "srcset") {
		t.Error("a feed carries srcset")
	}
	want := []string{
		`href="https://lab.test/blog/rack-tour/config.yaml"`,
		`src="https://lab.test/media/logo.svg"`,
		`href="https://lab.test/media/docs/manual%20v2.pdf"`,
		`href="https://lab.test/blog/other/"`,
		`href="https://lab.test/blog/rack-tour/#part"`,
	}
	for _, w := range want {
		if !strings.Contains(rack, w) {
			t.Errorf("JSON feed entry lacks %s:\n%s", w, rack)
		}
		// Atom carries the HTML escaped as text.
		if esc := strings.ReplaceAll(w, `"`, "&#34;"); !strings.Contains(atom, esc) {
			t.Errorf("Atom feed lacks %s", esc)
		}
	}
	if !regexp.MustCompile(`src="https://lab\.test/assets/favicon\.[0-9a-f]{10}\.svg#x"`).MatchString(rack) {
		t.Errorf("JSON feed entry does not link the fingerprinted icon:\n%s", rack)
	}
	if note := contents["json https://lab.test/notes/ingress/"]; !strings.Contains(note, `src="https://lab.test/notes/ingress/diagram.svg"`) {
		t.Errorf("note entry: %s", note)
	}
	attr := regexp.MustCompile(`(?:href|src)="([^"]*)"`)
	for name, c := range contents {
		if name == "atom" {
			continue
		}
		for _, m := range attr.FindAllStringSubmatch(c, -1) {
			if !strings.HasPrefix(m[1], "https://") {
				t.Errorf("%s: relative URL %q in a feed", name, m[1])
			}
		}
	}
}

// TestBundleLinkProblems: a link or image to a bundle file, a media file
// or a static file that does not exist is reported with path:line, and
// so is a file that would take the place of another output.
func TestBundleLinkProblems(t *testing.T) {
	site := "-- content/site.yaml --\n" + sitetest.MinimalSiteYAML
	for _, tc := range []struct {
		name    string
		archive string
		want    []string
	}{
		{"missing bundle file", `-- content/posts/2026-05-01-rack/index.md --
---
title: Rack
date: 2026-05-01
---
Fine ![a](a.txt), ![a](./a.txt), ![a](/blog/rack/a.txt).

Missing ![b](img/b.png) and [c](./c.yaml).
-- content/posts/2026-05-01-rack/a.txt --
A
`, []string{
			"content/posts/2026-05-01-rack/index.md:7: broken link ./c.yaml: no file c.yaml in the bundle content/posts/2026-05-01-rack",
			"content/posts/2026-05-01-rack/index.md:7: broken link img/b.png: no file img/b.png in the bundle content/posts/2026-05-01-rack",
		}},
		{"missing media file", `-- content/notes/n.md --
---
title: N
date: 2026-05-01
---
![x](/media/nope.png)
-- content/media/yes.txt --
Y
`, []string{"content/notes/n.md:5: broken link /media/nope.png: no file content/media/nope.png"}},
		{"file beside a single-file post", `-- content/posts/2026-05-01-flat.md --
---
title: Flat
date: 2026-05-01
---
![x](photo.txt)
-- content/posts/photo.txt --
P
`, []string{"content/posts/2026-05-01-flat.md:5: broken link photo.txt: no page or file of the site has this URL (files beside a page need the page to be a bundle: a folder with an index.md)"}},
		{"missing static file", `-- content/posts/2026-05-01-flat.md --
---
title: Flat
date: 2026-05-01
---
![x](/photo.png)
`, []string{"content/posts/2026-05-01-flat.md:5: broken link /photo.png: no page or file of the site has this URL"}},
		{"a draft bundle's file", `-- content/posts/2026-05-01-flat.md --
---
title: Flat
date: 2026-05-01
---
![x](/blog/wip/plan.txt)
-- content/posts/2026-06-01-wip/index.md --
---
title: WIP
date: 2026-06-01
draft: true
---
-- content/posts/2026-06-01-wip/plan.txt --
P
`, []string{"content/posts/2026-05-01-flat.md:5: broken link /blog/wip/plan.txt: no page or file of the site has this URL"}},
		{"a bundle file in the page's place", `-- content/posts/2026-05-01-rack/index.md --
---
title: Rack
date: 2026-05-01
---
-- content/posts/2026-05-01-rack/index.html --
<script>alert(1)</script>
`, []string{"content/posts/2026-05-01-rack/index.html: would be published at /blog/rack/index.html, which the site already has (a page or another file); rename the file"}},
		{"an SVG that would run script", `-- content/posts/2026-05-01-rack/index.md --
---
title: Rack
date: 2026-05-01
---
![rack](rack.svg)
-- content/posts/2026-05-01-rack/rack.svg --
<svg xmlns="http://www.w3.org/2000/svg">
  <rect width="10" height="10" onclick="alert(1)"/>
</svg>
-- content/media/logo.svg --
<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>
`, []string{
			"content/media/logo.svg:1: <script> is not allowed in an SVG: it would run on the site's origin",
			"content/posts/2026-05-01-rack/rack.svg:2: <rect> onclick: event handler attributes are not allowed in an SVG: they run script",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := sitetest.Write(t, site+tc.archive)
			_, err := Check(Options{Src: src, Static: static.FS(), Islands: Islands()})
			list, ok := diag.As(err)
			if !ok {
				t.Fatalf("want problems, got %v", err)
			}
			var got []string
			for _, p := range list {
				got = append(got, strings.ReplaceAll(p.Error(), src+"/", ""))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
