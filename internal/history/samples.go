package history

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// Latency samples are packed per subject and UTC hour: each sample is two
// uvarints, its second within the hour and its latency in tenths of a
// millisecond, about four bytes where a row would take about forty. The
// writer appends to the hour's blob, so a sample is on disk within a
// second like everything else.

const hourMS = int64(time.Hour / time.Millisecond)

// latencyUnit is the resolution samples are kept at.
const latencyUnit = 100 * time.Microsecond

func hourOf(t time.Time) int64 {
	ms := t.UnixMilli()
	h := ms - ms%hourMS
	if ms < 0 && ms%hourMS != 0 {
		h -= hourMS
	}
	return h
}

func appendSample(b []byte, hour int64, at time.Time, latency time.Duration) []byte {
	sec := (at.UnixMilli() - hour) / 1000
	b = binary.AppendUvarint(b, uint64(sec))
	return binary.AppendUvarint(b, uint64(max(0, latency+latencyUnit/2)/latencyUnit))
}

// sample is one decoded latency sample.
type sample struct {
	at      time.Time
	latency time.Duration
}

func decodeSamples(hour int64, b []byte, visit func(sample)) error {
	for len(b) > 0 {
		sec, n := binary.Uvarint(b)
		if n <= 0 {
			return fmt.Errorf("corrupt sample block at hour %d", hour)
		}
		b = b[n:]
		lat, n := binary.Uvarint(b)
		if n <= 0 || sec >= 3600 || lat > math.MaxInt64/uint64(latencyUnit) {
			return fmt.Errorf("corrupt sample block at hour %d", hour)
		}
		b = b[n:]
		visit(sample{at: time.UnixMilli(hour + int64(sec)*1000), latency: time.Duration(lat) * latencyUnit})
	}
	return nil
}

func (s *Store) appendSamples(ctx context.Context, tx *sql.Tx, samples []pendingSample) error {
	type key struct {
		subject string
		hour    int64
	}
	blobs := map[key][]byte{}
	var order []key
	for _, p := range samples {
		k := key{p.subject, hourOf(p.at)}
		if _, ok := blobs[k]; !ok {
			order = append(order, k)
		}
		blobs[k] = appendSample(blobs[k], k.hour, p.at, p.latency)
	}
	up, err := tx.PrepareContext(ctx, `INSERT INTO samples(subject, hour, data) VALUES(?, ?, ?)
		ON CONFLICT(subject, hour) DO UPDATE SET data = data || excluded.data`)
	if err != nil {
		return err
	}
	defer up.Close()
	for _, k := range order {
		id, err := s.subject(ctx, tx, k.subject)
		if err != nil {
			return err
		}
		if _, err := up.ExecContext(ctx, id, k.hour, blobs[k]); err != nil {
			return err
		}
	}
	return nil
}

// LatencyPoint summarises the samples of one stretch of time.
type LatencyPoint struct {
	From, To      time.Time
	N             int
	Avg, Min, Max time.Duration
}

// Latency splits [from, to) into n equal steps and summarises subject's
// raw samples in each (N is 0 where there were none): the admin's
// sparklines.
func (s *Store) Latency(ctx context.Context, subject string, from, to time.Time, n int) ([]LatencyPoint, error) {
	if n <= 0 || !to.After(from) {
		return nil, nil
	}
	step := to.Sub(from) / time.Duration(n)
	out := make([]LatencyPoint, n)
	sums := make([]time.Duration, n)
	for i := range out {
		out[i].From = from.Add(time.Duration(i) * step)
		out[i].To = out[i].From.Add(step)
	}
	out[n-1].To = to
	err := s.eachSample(ctx, s.db, subject, from, to, func(sm sample) {
		i := min(int(sm.at.Sub(from)/step), n-1)
		p := &out[i]
		if p.N == 0 || sm.latency < p.Min {
			p.Min = sm.latency
		}
		p.Max = max(p.Max, sm.latency)
		p.N++
		sums[i] += sm.latency
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].N > 0 {
			out[i].Avg = sums[i] / time.Duration(out[i].N)
		}
	}
	return out, nil
}

// querier is what reads need: the database, or the writer's transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// eachSample visits subject's samples in [from, to) in time order.
func (s *Store) eachSample(ctx context.Context, q querier, subject string, from, to time.Time, visit func(sample)) error {
	rows, err := q.QueryContext(ctx, `SELECT hour, data FROM samples JOIN subjects ON subjects.id = samples.subject
		WHERE subjects.name = ? AND hour > ? AND hour < ? ORDER BY hour`, subject, from.UnixMilli()-hourMS, to.UnixMilli())
	if err != nil {
		return fmt.Errorf("history: samples of %s: %w", subject, err)
	}
	defer rows.Close()
	for rows.Next() {
		var hour int64
		var data []byte
		if err := rows.Scan(&hour, &data); err != nil {
			return err
		}
		err := decodeSamples(hour, data, func(sm sample) {
			if !sm.at.Before(from) && sm.at.Before(to) {
				visit(sm)
			}
		})
		if err != nil {
			return fmt.Errorf("history: samples of %s: %w", subject, err)
		}
	}
	return rows.Err()
}
