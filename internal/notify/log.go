package notify

import (
	"encoding/json"
	"errors"
	"os"
	"sync"
)

// Log keeps delivery records: the latest in memory for the admin's page
// and every one appended to a JSON-lines file (like the audit log), so
// they survive a restart.
type Log struct {
	path string
	keep int

	mu     sync.Mutex
	recent []Delivery
}

// NewLog appends to path ("" keeps records in memory only) and keeps the
// keep latest in memory.
func NewLog(path string, keep int) *Log { return &Log{path: path, keep: keep} }

var _ Recorder = (*Log)(nil)

// Record appends one record, synced, and keeps it in memory.
func (l *Log) Record(d Delivery) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recent = append(l.recent, d)
	if over := len(l.recent) - l.keep; over > 0 {
		l.recent = append(l.recent[:0:0], l.recent[over:]...)
	}
	if l.path == "" {
		return nil
	}
	line, err := json.Marshal(d)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(l.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.Write(append(line, '\n'))
	return errors.Join(werr, f.Sync(), f.Close())
}

// Recent is the latest records, oldest first.
func (l *Log) Recent() []Delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Delivery(nil), l.recent...)
}
