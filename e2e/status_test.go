package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The public /status/ page: complete from the baked snapshot without
// JavaScript, live through the edge worker with it.

// statusRows reads the page's rows as id → status, and the three counts.
func statusRows(t *testing.T, ctx context.Context) (rows map[string]string, counts map[string]string) {
	t.Helper()
	rows = js[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll('.status-row')].map(r => [r.dataset.id, r.querySelector('.status').textContent.trim()]))`)
	counts = js[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll('.status-counts dd')].map(d => [d.dataset.count, d.textContent.trim()]))`)
	return rows, counts
}

func TestStatusPageWithoutJavaScript(t *testing.T) {
	srv := pagesServer(t, buildWithSnapshot(t))
	ctx := browser(t)
	disableScripts(t, ctx)
	do(t, ctx, chromedp.Navigate(srv.URL+"/"))
	// The main navigation leads there.
	do(t, ctx, chromedp.Click(chromedp.CSS(`nav[aria-label="Main"] a[href="/status/"]`)), chromedp.WaitVisible(chromedp.CSS("#status-title")))
	if h1 := get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != "Lab status" {
		t.Errorf("h1 = %q", h1)
	}
	fresh := get(t, ctx, chromedp.Text(chromedp.CSS(".freshness")))
	if !strings.Contains(fresh, "Snapshot from 20 Nov 2026 10:00 UTC") {
		t.Errorf("without JavaScript the page says %q, want the baked snapshot's time", fresh)
	}
	rows, counts := statusRows(t, ctx)
	if len(rows) < 25 || rows["pve-io"] != "up" || rows["mon-io"] != "down" || rows["grafana-io"] != "unknown" {
		t.Errorf("%d rows: %v", len(rows), rows)
	}
	if _, ok := rows["vault"]; ok {
		t.Error("the private node vault is listed")
	}
	if counts["up"] != "1" || counts["down"] != "1" || counts["unknown"] != fmt.Sprint(len(rows)-2) {
		t.Errorf("counts %v for %d rows", counts, len(rows))
	}
	if !js[bool](t, ctx, `document.querySelector('.status-sources').hidden`) {
		t.Error("the empty sources section shows without JavaScript")
	}
	if shots := os.Getenv("LABFRONT_SCREENSHOTS"); shots != "" {
		save(t, ctx, filepath.Join(shots, "status-baked-desktop-light.jpg"))
	}
	// A row leads to the node's details on the architecture page.
	// Clicked from the page's own script: chromedp's Click can lose the
	// page under it when the click navigates.
	js[bool](t, ctx, `(() => { document.querySelector('.status-row[data-id="pve-io"] a').click(); return true })()`)
	waitJS(t, ctx, `location.pathname === '/architecture/' && location.hash === '#node-pve-io'`, "the row link to the node's details")
}

// TestStatusPageLive: through the worker with the admin server up the page
// and the topology graph say live; with it gone, a snapshot, and from when.
func TestStatusPageLive(t *testing.T) {
	dist := buildWithSnapshot(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stopAdmin := serveAdminOn(t, ln)
	e := startEdge(t, t.TempDir(), dist, "--compatibility-date="+compatDate, "--kv", "SNAPSHOTS", "--binding", "ORIGIN_URL=http://"+ln.Addr().String())
	base := cspProxy(t, e.URL)
	ctx := browser(t)
	console := watchConsole(ctx)

	do(t, ctx, chromedp.Navigate(base+"/status/"))
	waitJS(t, ctx, `['live', 'partial'].includes(document.querySelector('.freshness').dataset.state)`, "the page to go live")
	if fresh := get(t, ctx, chromedp.Text(chromedp.CSS(".freshness"))); !strings.HasPrefix(fresh, "Live, updated ") {
		t.Errorf("live page says %q", fresh)
	}
	direct := request(t, "GET", "http://"+ln.Addr().String()+"/api/v1/status").status(t)
	rows, counts := statusRows(t, ctx)
	changed := 0
	for id, st := range direct.Nodes {
		if rows[id] != st.Status {
			// The demo lab moves; a row may have changed since the page asked.
			changed++
		}
	}
	if changed > 3 {
		t.Errorf("%d rows differ from the admin server's answer: %v", changed, rows)
	}
	total := 0
	for _, c := range counts {
		var n int
		if _, err := fmt.Sscan(c, &n); err != nil {
			t.Fatalf("count %q", c)
		}
		total += n
	}
	if total != len(rows) {
		t.Errorf("counts %v add up to %d, for %d rows", counts, total, len(rows))
	}
	if js[bool](t, ctx, `document.querySelector('.status-sources').hidden`) || !js[bool](t, ctx, `document.querySelector('.source-list').textContent.includes('demo')`) {
		t.Error("the live page does not list the data sources")
	}
	screenshots(t, base, "status-live")

	// The topology graph asks too.
	do(t, ctx, chromedp.Navigate(base+"/architecture/"))
	waitJS(t, ctx, `document.querySelector('.topology-live') && document.querySelector('.topology-live').dataset.state === 'live'`, "the graph's live status")
	if n := js[int](t, ctx, `document.querySelectorAll('a.node.s-up, a.node.s-down').length`); n < 5 {
		t.Errorf("after the live answer only %d nodes are up or down", n)
	}

	// The lab goes away: the worker's copy of the last good answer.
	do(t, ctx, chromedp.Navigate("about:blank"))
	stopAdmin()
	do(t, ctx, chromedp.Navigate(base+"/status/"))
	waitJS(t, ctx, `document.querySelector('.freshness').dataset.state === 'snapshot'`, "the page to show a snapshot")
	if fresh := get(t, ctx, chromedp.Text(chromedp.CSS(".freshness"))); !strings.HasPrefix(fresh, "Snapshot from ") || !strings.Contains(fresh, "the edge's last good copy") {
		t.Errorf("with the lab down the page says %q", fresh)
	}
	screenshots(t, base, "status-snapshot")
	do(t, ctx, chromedp.Navigate(base+"/architecture/"))
	waitJS(t, ctx, `document.querySelector('.topology-live') && document.querySelector('.topology-live').dataset.state === 'snapshot'`, "the graph to say snapshot")
	console.check(t)
}

// screenshots saves /status/ on a desktop and a phone, light and dark, to
// LABFRONT_SCREENSHOTS, and checks it fits each width.
func screenshots(t *testing.T, base, name string) {
	t.Helper()
	shots := os.Getenv("LABFRONT_SCREENSHOTS")
	if shots == "" {
		return
	}
	for _, v := range []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{
		{"desktop", 1366, 900, nil},
		{"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile}},
	} {
		for _, scheme := range []string{"light", "dark"} {
			ctx := browser(t)
			if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
			}); err != nil {
				t.Fatal(err)
			}
			do(t, ctx, chromedp.EmulateViewport(v.w, v.h, v.opts...), chromedp.Navigate(base+"/status/"))
			waitJS(t, ctx, `document.querySelector('.freshness').dataset.state !== 'baked'`, "the island's answer")
			if w := js[int](t, ctx, `document.documentElement.scrollWidth`); w > int(v.w) {
				t.Errorf("/status/ is %d px wide on a %d px screen", w, v.w)
			}
			save(t, ctx, filepath.Join(shots, fmt.Sprintf("%s-%s-%s.jpg", name, v.name, scheme)))
		}
	}
}
