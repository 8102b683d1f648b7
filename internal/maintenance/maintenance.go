// Package maintenance is the lab's declared maintenance windows: one-off
// (start and duration) or recurring (a 5-field cron expression and a
// duration), each with the systems it covers and a reason. It answers
// "is this system in maintenance at t" for incidents and uptime, and
// "what is the next window" for the status page's banner.
package maintenance

import (
	"fmt"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/history"
	"github.com/labfront/labfront/internal/yamldoc"
)

// Window is one declared maintenance window.
type Window struct {
	Systems []string
	// Start is a one-off window's start; zero for a recurring one.
	Start time.Time
	// Cron is a recurring window's schedule; nil for a one-off one.
	Cron     *Schedule
	Duration time.Duration
	Reason   string
	// Line is where the window is declared, for messages.
	Line int
}

// Covers reports whether the window names system.
func (w Window) Covers(system string) bool { return slices.Contains(w.Systems, system) }

// Occurrences are the stretches of the window that overlap [from, to), in
// time order.
func (w Window) Occurrences(from, to time.Time, loc *time.Location) []history.Interval {
	if w.Cron == nil {
		iv := history.Interval{From: w.Start, To: w.Start.Add(w.Duration)}
		if iv.To.After(from) && iv.From.Before(to) {
			return []history.Interval{iv}
		}
		return nil
	}
	var out []history.Interval
	// A window that started up to Duration before from still covers it.
	t := from.Add(-w.Duration)
	for len(out) < 10000 {
		start, ok := w.Cron.Next(t, loc)
		if !ok || !start.Before(to) {
			break
		}
		if iv := (history.Interval{From: start, To: start.Add(w.Duration)}); iv.To.After(from) {
			out = append(out, iv)
		}
		t = start.Add(time.Minute)
	}
	return out
}

// Windows are the lab's maintenance windows, with the time zone their
// cron expressions are read in.
type Windows struct {
	List     []Window
	Location *time.Location
}

// Occurrence is one stretch of a window.
type Occurrence struct {
	Window Window
	history.Interval
}

// At is the window system is in at t, if any: the one that ends last when
// several overlap, so a banner can say until when.
func (ws Windows) At(system string, t time.Time) (Occurrence, bool) {
	var best Occurrence
	found := false
	for _, w := range ws.List {
		if !w.Covers(system) {
			continue
		}
		for _, iv := range w.Occurrences(t, t.Add(time.Nanosecond), ws.loc()) {
			if iv.Contains(t) && (!found || iv.To.After(best.To)) {
				best, found = Occurrence{Window: w, Interval: iv}, true
			}
		}
	}
	return best, found
}

// InMaintenance reports whether system is in a window at t: what the
// incident tracker asks.
func (ws Windows) InMaintenance(system string, t time.Time) bool {
	_, in := ws.At(system, t)
	return in
}

// Next is system's first window that is under way at t or starts after
// it, looking a year ahead.
func (ws Windows) Next(system string, t time.Time) (Occurrence, bool) {
	var best Occurrence
	found := false
	for _, w := range ws.List {
		if !w.Covers(system) {
			continue
		}
		occ := w.Occurrences(t, t.AddDate(1, 0, 0), ws.loc())
		if len(occ) > 0 && (!found || occ[0].From.Before(best.From)) {
			best, found = Occurrence{Window: w, Interval: occ[0]}, true
		}
	}
	return best, found
}

// Upcoming are every window's stretches that are under way at t or start
// before t+horizon, in time order: the banner's list.
func (ws Windows) Upcoming(t time.Time, horizon time.Duration) []Occurrence {
	var out []Occurrence
	for _, w := range ws.List {
		for _, iv := range w.Occurrences(t, t.Add(horizon), ws.loc()) {
			out = append(out, Occurrence{Window: w, Interval: iv})
		}
	}
	slices.SortStableFunc(out, func(a, b Occurrence) int { return a.From.Compare(b.From) })
	return out
}

// For is the intervals of system's windows within [from, to): what
// history.Overlay.Windows asks for.
func (ws Windows) For(system string, from, to time.Time) []history.Interval {
	var out []history.Interval
	for _, w := range ws.List {
		if w.Covers(system) {
			out = append(out, w.Occurrences(from, to, ws.loc())...)
		}
	}
	return out
}

func (ws Windows) loc() *time.Location {
	if ws.Location == nil {
		return time.UTC
	}
	return ws.Location
}

// Parse reads the admin config's maintenance: list. known reports whether
// a system id is a lab node (nil accepts any); loc is the zone cron
// expressions are read in. Every problem is reported to doc at its line.
func Parse(doc *yamldoc.Doc, list []*yaml.Node, known func(string) bool, loc *time.Location) Windows {
	ws := Windows{Location: loc}
	for i, n := range list {
		prefix := fmt.Sprintf("maintenance[%d]", i)
		f := doc.Map(n, prefix, "systems", "start", "cron", "duration", "reason")
		f.Require("systems", "duration", "reason")
		w := Window{Systems: f.Strings("systems"), Reason: f.String("reason"), Line: doc.Line(n)}
		if f.Has("systems") && len(w.Systems) == 0 {
			doc.Errorf(f.Node("systems"), prefix+".systems", "name at least one system")
		}
		for j, id := range w.Systems {
			if known != nil && !known(id) {
				doc.Errorf(f.Node("systems"), fmt.Sprintf("%s.systems[%d]", prefix, j), "no node %q in lab.yaml", id)
			}
		}
		if d := f.String("duration"); d != "" {
			v, err := time.ParseDuration(d)
			if err != nil || v <= 0 {
				doc.Errorf(f.Node("duration"), prefix+".duration", "must be a positive duration like 30m or 2h, found %q", d)
			}
			w.Duration = v
		}
		switch start, cron := f.String("start"), f.String("cron"); {
		case start != "" && cron != "":
			doc.Errorf(f.Node("cron"), prefix+".cron", "give start (one-off) or cron (recurring), not both")
		case start != "":
			t, err := time.Parse(time.RFC3339, start)
			if err != nil {
				doc.Errorf(f.Node("start"), prefix+".start", "expected an RFC 3339 time like 2026-12-24T02:00:00Z, found %q", start)
			}
			w.Start = t
		case cron != "":
			s, err := ParseCron(cron)
			if err != nil {
				doc.Errorf(f.Node("cron"), prefix+".cron", "%v", err)
			}
			w.Cron = s
		default:
			doc.Errorf(n, prefix, "give start (one-off) or cron (recurring)")
		}
		if w.Duration > 0 && (w.Cron != nil || !w.Start.IsZero()) {
			ws.List = append(ws.List, w)
		}
	}
	return ws
}
