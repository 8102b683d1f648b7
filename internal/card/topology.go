package card

import (
	"fmt"
	"image"
	"math"
)

// Topology is the input of the architecture page's card: the public lab's
// laid-out graph (see package topology) in its own coordinates, and what
// to write beside it.
type Topology struct {
	Site   string
	Kicker string
	Title  string
	Host   string
	Stats  []Stat // the first three are shown
	// Width and Height are the size of the canvas Nodes are placed on.
	Width, Height float64
	Nodes         []Node
	Links         []Link
	// Legend names the node types in the footer, as many as fit.
	Legend []LegendItem
}

// Stat is a number and what it counts.
type Stat struct{ Value, Label string }

// Node is a drawn node; Type picks its colour and size.
type Node struct {
	X, Y float64
	Type string
}

// Link joins two of Topology.Nodes by index.
type Link struct {
	From, To int
	Type     string
}

// LegendItem is a node type and its label.
type LegendItem struct{ Type, Label string }

// The topology card's graph panel.
var graphPanel = image.Rect(560, 140, Width-margin, titleBot)

// RenderTopology draws the architecture card.
func (r *Renderer) RenderTopology(t Topology) ([]byte, error) {
	p := r.pal
	cv, frame, err := r.start(t.Site, t.Host)
	if err != nil {
		return nil, err
	}
	if err := r.kicker(cv, t.Kicker, margin); err != nil {
		return nil, err
	}
	left := graphPanel.Min.X - margin - 40
	tb, err := layout(r.fonts.bold, clean(r.fonts.bold, t.Title), []float64{64, 56, 48}, 1.12, left, 150, 2)
	if err != nil {
		return nil, err
	}
	y := titleTop
	for _, line := range tb.lines {
		y += tb.height
		cv.text(tb.face, line, margin, y-int(tb.size*0.2), p.Text, p.Background)
	}
	if err := r.stats(cv, t.Stats, y+28, left); err != nil {
		return nil, err
	}
	if err := r.graph(cv, t); err != nil {
		return nil, err
	}
	if err := r.legend(cv, t.Legend, t.Host); err != nil {
		return nil, err
	}
	return r.finish(cv, frame)
}

// stats draws up to three numbers side by side, each over its label.
func (r *Renderer) stats(cv *canvas, stats []Stat, top, width int) error {
	if len(stats) == 0 {
		return nil
	}
	stats = stats[:min(3, len(stats))]
	vf, err := face(r.fonts.bold, 48)
	if err != nil {
		return err
	}
	lf, err := face(r.fonts.mono, 18)
	if err != nil {
		return err
	}
	col := width / len(stats)
	for i, s := range stats {
		x := margin + i*col
		cv.text(vf, fitWidth(vf, clean(r.fonts.bold, s.Value), col-12), x, top+48, r.pal.Accent, r.pal.Background)
		label := fitWidth(lf, clean(r.fonts.mono, s.Label), col-12)
		cv.text(lf, label, x, top+80, r.pal.Muted, r.pal.Background)
	}
	return nil
}

// nodeRadius follows the topology drawing: hardware is bigger than what
// runs on it.
func nodeRadius(typ string) float64 {
	switch typ {
	case "hypervisor", "nas", "gateway", "cloud":
		return 17
	case "network", "workstation", "media", "vpn", "orchestrator":
		return 13
	}
	return 10
}

// graph draws the miniature in its panel, scaled to fit and centred.
func (r *Renderer) graph(cv *canvas, t Topology) error {
	p := r.pal
	pr := graphPanel
	var panel path
	panel.roundRect(float64(pr.Min.X), float64(pr.Min.Y), float64(pr.Max.X), float64(pr.Max.Y), 14, false)
	cv.fillPath(&panel, p.Border, p.Background, textLevels)
	panel = path{}
	panel.roundRect(float64(pr.Min.X)+2, float64(pr.Min.Y)+2, float64(pr.Max.X)-2, float64(pr.Max.Y)-2, 12, false)
	cv.fillPath(&panel, p.Surface, p.Border, textLevels)
	if len(t.Nodes) == 0 || t.Width <= 0 || t.Height <= 0 {
		return nil
	}
	// Fit the nodes' own extent, not the canvas: the layout leaves margins
	// for labels the miniature does not draw.
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, n := range t.Nodes {
		minX, maxX = math.Min(minX, n.X), math.Max(maxX, n.X)
		minY, maxY = math.Min(minY, n.Y), math.Max(maxY, n.Y)
	}
	const pad = 34
	w, h := float64(pr.Dx()-2*pad), float64(pr.Dy()-2*pad)
	s := math.Min(w/math.Max(maxX-minX, 1), h/math.Max(maxY-minY, 1))
	s = math.Min(s, 1.2)
	ox := float64(pr.Min.X) + pad + (w-(maxX-minX)*s)/2 - minX*s
	oy := float64(pr.Min.Y) + pad + (h-(maxY-minY)*s)/2 - minY*s
	at := func(n Node) (float64, float64) { return ox + n.X*s, oy + n.Y*s }
	for _, l := range t.Links {
		if l.From < 0 || l.From >= len(t.Nodes) || l.To < 0 || l.To >= len(t.Nodes) {
			return fmt.Errorf("card: link %d–%d: no such node", l.From, l.To)
		}
		x0, y0 := at(t.Nodes[l.From])
		x1, y1 := at(t.Nodes[l.To])
		var ln path
		ln.line(x0, y0, x1, y1, 2.2)
		cv.fillPath(&ln, colourOr(p.Links, l.Type, p.Border), p.Surface, shapeLevels)
	}
	// Node radii scale less than positions: a dense lab stays readable.
	rs := math.Max(0.55, math.Min(1, s*1.4))
	for _, n := range t.Nodes {
		x, y := at(n)
		rad := nodeRadius(n.Type) * rs
		var halo, dot path
		halo.circle(x, y, rad+3)
		cv.fillPath(&halo, p.Surface, p.Surface, 1)
		dot.circle(x, y, rad)
		cv.fillPath(&dot, colourOr(p.Nodes, n.Type, p.Muted), p.Surface, shapeLevels)
	}
	return nil
}

// legend draws "● Type" items in the footer, as many as fit left of the
// host.
func (r *Renderer) legend(cv *canvas, items []LegendItem, host string) error {
	if len(items) == 0 {
		return nil
	}
	lf, err := face(r.fonts.mono, 20)
	if err != nil {
		return err
	}
	hf, err := face(r.fonts.mono, 24)
	if err != nil {
		return err
	}
	right := Width - margin - hostWidth(hf, clean(r.fonts.mono, host))
	x := margin
	for _, it := range items {
		label := clean(r.fonts.mono, it.Label)
		w := 22 + advance(lf, label)
		if x+w > right {
			break
		}
		var dot path
		dot.circle(float64(x)+7, footerBase-7, 7)
		cv.fillPath(&dot, colourOr(r.pal.Nodes, it.Type, r.pal.Muted), r.pal.Background, shapeLevels)
		cv.text(lf, label, x+22, footerBase, r.pal.Text2, r.pal.Background)
		x += w + 26
	}
	return nil
}
