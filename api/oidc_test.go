package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/testkit/oidctest"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

// The OIDC login is tested against a real provider (internal/oidctest,
// zitadel's op) over HTTP; a cookie-keeping http.Client plays the browser.

const (
	oidcTestClientID   = "labfront-admin"
	oidcTestSecret     = "client-secret-for-tests"
	oidcTestSessionKey = "0123456789abcdef0123456789abcdef-test"
)

func oidcTestUsers() []oidctest.User {
	return []oidctest.User{
		{ID: "u-ops", Email: "ops@lab.test", Name: "Ops Person", Password: "correct horse", EmailVerified: true},
		{ID: "u-guest", Email: "guest@lab.test", Name: "Guest", Password: "guest password", EmailVerified: true},
		{ID: "u-mallory", Email: "mallory@lab.test", Name: "Mallory", Password: "mallory password"},
	}
}

// oidcClock is the server's clock, for cookie expiry.
type oidcClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *oidcClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *oidcClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// oidcEnv is a provider and an admin server that signs in through it.
type oidcEnv struct {
	idp   *oidctest.Provider
	srv   *Server
	auth  *oidcAuth
	url   string // the admin server, http://127.0.0.1:PORT
	cfg   *adminconfig.Config
	clock *oidcClock
	logs  *sitetest.SyncBuffer
}

type oidcEnvOpts struct {
	claimsInIDToken bool
	sessionKey      string
}

