package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/history"
	"github.com/labfront/labfront/internal/incident"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/testkit/notifytest"
	"github.com/labfront/labfront/internal/testkit/sitetest"
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
	cfg, err := adminconfig.Parse([]byte("listen: 127.0.0.1:0\nsite: "+site+"\nstate_dir: "+state+
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

// TestStatusPagesAndActions: the admin's status pages show the history,
// the incident and its timeline, the maintenance windows and the
// deliveries; posting an update notifies it, a postmortem is refused
// while the incident is open and saved once it is resolved, "send a
// test" reaches the notifier, and every attempt is audited, refusals
// too. A form without its confirmation is refused before anything is
// audited.
func TestStatusPagesAndActions(t *testing.T) {
	site, state := writeStatusSite(t), t.TempDir()
	hook := notifytest.Webhook(t, nil)
	extra := "incidents: {open_after: 200ms, resolve_after: 200ms}\nnotify:\n  - {name: hook, type: webhook, url: " + hook.URL + "/lab}\n" +
		"maintenance:\n  - {systems: [nas], cron: \"0 3 * * 0\", duration: 30m, reason: weekly scrub}\n"
	fake := &flipCollector{}
	fake.set(map[string]string{"pve": live.Down, "app": live.Down, "nas": live.Up})
	s := statusServer(t, site, state, extra, fake)
	h := s.Handler()
	polling(t, s)
	waitFor(t, "the opened message", func() bool { return len(hook.Requests()) >= 1 })
	id := webhookEvents(t, hook)[0].Incident.ID

	if rec := postForm(t, h, "/admin/incidents/"+id+"/updates", url.Values{"status": {"identified"}, "text": {"The PSU died."}}, "", "same-origin"); rec.Code != http.StatusBadRequest {
		t.Errorf("unconfirmed update: %d", rec.Code)
	}
	if rec := postForm(t, h, "/admin/incidents/"+id+"/postmortem", url.Values{"text": {"Too early."}, "confirm": {"yes"}}, "", "same-origin"); rec.Code != http.StatusConflict {
		t.Errorf("postmortem of an open incident: %d", rec.Code)
	}
	rec := postForm(t, h, "/admin/incidents/"+id+"/updates", url.Values{"status": {"identified"}, "text": {"The PSU died."}, "confirm": {"yes"}}, "", "same-origin")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Update posted") {
		t.Fatalf("update: %d\n%s", rec.Code, rec.Body)
	}
	waitFor(t, "the updated message", func() bool { return len(hook.Requests()) >= 2 })
	if ev := webhookEvents(t, hook)[1]; ev.Event != "updated" || ev.Incident.Status != "identified" {
		t.Errorf("update message %+v", ev)
	}
	page := get(t, h, "/admin/incidents", nil).Body.String()
	for _, want := range []string{"pve is down (1 more affected)", "The PSU died.", `action="/admin/incidents/` + id + `/updates"`} {
		if !strings.Contains(page, want) {
			t.Errorf("incidents page lacks %q", want)
		}
	}

	fake.set(map[string]string{"pve": live.Up, "app": live.Up, "nas": live.Up})
	waitFor(t, "the resolved message", func() bool { return len(hook.Requests()) >= 3 })
	rec = postForm(t, h, "/admin/incidents/"+id+"/postmortem", url.Values{"text": {"## What happened\n\nA PSU."}, "confirm": {"yes"}}, "", "same-origin")
	if rec.Code != http.StatusOK {
		t.Fatalf("postmortem: %d\n%s", rec.Code, rec.Body)
	}
	pub, err := incident.Load(filepath.Join(site, "content", "incidents"))
	if err != nil || len(pub) != 1 || pub[0].Postmortem != "## What happened\n\nA PSU." {
		t.Errorf("public copy (%v): %+v", err, pub)
	}
	if rec := postForm(t, h, "/admin/incidents/../../etc/postmortem", url.Values{"text": {"x"}, "confirm": {"yes"}}, "", "same-origin"); rec.Code == http.StatusOK {
		t.Errorf("a path as an id: %d", rec.Code)
	}

	rec = postForm(t, h, "/admin/deliveries/test/hook", url.Values{"confirm": {"yes"}}, "", "same-origin")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "The test message reached hook.") {
		t.Fatalf("send a test: %d\n%s", rec.Code, rec.Body)
	}
	if ev := webhookEvents(t, hook); ev[len(ev)-1].Event != "test" {
		t.Errorf("last message %+v", ev[len(ev)-1])
	}
	if rec := postForm(t, h, "/admin/deliveries/test/nobody", url.Values{"confirm": {"yes"}}, "", "same-origin"); rec.Code != http.StatusNotFound {
		t.Errorf("test of an unknown notifier: %d", rec.Code)
	}

	recs, _, err := s.audit.Recent(50)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Action+" "+r.Result)
	}
	if want := "notify-test refused,notify-test ok,postmortem ok,incident-update ok,postmortem refused"; strings.Join(got, ",") != want {
		t.Errorf("audit: %q, want %q", strings.Join(got, ","), want)
	}

	deliveries := get(t, h, "/admin/deliveries", nil).Body.String()
	if !strings.Contains(deliveries, "delivered") || strings.Count(deliveries, "<code>"+id+"</code>") != 3 {
		t.Errorf("deliveries page:\n%s", deliveries)
	}
	maint := get(t, h, "/admin/maintenance", nil).Body.String()
	if !strings.Contains(maint, "cron 0 3 * * 0") || !strings.Contains(maint, "weekly scrub") {
		t.Errorf("maintenance page lacks the window")
	}
	if err := s.status.current().Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	uptime := get(t, h, "/admin/uptime", nil).Body.String()
	if !regexp.MustCompile(`class="day d-(partial|down)"`).MatchString(uptime) {
		t.Errorf("uptime page has no bar of today's outage")
	}
	for _, want := range []string{`<a href="/admin/nodes/pve">pve</a>`, `class="day d-unknown"`, "12.5 ms", "no data"} {
		if !strings.Contains(uptime, want) {
			t.Errorf("uptime page lacks %q", want)
		}
	}
}

