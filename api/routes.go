package api

import (
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

// route is one entry of the route table.
type route struct {
	method  string
	path    string
	access  access
	handler echo.HandlerFunc
}

// routes is the whole server: every path it answers, with the access each
// needs. The middleware for a route comes from this table alone, so no
// route can be reachable by registration order or by forgetting a group.
func (s *Server) routes() []route {
	r := []route{
		{http.MethodGet, "/healthz", public, s.healthz},
		{http.MethodGet, "/readyz", public, s.readyz},
		{http.MethodGet, "/metrics", public, s.metricsHandler},
		{http.MethodGet, "/assets/*", public, s.asset},
		{http.MethodGet, "/api/v1/status", public, s.apiStatus},
		{http.MethodOptions, "/api/v1/status", public, s.apiStatus},
		// The forge cannot sign in: the HMAC signature of the body, keyed
		// with the webhook secret, authenticates each delivery (webhook.go).
		{http.MethodPost, "/hooks/git", public, s.gitHook},

		{http.MethodGet, "/", viewer, s.home},
		{http.MethodGet, "/admin/", viewer, s.dashboard},
		{http.MethodGet, "/admin/topology", viewer, s.topology},
		{http.MethodGet, "/admin/nodes", viewer, s.nodesIndex},
		{http.MethodGet, "/admin/nodes/:id", viewer, s.node},
		{http.MethodGet, "/admin/audit", viewer, s.auditPage},
		{http.MethodGet, "/admin/content", viewer, s.contentPage},
		{http.MethodGet, "/admin/events", viewer, s.events},
		{http.MethodGet, "/admin/deploys", viewer, s.deploysPage},
		{http.MethodGet, "/admin/deploys/:run", viewer, s.deployRunPage},
		{http.MethodGet, "/admin/deploys/:run/events", viewer, s.deployRunEvents},
		{http.MethodGet, "/api/v1/snapshot", viewer, s.apiSnapshot},

		{http.MethodPost, "/admin/nodes/:id/actions/:action", action, s.nodeAction},
		{http.MethodPost, "/admin/content/promote", action, s.contentPromote},
		{http.MethodPost, "/admin/deploys/deployments/:id/rollback", action, s.deploysRollback},
		{http.MethodPost, "/admin/deploys/deploy-now", action, s.deploysDeployNow},
		{http.MethodPost, "/admin/deploys/purge", action, s.deploysPurge},
	}
	return append(r, s.auth.routes()...)
}

// register installs the table with each route's guards.
func (s *Server) register(e *echo.Echo) {
	for _, rt := range s.routes() {
		var mw []echo.MiddlewareFunc
		switch rt.access {
		case viewer:
			mw = []echo.MiddlewareFunc{s.requireIdentity}
		case action:
			mw = []echo.MiddlewareFunc{s.requireIdentity, s.requireAdmin, s.sameOrigin}
		}
		e.Add(rt.method, rt.path, rt.handler, mw...)
	}
}
