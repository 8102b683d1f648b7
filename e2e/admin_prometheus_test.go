package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/labfront/labfront/api"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

// TestAdminWithRealPrometheus: with a real Prometheus scraping a real node
// exporter the dashboard shows the node's live metrics; once Prometheus is
// gone the page says so and keeps the last values; and an admin server
// restarted while Prometheus is still down serves them from its state dir.
func TestAdminWithRealPrometheus(t *testing.T) {
	ctx := browser(t)
	prom, _, instance := startRealPrometheus(t)

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

	src := live.Source{Name: "Prometheus", Type: "prometheus", URL: prom.url, Interval: time.Second, Timeout: 2 * time.Second}
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
	prom.stop()
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

// startAdminSite runs the admin server in dev mode on siteDir and returns
// its base URL and a func that stops it and waits; it is stopped at the
// end of the test anyway.
func startAdminSite(t *testing.T, siteDir, stateDir string, sources ...live.Source) (base string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &api.Config{Listen: ln.Addr().String(), Site: siteDir, StateDir: stateDir, Concurrency: 2,
		Auth: api.AuthConfig{Mode: api.ModeDev}, Sources: sources}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := api.New(ctx, cfg, api.Options{Static: static.FS(), Islands: web.Islands(), Log: slog.New(slog.NewTextHandler(testLog{t}, nil))})
	if err != nil {
		cancel()
		_ = ln.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var once sync.Once
	stop = func() {
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
	return "http://" + ln.Addr().String(), stop
}

// realProm is a daemon started by the test in its own process group.
type realProm struct {
	t    *testing.T
	name string
	url  string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	once sync.Once
}

// startRealPrometheus runs Debian's prometheus-node-exporter and a
// prometheus scraping it every second, on free loopback ports. It returns
// both daemons and the exporter's instance label. Missing binaries skip
// the test, except on CI.
func startRealPrometheus(t *testing.T) (prom, exporter *realProm, instance string) {
	t.Helper()
	promBin, exporterBin := realPromBinary(t, "prometheus"), realPromBinary(t, "prometheus-node-exporter")
	exporter = startRealDaemon(t, "node-exporter", "/metrics", func(addr string) []string {
		return []string{exporterBin, "--web.listen-address=" + addr, "--no-collector.systemd"}
	})
	instance = strings.TrimPrefix(exporter.url, "http://")
	dir, storage := t.TempDir(), t.TempDir()
	prom = startRealDaemon(t, "prometheus", "/-/ready", func(addr string) []string {
		cfg := filepath.Join(dir, "prometheus.yml")
		writeSiteFile(t, dir, "prometheus.yml", fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: node
    static_configs: [{targets: [%q]}]
`, instance))
		return []string{promBin, "--config.file=" + cfg, "--storage.tsdb.path=" + storage, "--web.listen-address=" + addr}
	})
	return prom, exporter, instance
}

func realPromBinary(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required on CI: %v", name, err)
		}
		t.Skipf("%s not installed (apt-get install prometheus prometheus-node-exporter): %v", name, err)
	}
	return path
}

// startRealDaemon starts args(addr) on a free loopback port and waits
// until readyPath answers 200. A port taken again before the daemon binds
// it makes the daemon exit; it is then retried on another port.
func startRealDaemon(t *testing.T, name, readyPath string, args func(addr string) []string) *realProm {
	t.Helper()
	var lastErr error
	for range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		if err := ln.Close(); err != nil {
			t.Fatal(err)
		}
		argv := args(addr)
		d := &realProm{t: t, name: name, url: "http://" + addr, cmd: exec.Command(argv[0], argv[1:]...), out: &syncBuffer{}, done: make(chan struct{})}
		d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
		d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		d.cmd.WaitDelay = time.Second
		if err := d.cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		go func() {
			_ = d.cmd.Wait() // killed by stop: the status is uninteresting
			close(d.done)
		}()
		t.Cleanup(func() {
			d.stop()
			if t.Failed() {
				t.Logf("%s output:\n%s", name, d.out.String())
			}
		})
		if lastErr = d.waitReady(d.url + readyPath); lastErr == nil {
			return d
		}
		d.stop()
	}
	t.Fatalf("%s did not start: %v", name, lastErr)
	return nil
}

func (d *realProm) waitReady(url string) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-d.done:
			return fmt.Errorf("%s exited: %s\n%s", d.name, d.cmd.ProcessState, d.out.String())
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			if cerr := resp.Body.Close(); cerr != nil {
				return cerr
			}
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s: %s", url, resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after 10 s: %w", d.name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop kills the daemon's process group and waits for it. It is safe to
// call more than once.
func (d *realProm) stop() {
	d.once.Do(func() {
		if err := syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			d.t.Errorf("kill %s: %v", d.name, err)
			return
		}
		<-d.done
	})
}

// syncBuffer collects a daemon's output for the log of a failed test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
