package web

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/snapshot"
	"github.com/labfront/labfront/internal/topology"
	"github.com/labfront/labfront/templates"
)

// The view models of the topology component, built from topology's
// geometry. They live here, with the pages that draw them, so the layout
// package knows nothing of templates; the admin server builds its graph
// with the same functions.

// TopologyGraph is the wide drawing of l (laid out as d) as the topology
// component draws it, coloured from snap (public ids; nil leaves the
// nodes neutral).
func TopologyGraph(d *topology.Drawing, l *lab.Lab, snap *snapshot.Snapshot) templates.TopologyGraph {
	g := graphView(d.Wide, l, "topology-wide", true)
	colour(&g, snap)
	return g
}

// NarrowGraph is the narrow drawing of l, for phones.
func NarrowGraph(d *topology.Drawing, l *lab.Lab, snap *snapshot.Snapshot) templates.TopologyGraph {
	g := graphView(d.Narrow, l, "topology-narrow", false)
	colour(&g, snap)
	return g
}

// GraphWithStatus is the wide drawing of l coloured by status, as of
// asOf: the admin server lays the lab out once and recolours it on every
// request.
func GraphWithStatus(d *topology.Drawing, l *lab.Lab, status func(id string) string, asOf time.Time) templates.TopologyGraph {
	g := graphView(d.Wide, l, "topology-wide", true)
	for i := range g.Nodes {
		n := &g.Nodes[i]
		n.Status = status(n.ID)
		n.Title = n.Name + " — " + topology.TypeLabels[n.Type] + " — " + n.Status
	}
	if !asOf.IsZero() {
		g.AsOf = asOf.UTC().Format("2 Jan 2006 15:04:05 UTC")
		g.AsOfISO = asOf.UTC().Format("2006-01-02T15:04:05Z")
	}
	return g
}

func colour(g *templates.TopologyGraph, snap *snapshot.Snapshot) {
	if snap == nil {
		return
	}
	if !snap.GeneratedAt.IsZero() {
		g.AsOf = snap.GeneratedAt.UTC().Format("2 Jan 2006 15:04 UTC")
		g.AsOfISO = snap.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		n.Status = snap.Status(n.ID).Status
		n.Title += " — " + n.Status
	}
}

// graphView turns a layout of l into the component's view model. titles
// gives each node a tooltip: the wide drawing has a pointer to hover with,
// the narrow one spares the elements.
func graphView(lay *topology.Layout, l *lab.Lab, class string, titles bool) templates.TopologyGraph {
	g := templates.TopologyGraph{
		Class:      class,
		Width:      num(lay.Width),
		Height:     num(lay.Height),
		ViewBox:    "0 0 " + num(lay.Width) + " " + num(lay.Height),
		LinkPrefix: "#node-",
		LineHeight: num(lay.LineHeight),
		Titles:     titles,
	}
	for k, link := range l.Links {
		p := lay.Links[k]
		gl := templates.GraphLink{From: link.From, To: link.To, Type: link.Type, Label: link.Label}
		switch {
		case p.Elbow:
			gl.D = "M" + num(p.X1) + " " + num(p.Y1) + "V" + num(p.Y2) + "H" + num(p.X2)
		case p.Bend == 0:
			gl.X1, gl.Y1, gl.X2, gl.Y2 = num(p.X1), num(p.Y1), num(p.X2), num(p.Y2)
		default:
			cx := num(math.Min(p.X1, p.X2) - p.Bend)
			gl.D = "M" + num(p.X1) + " " + num(p.Y1) + "C" + cx + " " + num(p.Y1) + " " + cx + " " + num(p.Y2) + " " + num(p.X2) + " " + num(p.Y2)
		}
		g.Links = append(g.Links, gl)
	}
	for i, n := range l.Nodes {
		p := lay.Nodes[i]
		gn := templates.GraphNode{
			ID: n.ID, Name: n.Name, Type: n.Type, Site: n.Site,
			Networks: strings.Join(n.Networks, " "),
			X:        num(p.X), Y: num(p.Y),
			Title:       n.Name + " — " + topology.TypeLabels[n.Type],
			LabelX:      num(p.Label.X),
			LabelY:      num(p.Label.Y),
			LabelAnchor: p.Label.Anchor,
			Label:       p.Label.Lines,
		}
		shape(&gn, n.Type, p)
		g.Nodes = append(g.Nodes, gn)
	}
	for _, h := range lay.Groups {
		g.Headings = append(g.Headings, templates.GraphHeading{
			Text: h.Title, X: num(h.X), Y: num(h.Y),
			RuleX1: num(h.Box.X1 + 4), RuleX2: num(h.X1), RuleY: num(h.Y - 4),
		})
	}
	return g
}

