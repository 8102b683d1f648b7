package web

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/labfront/labfront/internal/card"
	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
)

// cardKeyInName is the key part of a card's file name (see cards.go).
var cardKeyInName = regexp.MustCompile(`\.[0-9a-f]{10}\.png$`)

// cardSite has a post with a cover wider than a preview, one whose cover
// (from content/media) is narrower, a post and a note without, and a lab.
const cardSite = `
-- content/site.yaml --
title: Card Lab
base_url: https://lab.test
description: A lab for cards.
nav:
  - {title: Blog, url: /blog/}
  - {title: Notes, url: /notes/}
-- content/posts/2026-05-01-rack/index.md --
---
title: Rack tour
date: 2026-05-01
summary: What is in the rack.
tags: [Hardware]
cover: img/rack.png
cover_alt: The 12U rack under the stairs, doors open
---
The rack, then the panel: ![The patch panel](img/panel.png)
-- content/posts/2026-04-01-small/index.md --
---
title: Small cover
date: 2026-04-01
cover: media/banner.png
cover_alt: A narrow banner
---
A post whose cover is narrower than a preview.
-- content/posts/2026-03-01-plain.md --
---
title: Plain post
date: 2026-03-01
summary: No cover here.
tags: [Go, Home Lab]
---
No cover here.
-- content/notes/ingress.md --
---
title: Ingress rules
date: 2026-02-01
tags: [Cloudflare]
---
A note.
-- content/lab.yaml --
title: The Lab
sites:
  - {id: north, name: North, networks: [{id: lan, name: LAN}]}
  - {id: south, name: South, networks: [{id: lan2, name: LAN}]}
nodes:
  - {id: hv1, name: hv-north, type: hypervisor, site: north}
  - {id: hv2, name: hv-south, type: hypervisor, site: south}
  - {id: nas, name: nas, type: nas, site: south}
  - {id: edge, name: Edge, type: cloud}
links:
  - {from: hv1, to: hv2, type: tailscale}
  - {from: hv2, to: nas, type: lan}
  - {from: hv1, to: edge, type: tunnel}
`