func newOIDCEnv(t *testing.T, o oidcEnvOpts) *oidcEnv {
	t.Helper()
	idp := oidctest.Start(t, oidctest.Options{ClientID: oidcTestClientID, ClientSecret: oidcTestSecret, Users: oidcTestUsers(), ClaimsInIDToken: o.claimsInIDToken})
	if o.sessionKey == "" {
		o.sessionKey = oidcTestSessionKey
	}
	e := &oidcEnv{idp: idp, cfg: oidcTestConfig(t, idp, o.sessionKey), clock: &oidcClock{t: time.Now()}, logs: &sitetest.SyncBuffer{}}
	srv, err := New(t.Context(), e.cfg, Options{
		Static: static.FS(), Islands: web.Islands(), Now: e.clock.now,
		Log: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv, e.auth = srv, srv.auth.(*oidcAuth)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e.url = ts.URL
	idp.AllowRedirect(ts.URL + callbackPath)
	return e
}

func oidcTestConfig(t *testing.T, idp *oidctest.Provider, key string) *adminconfig.Config {
	return &adminconfig.Config{
		Listen: "127.0.0.1:0", Site: "..", StateDir: t.TempDir(),
		// The public names the tests use; example.com is httptest's default Host.
		Hostnames: []string{"admin.lab.test", "example.com"},
		Auth: adminconfig.Auth{
			Mode: adminconfig.ModeOIDC, Issuer: idp.Issuer, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret,
			SessionKey: key, Admins: []string{"ops@lab.test"},
		},
	}
}

// oidcBrowser keeps cookies and follows redirects, except into the admin
// server's callback, where a test may look or tamper first.
type oidcBrowser struct {
	*http.Client
	jar     *cookiejar.Jar
	visited []*url.URL
}

func (e *oidcEnv) browser(t *testing.T) *oidcBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &oidcBrowser{jar: jar}
	b.Client = &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		b.visited = append(b.visited, req.URL)
		if req.URL.Path == callbackPath {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

// noFollow sends one request with the browser's cookies.
func (b *oidcBrowser) noFollow(t *testing.T, method, u string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{Jar: b.jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	oidcReadBody(t, resp)
	return resp
}

func (b *oidcBrowser) cookie(t *testing.T, site, name string) string {
	t.Helper()
	u, err := url.Parse(site)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// oidcReadBody reads and closes the body, and puts it back for later reads.
func oidcReadBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Fatal(err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return string(data)
}

var idpRequestID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// toProviderForm opens path on the admin server and follows it to the
// provider's login form; it returns the form's request id.
func (e *oidcEnv) toProviderForm(t *testing.T, b *oidcBrowser, path string) string {
	t.Helper()
	resp, err := b.Get(e.url + path)
	if err != nil {
		t.Fatal(err)
	}
	body := oidcReadBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.String(), e.idp.Issuer+"/login") {
		t.Fatalf("%s led to %s (%d), want the provider's login form:\n%s", path, resp.Request.URL, resp.StatusCode, body)
	}
	m := idpRequestID.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no request id in the provider's form:\n%s", body)
	}
	return m[1]
}

// signIn posts the provider's form and returns where the provider sends
// the browser back to: the admin server's callback, not yet followed.
func (e *oidcEnv) signIn(t *testing.T, b *oidcBrowser, id, email, password string) *url.URL {
	t.Helper()
	resp, err := b.PostForm(e.idp.Issuer+"/login", url.Values{"id": {id}, "username": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	body := oidcReadBody(t, resp)
	loc, err := resp.Location()
	if err != nil || loc.Path != callbackPath {
		t.Fatalf("provider answered %d, Location %v, want a redirect to the callback:\n%s", resp.StatusCode, loc, body)
	}
	return loc
}

// startLogin runs a login up to the callback.
func (e *oidcEnv) startLogin(t *testing.T, b *oidcBrowser, path, email, password string) *url.URL {
	t.Helper()
	return e.signIn(t, b, e.toProviderForm(t, b, path), email, password)
}

func oidcFindCookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestOIDCLogin(t *testing.T) {
	for _, tc := range []struct {
		name            string
		claimsInIDToken bool
	}{
		{"claims from userinfo", false},
		{"claims in the ID token", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newOIDCEnv(t, oidcEnvOpts{claimsInIDToken: tc.claimsInIDToken})
			b := e.browser(t)
			callback := e.startLogin(t, b, "/admin/audit?x=1", "ops@lab.test", "correct horse")

			// The authorization request used code flow, S256 PKCE, state
			// and nonce, and the callback on the request's own host.
			var authz *url.URL
			for _, u := range b.visited {
				if strings.HasPrefix(u.String(), e.idp.Issuer+"/authorize?") {
					authz = u
				}
			}
			if authz == nil {
				t.Fatalf("no authorization request among %v", b.visited)
			}
			q := authz.Query()
			for k, want := range map[string]string{
				"response_type": "code", "client_id": oidcTestClientID, "code_challenge_method": "S256",
				"redirect_uri": e.url + callbackPath, "scope": "openid email profile",
			} {
				if got := q.Get(k); got != want {
					t.Errorf("authorization request %s = %q, want %q", k, got, want)
				}
			}
			for _, k := range []string{"state", "nonce", "code_challenge"} {
				if len(q.Get(k)) < 20 {
					t.Errorf("authorization request %s = %q, want a random value", k, q.Get(k))
				}
			}
			if q.Has("prompt") {
				t.Errorf("a first login asks for prompt=%s", q.Get("prompt"))
			}
			if callback.Query().Get("state") != q.Get("state") {
				t.Error("the provider did not return the state")
			}

			loginValue := b.cookie(t, e.url, loginCookie)
			resp := b.noFollow(t, http.MethodGet, callback.String(), nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/audit?x=1" {
				t.Fatalf("callback: %d to %q, want 303 to /admin/audit?x=1: %s", resp.StatusCode, resp.Header.Get("Location"), oidcReadBody(t, resp))
			}
			sess := oidcFindCookie(resp, sessionCookie)
			if sess == nil {
				t.Fatal("callback set no session cookie")
			}
			if !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.Secure {
				t.Errorf("session cookie: HttpOnly %v, SameSite %v, Path %q, Secure %v; want HttpOnly, Lax, /, not Secure on loopback http", sess.HttpOnly, sess.SameSite, sess.Path, sess.Secure)
			}
			if sess.MaxAge != int(sessionTTL.Seconds()) {
				t.Errorf("session cookie Max-Age = %d", sess.MaxAge)
			}
			if strings.Contains(sess.Value, "ops@lab.test") {
				t.Error("the session cookie shows the email in clear")
			}
			if c := oidcFindCookie(resp, loginCookie); c == nil || c.MaxAge >= 0 {
				t.Error("the callback did not delete the login cookie")
			}

			page, err := b.Get(e.url + "/admin/")
			if err != nil {
				t.Fatal(err)
			}
			body := oidcReadBody(t, page)
			if page.StatusCode != http.StatusOK || !strings.Contains(body, "Control room") || !strings.Contains(body, "ops@lab.test") || !strings.Contains(body, `<span class="chip">admin</span>`) {
				t.Errorf("dashboard after login: %d, shows the admin: %v", page.StatusCode, strings.Contains(body, `<span class="chip">admin</span>`))
			}

			logs := e.logs.String()
			for what, secret := range map[string]string{
				"code": callback.Query().Get("code"), "state": q.Get("state"), "nonce": q.Get("nonce"),
				"login cookie": loginValue, "session cookie": sess.Value, "client secret": oidcTestSecret,
			} {
				if secret == "" || strings.Contains(logs, secret) {
					t.Errorf("the %s (%q) is empty or in the log", what, secret)
				}
			}
			if strings.Contains(logs, "eyJ") {
				t.Error("the log holds something like a JWT")
			}
		})
	}
}

func TestOIDCViewerAndUnverifiedEmail(t *testing.T) {
	e := newOIDCEnv(t, oidcEnvOpts{})

	b := e.browser(t)
	resp := b.noFollow(t, http.MethodGet, e.startLogin(t, b, "/admin/", "guest@lab.test", "guest password").String(), nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("guest callback: %d", resp.StatusCode)
	}
	page := b.noFollow(t, http.MethodGet, e.url+"/admin/", nil)
	if body := oidcReadBody(t, page); page.StatusCode != http.StatusOK || !strings.Contains(body, `<span class="chip">viewer</span>`) {
		t.Errorf("guest dashboard: %d, viewer chip: %v", page.StatusCode, strings.Contains(body, `<span class="chip">viewer</span>`))
	}
	act := b.noFollow(t, http.MethodPost, e.url+"/admin/nodes/pve-io/actions/refresh", map[string]string{"Sec-Fetch-Site": "same-origin"})
	if act.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer's action answered %d, want 403", act.StatusCode)
	}

	b = e.browser(t)
	resp = b.noFollow(t, http.MethodGet, e.startLogin(t, b, "/admin/", "mallory@lab.test", "mallory password").String(), nil)
	if resp.StatusCode != http.StatusForbidden || oidcFindCookie(resp, sessionCookie) != nil {
		t.Errorf("unverified email: %d, session cookie set: %v; want 403 and none", resp.StatusCode, oidcFindCookie(resp, sessionCookie) != nil)
	}
}

// TestOIDCCallbackRefusals: every way a callback can be wrong ends without
// a session.
func TestOIDCCallbackRefusals(t *testing.T) {
	e := newOIDCEnv(t, oidcEnvOpts{})
	// reseal changes the login in flight as only someone with the key could.
	reseal := func(t *testing.T, value string, change func(*loginFlow)) string {
		t.Helper()
		var fl loginFlow
		if err := e.auth.seal.open(loginCookie, value, &fl); err != nil {
			t.Fatal(err)
		}
		change(&fl)
		v, err := e.auth.seal.seal(loginCookie, fl, e.clock.now().Add(loginTTL))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name string
		// prepare returns the callback URL and the login cookie to send.
		prepare func(t *testing.T, callback *url.URL, login string) (string, string)
		want    int
	}{
		{"no login cookie", func(t *testing.T, cb *url.URL, _ string) (string, string) { return cb.String(), "" }, http.StatusBadRequest},
		{"tampered login cookie", func(t *testing.T, cb *url.URL, login string) (string, string) {
			return cb.String(), oidcFlipChar(login, len(login)/2)
		}, http.StatusBadRequest},
		{"expired login cookie", func(t *testing.T, cb *url.URL, login string) (string, string) {
			e.clock.add(loginTTL + time.Second)
			t.Cleanup(func() { e.clock.add(-loginTTL - time.Second) })
			return cb.String(), login
		}, http.StatusBadRequest},
		{"state mismatch", func(t *testing.T, cb *url.URL, login string) (string, string) {
			return oidcWithQuery(cb, "state", "forged-state"), login
		}, http.StatusBadRequest},
		{"state missing", func(t *testing.T, cb *url.URL, login string) (string, string) {
			return oidcWithQuery(cb, "state", ""), login
		}, http.StatusBadRequest},
		{"code missing", func(t *testing.T, cb *url.URL, login string) (string, string) {
			return oidcWithQuery(cb, "code", ""), login
		}, http.StatusBadRequest},
		{"provider error", func(t *testing.T, cb *url.URL, login string) (string, string) {
			return oidcWithQuery(oidcParseURL(t, oidcWithQuery(cb, "code", "")), "error", "access_denied"), login
		}, http.StatusUnauthorized},
		{"forged code", func(t *testing.T, cb *url.URL, login string) (string, string) {
			return oidcWithQuery(cb, "code", "not-a-code"), login
		}, http.StatusUnauthorized},
		{"wrong PKCE verifier", func(t *testing.T, cb *url.URL, login string) (string, string) {
			return cb.String(), reseal(t, login, func(fl *loginFlow) { fl.Verifier = "a-different-verifier-a-different-verifier-0123" })
		}, http.StatusUnauthorized},
		{"missing PKCE verifier", func(t *testing.T, cb *url.URL, login string) (string, string) {
			return cb.String(), reseal(t, login, func(fl *loginFlow) { fl.Verifier = "" })
		}, http.StatusUnauthorized},
		{"nonce mismatch", func(t *testing.T, cb *url.URL, login string) (string, string) {
			return cb.String(), reseal(t, login, func(fl *loginFlow) { fl.Nonce = "another-nonce" })
		}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := e.browser(t)
			callback := e.startLogin(t, b, "/admin/", "ops@lab.test", "correct horse")
			u, login := tc.prepare(t, callback, b.cookie(t, e.url, loginCookie))
			resp := oidcCallback(t, u, login)
			if resp.StatusCode != tc.want {
				t.Errorf("callback answered %d, want %d: %s", resp.StatusCode, tc.want, oidcReadBody(t, resp))
			}
			if c := oidcFindCookie(resp, sessionCookie); c != nil && c.MaxAge >= 0 {
				t.Error("a refused callback set a session cookie")
			}
			if c := oidcFindCookie(resp, loginCookie); c == nil || c.MaxAge >= 0 {
				t.Error("a refused callback left the login cookie")
			}
			if strings.Contains(oidcReadBody(t, resp), "Control room") {
				t.Error("a refused callback shows the dashboard")
			}
		})
	}

	t.Run("code replay", func(t *testing.T) {
		b := e.browser(t)
		callback := e.startLogin(t, b, "/admin/", "ops@lab.test", "correct horse")
		login := b.cookie(t, e.url, loginCookie)
		if resp := oidcCallback(t, callback.String(), login); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("first use: %d", resp.StatusCode)
		}
		if resp := oidcCallback(t, callback.String(), login); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("second use of the code and login cookie: %d, want 401", resp.StatusCode)
		}
	})
}

