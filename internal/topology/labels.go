package topology

import (
	"math"
	"slices"

	"github.com/labfront/labfront/internal/lab"
)

// hit is the cost of one collision: a label over another label or a node,
// or a link through a label. Everything else a placement weighs (which
// side the label is on, how far a node moved) costs far less, so the
// placer first removes collisions and only then prefers the tidier choice.
const hit = 1000.0

// placer puts the wide layout's labels where they collide with nothing,
// and moves a node a little when no place around it is free. A spatial
// index of labels, node outlines and links keeps each question local.
type placer struct {
	l        *Layout
	names    []string
	ends     [][2]int
	incident [][]int
	labels   *spatial
	discs    *spatial
	segs     *spatial
}

func newPlacer(l *Layout, pub *lab.Lab, ends [][2]int) *placer {
	n := len(l.Nodes)
	p := &placer{l: l, ends: ends, names: make([]string, n), incident: make([][]int, n)}
	for i, node := range pub.Nodes {
		p.names[i] = node.Name
	}
	for k, e := range ends {
		p.incident[e[0]] = append(p.incident[e[0]], k)
		if e[1] != e[0] {
			p.incident[e[1]] = append(p.incident[e[1]], k)
		}
	}
	const cell = 96.0
	p.labels, p.discs, p.segs = newSpatial(cell, n), newSpatial(cell, n), newSpatial(cell, len(ends))
	for i := range l.Nodes {
		p.discs.add(i, p.disc(i))
	}
	for k := range ends {
		x1, y1, x2, y2 := p.seg(k)
		p.segs.addSegment(k, x1, y1, x2, y2)
	}
	return p
}

func (p *placer) disc(i int) Box {
	q := p.l.Nodes[i]
	return Box{q.X - q.R, q.Y - q.R, q.X + q.R, q.Y + q.R}
}

func (p *placer) seg(k int) (x1, y1, x2, y2 float64) {
	a, b := p.l.Nodes[p.ends[k][0]], p.l.Nodes[p.ends[k][1]]
	return a.X, a.Y, b.X, b.Y
}

// candidates are the places a label may take around a node at (x, y),
// most preferred first: below, above, right, left, then the four corners;
// then the same eight a step further out, for a node whose links leave it
// on every side.
func (p *placer) candidates(i int, x, y float64) []Label {
	f := p.l.FontSize
	name := p.names[i]
	w := labelWidth(len([]rune(name)), f) + 2*halo
	h := (ascent+descent)*f + 2*halo
	lines := []string{name}
	out := make([]Label, 0, 16)
	mk := func(b Box, tx float64, anchor string) {
		out = append(out, Label{Box: b, X: tx, Y: b.Y0 + halo + ascent*f, Anchor: anchor, Lines: lines})
	}
	for _, r := range []float64{p.l.Nodes[i].R, p.l.Nodes[i].R + 9} {
		right, left := x+r+labelGap, x-r-labelGap
		mk(Box{x - w/2, y + r + labelGap, x + w/2, y + r + labelGap + h}, x, "middle")
		mk(Box{x - w/2, y - r - labelGap - h, x + w/2, y - r - labelGap}, x, "middle")
		mk(Box{right, y - h/2, right + w, y + h/2}, right+halo, "start")
		mk(Box{left - w, y - h/2, left, y + h/2}, left-halo, "end")
		mk(Box{x + 0.9*r, y + 0.35*r + labelGap, x + 0.9*r + w, y + 0.35*r + labelGap + h}, x+0.9*r+halo, "start")
		mk(Box{x + 0.9*r, y - 0.35*r - labelGap - h, x + 0.9*r + w, y - 0.35*r - labelGap}, x+0.9*r+halo, "start")
		mk(Box{x - 0.9*r - w, y + 0.35*r + labelGap, x - 0.9*r, y + 0.35*r + labelGap + h}, x-0.9*r-halo, "end")
		mk(Box{x - 0.9*r - w, y - 0.35*r - labelGap - h, x - 0.9*r, y - 0.35*r - labelGap}, x-0.9*r-halo, "end")
	}
	return out
}

