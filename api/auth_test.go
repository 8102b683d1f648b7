package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/adminconfig"
)

func accessConfig(iss *accessIssuer) *adminconfig.Config {
	return &adminconfig.Config{Auth: adminconfig.Auth{Mode: adminconfig.ModeAccess, TeamDomain: iss.URL, AUD: iss.AUD, Admins: []string{"ops@lab.test"}}}
}

// TestAccessAuthentication is the authentication table of the issue: every
// kind of bad token is refused, viewers may read, only admins may act.
func TestAccessAuthentication(t *testing.T) {
	iss := newAccessIssuer(t)
	s := newServer(t, accessConfig(iss), nil)
	h := s.Handler()
	for _, tc := range []struct {
		name   string
		header string // Cf-Access-Jwt-Assertion
		cookie string // CF_Authorization
		want   int
		role   string
	}{
		{name: "missing token", want: http.StatusUnauthorized},
		{name: "garbage", header: "not.a.jwt", want: http.StatusUnauthorized},
		{name: "alg none", header: iss.forged(t, "none"), want: http.StatusUnauthorized},
		{name: "HS256 signed with the public key", header: iss.forged(t, "HS256"), want: http.StatusUnauthorized},
		{name: "expired", header: iss.token(t, tokenOpts{email: "ops@lab.test", expires: time.Now().Add(-time.Minute)}), want: http.StatusUnauthorized},
		{name: "not yet valid", header: iss.token(t, tokenOpts{email: "ops@lab.test", notBefore: time.Now().Add(time.Hour)}), want: http.StatusUnauthorized},
		{name: "wrong issuer", header: iss.token(t, tokenOpts{email: "ops@lab.test", issuer: "https://evil.cloudflareaccess.com"}), want: http.StatusUnauthorized},
		{name: "wrong audience", header: iss.token(t, tokenOpts{email: "ops@lab.test", aud: "other-app"}), want: http.StatusUnauthorized},
		{name: "unknown kid", header: iss.token(t, tokenOpts{email: "ops@lab.test", key: iss.other, kid: "rotated-away"}), want: http.StatusUnauthorized},
		{name: "right kid, wrong key", header: iss.token(t, tokenOpts{email: "ops@lab.test", key: iss.other}), want: http.StatusUnauthorized},
		{name: "valid viewer", header: iss.token(t, tokenOpts{email: "guest@lab.test"}), want: http.StatusOK, role: "viewer"},
		{name: "valid admin", header: iss.token(t, tokenOpts{email: "OPS@lab.test"}), want: http.StatusOK, role: "admin"},
		{name: "valid admin by cookie", cookie: iss.token(t, tokenOpts{email: "ops@lab.test"}), want: http.StatusOK, role: "admin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.header != "" {
				hdr["Cf-Access-Jwt-Assertion"] = tc.header
			}
			if tc.cookie != "" {
				hdr["Cookie"] = "CF_Authorization=" + tc.cookie
			}
			rec := get(t, h, "/admin/", hdr)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, rec.Body.String())
			}
			if tc.role != "" && !strings.Contains(rec.Body.String(), `<span class="chip">`+tc.role+`</span>`) {
				t.Errorf("page does not show the %s role", tc.role)
			}
			if tc.want == http.StatusUnauthorized && strings.Contains(rec.Body.String(), "Control room") {
				t.Error("an unauthenticated answer shows the dashboard")
			}
		})
	}
}

func TestDevModeOnlyOnLoopback(t *testing.T) {
	for _, listen := range []string{"0.0.0.0:8443", "10.0.0.5:8443", ":8443"} {
		cfg := &adminconfig.Config{Listen: listen, Site: "..", StateDir: t.TempDir(), Auth: adminconfig.Auth{Mode: adminconfig.ModeDev}}
		if _, err := New(t.Context(), cfg, Options{Log: quietLog()}); err == nil || !strings.Contains(err.Error(), "only listens on loopback") {
			t.Errorf("dev mode on %s: %v", listen, err)
		}
	}
	s := newServer(t, &adminconfig.Config{Listen: "localhost:8443", Auth: adminconfig.Auth{Mode: adminconfig.ModeDev}}, nil)
	rec := get(t, s.Handler(), "/admin/", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Development mode") {
		t.Errorf("dev mode page: %d, banner present: %v", rec.Code, strings.Contains(rec.Body.String(), "Development mode"))
	}
}
