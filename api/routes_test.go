package api

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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
