package topology

import (
	"strconv"
	"strings"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/templates"
)

// Details describes every node of l for the details sections: the
// architecture page passes the public lab, the admin server the full one.
// Status is left to the caller, which knows where it comes from.
func Details(l *lab.Lab) []templates.NodeDetail {
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
			ID: n.ID, Name: n.Name, Type: n.Type, TypeLabel: TypeLabels[n.Type],
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

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
