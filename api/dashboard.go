package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
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
		if src.Last != nil {
			row.Summary = src.Last.Summary
		}
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
	v.Shown, v.Total = d.shown, len(d.all)
	v.Summary = []templates.Stat{
		{Label: "Up", Value: strconv.Itoa(counts[live.Up])},
		{Label: "Down", Value: strconv.Itoa(counts[live.Down])},
		{Label: "Unknown", Value: strconv.Itoa(counts[live.Unknown])},
		{Label: "Alerts", Value: strconv.Itoa(len(v.Alerts))},
		s.driftSummary(),
	}
	return render(c, http.StatusOK, templates.Dashboard(v))
}

// dashboardNodes is the most nodes the dashboard lists. A lab of hundreds
// of nodes gets the ones that most need attention there, and all of them,
// a page at a time, at /admin/nodes: a 500-row page is slow to send and
// slower to read.
const dashboardNodes = 100

// derive computes the dashboard's node rows and the public status from the
// store, once per change of the store.
func (s *Server) derive() (*views, error) {
	sources := s.store.Sources()
	nodes := live.Nodes(s.lab, sources)
	d := &views{counts: map[string]int{}}
	for _, n := range s.lab.Nodes {
		nv := nodes[n.ID]
		d.counts[nv.Status]++
		name, role := s.siteName(n.Site)
		d.all = append(d.all, siteRow{site: name, role: role, row: templates.NodeRow{
			ID: n.ID, Name: n.Name, Type: n.Type, Status: nv.Status,
			CPU: percent(nv.Data.CPU), Memory: percent(nv.Data.Memory), Disk: percent(nv.Data.Disk), Load: decimal(nv.Data.Load),
			Detail: nv.Data.Detail, Spark: spark("CPU", nv.Data.Series["cpu"]), Stale: nv.Stale,
		}})
	}
	shown := needAttention(d.all, dashboardNodes)
	d.shown = len(shown)
	var buf bytes.Buffer
	if err := templates.NodeTables(groupBySite(shown)).Render(context.Background(), &buf); err != nil {
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

// attention orders statuses by how much they need a look: down first, then
// stale data, then unknown, then up.
func attention(r templates.NodeRow) int {
	switch {
	case r.Status == live.Down:
		return 0
	case r.Stale:
		return 1
	case r.Status == live.Up:
		return 3
	}
	return 2
}

// needAttention keeps the max rows that most need attention, in lab order;
// all of them when there are no more than max.
func needAttention(rows []siteRow, max int) []siteRow {
	if len(rows) <= max {
		return rows
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return attention(rows[a].row) - attention(rows[b].row) })
	idx = idx[:max]
	slices.Sort(idx)
	out := make([]siteRow, len(idx))
	for i, j := range idx {
		out[i] = rows[j]
	}
	return out
}

// groupBySite puts rows under their sites, sites in order of first
// appearance.
func groupBySite(rows []siteRow) []templates.SiteNodes {
	var sites []templates.SiteNodes
	at := map[string]int{}
	for _, r := range rows {
		i, ok := at[r.site]
		if !ok {
			i = len(sites)
			at[r.site] = i
			sites = append(sites, templates.SiteNodes{Name: r.site, Role: r.role})
		}
		sites[i].Nodes = append(sites[i].Nodes, r.row)
	}
	return sites
}

// nodesPerPage is the length of a page of /admin/nodes.
const nodesPerPage = dashboardNodes

// nodesIndex is /admin/nodes: every node, a page at a time, by site.
func (s *Server) nodesIndex(c echo.Context) error {
	d, err := s.cache.get(s.store.Version(), s.derive)
	if err != nil {
		return err
	}
	pages := max(1, (len(d.all)+nodesPerPage-1)/nodesPerPage)
	page := 1
	if p := c.QueryParam("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > pages {
			return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("no page %q: there are %d", p, pages))
		}
		page = n
	}
	lo, hi := (page-1)*nodesPerPage, min(page*nodesPerPage, len(d.all))
	v := templates.NodesIndexView{
		Head:  s.head(c, "Nodes", "/admin/nodes"),
		Nodes: templates.NodeTables(groupBySite(d.all[lo:hi])),
		From:  lo + 1, To: hi, Total: len(d.all),
		Pagination: templates.Pagination{Page: page, Pages: pages, PrevLabel: "← Previous", NextLabel: "Next →"},
	}
	if page > 1 {
		v.Pagination.PrevURL = fmt.Sprintf("/admin/nodes?page=%d", page-1)
	}
	if page < pages {
		v.Pagination.NextURL = fmt.Sprintf("/admin/nodes?page=%d", page+1)
	}
	if len(d.all) == 0 {
		v.From = 0
	}
	return render(c, http.StatusOK, templates.NodesIndex(v))
}

// rawHTML writes pre-rendered, trusted markup (our own templates' output).
func rawHTML(b []byte) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