// TestStatusPublicOutputs: the hidden guest's name is in the admin's
// records and state_dir/snapshot.json (private), but neither in
// /api/v1/history nor in a site built with that snapshot, whose
// /status/ has the bars, the incident and the maintenance banner.
func TestStatusPublicOutputs(t *testing.T) {
	site, state := writeStatusSite(t), t.TempDir()
	extra := "incidents: {open_after: 200ms, resolve_after: 200ms}\n" +
		"maintenance:\n  - {systems: [nas, vault], cron: \"0 3 * * *\", duration: 30m, reason: nightly scrub}\n"
	fake := &flipCollector{}
	fake.set(map[string]string{"pve": live.Down, "app": live.Down, "vault": live.Down, "nas": live.Up})
	s := statusServer(t, site, state, extra, fake)
	stop := polling(t, s)
	waitFor(t, "the incident", func() bool {
		incs, _ := s.status.incidents()
		return len(incs) == 1
	})
	time.Sleep(100 * time.Millisecond)
	// The incident made the next snapshot compute the history again.
	if err := s.writeSnapshot(); err != nil {
		t.Fatal(err)
	}

	rec := get(t, s.Handler(), "/api/v1/history", nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK || strings.Contains(body, "vault") {
		t.Fatalf("/api/v1/history %d:\n%s", rec.Code, body)
	}
	var ans historyAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
		t.Fatal(err)
	}
	if ans.History == nil || len(ans.Nodes) != 3 || len(ans.Nodes["pve"].Days) != historyDays || len(ans.Incidents) != 1 ||
		strings.Join(ans.Incidents[0].Systems, ",") != "pve,app" || len(ans.Maintenance) == 0 || strings.Join(ans.Maintenance[0].Systems, ",") != "nas" {
		t.Errorf("public history %+v", ans.History)
	}
	stop()

	private, err := os.ReadFile(filepath.Join(state, snapshotFile))
	if err != nil || !strings.Contains(string(private), `"vault"`) {
		t.Fatalf("state_dir/snapshot.json should keep the admin's record (%v)", err)
	}
	out := filepath.Join(t.TempDir(), "dist")
	if _, err := web.Build(context.Background(), web.Options{Src: site, Out: out, Snapshot: filepath.Join(state, snapshotFile),
		Cache: web.NewCache(), Static: static.FS(), Islands: web.Islands()}); err != nil {
		t.Fatal(err)
	}
	for path, data := range sitetest.Tree(t, out) {
		if strings.Contains(data, "vault") {
			t.Errorf("dist/%s names the hidden system", path)
		}
	}
	page, err := os.ReadFile(filepath.Join(out, "status", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Current incidents", "pve is down (1 more affected)", `aria-label="pve, last 90 days"`, "nightly scrub", "Day by day"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("/status/ lacks %q", want)
		}
	}
}