// labelCost is what a label box of node i (at x, y) collides with. With
// alone, node i's own links are out of the index and checked from (x, y).
func (p *placer) labelCost(i int, b Box, x, y float64, alone bool) float64 {
	var c float64
	p.labels.each(b, func(j int) {
		if j != i {
			if o := b.Overlap(p.l.Nodes[j].Label.Box); o > 0 {
				c += hit + o
			}
		}
	})
	p.discs.each(b, func(j int) {
		if j != i && b.Intersects(p.disc(j)) {
			c += hit
		}
	})
	p.segs.each(b, func(k int) {
		if x1, y1, x2, y2 := p.seg(k); SegmentCrosses(x1, y1, x2, y2, b) {
			c += hit
		}
	})
	if alone {
		for _, k := range p.incident[i] {
			x1, y1, x2, y2 := p.segFrom(k, i, x, y)
			if SegmentCrosses(x1, y1, x2, y2, b) {
				c += hit
			}
		}
	}
	return c
}

// segFrom is link k with node i moved to (x, y).
func (p *placer) segFrom(k, i int, x, y float64) (x1, y1, x2, y2 float64) {
	a, b := p.l.Nodes[p.ends[k][0]], p.l.Nodes[p.ends[k][1]]
	x1, y1, x2, y2 = a.X, a.Y, b.X, b.Y
	if p.ends[k][0] == i {
		x1, y1 = x, y
	}
	if p.ends[k][1] == i {
		x2, y2 = x, y
	}
	return
}

// best is node i's cheapest label at (x, y) and its cost.
func (p *placer) best(i int, x, y float64, alone bool) (Label, float64) {
	var out Label
	cost := math.Inf(1)
	for c, cand := range p.candidates(i, x, y) {
		if k := p.labelCost(i, cand.Box, x, y, alone) + 0.5*float64(c); k < cost {
			out, cost = cand, k
		}
	}
	return out, cost
}

// placeAll labels every node in the lab's order, each avoiding the
// labels placed before it.
func (p *placer) placeAll() {
	for i := range p.l.Nodes {
		q := &p.l.Nodes[i]
		q.Label, _ = p.best(i, q.X, q.Y, false)
		p.labels.add(i, q.Label.Box)
	}
}

// nodeCost is what node i at (x, y) collides with apart from its label:
// other nodes too close, and its links through other labels or nodes.
// Node i's outline, label and links must be out of the index.
func (p *placer) nodeCost(i int, x, y float64) float64 {
	r := p.l.Nodes[i].R
	var c float64
	d := Box{x - r, y - r, x + r, y + r}
	p.discs.each(Box{d.X0 - nodeGap, d.Y0 - nodeGap, d.X1 + nodeGap, d.Y1 + nodeGap}, func(j int) {
		q := p.l.Nodes[j]
		if math.Hypot(q.X-x, q.Y-y) < q.R+r+nodeGap/2 {
			c += hit
		}
	})
	p.labels.each(d, func(j int) {
		if d.Intersects(p.l.Nodes[j].Label.Box) {
			c += hit
		}
	})
	for _, k := range p.incident[i] {
		x1, y1, x2, y2 := p.segFrom(k, i, x, y)
		p.labels.eachSegment(x1, y1, x2, y2, func(j int) {
			if SegmentCrosses(x1, y1, x2, y2, p.l.Nodes[j].Label.Box) {
				c += hit
			}
		})
		// A link through an unrelated node reads as a link to it.
		other := p.ends[k][0] + p.ends[k][1] - i
		p.discs.eachSegment(x1, y1, x2, y2, func(j int) {
			if j != other {
				q := p.l.Nodes[j]
				if SegmentCrosses(x1, y1, x2, y2, Box{q.X - q.R*0.7, q.Y - q.R*0.7, q.X + q.R*0.7, q.Y + q.R*0.7}) {
					c += hit / 4
				}
			}
		})
	}
	return c
}

// lift takes node i's outline, label and links out of the index, and put
// puts them back.
func (p *placer) lift(i int) {
	p.discs.del(i, p.disc(i))
	p.labels.del(i, p.l.Nodes[i].Label.Box)
	for _, k := range p.incident[i] {
		x1, y1, x2, y2 := p.seg(k)
		p.segs.delSegment(k, x1, y1, x2, y2)
	}
}

func (p *placer) put(i int) {
	p.discs.add(i, p.disc(i))
	p.labels.add(i, p.l.Nodes[i].Label.Box)
	for _, k := range p.incident[i] {
		x1, y1, x2, y2 := p.seg(k)
		p.segs.addSegment(k, x1, y1, x2, y2)
	}
}

