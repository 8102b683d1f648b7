package live

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/statefile"
)

func TestStoreStatesAndPersistence(t *testing.T) {
	dir := t.TempDir()
	srcs := []Source{{Name: "prom", Type: "prometheus"}, {Name: "pve", Type: "proxmox"}}
	s, err := OpenStore(testFiles(t), dir, srcs)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 25, 13, 58, 0, 0, time.UTC)
	res := &Result{Nodes: map[string]NodeData{"a": {Status: Up, CPU: Ptr(0.5)}}}
	if err := s.Record("prom", res, nil, t0); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{t0.Add(4 * time.Minute), t0.Add(5 * time.Minute)} {
		if err := s.Record("prom", nil, errors.New("connection refused"), at); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := s.Source("prom")
	if st.State() != StateStale || !st.FailingSince.Equal(t0.Add(4*time.Minute)) || !st.FetchedAt.Equal(t0) || st.Last.Nodes["a"].Status != Up {
		t.Errorf("after failures: %+v (state %s)", st, st.State())
	}
	if pve, _ := s.Source("pve"); pve.State() != StateMissing {
		t.Errorf("never answered: %s", pve.State())
	}
	if err := s.Record("nope", res, nil, t0); err == nil {
		t.Error("recording an unknown source succeeded")
	}

	// A new store on the same dir sees the same; a source dropped from the
	// config is dropped from the store.
	s2, err := OpenStore(testFiles(t), dir, srcs[:1])
	if err != nil {
		t.Fatal(err)
	}
	got := s2.Sources()
	if len(got) != 1 || got[0].State() != StateStale || *got[0].Last.Nodes["a"].CPU != 0.5 {
		t.Errorf("reloaded: %+v", got)
	}
	if err := s2.Record("prom", res, nil, t0.Add(6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if st, _ := s2.Source("prom"); st.State() != StateLive || !st.FailingSince.IsZero() {
		t.Errorf("after recovery: %+v", st)
	}
}

func TestNodesMerge(t *testing.T) {
	l := &lab.Lab{Nodes: []lab.Node{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}}
	t0 := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	live := SourceState{Name: "live", Last: &Result{Nodes: map[string]NodeData{
		"a": {Status: Up, CPU: Ptr(0.2)}, "b": {Status: Down}, "c": {Status: Up},
	}}, FetchedAt: t0}
	stale := SourceState{Name: "stale", LastError: "down", Last: &Result{Nodes: map[string]NodeData{
		"a": {Status: Down, CPU: Ptr(0.9), Memory: Ptr(0.3)}, "d": {Status: Up},
	}}, FetchedAt: t0.Add(-time.Hour)}
	v := Nodes(l, []SourceState{live, stale})
	for id, want := range map[string]string{"a": Up, "b": Down, "c": Up, "d": Up} {
		if v[id].Status != want {
			t.Errorf("%s: %s, want %s", id, v[id].Status, want)
		}
	}
	if *v["a"].Data.CPU != 0.2 || *v["a"].Data.Memory != 0.3 {
		t.Error("measurements should come from the first source that has them")
	}
	if v["a"].Stale || !v["d"].Stale {
		t.Errorf("stale flags: a %v, d %v", v["a"].Stale, v["d"].Stale)
	}
	if !v["d"].CheckedAt.Equal(t0.Add(-time.Hour)) || !v["a"].CheckedAt.Equal(t0) {
		t.Error("checked-at is the freshest source's time")
	}
}

type countingCollector struct {
	n     atomic.Int32
	block bool
}

func (c *countingCollector) Collect(ctx context.Context) (*Result, error) {
	c.n.Add(1)
	if c.block {
		<-ctx.Done() // a source that hangs: only the timeout ends it
		return nil, ctx.Err()
	}
	return &Result{Nodes: map[string]NodeData{}}, nil
}

// TestPollerStopsCleanly: polling runs each source on its interval, a
// hung source is cut off by its timeout and backs off, and Run returns as
// soon as ctx ends. It runs in a synctest bubble, whose fake clock makes
// the schedule exact; the bubble also fails the test if Run leaves a
// goroutine behind.
func TestPollerStopsCleanly(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srcs := []Source{
			{Name: "fast", Type: "demo", Interval: 10 * time.Millisecond, Timeout: time.Second},
			{Name: "hung", Type: "demo", Interval: 10 * time.Millisecond, Timeout: 30 * time.Millisecond},
		}
		store, err := OpenStore(testFiles(t), t.TempDir(), srcs)
		if err != nil {
			t.Fatal(err)
		}
		fast, hung := &countingCollector{}, &countingCollector{block: true}
		p := &Poller{Store: store, Sources: srcs, Collectors: map[string]Collector{"fast": fast, "hung": hung}, Concurrency: 2, Log: discardLog()}
		// Not a multiple of 10 ms, so no poll is due at the very moment
		// ctx ends.
		const runFor = 305 * time.Millisecond
		ctx, cancel := context.WithTimeout(t.Context(), runFor)
		defer cancel()
		start := time.Now()
		p.Run(ctx)
		if took := time.Since(start); took != runFor {
			t.Errorf("Run returned %v after the start, want when ctx ended, %v", took, runFor)
		}
		// fast: at 0, 10, … 300 ms.
		if n := fast.n.Load(); n != 31 {
			t.Errorf("fast source polled %d times in %v at a 10 ms interval, want 31", n, runFor)
		}
		// hung: each attempt ends at its 30 ms timeout; the waits, counted
		// from each start, are 10, 20, 40, 40 … ms (capped at 4 intervals),
		// so it starts at 0, 30, 60, 100, 140, 180, 220, 260 and 300 ms.
		if h, _ := store.Source("hung"); h.LastError == "" || hung.n.Load() != 9 {
			t.Errorf("hung source: error %q after %d attempts, want an error after 9", h.LastError, hung.n.Load())
		}
	})
}

