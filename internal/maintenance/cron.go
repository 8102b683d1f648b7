package maintenance

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed 5-field cron expression: minute, hour, day of
// month, month, day of week. Each field is a set, as a bit mask.
type Schedule struct {
	minute, hour, dom, month, dow uint64
	// domStar and dowStar record a "*" day field: as in Vixie cron, when
	// both day fields are restricted a day matching either one matches.
	domStar, dowStar bool
	text             string
}

// String is the expression as written.
func (s *Schedule) String() string { return s.text }

type cronField struct {
	name     string
	min, max int
	names    []string // names for min, min+1, …
}

var cronFields = []cronField{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	// 7 is Sunday too, as in most crons.
	{"day of week", 0, 7, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// ParseCron parses "minute hour day-of-month month day-of-week". Each
// field is *, a number or name, a range a-b, a step */n or a-b/n, or a
// comma-separated list of those. Errors name the field.
func ParseCron(expr string) (*Schedule, error) {
	parts := strings.Fields(expr)
	if len(parts) != 5 {
		return nil, fmt.Errorf("cron %q: expected 5 fields (minute hour day-of-month month day-of-week), found %d", expr, len(parts))
	}
	var sets [5]uint64
	for i, p := range parts {
		set, err := cronFields[i].parse(p)
		if err != nil {
			return nil, fmt.Errorf("cron %q: %s: %w", expr, cronFields[i].name, err)
		}
		sets[i] = set
	}
	if sets[4]&(1<<7) != 0 {
		sets[4] |= 1
		sets[4] &^= 1 << 7
	}
	return &Schedule{minute: sets[0], hour: sets[1], dom: sets[2], month: sets[3], dow: sets[4],
		domStar: strings.HasPrefix(parts[2], "*"), dowStar: strings.HasPrefix(parts[4], "*"), text: expr}, nil
}

func (f cronField) parse(s string) (uint64, error) {
	var set uint64
	for item := range strings.SplitSeq(s, ",") {
		rng, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("step %q is not a positive number", stepText)
			}
			step = n
		}
		lo, hi := f.min, f.max
		switch {
		case rng == "*":
			if f.name == "day of week" {
				hi = 6
			}
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return 0, err
			}
			if hi, err = f.value(b); err != nil {
				return 0, err
			}
			if lo > hi {
				return 0, fmt.Errorf("range %q runs backwards", rng)
			}
		default:
			v, err := f.value(rng)
			if err != nil {
				return 0, err
			}
			lo, hi = v, v
			if hasStep {
				hi = f.max
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

func (f cronField) value(s string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v < f.min || v > f.max {
		return 0, fmt.Errorf("%d is out of range %d-%d", v, f.min, f.max)
	}
	return v, nil
}

func (s *Schedule) dayMatches(t time.Time) bool {
	dom := s.dom&(1<<t.Day()) != 0
	dow := s.dow&(1<<int(t.Weekday())) != 0
	if s.domStar || s.dowStar {
		return dom && dow
	}
	return dom || dow
}

// Next is the first time at or after t (to the minute) the schedule
// fires, in loc's wall time. A wall time that does not exist (skipped by
// daylight saving) does not fire; one that happens twice fires at its
// first. ok is false when nothing fires in the next five years (say
// "0 0 30 2 *").
func (s *Schedule) Next(t time.Time, loc *time.Location) (next time.Time, ok bool) {
	l := t.In(loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	for range 5 * 366 {
		if s.month&(1<<int(day.Month())) != 0 && s.dayMatches(day) {
			for h := range 24 {
				if s.hour&(1<<h) == 0 {
					continue
				}
				for m := range 60 {
					if s.minute&(1<<m) == 0 {
						continue
					}
					c := time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, loc)
					if c.Hour() != h || c.Minute() != m || c.Day() != day.Day() {
						continue // not a wall time that day
					}
					// Go picks either of a repeated wall time; fire at
					// the first (the shift back is an hour nearly
					// everywhere).
					if e := c.Add(-time.Hour); e.Hour() == h && e.Minute() == m && e.Day() == day.Day() {
						c = e
					}
					if !c.Before(t) {
						return c, true
					}
				}
			}
		}
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
	}
	return time.Time{}, false
}
