package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/templates"
)

// dashboard is /admin/: sources, alerts, and every node with its status.
func (s *Server) dashboard(c echo.Context) error {
	sources := s.store.Sources()
	views := live.Nodes(s.lab, sources)
	v := templates.DashboardView{Head: s.head(c, "Dashboard", "/admin/")}
	counts := map[string]int{}
	for _, src := range sources {
		row := templates.SourceRow{Name: src.Name, Type: src.Type, State: src.State(), Error: src.LastError}
		if !src.FetchedAt.IsZero() {
			row.Fetched = clock(src.FetchedAt, s.now()) + " (" + ago(src.FetchedAt, s.now()) + ")"
			row.FetchedISO = src.FetchedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		v.Sources = append(v.Sources, row)
	}
	for _, a := range live.Alerts(sources) {
		row := templates.AlertRow{Name: a.Name, Severity: a.Severity, NodeID: a.Node, Summary: a.Summary}
		if n := s.lab.Node(a.Node); n != nil {
			row.NodeName = n.Name
		}
		if !a.Since.IsZero() {
			row.Since = clock(a.Since, s.now())
		}
		v.Alerts = append(v.Alerts, row)
	}
	groups := map[string]int{}
	for _, n := range s.lab.Nodes {
		nv := views[n.ID]
		counts[nv.Status]++
		i, ok := groups[n.Site]
		if !ok {
			name, role := s.siteName(n.Site)
			i = len(v.Sites)
			groups[n.Site] = i
			v.Sites = append(v.Sites, templates.SiteNodes{Name: name, Role: role})
		}
		v.Sites[i].Nodes = append(v.Sites[i].Nodes, templates.NodeRow{
			ID: n.ID, Name: n.Name, Type: n.Type, Status: nv.Status,
			CPU: percent(nv.Data.CPU), Memory: percent(nv.Data.Memory), Disk: percent(nv.Data.Disk), Load: decimal(nv.Data.Load),
			Detail: nv.Data.Detail, Spark: spark("CPU", nv.Data.Series["cpu"]), Stale: nv.Stale,
		})
	}
	v.Summary = []templates.Stat{
		{Label: "Up", Value: strconv.Itoa(counts[live.Up])},
		{Label: "Down", Value: strconv.Itoa(counts[live.Down])},
		{Label: "Unknown", Value: strconv.Itoa(counts[live.Unknown])},
		{Label: "Alerts", Value: strconv.Itoa(len(v.Alerts))},
	}
	return render(c, http.StatusOK, templates.Dashboard(v))
}
