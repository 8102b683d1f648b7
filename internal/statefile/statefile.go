// Package statefile keeps the admin server's state files (live.json,
// snapshot.json, the deploy state, the signed-out sessions): a damaged file
// is moved aside instead of stopping the server, writes are atomic and
// watched, so a full disk is reported (rate limited) and cleared by the
// next write that succeeds, and the temporary files a crash left are
// removed at start.
package statefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/labfront/labfront/internal/atomicfile"
)

// WriteFunc replaces a file atomically; atomicfile.Write in production,
// a failing one in tests that cannot fill a disk.
type WriteFunc func(path string, data []byte, perm fs.FileMode) error

// LogEvery is how often a write error that keeps happening is logged: a
// full disk fails every poll, and one line a minute says as much.
const LogEvery = time.Minute

// Loss is a state file that could not be read and was moved aside.
type Loss struct {
	Path    string // the file as it was named
	MovedTo string // where it is now, for the operator
	Err     error  // why it was unreadable
	At      time.Time
}

// Failure is the state of writes that keep failing.
type Failure struct {
	Since time.Time // the first failure of the current run
	Path  string    // the latest file that could not be written
	Err   error     // its error
}

// Files loads and writes state files for one server. The zero value is
// not usable: call New.
type Files struct {
	write WriteFunc
	log   *slog.Logger
	now   func() time.Time

	mu         sync.Mutex
	losses     []Loss
	failing    map[string]error // path → its latest write error
	since      time.Time
	last       Failure
	lastLogged time.Time
	suppressed int
}

// New returns Files that log to log; write and now may be nil
// (atomicfile.Write, time.Now).
func New(log *slog.Logger, now func() time.Time, write WriteFunc) *Files {
	if write == nil {
		write = atomicfile.Write
	}
	if now == nil {
		now = time.Now
	}
	return &Files{write: write, log: log, now: now, failing: map[string]error{}}
}

// Load reads path and hands its content to decode. A missing file is no
// error. A file that is empty or that decode refuses is moved aside as
// path.corrupt-<UTC time>, logged and remembered as a Loss (lost is true;
// whatever decode filled in is to be dropped): losing the last state is
// better than an admin server that cannot start when the lab needs it.
// Only a file that can be neither read nor moved aside is an error.
func (f *Files) Load(path string, decode func([]byte) error) (lost bool, err error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	derr := errors.New("the file is empty")
	if len(bytes.TrimSpace(data)) > 0 {
		derr = decode(data)
	}
	if derr == nil {
		return false, nil
	}
	at := f.now().UTC()
	moved := path + ".corrupt-" + at.Format("20060102T150405.000Z")
	if err := os.Rename(path, moved); err != nil {
		return false, fmt.Errorf("%s is unreadable (%v) and cannot be moved aside: %w", path, derr, err)
	}
	f.log.Warn("a state file was unreadable: moved aside, starting without it", "path", path, "moved_to", moved, "err", derr)
	f.pruneCorrupt(path)
	f.mu.Lock()
	f.losses = append(f.losses, Loss{Path: path, MovedTo: moved, Err: derr, At: at})
	f.mu.Unlock()
	return true, nil
}

// KeepCorrupt is how many moved-aside copies of one state file are kept:
// enough to look into what went wrong, and a file that is damaged at
// every start cannot fill the disk with them.
const KeepCorrupt = 5

// pruneCorrupt removes the oldest moved-aside copies of path beyond
// KeepCorrupt. Their names end in a sortable UTC time, so name order is
// age order. A copy that cannot be removed is logged and left.
func (f *Files) pruneCorrupt(path string) {
	copies, err := filepath.Glob(globEscape(path) + ".corrupt-*")
	if err != nil || len(copies) <= KeepCorrupt {
		return
	}
	slices.Sort(copies)
	for _, old := range copies[:len(copies)-KeepCorrupt] {
		if err := os.Remove(old); err != nil {
			f.log.Warn("an old moved-aside state file could not be removed", "path", old, "err", err)
			continue
		}
		f.log.Info("removed an old moved-aside state file", "path", old, "kept", KeepCorrupt)
	}
}

// globEscape quotes the pattern characters of a literal path.
func globEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// DecodeJSON decodes one JSON value into v, refusing what json.Unmarshal
// lets through: null and trailing data. A value of the wrong type fails
// as usual.
func DecodeJSON(data []byte, v any) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return errors.New("the file holds null")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// Write replaces path atomically and keeps track of the outcome: a
// failure keeps the last good file (the temporary file is removed), is
// logged at most once every LogEvery with the count of those not logged,
// and is reported by Failing until a write of that file succeeds.
func (f *Files) Write(path string, data []byte, perm fs.FileMode) error {
	err := f.write(path, data, perm)
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if err == nil {
		if _, was := f.failing[path]; was {
			delete(f.failing, path)
			if len(f.failing) == 0 {
				f.log.Info("state files are saved again", "path", path, "failing_since", f.since.UTC().Format(time.RFC3339), "errors_not_logged", f.suppressed)
				f.since, f.last, f.suppressed, f.lastLogged = time.Time{}, Failure{}, 0, time.Time{}
			}
		}
		return nil
	}
	if len(f.failing) == 0 {
		f.since = now
	}
	f.failing[path] = err
	f.last = Failure{Since: f.since, Path: path, Err: err}
	if f.lastLogged.IsZero() || now.Sub(f.lastLogged) >= LogEvery {
		f.log.Error("state not saved: the last good file is kept", "path", path, "err", err, "errors_not_logged", f.suppressed)
		f.lastLogged, f.suppressed = now, 0
	} else {
		f.suppressed++
	}
	return fmt.Errorf("save %s: %w", path, err)
}

// Losses are the files moved aside since the server started.
func (f *Files) Losses() []Loss {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Loss(nil), f.losses...)
}

// Failing reports writes that fail now: ok is false when the latest write
// of every file succeeded.
func (f *Files) Failing() (Failure, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last, len(f.failing) > 0
}

// RemoveTemp removes the temporary files (.NAME.tmp-*) that a crash before
// atomicfile.Write's rename left in dir. Call it at start, before anything
// writes there: a temporary file in use would be removed too.
func (f *Files) RemoveTemp(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, ".") || !strings.Contains(name, ".tmp-") {
			continue
		}
		p := filepath.Join(dir, name)
		if err := os.Remove(p); err != nil {
			errs = append(errs, err)
			continue
		}
		f.log.Info("removed a temporary file left by a crash", "path", p)
	}
	return errors.Join(errs...)
}

// Free is the space left for an unprivileged writer on the filesystem
// that holds dir.
func Free(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}
