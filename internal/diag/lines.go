package diag

import "sort"

// Lines maps byte offsets in a file to 1-based line numbers, so a problem
// found by offset (a parser's position) can name its line.
type Lines []int

// NewLines indexes the line starts of data.
func NewLines(data []byte) Lines {
	l := Lines{0}
	for i, b := range data {
		if b == '\n' {
			l = append(l, i+1)
		}
	}
	return l
}

// Line is the 1-based line holding offset.
func (l Lines) Line(offset int64) int {
	return sort.Search(len(l), func(i int) bool { return int64(l[i]) > offset })
}
