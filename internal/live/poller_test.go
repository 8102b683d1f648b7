package live

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		interval time.Duration
		failures int
		want     time.Duration
	}{
		{15 * time.Second, 1, 15 * time.Second},
		{15 * time.Second, 2, 30 * time.Second},
		{15 * time.Second, 3, time.Minute},
		{15 * time.Second, 4, time.Minute}, // 4 intervals
		{15 * time.Second, 40, time.Minute},
		{2 * time.Second, 3, 8 * time.Second},
		{2 * time.Second, 10, 8 * time.Second},
		{time.Minute, 2, 2 * time.Minute}, // the absolute cap, before 4 intervals
		{time.Minute, 30, 2 * time.Minute},
		{10 * time.Minute, 3, 10 * time.Minute}, // never below the interval
		{0, 5, 0},
	} {
		if got := backoff(tc.interval, tc.failures); got != tc.want {
			t.Errorf("backoff(%v, %d) = %v, want %v", tc.interval, tc.failures, got, tc.want)
		}
	}
}

// flakyCollector fails until up says otherwise, by an error or, when hang
// is set, by hanging until its timeout. It notes when each attempt began,
// as time since epoch on the bubble's clock.
type flakyCollector struct {
	epoch time.Time
	hang  bool
	up    func(attempt int, since time.Duration) bool

	mu    sync.Mutex
	calls []time.Duration
	ok    []bool
}

func (c *flakyCollector) Collect(ctx context.Context) (*Result, error) {
	since := time.Since(c.epoch)
	c.mu.Lock()
	n := len(c.calls)
	up := c.up(n, since)
	c.calls = append(c.calls, since)
	c.ok = append(c.ok, up)
	c.mu.Unlock()
	if up {
		return &Result{Nodes: map[string]NodeData{"a": {Status: Up}}}, nil
	}
	if c.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, errors.New("connection refused")
}

// runPoller polls src with c for the given time inside the current bubble
// and returns the store.
func runPoller(t *testing.T, src Source, c Collector, runFor time.Duration) *Store {
	t.Helper()
	store, err := OpenStore(testFiles(t), t.TempDir(), []Source{src})
	if err != nil {
		t.Fatal(err)
	}
	p := &Poller{Store: store, Sources: []Source{src}, Collectors: map[string]Collector{src.Name: c}, Concurrency: 1, Log: discardLog()}
	ctx, cancel := context.WithTimeout(t.Context(), runFor)
	defer cancel()
	p.Run(ctx)
	return store
}

func secs(s ...float64) []time.Duration {
	d := make([]time.Duration, len(s))
	for i, v := range s {
		d[i] = time.Duration(v * float64(time.Second))
	}
	return d
}

// TestPollerBackoffSchedule: a source that fails K times and then answers
// is polled at exactly these times on the bubble's clock — doubling waits,
// capped at 4 intervals (at most 2 minutes), back to the interval after
// the first success — whether it fails fast or hangs until its timeout.
func TestPollerBackoffSchedule(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		interval time.Duration
		timeout  time.Duration
		fails    int
		hang     bool
		runFor   time.Duration
		want     []time.Duration
	}{
		{"15s refused", 15 * time.Second, 5 * time.Second, 6, false, 320 * time.Second,
			secs(0, 15, 45, 105, 165, 225, 285, 300, 315)},
		{"15s hung", 15 * time.Second, 5 * time.Second, 6, true, 320 * time.Second,
			secs(0, 15, 45, 105, 165, 225, 285, 300, 315)},
		{"2s refused", 2 * time.Second, time.Second, 5, false, 35 * time.Second,
			secs(0, 2, 6, 14, 22, 30, 32, 34)},
		{"1m absolute cap", time.Minute, 10 * time.Second, 3, true, 390 * time.Second,
			secs(0, 60, 180, 300, 360)},
		{"10m interval", 10 * time.Minute, 10 * time.Second, 2, false, 1810 * time.Second,
			secs(0, 600, 1200, 1800)},
		{"no failures", 15 * time.Second, 5 * time.Second, 0, false, 50 * time.Second,
			secs(0, 15, 30, 45)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				src := Source{Name: "prom", Type: "prometheus", Interval: tc.interval, Timeout: tc.timeout}
				c := &flakyCollector{epoch: time.Now(), hang: tc.hang, up: func(n int, _ time.Duration) bool { return n >= tc.fails }}
				store := runPoller(t, src, c, tc.runFor)
				if len(c.calls) != len(tc.want) {
					t.Fatalf("polled at %v, want %v", c.calls, tc.want)
				}
				for i := range tc.want {
					if c.calls[i] != tc.want[i] {
						t.Fatalf("polled at %v, want %v", c.calls, tc.want)
					}
				}
				st, _ := store.Source("prom")
				if want := c.epoch.Add(tc.want[len(tc.want)-1]); st.State() != StateLive || !st.FetchedAt.Equal(want) {
					t.Errorf("store after recovery: state %s, fetched %v, want live at %v", st.State(), st.FetchedAt, want)
				}
			})
		})
	}
}

// TestPollerRecoversWithinCap: whenever a source comes back, after however
// long an outage, the poller sees it within one capped wait, and no gap
// between attempts ever exceeds the cap.
func TestPollerRecoversWithinCap(t *testing.T) {
	t.Parallel()
	const interval = 15 * time.Second
	limit := backoffCap(interval)
	for _, back := range []time.Duration{time.Second, 14 * time.Second, 16 * time.Second, 44 * time.Second, 46 * time.Second, 106 * time.Second, 10 * time.Minute, time.Hour + 7*time.Second} {
		for _, hang := range []bool{false, true} {
			synctest.Test(t, func(t *testing.T) {
				src := Source{Name: "prom", Type: "prometheus", Interval: interval, Timeout: 10 * time.Second}
				c := &flakyCollector{epoch: time.Now(), hang: hang, up: func(_ int, since time.Duration) bool { return since >= back }}
				store := runPoller(t, src, c, back+limit+time.Second)
				first := -1
				for i, at := range c.calls {
					if i > 0 && at-c.calls[i-1] > limit {
						t.Errorf("back at %v (hang %v): %v between attempts %d and %d, more than the cap %v", back, hang, at-c.calls[i-1], i-1, i, limit)
					}
					if first < 0 && c.ok[i] {
						first = i
					}
				}
				if first < 0 {
					t.Fatalf("back at %v (hang %v): no successful attempt by %v; attempts at %v", back, hang, back+limit, c.calls)
				}
				if late := c.calls[first] - back; late > limit {
					t.Errorf("back at %v (hang %v): seen live %v later, more than the cap %v", back, hang, late, limit)
				}
				// The run ended a second after the cap: the dashboard says live.
				if st, _ := store.Source("prom"); st.State() != StateLive || st.FetchedAt.Sub(c.epoch) < c.calls[first] {
					t.Errorf("back at %v (hang %v): store says %s, fetched at +%v", back, hang, st.State(), st.FetchedAt.Sub(c.epoch))
				}
			})
		}
	}
}
