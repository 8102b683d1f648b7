package history

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func openAt(t *testing.T, path string, c *clock) *Store {
	t.Helper()
	s, err := Open(context.Background(), path, Options{Now: c.Now, CompactEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func report(t *testing.T, s *Store, id string, ov Overlay, now time.Time, days int) Report {
	t.Helper()
	reps, err := s.Report(context.Background(), []string{id}, ov, now, days)
	if err != nil {
		t.Fatal(err)
	}
	return reps[0]
}

// TestRestartKeepsEverything: what one run recorded is there after a
// clean restart, and the time the server was stopped is a gap.
func TestRestartKeepsEverything(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "history.db")
	c := &clock{t: at(0)}
	s := openAt(t, path, c)
	must(t, s.Change("nas", at(0), Up, ""))
	must(t, s.Change("nas", at(0), Up, "")) // the same again: no new change
	must(t, s.Change("nas", at(2), Down, "HTTP 503"))
	must(t, s.Sample("nas", at(1), 41*time.Millisecond))
	c.Set(at(4))
	must(t, s.Change("nas", at(4), Up, ""))
	must(t, s.Close())

	c.Set(at(10)) // stopped from 4 h to 10 h
	s = openAt(t, path, c)
	defer s.Close()
	must(t, s.Change("nas", at(10), Up, ""))
	must(t, s.Flush(context.Background()))
	c.Set(at(24))
	rep := report(t, s, "nas", Overlay{}, at(24), 1)
	want := Span{Up: hours(2 + 14), Down: hours(2), Unknown: hours(6)}
	if got := rep.Windows[0]; got != want {
		t.Errorf("24 h = %+v, want %+v", got, want)
	}
	var n int
	must(t, s.db.QueryRow("SELECT count(*) FROM changes").Scan(&n))
	if n != 4 {
		t.Errorf("%d changes stored, want 4 (a repeated state is not a change)", n)
	}
	lat, err := s.Latency(context.Background(), "nas", at(0), at(2), 2)
	must(t, err)
	if lat[1].N != 1 || lat[1].Avg != 41*time.Millisecond || lat[0].N != 0 {
		t.Errorf("latency = %+v", lat)
	}
}

// TestMigrations: an empty file becomes the current schema, a database of
// the previous schema keeps its data, and a newer one is refused.
func TestMigrations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()

	empty := filepath.Join(dir, "empty.db")
	s, err := Open(ctx, empty, Options{CompactEvery: -1})
	must(t, err)
	var v int
	must(t, s.db.QueryRow("PRAGMA user_version").Scan(&v))
	if v != SchemaVersion {
		t.Errorf("user_version %d, want %d", v, SchemaVersion)
	}
	var mode string
	must(t, s.db.QueryRow("PRAGMA journal_mode").Scan(&mode))
	if mode != "wal" {
		t.Errorf("journal_mode %s", mode)
	}
	must(t, s.Close())

	// The previous schema, with a run and changes in it, as the last
	// release left it.
	prev := filepath.Join(dir, "prev.db")
	db, err := openDB(prev)
	must(t, err)
	must(t, migrate(ctx, db, SchemaVersion-1))
	for _, q := range []string{
		"INSERT INTO subjects(id, name) VALUES(1, 'pve-io')",
		fmt.Sprintf("INSERT INTO runs(id, started, alive) VALUES(1, %d, %d)", at(0).UnixMilli(), at(6).UnixMilli()),
		fmt.Sprintf("INSERT INTO changes(subject, run, at, state) VALUES(1, 1, %d, 'up'), (1, 1, %d, 'down')", at(0).UnixMilli(), at(5).UnixMilli()),
	} {
		_, err := db.Exec(q)
		must(t, err)
	}
	must(t, db.Close())
	c := &clock{t: at(6)}
	s = openAt(t, prev, c)
	must(t, s.Sample("pve-io", at(6), time.Millisecond)) // a v2 table
	must(t, s.Flush(ctx))
	if got := report(t, s, "pve-io", Overlay{}, at(6), 1).Windows[0]; got.Up != hours(5) || got.Down != hours(1) {
		t.Errorf("after migration: %+v", got)
	}
	must(t, s.Close())

	newer := filepath.Join(dir, "newer.db")
	db, err = openDB(newer)
	must(t, err)
	_, err = db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1))
	must(t, err)
	must(t, db.Close())
	if _, err := Open(ctx, newer, Options{}); err == nil || !strings.Contains(err.Error(), "newer than this labfront knows") {
		t.Errorf("opening a newer schema: %v", err)
	}
}

