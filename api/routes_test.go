package api

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/labfront/labfront/internal/live"
)

// publicRoutes is the explicit list of what answers without an identity.
// Adding a public route means adding it here, on purpose.
var publicRoutes = []string{
	"GET /healthz", "GET /readyz", "GET /metrics", "GET /assets/*",
	"GET /api/v1/status", "OPTIONS /api/v1/status",
	// Authenticated by the HMAC signature of each delivery, not an identity.
	"POST /hooks/git",
}

func concrete(path string) string {
	r := strings.NewReplacer(":id", "pve-io", ":action", "shutdown", "*", "x")
	return r.Replace(path)
}

// oidcPublicRoutes are the login flow's routes, public in oidc mode.
var oidcPublicRoutes = []string{"GET /auth/login", "GET /auth/callback", "GET /auth/logout", "POST /auth/logout"}

// TestRouteTableOIDC: in oidc mode the only routes added are the login
// flow's, and every other route still refuses a request without a session
// (pages redirect to the login, everything else is 401).
func TestRouteTableOIDC(t *testing.T) {
	env := newOIDCEnv(t, oidcEnvOpts{})
	s := env.srv
	var gotPublic []string
	for _, rt := range s.routes() {
		key := rt.method + " " + rt.path
		if rt.access == public {
			gotPublic = append(gotPublic, key)
			continue
		}
		req := newRequest(rt.method, concrete(rt.path), nil)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized && !(rec.Code == http.StatusSeeOther && strings.HasPrefix(rec.Header().Get("Location"), "/auth/login")) {
			t.Errorf("%s without a session: %d %s", key, rec.Code, rec.Header().Get("Location"))
		}
	}
	slices.Sort(gotPublic)
	want := append(slices.Clone(publicRoutes), oidcPublicRoutes...)
	slices.Sort(want)
	if !slices.Equal(gotPublic, want) {
		t.Errorf("public routes\n got %q\nwant %q", gotPublic, want)
	}
}

// TestRouteTable walks every route: all but the public list need a valid
// identity, and every action also needs the admin role and the same
// origin. The table is the only source of routes.
func TestRouteTable(t *testing.T) {
	iss := newAccessIssuer(t)
	s := newServer(t, accessConfig(iss), nil)
	h := s.Handler()
	viewerTok := iss.token(t, tokenOpts{email: "guest@lab.test"})
	adminTok := iss.token(t, tokenOpts{email: "ops@lab.test"})

	var gotPublic []string
	table := map[string]bool{}
	for _, rt := range s.routes() {
		key := rt.method + " " + rt.path
		table[key] = true
		if rt.access == public {
			gotPublic = append(gotPublic, key)
			continue
		}
		t.Run(key, func(t *testing.T) {
			req := newRequest(rt.method, concrete(rt.path), nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("without identity: %d, want 401", rec.Code)
			}
			if rt.access != action {
				return
			}
			if rt.method == http.MethodGet {
				t.Fatal("an action must not be a GET")
			}
			for _, tc := range []struct {
				name, token, site string
			}{
				{"viewer", viewerTok, "same-origin"},
				{"admin from another site", adminTok, "cross-site"},
			} {
				req := newRequest(rt.method, concrete(rt.path), strings.NewReader("confirm=yes"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Cf-Access-Jwt-Assertion", tc.token)
				req.Header.Set("Sec-Fetch-Site", tc.site)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusForbidden {
					t.Errorf("%s: %d, want 403", tc.name, rec.Code)
				}
			}
			if _, err := os.Stat(filepath.Join(s.cfg.StateDir, "audit.log")); err == nil {
				t.Error("a refused request reached the action and wrote an audit record")
			}
		})
	}
	slices.Sort(gotPublic)
	want := slices.Clone(publicRoutes)
	slices.Sort(want)
	if !slices.Equal(gotPublic, want) {
		t.Errorf("public routes\n got %q\nwant %q", gotPublic, want)
	}
	// Nothing is registered outside the table.
	for _, r := range s.echo.Routes() {
		if !table[r.Method+" "+r.Path] {
			t.Errorf("route %s %s is registered but not in the table", r.Method, r.Path)
		}
	}
	// HEAD gets GET's answer and guards.
	for path, want := range map[string]int{"/healthz": http.StatusOK, "/admin/": http.StatusUnauthorized} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, newRequest(http.MethodHead, path, nil))
		if rec.Code != want {
			t.Errorf("HEAD %s: %d, want %d", path, rec.Code, want)
		}
	}
	// And the public ones really answer without identity: /metrics to a
	// direct loopback caller (a local Prometheus; callers.go).
	for _, p := range []string{"/healthz", "/metrics", "/api/v1/status"} {
		req := newRequest(http.MethodGet, p, nil)
		req.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 400 {
			t.Errorf("%s: %d", p, rec.Code)
		}
	}
}

