package incident

import (
	"slices"

	"github.com/labfront/labfront/internal/lab"
)

// pathLinks are the link types that carry traffic to a node; backup,
// service and dataflow links describe what flows, not how it is reached.
var pathLinks = []string{"lan", "tailscale", "tunnel", "uplink"}

// Topology is what the lab says about how systems depend on each other:
// parents (a guest runs on its hypervisor) and the network paths between
// nodes, as seen from the observer (the node the admin server runs on).
type Topology struct {
	parent   map[string]string
	adj      map[string][]string
	public   map[string]string // node id -> public id, for public nodes
	observer string
}

// NewTopology reads the lab's parents and path links. observer is the
// node the admin server runs on ("" when not declared: then only parents
// explain outages).
func NewTopology(l *lab.Lab, observer string) *Topology {
	tp := &Topology{parent: map[string]string{}, adj: map[string][]string{}, public: l.PublicIDs(), observer: observer}
	for _, n := range l.Nodes {
		if n.Parent != "" {
			tp.parent[n.ID] = n.Parent
			tp.link(n.ID, n.Parent)
		}
	}
	for _, k := range l.Links {
		if slices.Contains(pathLinks, k.Type) {
			tp.link(k.From, k.To)
		}
	}
	return tp
}

func (tp *Topology) link(a, b string) {
	if !slices.Contains(tp.adj[a], b) {
		tp.adj[a] = append(tp.adj[a], b)
	}
	if !slices.Contains(tp.adj[b], a) {
		tp.adj[b] = append(tp.adj[b], a)
	}
}

// Parent is a system's parent, "" for none.
func (tp *Topology) Parent(id string) string { return tp.parent[id] }

// Public reports whether a system appears on public pages.
func (tp *Topology) Public(id string) bool { return tp.public[id] != "" }

// PublicID is a system's public id, "" for a hidden one.
func (tp *Topology) PublicID(id string) string { return tp.public[id] }

// Causes explains each down system: the root causes of its outage, itself
// when it is down on its own account. A system is down because of X
//   - when X is its topmost down ancestor (its hypervisor is down, or the
//     hypervisor's host), or else
//   - when an observer is declared and every path from the observer to it
//     crosses a down node: then X are the down nodes on the edge of what
//     the observer still reaches from which it can be reached through down
//     nodes alone.
//
// The result is sorted for each system.
func (tp *Topology) Causes(down map[string]bool) map[string][]string {
	out := map[string][]string{}
	var unexplained []string
	for id := range down {
		if top := tp.topDownAncestor(id, down); top != "" {
			out[id] = []string{top}
			continue
		}
		unexplained = append(unexplained, id)
	}
	if tp.observer == "" || down[tp.observer] {
		for _, id := range unexplained {
			out[id] = []string{id}
		}
		return resolveCauses(out)
	}
	reached := tp.reach(tp.observer, func(n string) bool { return !down[n] })
	// The frontier: down nodes next to what the observer reaches. Their
	// outage is seen directly, so they are their own cause.
	frontier := map[string]bool{}
	for n := range reached {
		for _, m := range tp.adj[n] {
			if down[m] {
				frontier[m] = true
			}
		}
	}
	for _, id := range unexplained {
		if frontier[id] || tp.adj[id] == nil {
			out[id] = []string{id}
			continue
		}
		var causes []string
		for f := range frontier {
			// id is behind f when it can be reached from f through down
			// nodes only.
			if tp.reach(f, func(n string) bool { return down[n] })[id] {
				causes = append(causes, f)
			}
		}
		if len(causes) == 0 {
			causes = []string{id}
		}
		out[id] = causes
	}
	return resolveCauses(out)
}

// resolveCauses follows causes to their roots: a guest explained by its
// hypervisor, which the switch in front of it explains, is the switch's.
func resolveCauses(direct map[string][]string) map[string][]string {
	out := map[string][]string{}
	var root func(id string, depth int) []string
	root = func(id string, depth int) []string {
		cs := direct[id]
		if depth > 64 || (len(cs) == 1 && cs[0] == id) {
			return []string{id}
		}
		var all []string
		for _, c := range cs {
			if c == id {
				all = append(all, id)
				continue
			}
			all = append(all, root(c, depth+1)...)
		}
		slices.Sort(all)
		return slices.Compact(all)
	}
	for id := range direct {
		out[id] = root(id, 0)
	}
	return out
}

// topDownAncestor is the furthest ancestor of id that is down, "" when no
// ancestor is.
func (tp *Topology) topDownAncestor(id string, down map[string]bool) string {
	top := ""
	for p, n := tp.parent[id], 0; p != "" && n < 64; p, n = tp.parent[p], n+1 {
		if down[p] {
			top = p
		}
	}
	return top
}

// reach is every node reachable from start through nodes that pass.
func (tp *Topology) reach(start string, pass func(string) bool) map[string]bool {
	seen := map[string]bool{start: true}
	queue := []string{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, m := range tp.adj[n] {
			if !seen[m] && pass(m) {
				seen[m] = true
				queue = append(queue, m)
			}
		}
	}
	return seen
}