func oidcWithQuery(u *url.URL, k, v string) string {
	c := *u
	q := c.Query()
	if v == "" {
		q.Del(k)
	} else {
		q.Set(k, v)
	}
	c.RawQuery = q.Encode()
	return c.String()
}

func oidcParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func oidcFlipChar(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// oidcCallback calls the callback with only the given login cookie.
func oidcCallback(t *testing.T, u, login string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if login != "" {
		req.AddCookie(&http.Cookie{Name: loginCookie, Value: login})
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	oidcReadBody(t, resp)
	return resp
}

func TestOIDCSessionCookie(t *testing.T) {
	e := newOIDCEnv(t, oidcEnvOpts{})
	h := e.srv.Handler()
	sealWith := func(t *testing.T, s *sealer, name string, v any, ttl time.Duration) string {
		t.Helper()
		val, err := s.seal(name, v, e.clock.now().Add(ttl))
		if err != nil {
			t.Fatal(err)
		}
		return val
	}
	ops := oidcSession{ID: "session-1", Issued: e.clock.now().Unix(), Email: "ops@lab.test"}
	good := sealWith(t, e.auth.seal, sessionCookie, ops, time.Hour)
	other, err := newSealer(bytes.Repeat([]byte{7}, 32), e.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, host, cookie, value string
		ok                        bool
	}{
		{name: "valid", cookie: sessionCookie, value: good, ok: true},
		{name: "no cookie"},
		{name: "empty", cookie: sessionCookie},
		{name: "tampered", cookie: sessionCookie, value: oidcFlipChar(good, len(good)/2)},
		{name: "truncated", cookie: sessionCookie, value: good[:len(good)-4]},
		{name: "not base64", cookie: sessionCookie, value: "%%%"},
		{name: "expired", cookie: sessionCookie, value: sealWith(t, e.auth.seal, sessionCookie, ops, -time.Second)},
		{name: "another key", cookie: sessionCookie, value: sealWith(t, other, sessionCookie, ops, time.Hour)},
		{name: "a login cookie as session", cookie: sessionCookie, value: sealWith(t, e.auth.seal, loginCookie, ops, time.Hour)},
		// A session sealed before sessions had ids could never be signed out.
		{name: "no session id", cookie: sessionCookie, value: sealWith(t, e.auth.seal, sessionCookie, oidcSession{Email: "ops@lab.test"}, time.Hour)},
		{name: "https host, __Host- name", host: "admin.lab.test", cookie: "__Host-" + sessionCookie, value: good, ok: true},
		{name: "https host, plain name", host: "admin.lab.test", cookie: sessionCookie, value: good},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/admin/", nil)
			req.Host = "127.0.0.1:8443"
			if tc.host != "" {
				req.Host = tc.host
			}
			if tc.cookie != "" {
				req.AddCookie(&http.Cookie{Name: tc.cookie, Value: tc.value})
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if tc.ok {
				if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "ops@lab.test") {
					t.Errorf("status %d, want the dashboard", rec.Code)
				}
				return
			}
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/auth/login?next=%2Fadmin%2F" {
				t.Errorf("status %d to %q, want 303 to the login", rec.Code, rec.Header().Get("Location"))
			}
		})
	}
	if logs := e.logs.String(); strings.Contains(logs, good) {
		t.Error("a session cookie value is in the log")
	}

	t.Run("an API request gets 401, not a redirect", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/snapshot", nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("status %d", rec.Code)
		}
	})

	t.Run("12 hours later the session is over", func(t *testing.T) {
		b := e.browser(t)
		if resp := b.noFollow(t, http.MethodGet, e.startLogin(t, b, "/admin/", "ops@lab.test", "correct horse").String(), nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("callback: %d", resp.StatusCode)
		}
		if resp := b.noFollow(t, http.MethodGet, e.url+"/admin/", nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("signed in: %d", resp.StatusCode)
		}
		e.clock.add(sessionTTL)
		defer e.clock.add(-sessionTTL)
		if resp := b.noFollow(t, http.MethodGet, e.url+"/admin/", nil); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("after %v: %d, want a redirect to the login", sessionTTL, resp.StatusCode)
		}
	})
}

