package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Windows are the rolling windows a Report gives uptime for.
var Windows = []struct {
	Name string
	Len  time.Duration
}{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}, {"90d", 90 * 24 * time.Hour}}

// Report is one system's history as the status page shows it.
type Report struct {
	System string
	// Windows holds the span of each of Windows, in that order.
	Windows []Span
	// Days are the daily buckets, oldest first, the last one today.
	Days []Day
}

// Day is one local calendar day of a Report.
type Day struct {
	// Date is the day in the site's time zone, YYYY-MM-DD.
	Date     string
	From, To time.Time
	Span     Span
	Status   DayStatus
}

// Report computes the history of each system as of now: the rolling
// windows, and days daily buckets in the configured time zone. Ancestors
// of the systems are read too (their outages and maintenance count, see
// Overlay).
func (s *Store) Report(ctx context.Context, systems []string, ov Overlay, now time.Time, days int) ([]Report, error) {
	r, err := s.reader(ctx, s.db, ov, now)
	if err != nil {
		return nil, err
	}
	// Two queries for the whole lab instead of two per system: the raw
	// window holds few changes, and rollups are a row per system and day.
	if len(systems) > 1 {
		if err := r.preload(ctx); err != nil {
			return nil, err
		}
	}
	loc := s.opt.Config.Location
	buckets := Days(now, loc, days)
	from := now.Add(-Windows[len(Windows)-1].Len)
	if len(buckets) > 0 && buckets[0].From.Before(from) {
		from = buckets[0].From
	}
	out := make([]Report, 0, len(systems))
	for _, id := range systems {
		rep := Report{System: id}
		for _, w := range Windows {
			sp, err := r.span(ctx, id, from, now.Add(-w.Len), now)
			if err != nil {
				return nil, err
			}
			rep.Windows = append(rep.Windows, sp)
		}
		for _, b := range buckets {
			sp, err := r.span(ctx, id, from, b.From, earlier(b.To, now))
			if err != nil {
				return nil, err
			}
			rep.Days = append(rep.Days, Day{Date: b.From.Format(time.DateOnly), From: b.From, To: b.To, Span: sp, Status: sp.Status()})
		}
		out = append(out, rep)
	}
	return out, nil
}

// Timeline is subject's effective timeline over [from, to) from the raw
// record (rolled-up days have none): the admin's detail view.
func (s *Store) Timeline(ctx context.Context, subject string, ov Overlay, from, to time.Time) (Timeline, error) {
	r, err := s.reader(ctx, s.db, ov, to)
	if err != nil {
		return nil, err
	}
	return r.effective(ctx, subject, later(from, r.cut), to, 0)
}

// reader answers queries over one consistent view: the runs, the
// compaction mark, and each subject's timelines, memoised per range.
type reader struct {
	s     *Store
	q     querier
	ov    Overlay
	now   time.Time
	cut   time.Time // raw data starts here; before it, daily rollups
	runs  []run
	memo  map[memoKey]Timeline
	daily map[string][]rollup
	// preloaded: daily holds every subject's rollups (one without any
	// has none).
	preloaded bool
	// changes holds every subject's changes once preload ran; nil means
	// each subject is queried on its own.
	changes map[string][]change
}

type memoKey struct {
	id       string
	from, to int64
}

type rollup struct {
	from, to time.Time
	span     Span
}

func (s *Store) reader(ctx context.Context, q querier, ov Overlay, now time.Time) (*reader, error) {
	r := &reader{s: s, q: q, ov: ov, now: now, memo: map[memoKey]Timeline{}, daily: map[string][]rollup{}}
	var cut sql.NullInt64
	err := q.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'compacted_until'").Scan(&cut)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("history: read the compaction mark: %w", err)
	}
	if cut.Valid {
		r.cut = time.UnixMilli(cut.Int64)
	}
	rows, err := q.QueryContext(ctx, "SELECT id, started, alive FROM runs ORDER BY started")
	if err != nil {
		return nil, fmt.Errorf("history: read runs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var x run
		var a, b int64
		if err := rows.Scan(&x.id, &a, &b); err != nil {
			return nil, err
		}
		x.started, x.alive = time.UnixMilli(a), time.UnixMilli(b)
		// The running server is alive now: what it recorded last still
		// holds (it records every change within a second).
		if x.id == s.runID && now.After(x.alive) {
			x.alive = now
		}
		r.runs = append(r.runs, x)
	}
	return r, rows.Err()
}

