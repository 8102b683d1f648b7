package history

import (
	"slices"
	"sort"
	"time"
)

// Interval is the half-open span of time [From, To).
type Interval struct{ From, To time.Time }

// Contains reports whether t is in the interval.
func (i Interval) Contains(t time.Time) bool { return !t.Before(i.From) && t.Before(i.To) }

// Segment is a stretch of time in one known state.
type Segment struct {
	From, To time.Time
	State    State
}

// Timeline is a system's known states in time order, segments never
// overlapping. Time no segment covers is unknown: the record has nothing
// there, so nothing may be claimed about it.
type Timeline []Segment

// At is the state at t.
func (tl Timeline) At(t time.Time) State {
	i := sort.Search(len(tl), func(i int) bool { return tl[i].To.After(t) })
	if i < len(tl) && !t.Before(tl[i].From) {
		return tl[i].State
	}
	return Unknown
}

// Span sums the timeline's states over [from, to); what no segment covers
// is Unknown.
func (tl Timeline) Span(from, to time.Time) Span {
	var s Span
	for _, seg := range tl {
		a, b := later(seg.From, from), earlier(seg.To, to)
		if a.Before(b) {
			s.add(seg.State, b.Sub(a))
		}
	}
	if to.After(from) {
		s.Unknown = to.Sub(from) - s.Known() - s.Maintenance
	}
	return s
}

// append adds a segment, merging it with the last when they touch in the
// same state; unknown segments are left out (a gap says the same).
func (tl Timeline) append(seg Segment) Timeline {
	if seg.State == Unknown || !seg.To.After(seg.From) {
		return tl
	}
	if n := len(tl); n > 0 && tl[n-1].State == seg.State && tl[n-1].To.Equal(seg.From) {
		tl[n-1].To = seg.To
		return tl
	}
	return append(tl, seg)
}

// Span is how long a system spent in each state over some time.
type Span struct {
	Up, Degraded, Down, Maintenance, Unknown time.Duration
}

func (s *Span) add(st State, d time.Duration) {
	switch st {
	case Up:
		s.Up += d
	case Degraded:
		s.Degraded += d
	case Down:
		s.Down += d
	case Maintenance:
		s.Maintenance += d
	default:
		s.Unknown += d
	}
}

// Plus is the sum of two spans.
func (s Span) Plus(o Span) Span {
	return Span{s.Up + o.Up, s.Degraded + o.Degraded, s.Down + o.Down, s.Maintenance + o.Maintenance, s.Unknown + o.Unknown}
}

// scale is s times f, for the part of a rolled-up day a window covers.
func (s Span) scale(f float64) Span {
	m := func(d time.Duration) time.Duration { return time.Duration(float64(d) * f) }
	return Span{m(s.Up), m(s.Degraded), m(s.Down), m(s.Maintenance), m(s.Unknown)}
}

// Known is the time whose state is known and counts toward uptime:
// up, degraded and down (maintenance is excluded, unknown is a gap).
func (s Span) Known() time.Duration { return s.Up + s.Degraded + s.Down }

// Total is all the time the span covers.
func (s Span) Total() time.Duration { return s.Known() + s.Maintenance + s.Unknown }

// Uptime is the share of known time the system was available (up or
// degraded); ok is false when no time is known, which a page shows as
// "no data" rather than as 0 % or 100 %.
func (s Span) Uptime() (ratio float64, ok bool) {
	k := s.Known()
	if k == 0 {
		return 0, false
	}
	return float64(s.Up+s.Degraded) / float64(k), true
}

// DayStatus is the colour of one day's bar.
type DayStatus string

// Day statuses.
const (
	DayUp          DayStatus = "up"
	DayPartial     DayStatus = "partial"
	DayDown        DayStatus = "down"
	DayMaintenance DayStatus = "maintenance"
	DayUnknown     DayStatus = "unknown"
)

// Status classifies a day: with no known time it is maintenance when any
// maintenance was declared and unknown otherwise; a day with only up time
// is up; one down for at least half its known time is down; anything else
// (degraded, or a shorter outage) is partial.
func (s Span) Status() DayStatus {
	k := s.Known()
	switch {
	case k == 0 && s.Maintenance > 0:
		return DayMaintenance
	case k == 0:
		return DayUnknown
	case s.Down == 0 && s.Degraded == 0:
		return DayUp
	case 2*s.Down >= k:
		return DayDown
	}
	return DayPartial
}

