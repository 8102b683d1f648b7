package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/templates"
	"github.com/labfront/labfront/web"
)

// topology is /admin/topology: the architecture page's graph component,
// fed the full lab and live status.
func (s *Server) topology(c echo.Context) error {
	views := live.Nodes(s.lab, s.store.Sources())
	g := web.GraphWithStatus(s.drawing, s.lab, func(id string) string { return views[id].Status }, s.now())
	g.LinkPrefix = "/admin/nodes/"
	v := templates.AdminTopologyView{Head: s.head(c, "Topology", "/admin/topology"), Graph: g}
	v.NodeTypes, v.LinkTypes = web.Legend(s.lab)
	return render(c, http.StatusOK, templates.AdminTopology(v))
}

// auditPage is /admin/audit.
func (s *Server) auditPage(c echo.Context) error {
	recs, damaged, err := s.audit.Recent(500)
	if err != nil {
		return err
	}
	v := templates.AuditView{Head: s.head(c, "Audit log", "/admin/audit"), Damaged: damaged}
	for _, r := range recs {
		v.Records = append(v.Records, templates.AuditRow{
			Time: r.Time.UTC().Format("2 Jan 2006 15:04:05"), TimeISO: r.Time.UTC().Format("2006-01-02T15:04:05Z"),
			Who: r.Who, Action: r.Action, Target: r.Target, Result: r.Result, Error: r.Error,
		})
	}
	return render(c, http.StatusOK, templates.Audit(v))
}
