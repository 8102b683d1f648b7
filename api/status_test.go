package api

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/history"
	"github.com/labfront/labfront/internal/incident"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/testkit/notifytest"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

// statusSite is a small lab: a public hypervisor with a public guest and
// a hidden one, and a NAS on its own.
const statusSite = `title: Status lab
base_url: https://status.example
`

const statusLab = `sites:
  - {id: home, name: Home, networks: [{id: lan, name: LAN}]}
nodes:
  - {id: pve, name: pve, type: hypervisor, site: home}
  - {id: app, name: app, type: container, site: home, parent: pve}
  - {id: vault, name: vault, type: vm, site: home, parent: pve, public: false}
  - {id: nas, name: nas, type: nas, site: home}
links:
  - {from: pve, to: nas, type: lan}
`

// writeStatusSite writes the site into a temporary checkout.
func writeStatusSite(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "content"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"site.yaml": statusSite, "lab.yaml": statusLab} {
		if err := os.WriteFile(filepath.Join(dir, "content", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// flipCollector answers with the states the test sets.
type flipCollector struct {
	mu     sync.Mutex
	states map[string]string
}

func (f *flipCollector) set(states map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.states = states
}

func (f *flipCollector) Collect(context.Context) (*live.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	res := &live.Result{Nodes: map[string]live.NodeData{}}
	for id, st := range f.states {
		nd := live.NodeData{Status: st, Detail: "probe says " + st}
		if st == live.Up {
			nd.LatencyMS = live.Ptr(12.5)
		}
		res.Nodes[id] = nd
	}
	return res, nil
}

// statusServer is a server on the site with the status keys of extra,
// polling c every 20 ms.
func statusServer(t *testing.T, site, state, extra string, c live.Collector) *Server {
	t.Helper()
	cfg, err := ParseConfig([]byte("listen: 127.0.0.1:0\nsite: "+site+"\nstate_dir: "+state+
		"\nauth: {mode: dev}\nsources:\n  - {name: fake, type: demo}\n"+extra), "admin.yaml", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Sources[0].Interval = 20 * time.Millisecond
	s, err := New(context.Background(), cfg, Options{Static: static.FS(), Islands: web.Islands(), Log: quietLog(),
		Collectors: map[string]live.Collector{"fake": c}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// polling runs s.Poll until the returned stop is called.
func polling(t *testing.T, s *Server) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Poll(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("poll: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func webhookEvents(t *testing.T, rv *notifytest.Receiver) []notifytest.WebhookBody {
	t.Helper()
	var out []notifytest.WebhookBody
	for _, r := range rv.Requests() {
		var b notifytest.WebhookBody
		if err := json.Unmarshal(r.Body, &b); err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestStatusEndToEnd: a fake source takes a hypervisor and its guests
// down and up again, across a restart of the server in the middle of the
// outage. The history has the rows, one incident opens (the guests are
// the hypervisor's, not incidents of their own), the webhook receiver
// gets exactly one opened and one resolved message, every delivery is
// recorded, the restart neither reopens the incident nor loses what was
// recorded before it, and the public copy names no hidden system.
func TestStatusEndToEnd(t *testing.T) {
	site, state := writeStatusSite(t), t.TempDir()
	hook := notifytest.Webhook(t, nil)
	extra := "incidents: {open_after: 300ms, resolve_after: 300ms}\nnotify:\n  - {name: hook, type: webhook, url: " + hook.URL + "/lab}\n"
	fake := &flipCollector{}
	up := map[string]string{"pve": live.Up, "app": live.Up, "vault": live.Up, "nas": live.Up}
	down := map[string]string{"pve": live.Down, "app": live.Down, "vault": live.Down, "nas": live.Up}
	fake.set(up)

	s := statusServer(t, site, state, extra, fake)
	stop := polling(t, s)
	time.Sleep(300 * time.Millisecond)
	fake.set(down)
	waitFor(t, "the opened message", func() bool { return len(hook.Requests()) >= 1 })
	time.Sleep(200 * time.Millisecond)
	stop() // a restart in the middle of the outage

	s = statusServer(t, site, state, extra, fake)
	stop = polling(t, s)
	time.Sleep(500 * time.Millisecond) // past open_after again: still the same incident
	fake.set(up)
	waitFor(t, "the resolved message", func() bool { return len(hook.Requests()) >= 2 })
	time.Sleep(300 * time.Millisecond)

	evs := webhookEvents(t, hook)
	if len(evs) != 2 || evs[0].Event != "opened" || evs[1].Event != "resolved" {
		t.Fatalf("webhook events %+v", evs)
	}
	for _, ev := range evs {
		if ev.Incident.Cause != "pve" || strings.Join(ev.Incident.Systems, ",") != "pve,app,vault" || ev.URL != "https://status.example/status/" {
			t.Errorf("%s: cause %q systems %v url %q", ev.Event, ev.Incident.Cause, ev.Incident.Systems, ev.URL)
		}
	}
	if p := hook.Problems(); len(p) > 0 {
		t.Errorf("receiver: %v", p)
	}
	recs := s.status.deliveries.Recent()
	if len(recs) != 1 || !recs[0].OK || recs[0].Event != "resolved" {
		t.Errorf("this run's delivery records %+v", recs)
	}
	data, err := os.ReadFile(filepath.Join(state, deliveriesFile))
	if err != nil || strings.Count(string(data), "\n") != 2 {
		t.Errorf("deliveries.jsonl (%v):\n%s", err, data)
	}

	// The records: the admin's with every system, the public copy
	// without the hidden one.
	id := evs[0].Incident.ID
	saved, err := incident.Load(filepath.Join(state, incidentsDir))
	if err != nil || len(saved) != 1 || saved[0].ID != id || saved[0].Open() {
		t.Fatalf("incident records (%v): %+v", err, saved)
	}
	pub, err := incident.Load(filepath.Join(site, "content", "incidents"))
	if err != nil || len(pub) != 1 {
		t.Fatalf("public incidents (%v): %+v", err, pub)
	}
	if strings.Join(pub[0].Systems, ",") != "pve,app" || strings.Contains(pub[0].Summary, "vault") {
		t.Errorf("public copy %+v", pub[0])
	}

	// History: both runs' records are there, with the gap between them
	// unknown, and the outage is pve's; nas stayed up.
	stop()
	h, err := history.Open(context.Background(), filepath.Join(state, historyFile), history.Options{CompactEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	reps, err := h.Report(context.Background(), []string{"pve", "app", "nas", history.SourceSubject("fake")}, s.status.overlay, time.Now(), 1)
	if err != nil {
		t.Fatal(err)
	}
	pve, app, nas, src := reps[0].Windows[0], reps[1].Windows[0], reps[2].Windows[0], reps[3].Windows[0]
	if pve.Down < 500*time.Millisecond || pve.Up < 500*time.Millisecond || pve.Unknown == 0 {
		t.Errorf("pve's 24 h: %+v", pve)
	}
	if app.Down < 500*time.Millisecond || nas.Down != 0 || nas.Up < time.Second || src.Up < time.Second {
		t.Errorf("app %+v, nas %+v, source %+v", app, nas, src)
	}
	lat, err := h.Latency(context.Background(), "nas", time.Now().Add(-time.Hour), time.Now(), 1)
	if err != nil || len(lat) != 1 || lat[0].N < 10 || lat[0].Avg != 12500*time.Microsecond {
		t.Errorf("nas latency (%v): %+v", err, lat)
	}
}
