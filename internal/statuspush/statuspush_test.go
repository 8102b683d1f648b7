package statuspush

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/labfront/labfront/deploy"
	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/internal/testkit/cftest"
)

// newTestPusher is a pusher of status() to api, driven by tick calls.
func newTestPusher(t *testing.T, api *cftest.Server, status func() ([]byte, error)) *Pusher {
	t.Helper()
	client, err := deploy.NewClient(deploy.Config{Credentials: cfapi.Credentials{APIToken: cftest.DefaultToken, AccountID: cftest.DefaultAccountID, BaseURL: api.APIBase}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	client.Attempts = 1
	return &Pusher{
		interval: 5 * time.Minute,
		status:   status,
		push: func(ctx context.Context, data []byte) error {
			return client.PushSnapshot(ctx, cftest.DefaultKVNamespace, data)
		},
		log:    slog.New(slog.DiscardHandler),
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
		k.Tick(context.Background(), t0.Add(step.after))
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
	k.Tick(context.Background(), t0)
	if _, ok := api.KV(cftest.DefaultKVNamespace, deploy.SnapshotKey); ok || metricValue(t, k, "p", "error") != 1 {
		t.Fatal("the failed push stored something or was not counted")
	}
	// Unchanged data, but it never arrived: the next interval tries again.
	k.Tick(context.Background(), t0.Add(5*time.Minute))
	if v, ok := api.KV(cftest.DefaultKVNamespace, deploy.SnapshotKey); !ok || string(v) != status {
		t.Fatalf("after the retry KV holds %q (%v)", v, ok)
	}
	if got := api.Count(cftest.RouteKVPut); got != 2 {
		t.Errorf("%d KV writes, want 2", got)
	}
}

// metricValue reads a metric of the pusher by name and result label
// ("" for none), through a registry as a scrape would.
func metricValue(t *testing.T, k *Pusher, name, result string) float64 {
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
