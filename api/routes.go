package api

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

// access is what a route demands of a request.
type access int

const (
	// public routes answer anyone: health, metrics (whose handler admits
	// insiders only, callers.go), the sanitised status, assets, the login
	// flow, and the git webhook (which checks its signature itself).
	public access = iota
	// viewer routes need a valid identity.
	viewer
	// action routes need an admin identity, pass the cross-origin check
	// and write an audit record.
	action
)

func (a access) String() string {
	return [...]string{"public", "viewer", "action"}[a]
}

// route is one entry of the route table: a handler for public and viewer
// routes, an actionFunc for action routes (never both), so every action
// goes through the branch that audits it.
type route struct {
	method  string
	path    string
	access  access
	handler echo.HandlerFunc
	act     actionFunc
}

// routes is the whole server: every path it answers, with the access each
// needs. The middleware for a route comes from this table alone, so no
// route can be reachable by registration order or by forgetting a group.
func (s *Server) routes() []route {
	r := []route{
		{http.MethodGet, "/healthz", public, s.healthz, nil},
		{http.MethodGet, "/readyz", public, s.readyz, nil},
		{http.MethodGet, "/metrics", public, s.metricsHandler, nil},
		{http.MethodGet, "/assets/*", public, s.asset, nil},
		{http.MethodGet, "/api/v1/status", public, s.apiStatus, nil},
		{http.MethodOptions, "/api/v1/status", public, s.apiStatus, nil},
		{http.MethodGet, "/api/v1/history", public, s.apiHistory, nil},
		// The forge cannot sign in: the HMAC signature of the body, keyed
		// with the webhook secret, authenticates each delivery (webhook.go).
		{http.MethodPost, "/hooks/git", public, s.gitHook, nil},

		{http.MethodGet, "/", viewer, s.home, nil},
		{http.MethodGet, "/admin/", viewer, s.dashboard, nil},
		{http.MethodGet, "/admin/topology", viewer, s.topology, nil},
		{http.MethodGet, "/admin/nodes", viewer, s.nodesIndex, nil},
		{http.MethodGet, "/admin/nodes/:id", viewer, s.node, nil},
		{http.MethodGet, "/admin/audit", viewer, s.auditPage, nil},
		{http.MethodGet, "/admin/search", viewer, s.searchPage, nil},
		{http.MethodGet, "/admin/content", viewer, s.contentPage, nil},
		{http.MethodGet, "/admin/events", viewer, s.events, nil},
		{http.MethodGet, "/admin/deploys", viewer, s.deploysPage, nil},
		{http.MethodGet, "/admin/deploys/:run", viewer, s.deployRunPage, nil},
		{http.MethodGet, "/admin/deploys/:run/events", viewer, s.deployRunEvents, nil},
		{http.MethodGet, "/admin/drift", viewer, s.driftPage, nil},
		{http.MethodGet, "/admin/uptime", viewer, s.uptimePage, nil},
		{http.MethodGet, "/admin/incidents", viewer, s.incidentsPage, nil},
		{http.MethodGet, "/admin/maintenance", viewer, s.maintenancePage, nil},
		{http.MethodGet, "/admin/deliveries", viewer, s.deliveriesPage, nil},
		{http.MethodGet, "/api/v1/snapshot", viewer, s.apiSnapshot, nil},

		{http.MethodPost, "/admin/nodes/:id/actions/:action", action, nil, s.nodeAction},
		{http.MethodPost, "/admin/content/promote", action, nil, s.contentPromote},
		{http.MethodPost, "/admin/deploys/deployments/:id/rollback", action, nil, s.deploysRollback},
		{http.MethodPost, "/admin/deploys/deploy-now", action, nil, s.deploysDeployNow},
		{http.MethodPost, "/admin/deploys/purge", action, nil, s.deploysPurge},
		{http.MethodPost, "/admin/drift/apply", action, nil, s.driftApply},
		{http.MethodPost, "/admin/incidents/:id/updates", action, nil, s.incidentUpdate},
		{http.MethodPost, "/admin/incidents/:id/postmortem", action, nil, s.incidentPostmortem},
		{http.MethodPost, "/admin/deliveries/test/:name", action, nil, s.notifyTest},
	}
	return append(r, s.auth.routes()...)
}

// register installs the table with each route's guards. An action
// route's handler is its actionFunc inside audited: the guards refuse
// before it, and audited writes its one record.
func (s *Server) register(e *echo.Echo) error {
	for _, rt := range s.routes() {
		var mw []echo.MiddlewareFunc
		h := rt.handler
		if err := rt.check(); err != nil {
			return err
		}
		switch rt.access {
		case viewer:
			mw = []echo.MiddlewareFunc{s.requireIdentity}
		case action:
			mw = []echo.MiddlewareFunc{s.requireIdentity, s.requireAdmin, s.sameOrigin}
			h = s.audited(rt.act)
		}
		e.Add(rt.method, rt.path, h, mw...)
	}
	return nil
}

// check refuses a route whose access and handler disagree: an action must
// come as an actionFunc, which only the audited branch can run, and a
// handler on an action route would be a way around its record.
func (rt route) check() error {
	switch {
	case rt.access == action && (rt.act == nil || rt.handler != nil):
		return fmt.Errorf("route %s %s: an action route needs an actionFunc and no handler", rt.method, rt.path)
	case rt.access != action && (rt.act != nil || rt.handler == nil):
		return fmt.Errorf("route %s %s: a %s route needs a handler and no actionFunc", rt.method, rt.path, rt.access)
	}
	return nil
}
