package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/testkit/promtest"
)

// TestAdminWithRealPrometheus: with a real Prometheus scraping a real node
// exporter the dashboard shows the node's live metrics; once Prometheus is
// gone the page says so and keeps the last values; and an admin server
// restarted while Prometheus is still down serves them from its state dir.
func TestAdminWithRealPrometheus(t *testing.T) {
	ctx := browser(t)
	prom, _, instance := promtest.Start(t, promtest.Options{})

	site := t.TempDir()
	writeSiteFile(t, site, "content/site.yaml", "title: Metal Lab\nbase_url: https://lab.test\n")
	writeSiteFile(t, site, "content/lab.yaml", fmt.Sprintf(`title: Metal Lab
description: One machine with a node exporter and a switch without live data.
sites:
  - {id: lab, name: Lab, networks: [{id: lab-lan, name: LAN, cidr: 10.9.0.0/24}]}
nodes:
  - {id: metal, name: metal, type: hypervisor, site: lab, networks: [lab-lan], live: {prometheus: %q}}
  - {id: switch, name: switch, type: network, site: lab, networks: [lab-lan]}
links:
  - {from: switch, to: metal, type: lan}
`, instance))

	src := live.Source{Name: "Prometheus", Type: "prometheus", URL: prom.URL, Interval: time.Second, Timeout: 2 * time.Second}
	state := t.TempDir()
	base, stopAdmin := startAdminSite(t, site, state, src)
	console := watchConsole(ctx)

	// 1. Live: Prometheus applies its scrape config after a few seconds
	// and the CPU rate needs two samples, so reload until both show.
	start := time.Now()
	row := pollDashboard(t, ctx, base, 25*time.Second, "metal up with CPU and memory", func(d dashboardState) bool {
		return d.Metal.Status == "up" && isPercent(d.Metal.CPU) && isPercent(d.Metal.Memory)
	})
	t.Logf("live after %v: %+v", time.Since(start).Round(time.Millisecond), row.Metal)
	if row.Metal.Stale {
		t.Errorf("metal row marked stale while Prometheus is live")
	}
	if len(row.Banners) != 0 {
		t.Errorf("banners while Prometheus is live: %q", row.Banners)
	}
	if row.Switch.Status == "" {
		t.Errorf("the switch is not listed")
	} else if row.Switch.CPU != "—" || row.Switch.Memory != "—" {
		t.Errorf("switch without live keys shows CPU %q memory %q", row.Switch.CPU, row.Switch.Memory)
	}

	// 2. Prometheus stops: the page says since when it is unreachable and
	// keeps showing the last values.
	prom.Stop()
	stale := pollDashboard(t, ctx, base, 10*time.Second, "the stale banner", func(d dashboardState) bool {
		return hasStaleBanner(d.Banners)
	})
	t.Logf("stale: %q %+v", stale.Banners, stale.Metal)
	if !isPercent(stale.Metal.CPU) || !isPercent(stale.Metal.Memory) {
		t.Errorf("stale metal row shows CPU %q memory %q, want the last values", stale.Metal.CPU, stale.Metal.Memory)
	}
	if !stale.Metal.Stale {
		t.Errorf("metal row not marked stale after Prometheus stopped")
	}
	if stale.Metal.Memory != row.Metal.Memory {
		// The memory can move between the page load and the last scrape
		// before the kill; the restart below compares exactly.
		t.Logf("memory %q while live, %q as last value", row.Metal.Memory, stale.Metal.Memory)
	}

	// 3. Restart the admin server with Prometheus still down: the data
	// comes from the state dir. Leave the page first so its event stream
	// does not log the shutdown as an error.
	do(t, ctx, chromedp.Navigate("about:blank"))
	stopAdmin()
	base2, _ := startAdminSite(t, site, state, src)
	restarted := get(t, ctx, dashboardAction(base2))
	t.Logf("after restart: %q %+v", restarted.Banners, restarted.Metal)
	if restarted.Metal.CPU != stale.Metal.CPU || restarted.Metal.Memory != stale.Metal.Memory {
		t.Errorf("after restart metal shows CPU %q memory %q, want the saved %q %q",
			restarted.Metal.CPU, restarted.Metal.Memory, stale.Metal.CPU, stale.Metal.Memory)
	}
	if !hasStaleBanner(restarted.Banners) {
		// The saved state already carries the failure; allow the first
		// attempt of the new server to catch up in any case.
		restarted = pollDashboard(t, ctx, base2, 8*time.Second, "the stale banner after restart", func(d dashboardState) bool {
			return hasStaleBanner(d.Banners)
		})
		if restarted.Metal.Memory != stale.Metal.Memory {
			t.Errorf("after restart metal memory %q, want the saved %q", restarted.Metal.Memory, stale.Metal.Memory)
		}
	}
	if !restarted.Metal.Stale {
		t.Errorf("metal row not marked stale after restart")
	}
	do(t, ctx, chromedp.Navigate("about:blank"))
	console.check(t)
}

// nodeCells is one row of the dashboard's nodes table.
type nodeCells struct {
	Status string `json:"status"`
	CPU    string `json:"cpu"`
	Memory string `json:"memory"`
	Stale  bool   `json:"stale"`
}

type dashboardState struct {
	Metal   nodeCells `json:"metal"`
	Switch  nodeCells `json:"switch"`
	Banners []string  `json:"banners"`
}

// dashboardAction loads /admin/ and reads the banners and the two rows.
func dashboardAction(base string) chromedp.Action[dashboardState] {
	return func(ctx context.Context, tg *chromedp.Target) (dashboardState, error) {
		if _, err := chromedp.Navigate(base+"/admin/")(ctx, tg); err != nil {
			return dashboardState{}, err
		}
		return chromedp.Evaluate[dashboardState](`(() => {
			const row = id => {
				const a = document.querySelector('.nodes-table tbody a[href="/admin/nodes/' + id + '"]');
				if (!a) return {};
				const tr = a.closest('tr'), c = tr.cells;
				return {status: c[1].textContent.trim(), cpu: c[3].textContent.trim(), memory: c[4].textContent.trim(), stale: tr.classList.contains('stale')};
			};
			return {metal: row('metal'), switch: row('switch'),
				banners: [...document.querySelectorAll('.banners .banner')].map(b => b.textContent.trim())};
		})()`)(ctx, tg)
	}
}

// pollDashboard reloads /admin/ until ok or the deadline.
func pollDashboard(t *testing.T, ctx context.Context, base string, within time.Duration, what string, ok func(dashboardState) bool) dashboardState {
	t.Helper()
	deadline := time.Now().Add(within)
	var last dashboardState
	for {
		last = get(t, ctx, dashboardAction(base))
		if ok(last) {
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting %v for %s: last seen %+v", within, what, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func isPercent(s string) bool {
	n, ok := strings.CutSuffix(s, " %")
	if !ok || n == "" {
		return false
	}
	for _, r := range n {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func hasStaleBanner(banners []string) bool {
	for _, b := range banners {
		if strings.Contains(b, "Prometheus unreachable since") && strings.Contains(b, "showing data from") {
			return true
		}
	}
	return false
}

func writeSiteFile(t *testing.T, dir, name, text string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
