package live

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/labfront/labfront/internal/statefile"
)

// Source states, as every admin page shows them.
const (
	StateLive    = "live"    // the last attempt succeeded
	StateStale   = "stale"   // failing; serving the last good data
	StateMissing = "missing" // no good data at all yet
)

// SourceState is what the store knows of one source.
type SourceState struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Last is the last good result and FetchedAt when it was fetched.
	Last      *Result   `json:"last,omitempty"`
	FetchedAt time.Time `json:"fetched_at,omitzero"`
	// LastError is the error of the latest attempt, "" when it succeeded;
	// FailingSince is when the current run of failures began.
	LastError    string    `json:"last_error,omitempty"`
	FailingSince time.Time `json:"failing_since,omitzero"`
	LastAttempt  time.Time `json:"last_attempt,omitzero"`
}

// State is live, stale or missing.
func (s SourceState) State() string {
	switch {
	case s.Last == nil:
		return StateMissing
	case s.LastError != "":
		return StateStale
	}
	return StateLive
}

// Store keeps the last good data of every source and persists it, so a
// restart while the homelab is down still has something to show.
type Store struct {
	path  string
	files *statefile.Files
	// persistMu orders the writes of the state file: each one encodes the
	// state as it is when its turn comes, so the last write is the latest.
	persistMu sync.Mutex

	mu      sync.Mutex
	version uint64 // counts changes, for callers that cache what they derive
	order   []string
	sources map[string]*SourceState
	subs    map[chan struct{}]struct{}
}

// stateFile is the store's file under state_dir.
const stateFile = "live.json"

// OpenStore loads dir/live.json if present and keeps the sources given, in
// their order; the data of sources no longer configured is dropped. A
// damaged live.json is moved aside by files (the store starts empty);
// writes go through files, which reports those that fail.
func OpenStore(files *statefile.Files, dir string, sources []Source) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	s := &Store{path: filepath.Join(dir, stateFile), files: files, sources: map[string]*SourceState{}, subs: map[chan struct{}]struct{}{}}
	var saved []SourceState
	lost, err := files.Load(s.path, func(data []byte) error {
		if err := statefile.DecodeJSON(data, &saved); err != nil {
			return err
		}
		for i, st := range saved {
			if st.Name == "" {
				return fmt.Errorf("entry %d has no name", i)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if lost {
		saved = nil // what a damaged file half-decoded into
	}
	for _, src := range sources {
		st := &SourceState{Name: src.Name, Type: src.Type}
		if i := slices.IndexFunc(saved, func(x SourceState) bool { return x.Name == src.Name && x.Type == src.Type }); i >= 0 {
			*st = saved[i]
		}
		s.order = append(s.order, src.Name)
		s.sources[src.Name] = st
	}
	return s, nil
}

// Record stores the outcome of one collection and persists the store.
func (s *Store) Record(name string, res *Result, collectErr error, at time.Time) error {
	s.mu.Lock()
	st, ok := s.sources[name]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("record: unknown source %q", name)
	}
	st.LastAttempt = at
	s.version++
	if collectErr != nil {
		if st.LastError == "" {
			st.FailingSince = at
		}
		st.LastError = collectErr.Error()
	} else {
		st.Last, st.FetchedAt, st.LastError, st.FailingSince = res, at, "", time.Time{}
	}
	for c := range s.subs {
		select {
		case c <- struct{}{}:
		default: // it has an update pending already
		}
	}
	s.mu.Unlock()
	return s.persist()
}

// persist writes the state file. Encoding a 500-node lab's state takes
// milliseconds; every request reads the store, so that happens outside mu
// (results are never modified once recorded, so the copies stay valid).
func (s *Store) persist() error {
	s.persistMu.Lock()
	defer s.persistMu.Unlock()
	s.mu.Lock()
	list := s.listLocked()
	s.mu.Unlock()
	data, err := json.MarshalIndent(list, "", " ")
	if err != nil {
		return fmt.Errorf("encode live state: %w", err)
	}
	return s.files.Write(s.path, data, 0o644)
}

// Version changes whenever the store does.
func (s *Store) Version() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// Sources returns a copy of every source's state, in config order.
func (s *Store) Sources() []SourceState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listLocked()
}

func (s *Store) listLocked() []SourceState {
	out := make([]SourceState, 0, len(s.order))
	for _, name := range s.order {
		out = append(out, *s.sources[name])
	}
	return out
}

// Source returns one source's state.
func (s *Store) Source(name string) (SourceState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.sources[name]
	if !ok {
		return SourceState{}, false
	}
	return *st, true
}

// Subscribe returns a channel that receives a value after every change;
// bursts collapse into one. Call the returned func to stop.
func (s *Store) Subscribe() (<-chan struct{}, func()) {
	c := make(chan struct{}, 1)
	s.mu.Lock()
	s.subs[c] = struct{}{}
	s.mu.Unlock()
	return c, func() {
		s.mu.Lock()
		delete(s.subs, c)
		s.mu.Unlock()
	}
}
