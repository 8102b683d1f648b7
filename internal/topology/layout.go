// Package topology lays out the lab's graph at build time: a wide drawing
// for screens that have the room (force-directed, labels placed clear of
// each other and of every link) and a narrow one for phones (the nodes in
// one column by site, the links as arcs beside them), each on a canvas
// fitted to what it draws. It also writes the public topology.json. Both
// layouts are seeded and iterated in a fixed order, so the same lab.yaml
// always gives the same bytes. The view models built from them live with
// their users (web), so this package knows nothing of templates.
package topology

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/graph/layout"

	"github.com/labfront/labfront/internal/lab"
)

// The wide drawing's scale, in SVG user units: the page shows it at one
// unit to a CSS pixel when the column is wide enough.
const (
	wideFont   = 12.0   // label font size
	spacing    = 125.0  // the median link length after scaling
	maxWidth   = 1400.0 // the widest canvas; a bigger lab grows downwards
	nodeArea   = 9000.0 // the least canvas area per node before stretching
	canvasPad  = 10.0   // room around the drawing's extent
	nodeGap    = 26.0   // the least space between two nodes' outlines
	labelGap   = 3.0    // between a node's outline and its label
	repairStep = 14.0   // the smallest move of a node during repair
)

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

// wide lays pub out for a wide screen.
func wide(pub *lab.Lab) *Layout {
	n := len(pub.Nodes)
	l := &Layout{FontSize: wideFont, LineHeight: wideFont * 1.25, Nodes: make([]Place, n), Links: make([]Path, len(pub.Links))}
	if n == 0 {
		l.Width, l.Height = 2*canvasPad, 2*canvasPad
		return l
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
	ends := make([][2]int, len(pub.Links))
	for k, link := range pub.Links {
		ends[k] = [2]int{index[link.From], index[link.To]}
		g.connect(ends[k][0], ends[k][1], 1)
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
	for i, node := range pub.Nodes {
		l.Nodes[i] = Place{X: coords[i][0], Y: coords[i][1], R: radius(&node)}
	}
	horizontal(l.Nodes)
	scale(l.Nodes, ends)
	separate(l.Nodes)
	// A crowded lab may keep a collision that no local move removes: then
	// the whole drawing spreads out a quarter (labels keep their size, so
	// they gain room) and is labelled again. Big labs take what they get
	// after one pass: they are for zooming into anyway.
	for attempt := 0; ; attempt++ {
		p := newPlacer(l, pub, ends)
		p.placeAll()
		p.repair()
		joinLinks(l, ends)
		if overlaps, crossings := l.Conflicts(); len(overlaps)+len(crossings) == 0 || attempt == 7 || n > 200 {
			break
		}
		for i := range l.Nodes {
			l.Nodes[i].X *= 1.25
			l.Nodes[i].Y *= 1.25
		}
	}
	fitCanvas(l, ends)
	return l
}

// joinLinks draws each link between its ends' centres.
func joinLinks(l *Layout, ends [][2]int) {
	for k, e := range ends {
		a, b := l.Nodes[e[0]], l.Nodes[e[1]]
		l.Links[k] = Path{X1: a.X, Y1: a.Y, X2: b.X, Y2: b.Y}
	}
}

// optimise runs Eades' spring embedder. Its gradient step can blow up on
// some graphs (forces grow with the number of nodes), and once a position
// is not finite gonum's Barnes-Hut tree recurses without end: so every
// step is checked, and a run that diverges is repeated with half the step.
// Still deterministic, since every run starts from the same seed.
func optimise(g *ordered, n int) [][2]float64 {
	// Small labs get many careful steps; big ones fewer and a coarser
	// Barnes-Hut approximation, which keeps 1,000 nodes well under a second.
	updates := max(30, min(400, 20000/max(n, 1)))
	theta := 0.5
	if n > 200 {
		theta = 0.9
	}
	out := make([][2]float64, n)
	for rate := 0.02; ; rate /= 2 {
		eades := &layout.EadesR2{Repulsion: 1, Rate: rate, Updates: updates, Theta: theta, Src: rand.NewPCG(0x1ab, 0xf407)}
		opt := layout.NewOptimizerR2(g, eades.Update)
		sane := true
		for sane && opt.Update() {
			for i := range out {
				c := opt.Coord2(int64(i))
				out[i] = [2]float64{c.X, c.Y}
				if math.IsNaN(c.X) || math.IsNaN(c.Y) || math.Abs(c.X) > 1e6 || math.Abs(c.Y) > 1e6 {
					sane = false
				}
			}
		}
		if sane || rate < 1e-4 {
			for i := range out {
				c := opt.Coord2(int64(i))
				out[i] = [2]float64{c.X, c.Y}
			}
			return out
		}
	}
}

// horizontal rotates the layout so its longest extent runs left to right,
// which suits a page that is wider than it is tall.
func horizontal(pts []Place) {
	var cx, cy float64
	for _, p := range pts {
		cx += p.X
		cy += p.Y
	}
	cx /= float64(len(pts))
	cy /= float64(len(pts))
	var sxx, syy, sxy float64
	for _, p := range pts {
		dx, dy := p.X-cx, p.Y-cy
		sxx += dx * dx
		syy += dy * dy
		sxy += dx * dy
	}
	// The principal axis of the covariance makes angle theta with x.
	theta := 0.5 * math.Atan2(2*sxy, sxx-syy)
	sin, cos := math.Sin(-theta), math.Cos(-theta)
	for i := range pts {
		dx, dy := pts[i].X-cx, pts[i].Y-cy
		pts[i].X, pts[i].Y = dx*cos-dy*sin, dx*sin+dy*cos
	}
}

// scale sizes the layout by its own links, not by a fixed canvas: a small
// lab stays small instead of being stretched over an empty page. The
// median link becomes spacing long, the width stays within maxWidth, and a
// crowded result is stretched downwards until each node has nodeArea.
func scale(pts []Place, ends [][2]int) {
	lengths := make([]float64, 0, len(ends))
	for _, e := range ends {
		a, b := pts[e[0]], pts[e[1]]
		if d := math.Hypot(a.X-b.X, a.Y-b.Y); d > 1e-9 {
			lengths = append(lengths, d)
		}
	}
	if len(lengths) == 0 {
		// No links: the distance to the nearest other node stands in.
		for i, p := range pts {
			best := math.Inf(1)
			for j, q := range pts {
				if i != j {
					best = math.Min(best, math.Hypot(p.X-q.X, p.Y-q.Y))
				}
			}
			if best > 1e-9 && !math.IsInf(best, 1) {
				lengths = append(lengths, best)
			}
		}
	}
	s := 1.0
	if len(lengths) > 0 {
		s = spacing / median(lengths)
	}
	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		minX, maxX = math.Min(minX, p.X), math.Max(maxX, p.X)
		minY, maxY = math.Min(minY, p.Y), math.Max(maxY, p.Y)
	}
	w, h := maxX-minX, maxY-minY
	if w*s > maxWidth-200 {
		s = (maxWidth - 200) / w
	}
	sy := s
	if area := w * h * s * s; len(pts) > 1 && area < nodeArea*float64(len(pts)) && w*h > 1e-9 {
		sy = s * nodeArea * float64(len(pts)) / area
	}
	for i := range pts {
		pts[i].X = (pts[i].X - minX) * s
		pts[i].Y = (pts[i].Y - minY) * sy
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// separate pushes apart nodes that overlap (with room for a label between
// them). A uniform grid keeps it near-linear.
func separate(pts []Place) {
	cell := 2*17.0 + nodeGap
	for iter := 0; iter < 80; iter++ {
		grid := map[[2]int][]int{}
		for i, p := range pts {
			k := [2]int{int(math.Floor(p.X / cell)), int(math.Floor(p.Y / cell))}
			grid[k] = append(grid[k], i)
		}
		moved := false
		for i := range pts {
			cx, cy := int(math.Floor(pts[i].X/cell)), int(math.Floor(pts[i].Y/cell))
			for dx := -1; dx <= 1; dx++ {
				for dy := -1; dy <= 1; dy++ {
					for _, j := range grid[[2]int{cx + dx, cy + dy}] {
						if j <= i {
							continue
						}
						a, b := &pts[i], &pts[j]
						vx, vy := b.X-a.X, b.Y-a.Y
						d := math.Hypot(vx, vy)
						want := a.R + b.R + nodeGap
						if d >= want {
							continue
						}
						if d < 1e-6 {
							// Coincident: split them along a fixed direction.
							vx, vy, d = float64(j-i), 1, math.Hypot(float64(j-i), 1)
						}
						push := (want - d) / 2
						ux, uy := vx/d, vy/d
						a.X, a.Y = a.X-ux*push, a.Y-uy*push
						b.X, b.Y = b.X+ux*push, b.Y+uy*push
						moved = true
					}
				}
			}
		}
		if !moved {
			return
		}
	}
}

// fitCanvas moves the drawing so its extent (outlines and labels) starts
// canvasPad from the origin, and sizes the canvas to it.
func fitCanvas(l *Layout, ends [][2]int) {
	ext := Box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range l.Nodes {
		ext = ext.union(Box{p.X - p.R, p.Y - p.R, p.X + p.R, p.Y + p.R}).union(p.Label.Box)
	}
	dx, dy := canvasPad-ext.X0, canvasPad-ext.Y0
	for i := range l.Nodes {
		p := &l.Nodes[i]
		p.X, p.Y = p.X+dx, p.Y+dy
		p.Label.X, p.Label.Y = p.Label.X+dx, p.Label.Y+dy
		p.Label.Box = p.Label.Box.shift(dx, dy)
	}
	joinLinks(l, ends)
	l.Width = math.Ceil(ext.X1 - ext.X0 + 2*canvasPad)
	l.Height = math.Ceil(ext.Y1 - ext.Y0 + 2*canvasPad)
}
