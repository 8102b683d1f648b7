package auditlog

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func auditRec(action, target string) Record {
	return Record{Time: time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC), Who: "ops@lab.test", Action: action, Target: target, Result: "ok"}
}

// TestAuditTornTail: a last line without its newline (a crash mid-write)
// does not swallow the next record.
func TestAuditTornTail(t *testing.T) {
	a := New(t.TempDir())
	if err := a.Append(auditRec("reboot", "before")); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"time":"2026-12-02T14:00:00Z","who":"ops`); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Append(auditRec("shutdown", "after")); err != nil {
		t.Fatal(err)
	}
	recs, damaged, err := a.Recent(10)
	if err != nil || len(recs) != 2 || recs[0].Target != "after" || damaged != 1 {
		t.Errorf("recent: %+v, %d damaged, %v; want after, before and the torn line counted", recs, damaged, err)
	}
}

// TestAuditFailedWrite: a write that fails half-way (a full disk) is cut
// back, so the next acknowledged record is whole and visible.
func TestAuditFailedWrite(t *testing.T) {
	a := New(t.TempDir())
	if err := a.Append(auditRec("reboot", "one")); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(a.path)
	if err != nil {
		t.Fatal(err)
	}
	real := a.writeAt
	a.writeAt = func(f *os.File, b []byte, off int64) (int, error) {
		n, err := real(f, b[:len(b)/2], off)
		if err != nil {
			return n, err
		}
		return n, syscall.ENOSPC
	}
	if err := a.Append(auditRec("reboot", "lost")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("append on a full disk: %v", err)
	}
	if after, err := os.Stat(a.path); err != nil || after.Size() != before.Size() {
		t.Errorf("size after the failed write %d, want %d (%v)", after.Size(), before.Size(), err)
	}
	a.writeAt = real
	if err := a.Append(auditRec("reboot", "two")); err != nil {
		t.Fatal(err)
	}
	recs, damaged, err := a.Recent(10)
	if err != nil || damaged != 0 || len(recs) != 2 || recs[0].Target != "two" {
		t.Errorf("recent: %+v, %d damaged, %v; want two, one", recs, damaged, err)
	}
}

// TestAuditBoundedRecord: a record with a huge error is cut to fit one
// line, says so, and reads back.
func TestAuditBoundedRecord(t *testing.T) {
	a := New(t.TempDir())
	r := auditRec("deploy", strings.Repeat("t", 50000))
	r.Result, r.Error = "failed", strings.Repeat("é\"<", 100000)
	if err := a.Append(r); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(a.path)
	if err != nil || len(data) > maxRecord {
		t.Fatalf("line of %d bytes, want at most %d (%v)", len(data), maxRecord, err)
	}
	recs, damaged, err := a.Recent(1)
	if err != nil || damaged != 0 || len(recs) != 1 || !strings.HasSuffix(recs[0].Error, "[cut]") || recs[0].Result != "failed" {
		t.Errorf("read back: %+v, %d damaged, %v", recs, damaged, err)
	}
}
