// Package e2e holds the end-to-end tests: the built example site and the
// dev server driven by a real headless Chromium through chromedp.
package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/labfront/labfront/internal/pagesrv"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

// browser starts a headless Chromium for one test and returns a tab.
func browser(t *testing.T) context.Context {
	t.Helper()
	return sitetest.Browser(t, chromedp.WindowSize(1280, 900))
}

// do runs steps with a deadline that does not end the browser.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// consoleErrors collects every console error, uncaught exception and
// browser log error (failed loads, CSP violations) of a tab.
type consoleErrors struct {
	mu   sync.Mutex
	msgs []string
}

func watchConsole(ctx context.Context) *consoleErrors {
	c := &consoleErrors{}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				c.mu.Lock()
				c.msgs = append(c.msgs, m.URL+": "+m.Text)
				c.mu.Unlock()
			}
		}
	}()
	return c
}

func (c *consoleErrors) check(t *testing.T) {
	t.Helper()
	time.Sleep(200 * time.Millisecond) // let the last page's messages arrive
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs {
		t.Errorf("console error: %s", m)
	}
}

// buildExample builds the repository's example site once per test.
func buildExample(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "dist")
	if _, err := web.Build(context.Background(), web.Options{Src: "..", Out: out, Static: static.FS(), Islands: web.Islands()}); err != nil {
		t.Fatalf("build example: %v", err)
	}
	return out
}

// pagesServer serves a built site as Cloudflare Pages would, _headers and
// all, so the browser enforces the site's real CSP.
func pagesServer(t *testing.T, dist string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(withoutOrigin(dist, pagesrv.Handler{Root: dist, Header: func(h http.Header) {
		// upgrade-insecure-requests would send the browser to https on
		// this plain-http test server.
		h.Set("Content-Security-Policy", strings.ReplaceAll(h.Get("Content-Security-Policy"), "; upgrade-insecure-requests", ""))
	}}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBrowseExampleSite(t *testing.T) {
	srv := pagesServer(t, buildExample(t))
	ctx := browser(t)
	console := watchConsole(ctx)

	do(t, ctx, chromedp.Navigate(srv.URL+"/"))
	if h1 := get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != "Jove & Kronos" {
		t.Errorf("home h1 = %q", h1)
	}
	first := get(t, ctx, chromedp.Text(chromedp.CSS(".entries .entry :is(h2, h3) a")))

	// Follow the newest post.
	do(t, ctx, chromedp.Click(chromedp.CSS(".entries .entry :is(h2, h3) a")), chromedp.WaitVisible(chromedp.CSS("article.article h1")))
	if h1 := get(t, ctx, chromedp.Text(chromedp.CSS("article.article h1"))); h1 != first {
		t.Errorf("post h1 = %q, want the linked title %q", h1, first)
	}
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelector('.prose').innerText.length`)); n < 1000 {
		t.Errorf("post body has %d characters", n)
	}

	// Follow its first tag.
	// The tag's visible name: its link text also holds "Posts and notes
	// tagged", for screen readers only.
	tag := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('.article-head .tag').lastChild.textContent`))
	if full := get(t, ctx, chromedp.Text(chromedp.CSS(".article-head .tag"))); strings.Join(strings.Fields(full), " ") != "Posts and notes tagged "+tag {
		t.Errorf("tag link text %q, want it to say what the link lists", full)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(".article-head .tag")), chromedp.WaitVisible(chromedp.CSS(".list-head h1")))
	if h1 := get(t, ctx, chromedp.Text(chromedp.CSS(".list-head h1"))); !strings.Contains(h1, tag) {
		t.Errorf("tag page h1 = %q, want it to name %q", h1, tag)
	}
	if titles := get(t, ctx, chromedp.Text(chromedp.CSS(".entries"))); !strings.Contains(titles, first) {
		t.Errorf("tag page does not list %q", first)
	}

	// The feed link in the footer leads to the Atom feed.
	get(t, ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(`.feeds a[href="/feed.xml"]`))))
	// Chromium shows application/atom+xml as text; either way the
	// document must be the feed, carrying the newest post.
	if path := get(t, ctx, chromedp.Evaluate[string](`location.pathname`)); path != "/feed.xml" {
		t.Errorf("feed link led to %q", path)
	}
	if feed := get(t, ctx, chromedp.Evaluate[string](`document.documentElement.textContent`)); !strings.Contains(feed, first) {
		t.Errorf("the feed document does not carry %q", first)
	}
	console.check(t)

	// A missing page is the site's 404 page (its 404 status is logged to
	// the console, so this comes after the console check).
	do(t, ctx, chromedp.Navigate(srv.URL+"/no/such/page/"))
	if h1 := get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != "This page is not on the site" {
		t.Errorf("404 h1 = %q", h1)
	}
}

func TestSiteWorksWithoutJavaScript(t *testing.T) {
	srv := pagesServer(t, buildExample(t))
	ctx := browser(t)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(srv.URL+"/"))
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`nav[aria-label="Main"] a[href="/blog/"]`)),
		chromedp.WaitVisible(chromedp.CSS(".list-head h1")),
		chromedp.Click(chromedp.CSS(".entries .entry :is(h2, h3) a")),
		chromedp.WaitVisible(chromedp.CSS(".prose")),
	)
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelector('.prose').innerText.length`)); n < 1000 {
		t.Errorf("without JavaScript the post body has %d characters", n)
	}
	if toc := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('.toc a').length`)); toc < 3 {
		t.Errorf("table of contents has %d links", toc)
	}
}

func TestPhoneWidthHasNoHorizontalScroll(t *testing.T) {
	srv := pagesServer(t, buildExample(t))
	ctx := browser(t)
	do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	shots := os.Getenv("LABFRONT_SCREENSHOTS")
	for _, page := range []string{"/", "/blog/", "/blog/zero-inbound-ports/", "/blog/prometheus-alerting/", "/blog/rack-tour/", "/tags/", "/notes/cloudflared-ingress-rules/", "/notes/from-cron-spaghetti-to-container-orchestra/", "/404.html"} {
		do(t, ctx, chromedp.Navigate(srv.URL+page))
		if w := get(t, ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 390 {
			t.Errorf("%s is %d px wide on a 390 px phone", page, w)
		}
		if shots != "" {
			png := get(t, ctx, chromedp.FullScreenshot(90))
			name := "phone" + strings.ReplaceAll(strings.TrimSuffix(page, "/"), "/", "_") + ".png"
			if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
