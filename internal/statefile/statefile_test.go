package statefile

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/atomicfile"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// TestWriteFailuresRateLimited: a write that keeps failing is logged once
// a minute, not once a try; Failing reports it until the file is written
// again, and the recovery is logged once.
func TestWriteFailuresRateLimited(t *testing.T) {
	var logs bytes.Buffer
	clk := &clock{t: time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)}
	full := true
	write := func(path string, data []byte, perm fs.FileMode) error {
		if full {
			return syscall.ENOSPC
		}
		return atomicfile.Write(path, data, perm)
	}
	f := New(slog.New(slog.NewTextHandler(&logs, nil)), clk.now, write)
	path := filepath.Join(t.TempDir(), "live.json")
	for range 120 { // two minutes of a poll every second
		if err := f.Write(path, []byte("{}"), 0o644); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("err = %v, want ENOSPC", err)
		}
		clk.t = clk.t.Add(time.Second)
	}
	if n := strings.Count(logs.String(), "state not saved"); n != 2 {
		t.Errorf("logged %d times in two minutes, want 2:\n%s", n, logs.String())
	}
	fail, ok := f.Failing()
	if !ok || fail.Path != path || !fail.Since.Equal(time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)) {
		t.Errorf("Failing = %+v, %v", fail, ok)
	}
	full = false
	if err := f.Write(path, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Failing(); ok {
		t.Error("still failing after a good write")
	}
	if !strings.Contains(logs.String(), "state files are saved again") {
		t.Error("the recovery is not logged")
	}
}

// TestRemoveTemp removes the temporary files of atomic writes, nothing
// else.
func TestRemoveTemp(t *testing.T) {
	dir := t.TempDir()
	keep := []string{"live.json", "audit.log", "tmp-notes", ".hidden", "live.json.corrupt-20261202T140000.000Z"}
	gone := []string{".live.json.tmp-123456", ".snapshot.json.tmp-9"}
	for _, n := range append(append([]string{}, keep...), gone...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".deploys.tmp-1"), 0o700); err != nil {
		t.Fatal(err)
	}
	f := New(slog.New(slog.DiscardHandler), nil, nil)
	if err := f.RemoveTemp(dir); err != nil {
		t.Fatal(err)
	}
	for _, n := range append(keep, ".deploys.tmp-1") {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s removed: %v", n, err)
		}
	}
	for _, n := range gone {
		if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s kept: %v", n, err)
		}
	}
	if err := f.RemoveTemp(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("a missing dir: %v", err)
	}
}

// smallTmpfs mounts a tmpfs of size bytes, for tests of a full disk: as
// root only, and never under CI=true (CI runs as root on the session's
// machine, where a test must not mount filesystems).
func smallTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Skip("CI=true: no mounting in CI; TestWriteFailuresRateLimited covers the logic with an injected writer")
	}
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; TestWriteFailuresRateLimited covers the logic with an injected writer")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file until the filesystem is full; it returns the file.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "ballast")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64*1024)
	for range 1 << 14 { // bounded: 1 GiB at most
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	if err := f.Close(); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
	return p
}

// TestDiskFullTmpfs: on a real full filesystem the last good file is
// kept, no temporary file is left, Free says so, and writes recover when
// space returns.
func TestDiskFullTmpfs(t *testing.T) {
	dir := smallTmpfs(t, "2m")
	f := New(slog.New(slog.DiscardHandler), nil, nil)
	path := filepath.Join(dir, "live.json")
	if err := f.Write(path, []byte(`["good"]`), 0o644); err != nil {
		t.Fatal(err)
	}
	ballast := fill(t, dir)
	if free, err := Free(dir); err != nil || free > 64*1024 {
		t.Errorf("Free = %d, %v on a full tmpfs", free, err)
	}
	big := bytes.Repeat([]byte("x"), 256*1024)
	if err := f.Write(path, big, 0o644); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write on a full disk: %v, want ENOSPC", err)
	}
	if _, ok := f.Failing(); !ok {
		t.Error("Failing does not report the full disk")
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != `["good"]` {
		t.Errorf("the last good file: %q %v", got, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if err := f.Write(path, big, 0o644); err != nil {
		t.Fatalf("after space returned: %v", err)
	}
	if _, ok := f.Failing(); ok {
		t.Error("still failing after space returned")
	}
}

// TestLoad: what Load keeps, moves aside and refuses.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: time.Date(2026, 12, 2, 14, 5, 6, 0, time.UTC)}
	f := New(slog.New(slog.DiscardHandler), clk.now, nil)
	var v []int
	decode := func(b []byte) error { return DecodeJSON(b, &v) }
	if lost, err := f.Load(filepath.Join(dir, "missing.json"), decode); lost || err != nil {
		t.Errorf("missing: %v %v", lost, err)
	}
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, []byte("[1,2]"), 0o644); err != nil {
		t.Fatal(err)
	}
	if lost, err := f.Load(good, decode); lost || err != nil || len(v) != 2 {
		t.Errorf("good: %v %v %v", lost, err, v)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"a":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if lost, err := f.Load(bad, decode); !lost || err != nil {
		t.Errorf("wrong type: %v %v", lost, err)
	}
	if _, err := os.Stat(bad + ".corrupt-20261202T140506.000Z"); err != nil {
		t.Errorf("not moved aside with the time: %v", err)
	}
	// A directory where the file should be cannot be read: an error.
	if err := os.Mkdir(filepath.Join(dir, "dir.json"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Load(filepath.Join(dir, "dir.json"), decode); err == nil {
		t.Error("an unreadable file is no error")
	}
}

// TestCorruptCopiesBounded: a file found damaged at every start leaves
// at most KeepCorrupt copies, the newest, and files of other names (one
// with glob characters in it) are not touched.
func TestCorruptCopiesBounded(t *testing.T) {
	dir := t.TempDir()
	clk := &clock{t: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)}
	f := New(slog.New(slog.DiscardHandler), clk.now, nil)
	bad := filepath.Join(dir, "live[1].json")
	other := filepath.Join(dir, "live1.json.corrupt-20200101T000000.000Z")
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var starts []string
	for i := range KeepCorrupt + 3 {
		if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
			t.Fatal(err)
		}
		if lost, err := f.Load(bad, func(b []byte) error { return DecodeJSON(b, new([]int)) }); !lost || err != nil {
			t.Fatalf("start %d: %v %v", i, lost, err)
		}
		starts = append(starts, bad+".corrupt-"+clk.t.UTC().Format("20060102T150405.000Z"))
		clk.t = clk.t.Add(time.Minute)
	}
	got, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string{other}, starts[len(starts)-KeepCorrupt:]...)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("files %q\nwant %q", got, want)
	}
}
