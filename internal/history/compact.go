package history

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// compact rolls the raw record older than raw_days (up to a local
// midnight) into one row per subject and day, then removes it; and drops
// rollups older than retention_days. All in one transaction: a crash
// leaves the raw data or the rollups, never neither. Runs in the writer.
func (s *Store) compact(ctx context.Context, now time.Time) error {
	loc := s.opt.Config.Location
	l := now.In(loc)
	cut := time.Date(l.Year(), l.Month(), l.Day()-s.opt.Config.RawDays, 0, 0, 0, 0, loc)
	keep := time.Date(l.Year(), l.Month(), l.Day()-s.opt.Config.RetentionDays, 0, 0, 0, 0, loc)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := s.compactTx(ctx, tx, now, cut, keep); err != nil {
		return fmt.Errorf("history compaction: %w", errJoinRollback(err, tx))
	}
	return tx.Commit()
}

func (s *Store) compactTx(ctx context.Context, tx *sql.Tx, now, cut, keep time.Time) error {
	var ov Overlay
	if s.opt.Overlay != nil {
		ov = s.opt.Overlay()
	}
	r, err := s.reader(ctx, tx, ov, now)
	if err != nil {
		return err
	}
	if !cut.After(r.cut) {
		_, err := tx.ExecContext(ctx, "DELETE FROM daily WHERE end <= ?", keep.UnixMilli())
		return err
	}
	// The first day to roll up: the previous mark, or the oldest record.
	first := r.cut
	if first.IsZero() {
		var oldest sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT min(t) FROM (SELECT min(started) AS t FROM runs
			UNION ALL SELECT min(hour) FROM samples)`).Scan(&oldest)
		if err != nil {
			return err
		}
		if !oldest.Valid || oldest.Int64 >= cut.UnixMilli() {
			return s.setMark(ctx, tx, cut, keep)
		}
		o := time.UnixMilli(oldest.Int64).In(s.opt.Config.Location)
		first = time.Date(o.Year(), o.Month(), o.Day(), 0, 0, 0, 0, s.opt.Config.Location)
	}
	subjects, err := s.subjectIDs(ctx, tx)
	if err != nil {
		return err
	}
	days := daysBetween(first, cut, s.opt.Config.Location)
	ins, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO daily(subject, start, end, day, up, degraded, down, maintenance, unknown,
		samples, latency_sum, latency_min, latency_max) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	ms := func(d time.Duration) int64 { return d.Milliseconds() }
	for name, id := range subjects {
		tl, err := r.effective(ctx, name, first, cut, 0)
		if err != nil {
			return err
		}
		lat := make([]latencyAgg, len(days))
		err = s.eachSample(ctx, tx, name, first, cut, func(sm sample) {
			for i, d := range days {
				if d.Contains(sm.at) {
					lat[i].add(sm.latency)
					return
				}
			}
		})
		if err != nil {
			return err
		}
		for i, d := range days {
			sp := tl.Span(d.From, d.To)
			if sp.Known()+sp.Maintenance == 0 && lat[i].n == 0 {
				continue // nothing known: no row says the same
			}
			_, err := ins.ExecContext(ctx, id, d.From.UnixMilli(), d.To.UnixMilli(), d.From.Format(time.DateOnly),
				ms(sp.Up), ms(sp.Degraded), ms(sp.Down), ms(sp.Maintenance), ms(sp.Unknown),
				lat[i].n, lat[i].sum.Seconds()*1000, lat[i].minMS(), lat[i].max.Seconds()*1000)
			if err != nil {
				return err
			}
		}
		// The state in force at the mark, for every run that goes on past
		// it, becomes a change at the mark, so the raw record that is left
		// still knows it.
		own, err := r.own(ctx, name, first, cut.Add(time.Millisecond))
		if err != nil {
			return err
		}
		if st := own.At(cut); st != Unknown {
			for _, ru := range r.runs {
				if ru.started.Before(cut) && ru.alive.After(cut) {
					if _, err := tx.ExecContext(ctx, "INSERT INTO changes(subject, run, at, state) VALUES(?, ?, ?, ?)", id, ru.id, cut.UnixMilli(), string(st)); err != nil {
						return err
					}
				}
			}
		}
	}
	c := cut.UnixMilli()
	for _, q := range []string{
		"DELETE FROM changes WHERE at < ?",
		"UPDATE runs SET started = ?1 WHERE started < ?1 AND alive > ?1",
		"DELETE FROM changes WHERE run IN (SELECT id FROM runs WHERE alive <= ?)",
		"DELETE FROM runs WHERE alive <= ?",
	} {
		if _, err := tx.ExecContext(ctx, q, c); err != nil {
			return err
		}
	}
	if err := s.trimSamples(ctx, tx, cut); err != nil {
		return err
	}
	return s.setMark(ctx, tx, cut, keep)
}

func (s *Store) setMark(ctx context.Context, tx *sql.Tx, cut, keep time.Time) error {
	if _, err := tx.ExecContext(ctx, "INSERT INTO meta(key, value) VALUES('compacted_until', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", cut.UnixMilli()); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "DELETE FROM daily WHERE end <= ?", keep.UnixMilli())
	return err
}

// trimSamples removes sample blobs before cut; a blob the mark splits (a
// time zone whose midnight is not on the hour) keeps its later samples.
func (s *Store) trimSamples(ctx context.Context, tx *sql.Tx, cut time.Time) error {
	c := cut.UnixMilli()
	if _, err := tx.ExecContext(ctx, "DELETE FROM samples WHERE hour + ? <= ?", hourMS, c); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, "SELECT subject, hour, data FROM samples WHERE hour < ?", c)
	if err != nil {
		return err
	}
	type blob struct {
		subject, hour int64
		data          []byte
	}
	var split []blob
	for rows.Next() {
		var b blob
		if err := rows.Scan(&b.subject, &b.hour, &b.data); err != nil {
			return errJoinClose(err, rows)
		}
		split = append(split, b)
	}
	if err := errJoinClose(rows.Err(), rows); err != nil {
		return err
	}
	for _, b := range split {
		var kept []byte
		if err := decodeSamples(b.hour, b.data, func(sm sample) {
			if !sm.at.Before(cut) {
				kept = appendSample(kept, b.hour, sm.at, sm.latency)
			}
		}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE samples SET data = ? WHERE subject = ? AND hour = ?", kept, b.subject, b.hour); err != nil {
			return err
		}
	}
	return nil
}

func errJoinClose(err error, rows *sql.Rows) error {
	if cerr := rows.Close(); err == nil {
		return cerr
	}
	return err
}

func (s *Store) subjectIDs(ctx context.Context, q querier) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, name FROM subjects")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[name] = id
	}
	return out, rows.Err()
}

// daysBetween are the local days from the midnight first to the midnight
// last.
func daysBetween(first, last time.Time, loc *time.Location) []Interval {
	var out []Interval
	for d := first.In(loc); d.Before(last); {
		next := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
		out = append(out, Interval{From: d, To: next})
		d = next
	}
	return out
}

// latencyAgg sums a day's samples.
type latencyAgg struct {
	n             int
	sum, min, max time.Duration
}

func (a *latencyAgg) add(d time.Duration) {
	if a.n == 0 || d < a.min {
		a.min = d
	}
	a.max = max(a.max, d)
	a.sum += d
	a.n++
}

func (a latencyAgg) minMS() float64 { return a.min.Seconds() * 1000 }
