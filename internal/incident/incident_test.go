package incident

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/history"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/testkit/golden"
	"github.com/labfront/labfront/internal/yamldoc"
)

// update is -update: rewrite the golden files.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testLab: the admin server runs on "admin", behind the router; the
// switch connects pve (with guest app) and nas; nas also has a tailscale
// path from the router, cam has only the switch.
func testLab() *lab.Lab {
	node := func(id, parent string, public bool) lab.Node {
		return lab.Node{ID: id, Name: id, Type: "container", Parent: parent, Public: public}
	}
	return &lab.Lab{
		Nodes: []lab.Node{
			node("admin", "", true), node("router", "", true), node("switch", "", true),
			node("pve", "", true), node("app", "pve", true), node("nas", "", true), node("cam", "", true),
		},
		Links: []lab.Link{
			{From: "admin", To: "router", Type: "lan"},
			{From: "router", To: "switch", Type: "lan"},
			{From: "switch", To: "pve", Type: "lan"},
			{From: "switch", To: "nas", Type: "lan"},
			{From: "switch", To: "cam", Type: "lan"},
			{From: "router", To: "nas", Type: "tailscale"},
			{From: "nas", To: "cam", Type: "backup"}, // not a path
		},
	}
}

func TestCauses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		observer string
		down     []string
		want     map[string][]string
	}{
		{"a guest is its hypervisor's outage", "admin", []string{"pve", "app"},
			map[string][]string{"pve": {"pve"}, "app": {"pve"}}},
		{"a guest alone is its own", "admin", []string{"app"},
			map[string][]string{"app": {"app"}}},
		{"every path through the switch", "admin", []string{"switch", "pve", "app", "cam"},
			map[string][]string{"switch": {"switch"}, "pve": {"switch"}, "app": {"switch"}, "cam": {"switch"}}},
		{"another path still reaches nas", "admin", []string{"switch", "nas"},
			map[string][]string{"switch": {"switch"}, "nas": {"nas"}}},
		{"two causes on the way", "admin", []string{"router", "switch", "nas", "cam"},
			map[string][]string{"router": {"router"}, "switch": {"router"}, "nas": {"router"}, "cam": {"router"}}},
		{"without an observer only parents explain", "", []string{"switch", "pve", "app", "cam"},
			map[string][]string{"switch": {"switch"}, "pve": {"pve"}, "app": {"pve"}, "cam": {"cam"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			down := map[string]bool{}
			for _, d := range tc.down {
				down[d] = true
			}
			got := NewTopology(testLab(), tc.observer).Causes(down)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("causes = %v, want %v", got, tc.want)
			}
		})
	}
}

// sim drives a tracker with one observation every 30 s.
type sim struct {
	t      *testing.T
	tr     *Tracker
	now    time.Time
	events []Event
}

var start = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)

func newSim(t *testing.T, cfg Config, maint func(string, time.Time) bool) *sim {
	return &sim{t: t, tr: NewTracker(cfg, NewTopology(testLab(), "admin"), maint), now: start}
}

// step observes states (every other system up) n times, 30 s apart.
func (s *sim) step(n int, down ...string) {
	for range n {
		states := map[string]history.State{}
		for _, id := range []string{"admin", "router", "switch", "pve", "app", "nas", "cam"} {
			states[id] = history.Up
		}
		for _, d := range down {
			id, st, ok := strings.Cut(d, "=")
			if ok {
				states[id] = history.State(st)
			} else {
				states[id] = history.Down
			}
		}
		s.events = append(s.events, s.tr.Observe(s.now, states)...)
		s.now = s.now.Add(30 * time.Second)
	}
}

func (s *sim) kinds() []string {
	var out []string
	for _, e := range s.events {
		out = append(out, string(e.Kind)+":"+e.Incident.Cause+"@"+e.At.Sub(start).String())
	}
	return out
}

var defaults = Config{Thresholds: Thresholds{OpenAfter: 2 * time.Minute, ResolveAfter: time.Minute}}

