// Package topology lays out the lab's graph at build time and turns it into
// the view models of the topology component and the public topology.json.
// The layout is force-directed (gonum's Eades with Barnes-Hut), seeded and
// iterated in a fixed order so the same lab.yaml always gives the same
// bytes.
package topology

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/graph/layout"

	"github.com/labfront/labfront/internal/lab"
)

// Canvas size of the drawn graph, in SVG user units.
const (
	canvasWidth = 1200.0
	margin      = 70.0
	labelSize   = 11.0 // font size of node labels
	charWidth   = 6.4  // average glyph width at labelSize
)

// point is a laid-out node.
type point struct {
	x, y, r float64
	label   box
	anchor  string
}

type box struct{ x0, y0, x1, y1 float64 }

func (a box) overlap(b box) float64 {
	w := math.Min(a.x1, b.x1) - math.Max(a.x0, b.x0)
	h := math.Min(a.y1, b.y1) - math.Max(a.y0, b.y0)
	if w <= 0 || h <= 0 {
		return 0
	}
	return w * h
}

// siteWeight is the pull of a site's hub on its nodes: strong enough that
// sites read as groups, weak enough that links still shape each group.
const siteWeight = 2.5

// radius is the drawn size of a node: hardware is bigger than what runs on
// it.
func radius(n *lab.Node) float64 {
	switch n.Type {
	case "hypervisor", "nas", "gateway", "cloud":
		return 17
	case "network", "workstation", "media", "vpn", "orchestrator":
		return 13
	}
	return 10
}

// place computes positions for every node of pub (indexed like pub.Nodes)
// and the canvas height.
func place(pub *lab.Lab) ([]point, float64) {
	n := len(pub.Nodes)
	if n == 0 {
		return nil, 200
	}
	index := make(map[string]int, n)
	for i, node := range pub.Nodes {
		index[node.ID] = i
	}
	// Sites get an invisible hub each, so a site's nodes gather together.
	hubs := map[string]int{}
	for _, s := range pub.Sites {
		hubs[s.ID] = n + len(hubs)
	}
	g := newOrdered(n + len(hubs))
	for _, k := range pub.Links {
		g.connect(index[k.From], index[k.To], 1)
	}
	for i, node := range pub.Nodes {
		if p, ok := index[node.Parent]; ok {
			g.connect(i, p, 1)
		}
		if h, ok := hubs[node.Site]; ok {
			g.connect(i, h, siteWeight)
		}
	}
	coords := optimise(g, n)
	pts := make([]point, n)
	for i, node := range pub.Nodes {
		pts[i] = point{x: coords[i][0], y: coords[i][1], r: radius(&node)}
	}
	horizontal(pts)
	height := fit(pts)
	separate(pts, height)
	placeLabels(pts, pub)
	return pts, height
}

// optimise runs Eades' spring embedder. Its gradient step can blow up on
// some graphs (forces grow with the number of nodes), so a run whose layout
// diverges is repeated with half the step: still deterministic, since
// every run starts from the same seed.
func optimise(g *ordered, n int) [][2]float64 {
	// Small labs get many careful steps; big ones fewer and a coarser
	// Barnes-Hut approximation, which keeps 1,000 nodes well under a second.
	updates := max(30, min(400, 20000/max(n, 1)))
	theta := 0.5
	if n > 200 {
		theta = 0.9
	}
	for rate := 0.02; ; rate /= 2 {
		eades := &layout.EadesR2{Repulsion: 1, Rate: rate, Updates: updates, Theta: theta, Src: rand.NewPCG(0x1ab, 0xf407)}
		opt := layout.NewOptimizerR2(g, eades.Update)
		for opt.Update() {
		}
		out := make([][2]float64, n)
		sane := true
		for i := range out {
			c := opt.Coord2(int64(i))
			out[i] = [2]float64{c.X, c.Y}
			if math.IsNaN(c.X) || math.IsNaN(c.Y) || math.Abs(c.X) > 1e6 || math.Abs(c.Y) > 1e6 {
				sane = false
			}
		}
		if sane || rate < 1e-4 {
			return out
		}
	}
}

// horizontal rotates the layout so its longest extent runs left to right,
// which suits a page that is wider than it is tall.
func horizontal(pts []point) {
	var cx, cy float64
	for _, p := range pts {
		cx += p.x
		cy += p.y
	}
	cx /= float64(len(pts))
	cy /= float64(len(pts))
	var sxx, syy, sxy float64
	for _, p := range pts {
		dx, dy := p.x-cx, p.y-cy
		sxx += dx * dx
		syy += dy * dy
		sxy += dx * dy
	}
	// The principal axis of the covariance makes angle theta with x.
	theta := 0.5 * math.Atan2(2*sxy, sxx-syy)
	sin, cos := math.Sin(-theta), math.Cos(-theta)
	for i := range pts {
		dx, dy := pts[i].x-cx, pts[i].y-cy
		pts[i].x, pts[i].y = dx*cos-dy*sin, dx*sin+dy*cos
	}
}

