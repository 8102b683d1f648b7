package topology

import (
	"fmt"
	"math"
	"os"
	"testing"
)

// exampleLab is the repository's example lab, as the public site sees it.
func exampleLab(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("../../content/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLayoutsAreReadable measures both drawings of the example lab and of
// generated ones against what makes a graph readable: on the wide one no
// two labels overlap, no link runs through a label, no two nodes overlap
// and everything is on the canvas; on the narrow one, labels are big
// enough on a phone, never overlap, and the arcs stay left of them.
func TestLayoutsAreReadable(t *testing.T) {
	for _, tc := range []struct{ name, src string }{
		{"small", small},
		{"example", exampleLab(t)},
		{"generated-40", bigLab(40)},
		{"generated-90", bigLab(90)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pub := mustLab(t, tc.src)
			d := Draw(pub)
			name := func(i int) string { return pub.Nodes[i].ID }
			link := func(k int) string { return pub.Links[k].From + "–" + pub.Links[k].To }
			for _, v := range []struct {
				name string
				l    *Layout
			}{{"wide", d.Wide}, {"narrow", d.Narrow}} {
				l := v.l
				overlaps, crossings := l.Conflicts()
				for _, o := range overlaps {
					t.Errorf("%s: the labels of %s and %s overlap", v.name, name(o[0]), name(o[1]))
				}
				for _, c := range crossings {
					t.Errorf("%s: link %s runs through the label of %s", v.name, link(c[0]), name(c[1]))
				}
				for i, p := range l.Nodes {
					b := p.Label.Box
					if p.X-p.R < 0 || p.Y-p.R < 0 || p.X+p.R > l.Width || p.Y+p.R > l.Height || b.X0 < 0 || b.Y0 < 0 || b.X1 > l.Width || b.Y1 > l.Height {
						t.Errorf("%s: %s or its label is off the %.0f×%.0f canvas", v.name, name(i), l.Width, l.Height)
					}
					for j := i + 1; j < len(l.Nodes); j++ {
						q := l.Nodes[j]
						if math.Hypot(p.X-q.X, p.Y-q.Y) < p.R+q.R {
							t.Errorf("%s: nodes %s and %s overlap", v.name, name(i), name(j))
						}
					}
				}
			}
			// On a 390 px phone the page's column is 356 px wide.
			if px := d.Narrow.FontSize * 356 / d.Narrow.Width; px < 12 {
				t.Errorf("narrow labels are %.1f px on a 390 px phone, want at least 12", px)
			}
			if px := d.Narrow.FontSize * 288 / d.Narrow.Width; px < 10 {
				t.Errorf("narrow labels are %.1f px on a 320 px phone", px)
			}
			left := math.Inf(1)
			for _, p := range d.Narrow.Nodes {
				left = math.Min(left, p.Label.Box.X0)
			}
			for k, p := range d.Narrow.Links {
				if p.Elbow {
					if math.Max(p.X1, p.X2) > left {
						t.Errorf("narrow: the tree line of %s reaches x %.0f, into the labels at %.0f", link(k), math.Max(p.X1, p.X2), left)
					}
					continue
				}
				// The curve's reach: its leftmost point, at t = ½.
				x := (p.X1+p.X2)/8 + 0.75*(math.Min(p.X1, p.X2)-p.Bend)
				if x < 0 || math.Max(p.X1, p.X2) > left {
					t.Errorf("narrow: the arc of %s spans x %.0f–%.0f, outside the gutter 0–%.0f", link(k), x, math.Max(p.X1, p.X2), left)
				}
			}
		})
	}
}

// TestCanvasFitsTheLab: the canvas is the drawing's extent and a margin,
// not a fixed page: a lab of three nodes gets a small canvas.
func TestCanvasFitsTheLab(t *testing.T) {
	tiny := mustLab(t, `sites: [{id: a, name: A}]
nodes:
  - {id: x, name: x, type: hypervisor, site: a}
  - {id: y, name: y, type: container, site: a, parent: x}
  - {id: z, name: z, type: nas, site: a}
links: [{from: x, to: y, type: lan}, {from: x, to: z, type: backup}]
`)
	d := Draw(tiny)
	if d.Wide.Width > 500 || d.Wide.Height > 400 {
		t.Errorf("three nodes on a %.0f×%.0f canvas", d.Wide.Width, d.Wide.Height)
	}
	ext := Box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range d.Wide.Nodes {
		ext = ext.union(Box{p.X - p.R, p.Y - p.R, p.X + p.R, p.Y + p.R}).union(p.Label.Box)
	}
	if ext.X0 > 2*canvasPad || ext.Y0 > 2*canvasPad || d.Wide.Width-ext.X1 > 2*canvasPad+1 || d.Wide.Height-ext.Y1 > 2*canvasPad+1 {
		t.Errorf("the drawing spans %v on a %.0f×%.0f canvas: not fitted", ext, d.Wide.Width, d.Wide.Height)
	}
}

func TestSegmentCrosses(t *testing.T) {
	t.Parallel()
	b := Box{0, 0, 10, 10}
	for _, c := range []struct {
		x1, y1, x2, y2 float64
		want           bool
	}{
		{-5, 5, 15, 5, true},    // straight through
		{5, 5, 6, 6, true},      // inside
		{-5, -5, 15, 15, true},  // the diagonal
		{-5, 0, 15, 0, false},   // along the top edge
		{-5, 11, 15, 11, false}, // below
		{-5, 5, -1, 5, false},   // short of it
		{10, -5, 10, 15, false}, // along the right edge
		{-1, 12, 12, -1, true},  // across a corner
		{-1, 1, 1, -1, false},   // through the corner point only
	} {
		if got := SegmentCrosses(c.x1, c.y1, c.x2, c.y2, b); got != c.want {
			t.Errorf("(%v,%v)–(%v,%v) crosses %v: %v, want %v", c.x1, c.y1, c.x2, c.y2, b, got, c.want)
		}
	}
}

var _ = fmt.Sprint
