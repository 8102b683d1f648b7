package templates

// UptimeView is /admin/uptime: every observed system's uptime over the
// rolling windows, its latency, and its 90-day bars.
type UptimeView struct {
	Head AdminHead
	// Off says why there is no history ("" while it records).
	Off  string
	Rows []UptimeRow
}

// UptimeRow is one system.
type UptimeRow struct {
	ID, Name, URL string
	// State is the current merged state: up, down or unknown.
	State   string
	Windows []UptimeWindow
	// Latency is the last 24 h's average probe latency ("" without
	// samples); Spark its hourly averages as SVG polyline points.
	Latency string
	Spark   string
	Bars    UptimeBars
}

// IncidentsView is /admin/incidents: the open incidents with the forms
// that add an update, and the past ones with their postmortems.
type IncidentsView struct {
	Head    AdminHead
	Off     string
	Outcome *StatusOutcome
	Open    []IncidentRow
	Past    []IncidentRow
	// Statuses are the words an update may carry.
	Statuses []string
	// Act is on for admins; Reason says why not otherwise.
	Act ActionState
}

// IncidentRow is one incident.
type IncidentRow struct {
	ID, Title, Status, Cause string
	Systems                  []string
	Started, StartedISO      string
	Resolved, ResolvedISO    string // "" while open
	Lasted                   string
	Summary                  string
	Updates                  []IncidentUpdate
	Postmortem               string
	Open                     bool
}

// IncidentUpdate is one note on an incident's timeline.
type IncidentUpdate struct {
	At, AtISO, Status string
	Text              string // Markdown, shown as written
}

// StatusOutcome is what an action on these pages did.
type StatusOutcome struct {
	OK     bool
	Title  string
	Detail string
}

// MaintenanceView is /admin/maintenance: the declared windows and their
// occurrences in the next 30 days.
type MaintenanceView struct {
	Head     AdminHead
	Off      string
	Zone     string
	Windows  []MaintenanceRow
	Upcoming []MaintenanceOccurrence
}

// MaintenanceRow is one declared window.
type MaintenanceRow struct {
	Systems  []string
	Schedule string // "once, 24 Dec 2026 02:00 UTC" or "cron 0 3 * * 0"
	Duration string
	Reason   string
	Line     int // where admin.yaml declares it
}

// MaintenanceOccurrence is one stretch of a window.
type MaintenanceOccurrence struct {
	Systems         []string
	From, FromISO   string
	Until, UntilISO string
	Reason          string
	Active          bool
}

// DeliveriesView is /admin/deliveries: the notifiers, a "send a test"
// action for each, and the record of every delivery attempt.
type DeliveriesView struct {
	Head      AdminHead
	Off       string
	Outcome   *StatusOutcome
	Notifiers []NotifierRow
	Records   []DeliveryRow
	Act       ActionState
}

// NotifierRow is one configured notifier; its secrets are never here.
type NotifierRow struct {
	Name, Type string
	Systems    []string // empty: every incident
	Events     []string
	Public     bool
}

// DeliveryRow is one attempt, newest first.
type DeliveryRow struct {
	At, AtISO       string
	Notifier, Type  string
	Event, Incident string
	Attempt         int
	OK, Final       bool
	Error           string
}
