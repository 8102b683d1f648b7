// Package golden compares a test's output with a file under testdata/.
// `go test -update` rewrites the files, in packages whose tests define
// the usual flag (var update = flag.Bool("update", …)).
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Check fails t when got differs from the file at path, or rewrites the
// file when the test binary runs with -update.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// RewrittenLines counts the lines a diff removes that no added line of
// the same block keeps with text inserted into it: zero for
// a diff that only adds, to lines or between them, which is what an edit
// that must keep an operator's text byte for byte produces.
func RewrittenLines(diff string) int {
	var minus, plus []string
	n := 0
	flush := func() {
		for _, m := range minus {
			i := slices.IndexFunc(plus, func(p string) bool { return subsequence(m, p) })
			if i < 0 {
				n++
				continue
			}
			plus = slices.Delete(plus, i, i+1)
		}
		minus, plus = nil, nil
	}
	for l := range strings.Lines(diff) {
		switch {
		case strings.HasPrefix(l, "---"), strings.HasPrefix(l, "+++"):
		case strings.HasPrefix(l, "-"):
			if len(plus) > 0 {
				flush()
			}
			minus = append(minus, l[1:])
		case strings.HasPrefix(l, "+"):
			plus = append(plus, l[1:])
		default:
			flush()
		}
	}
	flush()
	return n
}

// subsequence reports whether a's bytes appear in b in order.
func subsequence(a, b string) bool {
	i := 0
	for j := 0; i < len(a) && j < len(b); j++ {
		if a[i] == b[j] {
			i++
		}
	}
	return i == len(a)
}
