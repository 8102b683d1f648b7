package api

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// AuditRecord is one admin action: who did what to which target, and how
// it ended.
type AuditRecord struct {
	Time   time.Time `json:"time"`
	Who    string    `json:"who"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Result string    `json:"result"` // ok, failed, refused
	Error  string    `json:"error,omitempty"`
}

// audit appends records to state_dir/audit.log, one JSON object a line,
// synced before the action's answer is sent so a crash cannot lose it.
type audit struct {
	mu   sync.Mutex
	path string
}

func newAudit(dir string) *audit { return &audit{path: filepath.Join(dir, "audit.log")} }

func (a *audit) append(r AuditRecord) error {
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		return errors.Join(fmt.Errorf("audit: %w", err), f.Close())
	}
	if err := f.Sync(); err != nil {
		return errors.Join(fmt.Errorf("audit: %w", err), f.Close())
	}
	return f.Close()
}

// recent returns up to n records, newest first. A torn last line (a crash
// mid-write before the sync) is skipped, not fatal.
func (a *audit) recent(n int) ([]AuditRecord, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f, err := os.Open(a.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	var out []AuditRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		var r AuditRecord
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			out = append(out, r)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	slices.Reverse(out)
	return out[:min(n, len(out))], nil
}