// TestCompaction: rolling raw days up changes no number the status page
// shows, removes the raw rows, and retention drops old rollups.
func TestCompaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ov := Overlay{
		Parent: func(id string) string {
			if id == "app" {
				return "pve"
			}
			return ""
		},
		Windows: func(id string, from, to time.Time) []Interval {
			if id == "pve" {
				return []Interval{{t0.Add(50 * time.Hour), t0.Add(51 * time.Hour)}}
			}
			return nil
		},
	}
	c := &clock{t: t0}
	s, err := Open(ctx, filepath.Join(t.TempDir(), "h.db"), Options{Now: c.Now, CompactEvery: -1,
		Config:  Config{RawDays: 7, RetentionDays: 90, Location: time.UTC},
		Overlay: func() Overlay { return ov }})
	must(t, err)
	defer s.Close()
	// 20 days: pve goes down 2 h every day at 10:00; app records nothing
	// of its own then (it cannot be reached).
	for d := range 20 {
		day := t0.AddDate(0, 0, d)
		for h := 0; h < 24; h++ {
			now := day.Add(time.Duration(h) * time.Hour)
			c.Set(now)
			st := Up
			if h == 10 || h == 11 {
				st = Down
			}
			must(t, s.Change("pve", now, st, ""))
			app := Up
			if st == Down {
				app = Unknown
			}
			must(t, s.Change("app", now, app, ""))
			must(t, s.Sample("app", now.Add(time.Minute), time.Duration(10+h)*time.Millisecond))
			must(t, s.Flush(ctx))
		}
	}
	now := t0.AddDate(0, 0, 20)
	c.Set(now)
	before := report(t, s, "app", ov, now, 30)
	must(t, s.Compact(ctx, now))
	after := report(t, s, "app", ov, now, 30)
	for i := range before.Days {
		if before.Days[i] != after.Days[i] {
			t.Errorf("day %s: %+v before compaction, %+v after", before.Days[i].Date, before.Days[i].Span, after.Days[i].Span)
		}
	}
	for i := range before.Windows {
		if before.Windows[i] != after.Windows[i] {
			t.Errorf("window %s: %+v before, %+v after", Windows[i].Name, before.Windows[i], after.Windows[i])
		}
	}
	// Many systems at once are read in one query each (preload): the
	// same numbers.
	both, err := s.Report(ctx, []string{"app", "pve"}, ov, now, 30)
	must(t, err)
	for i := range after.Days {
		if both[0].Days[i] != after.Days[i] {
			t.Errorf("day %s: %+v alone, %+v with pve", after.Days[i].Date, after.Days[i].Span, both[0].Days[i].Span)
		}
	}
	if both[0].Windows[3] != after.Windows[3] || both[1].Days[11].Span.Maintenance != time.Hour {
		t.Errorf("preloaded report: %+v / %+v", both[0].Windows[3], both[1].Days[11])
	}
	// The third day has the maintenance hour of pve.
	if d := after.Days[11]; d.Date != "2026-12-03" || d.Span.Maintenance != time.Hour || d.Span.Down != 2*time.Hour {
		t.Errorf("day with maintenance: %+v", d)
	}
	cut := now.AddDate(0, 0, -7).UnixMilli()
	var old, rollups, oldSamples int
	must(t, s.db.QueryRow("SELECT count(*) FROM changes WHERE at < ?", cut).Scan(&old))
	must(t, s.db.QueryRow("SELECT count(*) FROM daily").Scan(&rollups))
	must(t, s.db.QueryRow("SELECT count(*) FROM samples WHERE hour < ?", cut).Scan(&oldSamples))
	if old != 0 || oldSamples != 0 || rollups != 2*13 {
		t.Errorf("after compaction: %d old changes, %d old sample blocks, %d rollups (want 0, 0, 26)", old, oldSamples, rollups)
	}
	var n int
	var avg float64
	must(t, s.db.QueryRow("SELECT samples, latency_sum / samples FROM daily JOIN subjects ON id = subject WHERE name = 'app' AND day = '2026-12-01'").Scan(&n, &avg))
	if n != 24 || avg != 21.5 {
		t.Errorf("latency rollup: %d samples, avg %v ms", n, avg)
	}
	// 100 days later every rollup is past retention.
	later := now.AddDate(0, 0, 100)
	c.Set(later)
	must(t, s.Compact(ctx, later))
	must(t, s.db.QueryRow("SELECT count(*) FROM daily WHERE end <= ?", later.AddDate(0, 0, -90).UnixMilli()).Scan(&rollups))
	if rollups != 0 {
		t.Errorf("%d rollups past retention", rollups)
	}
}