// fit scales the layout into the canvas width, keeping its aspect ratio
// within bounds, and returns the canvas height.
func fit(pts []point) float64 {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range pts {
		minX, maxX = math.Min(minX, p.x), math.Max(maxX, p.x)
		minY, maxY = math.Min(minY, p.y), math.Max(maxY, p.y)
	}
	w, h := math.Max(maxX-minX, 1e-9), math.Max(maxY-minY, 1e-9)
	inner := canvasWidth - 2*margin
	// Area per node keeps big labs readable: the canvas grows in height.
	innerH := math.Max(420, math.Min(inner*h/w, inner*1.2))
	innerH = math.Max(innerH, math.Sqrt(float64(len(pts)))*60)
	for i := range pts {
		pts[i].x = margin + (pts[i].x-minX)/w*inner
		pts[i].y = margin + (pts[i].y-minY)/h*innerH
	}
	return innerH + 2*margin
}

// separate pushes apart nodes that overlap (with room for a label between
// them) and keeps them on the canvas. A uniform grid keeps it near-linear.
func separate(pts []point, height float64) {
	const gap = 30.0
	cell := 2*17.0 + gap
	for iter := 0; iter < 80; iter++ {
		grid := map[[2]int][]int{}
		for i, p := range pts {
			k := [2]int{int(p.x / cell), int(p.y / cell)}
			grid[k] = append(grid[k], i)
		}
		moved := false
		for i := range pts {
			cx, cy := int(pts[i].x/cell), int(pts[i].y/cell)
			for dx := -1; dx <= 1; dx++ {
				for dy := -1; dy <= 1; dy++ {
					for _, j := range grid[[2]int{cx + dx, cy + dy}] {
						if j <= i {
							continue
						}
						a, b := &pts[i], &pts[j]
						vx, vy := b.x-a.x, b.y-a.y
						d := math.Hypot(vx, vy)
						want := a.r + b.r + gap
						if d >= want {
							continue
						}
						if d < 1e-6 {
							// Coincident: split them along a fixed direction.
							vx, vy, d = float64(j-i), 1, math.Hypot(float64(j-i), 1)
						}
						push := (want - d) / 2
						ux, uy := vx/d, vy/d
						a.x, a.y = a.x-ux*push, a.y-uy*push
						b.x, b.y = b.x+ux*push, b.y+uy*push
						moved = true
					}
				}
			}
		}
		for i := range pts {
			pts[i].x = math.Min(math.Max(pts[i].x, margin/2), canvasWidth-margin/2)
			pts[i].y = math.Min(math.Max(pts[i].y, margin/2), height-margin/2)
		}
		if !moved {
			return
		}
	}
}

// placeLabels puts each label below, above, right or left of its node,
// whichever overlaps least with the labels and nodes already placed.
func placeLabels(pts []point, pub *lab.Lab) {
	const cell = 120.0
	grid := map[[2]int][]box{}
	add := func(b box) {
		for x := int(b.x0 / cell); x <= int(b.x1/cell); x++ {
			for y := int(b.y0 / cell); y <= int(b.y1/cell); y++ {
				grid[[2]int{x, y}] = append(grid[[2]int{x, y}], b)
			}
		}
	}
	cost := func(b box) float64 {
		var c float64
		seen := map[box]bool{}
		for x := int(b.x0 / cell); x <= int(b.x1/cell); x++ {
			for y := int(b.y0 / cell); y <= int(b.y1/cell); y++ {
				for _, o := range grid[[2]int{x, y}] {
					if !seen[o] {
						seen[o] = true
						c += b.overlap(o)
					}
				}
			}
		}
		if b.x0 < 0 || b.x1 > canvasWidth {
			c += 1e6
		}
		return c
	}
	for _, p := range pts {
		add(box{p.x - p.r, p.y - p.r, p.x + p.r, p.y + p.r})
	}
	for i := range pts {
		p := &pts[i]
		w := float64(len([]rune(pub.Nodes[i].Name)))*charWidth + 4
		h := labelSize + 3
		candidates := []struct {
			b      box
			anchor string
		}{
			{box{p.x - w/2, p.y + p.r + 3, p.x + w/2, p.y + p.r + 3 + h}, "middle"},
			{box{p.x - w/2, p.y - p.r - 3 - h, p.x + w/2, p.y - p.r - 3}, "middle"},
			{box{p.x + p.r + 5, p.y - h/2, p.x + p.r + 5 + w, p.y + h/2}, "start"},
			{box{p.x - p.r - 5 - w, p.y - h/2, p.x - p.r - 5, p.y + h/2}, "end"},
		}
		best, bestCost := 0, math.Inf(1)
		for c, cand := range candidates {
			if k := cost(cand.b); k < bestCost-1e-9 {
				best, bestCost = c, k
			}
		}
		p.label, p.anchor = candidates[best].b, candidates[best].anchor
		add(p.label)
	}
}
