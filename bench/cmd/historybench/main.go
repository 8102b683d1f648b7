// Command historybench measures the history store (internal/history) on
// a simulated lab, for bench/HISTORY.md:
//
//	go run ./bench/cmd/historybench -nodes 500 -every 30s -days 90
//
// Every node is probed every -every for -days simulated days: a latency
// sample each poll, and a state change for each of its outages (about one
// a week, 5 to 60 minutes long; a fixed seed, so every run records the
// same). The store compacts once a simulated day, as its writer would.
// It reports the size on disk, the insert cost, and the time of the
// queries behind the 90-day bars (all nodes, and one). Side by side in
// the same run, it stores one simulated day of the same samples both as
// the store packs them and as one row per sample, the layout the store
// does not use, and gives the size ratio; and it times that day with a
// commit per poll round, the production pattern (the long run commits
// every -batch rounds to finish in minutes).
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite"

	"github.com/labfront/labfront/internal/history"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "historybench:", err)
		os.Exit(1)
	}
}

type options struct {
	nodes, days, batch int
	every              time.Duration
	dir                string
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("historybench", flag.ContinueOnError)
	var o options
	fs.IntVar(&o.nodes, "nodes", 500, "lab nodes")
	fs.IntVar(&o.days, "days", 90, "simulated days")
	fs.IntVar(&o.batch, "batch", 20, "poll rounds per commit in the long run")
	fs.DurationVar(&o.every, "every", 30*time.Second, "poll interval")
	fs.StringVar(&o.dir, "dir", "", "work directory (default: a temporary one, removed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.dir == "" {
		d, err := os.MkdirTemp("", "historybench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		o.dir = d
	}
	fmt.Printf("history store: %d nodes polled every %v for %d simulated days\n\n", o.nodes, o.every, o.days)
	if err := longRun(ctx, o); err != nil {
		return err
	}
	return oneDay(ctx, o)
}

// lab simulates the nodes: each poll, a latency and a state.
type lab struct {
	rng    *rand.Rand
	ids    []string
	downTo []time.Time // a node is down until then
}

func newLab(n int) *lab {
	l := &lab{rng: rand.New(rand.NewPCG(1, 2)), downTo: make([]time.Time, n)}
	for i := range n {
		l.ids = append(l.ids, fmt.Sprintf("node-%03d", i))
	}
	return l
}

// poll gives node i's state and latency at t, at poll interval every.
func (l *lab) poll(i int, t time.Time, every time.Duration) (history.State, time.Duration) {
	if !t.Before(l.downTo[i]) && l.rng.Float64() < float64(every)/float64(7*24*time.Hour) {
		l.downTo[i] = t.Add(time.Duration(5+l.rng.IntN(56)) * time.Minute)
	}
	if t.Before(l.downTo[i]) {
		return history.Down, 0
	}
	return history.Up, time.Duration(2000+l.rng.IntN(40000)) * time.Microsecond
}

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

var start = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

func longRun(ctx context.Context, o options) error {
	path := filepath.Join(o.dir, "history.db")
	c := &clock{t: start}
	s, err := history.Open(ctx, path, history.Options{Now: c.Now, FlushEvery: time.Hour, Heartbeat: time.Hour, CompactEvery: -1})
	if err != nil {
		return err
	}
	l := newLab(o.nodes)
	rounds := int(time.Duration(o.days) * 24 * time.Hour / o.every)
	began := time.Now()
	var flushTime, compactTime time.Duration
	samples := 0
	for r := range rounds {
		t := start.Add(time.Duration(r) * o.every)
		c.t = t
		for i, id := range l.ids {
			st, lat := l.poll(i, t, o.every)
			if err := s.Change(id, t, st, ""); err != nil {
				return err
			}
			if st == history.Up {
				if err := s.Sample(id, t, lat); err != nil {
					return err
				}
				samples++
			}
		}
		if (r+1)%o.batch == 0 {
			f := time.Now()
			if err := s.Flush(ctx); err != nil {
				return err
			}
			flushTime += time.Since(f)
		}
		if next := t.Add(o.every); next.Day() != t.Day() {
			f := time.Now()
			if err := s.Compact(ctx, next); err != nil {
				return err
			}
			compactTime += time.Since(f)
		}
	}
	if err := s.Flush(ctx); err != nil {
		return err
	}
	insert := time.Since(began)
	end := start.Add(time.Duration(rounds) * o.every)
	c.t = end

	q := time.Now()
	reps, err := s.Report(ctx, l.ids, history.Overlay{}, end, 90)
	if err != nil {
		return err
	}
	all := time.Since(q)
	q = time.Now()
	if _, err := s.Report(ctx, l.ids[:1], history.Overlay{}, end, 90); err != nil {
		return err
	}
	one := time.Since(q)
	if err := s.Close(); err != nil {
		return err
	}
	size, err := dbSize(path)
	if err != nil {
		return err
	}
	u, _ := reps[0].Windows[3].Uptime()
	fmt.Printf("long run (commit every %d rounds, compaction once a simulated day)\n", o.batch)
	fmt.Printf("  samples recorded      %d (%d rounds)\n", samples, rounds)
	fmt.Printf("  insert, wall          %.1f s in all, %.0f ns a sample (commits %.1f s, compaction %.1f s)\n",
		insert.Seconds(), float64(insert.Nanoseconds())/float64(samples), flushTime.Seconds(), compactTime.Seconds())
	fmt.Printf("  size on disk          %.1f MB (database and WAL, after close)\n", float64(size)/1e6)
	fmt.Printf("  90-day bars, %d nodes  %.0f ms (windows and 90 daily buckets each)\n", o.nodes, float64(all.Microseconds())/1000)
	fmt.Printf("  90-day bars, 1 node   %.2f ms\n", float64(one.Microseconds())/1000)
	fmt.Printf("  check: node-000 90 d uptime %.4f\n\n", u)
	return nil
}

// oneDay records one simulated day committing every poll round, in the
// store and, side by side, as one row per sample.
func oneDay(ctx context.Context, o options) error {
	path := filepath.Join(o.dir, "day.db")
	c := &clock{t: start}
	s, err := history.Open(ctx, path, history.Options{Now: c.Now, FlushEvery: time.Hour, Heartbeat: time.Hour, CompactEvery: -1})
	if err != nil {
		return err
	}
	rowsPath := filepath.Join(o.dir, "rows.db")
	rows, err := sql.Open("sqlite", "file:"+rowsPath+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		return err
	}
	if _, err := rows.ExecContext(ctx, `CREATE TABLE samples (subject INTEGER NOT NULL, at INTEGER NOT NULL, latency_us INTEGER NOT NULL);
		CREATE INDEX samples_by_subject ON samples(subject, at)`); err != nil {
		return err
	}
	l := newLab(o.nodes)
	rounds := int(24 * time.Hour / o.every)
	var packed, flat time.Duration
	n := 0
	for r := range rounds {
		t := start.Add(time.Duration(r) * o.every)
		c.t = t
		type smp struct {
			i   int
			lat time.Duration
		}
		var batch []smp
		for i, id := range l.ids {
			st, lat := l.poll(i, t, o.every)
			if st == history.Up {
				batch = append(batch, smp{i, lat})
				if err := s.Sample(id, t, lat); err != nil {
					return err
				}
			}
		}
		n += len(batch)
		f := time.Now()
		if err := s.Flush(ctx); err != nil {
			return err
		}
		packed += time.Since(f)
		f = time.Now()
		tx, err := rows.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for _, b := range batch {
			if _, err := tx.ExecContext(ctx, "INSERT INTO samples VALUES(?, ?, ?)", b.i, t.UnixMilli(), b.lat.Microseconds()); err != nil {
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		flat += time.Since(f)
	}
	if err := s.Close(); err != nil {
		return err
	}
	if err := rows.Close(); err != nil {
		return err
	}
	ps, err := dbSize(path)
	if err != nil {
		return err
	}
	fs, err := dbSize(rowsPath)
	if err != nil {
		return err
	}
	fmt.Printf("one day, a synced commit per poll round (the production pattern), side by side\n")
	fmt.Printf("  samples               %d in %d commits\n", n, rounds)
	fmt.Printf("  packed (the store)    %.2f MB, %.2f ms a commit, %.0f ns a sample\n", float64(ps)/1e6, ms(packed)/float64(rounds), float64(packed.Nanoseconds())/float64(n))
	fmt.Printf("  a row per sample      %.2f MB, %.2f ms a commit, %.0f ns a sample\n", float64(fs)/1e6, ms(flat)/float64(rounds), float64(flat.Nanoseconds())/float64(n))
	fmt.Printf("  ratio rows / packed   size %.1fx, time %.2fx\n", float64(fs)/float64(ps), float64(flat)/float64(packed))
	fmt.Printf("  14 raw days, packed   about %.0f MB (14 x the day)\n", 14*float64(ps)/1e6)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// dbSize is the database file plus its WAL and shared-memory files.
func dbSize(path string) (int64, error) {
	var total int64
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return 0, err
		}
		total += st.Size()
	}
	return total, nil
}
