package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, first rewriting the file with
// got under -update (unless write is false: a test that checks the same
// file twice writes it once). test names the test, for the message.
func golden(t *testing.T, name, test, got string, write bool) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update && write {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("differs from %s (go test -run %s -update to accept):\n got:\n%s\nwant:\n%s", path, test, got, want)
	}
}

// pictureSite shows one photo every way Markdown can point at it, a
// shared media image, an animated GIF and an image too small for any
// responsive width.
const pictureSite = `
-- content/site.yaml --
title: Test Lab
base_url: https://lab.test/
-- content/posts/2026-05-01-rack/index.md --
---
title: Rack
date: 2026-05-01
---
The rack: ![The rack, front](img/rack.png "front")

Again ![The rack & "cables"](./img/rack.png), root-relative
![rack](/blog/rack/img/rack.png) and from media ![network](/media/net.png).

A link [full size](img/rack.png#top), a linked image
[![rack, linked](img/rack.png)](https://example.test/), an animation
![blinking LED](blink.gif), a small icon ![icon](icon.png) and an
external one ![badge](https://example.test/b.png).

Drawings scale: ![wiring](wiring.svg "patch panel") sized by its viewBox,
![logo](/media/logo.svg) by its width and height in millimetres, and
[the wiring alone](wiring.svg) as a link.
-- content/posts/2026-05-01-rack/wiring.svg --
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 360"><rect width="640" height="360"/></svg>
-- content/media/logo.svg --
<svg xmlns="http://www.w3.org/2000/svg" width="10mm" height="5mm" viewBox="0 0 2 1"><rect width="2" height="1"/></svg>
`

func writePictureSite(t *testing.T) string {
	t.Helper()
	src := sitetest.Write(t, pictureSite)
	bundle := filepath.Join(src, "content", "posts", "2026-05-01-rack")
	for name, data := range map[string][]byte{
		filepath.Join(bundle, "img", "rack.png"):          withPNGText(testPNG(t, 1000, 600, 1), "Location", gpsText),
		filepath.Join(bundle, "icon.png"):                 testPNG(t, 64, 32, 2),
		filepath.Join(bundle, "blink.gif"):                testGIF(t, 40, 20),
		filepath.Join(src, "content", "media", "net.png"): testPNG(t, 1700, 850, 3),
	} {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return src
}

// gpsText stands for the metadata a photo carries: no output may hold it.
const gpsText = "GPS 52.3702N 4.8952E"

// withPNGText inserts a tEXt chunk after a PNG's IHDR.
func withPNGText(data []byte, key, text string) []byte {
	body := append([]byte("tEXt"+key+"\x00"), text...)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(body)-4))
	chunk = append(chunk, body...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(body))
	const afterIHDR = 8 + 25
	return slices.Concat(data[:afterIHDR], chunk, data[afterIHDR:])
}

