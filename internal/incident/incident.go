// Package incident turns the lab's observed states into incidents: one per
// root cause, never one per symptom. A system whose parent, or every path
// to it, is down is "unreachable because X is down" and belongs to X's
// incident. An incident opens after its cause stayed down for open_after
// and resolves after it stayed up for resolve_after, so a flapping system
// is one incident, not forty. Incidents are kept as Markdown files with
// front matter (see file.go) so they live in git like posts.
package incident

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/history"
	"github.com/labfront/labfront/internal/yamldoc"
)

// Thresholds say how long a state must last before it counts.
type Thresholds struct {
	// OpenAfter is how long a cause must stay down before its incident
	// opens.
	OpenAfter time.Duration
	// ResolveAfter is how long it must then stay up before the incident
	// resolves; a relapse inside it keeps the incident open.
	ResolveAfter time.Duration
}

// Config is the admin config's incidents: mapping.
type Config struct {
	Thresholds
	// Observer is the lab node the admin server runs on; with it, a node
	// every path to which is down is explained by the path.
	Observer string
	// Systems are per-system thresholds, by lab node id.
	Systems map[string]Thresholds
}

// Defaults for Config.
const (
	DefaultOpenAfter    = 2 * time.Minute
	DefaultResolveAfter = time.Minute
)

// For is the thresholds of one system.
func (c Config) For(id string) Thresholds {
	if t, ok := c.Systems[id]; ok {
		return t
	}
	return c.Thresholds
}

// ParseConfig reads the incidents: mapping (n may be nil: defaults).
// known reports whether an id is a lab node (nil accepts any).
func ParseConfig(doc *yamldoc.Doc, n *yaml.Node, known func(string) bool) Config {
	cfg := Config{Thresholds: Thresholds{OpenAfter: DefaultOpenAfter, ResolveAfter: DefaultResolveAfter}}
	if n == nil {
		return cfg
	}
	f := doc.Map(n, "incidents", "open_after", "resolve_after", "observer", "systems")
	cfg.Thresholds = thresholds(doc, f, "incidents", cfg.Thresholds)
	if cfg.Observer = f.String("observer"); cfg.Observer != "" && known != nil && !known(cfg.Observer) {
		doc.Errorf(f.Node("observer"), "incidents.observer", "no node %q in lab.yaml", cfg.Observer)
	}
	if sys := f.Node("systems"); sys != nil {
		all := doc.Open(sys, "incidents.systems")
		cfg.Systems = map[string]Thresholds{}
		for _, id := range all.Keys() {
			prefix := "incidents.systems." + id
			if known != nil && !known(id) {
				doc.Errorf(all.Node(id), prefix, "no node %q in lab.yaml", id)
			}
			cfg.Systems[id] = thresholds(doc, all.Sub(id, "open_after", "resolve_after"), prefix, cfg.Thresholds)
		}
	}
	return cfg
}

func thresholds(doc *yamldoc.Doc, f yamldoc.Fields, prefix string, def Thresholds) Thresholds {
	get := func(key string, d time.Duration) time.Duration {
		s := f.String(key)
		if s == "" {
			return d
		}
		v, err := time.ParseDuration(s)
		if err != nil || v < 0 {
			doc.Errorf(f.Node(key), prefix+"."+key, "must be a duration like 2m or 30s, found %q", s)
			return d
		}
		return v
	}
	return Thresholds{OpenAfter: get("open_after", def.OpenAfter), ResolveAfter: get("resolve_after", def.ResolveAfter)}
}

// Status is an incident's status; updates carry one too.
type Status string

// Incident and update statuses.
const (
	Investigating Status = "investigating"
	Identified    Status = "identified"
	Monitoring    Status = "monitoring"
	Resolved      Status = "resolved"
)

// Statuses are the words an update may carry.
var Statuses = []Status{Investigating, Identified, Monitoring, Resolved}

// Incident is one outage of one root cause.
type Incident struct {
	// ID is the file name without .md: date of the start and the cause.
	ID string
	// PublicID names the public copy: the date and the cause's public id
	// ("internal" for a hidden cause), so a file name leaks no hidden
	// name either.
	PublicID string
	// Cause is the system whose outage this is; Systems are every system
	// it took down, the cause first, then the others sorted.
	Cause   string
	Systems []string
	Title   string
	Status  Status
	// Started is when the cause was first seen down; Resolved when it was
	// seen up for good (zero while open).
	Started, Resolved time.Time
	// Summary is the first paragraph: what happened, generated.
	Summary    string
	Updates    []Update
	Postmortem string
	// Public is whether any affected system is public: only those are
	// written under content/incidents/.
	Public bool
}

