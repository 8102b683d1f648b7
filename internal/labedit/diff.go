package labedit

import (
	"fmt"
	"strings"
)

// diffContext is how many unchanged lines a hunk shows around a change.
const diffContext = 3

// Diff is a unified diff of old and updated, named name (as `diff -u`
// and `git diff` write it), "" when they are equal. Lines are compared
// with Myers' algorithm, whose cost grows with the number of changed lines:
// a few additions to a long lab.yaml stay cheap.
func Diff(name string, old, updated []byte) string {
	a, b := splitLines(string(old)), splitLines(string(updated))
	ops := myers(a, b)
	if len(ops) == 0 {
		return ""
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- a/%s\n+++ b/%s\n", name, name)
	// Group edits into hunks that share context.
	for i := 0; i < len(ops); {
		j := i
		for j+1 < len(ops) && ops[j+1].ai-ops[j].aEnd() <= 2*diffContext {
			j++
		}
		writeHunk(&out, a, b, ops[i:j+1])
		i = j + 1
	}
	return out.String()
}

// change replaces a[ai:ai+del] with b[bi:bi+ins].
type change struct{ ai, del, bi, ins int }

func (c change) aEnd() int { return c.ai + c.del }

func writeHunk(out *strings.Builder, a, b []string, cs []change) {
	first, last := cs[0], cs[len(cs)-1]
	aStart := max(0, first.ai-diffContext)
	bStart := first.bi - (first.ai - aStart)
	aStop := min(len(a), last.aEnd()+diffContext)
	bStop := last.bi + last.ins + (aStop - last.aEnd())
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(aStart, aStop-aStart), hunkRange(bStart, bStop-bStart))
	ai := aStart
	for _, c := range cs {
		for ; ai < c.ai; ai++ {
			writeLine(out, " ", a[ai])
		}
		for k := range c.del {
			writeLine(out, "-", a[c.ai+k])
		}
		for k := range c.ins {
			writeLine(out, "+", b[c.bi+k])
		}
		ai = c.aEnd()
	}
	for ; ai < aStop; ai++ {
		writeLine(out, " ", a[ai])
	}
}

func writeLine(out *strings.Builder, mark, line string) {
	out.WriteString(mark)
	out.WriteString(line)
	if !strings.HasSuffix(line, "\n") {
		out.WriteString("\n\\ No newline at end of file\n")
	}
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

// splitLines keeps each line's newline, so a missing last one shows.
func splitLines(s string) []string {
	var out []string
	for l := range strings.Lines(s) {
		out = append(out, l)
	}
	return out
}

// myers returns the changes that turn a into b, in order.
func myers(a, b []string) []change {
	n, m := len(a), len(b)
	maxD := n + m
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int
	for d := 0; d <= maxD; d++ {
		trace = append(trace, append([]int(nil), v...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, off, n, m, d)
			}
		}
	}
	return nil
}

// backtrack walks the trace back from (n, m) and merges single-line
// steps into changes.
func backtrack(trace [][]int, off, x, y, d int) []change {
	type step struct {
		ax, by int
		del    bool
	}
	var steps []step
	for ; d > 0; d-- {
		v := trace[d]
		k := x - y
		var prevK int
		if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := v[off+prevK]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
		}
		if x == prevX {
			steps = append(steps, step{ax: x, by: prevY, del: false}) // insert b[prevY]
		} else {
			steps = append(steps, step{ax: prevX, by: y, del: true}) // delete a[prevX]
		}
		x, y = prevX, prevY
	}
	var out []change
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		if len(out) > 0 {
			c := &out[len(out)-1]
			if c.aEnd() == s.ax && c.bi+c.ins == s.by {
				if s.del {
					c.del++
				} else {
					c.ins++
				}
				continue
			}
		}
		c := change{ai: s.ax, bi: s.by}
		if s.del {
			c.del = 1
		} else {
			c.ins = 1
		}
		out = append(out, c)
	}
	return out
}