func writeCardSite(t *testing.T) string {
	t.Helper()
	src := sitetest.Write(t, cardSite)
	bundle := filepath.Join(src, "content", "posts", "2026-05-01-rack")
	for name, data := range map[string][]byte{
		filepath.Join(bundle, "img", "rack.png"):             testPNG(t, 1700, 900, 1),
		filepath.Join(bundle, "img", "panel.png"):            testPNG(t, 600, 300, 2),
		filepath.Join(src, "content", "media", "banner.png"): testPNG(t, 800, 300, 3),
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

// headTag finds the link-preview tags of a page's head.
var headTag = regexp.MustCompile(`<meta (?:property|name)="(?:og:|twitter:|article:)[^>]*>`)

// heroFigure is an article's cover.
var heroFigure = regexp.MustCompile(`<figure class="article-cover">.*?</figure>`)

// TestHeadMetaGolden holds the link-preview tags of a post with a cover,
// one with a cover narrower than a preview, a post and a note without
// (their cards), the architecture page (the topology card) and the home
// page (the site card), and the cover's hero markup, to
// testdata/head-meta.golden. Card keys are masked: they change with the
// card design and the palette, which TestCardNames covers. go test -run
// TestHeadMetaGolden -update accepts a change.
func TestHeadMetaGolden(t *testing.T) {
	src := writeCardSite(t)
	out := filepath.Join(t.TempDir(), "dist")
	build(t, src, out, false)
	var b strings.Builder
	for _, page := range []string{"blog/rack/", "blog/small/", "blog/plain/", "notes/ingress/", "architecture/", ""} {
		html := readOut(t, out, page+"index.html")
		b.WriteString("== /" + page + " ==\n")
		for _, tag := range headTag.FindAllString(html, -1) {
			b.WriteString(cardKeyInURL.ReplaceAllString(tag, ".KEY.png") + "\n")
		}
		if fig := heroFigure.FindString(html); fig != "" {
			b.WriteString(fig + "\n")
		}
	}
	got := b.String()
	golden(t, "head-meta.golden", "TestHeadMetaGolden", got, true)
}

var cardKeyInURL = regexp.MustCompile(`\.[0-9a-f]{10}\.png`)

func readOut(t *testing.T, out, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCoverPage: the cover is the page's first, eager picture, so the
// body's pictures all load lazily; its og:image is a published variant of
// the size it claims; the other pages' og:images are their cards.
func TestCoverPage(t *testing.T) {
	src := writeCardSite(t)
	out := filepath.Join(t.TempDir(), "dist")
	build(t, src, out, false)
	page := readOut(t, out, "blog/rack/index.html")
	fig := heroFigure.FindString(page)
	if fig == "" || !strings.Contains(fig, `fetchpriority="high"`) || strings.Contains(fig, "loading=") {
		t.Errorf("hero %q: want an eager, high-priority picture", fig)
	}
	if !regexp.MustCompile(`<img src="/blog/rack/img/panel\.[^>]*loading="lazy"`).MatchString(page) {
		t.Error("the body's first picture loads eagerly behind a cover")
	}
	for page, wantW := range map[string]int{"blog/rack/": 1600, "blog/small/": 800} {
		m := regexp.MustCompile(`<meta property="og:image" content="https://lab\.test/([^"]+)">`).FindStringSubmatch(readOut(t, out, page+"index.html"))
		if m == nil {
			t.Fatalf("%s: no og:image", page)
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader([]byte(readOut(t, out, m[1]))))
		if err != nil {
			t.Fatalf("%s: og:image %s: %v", page, m[1], err)
		}
		if cfg.Width != wantW {
			t.Errorf("%s: og:image %s is %d wide, want %d", page, m[1], cfg.Width, wantW)
		}
		// Both covers are published as lossless WebP, which some link
		// previews do not show: the og:image is a PNG with the same pixels.
		_, format, err := image.DecodeConfig(bytes.NewReader([]byte(readOut(t, out, m[1]))))
		if err != nil || format != "png" || !strings.HasSuffix(m[1], ".og.png") {
			t.Errorf("%s: og:image %s is %q (%v), want the PNG copy of a WebP variant", page, m[1], format, err)
		}
		if !strings.Contains(readOut(t, out, page+"index.html"), `<meta property="og:image:type" content="image/png">`) {
			t.Errorf("%s: og:image:type is not image/png", page)
		}
		webp := strings.TrimSuffix(m[1], ".og.png") + ".webp"
		if !samePixels(t, readOut(t, out, webp), readOut(t, out, m[1])) {
			t.Errorf("%s: %s and %s differ", page, m[1], webp)
		}
		if !strings.Contains(readOut(t, out, page+"index.html"), `<meta property="og:image:width" content="`+strconv.Itoa(cfg.Width)+`">`) ||
			!strings.Contains(readOut(t, out, page+"index.html"), `<meta property="og:image:height" content="`+strconv.Itoa(cfg.Height)+`">`) {
			t.Errorf("%s: og:image:width/height are not the variant's %d×%d", page, cfg.Width, cfg.Height)
		}
	}
}

// samePixels decodes two image files and compares them pixel by pixel.
func samePixels(t *testing.T, a, b string) bool {
	t.Helper()
	ma, _, err := image.Decode(strings.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	mb, _, err := image.Decode(strings.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if ma.Bounds() != mb.Bounds() {
		return false
	}
	for y := ma.Bounds().Min.Y; y < ma.Bounds().Max.Y; y++ {
		for x := ma.Bounds().Min.X; x < ma.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := ma.At(x, y).RGBA()
			r2, g2, b2, a2 := mb.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}

// TestCoverPreviewIsIncremental: a warm build neither makes nor writes the
// PNG copy of a WebP cover again; deleting it from the output makes it
// again, byte for byte.
func TestCoverPreviewIsIncremental(t *testing.T) {
	src := writeCardSite(t)
	out := filepath.Join(t.TempDir(), "dist")
	opts := Options{Src: src, Out: out, Static: static.FS(), Islands: Islands(), Cache: NewCache()}
	if _, err := Build(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	const preview = "blog/rack/img/rack.1600.a6ab60309e.og.png"
	first := readOut(t, out, preview)
	res, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.ImagesProcessed != 0 || res.Written != 0 {
		t.Errorf("warm build processed %d images and wrote %d files, want none", res.ImagesProcessed, res.Written)
	}
	if err := os.Remove(filepath.Join(out, preview)); err != nil {
		t.Fatal(err)
	}
	res, err = Build(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.ImagesProcessed != 1 || readOut(t, out, preview) != first {
		t.Errorf("after losing the preview: %d images processed, same bytes %v", res.ImagesProcessed, readOut(t, out, preview) == first)
	}
}

// cardFiles lists the cards of a build by path.
func cardFiles(t *testing.T, out string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(filepath.Join(out, "cards"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(out, p)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

// TestCardFiles: every page without a cover has a card, a 1200×630 PNG
// that its og:image names; pages with a cover have none.
func TestCardFiles(t *testing.T) {
	src := writeCardSite(t)
	out := filepath.Join(t.TempDir(), "dist")
	build(t, src, out, false)
	files := cardFiles(t, out)
	var masked []string
	for _, f := range files {
		masked = append(masked, cardKeyInName.ReplaceAllString(f, ".KEY.png"))
		cfg, err := png.DecodeConfig(bytes.NewReader([]byte(readOut(t, out, f))))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if cfg.Width != card.Width || cfg.Height != card.Height {
			t.Errorf("%s is %d×%d, want 1200×630", f, cfg.Width, cfg.Height)
		}
	}
	want := []string{"cards/architecture.KEY.png", "cards/notes/ingress.KEY.png", "cards/posts/plain.KEY.png", "cards/site.KEY.png"}
	if !slices.Equal(masked, want) {
		t.Fatalf("cards %q, want %q", masked, want)
	}
	for page, card := range map[string]string{"blog/plain/": "cards/posts/plain.", "notes/ingress/": "cards/notes/ingress.",
		"architecture/": "cards/architecture.", "": "cards/site.", "blog/": "cards/site.", "tags/": "cards/site."} {
		html := readOut(t, out, page+"index.html")
		i := slices.IndexFunc(files, func(f string) bool { return strings.HasPrefix(f, card) })
		if !strings.Contains(html, `<meta property="og:image" content="https://lab.test/`+files[i]+`">`) ||
			!strings.Contains(html, `<meta name="twitter:image" content="https://lab.test/`+files[i]+`">`) {
			t.Errorf("/%s does not show %s", page, files[i])
		}
	}
}

// fileID is what tells a file rewritten from one left alone.
type fileID struct {
	ino   uint64
	mtime int64
}

func fileIDs(t *testing.T, out string, files []string) map[string]fileID {
	t.Helper()
	ids := map[string]fileID{}
	for _, f := range files {
		fi, err := os.Stat(filepath.Join(out, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			t.Skip("no inode numbers on this system")
		}
		ids[f] = fileID{st.Ino, fi.ModTime().UnixNano()}
	}
	return ids
}

// TestCardNames: a card's name changes when what it shows does (a title)
// and not otherwise (a summary, which no card shows); an unchanged
// rebuild draws and writes no card, and a title edit redoes that card
// only. Every incremental build equals a clean one byte for byte.
func TestCardNames(t *testing.T) {
	src := writeCardSite(t)
	out := filepath.Join(t.TempDir(), "dist")
	mustBuild(t, buildOpts(src, out, false))
	before := cardFiles(t, out)
	ids := fileIDs(t, out, before)

	rebuild := func(t *testing.T) Result {
		t.Helper()
		res := mustBuild(t, buildOpts(src, out, false))
		clean := filepath.Join(t.TempDir(), "dist")
		mustBuild(t, buildOpts(src, clean, true))
		sameTree(t, out, clean)
		return res
	}
	plain := filepath.Join(src, "content", "posts", "2026-03-01-plain.md")

	t.Run("nothing changed", func(t *testing.T) {
		if res := rebuild(t); res.Written != 0 || res.CardsDrawn != 0 {
			t.Errorf("wrote %d files and drew %d cards, want none (%+v)", res.Written, res.CardsDrawn, res)
		}
		if got := cardFiles(t, out); !slices.Equal(got, before) {
			t.Fatalf("cards %q, were %q", got, before)
		}
		if got := fileIDs(t, out, before); !sameIDs(got, ids) {
			t.Errorf("an unchanged rebuild rewrote cards: %v, were %v", got, ids)
		}
	})
	t.Run("a summary", func(t *testing.T) {
		editFile(t, plain, func(s string) string {
			return strings.Replace(s, "summary: No cover here.", "summary: Still no cover.", 1)
		})
		if res := rebuild(t); res.CardsDrawn != 0 {
			t.Errorf("drew %d cards, want none", res.CardsDrawn)
		}
		if got := cardFiles(t, out); !slices.Equal(got, before) {
			t.Fatalf("cards %q, were %q: a summary is not on the card", got, before)
		}
		if got := fileIDs(t, out, before); !sameIDs(got, ids) {
			t.Errorf("a summary edit rewrote cards: %v, were %v", got, ids)
		}
	})
	t.Run("a title", func(t *testing.T) {
		editFile(t, plain, func(s string) string { return strings.Replace(s, "title: Plain post", "title: Plainer post", 1) })
		if res := rebuild(t); res.CardsDrawn != 1 {
			t.Errorf("drew %d cards, want the post's only", res.CardsDrawn)
		}
		after := cardFiles(t, out)
		var gone, added []string
		for _, f := range before {
			if !slices.Contains(after, f) {
				gone = append(gone, f)
			}
		}
		for _, f := range after {
			if !slices.Contains(before, f) {
				added = append(added, f)
			}
		}
		if len(gone) != 1 || !strings.HasPrefix(gone[0], "cards/posts/plain.") || len(added) != 1 || !strings.HasPrefix(added[0], "cards/posts/plain.") {
			t.Fatalf("a title edit replaced %q with %q, want the post's card only", gone, added)
		}
		for _, f := range after {
			if f == added[0] {
				continue
			}
			if got := fileIDs(t, out, []string{f})[f]; got != ids[f] {
				t.Errorf("%s rewritten by another page's title edit", f)
			}
		}
		if !strings.Contains(readOut(t, out, "blog/plain/index.html"), `content="https://lab.test/`+added[0]+`"`) {
			t.Errorf("the page does not name its new card %s", added[0])
		}
	})
}

func sameIDs(a, b map[string]fileID) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestCoverProblems: a cover that is missing, not a picture, or beside a
// page that has no bundle fails check and build on its cover: line.
func TestCoverProblems(t *testing.T) {
	const site = "-- content/site.yaml --\ntitle: T\nbase_url: https://lab.test\n-- content/media/notes.txt --\nnot a picture\n"
	const svg = "-- content/posts/2026-01-01-b/diagram.svg --\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n"
	post := func(name, cover string) string {
		return "-- content/posts/" + name + " --\n---\ntitle: P\ndate: 2026-01-01\nsummary: s\ncover: " + cover + "\ncover_alt: What it shows\n---\nBody.\n"
	}
	for _, tc := range []struct {
		name, archive, want string
	}{
		{"missing in the bundle", post("2026-01-01-b/index.md", "img/gone.jpg"),
			"content/posts/2026-01-01-b/index.md:5: cover: no file img/gone.jpg in the bundle content/posts/2026-01-01-b"},
		{"missing in media", post("2026-01-01-b/index.md", "/media/gone.jpg"),
			"content/posts/2026-01-01-b/index.md:5: cover: no file content/media/gone.jpg"},
		{"media/ in neither", post("2026-01-01-b/index.md", "media/gone.jpg"),
			"content/posts/2026-01-01-b/index.md:5: cover: no file media/gone.jpg in the bundle content/posts/2026-01-01-b, and no file content/media/gone.jpg"},
		{"a single file names a bundle file", post("2026-01-01-single.md", "photo.jpg"),
			"content/posts/2026-01-01-single.md:5: cover: no file photo.jpg: this page is a single file, which has no files beside it; make it a bundle (a folder with index.md and photo.jpg) or put the picture in content/media and write /media/photo.jpg"},
		{"not a picture", post("2026-01-01-single.md", "/media/notes.txt"),
			"content/posts/2026-01-01-single.md:5: cover: content/media/notes.txt is not a picture: use a PNG, JPEG, GIF or WebP file"},
		{"an SVG", svg + post("2026-01-01-b/index.md", "diagram.svg"),
			"content/posts/2026-01-01-b/index.md:5: cover: content/posts/2026-01-01-b/diagram.svg is not a picture: use a PNG, JPEG, GIF or WebP file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := sitetest.Write(t, site+tc.archive)
			_, err := Check(buildOpts(src, "", false))
			l, ok := diag.As(err)
			if !ok {
				t.Fatalf("check: %v, want problems", err)
			}
			var got []string
			for _, p := range l {
				got = append(got, strings.ReplaceAll(p.Error(), src+"/", ""))
			}
			if strings.Join(got, "\n") != tc.want {
				t.Errorf("check:\n got %q\nwant %q", got, tc.want)
			}
			out := filepath.Join(t.TempDir(), "dist")
			if _, err := Build(context.Background(), buildOpts(src, out, false)); err == nil || !strings.Contains(strings.ReplaceAll(err.Error(), src+"/", ""), tc.want) {
				t.Errorf("build: %v, want %q", err, tc.want)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("a failed build wrote %s", out)
			}
		})
	}
}

// TestCoverFeeds: the JSON Feed's image is the cover's preview variant as
// an absolute URL, for posts with a cover only; every picture in both
// feeds has an absolute URL.
func TestCoverFeeds(t *testing.T) {
	src := writeCardSite(t)
	out := filepath.Join(t.TempDir(), "dist")
	build(t, src, out, false)
	var f struct {
		Items []struct{ URL, Image string }
	}
	if err := json.Unmarshal([]byte(readOut(t, out, "feed.json")), &f); err != nil {
		t.Fatal(err)
	}
	images := map[string]string{}
	for _, it := range f.Items {
		images[it.URL] = it.Image
	}
	og := regexp.MustCompile(`<meta property="og:image" content="([^"]+)">`)
	for _, page := range []string{"blog/rack/", "blog/small/"} {
		want := og.FindStringSubmatch(readOut(t, out, page+"index.html"))[1]
		if got := images["https://lab.test/"+page]; got != want {
			t.Errorf("feed.json image of /%s = %q, want the og:image %q", page, got, want)
		}
	}
	for _, page := range []string{"blog/plain/", "notes/ingress/"} {
		if got := images["https://lab.test/"+page]; got != "" {
			t.Errorf("feed.json image of /%s = %q, want none (no cover)", page, got)
		}
	}
	for _, feed := range []string{"feed.xml", "feed.json"} {
		body := readOut(t, out, feed)
		srcs := regexp.MustCompile(`src=(?:\\?"|&#34;|&quot;)([^"&\\]+)`).FindAllStringSubmatch(body, -1)
		if len(srcs) == 0 {
			t.Fatalf("%s carries no picture", feed)
		}
		for _, m := range srcs {
			if !strings.HasPrefix(m[1], "https://lab.test/") {
				t.Errorf("%s: picture %q is not absolute", feed, m[1])
			}
		}
	}
}

// TestPageCardsOff: with page_cards: false, posts and notes without a
// cover show the site's card and none of their own is drawn; covers and
// the architecture page's card stay.
func TestPageCardsOff(t *testing.T) {
	src := writeCardSite(t)
	cfg := filepath.Join(src, "content", "site.yaml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, append(b, "page_cards: false\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dist")
	build(t, src, out, false)
	files := cardFiles(t, out)
	var masked []string
	for _, f := range files {
		masked = append(masked, cardKeyInName.ReplaceAllString(f, ".KEY.png"))
	}
	if want := []string{"cards/architecture.KEY.png", "cards/site.KEY.png"}; !slices.Equal(masked, want) {
		t.Fatalf("cards %q, want %q", masked, want)
	}
	site := "https://lab.test/" + files[1]
	for _, page := range []string{"blog/plain/", "notes/ingress/", ""} {
		if html := readOut(t, out, page+"index.html"); !strings.Contains(html, `<meta property="og:image" content="`+site+`">`) {
			t.Errorf("/%s does not show the site card %s", page, site)
		}
	}
	if html := readOut(t, out, "blog/rack/index.html"); strings.Contains(html, site) || !strings.Contains(html, `og:image:alt" content="The 12U rack`) {
		t.Errorf("/blog/rack/ lost its cover as og:image")
	}
}

// TestFileCountProblem: a site over Pages' file limit is named with its
// count, and page_cards: false is offered when the cards are the excess.
func TestFileCountProblem(t *testing.T) {
	outs := func(pages, cards int) []output {
		o := []output{{path: "_headers"}, {path: "_redirects"}, {path: "_worker.js"}, {path: "cards/site.0123456789.png"}}
		for i := range pages {
			o = append(o, output{path: "blog/p" + strconv.Itoa(i) + "/index.html"})
		}
		for i := range cards {
			o = append(o, output{path: "cards/posts/p" + strconv.Itoa(i) + ".0123456789.png"})
		}
		return o
	}
	for _, tc := range []struct {
		name         string
		pages, cards int
		want         []string // substrings; none: no problem
	}{
		{"at the limit", 99, 0, nil},
		{"specials do not count", 59, 40, nil},
		{"cards are the excess", 60, 40, []string{"has 101 files, more than the 100", "40 of them are the social cards", "page_cards: false", "(61 files then)"}},
		{"pages alone are too many", 101, 0, []string{"has 102 files"}},
		{"too many even without cards", 101, 5, []string{"has 107 files"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fileCountProblem(outs(tc.pages, tc.cards), 100)
			if len(tc.want) == 0 {
				if got != "" {
					t.Fatalf("problem %q, want none", got)
				}
				return
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("problem %q lacks %q", got, w)
				}
			}
			if tc.cards == 0 || tc.pages > 100 {
				if strings.Contains(got, "page_cards") {
					t.Errorf("problem %q offers page_cards, which would not help", got)
				}
			}
		})
	}
}