// The crash test's child: it records a change every 5 ms, printing each
// sequence number once Change returned, until it is killed.
const crashChildEnv = "LABFRONT_HISTORY_CRASH_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	os.Exit(m.Run())
}

func crashChild(path string) {
	s, err := Open(context.Background(), path, Options{CompactEvery: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		st := Up
		if i%2 == 1 {
			st = Down
		}
		if err := s.Change("sys", time.Now(), st, strconv.Itoa(i)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Fprintln(w, i)
		if err := w.Flush(); err != nil {
			os.Exit(3)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCrashLosesAtMostASecond: a writer SIGKILLed mid-stream leaves a
// database that passes its integrity check, holds every change recorded
// more than about a second before the kill, and whose run ends at its
// last commit (the time after it is a gap, not up).
func TestCrashLosesAtMostASecond(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	must(t, err)
	cmd.Stderr = os.Stderr
	must(t, cmd.Start())
	sc := bufio.NewScanner(out)
	last := -1
	var killedAt time.Time
	for sc.Scan() {
		n, err := strconv.Atoi(sc.Text())
		must(t, err)
		last = n
		// About 3 s of writing, so several commits happened.
		if n == 500 {
			killedAt = time.Now()
			must(t, cmd.Process.Signal(syscall.SIGKILL))
			break
		}
	}
	_ = cmd.Wait() // killed: the error is the signal
	if last != 500 {
		t.Fatalf("child stopped at %d: %v", last, sc.Err())
	}
	db, err := openDB(path)
	must(t, err)
	defer db.Close()
	var check string
	must(t, db.QueryRow("PRAGMA integrity_check").Scan(&check))
	if check != "ok" {
		t.Fatalf("integrity_check: %s", check)
	}
	var maxSeq, maxAt, alive int64
	must(t, db.QueryRow("SELECT max(CAST(detail AS INTEGER)), max(at) FROM changes").Scan(&maxSeq, &maxAt))
	must(t, db.QueryRow("SELECT alive FROM runs").Scan(&alive))
	lost := killedAt.Sub(time.UnixMilli(maxAt))
	t.Logf("kept changes 0..%d of 0..%d; the last kept is %v before the kill; the run ends %v before it", maxSeq, last, lost, killedAt.Sub(time.UnixMilli(alive)))
	// One flush interval, plus the commit's fsync and scheduling on a
	// loaded 2-core machine running the whole suite.
	if lost > 2*time.Second {
		t.Errorf("lost %v of changes, more than about a second", lost)
	}
	if time.UnixMilli(alive).Before(time.UnixMilli(maxAt)) {
		t.Errorf("the run's last heartbeat is before its last change")
	}
	var n int64
	must(t, db.QueryRow("SELECT count(*) FROM changes").Scan(&n))
	if n != maxSeq+1 {
		t.Errorf("%d changes for sequence 0..%d: some in between were lost", n, maxSeq)
	}
	// Reopening the crashed database works and counts nothing after the
	// last heartbeat.
	s, err := Open(context.Background(), path, Options{CompactEvery: -1})
	must(t, err)
	defer s.Close()
	tl, err := s.Timeline(context.Background(), "sys", Overlay{}, time.UnixMilli(alive).Add(-time.Hour), time.Now())
	must(t, err)
	if st := tl.At(time.UnixMilli(alive).Add(10 * time.Millisecond)); st != Unknown {
		t.Errorf("after the crash the state reads %s, want unknown", st)
	}
}

// TestCompactionHalfHourZone: in a zone whose midnight is not on the UTC
// hour, the sample block the compaction mark splits keeps its later
// samples, and every sample is counted once, in a rollup or raw.
func TestCompactionHalfHourZone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	kolkata, err := time.LoadLocation("Asia/Kolkata") // UTC+5:30
	must(t, err)
	c := &clock{t: t0}
	s, err := Open(ctx, filepath.Join(t.TempDir(), "h.db"), Options{Now: c.Now, CompactEvery: -1,
		Config: Config{RawDays: 7, RetentionDays: 90, Location: kolkata}})
	must(t, err)
	defer s.Close()
	// A sample every 10 minutes for 10 days.
	n := 0
	for at := t0; at.Before(t0.AddDate(0, 0, 10)); at = at.Add(10 * time.Minute) {
		c.Set(at)
		must(t, s.Change("nas", at, Up, ""))
		must(t, s.Sample("nas", at, 5*time.Millisecond))
		n++
	}
	must(t, s.Flush(ctx))
	now := t0.AddDate(0, 0, 10)
	c.Set(now)
	must(t, s.Compact(ctx, now))
	l := now.In(kolkata)
	cut := time.Date(l.Year(), l.Month(), l.Day()-7, 0, 0, 0, 0, kolkata)
	if cut.UTC().Minute() != 30 {
		t.Fatalf("the mark %v should fall on a UTC half hour", cut.UTC())
	}
	var rolled int
	must(t, s.db.QueryRow("SELECT coalesce(sum(samples), 0) FROM daily").Scan(&rolled))
	raw := 0
	must(t, s.eachSample(ctx, s.db, "nas", t0.AddDate(-1, 0, 0), now, func(sm sample) {
		if sm.at.Before(cut) {
			t.Errorf("a raw sample at %v is before the mark %v", sm.at, cut)
		}
		raw++
	}))
	if rolled+raw != n {
		t.Errorf("%d samples rolled up and %d raw, want %d in all", rolled, raw, n)
	}
	// The split block still exists and starts at the mark.
	var blocks int
	must(t, s.db.QueryRow("SELECT count(*) FROM samples WHERE hour < ?", cut.UnixMilli()).Scan(&blocks))
	if blocks != 1 {
		t.Errorf("%d blocks before the mark, want the one it splits", blocks)
	}
}

// TestFailedCommitIsRetried: while commits fail (a trigger stands in for
// a full disk), what was recorded stays queued and Err says why; the
// first commit that works writes all of it.
func TestFailedCommitIsRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{t: at(0)}
	s := openAt(t, filepath.Join(t.TempDir(), "h.db"), c)
	defer s.Close()
	_, err := s.db.Exec(`CREATE TRIGGER full BEFORE INSERT ON changes BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`)
	must(t, err)
	must(t, s.Change("nas", at(0), Up, ""))
	must(t, s.Change("nas", at(1), Down, ""))
	if err := s.Flush(ctx); err == nil || !strings.Contains(err.Error(), "disk is full") || s.Err() == nil {
		t.Fatalf("flush with a full disk: %v, Err %v", err, s.Err())
	}
	must(t, s.Change("nas", at(2), Up, ""))
	_, err = s.db.Exec(`DROP TRIGGER full`)
	must(t, err)
	must(t, s.Flush(ctx))
	if s.Err() != nil {
		t.Errorf("Err after a good commit: %v", s.Err())
	}
	var n int
	must(t, s.db.QueryRow("SELECT count(*) FROM changes").Scan(&n))
	if n != 3 {
		t.Errorf("%d changes committed, want all 3", n)
	}
	tl, err := s.Timeline(ctx, "nas", Overlay{}, at(0), at(3))
	must(t, err)
	if sp := tl.Span(at(0), at(3)); sp.Up != hours(2) || sp.Down != hours(1) {
		t.Errorf("span %+v", sp)
	}
}
