// Package diag carries problems found in the operator's input (content files,
// YAML) with the file, line and field they concern, so every command can
// report them as "path:line: message" and the CLI can tell user mistakes
// (exit 1) from internal failures.
package diag

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Problem is one mistake in an input file. Line is 1-based; 0 means the
// problem concerns the whole file.
type Problem struct {
	Path  string
	Line  int
	Field string
	Msg   string
	// Warning marks something worth a look that does not stop a build
	// (a series of one post): it is printed with the errors but never
	// makes a List an error on its own.
	Warning bool
}

// Error formats the problem as path:line: message, the form editors and
// terminals turn into clickable locations.
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.Path)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	if p.Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// List collects problems. A non-empty List is an error; commands print one
// problem per line.
type List []Problem

// Add appends a problem.
func (l *List) Add(path string, line int, field, format string, args ...any) {
	*l = append(*l, Problem{Path: path, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// Warn appends a warning.
func (l *List) Warn(path string, line int, field, format string, args ...any) {
	*l = append(*l, Problem{Path: path, Line: line, Field: field, Msg: fmt.Sprintf(format, args...), Warning: true})
}

// Append adds every problem of other.
func (l *List) Append(other List) { *l = append(*l, other...) }

// Sort orders problems by path and line so output is stable across runs
// even though files are loaded concurrently.
func (l List) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].Path != l[j].Path {
			return l[i].Path < l[j].Path
		}
		if l[i].Line != l[j].Line {
			return l[i].Line < l[j].Line
		}
		return l[i].Error() < l[j].Error()
	})
}

// Err returns nil for a list without errors (empty, or warnings only), so
// callers can `return problems.Err()`; otherwise the sorted list, warnings
// included, so one run shows everything in file order.
func (l List) Err() error {
	if l.Errors() == 0 {
		return nil
	}
	l.Sort()
	return l
}

// Errors counts the problems that are not warnings.
func (l List) Errors() int {
	n := 0
	for _, p := range l {
		if !p.Warning {
			n++
		}
	}
	return n
}

// Warnings returns the warnings of l, sorted.
func (l List) Warnings() List {
	var w List
	for _, p := range l {
		if p.Warning {
			w = append(w, p)
		}
	}
	w.Sort()
	return w
}

func (l List) Error() string {
	lines := make([]string, len(l))
	for i, p := range l {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// As reports whether err carries input problems and returns them.
func As(err error) (List, bool) {
	var l List
	if errors.As(err, &l) {
		return l, true
	}
	var p Problem
	if errors.As(err, &p) {
		return List{p}, true
	}
	return nil, false
}
