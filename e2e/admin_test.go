package e2e

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/labfront/labfront/api"
	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

// startAdmin runs the admin server in dev mode on the example site with
// the given sources and returns its base URL.
func startAdmin(t *testing.T, stateDir string, sources ...live.Source) string {
	t.Helper()
	base, _ := startAdminSite(t, "..", stateDir, sources...)
	return base
}

// startAdminSite runs the admin server in dev mode on siteDir and returns
// its base URL and a func that stops it and waits; it is stopped at the
// end of the test anyway.
func startAdminSite(t *testing.T, siteDir, stateDir string, sources ...live.Source) (base string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &adminconfig.Config{Site: siteDir, StateDir: stateDir, Concurrency: 2, Auth: adminconfig.Auth{Mode: adminconfig.ModeDev}, Sources: sources}
	return "http://" + ln.Addr().String(), serveAdmin(t, ln, cfg, testLog{t})
}

// serveAdmin runs an admin server with cfg on ln, logging to logs, and
// returns a func that stops it and waits for the graceful shutdown. It is
// safe to call more than once and runs at the end of the test anyway.
func serveAdmin(t *testing.T, ln net.Listener, cfg *adminconfig.Config, logs io.Writer) func() {
	t.Helper()
	cfg.Listen = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := api.New(ctx, cfg, api.Options{Static: static.FS(), Islands: web.Islands(), Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		cancel()
		t.Fatal(errors.Join(err, ln.Close()))
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil && !errors.Is(err, net.ErrClosed) {
					t.Errorf("admin server: %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Error("admin server did not shut down")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// TestAdminLiveUpdates: the dashboard renders server-side, then its island
// keeps it current over server-sent events without a reload.
func TestAdminLiveUpdates(t *testing.T) {
	base := startAdmin(t, t.TempDir(), live.Source{Name: "demo", Type: "demo", Interval: 500 * time.Millisecond, Timeout: time.Second})
	ctx := browser(t)
	console := watchConsole(ctx)
	do(t, ctx, chromedp.Navigate(base+"/admin/"))
	// Read in one evaluation: the island may replace the page's nodes
	// between chromedp's lookup of a node and its reading.
	if h1 := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('h1')?.textContent ?? ''`)); h1 != "Control room" {
		t.Fatalf("h1 %q", h1)
	}
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('.nodes-table tbody tr').length`)); n < 25 {
		t.Errorf("dashboard lists %d nodes", n)
	}
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('svg.spark polyline').length`)); n < 20 {
		t.Errorf("%d sparklines", n)
	}
	// Mark the page: a reload would lose the mark, an in-place update keeps it.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.__mark = 1`))
	waitFor(t, ctx, `document.querySelector('.live-state').textContent.startsWith('Live · updated') && window.__mark === 1`)

	if shots := os.Getenv("LABFRONT_SCREENSHOTS"); shots != "" {
		for _, page := range []string{"/admin/", "/admin/topology", "/admin/nodes/pve-io"} {
			do(t, ctx, chromedp.Navigate(base+page))
			png := get(t, ctx, chromedp.FullScreenshot(90))
			name := "admin" + strings.ReplaceAll(strings.TrimSuffix(page, "/"), "/", "_") + ".jpg"
			if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	console.check(t)
}

// TestAdminWorksWithoutJavaScript: every admin page is complete without
// the island.
func TestAdminWorksWithoutJavaScript(t *testing.T) {
	base := startAdmin(t, t.TempDir(), live.Source{Name: "demo", Type: "demo", Interval: time.Minute, Timeout: time.Second})
	ctx := browser(t)
	disableScripts(t, ctx)
	do(t, ctx, chromedp.Navigate(base+"/admin/"), chromedp.Click(chromedp.CSS(`a[href="/admin/nodes/pve-io"]`)), chromedp.WaitVisible(chromedp.CSS("h1")))
	if h1 := get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); !strings.HasPrefix(h1, "pve-io") {
		t.Errorf("node page h1 %q", h1)
	}
	do(t, ctx, chromedp.Navigate(base+"/admin/topology"))
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('svg.topology-svg a.node').length`)); n < 25 {
		t.Errorf("topology shows %d nodes", n)
	}
	// Search is a plain form: from the navigation to a private node.
	do(t, ctx, chromedp.Navigate(base+"/admin/"), chromedp.Click(chromedp.CSS(`nav a[href="/admin/search"]`)), chromedp.WaitVisible(chromedp.CSS("#search-q")),
		chromedp.SendKeys(chromedp.CSS("#search-q"), "vault"), chromedp.Submit(chromedp.CSS("#search-q")), chromedp.WaitVisible(chromedp.CSS("#search-results")))
	if st := get(t, ctx, chromedp.Text(chromedp.CSS("#search-status"))); !strings.Contains(st, "for “vault”") {
		t.Errorf("search status %q", st)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`#search-results a[href="/admin/nodes/vault"]`)), chromedp.WaitVisible(chromedp.CSS("h1")))
	if h1 := get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); !strings.HasPrefix(h1, "vault") {
		t.Errorf("the search result opened %q, not the vault node", h1)
	}
}

func disableScripts(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
}
