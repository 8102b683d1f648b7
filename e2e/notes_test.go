package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPromotedNote: the note the example site promoted from Substack says
// where it was first published, shows its structure, and lists its
// implementation anchors, each of which leads to an element that exists on
// the architecture page.
func TestPromotedNote(t *testing.T) {
	srv := pagesServer(t, buildExample(t))
	ctx := browser(t)
	const page = "/notes/from-cron-spaghetti-to-container-orchestra/"
	do(t, ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.URL+page),
		chromedp.WaitVisible(chromedp.CSS(".anchors")),
	)
	canonical := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('.origin a[rel=canonical]').href`))
	if !strings.HasPrefix(canonical, "https://example.substack.com/p/") {
		t.Errorf("origin link = %q, want the Substack original", canonical)
	}
	head := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('link[rel=canonical]').href`))
	if head != canonical {
		t.Errorf("<link rel=canonical> = %q, want %q", head, canonical)
	}
	if chips := get(t, ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('.chips .chip')].map(c => c.textContent).join(' · ')`)); chips != "Method · Architecture" {
		t.Errorf("structure chips = %q", chips)
	}
	anchors := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.anchors li > a')].map(a => a.getAttribute('href'))`))
	if len(anchors) < 6 {
		t.Fatalf("anchors panel lists %d components: %v", len(anchors), anchors)
	}
	if shots := os.Getenv("LABFRONT_SCREENSHOTS"); shots != "" {
		png := get(t, ctx, chromedp.FullScreenshot(90))
		if err := os.WriteFile(filepath.Join(shots, "desktop_promoted_note.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Every anchor and every link the promotion put into the body lands on
	// an element of the architecture page.
	body := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.prose a[href^="/architecture/#"]')].map(a => a.getAttribute('href'))`))
	if len(body) == 0 {
		t.Error("the body links no lab component")
	}
	do(t, ctx, chromedp.Navigate(srv.URL+"/architecture/"), chromedp.WaitReady(chromedp.CSS("main")))
	for _, href := range append(anchors, body...) {
		id := strings.TrimPrefix(href, "/architecture/#")
		if !get(t, ctx, chromedp.Evaluate[bool](`document.getElementById(`+jsString(id)+`) !== null`)) {
			t.Errorf("%s: no element with that id on /architecture/", href)
		}
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
