package topology

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/snapshot"
	"github.com/labfront/labfront/templates"
)

// TypeLabels are the human names of node and link types, in legend order.
var TypeLabels = map[string]string{
	"network": "Network device", "hypervisor": "Hypervisor", "orchestrator": "Orchestrator", "drone": "Build drone",
	"gateway": "Gateway", "workstation": "Workstation", "nas": "NAS", "media": "Media", "container": "Container",
	"vm": "Virtual machine", "cloud": "Cloud", "vpn": "VPN node",
	"lan": "LAN", "tailscale": "Tailscale VPN", "tunnel": "CF Tunnel", "backup": "Backup", "service": "Service",
	"dataflow": "Data flow", "uplink": "Uplink",
}

// Drawing is a laid-out lab: the view model of the graph and the positions
// it was drawn from.
type Drawing struct {
	View   templates.TopologyGraph
	pts    []point
	height float64
}

// Draw lays out pub and draws it. snap, keyed by public ids, colours the
// nodes; nil leaves them neutral.
func Draw(pub *lab.Lab, snap *snapshot.Snapshot) *Drawing {
	pts, height := place(pub)
	g := templates.TopologyGraph{
		Width:      num(canvasWidth),
		Height:     num(height),
		ViewBox:    "0 0 " + num(canvasWidth) + " " + num(height),
		LinkPrefix: "#node-",
	}
	if snap != nil && !snap.GeneratedAt.IsZero() {
		g.AsOf = snap.GeneratedAt.UTC().Format("2 Jan 2006 15:04 UTC")
		g.AsOfISO = snap.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	index := map[string]int{}
	for i, n := range pub.Nodes {
		index[n.ID] = i
	}
	for _, k := range pub.Links {
		a, b := pts[index[k.From]], pts[index[k.To]]
		g.Links = append(g.Links, templates.GraphLink{
			From: k.From, To: k.To, Type: k.Type, Label: k.Label,
			X1: num(a.x), Y1: num(a.y), X2: num(b.x), Y2: num(b.y),
		})
	}
	for i, n := range pub.Nodes {
		p := pts[i]
		gn := templates.GraphNode{
			ID: n.ID, Name: n.Name, Type: n.Type, Site: n.Site,
			Networks: strings.Join(n.Networks, " "),
			X:        num(p.x), Y: num(p.y),
			Title: n.Name + " — " + TypeLabels[n.Type],
		}
		shape(&gn, n.Type, p)
		switch p.anchor {
		case "middle":
			gn.LabelX, gn.LabelY = num(p.x), num(p.label.y1-3)
		case "start":
			gn.LabelX, gn.LabelY = num(p.label.x0+2), num(p.y+4)
		default:
			gn.LabelX, gn.LabelY = num(p.label.x1-2), num(p.y+4)
		}
		gn.LabelAnchor = p.anchor
		if snap != nil {
			gn.Status = snap.Status(n.ID).Status
			gn.Title += " — " + gn.Status
		}
		g.Nodes = append(g.Nodes, gn)
	}
	return &Drawing{View: g, pts: pts, height: height}
}

// shape gives each node type its own outline, so the graph reads without
// colour too.
func shape(gn *templates.GraphNode, typ string, p point) {
	poly := func(sides int, rot float64) {
		var b strings.Builder
		for k := range sides {
			a := rot + 2*math.Pi*float64(k)/float64(sides)
			if k > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(num(p.x + p.r*math.Cos(a)))
			b.WriteByte(',')
			b.WriteString(num(p.y + p.r*math.Sin(a)))
		}
		gn.Shape, gn.Points = "polygon", b.String()
	}
	switch typ {
	case "hypervisor", "nas", "container", "vm":
		s := p.r * 1.7
		gn.Shape, gn.RectX, gn.RectY, gn.RectW = "rect", num(p.x-s/2), num(p.y-s/2), num(s)
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
		gn.Shape, gn.R = "circle", num(p.r)
	}
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// num formats a coordinate with one decimal, without a trailing ".0".
func num(v float64) string {
	s := strconv.FormatFloat(round1(v), 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}

// jsonTopology is /topology.json: public data only, for the island.
type jsonTopology struct {
	Version int               `json:"version"`
	Width   float64           `json:"width"`
	Height  float64           `json:"height"`
	AsOf    string            `json:"as_of,omitempty"`
	Sites   []jsonSite        `json:"sites"`
	Nodes   []jsonNode        `json:"nodes"`
	Links   []jsonLink        `json:"links"`
	Types   map[string]string `json:"type_labels"`
}

type jsonSite struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	Role     string        `json:"role,omitempty"`
	Networks []jsonNetwork `json:"networks"`
}

type jsonNetwork struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	CIDR string `json:"cidr,omitempty"`
}

type jsonNode struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Type        string        `json:"type"`
	Site        string        `json:"site,omitempty"`
	Parent      string        `json:"parent,omitempty"`
	Description string        `json:"description,omitempty"`
	Networks    []string      `json:"networks"`
	Specs       *jsonSpecs    `json:"specs,omitempty"`
	Services    []jsonService `json:"services"`
	X           float64       `json:"x"`
	Y           float64       `json:"y"`
	Status      string        `json:"status,omitempty"`
	CheckedAt   string        `json:"checked_at,omitempty"`
}

