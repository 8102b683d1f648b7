package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	// The pure-Go SQLite driver: the admin server builds without cgo.
	_ "modernc.org/sqlite"
)

// Options tune a Store; the zero value of each field is its default.
type Options struct {
	Config Config
	// Now is the clock (time.Now). Every recorded time comes from the
	// caller; Now stamps the run's start and heartbeats.
	Now func() time.Time
	// FlushEvery is how often the writer commits what was recorded
	// (default 1 s): a crash loses at most this much.
	FlushEvery time.Duration
	// Heartbeat is how often an idle writer still commits the run's
	// "alive" time (default 5 s), which bounds how much time after a crash
	// is wrongly counted as recorded.
	Heartbeat time.Duration
	// CompactEvery is how often old raw data is rolled up (default 1 h;
	// negative: only when Compact is called).
	CompactEvery time.Duration
	// Overlay gives compaction the topology and maintenance windows that
	// queries use, so rolled-up days mean what raw ones do. Nil: none.
	Overlay func() Overlay
	Logger  *slog.Logger
}

// Store is the history database. One goroutine writes: Change and Sample
// only queue, and the writer commits the queue once a FlushEvery, in one
// synced transaction, so recording never waits on the disk.
type Store struct {
	db    *sql.DB
	opt   Options
	runID int64

	mu      sync.Mutex
	changes []pendingChange
	samples []pendingSample
	last    map[string]State // this run's last recorded state per subject
	closed  bool
	err     error     // the writer's last failure, until a flush succeeds
	alive   time.Time // the last heartbeat committed

	flushReq chan chan error
	compReq  chan compactReq
	kick     chan struct{}
	stop     chan struct{}
	exited   chan struct{}

	// loggedAt is when a failing flush was last logged; the writer's.
	loggedAt time.Time

	// subjects caches subject ids and fresh holds those the open
	// transaction created, cached only once it commits (a rolled-back id
	// may be given to another name); both are the writer's alone.
	subjects, fresh map[string]int64
}

type pendingChange struct {
	subject, detail string
	at              time.Time
	state           State
}

type pendingSample struct {
	subject string
	at      time.Time
	latency time.Duration
}

type compactReq struct {
	now  time.Time
	done chan error
}

// maxQueuedSamples bounds the samples kept queued while commits fail
// (about an hour of a 500-node lab polled every 30 s).
const maxQueuedSamples = 100000

// maxPending is how many queued records make the writer commit before its
// tick, which bounds the queue's memory when a whole lab reports at once.
const maxPending = 20000

// Open opens (creating or migrating) the database at path and starts its
// writer. Close stops it.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.FlushEvery <= 0 {
		opt.FlushEvery = time.Second
	}
	if opt.Heartbeat <= 0 {
		opt.Heartbeat = 5 * time.Second
	}
	if opt.CompactEvery == 0 {
		opt.CompactEvery = time.Hour
	}
	if opt.Config.RawDays == 0 {
		opt.Config = DefaultConfig()
	}
	if opt.Config.Location == nil {
		opt.Config.Location = time.UTC
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	db, err := openDB(path)
	if err != nil {
		return nil, err
	}
	s, err := start(ctx, db, opt)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("history %s: %w", path, err), db.Close())
	}
	return s, nil
}

// openDB opens path with the pragmas every connection needs: WAL so
// readers never block the writer, synchronous=FULL so a commit is on disk
// when it returns (the once-a-second batching keeps that cheap), and
// immediate transactions so the writer never fails on a lock upgrade.
func openDB(path string) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	return db, nil
}

func start(ctx context.Context, db *sql.DB, opt Options) (*Store, error) {
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return nil, err
	}
	if mode != "wal" {
		return nil, fmt.Errorf("journal mode is %q, not wal (a file system without shared memory?)", mode)
	}
	if err := migrate(ctx, db, SchemaVersion); err != nil {
		return nil, err
	}
	now := opt.Now().UnixMilli()
	res, err := db.ExecContext(ctx, "INSERT INTO runs(started, alive) VALUES(?, ?)", now, now)
	if err != nil {
		return nil, fmt.Errorf("record the run: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, err
	}
	s := &Store{
		db: db, opt: opt, runID: id, last: map[string]State{},
		flushReq: make(chan chan error), compReq: make(chan compactReq), kick: make(chan struct{}, 1),
		stop: make(chan struct{}), exited: make(chan struct{}), subjects: map[string]int64{},
	}
	go s.write()
	return s, nil
}

// ErrClosed is returned by recording into a closed Store.
var ErrClosed = errors.New("history store is closed")

