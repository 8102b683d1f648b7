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
		s.kv.NewTicker = func(d time.Duration) (<-chan time.Time, func()) {
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