func TestTrackerOneIncidentPerCause(t *testing.T) {
	t.Parallel()
	s := newSim(t, defaults, nil)
	s.step(1, "app")        // the guest's probe notices first
	s.step(6, "pve", "app") // then the hypervisor's
	// Flapping: up for one observation, down again: still one incident.
	s.step(1)
	s.step(2, "pve", "app")
	s.step(1, "pve=unknown", "app=unknown") // no evidence: nothing changes
	s.step(4)
	want := []string{"opened:pve@2m30s", "resolved:pve@6m30s"}
	if got := s.kinds(); !slices.Equal(got, want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	opened, resolved := s.events[0].Incident, s.events[1].Incident
	if !slices.Equal(opened.Systems, []string{"pve", "app"}) || opened.ID != "2026-12-03-pve" || !opened.Started.Equal(start.Add(30*time.Second)) {
		t.Errorf("opened %+v", opened)
	}
	if opened.Title != "pve is down (1 more affected)" || opened.Summary != "pve is down. app is unreachable because pve is down." || !opened.Public {
		t.Errorf("wording: %q / %q / public %v", opened.Title, opened.Summary, opened.Public)
	}
	if resolved.Status != Resolved || !resolved.Resolved.Equal(start.Add(5*time.Minute+30*time.Second)) || len(resolved.Updates) != 1 {
		t.Errorf("resolved %+v", resolved)
	}
	if len(s.tr.Open()) != 0 {
		t.Errorf("still open: %v", s.tr.Open())
	}
}

func TestTrackerDebounceAndThresholds(t *testing.T) {
	t.Parallel()
	cfg := defaults
	cfg.Systems = map[string]Thresholds{"nas": {OpenAfter: 5 * time.Minute, ResolveAfter: time.Minute}}
	s := newSim(t, cfg, nil)
	// cam flaps: never down for 2 minutes on end, so no incident.
	for range 10 {
		s.step(3, "cam")
		s.step(1)
	}
	// nas's own threshold is 5 minutes.
	s.step(10, "nas")
	s.step(1, "nas")
	s.step(3)
	want := []string{"opened:nas@25m0s", "resolved:nas@26m30s"}
	if got := s.kinds(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestTrackerMaintenance(t *testing.T) {
	t.Parallel()
	window := func(id string, at time.Time) bool { return id == "pve" && at.Before(start.Add(10*time.Minute)) }
	s := newSim(t, defaults, window)
	s.step(30, "pve", "app") // ten minutes in maintenance, then five down
	s.step(4)
	want := []string{"opened:pve@12m0s", "resolved:pve@16m0s"}
	if got := s.kinds(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v (nothing during the window)", got, want)
	}
}

func TestTrackerRestoreAndUpdates(t *testing.T) {
	t.Parallel()
	s := newSim(t, defaults, nil)
	s.step(6, "pve", "app")
	open := s.tr.Open()
	if len(open) != 1 {
		t.Fatalf("open = %v", open)
	}
	// A restarted server restores the open incident and does not open
	// another, and a later outage of the same cause gets a new id.
	tr := NewTracker(defaults, NewTopology(testLab(), "admin"), nil)
	tr.Restore(open)
	s2 := &sim{t: t, tr: tr, now: s.now}
	s2.step(6, "pve", "app")
	if len(s2.events) != 0 {
		t.Errorf("after restore: %v", s2.kinds())
	}
	ev, err := tr.AddUpdate(open[0].ID, Update{At: s2.now, Status: Identified, Text: "The PSU *failed*."})
	if err != nil || ev.Kind != Updated || ev.Incident.Status != Identified {
		t.Fatalf("update: %+v %v", ev, err)
	}
	if _, err := tr.AddUpdate(open[0].ID, Update{At: s2.now, Status: "fixed"}); err == nil {
		t.Error("an unknown status was taken")
	}
	ev, err = tr.AddUpdate(open[0].ID, Update{At: s2.now, Status: Resolved, Text: "Replaced."})
	if err != nil || ev.Kind != ResolvedEvt || len(tr.Open()) != 0 {
		t.Fatalf("resolve by hand: %+v %v", ev, err)
	}
	s2.step(6, "pve")
	if got := s2.kinds(); len(got) != 1 || got[0] != "opened:pve@8m0s" || s2.events[0].Incident.ID != "2026-12-03-pve-2" {
		t.Errorf("second outage: %v (%s)", got, s2.events[0].Incident.ID)
	}
}

// TestPublicID: a hidden cause does not name the public copy either.
func TestPublicID(t *testing.T) {
	t.Parallel()
	l := testLab()
	for i := range l.Nodes {
		if l.Nodes[i].ID == "switch" {
			l.Nodes[i].Public = false
		}
	}
	tr := NewTracker(defaults, NewTopology(l, "admin"), nil)
	var evs []Event
	for i := range 6 {
		evs = append(evs, tr.Observe(start.Add(time.Duration(i)*30*time.Second), map[string]history.State{"switch": history.Down, "cam": history.Down})...)
	}
	if len(evs) != 1 {
		t.Fatalf("events %+v", evs)
	}
	inc := evs[0].Incident
	if inc.ID != "2026-12-03-switch" || inc.PublicID != "2026-12-03-internal" || !inc.Public || !slices.Equal(inc.Systems, []string{"switch", "cam"}) {
		t.Errorf("incident %+v", inc)
	}
	out := Publish(inc, func(id string) (string, string) { return NewTopology(l, "").PublicID(id), id })
	if out.ID != "2026-12-03-internal" || out.PublicID != "" || slices.Contains(out.Systems, "switch") {
		t.Errorf("public copy %+v", out)
	}
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	var probs diag.List
	doc := &yamldoc.Doc{Path: "admin.yaml", Problems: &probs}
	root := doc.Parse([]byte(`incidents:
  open_after: 3m
  resolve_after: soon
  observer: ghost
  systems:
    nas: {open_after: 10m}
    cam: {open_after: 1m, after: 2m}
`))
	f := doc.Map(root, "", "incidents")
	cfg := ParseConfig(doc, f.Node("incidents"), func(id string) bool { return id == "nas" || id == "cam" })
	var got []string
	for _, p := range probs {
		got = append(got, p.Error())
	}
	want := []string{
		`admin.yaml:3: incidents.resolve_after: must be a duration like 2m or 30s, found "soon"`,
		`admin.yaml:4: incidents.observer: no node "ghost" in lab.yaml`,
		`admin.yaml:7: incidents.systems.cam.after: unknown key (allowed: open_after, resolve_after)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if cfg.OpenAfter != 3*time.Minute || cfg.ResolveAfter != DefaultResolveAfter || cfg.For("nas").OpenAfter != 10*time.Minute || cfg.For("nas").ResolveAfter != DefaultResolveAfter {
		t.Errorf("config %+v", cfg)
	}
}

func sampleIncident() Incident {
	return Incident{
		ID: "2026-12-03-pve", Cause: "pve", Systems: []string{"pve", "app"},
		Title: "pve is down (1 more affected)", Status: Resolved,
		Started: start, Resolved: start.Add(40 * time.Minute),
		Summary: "pve is down. app is unreachable because pve is down.",
		Updates: []Update{
			{At: start.Add(10 * time.Minute), Status: Identified, Text: "The PSU failed.\n\nA spare is on the way."},
			{At: start.Add(40 * time.Minute), Status: Resolved, Text: "pve is up again."},
		},
		Postmortem: "## What happened\n\nThe PSU's fan stopped.",
		Public:     true,
	}
}

// TestIncidentFile: the file format is the golden file, and reads back as
// the same incident.
func TestIncidentFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inc := sampleIncident()
	path, err := Write(dir, inc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "incident.md"), got)
	all, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	inc.Public = false // not stored: the directory says it
	if len(all) != 1 || !reflect.DeepEqual(all[0], inc) {
		t.Errorf("read back:\n%+v\nwant\n%+v", all, inc)
	}
	edited, err := Edit(dir, inc.ID, func(i *Incident) error { i.Postmortem = "Short."; return nil })
	if err != nil || edited.Postmortem != "Short." || len(edited.Updates) != 2 {
		t.Errorf("edit: %+v %v", edited, err)
	}
}

func TestIncidentFileErrors(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(`---
title: x
status: over
started: yesterday
---
Summary.

## Updates

stray text
### 2026-12-03 identified
`), "content/incidents/x.md")
	want := []string{
		`content/incidents/x.md:3: status: must be one of investigating, identified, monitoring, resolved, found "over"`,
		`content/incidents/x.md:4: started: expected an RFC 3339 time like 2026-12-03T07:00:00Z, found "yesterday"`,
		`content/incidents/x.md:10: updates: text before the first ### update heading`,
		`content/incidents/x.md:11: updates: an update heading is ### <RFC 3339 time> <investigating, identified, monitoring, resolved>, found "### 2026-12-03 identified"`,
	}
	p, _ := diag.As(err)
	var got []string
	for _, e := range p {
		got = append(got, e.Error())
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPublish: the public copy names no hidden node, not even in the
// wording.
func TestPublish(t *testing.T) {
	t.Parallel()
	pub := func(id string) (string, string) {
		switch id {
		case "pve":
			return "", ""
		case "app":
			return "media", "Media server"
		}
		return id, id
	}
	out := Publish(sampleIncident(), pub)
	if out.Cause != "" || !slices.Equal(out.Systems, []string{"media"}) {
		t.Errorf("systems %q cause %q", out.Systems, out.Cause)
	}
	data, err := Render(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "pve") || strings.Contains(string(data), "app ") {
		t.Errorf("a hidden name leaks:\n%s", data)
	}
	if !strings.Contains(string(data), "Media server is unreachable because an internal system is down.") {
		t.Errorf("wording:\n%s", data)
	}
}

// TestFiles: the admin's record keeps lab ids; the public copy, written
// only for incidents that touch a public system, names no hidden node;
// a postmortem reaches both; a restart restores from the records.
func TestFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	fs := Files{Dir: filepath.Join(root, "state", "incidents"), PublicDir: filepath.Join(root, "content", "incidents"),
		Pub: func(id string) (string, string) {
			if id == "pve" || id == "vault" {
				return "", ""
			}
			return id, strings.ToUpper(id[:1]) + id[1:]
		}}
	s := newSim(t, defaults, nil)
	s.step(6, "pve", "app")
	if len(s.events) != 1 {
		t.Fatalf("events: %v", s.kinds())
	}
	inc := s.events[0].Incident
	if err := fs.Save(inc); err != nil {
		t.Fatal(err)
	}
	private := Incident{ID: "2026-12-03-vault", Cause: "vault", Systems: []string{"vault"}, Title: "vault is down", Status: Investigating, Started: start}
	if err := fs.Save(private); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.SetPostmortem(inc.ID, "The PSU."); err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(filepath.Join(fs.PublicDir, inc.PublicID+".md"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(pub), "pve") || !strings.Contains(string(pub), "App is unreachable because an internal system is down.") || !strings.Contains(string(pub), "The PSU.") {
		t.Errorf("public copy:\n%s", pub)
	}
	if files, err := os.ReadDir(fs.PublicDir); err != nil || len(files) != 1 {
		t.Errorf("public files %v %v: an incident of hidden systems only was published", files, err)
	}
	recs, err := fs.Load()
	if err != nil || len(recs) != 2 {
		t.Fatalf("records: %v %v", recs, err)
	}
	tr := NewTracker(defaults, NewTopology(testLab(), "admin"), nil)
	tr.Restore(recs)
	if open := tr.Open(); len(open) != 2 || open[0].Cause != "pve" || !open[0].Public || open[0].Postmortem != "The PSU." || open[1].Public {
		t.Errorf("restored: %+v", open)
	}
}