// Change records that subject (a lab node id, or SourceSubject(name)) was
// in state st from at on. A state equal to the subject's last one in this
// run is not recorded again: pollers may report every state every poll.
func (s *Store) Change(subject string, at time.Time, st State, detail string) error {
	if !st.Valid() {
		return fmt.Errorf("history: %s: unknown state %q", subject, st)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.last[subject] == st {
		return nil
	}
	s.last[subject] = st
	s.changes = append(s.changes, pendingChange{subject: subject, at: at, state: st, detail: detail})
	s.kickIfFull()
	return nil
}

// Sample records one latency measurement of subject.
func (s *Store) Sample(subject string, at time.Time, latency time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.samples = append(s.samples, pendingSample{subject: subject, at: at, latency: latency})
	s.kickIfFull()
	return nil
}

func (s *Store) kickIfFull() {
	if len(s.changes)+len(s.samples) >= maxPending {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

// Err is the writer's last failure (a full disk, say), nil once a commit
// succeeds again; what failed to commit stays queued and is retried.
func (s *Store) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Flush commits everything recorded so far.
func (s *Store) Flush(ctx context.Context) error {
	done := make(chan error, 1)
	select {
	case s.flushReq <- done:
	case <-s.exited:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Compact rolls up and removes raw data older than raw_days as of now and
// drops rollups older than retention_days; the writer also does this on
// its own every CompactEvery.
func (s *Store) Compact(ctx context.Context, now time.Time) error {
	done := make(chan error, 1)
	select {
	case s.compReq <- compactReq{now: now, done: done}:
	case <-s.exited:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close commits what is queued, marks the run's end and closes the
// database.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	<-s.exited
	err := s.flush(context.Background(), true)
	return errors.Join(err, s.db.Close())
}

// write is the writer goroutine.
func (s *Store) write() {
	defer close(s.exited)
	ctx := context.Background()
	tick := time.NewTicker(s.opt.FlushEvery)
	defer tick.Stop()
	var compact <-chan time.Time
	if s.opt.CompactEvery > 0 {
		ct := time.NewTicker(s.opt.CompactEvery)
		defer ct.Stop()
		compact = ct.C
		s.logCompact(s.compact(ctx, s.opt.Now()))
	}
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.flushLogged(ctx)
		case <-s.kick:
			s.flushLogged(ctx)
		case done := <-s.flushReq:
			done <- s.flush(ctx, true)
		case r := <-s.compReq:
			err := s.flush(ctx, true)
			if err == nil {
				err = s.compact(ctx, r.now)
			}
			r.done <- err
		case <-compact:
			s.logCompact(s.compact(ctx, s.opt.Now()))
		}
	}
}

func (s *Store) logCompact(err error) {
	if err != nil {
		s.opt.Logger.Error("history compaction failed; raw data is kept and compaction retried", "err", err)
	}
}

// flushLogged flushes on the writer's tick. A failure that keeps
// happening (a full disk fails every second) is logged once a minute.
func (s *Store) flushLogged(ctx context.Context) {
	err := s.flush(ctx, false)
	if err == nil {
		s.loggedAt = time.Time{}
		return
	}
	if now := time.Now(); now.Sub(s.loggedAt) >= time.Minute {
		s.loggedAt = now
		s.opt.Logger.Error("history write failed; the records stay queued and are retried", "err", err, "queued", s.queued())
	}
}

func (s *Store) queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.changes) + len(s.samples)
}

// flush commits the queue and the heartbeat in one transaction. On
// failure the records go back to the front of the queue.
func (s *Store) flush(ctx context.Context, force bool) error {
	s.mu.Lock()
	changes, samples := s.changes, s.samples
	s.changes, s.samples = nil, nil
	s.mu.Unlock()
	now := s.opt.Now()
	if len(changes) == 0 && len(samples) == 0 && !force && now.Sub(s.aliveAt()) < s.opt.Heartbeat {
		return nil
	}
	err := s.commit(ctx, changes, samples, now)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.changes = append(changes, s.changes...)
		s.samples = append(samples, s.samples...)
		// While the disk refuses, latency samples are the part to lose:
		// the oldest go first, state changes are all kept.
		if over := len(s.samples) - maxQueuedSamples; over > 0 {
			s.samples = append(s.samples[:0:0], s.samples[over:]...)
		}
		s.err = err
		return err
	}
	s.err = nil
	s.alive = now
	return nil
}

func (s *Store) aliveAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.alive
}

func (s *Store) commit(ctx context.Context, changes []pendingChange, samples []pendingSample, now time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	s.fresh = map[string]int64{}
	if err := s.insert(ctx, tx, changes, samples, now); err != nil {
		return errJoinRollback(err, tx)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for k, v := range s.fresh {
		s.subjects[k] = v
	}
	return nil
}

func (s *Store) insert(ctx context.Context, tx *sql.Tx, changes []pendingChange, samples []pendingSample, now time.Time) error {
	if len(changes) > 0 {
		ins, err := tx.PrepareContext(ctx, "INSERT INTO changes(subject, run, at, state, detail) VALUES(?, ?, ?, ?, ?)")
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, c := range changes {
			id, err := s.subject(ctx, tx, c.subject)
			if err != nil {
				return err
			}
			if _, err := ins.ExecContext(ctx, id, s.runID, c.at.UnixMilli(), string(c.state), c.detail); err != nil {
				return err
			}
		}
	}
	if len(samples) > 0 {
		if err := s.appendSamples(ctx, tx, samples); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, "UPDATE runs SET alive = max(alive, ?) WHERE id = ?", now.UnixMilli(), s.runID)
	return err
}

// subject returns the id of a subject's name, creating it.
func (s *Store) subject(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	if id, ok := s.subjects[name]; ok {
		return id, nil
	}
	if id, ok := s.fresh[name]; ok {
		return id, nil
	}
	var id int64
	err := tx.QueryRowContext(ctx, "INSERT INTO subjects(name) VALUES(?) ON CONFLICT(name) DO UPDATE SET name = name RETURNING id", name).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("subject %q: %w", name, err)
	}
	s.fresh[name] = id
	return id, nil
}