func TestDemo(t *testing.T) {
	l := &lab.Lab{Nodes: []lab.Node{{ID: "h", Type: "hypervisor", Specs: lab.Specs{Cores: 8}}, {ID: "c", Type: "container", Parent: "h"}, {ID: "e", Type: "cloud"}}}
	at := time.Date(2026, 11, 25, 14, 0, 30, 0, time.UTC) // minute 0 of 10: the flaky one is down
	d := NewDemo(l, func() time.Time { return at })
	a, err := d.Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := d.Collect(t.Context())
	if *a.Nodes["h"].CPU != *b.Nodes["h"].CPU {
		t.Error("the same time gives different values")
	}
	if a.Nodes["c"].Status != Down || a.Nodes["h"].Status != Up {
		t.Errorf("statuses: %+v", a.Nodes)
	}
	if _, ok := a.Nodes["e"]; ok {
		t.Error("cloud services are not simulated")
	}
	if cpu := *a.Nodes["h"].CPU; cpu < 0 || cpu > 1 || len(a.Nodes["h"].Series["cpu"]) != 30 {
		t.Errorf("cpu %v, %d samples", cpu, len(a.Nodes["h"].Series["cpu"]))
	}
	later := NewDemo(l, func() time.Time { return at.Add(5 * time.Minute) })
	c, _ := later.Collect(t.Context())
	if c.Nodes["c"].Status != Up || *c.Nodes["h"].CPU == *a.Nodes["h"].CPU {
		t.Error("the simulation does not change over time")
	}
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testFiles(t testing.TB) *statefile.Files {
	return statefile.New(slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
}

// TestStoreDamagedFile: a live.json that is empty, truncated, garbage or
// of the wrong type does not stop the store: it is moved aside, reported
// as a loss, and the store starts empty and writes a good file again.
func TestStoreDamagedFile(t *testing.T) {
	good := `[{"name":"prom","type":"prometheus","last":{"nodes":{"a":{"status":"up"}}},"fetched_at":"2026-11-25T13:58:00Z"}]`
	for _, tc := range []struct{ name, content string }{
		{"empty", ""},
		{"blank", " \n"},
		{"truncated", good[:len(good)/2]},
		{"garbage", "\x00\x17PK\x03\x04 not json"},
		{"wrong type object", `{"prom":{"status":"up"}}`},
		{"wrong type string", `"live"`},
		{"wrong element type", `[1,2,3]`},
		{"null", `null`},
		{"trailing data", good + `]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "live.json")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			files := testFiles(t)
			s, err := OpenStore(files, dir, []Source{{Name: "prom", Type: "prometheus"}})
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			if st, _ := s.Source("prom"); st.State() != StateMissing {
				t.Errorf("state %s after a damaged file, want missing", st.State())
			}
			losses := files.Losses()
			if len(losses) != 1 || losses[0].Path != path || !strings.HasPrefix(losses[0].MovedTo, path+".corrupt-") {
				t.Fatalf("losses %+v", losses)
			}
			if kept, err := os.ReadFile(losses[0].MovedTo); err != nil || string(kept) != tc.content {
				t.Errorf("the damaged file was not kept as it was: %q %v", kept, err)
			}
			if err := s.Record("prom", &Result{Nodes: map[string]NodeData{"a": {Status: Up}}}, nil, time.Now()); err != nil {
				t.Fatal(err)
			}
			if _, err := OpenStore(testFiles(t), dir, []Source{{Name: "prom", Type: "prometheus"}}); err != nil {
				t.Errorf("reopen after a good write: %v", err)
			}
		})
	}
	// The good file loads with no loss.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "live.json"), []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	files := testFiles(t)
	s, err := OpenStore(files, dir, []Source{{Name: "prom", Type: "prometheus"}})
	if err != nil || len(files.Losses()) != 0 {
		t.Fatalf("good file: %v, losses %+v", err, files.Losses())
	}
	if st, _ := s.Source("prom"); st.State() != StateLive {
		t.Errorf("good file: state %s", st.State())
	}
}
