package topology

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/snapshot"
)

// TypeLabels are the human names of node and link types, in legend order.
var TypeLabels = map[string]string{
	"network": "Network device", "hypervisor": "Hypervisor", "orchestrator": "Orchestrator", "drone": "Build drone",
	"gateway": "Gateway", "workstation": "Workstation", "nas": "NAS", "media": "Media", "container": "Container",
	"vm": "Virtual machine", "cloud": "Cloud", "vpn": "VPN node",
	"lan": "LAN", "tailscale": "Tailscale VPN", "tunnel": "CF Tunnel", "backup": "Backup", "service": "Service",
	"dataflow": "Data flow", "uplink": "Uplink",
}

// Drawing is a laid-out lab: its wide drawing, for screens with room, and
// its narrow one, for phones.
type Drawing struct {
	Wide, Narrow *Layout
}

// Draw lays out pub both ways.
func Draw(pub *lab.Lab) *Drawing {
	return &Drawing{Wide: wide(pub), Narrow: narrow(pub)}
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

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
	t := jsonTopology{Version: 1,
		Types: TypeLabels, Sites: []jsonSite{}, Nodes: []jsonNode{}, Links: []jsonLink{},
		Width: d.Wide.Width, Height: d.Wide.Height}
	if snap != nil && !snap.GeneratedAt.IsZero() {
		t.AsOf = snap.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z")
	}
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
		jn.X, jn.Y = round1(d.Wide.Nodes[i].X), round1(d.Wide.Nodes[i].Y)
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
