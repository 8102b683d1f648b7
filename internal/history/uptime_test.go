package history

import (
	"testing"
	"time"

	// Tests name IANA zones; the binary must not depend on the machine's.
	_ "time/tzdata"
)

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func at(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }

func hours(h float64) time.Duration { return time.Duration(h * float64(time.Hour)) }

// TestUptimeArithmetic: a system's effective timeline over one 24 h day,
// built from runs of the server, its own changes, its parent's and the
// declared maintenance windows.
func TestUptimeArithmetic(t *testing.T) {
	t.Parallel()
	allDay := []run{{id: 1, started: at(0), alive: at(24)}}
	for _, tc := range []struct {
		name    string
		runs    []run
		own     []change
		parent  []change // nil: no parent
		windows []Interval
		want    Span
		uptime  float64 // -1: no known time
		status  DayStatus
	}{
		{name: "up all day", runs: allDay, own: []change{{1, at(0), Up}},
			want: Span{Up: hours(24)}, uptime: 1, status: DayUp},
		{name: "never recorded", runs: allDay,
			want: Span{Unknown: hours(24)}, uptime: -1, status: DayUnknown},
		{name: "server not running is a gap, never up",
			runs: []run{{id: 1, started: at(0), alive: at(6)}, {id: 2, started: at(18), alive: at(24)}},
			own:  []change{{1, at(0), Up}, {2, at(18), Up}},
			want: Span{Up: hours(12), Unknown: hours(12)}, uptime: 1, status: DayUp},
		{name: "a new run knows nothing until its first observation",
			runs: []run{{id: 1, started: at(0), alive: at(12)}, {id: 2, started: at(12), alive: at(24)}},
			own:  []change{{1, at(0), Down}, {2, at(13), Up}},
			want: Span{Down: hours(12), Up: hours(11), Unknown: hours(1)}, uptime: 11.0 / 23, status: DayDown},
		{name: "source could not be asked", runs: allDay,
			own:  []change{{1, at(0), Up}, {1, at(10), Unknown}, {1, at(12), Up}},
			want: Span{Up: hours(22), Unknown: hours(2)}, uptime: 1, status: DayUp},
		{name: "short outage is partial", runs: allDay,
			own:  []change{{1, at(0), Up}, {1, at(3), Down}, {1, at(4), Up}},
			want: Span{Up: hours(23), Down: hours(1)}, uptime: 23.0 / 24, status: DayPartial},
		{name: "degraded counts as available", runs: allDay,
			own:  []change{{1, at(0), Up}, {1, at(6), Degraded}},
			want: Span{Up: hours(6), Degraded: hours(18)}, uptime: 1, status: DayPartial},
		{name: "down at least half the known time is down", runs: allDay,
			own:  []change{{1, at(0), Up}, {1, at(12), Down}},
			want: Span{Up: hours(12), Down: hours(12)}, uptime: 0.5, status: DayDown},
		{name: "maintenance window is excluded", runs: allDay,
			own:     []change{{1, at(0), Up}, {1, at(2), Down}, {1, at(4), Up}},
			windows: []Interval{{at(2), at(4)}},
			want:    Span{Up: hours(22), Maintenance: hours(2)}, uptime: 1, status: DayUp},
		{name: "recorded maintenance is excluded", runs: allDay,
			own:  []change{{1, at(0), Up}, {1, at(20), Maintenance}},
			want: Span{Up: hours(20), Maintenance: hours(4)}, uptime: 1, status: DayUp},
		{name: "maintenance all day", runs: allDay,
			own:     []change{{1, at(0), Down}},
			windows: []Interval{{at(-1), at(25)}},
			want:    Span{Maintenance: hours(24)}, uptime: -1, status: DayMaintenance},
		{name: "maintenance with the server off still shows", runs: nil,
			windows: []Interval{{at(1), at(2)}},
			want:    Span{Maintenance: hours(1), Unknown: hours(23)}, uptime: -1, status: DayMaintenance},
		{name: "unreachable behind a down parent counts as down", runs: allDay,
			own:    []change{{1, at(0), Up}, {1, at(8), Unknown}, {1, at(10), Up}},
			parent: []change{{1, at(0), Up}, {1, at(8), Down}, {1, at(10), Up}},
			want:   Span{Up: hours(22), Down: hours(2)}, uptime: 22.0 / 24, status: DayPartial},
		{name: "own evidence beats the parent's", runs: allDay,
			own:    []change{{1, at(0), Up}},
			parent: []change{{1, at(0), Up}, {1, at(8), Down}, {1, at(10), Up}},
			want:   Span{Up: hours(24)}, uptime: 1, status: DayUp},
		{name: "parent's maintenance is the child's", runs: allDay,
			own:    []change{{1, at(0), Up}, {1, at(1), Down}, {1, at(3), Up}},
			parent: []change{{1, at(0), Up}, {1, at(1), Maintenance}, {1, at(3), Up}},
			want:   Span{Up: hours(22), Maintenance: hours(2)}, uptime: 1, status: DayUp},
		{name: "flapping adds up", runs: allDay, own: flap(0, 24, 0.25),
			want: Span{Up: hours(12), Down: hours(12)}, uptime: 0.5, status: DayDown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var parent Timeline
			if tc.parent != nil {
				parent = effective(ownTimeline(tc.runs, tc.parent, at(0), at(24)), nil, nil, at(0), at(24))
			}
			tl := effective(ownTimeline(tc.runs, tc.own, at(0), at(24)), parent, tc.windows, at(0), at(24))
			got := tl.Span(at(0), at(24))
			if got != tc.want {
				t.Errorf("span = %+v, want %+v", got, tc.want)
			}
			u, ok := got.Uptime()
			if !ok {
				u = -1
			}
			if d := u - tc.uptime; d > 1e-9 || d < -1e-9 {
				t.Errorf("uptime = %v, want %v", u, tc.uptime)
			}
			if s := got.Status(); s != tc.status {
				t.Errorf("status = %s, want %s", s, tc.status)
			}
			if got.Total() != hours(24) {
				t.Errorf("the span covers %v, not the day", got.Total())
			}
		})
	}
}