// Open reports whether the incident is still open.
func (inc Incident) Open() bool { return inc.Status != Resolved }

// Update is one note on an incident's timeline.
type Update struct {
	At     time.Time
	Status Status
	// Text is Markdown.
	Text string
}

// EventKind says what happened to an incident.
type EventKind string

// Event kinds: what notifiers are told.
const (
	Opened      EventKind = "opened"
	Updated     EventKind = "updated"
	ResolvedEvt EventKind = "resolved"
)

// Event is one change of an incident, for notifiers and the files.
type Event struct {
	Kind     EventKind
	At       time.Time
	Incident Incident
}

// Tracker follows the lab's states and opens and resolves incidents. It
// is not safe for concurrent use: the poller's loop owns it.
type Tracker struct {
	cfg   Config
	topo  *Topology
	maint func(id string, t time.Time) bool
	// downSince is when each candidate cause was first seen down in the
	// current unbroken run of down observations.
	downSince map[string]time.Time
	// open are the open incidents by cause; upSince is when an open
	// incident's cause was first seen up again.
	open    map[string]*Incident
	upSince map[string]time.Time
	taken   map[string]bool // incident ids and public ids in use
}

// NewTracker follows a lab's topology; inMaintenance reports declared
// maintenance (nil: none).
func NewTracker(cfg Config, topo *Topology, inMaintenance func(id string, t time.Time) bool) *Tracker {
	if inMaintenance == nil {
		inMaintenance = func(string, time.Time) bool { return false }
	}
	return &Tracker{cfg: cfg, topo: topo, maint: inMaintenance, downSince: map[string]time.Time{},
		open: map[string]*Incident{}, upSince: map[string]time.Time{}, taken: map[string]bool{}}
}

// Restore resumes incidents that were open when the server stopped (read
// back from their files), so a restart does not open them again; ids
// holds every incident id already used.
func (t *Tracker) Restore(incidents []Incident) {
	for _, inc := range incidents {
		t.taken[inc.ID] = true
		t.taken["public:"+inc.PublicID] = true
		if inc.Open() {
			c := inc
			// Files do not store it: the lab says it.
			c.Public = slices.ContainsFunc(c.Systems, t.topo.Public)
			t.open[inc.Cause] = &c
		}
	}
}

// Open is the incidents open now, by start.
func (t *Tracker) Open() []Incident {
	var out []Incident
	for _, inc := range t.open {
		out = append(out, *inc)
	}
	slices.SortFunc(out, byStart)
	return out
}

// Observe takes every system's state at now and returns what happened to
// incidents, opened before resolved, each sorted by cause. A system in a
// maintenance window (or whose ancestor is) is not down for incidents; an
// unknown state is no evidence either way: it neither opens nor resolves.
func (t *Tracker) Observe(now time.Time, states map[string]history.State) []Event {
	down := map[string]bool{}
	for id, st := range states {
		if st == history.Down && !t.inMaintenance(id, now) {
			down[id] = true
		}
	}
	causes := t.topo.Causes(down)
	affected := map[string][]string{} // root cause -> systems it explains
	for id, cs := range causes {
		for _, c := range cs {
			affected[c] = append(affected[c], id)
		}
	}
	var events []Event
	// Candidates: primary causes that are not yet incidents.
	for id := range t.downSince {
		if _, still := affected[id]; !still {
			delete(t.downSince, id) // up, unknown, or now explained by another
		}
	}
	for _, c := range sortedKeys(affected) {
		if inc, ok := t.open[c]; ok {
			t.setSystems(inc, affected[c])
			continue
		}
		since, ok := t.downSince[c]
		if !ok {
			t.downSince[c] = now
			since = now
		}
		if now.Sub(since) >= t.cfg.For(c).OpenAfter {
			inc := t.newIncident(c, affected[c], since)
			t.open[c] = inc
			delete(t.downSince, c)
			events = append(events, Event{Kind: Opened, At: now, Incident: *inc})
		}
	}
	// Open incidents: the cause must stay up for resolve_after. While it
	// is down (even explained by another cause now) the incident stays.
	for _, c := range sortedKeys(t.open) {
		inc := t.open[c]
		switch st := states[c]; {
		case down[c] || st == history.Down:
			delete(t.upSince, c)
		case st == history.Up || st == history.Degraded:
			since, ok := t.upSince[c]
			if !ok {
				t.upSince[c], since = now, now
			}
			if now.Sub(since) >= t.cfg.For(c).ResolveAfter {
				inc.Status, inc.Resolved = Resolved, since
				inc.Updates = append(inc.Updates, Update{At: now, Status: Resolved, Text: fmt.Sprintf("%s is up again.", c)})
				events = append(events, Event{Kind: ResolvedEvt, At: now, Incident: *inc})
				delete(t.open, c)
				delete(t.upSince, c)
			}
		}
	}
	return events
}

