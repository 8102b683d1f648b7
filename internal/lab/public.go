package lab

import (
	"math"
	"slices"
	"strconv"

	"github.com/labfront/labfront/internal/slug"
)

// Public returns the lab as the public may see it, the only form any public
// output is built from. It drops private nodes, the nodes that run on them,
// their links and the swarm agents they host, and every service attached to
// a hidden node whether by the service's node: or by a node's services:
// list; it replaces each
// aliased node's name with its alias and its id with one made from the
// alias, since ids show in URLs; and it drops the live-data keys, which are
// internal addresses.
func (l *Lab) Public() *Lab {
	hidden := l.hiddenNodes()
	ids := l.publicIDs(hidden)
	out := &Lab{Title: l.Title, Description: l.Description, Sites: l.Sites, Flows: l.Flows, Decisions: l.Decisions}
	for _, n := range l.Nodes {
		if hidden[n.ID] {
			continue
		}
		p := n
		p.ID, p.Name, p.Alias = ids[n.ID], n.DisplayName(), ""
		p.Parent = ids[n.Parent]
		p.Live = nil
		p.Services = nil
		out.Nodes = append(out.Nodes, p)
	}
	for _, k := range l.Links {
		if hidden[k.From] || hidden[k.To] {
			continue
		}
		k.From, k.To = ids[k.From], ids[k.To]
		out.Links = append(out.Links, k)
	}
	hosts := l.serviceHosts()
	for _, s := range l.Services {
		if !servicePublic(s, hosts[s.ID], hidden) {
			continue
		}
		// A service the file attaches only through a node's services:
		// list runs on that node, so the public view names it as the node
		// the service would otherwise have named itself.
		if s.Node == "" && len(hosts[s.ID]) > 0 {
			s.Node = hosts[s.ID][0]
		}
		s.Node = ids[s.Node]
		out.Services = append(out.Services, s)
		for _, host := range hosts[s.ID] {
			if n := out.Node(ids[host]); n != nil && !slices.Contains(n.Services, s.ID) {
				n.Services = append(n.Services, s.ID)
			}
		}
	}
	if l.Swarm != nil {
		sw := &Swarm{Name: l.Swarm.Name, Description: l.Swarm.Description, Line: l.Swarm.Line}
		for _, a := range l.Swarm.Agents {
			if hidden[a.Host] {
				continue
			}
			a.Host = ids[a.Host]
			sw.Agents = append(sw.Agents, a)
		}
		out.Swarm = sw
	}
	return out
}

// PublicID maps a node id to its public id ("" when the node is hidden).
// To map many, use PublicIDs: this builds the whole map each call.
func (l *Lab) PublicID(id string) string {
	return l.PublicIDs()[id]
}

// PublicIDs maps every public node's id to its public id; hidden nodes are
// absent.
func (l *Lab) PublicIDs() map[string]string {
	return l.publicIDs(l.hiddenNodes())
}

// serviceHosts maps each service id to every node it is attached to: the
// node its node: names first, then each node whose services: lists it, in
// file order. The file may attach a service either way, or both.
func (l *Lab) serviceHosts() map[string][]string {
	hosts := map[string][]string{}
	for _, s := range l.Services {
		if s.Node != "" {
			hosts[s.ID] = append(hosts[s.ID], s.Node)
		}
	}
	for _, n := range l.Nodes {
		for _, id := range n.Services {
			if !slices.Contains(hosts[id], n.ID) {
				hosts[id] = append(hosts[id], n.ID)
			}
		}
	}
	return hosts
}

// servicePublic reports whether a service may be shown: it is not marked
// private and no node it is attached to is hidden. One hidden host is
// enough, however it is attached, since the service describes software
// on a machine the operator chose not to publish.
func servicePublic(s Service, hosts []string, hidden map[string]bool) bool {
	if !s.Public {
		return false
	}
	for _, h := range hosts {
		if hidden[h] {
			return false
		}
	}
	return true
}

// hiddenNodes are the private nodes and everything that runs on them.
func (l *Lab) hiddenNodes() map[string]bool {
	hidden := map[string]bool{}
	byID := make(map[string]*Node, len(l.Nodes))
	for i := range l.Nodes {
		byID[l.Nodes[i].ID] = &l.Nodes[i]
	}
	for _, n := range l.Nodes {
		for id, steps := n.ID, 0; id != "" && steps <= len(l.Nodes); steps++ {
			p := byID[id]
			if p == nil {
				break
			}
			if !p.Public {
				hidden[n.ID] = true
				break
			}
			id = p.Parent
		}
	}
	return hidden
}

func (l *Lab) publicIDs(hidden map[string]bool) map[string]string {
	ids := map[string]string{}
	taken := map[string]bool{}
	for _, n := range l.Nodes {
		if !hidden[n.ID] && n.Alias == "" {
			taken[n.ID] = true
			ids[n.ID] = n.ID
		}
	}
	for _, n := range l.Nodes {
		if hidden[n.ID] || n.Alias == "" {
			continue
		}
		base := slug.Make(n.Alias)
		id := base
		for i := 2; taken[id] || id == ""; i++ {
			id = base + "-" + strconv.Itoa(i)
		}
		taken[id] = true
		ids[n.ID] = id
	}
	return ids
}

// Stats are the hero numbers. Compute them on the public view for public
// pages.
type Stats struct {
	PhysicalCores int
	Systems       int
	StorageTB     float64
	Sites         int
	VPNNodes      int
	Connections   int
	SwarmCores    int
	SwarmAgents   int
	SwarmSites    int
}

// Stats computes the hero numbers as DESIGN.md defines them.
func (l *Lab) Stats() Stats {
	var s Stats
	vpn := map[string]bool{}
	for _, n := range l.Nodes {
		if n.Type != "cloud" {
			s.Systems++
		}
		if n.Physical() {
			s.PhysicalCores += n.Specs.Cores
			s.StorageTB += n.Specs.StorageTB
		}
	}
	for _, k := range l.Links {
		if k.Type == "tailscale" {
			vpn[k.From], vpn[k.To] = true, true
		}
	}
	s.VPNNodes = len(vpn)
	s.Sites = len(l.Sites)
	s.Connections = len(l.Links)
	if l.Swarm != nil {
		sites := map[string]bool{}
		for _, a := range l.Swarm.Agents {
			s.SwarmCores += a.Cores
			if site := l.SiteOf(a.Host); site != "" {
				sites[site] = true
			}
		}
		s.SwarmAgents = len(l.Swarm.Agents)
		s.SwarmSites = len(sites)
	}
	return s
}

// StorageLabel shows storage as the design asks: whole terabytes, rounded
// down, with a plus.
func (s Stats) StorageLabel() string {
	return strconv.Itoa(int(math.Floor(s.StorageTB))) + " TB+"
}
