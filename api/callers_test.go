package api

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/live"
)

// TestHostAllowlist sends every kind of Host to every kind of route, per
// auth mode: a name not on the list gets 421 before routing, even
// /healthz; a name on it reaches the route, whatever it answers.
func TestHostAllowlist(t *testing.T) {
	iss := newAccessIssuer(t)
	access := accessConfig(iss)
	access.Listen = "127.0.0.1:8443"
	access.Hostnames = []string{"admin.example.dev"}
	servers := map[string]*Server{
		"dev":    newServer(t, &adminconfig.Config{Listen: "127.0.0.1:8443", Auth: adminconfig.Auth{Mode: adminconfig.ModeDev}}, nil),
		"access": newServer(t, access, nil),
	}
	cases := []struct {
		host        string
		dev, access bool // answered (not 421)
	}{
		{"evil.example", false, false},
		{"evil.example:8080", false, false},
		{"evil.example:8443", false, false},
		{"127.0.0.1.evil.example", false, false},
		{"127.0.0.1.evil.example:8443", false, false},
		{"localhost.evil.example", false, false},
		{"admin.example.dev.evil.example", false, false},
		{"", false, false},
		{"localhost", true, true},
		{"localhost:8443", true, true},
		{"LOCALHOST:8443", true, true},
		{"localhost.:8443", true, true},
		{"127.0.0.1:8443", true, true},
		{"127.0.0.1", true, true},
		{"127.0.0.2:8443", true, true},
		{"[::1]:8443", true, true},
		{"admin.example.dev", false, true},
		{"ADMIN.EXAMPLE.DEV", false, true},
		{"admin.example.dev.", false, true},
		{"10.0.0.5:8443", false, false},
	}
	routes := []struct{ method, path string }{
		{http.MethodGet, "/healthz"},
		{http.MethodGet, "/readyz"},
		{http.MethodGet, "/metrics"},
		{http.MethodGet, "/api/v1/status"},
		{http.MethodGet, "/admin/"},
		{http.MethodGet, "/api/v1/snapshot"},
		{http.MethodGet, "/no/such/page"},
		{http.MethodPost, "/admin/content/promote"},
	}
	for _, tc := range cases {
		for mode, s := range servers {
			want := map[string]bool{"dev": tc.dev, "access": tc.access}[mode]
			for _, rt := range routes {
				req := httptest.NewRequest(rt.method, rt.path, nil)
				req.Host = tc.host
				rec := httptest.NewRecorder()
				s.Handler().ServeHTTP(rec, req)
				if got := rec.Code != http.StatusMisdirectedRequest; got != want {
					t.Errorf("%s mode, Host %q, %s %s: %d, want answered %v", mode, tc.host, rt.method, rt.path, rec.Code, want)
				}
			}
		}
	}
}

// TestDNSRebinding is the red team's attack on dev mode: after a
// rebinding, the attacker's page reads the dashboard and the snapshot and
// posts a promotion with its own name in Host and Origin and
// Sec-Fetch-Site: same-origin, which the cross-origin check believes.
func TestDNSRebinding(t *testing.T) {
	site := gitSite(t)
	withRemote(t, site)
	s := newServer(t, &adminconfig.Config{Site: site, Listen: "127.0.0.1:8080", Auth: adminconfig.Auth{Mode: adminconfig.ModeDev}}, nil)
	h := s.Handler()
	head := gitCmd(t, site, "rev-parse", "HEAD")
	before := tree(t, site)
	evil := map[string]string{"Origin": "http://evil.example:8080", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}
	for _, path := range []string{"/admin/", "/api/v1/snapshot", "/admin/audit"} {
		req := httptest.NewRequest(http.MethodGet, "http://evil.example:8080"+path, nil)
		for k, v := range evil {
			req.Header.Set(k, v)
		}
		rec := serve(h, req)
		if rec.Code != http.StatusMisdirectedRequest || strings.Contains(rec.Body.String(), "labfront") {
			t.Errorf("rebound GET %s: %d %.80q", path, rec.Code, rec.Body.String())
		}
	}
	req := promoteReq(promoteForm(seedInbox), evil)
	req.Host = "evil.example:8080"
	if rec := serve(h, req); rec.Code != http.StatusMisdirectedRequest {
		t.Errorf("rebound POST /admin/content/promote: %d %s", rec.Code, rec.Body.String())
	}
	sameTree(t, before, tree(t, site))
	if got := gitCmd(t, site, "rev-parse", "HEAD"); got != head {
		t.Error("the rebound promotion made a commit")
	}
	if n := auditCount(t, s); n != 0 {
		t.Errorf("the refused request wrote %d audit records", n)
	}
	// The same post under the server's own address goes through: only the
	// Host refused the one above.
	req = promoteReq(promoteForm(seedInbox), map[string]string{"Origin": "http://127.0.0.1:8080"})
	req.Host = "127.0.0.1:8080"
	if rec := serve(h, req); rec.Code == http.StatusMisdirectedRequest || rec.Code >= 400 {
		t.Errorf("POST under the listen address: %d %s", rec.Code, rec.Body.String())
	}
	if got := gitCmd(t, site, "rev-parse", "HEAD"); got == head {
		t.Error("the promotion under the listen address made no commit")
	}
}

