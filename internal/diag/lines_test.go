package diag

import "testing"

func TestLines(t *testing.T) {
	l := NewLines([]byte("ab\ncd\n\nef"))
	for _, tc := range []struct {
		off  int64
		want int
	}{{0, 1}, {2, 1}, {3, 2}, {5, 2}, {6, 3}, {7, 4}, {9, 4}, {100, 4}} {
		if got := l.Line(tc.off); got != tc.want {
			t.Errorf("Line(%d) = %d, want %d", tc.off, got, tc.want)
		}
	}
}
