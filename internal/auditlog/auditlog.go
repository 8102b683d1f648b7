// Package auditlog is the admin server's audit log: one JSON record a
// line in state_dir/audit.log, room reserved before an action runs and
// each record synced before the action's answer is sent, a torn tail
// repaired and damaged lines skipped when reading.
package auditlog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// Record is one admin action: who did what to which target, and how
// it ended.
type Record struct {
	Time   time.Time `json:"time"`
	Who    string    `json:"who"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Result string    `json:"result"` // ok, failed, refused
	Error  string    `json:"error,omitempty"`
}

// maxRecord bounds one line of audit.log, newline included: writing
// cuts a longer record's fields, reading skips a longer line (a damaged
// file) instead of failing the whole page.
const maxRecord = 16 << 10

// Log appends records to state_dir/audit.log, one JSON object a line,
// synced before the action's answer is sent so a crash cannot lose it.
type Log struct {
	mu   sync.Mutex
	path string
	// writeAt writes at an offset; tests make it fail half-way as a full
	// disk does.
	writeAt func(f *os.File, b []byte, off int64) (int, error)
}

// New is the log in dir; the file is created by the first record.
func New(dir string) *Log {
	return &Log{path: filepath.Join(dir, "audit.log"), writeAt: (*os.File).WriteAt}
}

// Path is the log's file.
func (a *Log) Path() string { return a.path }

// ErrUnwritable marks an action refused before it ran because its
// record could not be written.
var ErrUnwritable = errors.New("the audit log cannot be written")

// Reserve makes sure the record of an action about to run can be written,
// before the action runs: an action that cannot be audited must not
// happen. It opens the log for writing, terminates a torn last line and
// reserves room for one record past the end (fallocate, keeping the
// size), so a full disk refuses the action instead of swallowing its
// record. Filesystems without fallocate get the first two checks only.
func (a *Log) Reserve() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	f, size, err := a.openTail()
	if err != nil {
		return err
	}
	const keepSize = 1 // FALLOC_FL_KEEP_SIZE
	if err := syscall.Fallocate(int(f.Fd()), keepSize, size, maxRecord); err != nil && !errors.Is(err, syscall.EOPNOTSUPP) {
		return errors.Join(fmt.Errorf("%w: reserve room for a record: %w", ErrUnwritable, err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnwritable, err)
	}
	return nil
}

// openTail opens the log for writing with a repaired tail and returns
// its size: a last line without its newline (a crash or a failed write
// mid-record) is terminated, so the next record starts on its own line
// and one bad line never hides another. The caller holds a.mu.
func (a *Log) openTail() (*os.File, int64, error) {
	f, err := os.OpenFile(a.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrUnwritable, err)
	}
	fail := func(err error) (*os.File, int64, error) {
		return nil, 0, errors.Join(fmt.Errorf("%w: %w", ErrUnwritable, err), f.Close())
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	size := fi.Size()
	if size == 0 {
		return f, 0, nil
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, size-1); err != nil {
		return fail(err)
	}
	if last[0] == '\n' {
		return f, size, nil
	}
	if _, err := a.writeAt(f, []byte{'\n'}, size); err != nil {
		return fail(errors.Join(err, f.Truncate(size)))
	}
	if err := f.Sync(); err != nil {
		return fail(errors.Join(err, f.Truncate(size)))
	}
	return f, size + 1, nil
}

// Append writes one record and syncs it. A write that fails is undone
// (the file is cut back to its size before), so no partial line is left
// for the next record to be glued onto.
func (a *Log) Append(r Record) error {
	line, err := boundedRecord(r)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	f, size, err := a.openTail()
	if err != nil {
		return err
	}
	_, err = a.writeAt(f, line, size)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return errors.Join(fmt.Errorf("audit: %w", err), f.Truncate(size), f.Close())
	}
	return f.Close()
}

// boundedRecord is r as one line of at most maxRecord bytes: fields
// too long (a huge error message) are cut, and the cut is said.
func boundedRecord(r Record) ([]byte, error) {
	for limit := maxRecord; limit >= 64; limit /= 2 {
		line, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		if len(line) < maxRecord {
			return append(line, '\n'), nil
		}
		r.Who, r.Action, r.Target, r.Error = cut(r.Who, limit/4), cut(r.Action, limit/8), cut(r.Target, limit/4), cut(r.Error, limit/4)
	}
	return nil, errors.New("the record does not fit in an audit line")
}

// cut shortens s to at most n bytes on a rune boundary, marking the cut.
func cut(s string, n int) string {
	const mark = " …[cut]"
	if len(s) <= n {
		return s
	}
	s = s[:max(0, n-len(mark))]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + mark
}

// Recent returns up to n records, newest first, and how many lines were
// damaged and skipped: not JSON (a torn line after a crash or a failed
// write) or longer than maxRecord. Lines are read with a bounded
// buffer, so no line can make the page fail.
func (a *Log) Recent(n int) ([]Record, int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := os.Open(a.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	var out []Record
	damaged := 0
	br := bufio.NewReaderSize(f, maxRecord)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			damaged++
			if err := skipLine(br); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, 0, fmt.Errorf("audit: %w", err)
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, fmt.Errorf("audit: %w", err)
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			var r Record
			if json.Unmarshal(trimmed, &r) != nil || r.Action == "" {
				damaged++
			} else {
				out = append(out, r)
				// Keep the newest n only, with slack so trimming is rare.
				if len(out) >= 2*n+64 {
					out = append(out[:0], out[len(out)-n:]...)
				}
			}
		}
		if err != nil { // io.EOF
			break
		}
	}
	out = out[max(0, len(out)-n):]
	reversed := make([]Record, len(out))
	for i, r := range out {
		reversed[len(out)-1-i] = r
	}
	return reversed, damaged, nil
}

// skipLine reads past the end of an oversized line.
func skipLine(br *bufio.Reader) error {
	for {
		_, err := br.ReadSlice('\n')
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}