// The source is named after a private node; the lab has never answered,
// so it is in a banner, in /metrics' labels and on /readyz's waiting list
// for insiders.
const privateSource = "pve-secret-vault"

// TestAnonymousSeesNoSourceNames walks the public answers as each kind of
// caller: an anonymous visitor through the tunnel (loopback address,
// cloudflared's headers), an anonymous client elsewhere, a direct
// loopback client (a local Prometheus) and a signed-in user through the
// tunnel. Anonymous answers name no source and show neither the admin
// navigation nor banners.
func TestAnonymousSeesNoSourceNames(t *testing.T) {
	iss := newAccessIssuer(t)
	cfg := accessConfig(iss)
	cfg.Hostnames = []string{"admin.example.dev"}
	cfg.MetricsToken = "metrics-token-0123456789"
	cfg.Sources = []live.Source{
		{Name: privateSource, Type: "proxmox", Interval: time.Minute, Timeout: time.Second},
		{Name: "tailnet-of-bob", Type: "probe", Interval: time.Minute, Timeout: time.Second},
		{Name: "probes-bob", Type: "probe", Interval: time.Minute, Timeout: time.Second},
	}
	down := &stubCollector{err: errors.New("connection refused")}
	s := newServer(t, cfg, map[string]live.Collector{privateSource: down, "tailnet-of-bob": down, "probes-bob": down})
	// One failed collection each: the metrics then carry every source's
	// name as a label, and the banners say they are unreachable.
	for _, src := range cfg.Sources {
		if err := s.poller().Once(t.Context(), src, down); err == nil {
			t.Fatal("want an error")
		}
	}
	h := s.Handler()
	tunnel := map[string]string{"Cf-Ray": "8f00000000000000-AMS", "Cf-Connecting-Ip": "203.0.113.9", "X-Forwarded-For": "203.0.113.9", "Cf-Visitor": `{"scheme":"https"}`, "X-Forwarded-Proto": "https"}
	token := iss.token(t, tokenOpts{email: "guest@lab.test"})
	callers := []struct {
		name    string
		remote  string
		header  map[string]string
		insider bool
	}{
		{"anonymous via tunnel", "127.0.0.1:51000", tunnel, false},
		{"anonymous via tunnel without visitor IP headers", "127.0.0.1:51000", map[string]string{"Cf-Ray": "8f00000000000000-AMS"}, false},
		{"anonymous, forwarded by some proxy", "127.0.0.1:51000", map[string]string{"Forwarded": "for=203.0.113.9"}, false},
		{"anonymous elsewhere", "192.0.2.7:51000", nil, false},
		{"wrong metrics token", "192.0.2.7:51000", map[string]string{"Authorization": "Bearer metrics-token-wrong"}, false},
		{"direct loopback", "127.0.0.1:51000", nil, true},
		{"direct loopback over IPv6", "[::1]:51000", nil, true},
		{"signed in via tunnel", "127.0.0.1:51000", merge(tunnel, map[string]string{"Cf-Access-Jwt-Assertion": token}), true},
	}
	public := []string{"/healthz", "/readyz", "/metrics", "/api/v1/status", "/admin/", "/admin/nodes/pve-io", "/api/v1/snapshot", "/no/such/page", "/assets/nothing.css"}
	for _, c := range callers {
		for _, path := range public {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Host = "admin.example.dev"
			req.RemoteAddr = c.remote
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body := rec.Body.String()
			if c.insider {
				continue
			}
			for _, leak := range []string{privateSource, "tailnet-of-bob", "probes-bob", `href="/admin/audit"`, `href="/admin/nodes"`, `class="banner b-`, "unreachable since", "/admin/events", `aria-label="Admin"`, `class="whoami"`} {
				if strings.Contains(body, leak) {
					t.Errorf("%s, %s (%d): the answer contains %q", c.name, path, rec.Code, leak)
				}
			}
		}
	}
	// Insiders get the details.
	for _, c := range callers {
		if !c.insider {
			continue
		}
		for path, want := range map[string]string{"/readyz": "waiting for: " + privateSource, "/metrics": `source="` + privateSource + `"`} {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Host = "admin.example.dev"
			req.RemoteAddr = c.remote
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if path == "/metrics" && rec.Code != http.StatusOK {
				t.Errorf("%s, /metrics: %d", c.name, rec.Code)
			}
			if !strings.Contains(rec.Body.String(), want) {
				t.Errorf("%s, %s: %d %.200q lacks %q", c.name, path, rec.Code, rec.Body.String(), want)
			}
		}
	}
	// The signed-in user's pages keep the frame and the banners.
	rec := get(t, h, "/admin/", map[string]string{"Cf-Access-Jwt-Assertion": token})
	if body := rec.Body.String(); rec.Code != http.StatusOK || !strings.Contains(body, `href="/admin/audit"`) || !strings.Contains(body, privateSource+" unreachable since") {
		t.Errorf("signed in /admin/: %d, frame or banner missing", rec.Code)
	}
	// So does a signed-in user's 404 on a path no route matches.
	rec = get(t, h, "/no/such/page", map[string]string{"Cf-Access-Jwt-Assertion": token})
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `href="/admin/audit"`) {
		t.Errorf("signed in 404: %d, no navigation", rec.Code)
	}
	// The public status names sources by type only, the same for all.
	rec = get(t, h, "/api/v1/status", nil)
	if body := rec.Body.String(); !strings.Contains(body, `"name":"proxmox"`) || !strings.Contains(body, `"name":"probe 2"`) {
		t.Errorf("/api/v1/status sources: %s", body)
	}
	// Anonymous /readyz still says how many are missing, for the probe.
	rec = get(t, h, "/readyz", nil)
	if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != "waiting for 3 of 3 sources\n" {
		t.Errorf("anonymous /readyz: %d %q", rec.Code, rec.Body.String())
	}
}

