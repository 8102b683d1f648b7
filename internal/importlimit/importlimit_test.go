package importlimit

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBudget(t *testing.T) {
	for _, tc := range []struct {
		name       string
		budget     int64
		max        int64
		reads      []int // sizes read one after another from the same archive
		wantErr    string
		wantWhole  bool
		wantFailAt int // index of the read that fails
	}{
		{"within both", 100, 50, []int{50, 50}, "", false, -1},
		{"one entry too large", 100, 50, []int{51}, "larger than 50 bytes", false, 0},
		{"the archive too large", 100, 60, []int{60, 41}, "more than 100 bytes once decompressed", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := Limits{ArchiveBytes: tc.budget}.NewBudget()
			for i, n := range tc.reads {
				src := &countingReader{r: bytes.NewReader(make([]byte, n))}
				data, err := b.Read(src, tc.max)
				if i != tc.wantFailAt {
					if err != nil || len(data) != n {
						t.Fatalf("read %d: %d bytes, %v", i, len(data), err)
					}
					continue
				}
				var tl *TooLarge
				if !errors.As(err, &tl) || tl.Whole != tc.wantWhole || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("read %d: %v, want %q", i, err, tc.wantErr)
				}
				// Never more than one byte past a bound is inflated.
				if src.n > tc.max+1 {
					t.Errorf("read %d bytes from the source for a limit of %d", src.n, tc.max)
				}
			}
		})
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestReadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, make([]byte, 2048), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path, 2048); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	if _, err := ReadFile(path, 1024); err == nil || err.Error() != path+": larger than 1 KiB" {
		t.Errorf("over the limit: %v", err)
	}
	if _, err := ReadFile("/dev/zero", 1024); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a device: %v", err)
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{8 << 20: "8 MiB", 1 << 30: "1 GiB", 4 << 10: "4 KiB", 1500: "1500 bytes"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
