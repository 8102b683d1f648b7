// Package lab is the operator's lab as described in content/lab.yaml: sites,
// nodes, links, services, the build swarm, request flows and architecture
// decisions. It validates the file with line numbers, computes the hero
// stats, and derives the public view that is the only thing any public
// output may be built from.
package lab

// Node types and link types: the closed sets lab.yaml may use.
var (
	NodeTypes = []string{"network", "hypervisor", "orchestrator", "drone", "gateway", "workstation", "nas", "media", "container", "vm", "cloud", "vpn"}
	LinkTypes = []string{"lan", "tailscale", "tunnel", "backup", "service", "dataflow", "uplink"}
)

// Lab is a loaded lab.yaml.
type Lab struct {
	// Title and Description head the architecture page.
	Title, Description string
	Sites              []Site
	Nodes              []Node
	Links              []Link
	Services           []Service
	Swarm              *Swarm
	Flows              []Flow
	Decisions          []Decision

	// file is the display path it was read from (see File).
	file string

	// sources are the scalars of the lab.yaml this lab was parsed from,
	// so Leaks can point at the line that carries a leaking text. Nil for
	// a lab built in code.
	sources []source
}

// Site is a physical location.
type Site struct {
	ID, Name, Role, Description string
	Networks                    []Network
	Line                        int
}

// Network is an addressable network at a site.
type Network struct {
	ID, Name, CIDR string
	Line           int
}

// Node is a machine, container, device or cloud endpoint.
type Node struct {
	ID, Name string
	// Type is a word of NodeTypes, a closed set the loader enforces: it
	// carries no text of the operator's, so Leaks does not read it.
	Type                             string `public:"vocabulary"`
	Site, Parent, Alias, Description string
	Public                           bool
	Networks                         []string
	Specs                            Specs
	Services                         []string
	Live                             Live
	Line                             int
}

// Specs are a node's resources; zero means unknown.
type Specs struct {
	Cores     int
	MemoryGB  float64
	StorageTB float64
	CPU, OS   string
}

// Live tells the admin server's collectors where a node's live data is: a
// source kind's live key ("proxmox", "probe") to its value. Which keys
// exist and what their values look like is the collector registry's
// business (internal/live), so adding a collector does not touch lab.
type Live map[string]LiveRef

// LiveRef is one live: value and the line it is on, for messages.
type LiveRef struct {
	Value string
	Line  int
}

// File is the display path the lab was read from, for the messages of
// checks made outside this package (live: keys); "" for a lab not read
// from a file.
func (l *Lab) File() string { return l.file }

// Get returns the value of key, "" when the node has none.
func (l Live) Get(key string) string { return l[key].Value }

// Physical reports whether the node is hardware of its own: no parent and
// not a container, VM or cloud service.
func (n *Node) Physical() bool {
	return n.Parent == "" && n.Type != "container" && n.Type != "vm" && n.Type != "cloud"
}

// DisplayName is the name public outputs show.
func (n *Node) DisplayName() string {
	if n.Alias != "" {
		return n.Alias
	}
	return n.Name
}

// Link connects two nodes.
type Link struct {
	From, To string
	// Type is a word of LinkTypes; see Node.Type.
	Type      string `public:"vocabulary"`
	Label     string
	LatencyMS float64
	Line      int
}

// Service is software running in the lab.
type Service struct {
	ID, Name, Category, Description, Tech, Node, URL string
	Public                                           bool
	Line                                             int
}

// Swarm is the distributed build swarm.
type Swarm struct {
	Name, Description string
	Agents            []Agent
	Line              int
}

// Agent is one build agent of the swarm.
type Agent struct {
	ID, Name, Role string
	Cores          int
	MemoryGB       float64
	Host           string
	Line           int
}

// Flow is a request path through the infrastructure.
type Flow struct {
	Name, Summary string
	Steps         []Step
	Line          int
}

// Step is one hop of a flow.
type Step struct {
	Name, Detail, Latency string
	Line                  int
}

// Decision is an architecture decision with its rationale.
type Decision struct {
	Title, Body, Tradeoffs string
	Line                   int
}

// Node returns the node with id, or nil.
func (l *Lab) Node(id string) *Node {
	for i := range l.Nodes {
		if l.Nodes[i].ID == id {
			return &l.Nodes[i]
		}
	}
	return nil
}

// SiteOf is the site of a node, following parents for nodes that name none.
func (l *Lab) SiteOf(id string) string {
	for seen := 0; seen <= len(l.Nodes); seen++ {
		n := l.Node(id)
		if n == nil {
			return ""
		}
		if n.Site != "" || n.Parent == "" {
			return n.Site
		}
		id = n.Parent
	}
	return "" // a parent cycle; validation reports it
}