// TestMetricsToken: a scraper that is neither on loopback nor signed in
// reads /metrics with the configured bearer token, and only with it.
func TestMetricsToken(t *testing.T) {
	iss := newAccessIssuer(t)
	cfg := accessConfig(iss)
	cfg.MetricsToken = "metrics-token-0123456789"
	s := newServer(t, cfg, nil)
	for _, tc := range []struct {
		auth string
		want int
	}{
		{"", http.StatusForbidden},
		{"Bearer metrics-token-0123456789", http.StatusOK},
		{"bearer metrics-token-0123456789", http.StatusForbidden},
		{"Bearer metrics-token-012345678", http.StatusForbidden},
		{"Bearer metrics-token-01234567890", http.StatusForbidden},
		{"Basic bWV0cmljczp4", http.StatusForbidden},
	} {
		rec := get(t, s.Handler(), "/metrics", map[string]string{"Authorization": tc.auth})
		if rec.Code != tc.want {
			t.Errorf("Authorization %q: %d, want %d", tc.auth, rec.Code, tc.want)
		}
	}
	// Without a configured token, no bearer value opens it.
	plain := newServer(t, accessConfig(iss), nil)
	if rec := get(t, plain.Handler(), "/metrics", map[string]string{"Authorization": "Bearer "}); rec.Code != http.StatusForbidden {
		t.Errorf("empty token without metrics_token_env: %d", rec.Code)
	}
}

// TestHSTS: Strict-Transport-Security goes out when the browser came over
// HTTPS — TLS on this server, or the scheme cloudflared reports from
// loopback — and never on plain HTTP or on a scheme header from elsewhere.
func TestHSTS(t *testing.T) {
	s := newServer(t, &adminconfig.Config{Auth: adminconfig.Auth{Mode: adminconfig.ModeDev}}, nil)
	for _, tc := range []struct {
		name   string
		remote string
		tls    bool
		header map[string]string
		want   bool
	}{
		{"plain http", "127.0.0.1:5000", false, nil, false},
		{"tls", "192.0.2.1:5000", true, nil, true},
		{"tunnel, X-Forwarded-Proto", "127.0.0.1:5000", false, map[string]string{"X-Forwarded-Proto": "https"}, true},
		{"tunnel, Cf-Visitor", "127.0.0.1:5000", false, map[string]string{"Cf-Visitor": `{"scheme":"https"}`}, true},
		{"tunnel, plain visitor", "127.0.0.1:5000", false, map[string]string{"X-Forwarded-Proto": "http", "Cf-Visitor": `{"scheme":"http"}`}, false},
		{"scheme header off loopback", "192.0.2.1:5000", false, map[string]string{"X-Forwarded-Proto": "https", "Cf-Visitor": `{"scheme":"https"}`}, false},
	} {
		for _, path := range []string{"/admin/", "/healthz", "/no/such/page"} {
			req := newRequest(http.MethodGet, path, nil)
			req.RemoteAddr = tc.remote
			if tc.tls {
				req.TLS = &tls.ConnectionState{}
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			got := rec.Header().Get("Strict-Transport-Security")
			if (got != "") != tc.want || (tc.want && got != "max-age=31536000") {
				t.Errorf("%s, %s: Strict-Transport-Security %q, want sent %v", tc.name, path, got, tc.want)
			}
		}
	}
}

// TestDevHostnamesRefused: dev mode cannot be given public names, even
// from code: it has no authentication.
func TestDevHostnamesRefused(t *testing.T) {
	cfg := &adminconfig.Config{Listen: "127.0.0.1:0", Site: "..", StateDir: t.TempDir(), Auth: adminconfig.Auth{Mode: adminconfig.ModeDev}, Hostnames: []string{"admin.example.dev"}}
	if _, err := New(t.Context(), cfg, Options{Log: quietLog()}); err == nil || !strings.Contains(err.Error(), "hostnames") {
		t.Errorf("dev mode with hostnames: %v", err)
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