type jsonSpecs struct {
	Cores     int     `json:"cores,omitempty"`
	MemoryGB  float64 `json:"memory_gb,omitempty"`
	StorageTB float64 `json:"storage_tb,omitempty"`
	CPU       string  `json:"cpu,omitempty"`
	OS        string  `json:"os,omitempty"`
}

type jsonService struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type jsonLink struct {
	From      string  `json:"from"`
	To        string  `json:"to"`
	Type      string  `json:"type"`
	Label     string  `json:"label,omitempty"`
	LatencyMS float64 `json:"latency_ms,omitempty"`
}

// JSON encodes the public lab and its drawn positions for the island.
func (d *Drawing) JSON(pub *lab.Lab, snap *snapshot.Snapshot) ([]byte, error) {
	t := jsonTopology{Version: 1, AsOf: d.View.AsOfISO, Types: TypeLabels, Sites: []jsonSite{}, Nodes: []jsonNode{}, Links: []jsonLink{},
		Width: canvasWidth, Height: round1(d.height)}
	for _, s := range pub.Sites {
		js := jsonSite{ID: s.ID, Name: s.Name, Role: s.Role, Networks: []jsonNetwork{}}
		for _, n := range s.Networks {
			js.Networks = append(js.Networks, jsonNetwork{ID: n.ID, Name: n.Name, CIDR: n.CIDR})
		}
		t.Sites = append(t.Sites, js)
	}
	services := map[string]string{}
	for _, s := range pub.Services {
		services[s.ID] = s.Name
	}
	for i, n := range pub.Nodes {
		jn := jsonNode{ID: n.ID, Name: n.Name, Type: n.Type, Site: n.Site, Parent: n.Parent, Description: n.Description,
			Networks: append([]string{}, n.Networks...), Services: []jsonService{}}
		if n.Specs != (lab.Specs{}) {
			jn.Specs = &jsonSpecs{Cores: n.Specs.Cores, MemoryGB: n.Specs.MemoryGB, StorageTB: n.Specs.StorageTB, CPU: n.Specs.CPU, OS: n.Specs.OS}
		}
		for _, id := range n.Services {
			jn.Services = append(jn.Services, jsonService{ID: id, Name: services[id]})
		}
		jn.X, jn.Y = round1(d.pts[i].x), round1(d.pts[i].y)
		if snap != nil {
			st := snap.Status(n.ID)
			jn.Status = st.Status
			if !st.CheckedAt.IsZero() {
				jn.CheckedAt = st.CheckedAt.UTC().Format("2006-01-02T15:04:05Z")
			}
		}
		t.Nodes = append(t.Nodes, jn)
	}
	for _, k := range pub.Links {
		t.Links = append(t.Links, jsonLink{From: k.From, To: k.To, Type: k.Type, Label: k.Label, LatencyMS: k.LatencyMS})
	}
	b, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("encode topology: %w", err)
	}
	return append(b, '\n'), nil
}

// WithStatus returns the drawn graph coloured by status, without laying it
// out again: the admin server lays the lab out once and recolours it on
// every request.
func (d *Drawing) WithStatus(status func(id string) string, asOf time.Time) templates.TopologyGraph {
	g := d.View
	g.Nodes = slices.Clone(g.Nodes)
	for i := range g.Nodes {
		n := &g.Nodes[i]
		n.Status = status(n.ID)
		n.Title = n.Name + " — " + TypeLabels[n.Type] + " — " + n.Status
	}
	if !asOf.IsZero() {
		g.AsOf = asOf.UTC().Format("2 Jan 2006 15:04:05 UTC")
		g.AsOfISO = asOf.UTC().Format("2006-01-02T15:04:05Z")
	}
	return g
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
			nodes = append(nodes, templates.LegendItem{Type: t, Label: TypeLabels[t], Count: nc[t]})
		}
	}
	for _, t := range lab.LinkTypes {
		if lc[t] > 0 {
			links = append(links, templates.LegendItem{Type: t, Label: TypeLabels[t], Count: lc[t]})
		}
	}
	return nodes, links
}

// Point is a node's place on the drawing's canvas.
type Point struct{ X, Y float64 }

// Points are the drawn positions of the nodes, in the lab's node order,
// and the canvas they sit on: for pictures of the graph other than the
// SVG (the architecture page's social card).
func (d *Drawing) Points() (pts []Point, width, height float64) {
	pts = make([]Point, len(d.pts))
	for i, p := range d.pts {
		pts[i] = Point{p.x, p.y}
	}
	return pts, canvasWidth, d.height
}