// TestOIDCBehindTunnel: on a public host the callback is https and the
// cookies are Secure with the __Host- prefix.
func TestOIDCBehindTunnel(t *testing.T) {
	e := newOIDCEnv(t, oidcEnvOpts{})
	req := httptest.NewRequest(http.MethodGet, "/auth/login?next=/admin/topology", nil)
	req.Host = "admin.lab.test"
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("login: %d", rec.Code)
	}
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Query().Get("redirect_uri"); got != "https://admin.lab.test/auth/callback" {
		t.Errorf("redirect_uri = %q", got)
	}
	c := oidcFindCookie(&http.Response{Header: rec.Header()}, "__Host-"+loginCookie)
	if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Fatalf("login cookie = %+v, want __Host-, Secure, HttpOnly, Lax, Path=/", c)
	}
	var fl loginFlow
	if err := e.auth.seal.open(loginCookie, c.Value, &fl); err != nil {
		t.Fatal(err)
	}
	if fl.Next != "/admin/topology" || fl.Redirect != "https://admin.lab.test/auth/callback" || fl.Verifier == "" {
		t.Errorf("login in flight = %+v", fl)
	}

	req = httptest.NewRequest(http.MethodGet, "/auth/login", nil)
	req.Host = "admin.lab.test/evil?"
	rec = httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	// The Host allowlist refuses it before the login handler sees it.
	if rec.Code != http.StatusMisdirectedRequest {
		t.Errorf("a malformed Host: %d, want 421", rec.Code)
	}
}

