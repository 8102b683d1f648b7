package templates

// StatusView is /status/: the last known state of every public system,
// rendered from the snapshot baked into the build, which the status
// island then refreshes from /api/v1/status.
type StatusView struct {
	Head  Head
	Title string
	Intro string
	// AsOf is when the baked snapshot was taken; "" when the build had
	// none, and every status is unknown.
	AsOf    string
	AsOfISO string
	Counts  []StatusCount
	Groups  []StatusGroup
	// Script is the fingerprinted URL of the status island.
	Script string
	// DataURL is where the island reads the current status.
	DataURL string
	// DetailsURL plus a node id is where a node's full description is.
	DetailsURL string
	// HistoryDays is how many days the bars cover, 0 when the snapshot
	// has no history (then there are no bars).
	HistoryDays int
	// Maintenance is the banner: windows under way or ahead.
	Maintenance []StatusMaintenance
	// Active and Past are the incidents, newest first.
	Active, Past []StatusIncident
}

// StatusMaintenance is one maintenance window on the banner.
type StatusMaintenance struct {
	Systems         string // public names, joined
	From, FromISO   string
	Until, UntilISO string
	Reason          string
	Now             bool // under way
}

// StatusIncident is one incident as the public sees it.
type StatusIncident struct {
	ID, Title, Status     string
	Summary               string
	Started, StartedISO   string
	Resolved, ResolvedISO string
	Updates               []IncidentUpdate
}

// StatusCount is how many systems have one status.
type StatusCount struct {
	Status string // up, down, unknown
	Label  string
	Count  int
}

// StatusGroup is the systems of one site, or of none (the cloud).
type StatusGroup struct {
	ID, Title, Role string
	Nodes           []StatusNode
}

// StatusNode is one system's line on the status page.
type StatusNode struct {
	ID, Name, TypeLabel string
	Status              string // up, down or unknown
	// CheckedAt is when the status was last checked, for people; "" when
	// never.
	CheckedAt    string
	CheckedAtISO string
	// Windows are the uptime percentages and Bars the daily strip; both
	// empty without history.
	Windows []UptimeWindow
	Bars    UptimeBars
}
