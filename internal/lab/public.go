package lab

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/slug"
)

// Public returns the lab as the public may see it, the only form any public
// output is built from. It drops private nodes, the nodes that run on them,
// their links and services and the swarm agents they host; it replaces each
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
		p.Live = Live{}
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
	for _, s := range l.Services {
		if !s.Public || (s.Node != "" && hidden[s.Node]) {
			continue
		}
		s.Node = ids[s.Node]
		out.Services = append(out.Services, s)
		if n := out.Node(s.Node); n != nil {
			n.Services = append(n.Services, s.ID)
		}
	}
	if l.Swarm != nil {
		sw := &Swarm{Name: l.Swarm.Name, Description: l.Swarm.Description}
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

// Leaks reports public text (names, descriptions, labels, flows,
// decisions) that mentions a hidden node's name or id or the real name
// behind an alias: the public view drops those nodes, but prose written
// elsewhere in the file would still carry them.
func (l *Lab) Leaks(display string) diag.List {
	var secrets []string
	hidden := l.hiddenNodes()
	for _, n := range l.Nodes {
		if hidden[n.ID] {
			secrets = append(secrets, n.Name, n.ID)
		} else if n.Alias != "" && !strings.EqualFold(n.Alias, n.Name) {
			secrets = append(secrets, n.Name)
			if !strings.EqualFold(slug.Make(n.Alias), n.ID) {
				secrets = append(secrets, n.ID)
			}
		}
	}
	var probs diag.List
	if len(secrets) == 0 {
		return probs
	}
	pats := make([]*regexp.Regexp, len(secrets))
	for i, s := range secrets {
		pats[i] = regexp.MustCompile(`(?i)(^|[^\pL\pN_-])` + regexp.QuoteMeta(s) + `($|[^\pL\pN_-])`)
	}
	check := func(line int, where, text string) {
		for i, p := range pats {
			if p.MatchString(text) {
				probs.Add(display, line, where, "mentions %q, which is private (public: false) or hidden behind an alias; public pages would show it", secrets[i])
			}
		}
	}
	check(0, "description", l.Title+"\n"+l.Description)
	pub := l.Public()
	for i, n := range pub.Nodes {
		src := l.nodeAt(n)
		check(src.Line, fmt.Sprintf("nodes[%d]", i), n.Name+"\n"+n.Description)
	}
	for _, k := range pub.Links {
		check(k.Line, "label", k.Label)
	}
	for i, s := range pub.Services {
		check(s.Line, fmt.Sprintf("services[%d]", i), s.Name+"\n"+s.Description+"\n"+s.Tech)
	}
	for i, d := range pub.Decisions {
		check(d.Line, fmt.Sprintf("decisions[%d]", i), d.Title+"\n"+d.Body+"\n"+d.Tradeoffs)
	}
	for i, f := range pub.Flows {
		text := f.Name + "\n" + f.Summary
		for _, s := range f.Steps {
			text += "\n" + s.Name + "\n" + s.Detail
		}
		check(f.Line, fmt.Sprintf("flows[%d]", i), text)
	}
	if pub.Swarm != nil {
		for i, a := range pub.Swarm.Agents {
			check(a.Line, fmt.Sprintf("swarm.agents[%d]", i), a.Name+"\n"+a.Role)
		}
	}
	return probs
}

// nodeAt finds the source node of a public node by its line.
func (l *Lab) nodeAt(pub Node) Node {
	for _, n := range l.Nodes {
		if n.Line == pub.Line {
			return n
		}
	}
	return pub
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