func TestOIDCLogout(t *testing.T) {
	e := newOIDCEnv(t, oidcEnvOpts{})
	b := e.browser(t)
	if resp := b.noFollow(t, http.MethodGet, e.startLogin(t, b, "/admin/", "ops@lab.test", "correct horse").String(), nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	if e.idp.Logins() != 1 {
		t.Fatalf("provider logins = %d", e.idp.Logins())
	}

	for name, hdr := range map[string]map[string]string{
		"cross-site fetch":        {"Sec-Fetch-Site": "cross-site"},
		"foreign Origin":          {"Origin": "http://evil.test"},
		"same-site, other origin": {"Sec-Fetch-Site": "same-site"},
	} {
		resp := b.noFollow(t, http.MethodPost, e.url+"/auth/logout", hdr)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s logout: %d, want 403", name, resp.StatusCode)
		}
	}
	if resp := b.noFollow(t, http.MethodGet, e.url+"/admin/", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("a refused logout signed the user out: %d", resp.StatusCode)
	}
	// GET only shows a page, with a sign-out form while signed in.
	page := b.noFollow(t, http.MethodGet, e.url+"/auth/logout", nil)
	if body := oidcReadBody(t, page); page.StatusCode != http.StatusOK || !strings.Contains(body, `<form method="post" action="/auth/logout">`) || !strings.Contains(body, "ops@lab.test") {
		t.Errorf("GET /auth/logout signed in: %d\n%s", page.StatusCode, body)
	}
	if resp := b.noFollow(t, http.MethodGet, e.url+"/admin/", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /auth/logout signed the user out: %d", resp.StatusCode)
	}

	resp := b.noFollow(t, http.MethodPost, e.url+"/auth/logout", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": e.url})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/auth/logout" {
		t.Fatalf("logout: %d to %q, want 303 to /auth/logout", resp.StatusCode, resp.Header.Get("Location"))
	}
	if c := oidcFindCookie(resp, sessionCookie); c == nil || c.MaxAge >= 0 {
		t.Error("logout did not delete the session cookie")
	}
	page = b.noFollow(t, http.MethodGet, e.url+"/auth/logout", nil)
	if body := oidcReadBody(t, page); page.StatusCode != http.StatusOK || !strings.Contains(body, "Signed out") || strings.Contains(body, "ops@lab.test") {
		t.Errorf("GET /auth/logout signed out: %d\n%s", page.StatusCode, body)
	}
	if resp := b.noFollow(t, http.MethodGet, e.url+"/admin/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after logout /admin/ answered %d, want a redirect to the login", resp.StatusCode)
	}

	// The provider still has its session; the next login must ask for the
	// password all the same (prompt=login), else sign-out would not stick.
	b.visited = nil
	id := e.toProviderForm(t, b, "/admin/")
	if !visitedWithPrompt(b, e.idp.Issuer, "login") {
		t.Errorf("the login after a logout does not ask for prompt=login: %v", b.visited)
	}
	if resp := b.noFollow(t, http.MethodGet, e.signIn(t, b, id, "ops@lab.test", "correct horse").String(), nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second callback: %d", resp.StatusCode)
	}
	if e.idp.Logins() != 2 {
		t.Errorf("provider password logins = %d, want 2", e.idp.Logins())
	}

	// Without a logout in between, the provider's single sign-on applies.
	b.jar.SetCookies(oidcParseURL(t, e.url), []*http.Cookie{{Name: sessionCookie, Value: "", MaxAge: -1, Path: "/"}})
	b.visited = nil
	resp, err := b.Get(e.url + "/admin/")
	if err != nil {
		t.Fatal(err)
	}
	oidcReadBody(t, resp)
	if visitedWithPrompt(b, e.idp.Issuer, "login") {
		t.Error("a login without a logout before it asks for prompt=login")
	}
	loc, err := resp.Location()
	if err != nil || loc.Path != callbackPath {
		t.Fatalf("single sign-on did not go straight back to the callback: %d %v", resp.StatusCode, loc)
	}
	if e.idp.Logins() != 2 {
		t.Errorf("provider password logins = %d, want still 2", e.idp.Logins())
	}
}