// preload reads every subject's changes and rollups in one query each.
func (r *reader) preload(ctx context.Context) error {
	r.changes = map[string][]change{}
	rows, err := r.q.QueryContext(ctx, `SELECT subjects.name, run, at, state FROM changes JOIN subjects ON subjects.id = changes.subject
		WHERE at < ? ORDER BY changes.subject, at, changes.rowid`, r.now.UnixMilli())
	if err != nil {
		return fmt.Errorf("history: changes: %w", err)
	}
	for rows.Next() {
		var name, st string
		var c change
		var at int64
		if err := rows.Scan(&name, &c.run, &at, &st); err != nil {
			return errJoinClose(err, rows)
		}
		c.at, c.state = time.UnixMilli(at), State(st)
		r.changes[name] = append(r.changes[name], c)
	}
	if err := errJoinClose(rows.Err(), rows); err != nil {
		return err
	}
	rows, err = r.q.QueryContext(ctx, `SELECT subjects.name, start, end, up, degraded, down, maintenance, unknown FROM daily
		JOIN subjects ON subjects.id = daily.subject ORDER BY daily.subject, start`)
	if err != nil {
		return fmt.Errorf("history: rollups: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		u, err := scanRollup(rows, &name)
		if err != nil {
			return err
		}
		r.daily[name] = append(r.daily[name], u)
	}
	r.preloaded = true
	return rows.Err()
}

// own is subject's recorded timeline over [from, to).
func (r *reader) own(ctx context.Context, subject string, from, to time.Time) (Timeline, error) {
	if r.changes != nil && !to.After(r.now) {
		return ownTimeline(r.runs, r.changes[subject], from, to), nil
	}
	rows, err := r.q.QueryContext(ctx, `SELECT run, at, state FROM changes JOIN subjects ON subjects.id = changes.subject
		WHERE subjects.name = ? AND at < ? ORDER BY at, changes.rowid`, subject, to.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("history: changes of %s: %w", subject, err)
	}
	defer rows.Close()
	var cs []change
	for rows.Next() {
		var c change
		var at int64
		var st string
		if err := rows.Scan(&c.run, &at, &st); err != nil {
			return nil, err
		}
		c.at, c.state = time.UnixMilli(at), State(st)
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return ownTimeline(r.runs, cs, from, to), nil
}

// effective is subject's timeline with its ancestors and maintenance
// windows applied (see effective). depth guards against a parent cycle,
// which lab validation forbids but a hand-built Overlay might have.
func (r *reader) effective(ctx context.Context, id string, from, to time.Time, depth int) (Timeline, error) {
	k := memoKey{id, from.UnixMilli(), to.UnixMilli()}
	if tl, ok := r.memo[k]; ok {
		return tl, nil
	}
	own, err := r.own(ctx, id, from, to)
	if err != nil {
		return nil, err
	}
	var parent Timeline
	if r.ov.Parent != nil && depth < 64 {
		if p := r.ov.Parent(id); p != "" {
			if parent, err = r.effective(ctx, p, from, to, depth+1); err != nil {
				return nil, err
			}
		}
	}
	var windows []Interval
	if r.ov.Windows != nil {
		windows = r.ov.Windows(id, from, to)
	}
	tl := effective(own, parent, windows, from, to)
	r.memo[k] = tl
	return tl, nil
}

// span is id's span over [a, b): the raw part from the effective timeline
// (read once over [from, now)), the part before the compaction mark from
// daily rollups, a rollup the range only partly covers counted pro rata.
func (r *reader) span(ctx context.Context, id string, from, a, b time.Time) (Span, error) {
	var sp Span
	if !b.After(a) {
		return sp, nil
	}
	if b.After(r.cut) {
		tl, err := r.effective(ctx, id, later(from, r.cut), r.now, 0)
		if err != nil {
			return sp, err
		}
		sp = tl.Span(later(a, r.cut), b)
	}
	if a.Before(r.cut) {
		end := earlier(b, r.cut)
		ups, err := r.rollups(ctx, id)
		if err != nil {
			return sp, err
		}
		covered := time.Duration(0)
		for _, u := range ups {
			x, y := later(u.from, a), earlier(u.to, end)
			if !x.Before(y) {
				continue
			}
			part := y.Sub(x)
			covered += part
			sp = sp.Plus(u.span.scale(float64(part) / float64(u.to.Sub(u.from))))
		}
		sp.Unknown += end.Sub(a) - covered
	}
	return sp, nil
}

func (r *reader) rollups(ctx context.Context, id string) ([]rollup, error) {
	if ups, ok := r.daily[id]; ok || r.preloaded {
		return ups, nil
	}
	rows, err := r.q.QueryContext(ctx, `SELECT start, end, up, degraded, down, maintenance, unknown FROM daily
		JOIN subjects ON subjects.id = daily.subject WHERE subjects.name = ? ORDER BY start`, id)
	if err != nil {
		return nil, fmt.Errorf("history: rollups of %s: %w", id, err)
	}
	defer rows.Close()
	var ups []rollup
	for rows.Next() {
		u, err := scanRollup(rows)
		if err != nil {
			return nil, err
		}
		ups = append(ups, u)
	}
	r.daily[id] = ups
	return ups, rows.Err()
}

// scanRollup reads a rollup row: the leading columns into lead, then
// start, end and the five durations.
func scanRollup(rows *sql.Rows, lead ...any) (rollup, error) {
	var a, b, up, dg, dn, mt, un int64
	if err := rows.Scan(append(lead, &a, &b, &up, &dg, &dn, &mt, &un)...); err != nil {
		return rollup{}, err
	}
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	return rollup{from: time.UnixMilli(a), to: time.UnixMilli(b), span: Span{ms(up), ms(dg), ms(dn), ms(mt), ms(un)}}, nil
}
