package templates

// ArchitectureView is /architecture/: the lab in numbers, the topology
// graph, request flows, services, the build swarm and the decisions.
type ArchitectureView struct {
	Head          Head
	Title         string
	Intro         string
	Stats         []Stat
	Graph         TopologyGraph // the wide drawing
	Narrow        TopologyGraph // the phone's, shown instead below 48rem
	Sites         []SiteView
	NodeTypes     []LegendItem // the node types that occur, in a fixed order
	LinkTypes     []LegendItem
	NodeGroups    []NodeGroup
	Flows         []FlowView
	ServiceGroups []ServiceGroup
	Swarm         *SwarmView
	Decisions     []DecisionView
	// Script is the fingerprinted URL of the graph's interactive island.
	Script string
	// DataURL is where the island reads the public topology.
	DataURL string
}

// TopologyGraph is one laid-out drawing of the graph, ready to draw as
// SVG. Coordinates are preformatted so the markup is byte-for-byte
// deterministic.
type TopologyGraph struct {
	// Class says which drawing it is (topology-wide, topology-narrow);
	// the stylesheet shows the one that suits the screen.
	Class         string
	Width, Height string
	ViewBox       string
	// LinkPrefix plus a node id is where a node links: its details
	// section on the public page, its page in the admin server.
	LinkPrefix string
	// LineHeight separates the lines of a wrapped label.
	LineHeight string
	// Titles gives every node a tooltip.
	Titles   bool
	Nodes    []GraphNode
	Links    []GraphLink
	Headings []GraphHeading
	// AsOf is set when the graph is coloured from a snapshot.
	AsOf    string
	AsOfISO string
}

// GraphHeading names a group of nodes on the canvas, with a rule after it.
type GraphHeading struct {
	Text, X, Y            string
	RuleX1, RuleX2, RuleY string
}

// GraphNode is one drawn node.
type GraphNode struct {
	ID, Name, Type, Site string
	Networks             string // space-separated network ids
	X, Y                 string
	Shape                string // circle, rect or polygon
	R                    string // circle radius
	RectX, RectY, RectW  string // rect geometry (square)
	Points               string // polygon points
	LabelX, LabelY       string // the first line's anchor
	LabelAnchor          string
	Label                []string // the name, in lines
	Status               string   // up, down, unknown; "" when no snapshot
	Title                string   // tooltip text
}

// GraphLink is one drawn link: a line from (X1, Y1) to (X2, Y2), or the
// path D when it is curved.
type GraphLink struct {
	From, To, Type, Label string
	X1, Y1, X2, Y2        string
	D                     string
}

// LegendItem is an entry of the graph's legend.
type LegendItem struct {
	Type  string
	Label string
	Count int
}

// SiteView is a site with its networks.
type SiteView struct {
	ID, Name, Role string
	Networks       []NetworkView
}

// NetworkView is a network of a site.
type NetworkView struct {
	ID, Name, CIDR string
}

// NodeGroup is the nodes of one site (or of none: the cloud).
type NodeGroup struct {
	ID, Title, Role string
	Nodes           []NodeDetail
}

// NodeDetail is a node's section in the page: what the graph links to.
type NodeDetail struct {
	ID, Name, Type, TypeLabel string
	SiteID, SiteName          string
	ParentID, ParentName      string
	Description               string
	Networks                  []string
	Specs                     []Stat
	Services                  []string
	Connections               []Connection
	Status                    string
	CheckedAt                 string
}

// Connection is a link as seen from one node.
type Connection struct {
	NodeID, NodeName, Type, Label string
}

// FlowView is a request flow.
type FlowView struct {
	Name, Summary string
	Steps         []StepView
}

// StepView is one hop.
type StepView struct {
	Name, Detail, Latency string
}

// ServiceGroup is the services of one category.
type ServiceGroup struct {
	Category string
	Services []ServiceView
}

// ServiceView is one service.
type ServiceView struct {
	ID, Name, Description, Tech, URL string
	NodeID, NodeName                 string
}

// SwarmView is the build swarm.
type SwarmView struct {
	Name, Description string
	Stats             []Stat
	Agents            []AgentView
}

// AgentView is one build agent.
type AgentView struct {
	Name, Role, Cores, Memory string
	HostID, HostName, Site    string
}

// DecisionView is an architecture decision.
type DecisionView struct {
	Title, Body, Tradeoffs string
}