// TestOIDCLoginOnlyOnNavigation: a script's request (an event stream that
// lost its session) does not start a login, which would overwrite the
// login cookie of a sign-in in flight.
func TestOIDCLoginOnlyOnNavigation(t *testing.T) {
	e := newOIDCEnv(t, oidcEnvOpts{})
	for mode, want := range map[string]int{"cors": http.StatusUnauthorized, "same-origin": http.StatusUnauthorized, "navigate": http.StatusSeeOther, "": http.StatusSeeOther} {
		req := httptest.NewRequest(http.MethodGet, "/auth/login?next=/admin/events", nil)
		if mode != "" {
			req.Header.Set("Sec-Fetch-Mode", mode)
		}
		rec := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Sec-Fetch-Mode %q: %d, want %d", mode, rec.Code, want)
		}
		if set := rec.Header().Get("Set-Cookie") != ""; set != (want == http.StatusSeeOther) {
			t.Errorf("Sec-Fetch-Mode %q: sets a cookie: %v", mode, set)
		}
	}
}

func visitedWithPrompt(b *oidcBrowser, issuer, prompt string) bool {
	for _, u := range b.visited {
		if strings.HasPrefix(u.String(), issuer+"/authorize?") && u.Query().Get("prompt") == prompt {
			return true
		}
	}
	return false
}

