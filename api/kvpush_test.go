package api

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/labfront/labfront/deploy"
	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/testkit/cftest"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

const kvTestToken = "kv-push-test-token-5f1e"

// kvSite is a site checkout with the example lab and a wrangler.toml that
// binds SNAPSHOTS to namespace.
func kvSite(t *testing.T, namespace string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"lab.yaml", "site.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "content", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, "content"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "content", f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wrangler := "name = \"labfront\"\npages_build_output_dir = \"dist\"\n\n[[kv_namespaces]]\nbinding = \"SNAPSHOTS\"\nid = \"" + namespace + "\"\n"
	if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), []byte(wrangler), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// kvServer is an admin server whose KV push goes to api and whose ticker
// is the returned channel.
func kvServer(t *testing.T, api *cftest.Server, site string, interval time.Duration, env map[string]string) (*Server, chan time.Time, *sitetest.SyncBuffer) {
	t.Helper()
	src := live.Source{Name: "probes", Type: "probe", Interval: time.Hour, Timeout: time.Second}
	cfg := devConfig(src)
	cfg.Site, cfg.StateDir, cfg.KVPushInterval = site, t.TempDir(), interval
	if env == nil {
		env = map[string]string{cfapi.EnvAPIToken: kvTestToken, cfapi.EnvAccountID: cftest.DefaultAccountID, cfapi.EnvBaseURL: api.APIBase}
	}
	cfg.Deploys.Getenv = func(k string) string { return env[k] }
	logs := &sitetest.SyncBuffer{}
	stub := &stubCollector{res: &live.Result{Nodes: map[string]live.NodeData{"pve-io": {Status: live.Up}}}}
	s, err := New(context.Background(), cfg, Options{Static: static.FS(), Islands: web.Islands(), Log: slog.New(slog.NewTextHandler(logs, nil)),
		Collectors: map[string]live.Collector{src.Name: stub}})
	if err != nil {
		t.Fatal(err)
	}
	ticks := make(chan time.Time)
	if s.kv != nil {
		s.kv.newTicker = func(d time.Duration) (<-chan time.Time, func()) {
			if d != interval {
				t.Errorf("ticker interval %v, want %v", d, interval)
			}
			return ticks, func() {}
		}
	}
	return s, ticks, logs
}

// waitFor polls cond for up to 5 s: the push runs on the server's own
// goroutine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestKVPushFromServer(t *testing.T) {
	api := cftest.New(t, cftest.Options{Token: kvTestToken})
	s, ticks, logs := kvServer(t, api, kvSite(t, cftest.DefaultKVNamespace), 5*time.Minute, nil)
	if s.kv == nil {
		t.Fatalf("KV push is off:\n%s", logs)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	base := "http://" + ln.Addr().String()
	getBody := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		if _, err := b.ReadFrom(resp.Body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b.String()
	}
	// The poller's first collection, so the status has live data.
	waitFor(t, "the first collection", func() bool { st, _ := s.store.Source("probes"); return st.State() == live.StateLive })

	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	ticks <- t0
	waitFor(t, "the first push", func() bool { return api.Count(cftest.RouteKVPut) == 1 })
	pushed, ok := api.KV(cftest.DefaultKVNamespace, deploy.SnapshotKey)
	_, status := getBody("/api/v1/status")
	if !ok || string(pushed) != status {
		t.Fatalf("KV holds %q\nwant the /api/v1/status body %q", pushed, status)
	}

	// A failing KV: logged, counted, and the server keeps serving.
	api.FailNext(cftest.RouteKVPut, 10, http.StatusInternalServerError)
	if err := s.store.Record("probes", &live.Result{Nodes: map[string]live.NodeData{"pve-io": {Status: live.Down}}}, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	ticks <- t0.Add(5 * time.Minute)
	waitFor(t, "the failed push", func() bool { return api.Count(cftest.RouteKVPut) == 2 })
	waitFor(t, "the failure in /metrics", func() bool {
		_, m := getBody("/metrics")
		return strings.Contains(m, `labfront_kv_pushes_total{result="error"} 1`)
	})
	if code, _ := getBody("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d after a failed push", code)
	}
	if got, _ := api.KV(cftest.DefaultKVNamespace, deploy.SnapshotKey); !bytes.Equal(got, pushed) {
		t.Error("a failed push changed the stored snapshot")
	}
	if !strings.Contains(logs.String(), "KV snapshot push failed") {
		t.Errorf("the failure is not logged:\n%s", logs)
	}
	if strings.Contains(logs.String(), kvTestToken) {
		t.Fatalf("the API token is in the log:\n%s", logs)
	}
}

