package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/templates"
)

// dashboard is /admin/: sources, alerts, and every node with its status.
func (s *Server) dashboard(c echo.Context) error {
	sources := s.store.Sources()
	v := templates.DashboardView{Head: s.head(c, "Dashboard", "/admin/")}
	var counts map[string]int
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
	d, err := s.cache.get(s.store.Version(), s.derive)
	if err != nil {
		return err
	}
	v.Nodes, counts = rawHTML(d.nodes), d.counts
	v.Summary = []templates.Stat{
		{Label: "Up", Value: strconv.Itoa(counts[live.Up])},
		{Label: "Down", Value: strconv.Itoa(counts[live.Down])},
		{Label: "Unknown", Value: strconv.Itoa(counts[live.Unknown])},
		{Label: "Alerts", Value: strconv.Itoa(len(v.Alerts))},
	}
	return render(c, http.StatusOK, templates.Dashboard(v))
}

// derive computes the dashboard's node rows and the public status from the
// store, once per change of the store.
func (s *Server) derive() (*views, error) {
	sources := s.store.Sources()
	nodes := live.Nodes(s.lab, sources)
	groups := map[string]int{}
	d := &views{counts: map[string]int{}}
	var sites []templates.SiteNodes
	for _, n := range s.lab.Nodes {
		nv := nodes[n.ID]
		d.counts[nv.Status]++
		i, ok := groups[n.Site]
		if !ok {
			name, role := s.siteName(n.Site)
			i = len(sites)
			groups[n.Site] = i
			sites = append(sites, templates.SiteNodes{Name: name, Role: role})
		}
		sites[i].Nodes = append(sites[i].Nodes, templates.NodeRow{
			ID: n.ID, Name: n.Name, Type: n.Type, Status: nv.Status,
			CPU: percent(nv.Data.CPU), Memory: percent(nv.Data.Memory), Disk: percent(nv.Data.Disk), Load: decimal(nv.Data.Load),
			Detail: nv.Data.Detail, Spark: spark("CPU", nv.Data.Series["cpu"]), Stale: nv.Stale,
		})
	}
	var buf bytes.Buffer
	if err := templates.NodeTables(sites).Render(context.Background(), &buf); err != nil {
		return nil, fmt.Errorf("render node tables: %w", err)
	}
	d.nodes = buf.Bytes()
	status, err := s.statusJSON(sources)
	if err != nil {
		return nil, err
	}
	d.status = status
	return d, nil
}

// rawHTML writes pre-rendered, trusted markup (our own templates' output).
func rawHTML(b []byte) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