// repair revisits every node in collision: it first tries its label's
// other places, then moves the node by a few steps in eight directions,
// taking the cheapest. Rounds repeat while they find collisions; a few
// suffice, since each move only ever lowers the total.
func (p *placer) repair() {
	rounds := 12
	if len(p.l.Nodes) > 200 {
		rounds = 3
	}
	var moves [][2]float64
	for _, d := range []float64{1, 2, 3, 4, 6} {
		for a := range 8 {
			t := float64(a) * math.Pi / 4
			moves = append(moves, [2]float64{d * repairStep * math.Cos(t), d * repairStep * math.Sin(t)})
		}
	}
	for range rounds {
		bad := 0
		for i := range p.l.Nodes {
			q := &p.l.Nodes[i]
			p.lift(i)
			label, cost := p.best(i, q.X, q.Y, true)
			cost += p.nodeCost(i, q.X, q.Y)
			if cost >= hit {
				bad++
				x, y := q.X, q.Y
				for _, m := range moves {
					nx, ny := x+m[0], y+m[1]
					nc := p.nodeCost(i, nx, ny)
					if nc >= cost {
						continue
					}
					l, lc := p.best(i, nx, ny, true)
					if total := nc + lc + 0.01*math.Hypot(m[0], m[1]); total < cost {
						q.X, q.Y, label, cost = nx, ny, l, total
					}
				}
			}
			q.Label = label
			p.put(i)
		}
		if bad == 0 {
			return
		}
	}
}

// spatial is a uniform grid of boxes and segments by id.
type spatial struct {
	cell  float64
	cells map[[2]int32][]int32
	seen  []uint32
	epoch uint32
}

func newSpatial(cell float64, n int) *spatial {
	return &spatial{cell: cell, cells: map[[2]int32][]int32{}, seen: make([]uint32, n)}
}

func (s *spatial) key(v float64) int32 { return int32(math.Floor(v / s.cell)) }

func (s *spatial) boxCells(b Box, f func([2]int32)) {
	for x := s.key(b.X0); x <= s.key(b.X1); x++ {
		for y := s.key(b.Y0); y <= s.key(b.Y1); y++ {
			f([2]int32{x, y})
		}
	}
}

// segmentCells visits every cell the segment passes through, column by
// column: exact, so a long link costs only the cells it crosses.
func (s *spatial) segmentCells(x1, y1, x2, y2 float64, f func([2]int32)) {
	if x1 > x2 {
		x1, y1, x2, y2 = x2, y2, x1, y1
	}
	at := func(x float64) float64 {
		if x2 == x1 {
			return y1
		}
		return y1 + (y2-y1)*(x-x1)/(x2-x1)
	}
	for cx := s.key(x1); cx <= s.key(x2); cx++ {
		xa, xb := math.Max(x1, float64(cx)*s.cell), math.Min(x2, float64(cx+1)*s.cell)
		ya, yb := at(xa), at(xb)
		if x2 == x1 {
			ya, yb = y1, y2
		}
		for cy := s.key(math.Min(ya, yb)); cy <= s.key(math.Max(ya, yb)); cy++ {
			f([2]int32{cx, cy})
		}
	}
}

func (s *spatial) add(id int, b Box) {
	s.boxCells(b, func(k [2]int32) { s.cells[k] = append(s.cells[k], int32(id)) })
}

func (s *spatial) del(id int, b Box) { s.boxCells(b, func(k [2]int32) { s.drop(k, id) }) }

func (s *spatial) addSegment(id int, x1, y1, x2, y2 float64) {
	s.segmentCells(x1, y1, x2, y2, func(k [2]int32) { s.cells[k] = append(s.cells[k], int32(id)) })
}

func (s *spatial) delSegment(id int, x1, y1, x2, y2 float64) {
	s.segmentCells(x1, y1, x2, y2, func(k [2]int32) { s.drop(k, id) })
}

func (s *spatial) drop(k [2]int32, id int) {
	c := s.cells[k]
	if i := slices.Index(c, int32(id)); i >= 0 {
		s.cells[k] = slices.Delete(c, i, i+1)
	}
}

// each visits every id in the cells b covers, once.
func (s *spatial) each(b Box, f func(int)) {
	s.epoch++
	s.boxCells(b, func(k [2]int32) { s.visit(k, f) })
}

// eachSegment visits every id in the cells a segment passes, once.
func (s *spatial) eachSegment(x1, y1, x2, y2 float64, f func(int)) {
	s.epoch++
	s.segmentCells(x1, y1, x2, y2, func(k [2]int32) { s.visit(k, f) })
}

func (s *spatial) visit(k [2]int32, f func(int)) {
	for _, id := range s.cells[k] {
		if s.seen[id] != s.epoch {
			s.seen[id] = s.epoch
			f(int(id))
		}
	}
}