// shape gives each node type its own outline, so the graph reads without
// colour too.
func shape(gn *templates.GraphNode, typ string, p topology.Place) {
	poly := func(sides int, rot float64) {
		var b strings.Builder
		for k := range sides {
			a := rot + 2*math.Pi*float64(k)/float64(sides)
			if k > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(num(p.X + p.R*math.Cos(a)))
			b.WriteByte(',')
			b.WriteString(num(p.Y + p.R*math.Sin(a)))
		}
		gn.Shape, gn.Points = "polygon", b.String()
	}
	switch typ {
	case "hypervisor", "nas", "container", "vm":
		s := p.R * 1.7
		gn.Shape, gn.RectX, gn.RectY, gn.RectW = "rect", num(p.X-s/2), num(p.Y-s/2), num(s)
	case "gateway":
		poly(4, 0)
	case "network":
		poly(6, 0)
	case "orchestrator":
		poly(8, math.Pi/8)
	case "drone":
		poly(3, -math.Pi/2)
	case "vpn":
		poly(5, -math.Pi/2)
	default:
		gn.Shape, gn.R = "circle", num(p.R)
	}
}

// num formats a coordinate with one decimal, without a trailing ".0", so
// the markup is the same bytes on every build.
func num(v float64) string {
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}

// Legend lists the node and link types that occur in l, in the fixed order
// of lab.NodeTypes and lab.LinkTypes, with their counts.
func Legend(l *lab.Lab) (nodes, links []templates.LegendItem) {
	nc, lc := map[string]int{}, map[string]int{}
	for _, n := range l.Nodes {
		nc[n.Type]++
	}
	for _, k := range l.Links {
		lc[k.Type]++
	}
	for _, t := range lab.NodeTypes {
		if nc[t] > 0 {
			nodes = append(nodes, templates.LegendItem{Type: t, Label: topology.TypeLabels[t], Count: nc[t]})
		}
	}
	for _, t := range lab.LinkTypes {
		if lc[t] > 0 {
			links = append(links, templates.LegendItem{Type: t, Label: topology.TypeLabels[t], Count: lc[t]})
		}
	}
	return nodes, links
}

// NodeDetails describes every node of l for the details sections: the
// architecture page passes the public lab, the admin server the full one.
// Status is left to the caller, which knows where it comes from.
func NodeDetails(l *lab.Lab) []templates.NodeDetail {
	siteNames := map[string]string{}
	netNames := map[string]string{}
	for _, s := range l.Sites {
		siteNames[s.ID] = s.Name
		for _, n := range s.Networks {
			netNames[n.ID] = s.Name + " · " + n.Name
			if n.CIDR != "" {
				netNames[n.ID] += " (" + n.CIDR + ")"
			}
		}
	}
	serviceNames := map[string]string{}
	for _, s := range l.Services {
		serviceNames[s.ID] = s.Name
	}
	nodeNames := map[string]string{}
	for _, n := range l.Nodes {
		nodeNames[n.ID] = n.Name
	}
	out := make([]templates.NodeDetail, 0, len(l.Nodes))
	for _, n := range l.Nodes {
		d := templates.NodeDetail{
			ID: n.ID, Name: n.Name, Type: n.Type, TypeLabel: topology.TypeLabels[n.Type],
			SiteID: n.Site, SiteName: siteNames[n.Site], ParentID: n.Parent, ParentName: nodeNames[n.Parent],
			Description: n.Description, Specs: specs(n.Specs),
		}
		for _, id := range n.Networks {
			d.Networks = append(d.Networks, netNames[id])
		}
		for _, id := range n.Services {
			d.Services = append(d.Services, serviceNames[id])
		}
		for _, k := range l.Links {
			other := ""
			switch n.ID {
			case k.From:
				other = k.To
			case k.To:
				other = k.From
			default:
				continue
			}
			label := k.Label
			if k.LatencyMS > 0 {
				label = strings.TrimSpace(label + " " + trimFloat(k.LatencyMS) + " ms")
			}
			d.Connections = append(d.Connections, templates.Connection{NodeID: other, NodeName: nodeNames[other], Type: k.Type, Label: label})
		}
		out = append(out, d)
	}
	return out
}

func specs(s lab.Specs) []templates.Stat {
	var out []templates.Stat
	if s.CPU != "" {
		out = append(out, templates.Stat{Label: "CPU", Value: s.CPU})
	}
	if s.Cores > 0 {
		out = append(out, templates.Stat{Label: "Cores", Value: strconv.Itoa(s.Cores)})
	}
	if s.MemoryGB > 0 {
		out = append(out, templates.Stat{Label: "Memory", Value: trimFloat(s.MemoryGB) + " GB"})
	}
	if s.StorageTB > 0 {
		out = append(out, templates.Stat{Label: "Storage", Value: trimFloat(s.StorageTB) + " TB"})
	}
	if s.OS != "" {
		out = append(out, templates.Stat{Label: "OS", Value: s.OS})
	}
	return out
}
