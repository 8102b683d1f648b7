package topology

import "math"

// Layout is one drawing of the lab: where each node, its label and each
// link go, on a canvas fitted to them. Coordinates are SVG user units with
// the origin at the canvas's top left; nothing lies outside Width×Height.
type Layout struct {
	Width, Height float64
	// FontSize is the labels' font size and LineHeight the distance between
	// the lines of a wrapped label, in canvas units.
	FontSize, LineHeight float64
	Nodes                []Place // in the lab's node order
	Links                []Path  // in the lab's link order
	Groups               []Group // headings of the node groups (the narrow view's sites)
}

// Place is a laid-out node: its centre and radius, and its label.
type Place struct {
	X, Y, R float64
	Label   Label
}

// Label is a node's name as drawn. Box holds every line, with a margin for
// the halo drawn behind the glyphs.
type Label struct {
	Box Box
	// X, Y is the first line's anchor on its baseline; each further line
	// is LineHeight lower.
	X, Y   float64
	Anchor string // start, middle or end, as SVG's text-anchor
	Lines  []string
}

// Path is a drawn link. Bend zero is a straight line from (X1, Y1) to
// (X2, Y2); otherwise the link is a cubic curve whose control points lie
// Bend units left of the leftmost end, at each end's height (the narrow
// view's arcs), so it bulges about 0.75·Bend left of that end.
//
// Elbow draws it instead down from (X1, Y1) to Y2 and across to X2: the
// narrow view's line from a host to its indented guest.
type Path struct {
	X1, Y1, X2, Y2 float64
	Bend           float64
	Elbow          bool
}

// Group is a heading on the canvas: a site's name above its nodes, with a
// rule from the end of the text to X1.
type Group struct {
	Title string
	X, Y  float64 // the baseline's start
	Box   Box
	X1    float64
}

// Box is an axis-aligned rectangle.
type Box struct{ X0, Y0, X1, Y1 float64 }

// Overlap is the area two boxes share.
func (a Box) Overlap(b Box) float64 {
	w := math.Min(a.X1, b.X1) - math.Max(a.X0, b.X0)
	h := math.Min(a.Y1, b.Y1) - math.Max(a.Y0, b.Y0)
	if w <= 0 || h <= 0 {
		return 0
	}
	return w * h
}

// Intersects reports whether the boxes share more than an edge.
func (a Box) Intersects(b Box) bool { return a.Overlap(b) > 0 }

func (a Box) union(b Box) Box {
	return Box{math.Min(a.X0, b.X0), math.Min(a.Y0, b.Y0), math.Max(a.X1, b.X1), math.Max(a.Y1, b.Y1)}
}

func (a Box) shift(dx, dy float64) Box { return Box{a.X0 + dx, a.Y0 + dy, a.X1 + dx, a.Y1 + dy} }

// SegmentCrosses reports whether the segment (x1, y1)–(x2, y2) passes
// through the inside of b (Liang–Barsky clipping): touching an edge or a
// corner does not count.
func SegmentCrosses(x1, y1, x2, y2 float64, b Box) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := x2-x1, y2-y1
	for _, c := range [4][2]float64{{-dx, x1 - b.X0}, {dx, b.X1 - x1}, {-dy, y1 - b.Y0}, {dy, b.Y1 - y1}} {
		p, q := c[0], c[1]
		if p == 0 {
			if q <= 0 {
				return false
			}
			continue
		}
		r := q / p
		if p < 0 {
			t0 = math.Max(t0, r)
		} else {
			t1 = math.Min(t1, r)
		}
		if t0 >= t1 {
			return false
		}
	}
	// A positive length inside, not a graze.
	return (t1-t0)*math.Hypot(dx, dy) > 1e-6
}

// Conflicts lists what makes a layout hard to read: the pairs of nodes
// whose labels overlap, and the (link, node) pairs where a straight link
// runs through a node's label, by index. Both are empty for a layout the
// package made, on every lab the tests try.
func (l *Layout) Conflicts() (labels [][2]int, crossings [][2]int) {
	for i := range l.Nodes {
		for j := i + 1; j < len(l.Nodes); j++ {
			if l.Nodes[i].Label.Box.Intersects(l.Nodes[j].Label.Box) {
				labels = append(labels, [2]int{i, j})
			}
		}
	}
	for k, p := range l.Links {
		if p.Bend != 0 || p.Elbow {
			continue // arcs and elbows stay left of every label by construction; see narrow
		}
		for i := range l.Nodes {
			if SegmentCrosses(p.X1, p.Y1, p.X2, p.Y2, l.Nodes[i].Label.Box) {
				crossings = append(crossings, [2]int{k, i})
			}
		}
	}
	return labels, crossings
}

// labelWidth is the drawn width of a line of n glyphs at size f. The page
// draws labels in a monospace font; the widest of its fallbacks advance
// 0.602 em per glyph (DejaVu Sans Mono, Menlo), so 0.61 em errs wide.
func labelWidth(n int, f float64) float64 { return float64(n) * 0.61 * f }

// Metrics of a line of text relative to its baseline, with the halo's
// margin: the glyphs reach 0.93 em up and 0.24 em down in those fonts.
const (
	ascent  = 0.95
	descent = 0.26
	halo    = 2.0
)
