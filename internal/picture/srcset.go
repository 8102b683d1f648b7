package picture

import (
	"strconv"
	"strings"
)

// DefaultSizes is the sizes attribute for an image in an article's text
// column: the column (--measure, 70ch of the body font: 757 px measured in
// Chromium at 1280 px, just under 48rem) on a viewport wide enough for it,
// the viewport less the gutters below that. A browser then fetches the
// 960 px file for the column at 1×, 1600 px at 1.5× and 2×, and 960 px on
// a 390 px phone at 2×. A slot said smaller than it is (40rem, once) made
// a 1.5× screen take the 960 px file for a 1,136 px column.
const DefaultSizes = "(min-width: 50rem) 48rem, calc(100vw - 2rem)"

// Srcset is the srcset attribute for r, each file under prefix (the URL
// path the variants are published at, with its trailing slash):
// "/blog/rack/rack.480.3f9a1c2b7d.jpg 480w, …". Names are hashes, digits,
// letters and dots, so nothing in them needs escaping.
func (r *Result) Srcset(prefix string) string {
	var b strings.Builder
	for i, v := range r.Variants {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(prefix)
		b.WriteString(v.Name)
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(v.Width))
		b.WriteByte('w')
	}
	return b.String()
}

// Src is the variant for the src attribute, which only a browser without
// srcset uses: the widest one no wider than 960 px (a column at 1×), or
// the smallest.
func (r *Result) Src() Variant {
	best := r.Variants[0]
	for _, v := range r.Variants {
		if v.Width <= 960 {
			best = v
		}
	}
	return best
}