func TestKVPushOff(t *testing.T) {
	api := cftest.New(t, cftest.Options{})
	for _, tc := range []struct {
		name      string
		namespace string
		interval  time.Duration
		env       map[string]string
		log       string
	}{
		{"no credentials", cftest.DefaultKVNamespace, time.Minute, map[string]string{}, "CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID not set"},
		{"placeholder namespace", strings.Repeat("0", 32), time.Minute, nil, "binds no SNAPSHOTS namespace"},
		{"config not from a file", cftest.DefaultKVNamespace, 0, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, logs := kvServer(t, api, kvSite(t, tc.namespace), tc.interval, tc.env)
			if s.kv != nil {
				t.Fatal("the KV push is on")
			}
			if !strings.Contains(logs.String(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, logs)
			}
		})
	}
}

// newTestPusher is a pusher of status() to api, driven by tick calls.
func newTestPusher(t *testing.T, api *cftest.Server, status func() ([]byte, error)) *kvPusher {
	t.Helper()
	client, err := deploy.NewClient(deploy.Config{Credentials: cfapi.Credentials{APIToken: cftest.DefaultToken, AccountID: cftest.DefaultAccountID, BaseURL: api.APIBase}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	client.Attempts = 1
	return &kvPusher{
		interval: 5 * time.Minute,
		status:   status,
		push: func(ctx context.Context, data []byte) error {
			return client.PushSnapshot(ctx, cftest.DefaultKVNamespace, data)
		},
		log:    quietLog(),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "p"}, []string{"result"}),
		lastOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "g"}),
	}
}

func TestKVPushAtMostOncePerIntervalAndOnlyWhenChanged(t *testing.T) {
	api := cftest.New(t, cftest.Options{})
	var current string
	k := newTestPusher(t, api, func() ([]byte, error) { return []byte(current), nil })
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for i, step := range []struct {
		after  time.Duration
		status string
		pushes int // KV writes so far
		stored string
	}{
		{0, `{"generated_at":"12:00","nodes":{"a":"up"}}`, 1, "12:00"},
		// Changed, but within the interval of the last write: wait.
		{time.Minute, `{"generated_at":"12:01","nodes":{"a":"down"}}`, 1, "12:00"},
		{5 * time.Minute, `{"generated_at":"12:05","nodes":{"a":"down"}}`, 2, "12:05"},
		// Only the time the answer was built moved: nothing to write.
		{10 * time.Minute, `{"generated_at":"12:10","nodes":{"a":"down"}}`, 2, "12:05"},
		{15 * time.Minute, `{"nodes":{"a":"down"},"generated_at":"12:15"}`, 2, "12:05"},
		{20 * time.Minute, `{"generated_at":"12:20","nodes":{"a":"up"}}`, 3, "12:20"},
	} {
		current = step.status
		k.tick(context.Background(), t0.Add(step.after))
		if got := api.Count(cftest.RouteKVPut); got != step.pushes {
			t.Fatalf("step %d (+%v): %d KV writes, want %d", i, step.after, got, step.pushes)
		}
		if v, _ := api.KV(cftest.DefaultKVNamespace, deploy.SnapshotKey); !strings.Contains(string(v), step.stored) {
			t.Fatalf("step %d: KV holds %s, want the status of %s", i, v, step.stored)
		}
	}
	if ok, unchanged := metricValue(t, k, "p", "ok"), metricValue(t, k, "p", "unchanged"); ok != 3 || unchanged != 2 {
		t.Errorf("counted %v ok and %v unchanged, want 3 and 2", ok, unchanged)
	}
	if got := metricValue(t, k, "g", ""); got != float64(t0.Add(20*time.Minute).Unix()) {
		t.Errorf("last success gauge = %v", got)
	}
}

func TestKVPushRetriesAfterFailure(t *testing.T) {
	api := cftest.New(t, cftest.Options{})
	status := `{"generated_at":"x","nodes":{"a":"up"}}`
	k := newTestPusher(t, api, func() ([]byte, error) { return []byte(status), nil })
	api.FailNext(cftest.RouteKVPut, 1, http.StatusServiceUnavailable)
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	k.tick(context.Background(), t0)
	if _, ok := api.KV(cftest.DefaultKVNamespace, deploy.SnapshotKey); ok || metricValue(t, k, "p", "error") != 1 {
		t.Fatal("the failed push stored something or was not counted")
	}
	// Unchanged data, but it never arrived: the next interval tries again.
	k.tick(context.Background(), t0.Add(5*time.Minute))
	if v, ok := api.KV(cftest.DefaultKVNamespace, deploy.SnapshotKey); !ok || string(v) != status {
		t.Fatalf("after the retry KV holds %q (%v)", v, ok)
	}
	if got := api.Count(cftest.RouteKVPut); got != 2 {
		t.Errorf("%d KV writes, want 2", got)
	}
}

// metricValue reads a metric of the pusher by name and result label
// ("" for none), through a registry as a scrape would.
func metricValue(t *testing.T, k *kvPusher, name, result string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(k.pushes, k.lastOK)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			label := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" {
					label = l.GetValue()
				}
			}
			if label != result {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s{result=%q}", name, result)
	return 0
}