// AddUpdate appends the operator's note to an open incident; a resolved
// status resolves it. It returns the event to notify.
func (t *Tracker) AddUpdate(id string, u Update) (Event, error) {
	for c, inc := range t.open {
		if inc.ID != id {
			continue
		}
		if !slices.Contains(Statuses, u.Status) {
			return Event{}, fmt.Errorf("incident %s: status must be one of %s, found %q", id, joinStatuses(), u.Status)
		}
		inc.Updates = append(inc.Updates, u)
		inc.Status = u.Status
		kind := Updated
		if u.Status == Resolved {
			inc.Resolved = u.At
			kind = ResolvedEvt
			delete(t.open, c)
			delete(t.upSince, c)
		}
		return Event{Kind: kind, At: u.At, Incident: *inc}, nil
	}
	return Event{}, fmt.Errorf("incident %s: not open", id)
}

func joinStatuses() string {
	s := make([]string, len(Statuses))
	for i, v := range Statuses {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func (t *Tracker) inMaintenance(id string, now time.Time) bool {
	for p, n := id, 0; p != "" && n < 64; p, n = t.topo.Parent(p), n+1 {
		if t.maint(p, now) {
			return true
		}
	}
	return false
}

func (t *Tracker) newIncident(cause string, systems []string, since time.Time) *Incident {
	base := since.UTC().Format(time.DateOnly) + "-" + cause
	id := base
	for n := 2; t.taken[id]; n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	t.taken[id] = true
	pc := t.topo.PublicID(cause)
	if pc == "" {
		pc = "internal"
	}
	pbase := since.UTC().Format(time.DateOnly) + "-" + pc
	pid := pbase
	for n := 2; t.taken["public:"+pid]; n++ {
		pid = fmt.Sprintf("%s-%d", pbase, n)
	}
	t.taken["public:"+pid] = true
	inc := &Incident{ID: id, PublicID: pid, Cause: cause, Status: Investigating, Started: since}
	t.setSystems(inc, systems)
	return inc
}

// setSystems records which systems the cause takes down, keeping every
// one seen during the incident, and words the title and summary.
func (t *Tracker) setSystems(inc *Incident, systems []string) {
	set := map[string]bool{}
	for _, s := range append(slices.Clone(inc.Systems), systems...) {
		if s != inc.Cause {
			set[s] = true
		}
	}
	inc.Systems = append([]string{inc.Cause}, sortedKeys(set)...)
	inc.Public = slices.ContainsFunc(inc.Systems, t.topo.Public)
	inc.Title, inc.Summary = Describe(inc.Cause, inc.Systems[1:], func(id string) string { return id })
}

// Describe words an incident's title and summary with name giving each
// system's shown name ("" for a system that must not be named: the
// wording then says "an internal system").
func Describe(cause string, others []string, name func(string) string) (title, summary string) {
	c := name(cause)
	title = c + " is down"
	if c == "" {
		c, title = "an internal system", "An internal system is down"
	}
	var shown []string
	for _, o := range others {
		if n := name(o); n != "" {
			shown = append(shown, n)
		}
	}
	summary = title + "."
	if len(shown) > 0 {
		title += fmt.Sprintf(" (%d more affected)", len(shown))
		verb := "is"
		if len(shown) > 1 {
			verb = "are"
		}
		summary += fmt.Sprintf(" %s %s unreachable because %s is down.", list(shown), verb, c)
	}
	return title, summary
}

func list(s []string) string {
	switch len(s) {
	case 1:
		return s[0]
	case 2:
		return s[0] + " and " + s[1]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// byStart orders incidents by start, then id.
func byStart(a, b Incident) int {
	if c := a.Started.Compare(b.Started); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
