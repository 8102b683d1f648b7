package content

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

func TestStampVouches(t *testing.T) {
	const s = int64(time.Second)
	read := 100 * s
	rec := Stamp{Size: 10, Mod: 50 * s, Change: 60 * s, Inode: 7, Read: read}
	tests := []struct {
		name string
		rec  Stamp
		now  Stamp
		want bool
	}{
		{"unchanged, settled", rec, Stamp{Size: 10, Mod: 50 * s, Change: 60 * s, Inode: 7}, true},
		{"size differs", rec, Stamp{Size: 11, Mod: 50 * s, Change: 60 * s, Inode: 7}, false},
		{"mtime differs", rec, Stamp{Size: 10, Mod: 51 * s, Change: 60 * s, Inode: 7}, false},
		{"ctime differs (written, mtime put back)", rec, Stamp{Size: 10, Mod: 50 * s, Change: 61 * s, Inode: 7}, false},
		{"another file (replaced by rename)", rec, Stamp{Size: 10, Mod: 50 * s, Change: 60 * s, Inode: 8}, false},
		{"changed 1 s before it was read", Stamp{Size: 10, Mod: 50 * s, Change: read - s, Inode: 7, Read: read},
			Stamp{Size: 10, Mod: 50 * s, Change: read - s, Inode: 7}, false},
		{"modified 1 s before it was read", Stamp{Size: 10, Mod: read - s, Change: 60 * s, Inode: 7, Read: read},
			Stamp{Size: 10, Mod: read - s, Change: 60 * s, Inode: 7}, false},
		{"never read", Stamp{Size: 10, Mod: 50 * s, Change: 60 * s, Inode: 7},
			Stamp{Size: 10, Mod: 50 * s, Change: 60 * s, Inode: 7}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.rec.vouches(tc.now, settleTime); got != tc.want {
				t.Errorf("vouches = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCacheTrustsSettledStamps: a source whose stat is unchanged since it
// was read is not read again; a write that keeps the size and puts the
// mtime back is still seen, through the change time.
func TestCacheTrustsSettledStamps(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("stamps are used on Linux only")
	}
	dir := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML+`-- content/posts/2026-01-01-a.md --
---
title: Alpha
date: 2026-01-01
---
A.
`)
	file := filepath.Join(dir, "content", "posts", "2026-01-01-a.md")
	cache := NewCache()
	// The files were written a moment ago; waiting 2 s for them to settle
	// would slow the test, so this cache trusts a stamp at once.
	cache.settle = 0
	first, err := Load(dir, Options{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if first.Posts[0].Stamp.Read == 0 {
		t.Fatal("the page has no stamp")
	}
	second, err := Load(dir, Options{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if second.Posts[0] != first.Posts[0] {
		t.Error("an unchanged source was read again")
	}

	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	same := []byte(string(data[:len(data)-len("Alpha\ndate: 2026-01-01\n---\nA.\n")]) + "Omega\ndate: 2026-01-01\n---\nA.\n")
	if len(same) != len(data) {
		t.Fatalf("the edit changed the size: %d, %d", len(same), len(data))
	}
	// The kernel stamps file times from a coarse clock, so a write right
	// after the first may carry its change time. Write until the change
	// time has moved on, as it has for any later edit: the condition
	// itself, not a guess at the tick's length.
	was, err := stampOf(fi)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if err := os.WriteFile(file, same, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(file, fi.ModTime(), fi.ModTime()); err != nil {
			t.Fatal(err)
		}
		now, err := os.Stat(file)
		if err != nil {
			t.Fatal(err)
		}
		st, err := stampOf(now)
		if err != nil {
			t.Fatal(err)
		}
		if st.Change != was.Change {
			break
		}
		if i == 1e6 {
			t.Fatalf("the change time stayed %d over %d writes", was.Change, i)
		}
	}
	third, err := Load(dir, Options{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if got := third.Posts[0].Title; got != "Omega" {
		t.Errorf("after a same-size write with the mtime put back, title = %q, want Omega", got)
	}
}