// testGIF is a two-frame w×h animation.
func testGIF(t testing.TB, w, h int) []byte {
	t.Helper()
	g := &gif.GIF{LoopCount: 0}
	for i := range 2 {
		m := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9)
		for y := range h {
			for x := range w {
				m.Set(x, y, color.RGBA{uint8(255 * i), uint8(x * 4), 0, 255})
			}
		}
		g.Image = append(g.Image, m)
		g.Delay = append(g.Delay, 50)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPictureMarkupGolden holds the body of a page with pictures, as the
// page and as the feeds carry it, to testdata/pictures.golden.html (run
// go test -update to accept a change).
func TestPictureMarkupGolden(t *testing.T) {
	src := writePictureSite(t)
	p, err := assemble(Options{Src: src, Static: static.FS(), Islands: Islands()}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.files.Close()
	var pg *content.Page
	for _, c := range p.site.Posts {
		if c.Slug == "rack" {
			pg = c
		}
	}
	if pg == nil {
		t.Fatal("no post rack")
	}
	page, err := p.body(pg)
	if err != nil {
		t.Fatal(err)
	}
	feed, err := p.feedBody(pg)
	if err != nil {
		t.Fatal(err)
	}
	got := "<!-- page -->\n" + string(page) + "<!-- feed -->\n" + string(feed)
	golden(t, "pictures.golden.html", "TestPictureMarkupGolden", got, true)
	// What the golden file must show, so accepting a wrong one fails too.
	imgs := regexp.MustCompile(`<img [^>]*>`).FindAllString(string(page), -1)
	if len(imgs) != 10 {
		t.Fatalf("%d images, want 10:\n%s", len(imgs), page)
	}
	for i, img := range imgs {
		external := strings.Contains(img, "example.test")
		lazy := strings.Contains(img, `loading="lazy" decoding="async"`)
		switch {
		case i == 0 && lazy:
			t.Errorf("the first image loads lazily: %s", img)
		case i > 0 && !external && !lazy:
			t.Errorf("image %d loads eagerly: %s", i, img)
		case !external && !regexp.MustCompile(` width="\d+" height="\d+" `).MatchString(img):
			t.Errorf("image %d has no intrinsic size: %s", i, img)
		}
	}
	for _, want := range []string{
		`<a class="figure-link" href="/blog/rack/img/rack.1000.`,
		`width="1000" height="600" alt="The rack, front" title="front">`,
		`alt="The rack &amp; &ldquo;cables&rdquo;"`,
		`width="1700" height="850" alt="network"`,
		`sizes="(min-width: 50rem) 48rem, calc(100vw - 2rem)"`,
		`<a href="https://example.test/"><img src="/blog/rack/img/rack.960.`,
		// SVGs keep their URL and get their size: the viewBox's, or
		// 10 mm × 5 mm at 96 px to the inch.
		`<a class="figure-link" href="wiring.svg"><img src="wiring.svg" width="640" height="360" alt="wiring" title="patch panel" loading="lazy" decoding="async"></a>`,
		`<img src="/media/logo.svg" width="38" height="19" alt="logo" loading="lazy" decoding="async">`,
		`<a href="wiring.svg">the wiring alone</a>`,
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %s", want)
		}
	}
	for _, img := range imgs {
		if (strings.Contains(img, "blink.") || strings.Contains(img, "icon.")) && strings.Contains(img, "srcset") {
			t.Errorf("a one-variant image has a srcset: %s", img)
		}
	}
	if strings.Contains(string(feed), "srcset") || strings.Contains(string(feed), "figure-link") {
		t.Errorf("the feed body carries srcset or the figure link:\n%s", feed)
	}
}

// TestPicturesPublished: every variant a page names exists, no output
// holds the original bytes, and nothing links the original path.
func TestPicturesPublished(t *testing.T) {
	src := writePictureSite(t)
	out := filepath.Join(t.TempDir(), "dist")
	build(t, src, out, false)
	tree := sitetest.Tree(t, out)
	for p, body := range tree {
		if strings.Contains(body, gpsText) {
			t.Errorf("%s carries the source's metadata", p)
		}
		for _, orig := range []string{"blog/rack/img/rack.png", "media/net.png", "blog/rack/blink.gif", "blog/rack/icon.png"} {
			if p == orig {
				t.Errorf("the original %s is published", p)
			}
		}
	}
	page := tree["blog/rack/index.html"]
	if strings.Contains(page, "rack.png") || strings.Contains(page, "net.png") {
		t.Errorf("the page links an original:\n%s", page)
	}
	// Every URL of a variant, from src, srcset and href, is a file whose
	// pixel width is the one in its name.
	urls := regexp.MustCompile(`/(?:blog/rack|media)/[^" ,]+\.(\d+)\.[0-9a-f]{10}\.(?:png|webp|gif|jpg)`).FindAllStringSubmatch(page, -1)
	if len(urls) < 10 {
		t.Fatalf("only %d variant URLs in the page", len(urls))
	}
	for _, u := range urls {
		body, ok := tree[u[0][1:]]
		if !ok {
			t.Errorf("%s: no such file", u[0])
			continue
		}
		if strings.HasSuffix(u[0], ".png") || strings.HasSuffix(u[0], ".gif") {
			cfg, _, err := image.DecodeConfig(strings.NewReader(body))
			if err != nil {
				t.Errorf("%s: %v", u[0], err)
			} else if u[1] != strconv.Itoa(cfg.Width) {
				t.Errorf("%s is %d px wide", u[0], cfg.Width)
			}
		}
	}
	if g := regexp.MustCompile(`blink\.40\.[0-9a-f]{10}\.gif`).FindString(page); g == "" {
		t.Error("the animated GIF is not published as a GIF")
	} else if a, err := gif.DecodeAll(strings.NewReader(tree["blog/rack/"+g])); err != nil || len(a.Image) != 2 {
		t.Errorf("the GIF is no longer animated: %v", err)
	}
}

// TestPictureProblems: an image without alt text, an image format the
// build refuses and an image too large to decode are reported by check
// and build with the file (and line) they are in, and fail both.
func TestPictureProblems(t *testing.T) {
	site := "-- content/site.yaml --\n" + sitetest.MinimalSiteYAML + `-- content/posts/2026-05-01-rack/index.md --
---
title: Rack
date: 2026-05-01
---
Fine ![a rack](a.png).

![](a.png) and ![ ](https://example.test/b.png)
`
	heic := "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
	for _, tc := range []struct {
		name  string
		files map[string][]byte
		want  []string
	}{
		{"no alt text", nil, []string{
			"content/posts/2026-05-01-rack/index.md:7: image without alt text: describe it for people who cannot see it (![what it shows](a.png))",
			"content/posts/2026-05-01-rack/index.md:7: image without alt text: describe it for people who cannot see it (![what it shows](https://example.test/b.png))",
		}},
		{"a HEIC photo", map[string][]byte{"content/media/phone.heic": []byte(heic)}, []string{
			"content/media/phone.heic: unsupported image: HEIC is not supported; use PNG, JPEG, GIF or WebP",
		}},
		{"a PNG that is not one", map[string][]byte{"content/posts/2026-05-01-rack/b.png": []byte("not an image")}, []string{
			"content/posts/2026-05-01-rack/b.png: unsupported image: not a PNG, JPEG, GIF or WebP image",
		}},
		{"too large", map[string][]byte{"content/media/wide.png": pngHeader(40000, 10)}, []string{
			"content/media/wide.png: image too large: 40000×10, a side over the limit of 30000 pixels",
		}},
		// Shown as an image, an SVG needs a size; linked, it does not.
		{"an SVG without a size", map[string][]byte{
			"content/posts/2026-05-01-rack/bare.svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="100%"><rect width="4" height="4"/></svg>`),
			"content/media/linked.svg":               []byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect width="4" height="4"/></svg>`),
			"index.md":                               []byte("\n![bare](bare.svg) and [linked](/media/linked.svg)\n"),
		}, []string{
			`content/posts/2026-05-01-rack/bare.svg:1: the <svg> has neither width and height nor a viewBox, so an <img> cannot reserve its size; add viewBox="0 0 W H" (shown as an image by content/posts/2026-05-01-rack/index.md:9)`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := sitetest.Write(t, site)
			files := map[string][]byte{"content/posts/2026-05-01-rack/a.png": testPNG(t, 20, 10, 1)}
			var appendMD []byte
			for f, d := range tc.files {
				if f == "index.md" {
					appendMD = d
					continue
				}
				files[f] = d
			}
			for f, d := range files {
				name := filepath.Join(src, filepath.FromSlash(f))
				if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(name, d, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tc.name != "no alt text" {
				editFile(t, filepath.Join(src, "content/posts/2026-05-01-rack/index.md"), func(s string) string {
					return strings.Replace(s, "![](a.png) and ![ ](https://example.test/b.png)", "", 1) + string(appendMD)
				})
			}
			opts := Options{Src: src, Static: static.FS(), Islands: Islands()}
			for stage, err := range map[string]error{
				"check": checkOnly(opts),
				"build": func() error {
					opts.Out = filepath.Join(t.TempDir(), "dist")
					_, err := Build(context.Background(), opts)
					return err
				}(),
			} {
				list, ok := diag.As(err)
				if !ok {
					t.Fatalf("%s: want problems, got %v", stage, err)
				}
				var got []string
				for _, p := range list {
					got = append(got, strings.ReplaceAll(p.Error(), src+"/", ""))
				}
				if !slices.Equal(got, tc.want) {
					t.Errorf("%s problems:\n got %q\nwant %q", stage, got, tc.want)
				}
			}
		})
	}
}

// pngHeader is the start of a w×h PNG: enough for its size to be read,
// no pixels.
func pngHeader(w, h int) []byte {
	var b bytes.Buffer
	// A 1×1 image's IHDR, with the size patched: png's encoder would
	// allocate the pixels.
	m := image.NewGray(image.Rect(0, 0, 1, 1))
	if err := png.Encode(&b, m); err != nil {
		panic(err)
	}
	d := b.Bytes()
	put := func(at, v int) { d[at], d[at+1], d[at+2], d[at+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v) }
	put(16, w)
	put(20, h)
	put(29, int(crc32.ChecksumIEEE(d[12:29])))
	return d
}

// TestIncrementalPictures: an unchanged rebuild decodes no image and
// writes nothing; a variant lost from the output is made again from the
// cached image without touching the pages; a clean build is the same tree.
func TestIncrementalPictures(t *testing.T) {
	src := writePictureSite(t)
	out := filepath.Join(t.TempDir(), "dist")
	first := mustBuild(t, buildOpts(src, out, false))
	// rack (3 variants), net (4: 480, 960, 1600 and 1700), blink, icon.
	if first.ImagesProcessed != 4 {
		t.Errorf("first build processed %d images, want 4", first.ImagesProcessed)
	}
	again := mustBuild(t, buildOpts(src, out, false))
	if again.ImagesProcessed != 0 || again.Written != 0 {
		t.Errorf("unchanged rebuild: processed %d images, wrote %d files; want 0 and 0", again.ImagesProcessed, again.Written)
	}
	m, err := filepath.Glob(filepath.Join(out, "media", "net.480.*"))
	if err != nil || len(m) != 1 {
		t.Fatalf("net.480 variant: %v, %v", m, err)
	}
	if err := os.Remove(m[0]); err != nil {
		t.Fatal(err)
	}
	lost := mustBuild(t, buildOpts(src, out, false))
	if lost.ImagesProcessed != 1 || lost.Written != 1 {
		t.Errorf("lost variant: processed %d images, wrote %d files; want 1 and 1", lost.ImagesProcessed, lost.Written)
	}
	clean := filepath.Join(t.TempDir(), "dist")
	cres := mustBuild(t, buildOpts(src, clean, true))
	if cres.ImagesProcessed != 4 {
		t.Errorf("clean build processed %d images, want all 4", cres.ImagesProcessed)
	}
	sameTree(t, out, clean)
}
