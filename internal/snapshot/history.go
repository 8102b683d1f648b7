package snapshot

import (
	"slices"
	"time"

	"github.com/labfront/labfront/internal/incident"
	"github.com/labfront/labfront/internal/lab"
)

// History is the status history part of a snapshot: what the status
// page's 90-day bars, incidents and maintenance banner show. The admin
// server writes it with lab ids and its complete incident records;
// Public keeps only what public pages may show.
//
//	"history": {
//	  "days": 90,
//	  "nodes": {"pve-io": {"windows": [{"name": "24h", "uptime": 0.9993}, …],
//	                       "days": [{"date": "2026-12-03", "status": "partial", "up": 86000, "down": 400}, …]}},
//	  "incidents": [{"id": "2026-12-03-pve-io", "title": "…", "status": "resolved", "cause": "pve-io", "systems": ["pve-io"], …}],
//	  "maintenance": [{"systems": ["pve-io"], "from": "…", "to": "…", "reason": "kernel upgrade"}]
//	}
type History struct {
	Days        int                    `json:"days"`
	Nodes       map[string]NodeHistory `json:"nodes"`
	Incidents   []Incident             `json:"incidents,omitempty"`
	Maintenance []Maintenance          `json:"maintenance,omitempty"`
}

// NodeHistory is one system's uptime.
type NodeHistory struct {
	Windows []Window `json:"windows"`
	Days    []Day    `json:"days"`
}

// Window is the uptime over one rolling window (24h, 7d, 30d, 90d);
// Uptime is nil when nothing is known ("no data", never 0 or 1).
type Window struct {
	Name   string   `json:"name"`
	Uptime *float64 `json:"uptime"`
}

// dayStatuses are what a Day's status may be (history.DayStatus).
var dayStatuses = []string{"up", "partial", "down", "maintenance", "unknown"}

// Day is one daily bucket: its status and the seconds in each state.
type Day struct {
	Date        string `json:"date"`
	Status      string `json:"status"`
	Up          int64  `json:"up,omitempty"`
	Degraded    int64  `json:"degraded,omitempty"`
	Down        int64  `json:"down,omitempty"`
	Maintenance int64  `json:"maintenance,omitempty"`
	Unknown     int64  `json:"unknown,omitempty"`
}

// Incident is an incident as the status page shows it.
type Incident struct {
	ID       string    `json:"id"`
	PublicID string    `json:"public_id,omitempty"`
	Title    string    `json:"title"`
	Status   string    `json:"status"`
	Cause    string    `json:"cause"`
	Systems  []string  `json:"systems"`
	Summary  string    `json:"summary"`
	Started  time.Time `json:"started"`
	Resolved time.Time `json:"resolved,omitzero"`
	Updates  []Update  `json:"updates,omitempty"`
}

// Update is one note on an incident's timeline.
type Update struct {
	At     time.Time `json:"at"`
	Status string    `json:"status"`
	Text   string    `json:"text"`
}

// Maintenance is one stretch of a maintenance window, under way or
// ahead.
type Maintenance struct {
	Systems []string  `json:"systems"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Reason  string    `json:"reason"`
}

// FromIncident is the snapshot form of an incident record.
func FromIncident(inc incident.Incident) Incident {
	out := Incident{ID: inc.ID, PublicID: inc.PublicID, Title: inc.Title, Status: string(inc.Status), Cause: inc.Cause,
		Systems: slices.Clone(inc.Systems), Summary: inc.Summary, Started: inc.Started.UTC(), Resolved: inc.Resolved.UTC()}
	if inc.Resolved.IsZero() {
		out.Resolved = time.Time{}
	}
	for _, u := range inc.Updates {
		out.Updates = append(out.Updates, Update{At: u.At.UTC(), Status: string(u.Status), Text: u.Text})
	}
	return out
}

func (si Incident) record() incident.Incident {
	inc := incident.Incident{ID: si.ID, PublicID: si.PublicID, Title: si.Title, Status: incident.Status(si.Status), Cause: si.Cause,
		Systems: slices.Clone(si.Systems), Summary: si.Summary, Started: si.Started, Resolved: si.Resolved}
	for _, u := range si.Updates {
		inc.Updates = append(inc.Updates, incident.Update{At: u.At, Status: incident.Status(u.Status), Text: u.Text})
	}
	return inc
}

// publicHistory keeps what public pages may show of h: the public
// systems under their public ids, the incidents that affect one as
// incident.Publish words them (hidden systems left out, "an internal
// system" for a hidden cause), and the maintenance of public systems.
func publicHistory(h *History, l *lab.Lab) *History {
	if h == nil {
		return nil
	}
	ids := l.PublicIDs()
	pub := func(id string) (string, string) {
		pid, ok := ids[id]
		if !ok {
			return "", ""
		}
		return pid, l.Node(id).DisplayName()
	}
	out := &History{Days: h.Days, Nodes: map[string]NodeHistory{}}
	for id, nh := range h.Nodes {
		if pid, ok := ids[id]; ok {
			out.Nodes[pid] = NodeHistory{Windows: slices.Clone(nh.Windows), Days: slices.Clone(nh.Days)}
		}
	}
	for _, si := range h.Incidents {
		if !slices.ContainsFunc(si.Systems, func(s string) bool { _, ok := ids[s]; return ok }) {
			continue
		}
		p := FromIncident(incident.Publish(si.record(), pub))
		p.PublicID = ""
		out.Incidents = append(out.Incidents, p)
	}
	for _, m := range h.Maintenance {
		var systems []string
		for _, s := range m.Systems {
			if pid, ok := ids[s]; ok {
				systems = append(systems, pid)
			}
		}
		if len(systems) > 0 {
			out.Maintenance = append(out.Maintenance, Maintenance{Systems: systems, From: m.From, To: m.To, Reason: m.Reason})
		}
	}
	return out
}