// Days are the local calendar days of loc, n of them, ending with the day
// that holds now (oldest first). Each is midnight to midnight, so a
// daylight-saving day is 23 or 25 hours long; the last ends at the next
// midnight although now is before it.
func Days(now time.Time, loc *time.Location, n int) []Interval {
	if loc == nil {
		loc = time.UTC
	}
	l := now.In(loc)
	out := make([]Interval, n)
	for i := range n {
		back := n - 1 - i
		out[i] = Interval{
			From: time.Date(l.Year(), l.Month(), l.Day()-back, 0, 0, 0, 0, loc),
			To:   time.Date(l.Year(), l.Month(), l.Day()-back+1, 0, 0, 0, 0, loc),
		}
	}
	return out
}

// Overlay is what the uptime arithmetic needs besides the record: the
// lab's topology and the declared maintenance windows.
type Overlay struct {
	// Parent is a system's parent in the lab ("" for none); nil for a lab
	// without topology.
	Parent func(id string) string
	// Windows are the maintenance windows that apply to a system itself
	// (its parents' are applied through Parent), nil for none.
	Windows func(id string, from, to time.Time) []Interval
}

// effective combines a system's own timeline with its parent's effective
// one and its maintenance windows:
//   - in a declared window, or while the system or its parent records
//     maintenance: maintenance (a hypervisor's upgrade takes its guests
//     down, and that is not their outage either);
//   - a state the system's own record knows: that state;
//   - otherwise, while the parent is down: down, because the system
//     cannot be reached (the parent's outage, which is the incident);
//   - otherwise unknown.
func effective(own, parent Timeline, windows []Interval, from, to time.Time) Timeline {
	cuts := []time.Time{from, to}
	for _, tl := range []Timeline{own, parent} {
		for _, s := range tl {
			cuts = append(cuts, s.From, s.To)
		}
	}
	for _, w := range windows {
		cuts = append(cuts, w.From, w.To)
	}
	slices.SortFunc(cuts, time.Time.Compare)
	cuts = slices.CompactFunc(cuts, time.Time.Equal)
	var out Timeline
	for i := 0; i+1 < len(cuts); i++ {
		a, b := cuts[i], cuts[i+1]
		if a.Before(from) || b.After(to) {
			continue
		}
		st := own.At(a)
		p := parent.At(a)
		switch {
		case st == Maintenance || p == Maintenance || inAny(windows, a):
			st = Maintenance
		case st == Up || st == Degraded || st == Down:
		case p == Down:
			st = Down
		default:
			st = Unknown
		}
		out = out.append(Segment{From: a, To: b, State: st})
	}
	return out
}

func inAny(ws []Interval, t time.Time) bool {
	return slices.ContainsFunc(ws, func(w Interval) bool { return w.Contains(t) })
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// run is one stretch of time the admin server was running and recording:
// from its start to the last heartbeat it committed.
type run struct {
	id             int64
	started, alive time.Time
}

// change is one recorded state change.
type change struct {
	run   int64
	at    time.Time
	state State
}

// ownTimeline builds a subject's timeline over [from, to) from the runs
// and its changes (in time order). Within a run a state lasts until the
// next change or the run's end; before a run's first change, and outside
// every run, nothing is known.
func ownTimeline(runs []run, changes []change, from, to time.Time) Timeline {
	var tl Timeline
	for _, r := range runs {
		start, end := later(r.started, from), earlier(r.alive, to)
		var cur *change
		for i := range changes {
			c := &changes[i]
			if c.run != r.id {
				continue
			}
			if cur != nil {
				tl = tl.append(clip(Segment{From: cur.at, To: earlier(c.at, end), State: cur.state}, start, end))
			}
			cur = c
		}
		if cur != nil {
			tl = tl.append(clip(Segment{From: cur.at, To: end, State: cur.state}, start, end))
		}
	}
	return tl
}

func clip(s Segment, from, to time.Time) Segment {
	s.From, s.To = later(s.From, from), earlier(s.To, to)
	return s
}