// TestActionsAuditedOnce walks the route table's actions: every confirmed
// action writes exactly one audit record, whatever its result, and every
// refused request none — no identity, a viewer, another origin, no
// confirmation, an unknown target, and an audit log that cannot be
// written (503, and the action does not run). An action that forgot its
// record, or wrote its own besides the route table's, fails here.
func TestActionsAuditedOnce(t *testing.T) {
	iss := newAccessIssuer(t)
	src := live.Source{Name: "pve-io", Type: "proxmox", Interval: time.Minute, Timeout: time.Second}
	actor := &recordingActor{stubCollector: stubCollector{res: &live.Result{Nodes: map[string]live.NodeData{"orch-io": {Status: live.Up}}}}}
	cfg := accessConfig(iss)
	cfg.Sources = []live.Source{src}
	s := newServer(t, cfg, map[string]live.Collector{src.Name: actor})
	if err := s.poller().Once(t.Context(), src, actor); err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	admin := iss.token(t, tokenOpts{email: "ops@lab.test"})
	viewer := iss.token(t, tokenOpts{email: "guest@lab.test"})
	records := func() int {
		t.Helper()
		recs, damaged, err := s.audit.Recent(1000)
		if err != nil || damaged != 0 {
			t.Fatalf("audit log: %v, %d damaged", err, damaged)
		}
		return len(recs)
	}
	path := func(p string) string {
		return strings.NewReplacer(":id/actions/:action", "orch-io/actions/reboot", ":id", "abc").Replace(p)
	}
	yes := url.Values{"confirm": {"yes"}, "file": {"absent.md"}, "prefixes": {"lab.example.dev/"}}
	actions := 0
	for _, rt := range s.routes() {
		if rt.access != action {
			continue
		}
		actions++
		key := rt.method + " " + rt.path
		t.Run(key, func(t *testing.T) {
			for _, tc := range []struct {
				name        string
				path        string
				form        url.Values
				token, site string
			}{
				{"no identity", path(rt.path), yes, "", "same-origin"},
				{"viewer", path(rt.path), yes, viewer, "same-origin"},
				{"cross-origin", path(rt.path), yes, admin, "cross-site"},
				{"unconfirmed", path(rt.path), url.Values{"file": {"absent.md"}}, admin, "same-origin"},
			} {
				before := records()
				rec := postForm(t, h, tc.path, tc.form, tc.token, tc.site)
				if rec.Code < 400 {
					t.Errorf("%s: %d, want a refusal", tc.name, rec.Code)
				}
				if n := records() - before; n != 0 {
					t.Errorf("%s: %d audit records, want none", tc.name, n)
				}
			}
			if strings.Contains(rt.path, ":action") {
				before := records()
				if rec := postForm(t, h, "/admin/nodes/orch-io/actions/none", yes, admin, "same-origin"); rec.Code != http.StatusNotFound || records() != before {
					t.Errorf("unknown action: %d, %d records", rec.Code, records()-before)
				}
			}
			// The reservation is refused: 503, no record, the action not run.
			repair := breakAudit(t, s.audit.Path())
			ran := actor.count()
			rec := postForm(t, h, path(rt.path), yes, admin, "same-origin")
			repair()
			if rec.Code != http.StatusServiceUnavailable || actor.count() != ran {
				t.Errorf("audit log unwritable: %d, ran %d times", rec.Code, actor.count()-ran)
			}
			if _, err := os.Stat(s.audit.Path()); err == nil {
				t.Errorf("audit log unwritable: a record was written")
			}

			before := records()
			rec = postForm(t, h, path(rt.path), yes, admin, "same-origin")
			if n := records() - before; n != 1 {
				t.Fatalf("confirmed (answer %d): %d audit records, want exactly 1", rec.Code, n)
			}
			last, _, err := s.audit.Recent(1)
			if err != nil || last[0].Who != "ops@lab.test" || last[0].Action == "" || last[0].Result == "" {
				t.Errorf("record %+v (%v)", last, err)
			}
		})
	}
	if actions != 5 {
		t.Errorf("%d action routes walked, want 5", actions)
	}
	if actor.count() != 1 {
		t.Errorf("the node action ran %d times, want once (the confirmed request)", actor.count())
	}
}

// TestRouteCheck: the route table refuses an action route that could
// answer without the audited branch, and a handler-less route.
func TestRouteCheck(t *testing.T) {
	t.Parallel()
	h := func(echo.Context) error { return nil }
	act := func(echo.Context) (*actionWork, error) { return nil, nil }
	for _, tc := range []struct {
		rt route
		ok bool
	}{
		{route{http.MethodPost, "/a", action, nil, act}, true},
		{route{http.MethodGet, "/v", viewer, h, nil}, true},
		{route{http.MethodPost, "/a", action, h, nil}, false},
		{route{http.MethodPost, "/a", action, h, act}, false},
		{route{http.MethodGet, "/v", viewer, nil, act}, false},
		{route{http.MethodGet, "/p", public, nil, nil}, false},
	} {
		if err := tc.rt.check(); (err == nil) != tc.ok {
			t.Errorf("%s %s (%s): %v", tc.rt.method, tc.rt.path, tc.rt.access, err)
		}
	}
}
