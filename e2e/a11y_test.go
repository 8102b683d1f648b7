package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// a11yPages is one page of each type of the example site, with what says
// its islands have finished changing the page (empty: none to wait for).
var a11yPages = []struct {
	name, path, ready string
}{
	{"home", "/", ""},
	{"blog", "/blog/", ""},
	{"post", "/blog/static-blog-ssr-admin/", ""}, // code blocks, a table, footnotes
	{"note", "/notes/cloudflared-ingress-rules/", ""},
	{"tag", "/tags/go/", ""},
	{"tags", "/tags/", ""},
	{"architecture", "/architecture/", `!!document.querySelector('figure.topology-figure.has-data')`},
	{"status", "/status/", `document.querySelector('.freshness').dataset.state !== 'baked'`},
	{"404", "/no-such-page/", ""},
	{"search", "/search/?q=proxmox", `document.querySelectorAll('#search-results mark').length > 0`},
}

// axeResult is the part of axe.run's results a failure report needs.
type axeResult struct {
	Violations []struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target  []any  `json:"target"`
			Summary string `json:"failureSummary"`
		} `json:"nodes"`
	} `json:"violations"`
	Passes int `json:"passes"`
}

// TestAccessibilityAxe runs axe-core over every page type of the built
// example site at a phone's and a desktop's width, in light and dark, and
// fails on any violation of any rule axe runs by default (WCAG 2.x A and
// AA and its best practices). A full-page screenshot of each goes to the
// test's artifact directory (go test -artifacts keeps them).
func TestAccessibilityAxe(t *testing.T) {
	axe := sitetest.AxeScript(t)
	srv := pagesServer(t, buildExample(t))
	for _, v := range []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{
		{"390", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile}},
		{"1440", 1440, 900, nil},
	} {
		for _, scheme := range []string{"light", "dark"} {
			t.Run(v.name+"-"+scheme, func(t *testing.T) {
				// One browser per width and scheme: the emulation holds
				// for every page it loads.
				ctx := browser(t)
				if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
				}); err != nil {
					t.Fatal(err)
				}
				do(t, ctx, chromedp.EmulateViewport(v.w, v.h, v.opts...))
				shots := t.ArtifactDir()
				for _, pg := range a11yPages {
					do(t, ctx, chromedp.Navigate(srv.URL+pg.path))
					if pg.ready != "" {
						waitJS(t, ctx, pg.ready, pg.name+"'s island")
					}
					// Transitions (colour, the skip link) end before axe
					// measures contrast.
					time.Sleep(300 * time.Millisecond)
					res := runAxe(t, ctx, axe)
					for _, viol := range res.Violations {
						var where []string
						for _, n := range viol.Nodes[:min(5, len(viol.Nodes))] {
							where = append(where, fmt.Sprint(n.Target)+": "+strings.ReplaceAll(n.Summary, "\n", " "))
						}
						t.Errorf("%s (%s, %s px, %s): %s [%s, %d elements]: %s\n\t%s", pg.path, pg.name, v.name, scheme,
							viol.ID, viol.Impact, len(viol.Nodes), viol.Help, strings.Join(where, "\n\t"))
					}
					if res.Passes < 10 {
						t.Errorf("%s: axe passed only %d rules: did it run on the page?", pg.path, res.Passes)
					}
					save(t, ctx, filepath.Join(shots, pg.name+"-"+v.name+"-"+scheme+".jpg"))
				}
				if dir := os.Getenv("LABFRONT_SCREENSHOTS"); dir != "" {
					copyShots(t, shots, dir)
				}
			})
		}
	}
}

// runAxe injects axe-core into the page (through the DevTools protocol,
// so the site's CSP, which allows only its own scripts, stays on) and
// runs it on the whole document.
func runAxe(t *testing.T, ctx context.Context, axe []byte) axeResult {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(tctx, chromedp.Evaluate[any](string(axe)+";0")); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	raw, err := chromedp.Run(tctx, chromedp.Evaluate[string](
		`axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify({violations: r.violations, passes: r.passes.length}))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	var res axeResult
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		t.Fatalf("axe.run result: %v", err)
	}
	return res
}

// copyShots copies the screenshots to dir (LABFRONT_SCREENSHOTS), for a
// person to look at without -artifacts.
func copyShots(t *testing.T, from, dir string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStatusPhoneWrapping: on a 390 px phone no system's type label
// ("Virtual machine") breaks across lines, and no site heading breaks
// between the site's name and the em dash before its role.
func TestStatusPhoneWrapping(t *testing.T) {
	srv := pagesServer(t, buildExample(t))
	ctx := browser(t)
	do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(srv.URL+"/status/"))
	labels := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.status-type')]
		.filter(el => el.getClientRects().length !== 1 || el.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(el).lineHeight || '16'))
		.map(el => el.textContent)`))
	if len(labels) > 0 {
		t.Errorf("type labels broken across lines at 390 px: %q", labels)
	}
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('.status-type').length`)); n < 10 {
		t.Fatalf("only %d type labels on /status/", n)
	}
	// The top of the title's last letter and of the dash: equal when
	// they share a line.
	split := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.status-group h3')].filter(h => {
		const title = h.firstChild, role = h.querySelector('.muted');
		if (!role || title.nodeType !== Node.TEXT_NODE) return false;
		const a = document.createRange(); a.setStart(title, title.length - 1); a.setEnd(title, title.length);
		const dash = role.firstChild, at = dash.textContent.indexOf('—');
		const b = document.createRange(); b.setStart(dash, at); b.setEnd(dash, at + 1);
		return Math.abs(a.getBoundingClientRect().top - b.getBoundingClientRect().top) > 2;
	}).map(h => h.textContent)`))
	if len(split) > 0 {
		t.Errorf("site headings broken before the em dash at 390 px: %q", split)
	}
}
