package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/labfront/labfront/internal/pagesrv"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

// picturePost is a bundle post that shows a wide photo first, then a
// GIF, an SVG and, far below the fold, a second photo: every kind of
// <img> the site writes, in one page long enough to scroll.
func picturePost() string {
	var filler strings.Builder
	for i := range 40 {
		fmt.Fprintf(&filler, "Paragraph %d of the rack tour: cables, labels, and the patch panel that holds them all together in one place.\n\n", i)
	}
	return `
-- content/site.yaml --
title: Picture Lab
base_url: https://lab.test
-- content/posts/2026-05-01-rack-tour/index.md --
---
title: Rack tour
date: 2026-05-01
---
The front of the rack:

![The rack, front](img/rack.png)

Some text between the pictures, long enough to wrap on a phone and to show
whether anything below an image moves when it arrives.

![A blinking status LED](blink.gif)

![Patch panel wiring](wiring.svg)

` + filler.String() + `
At the very bottom, the back of the rack:

![The rack, back](img/back.png)

The end.
-- content/posts/2026-05-01-rack-tour/wiring.svg --
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 240"><rect width="640" height="240" fill="#345"/><path d="M40 120h560" stroke="#fc3" stroke-width="8"/></svg>
`
}

// buildPicturePost builds picturePost with generated pictures: a
// 2000×1000 photo (variants 480, 960, 1600 and 2000), a 1200×900 one and
// a two-frame GIF.
func buildPicturePost(t *testing.T) string {
	t.Helper()
	src := sitetest.Write(t, picturePost())
	bundle := filepath.Join(src, "content", "posts", "2026-05-01-rack-tour")
	for name, data := range map[string][]byte{
		"img/rack.png": gradientPNG(t, 2000, 1000),
		"img/back.png": gradientPNG(t, 1200, 900),
		"blink.gif":    blinkGIF(t, 160, 80),
	} {
		p := filepath.Join(bundle, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "dist")
	if _, err := web.Build(context.Background(), web.Options{Src: src, Out: out, Static: static.FS(), Islands: web.Islands()}); err != nil {
		t.Fatalf("build: %v", err)
	}
	return out
}

func gradientPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x ^ y) & 0xff), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func blinkGIF(t *testing.T, w, h int) []byte {
	t.Helper()
	g := &gif.GIF{}
	for i := range 2 {
		m := image.NewPaletted(image.Rect(0, 0, w, h), palette.Plan9)
		for y := range h {
			for x := range w {
				m.Set(x, y, color.RGBA{uint8(200 * i), 180, uint8(x), 255})
			}
		}
		g.Image = append(g.Image, m)
		g.Delay = append(g.Delay, 40)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pictureServer serves dist like Pages, holding every picture back for
// a moment so it arrives after the page has been laid out and painted,
// as on a real connection: a missing size would shift the page then,
// not before the first frame where no shift is counted. html, when set,
// rewrites the pages. It records the paths asked for.
type pictureServer struct {
	*httptest.Server
	mu        sync.Mutex
	requested []string
}

var pictureExt = regexp.MustCompile(`\.(png|jpg|gif|webp|svg)$`)

func newPictureServer(t *testing.T, dist string, html func([]byte) []byte) *pictureServer {
	t.Helper()
	s := &pictureServer{}
	pages := pagesrv.Handler{Root: dist, HTML: html, Header: func(h http.Header) {
		h.Set("Content-Security-Policy", strings.ReplaceAll(h.Get("Content-Security-Policy"), "; upgrade-insecure-requests", ""))
	}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requested = append(s.requested, r.URL.Path)
		s.mu.Unlock()
		if pictureExt.MatchString(r.URL.Path) {
			time.Sleep(300 * time.Millisecond)
		}
		pages.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *pictureServer) paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requested)
}

// clsObserver runs before any of the page's own code and adds up every
// layout shift not caused by input, buffered so none from before it was
// registered is missed.
const clsObserver = `
window.__cls = {total: 0, shifts: []};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.hadRecentInput) continue;
    window.__cls.total += e.value;
    window.__cls.shifts.push(e.value.toFixed(4) + " " + e.sources.map((s) => s.node ? (s.node.nodeName + (s.node.src ? " " + s.node.src.split("/").pop() : "")) : "?").join(", "));
  }
}).observe({type: "layout-shift", buffered: true});
`

type clsResult struct {
	Total  float64  `json:"total"`
	Shifts []string `json:"shifts"`
}

// measureCLS loads url in a phone-sized tab, scrolls through the whole
// page in viewport steps so every lazy image loads in view, waits until
// each image has loaded and decoded, and returns the cumulative layout
// shift of the visit.
func measureCLS(t *testing.T, url string) clsResult {
	t.Helper()
	ctx := sitetest.Browser(t)
	do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1)))
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: clsObserver}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(url))
	height := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollHeight`))
	for y, steps := 0, 0; y < height && steps < 200; y, steps = y+400, steps+1 {
		do(t, ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.scrollTo(0, %d)`, y)), chromedp.Sleep(60*time.Millisecond))
		height = get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollHeight`))
	}
	waitFor(t, ctx, `Array.from(document.images).every((i) => i.complete && i.naturalWidth > 0)`)
	// Decoded and painted: two frames after every decode() settles.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`Promise.all(Array.from(document.images).map((i) => i.decode().catch(() => {}))).then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))`, chromedp.EvalAwaitPromise))
	return get(t, ctx, chromedp.Evaluate[clsResult](`window.__cls`))
}

// TestPicturesDoNotShiftTheLayout: with the width and height the site
// writes, loading and decoding every image, the eager first one and the
// lazy ones far below the fold, shifts nothing: CLS is exactly 0. The
// same page with the sizes taken out of its <img> tags shifts in the same
// harness, so the measurement can fail.
func TestPicturesDoNotShiftTheLayout(t *testing.T) {
	dist := buildPicturePost(t)
	html := sitetest.ReadFile(t, dist, "blog/rack-tour/index.html")
	if n := strings.Count(html, "<img "); n != 4 {
		t.Fatalf("the post has %d images, want 4", n)
	}
	if n := len(regexp.MustCompile(`<img [^>]*width="\d+" height="\d+"`).FindAllString(html, -1)); n != 4 {
		t.Fatalf("%d of 4 images have a width and height", n)
	}

	srv := newPictureServer(t, dist, nil)
	got := measureCLS(t, srv.URL+"/blog/rack-tour/")
	if got.Total != 0 {
		t.Errorf("CLS = %v, want 0; shifts: %q", got.Total, got.Shifts)
	}
	for _, want := range []string{"rack.", "back.", "blink.", "wiring.svg"} {
		if !slices.ContainsFunc(srv.paths(), func(p string) bool { return strings.Contains(path.Base(p), want) }) {
			t.Errorf("the browser never loaded %s: the scroll did not reach it (%q)", want, srv.paths())
		}
	}

	t.Run("without sizes it shifts", func(t *testing.T) {
		sizes := regexp.MustCompile(` (width|height)="\d+"`)
		unsized := newPictureServer(t, dist, func(b []byte) []byte {
			return regexp.MustCompile(`<img [^>]*>`).ReplaceAllFunc(b, func(img []byte) []byte { return sizes.ReplaceAll(img, nil) })
		})
		got := measureCLS(t, unsized.URL+"/blog/rack-tour/")
		if got.Total <= 0 {
			t.Errorf("CLS = %v for images without width and height: the harness cannot see a layout shift", got.Total)
		}
		t.Logf("without sizes: CLS %.4f, shifts %q", got.Total, got.Shifts)
	})
}

// TestPictureCandidates: the browser loads the srcset candidate that the
// sizes attribute, the viewport and the pixel ratio call for, and no
// other. sizes is "(min-width: 50rem) 48rem, calc(100vw - 2rem)": the
// slot is 358 px on a 390 px phone and 768 px on a desktop (the column
// is 757 px there), and the browser takes the narrowest candidate whose
// density (width / slot) reaches the pixel ratio. Of 480/960/1600/2000:
//
//	390 px, DPR 1: 480 (density 1.34)
//	390 px, DPR 2: 960 (2.68; 480 is 1.34)
//	390 px, DPR 3: 1600 (4.47; 960 is 2.68)
//	1280 px, DPR 1: 960 (1.25; 480 is 0.63)
//	1280 px, DPR 1.5: 1600 (2.08; 960 is 1.25, short of the column)
//	1280 px, DPR 2: 1600 (2.08; 960 is 1.25)
func TestPictureCandidates(t *testing.T) {
	dist := buildPicturePost(t)
	html := sitetest.ReadFile(t, dist, "blog/rack-tour/index.html")
	srcset := regexp.MustCompile(`srcset="([^"]*rack\.480[^"]*)"`).FindStringSubmatch(html)
	if srcset == nil {
		t.Fatalf("no srcset for rack.png in\n%s", html)
	}
	var widths []string
	for _, c := range strings.Split(srcset[1], ", ") {
		widths = append(widths, strings.TrimSuffix(strings.Fields(c)[1], "w"))
	}
	if !slices.Equal(widths, []string{"480", "960", "1600", "2000"}) {
		t.Fatalf("rack.png's candidates are %v, want 480 960 1600 2000", widths)
	}
	for _, tc := range []struct {
		width, height int64
		dpr           float64
		want          string
	}{
		{390, 844, 1, "480"},
		{390, 844, 2, "960"},
		{390, 844, 3, "1600"},
		{1280, 900, 1, "960"},
		{1280, 900, 1.5, "1600"},
		{1280, 900, 2, "1600"},
	} {
		t.Run(fmt.Sprintf("%dpx DPR %v", tc.width, tc.dpr), func(t *testing.T) {
			srv := newPictureServer(t, dist, nil)
			ctx := sitetest.Browser(t)
			opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(tc.dpr)}
			if tc.width < 800 {
				opts = append(opts, chromedp.EmulateMobile)
			}
			do(t, ctx, chromedp.EmulateViewport(tc.width, tc.height, opts...))
			do(t, ctx, chromedp.Navigate(srv.URL+"/blog/rack-tour/"))
			waitFor(t, ctx, `(() => { const i = document.querySelector('img[srcset*="rack.480"]'); return i.complete && i.naturalWidth > 0 })()`)
			cur := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('img[srcset*="rack.480"]').currentSrc`))
			if w := variantWidth(cur); w != tc.want {
				t.Errorf("currentSrc = %s (%s px), want the %s px variant", cur, w, tc.want)
			}
			slot := get(t, ctx, chromedp.Evaluate[float64](`document.querySelector('img[srcset*="rack.480"]').getBoundingClientRect().width`))
			if slot <= 0 || math.IsNaN(slot) {
				t.Errorf("the image is %v px wide on the page", slot)
			}
			var fetched []string
			for _, p := range srv.paths() {
				if strings.HasPrefix(path.Base(p), "rack.") {
					fetched = append(fetched, variantWidth(p))
				}
			}
			if !slices.Equal(fetched, []string{tc.want}) {
				t.Errorf("fetched rack.png variants %v, want only %s", fetched, tc.want)
			}
			t.Logf("currentSrc %s, shown %.0f CSS px wide", path.Base(cur), slot)
		})
	}
}

// variantWidth is the width in a variant's name, rack.960.<hash>.webp.
func variantWidth(u string) string {
	f := strings.Split(path.Base(u), ".")
	if len(f) < 4 {
		return "?"
	}
	return f[1]
}