// flap alternates down and up every step hours from a to b.
func flap(a, b, step float64) []change {
	var out []change
	for h, i := a, 0; h < b; h, i = h+step, i+1 {
		st := Down
		if i%2 == 1 {
			st = Up
		}
		out = append(out, change{1, at(h), st})
	}
	return out
}

// TestDays: daily buckets are the site's calendar days, so daylight-saving
// days are 23 and 25 hours long and a leap day is a day of its own.
func TestDays(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		now   time.Time
		loc   *time.Location
		n     int
		dates []string
		hours []float64
	}{
		{"spring forward", time.Date(2026, 3, 30, 12, 0, 0, 0, berlin), berlin, 3,
			[]string{"2026-03-28", "2026-03-29", "2026-03-30"}, []float64{24, 23, 24}},
		{"fall back", time.Date(2026, 10, 25, 23, 59, 0, 0, berlin), berlin, 2,
			[]string{"2026-10-24", "2026-10-25"}, []float64{24, 25}},
		{"leap day", time.Date(2028, 3, 1, 0, 30, 0, 0, time.UTC), time.UTC, 3,
			[]string{"2028-02-28", "2028-02-29", "2028-03-01"}, []float64{24, 24, 24}},
		{"local midnight is not UTC's", time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC), berlin, 1,
			[]string{"2026-12-02"}, []float64{24}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			days := Days(tc.now, tc.loc, tc.n)
			for i, d := range days {
				if got := d.From.Format(time.DateOnly); got != tc.dates[i] {
					t.Errorf("day %d = %s, want %s", i, got, tc.dates[i])
				}
				if got := d.To.Sub(d.From).Hours(); got != tc.hours[i] {
					t.Errorf("%s is %v h, want %v", tc.dates[i], got, tc.hours[i])
				}
				if i > 0 && !days[i-1].To.Equal(d.From) {
					t.Errorf("days %d and %d do not touch", i-1, i)
				}
			}
			if last := days[len(days)-1]; !last.Contains(tc.now) {
				t.Errorf("the last day %v does not hold now", last)
			}
		})
	}
}

// TestDSTDaySpan: an outage across the spring-forward night is counted in
// real hours, and the 23-hour day is fully covered.
func TestDSTDaySpan(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	day := Days(time.Date(2026, 3, 29, 12, 0, 0, 0, berlin), berlin, 1)[0]
	runs := []run{{id: 1, started: day.From, alive: day.To}}
	// Down from 01:00 to 04:00 local, which is two real hours (02:00
	// does not exist that night).
	cs := []change{
		{1, day.From, Up},
		{1, time.Date(2026, 3, 29, 1, 0, 0, 0, berlin), Down},
		{1, time.Date(2026, 3, 29, 4, 0, 0, 0, berlin), Up},
	}
	sp := effective(ownTimeline(runs, cs, day.From, day.To), nil, nil, day.From, day.To).Span(day.From, day.To)
	if want := (Span{Up: hours(21), Down: hours(2)}); sp != want {
		t.Errorf("span = %+v, want %+v", sp, want)
	}
}
