package templates

import "github.com/a-h/templ"

// AdminHead is the frame of every admin page.
type AdminHead struct {
	Title       string
	Stylesheets []string
	Script      string // the admin island (live updates)
	Favicon     string
	User        string
	Role        string
	Dev         bool // dev mode: no authentication; every page says so
	Logout      bool // show a sign-out button (oidc mode)
	Nav         []NavLink
	// Sources that are not live, as banners: "Prometheus unreachable since
	// 14:02, showing data from 13:58".
	Banners []Banner
	// Events is the server-sent events URL for live updates.
	Events string
}

// Banner is a warning across the top of admin pages.
type Banner struct {
	State   string // stale or missing
	Message string
}

// DashboardView is /admin/.
type DashboardView struct {
	Head    AdminHead
	Summary []Stat
	Sources []SourceRow
	Alerts  []AlertRow
	// Nodes is the rendered NodeTables of the sites: all nodes, or the
	// Shown of Total that most need attention.
	Nodes        templ.Component
	Shown, Total int
}

// NodesIndexView is /admin/nodes: one page of every node, by site.
type NodesIndexView struct {
	Head            AdminHead
	Nodes           templ.Component
	From, To, Total int
	Pagination      Pagination
}

// SourceRow is a source's freshness.
type SourceRow struct {
	Name, Type, State   string
	Fetched, FetchedISO string // when the shown data was fetched
	Error               string
	Summary             string // the source's own word on its data, e.g. a tunnel's connections
}

// AlertRow is a firing alert.
type AlertRow struct {
	Name, Severity, NodeID, NodeName, Summary, Since string
}

// SiteNodes is a site's nodes on the dashboard.
type SiteNodes struct {
	Name, Role string
	Nodes      []NodeRow
}

// NodeRow is a node's line on the dashboard.
type NodeRow struct {
	ID, Name, Type, Status string
	CPU, Memory, Disk      string
	Load, Detail           string
	Spark                  Sparkline
	Stale                  bool
}

// Sparkline is a small server-rendered chart.
type Sparkline struct {
	Points string // polyline points in a 100×24 box; "" when no data
	Label  string // accessible summary ("CPU 12–64 %, now 31 %")
}

// AdminNodeView is /admin/nodes/{id}.
type AdminNodeView struct {
	Head    AdminHead
	Node    NodeDetail
	Metrics []Stat
	Sparks  []LabeledSpark
	Reports []ReportRow
	Actions []ActionForm
	Notice  string // the outcome of the last action
}

// LabeledSpark is a sparkline with its name.
type LabeledSpark struct {
	Name  string
	Spark Sparkline
}

// ReportRow is one source's word on a node.
type ReportRow struct {
	Source, State, Status, Detail, Fetched string
}

// ActionForm is an admin action button.
type ActionForm struct {
	Action, Label, URL string
	// Disabled with a Reason when the target is unreachable or the user is
	// no admin.
	Disabled bool
	Reason   string
}

// AdminTopologyView is /admin/topology.
type AdminTopologyView struct {
	Head      AdminHead
	Graph     TopologyGraph
	NodeTypes []LegendItem
	LinkTypes []LegendItem
}

// AuditView is /admin/audit.
type AuditView struct {
	Head    AdminHead
	Records []AuditRow
	// Damaged counts the lines of audit.log that were skipped: torn by a
	// crash or a failed write, or too long to be a record.
	Damaged int
}

// AuditRow is one audit record.
type AuditRow struct {
	Time, TimeISO, Who, Action, Target, Result, Error string
}

// ErrorView is an error page.
type ErrorView struct {
	Head    AdminHead
	Code    int
	Title   string
	Message string
}
