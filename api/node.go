package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/templates"
)

// Outcomes of an action, shown on the node page after the redirect. They
// are fixed texts chosen by code, so nothing from the URL is echoed.
var notices = map[string]string{
	"done":    "The action completed.",
	"failed":  "The action failed; the audit log has the reason.",
	"refused": "The action was refused: its source is not reachable right now.",
}

// node is /admin/nodes/{id}: everything known about one node, and its
// actions.
func (s *Server) node(c echo.Context) error {
	n := s.lab.Node(c.Param("id"))
	if n == nil {
		return echo.NewHTTPError(http.StatusNotFound, "No node has this id in lab.yaml.")
	}
	sources := s.store.Sources()
	nv := live.Nodes(s.lab, sources)[n.ID]
	v := templates.AdminNodeView{
		Head:   s.head(c, n.Name, ""),
		Node:   s.detail(n, nv),
		Notice: notices[c.QueryParam("outcome")],
		Metrics: []templates.Stat{
			{Label: "CPU", Value: percent(nv.Data.CPU)},
			{Label: "Memory", Value: percent(nv.Data.Memory)},
			{Label: "Disk", Value: percent(nv.Data.Disk)},
			{Label: "Load", Value: decimal(nv.Data.Load)},
		},
	}
	if nv.Data.LatencyMS != nil {
		v.Metrics = append(v.Metrics, templates.Stat{Label: "Latency", Value: decimal(nv.Data.LatencyMS) + " ms"})
	}
	if nv.Data.Restarts != nil {
		v.Metrics = append(v.Metrics, templates.Stat{Label: "Restarts", Value: strconv.Itoa(*nv.Data.Restarts)})
	}
	for _, name := range []string{"cpu", "memory"} {
		if sp := spark(name, nv.Data.Series[name]); sp.Points != "" {
			v.Sparks = append(v.Sparks, templates.LabeledSpark{Name: name, Spark: sp})
		}
	}
	for _, r := range nv.Reports {
		v.Reports = append(v.Reports, templates.ReportRow{Source: r.Source, State: r.State, Status: r.Status, Detail: r.Detail, Fetched: ago(r.FetchedAt, s.now())})
	}
	admin := identity(c).Admin
	for _, a := range s.actions(n) {
		form := templates.ActionForm{Action: a.name, Label: a.name, URL: "/admin/nodes/" + n.ID + "/actions/" + a.name}
		switch {
		case !admin:
			form.Disabled, form.Reason = true, "Actions need the admin role."
		case a.refusal != "":
			form.Disabled, form.Reason = true, a.refusal
		}
		v.Actions = append(v.Actions, form)
	}
	return render(c, http.StatusOK, templates.AdminNode(v))
}

// nodeAction is a possible action with the source that performs it.
type nodeAction struct {
	name    string
	source  string
	actor   live.Actor
	refusal string // why it cannot run now, "" when it can
}

// actions lists what can be done to n, from every source that can act.
func (s *Server) actions(n *lab.Node) []nodeAction {
	var out []nodeAction
	for _, src := range s.cfg.Sources {
		actor, ok := s.collectors[src.Name].(live.Actor)
		if !ok {
			continue
		}
		refusal := ""
		if st, ok := s.store.Source(src.Name); !ok || st.State() != live.StateLive {
			refusal = src.Name + " is unreachable: an action could not reach the node."
			if ok && !st.FailingSince.IsZero() {
				refusal = src.Name + " has been unreachable since " + clock(st.FailingSince, s.now()) + ": an action could not reach the node."
			}
		}
		for _, a := range actor.Actions(n) {
			out = append(out, nodeAction{name: a, source: src.Name, actor: actor, refusal: refusal})
		}
	}
	return out
}