func TestOIDCSafeNext(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/admin/", "/admin/"},
		{"/admin/nodes/pve-io?tab=1#x", "/admin/nodes/pve-io?tab=1#x"},
		{"/", "/"},
		{"", defaultNext},
		{"//evil.test", defaultNext},
		{"//evil.test/admin/", defaultNext},
		{"https://evil.test", defaultNext},
		{"http:/evil.test", defaultNext},
		{"javascript:alert(1)", defaultNext},
		{`/\evil.test`, defaultNext},
		{`/admin\..\`, defaultNext},
		{"/\t/evil.test", defaultNext},
		{"/\n/evil.test", defaultNext},
		{"/admin/\r\nSet-Cookie: x=1", defaultNext},
		{"admin/", defaultNext},
		{"/auth/login?next=/admin/", defaultNext},
		{"/auth/callback", defaultNext},
		{"/" + strings.Repeat("a", 3000), defaultNext},
	} {
		if got := safeNext(tc.in); got != tc.want {
			t.Errorf("safeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}

	// Through the route: an evil next ends on the dashboard.
	e := newOIDCEnv(t, oidcEnvOpts{})
	b := e.browser(t)
	callback := e.startLogin(t, b, "/auth/login?next="+url.QueryEscape("//evil.test/"), "ops@lab.test", "correct horse")
	if resp := b.noFollow(t, http.MethodGet, callback.String(), nil); resp.Header.Get("Location") != defaultNext {
		t.Errorf("login with next=//evil.test/ ended at %q", resp.Header.Get("Location"))
	}
}

func TestOIDCSealer(t *testing.T) {
	clock := &oidcClock{t: time.Unix(1_800_000_000, 0)}
	s, err := newSealer(bytes.Repeat([]byte{1}, 32), clock.now)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.seal("c", oidcSession{Email: "a@b.test", Name: "A"}, clock.now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var got oidcSession
	if err := s.open("c", v, &got); err != nil || got.Email != "a@b.test" || got.Name != "A" {
		t.Fatalf("open = %+v, %v", got, err)
	}
	v2, err := s.seal("c", oidcSession{Email: "a@b.test", Name: "A"}, clock.now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if v == v2 {
		t.Error("sealing twice gives the same value: the nonce is not random")
	}
	box, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	for i := range box {
		changed := bytes.Clone(box)
		changed[i] ^= 1
		if err := s.open("c", base64.RawURLEncoding.EncodeToString(changed), &got); err == nil {
			t.Fatalf("a value with byte %d changed opened", i)
		}
	}
	for _, bad := range []string{"", "A", v[:len(v)-1], v + "A", v + "=", " " + v, strings.ToUpper(v)} {
		if err := s.open("c", bad, &got); err == nil {
			t.Errorf("a malformed value opened: %q", bad)
		}
	}
	if err := s.open("other", v, &got); err == nil {
		t.Error("a value opened under another cookie name")
	}
	clock.add(time.Minute)
	if err := s.open("c", v, &got); err != errSealExpired {
		t.Errorf("at expiry: %v, want %v", err, errSealExpired)
	}
}

func TestOIDCConfigErrors(t *testing.T) {
	idp := oidctest.Start(t, oidctest.Options{ClientID: oidcTestClientID, ClientSecret: oidcTestSecret, Users: oidcTestUsers()})
	logs := &sitetest.SyncBuffer{}
	opts := Options{Static: static.FS(), Islands: web.Islands(), Log: slog.New(slog.NewTextHandler(logs, nil))}

	if _, err := New(t.Context(), oidcTestConfig(t, idp, "too short"), opts); err == nil || !strings.Contains(err.Error(), adminconfig.EnvSessionKey) {
		t.Errorf("a 9-byte session key: %v", err)
	}

	cfg := oidcTestConfig(t, idp, "")
	if _, err := New(t.Context(), cfg, opts); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), adminconfig.EnvSessionKey+" is not set"); n != 1 {
		t.Errorf("the missing session key was warned about %d times, want once:\n%s", n, logs)
	}

	// Discovery runs at start: an unreachable issuer is an error, and the
	// context bounds it.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	cfg.Auth.Issuer = dead.URL
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := New(ctx, cfg, opts); err == nil || !strings.Contains(err.Error(), "oidc discovery") {
		t.Errorf("unreachable issuer: %v", err)
	}
}

// TestOIDCSessionSurvivesRestart: with LABFRONT_SESSION_KEY set, a second
// server (a restart) accepts the first one's cookies.
func TestOIDCSessionSurvivesRestart(t *testing.T) {
	e := newOIDCEnv(t, oidcEnvOpts{})
	b := e.browser(t)
	if resp := b.noFollow(t, http.MethodGet, e.startLogin(t, b, "/admin/", "ops@lab.test", "correct horse").String(), nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	value := b.cookie(t, e.url, sessionCookie)
	for _, tc := range []struct {
		key  string
		want int
	}{{oidcTestSessionKey, http.StatusOK}, {"another key of at least thirty-two bytes", http.StatusSeeOther}} {
		s2, err := New(t.Context(), oidcTestConfig(t, e.idp, tc.key), Options{Static: static.FS(), Islands: web.Islands(), Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, "/admin/", nil)
		req.Host = "127.0.0.1"
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: value})
		rec := httptest.NewRecorder()
		s2.Handler().ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("restart with key %q: %d, want %d", tc.key, rec.Code, tc.want)
		}
	}
}
