package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/testkit/oidctest"
)

// oidcLog keeps the admin server's log for the test output and for the
// check that no secret reaches it.
type oidcLog struct {
	t   *testing.T
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *oidcLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t.Log(strings.TrimSpace(string(p)))
	return l.buf.Write(p)
}

func (l *oidcLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// startOIDCAdmin runs the admin server in oidc mode against idp on
// 127.0.0.1 (the provider is on localhost: another site, as in production).
func startOIDCAdmin(t *testing.T, idp *oidctest.Provider, admins []string) (string, *oidcLog) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	idp.AllowRedirect(base + "/auth/callback")
	cfg := &adminconfig.Config{
		Listen: ln.Addr().String(), Site: "..", StateDir: t.TempDir(), Concurrency: 1,
		Auth: adminconfig.Auth{
			Mode: adminconfig.ModeOIDC, Issuer: idp.Issuer, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret,
			SessionKey: "e2e-session-key-of-at-least-32-bytes", Admins: admins,
		},
		Sources: []live.Source{{Name: "demo", Type: "demo", Interval: time.Second, Timeout: time.Second}},
	}
	logs := &oidcLog{t: t}
	serveAdmin(t, ln, cfg, logs)
	return base, logs
}

// oidcWait polls a JavaScript condition from Go, because the page changes
// underneath it (redirects through the provider).
func oidcWait(t *testing.T, ctx context.Context, cond, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		tctx, cancel := context.WithTimeout(ctx, time.Second)
		ok, err := chromedp.Run(tctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		lastErr = err
		time.Sleep(25 * time.Millisecond)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	t.Fatalf("waited 10s for %s (at %s %v; last error: %v)", what, loc, err, lastErr)
}

func oidcSessionCookie(t *testing.T, ctx context.Context, base string) *network.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/admin/"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cookies {
		if c.Name == "labfront_session" {
			return c
		}
	}
	return nil
}

func TestOIDCLoginInBrowser(t *testing.T) {
	user := oidctest.User{ID: "u-ops", Email: "ops@lab.test", Name: "Ops Person", Password: "correct horse battery", EmailVerified: true}
	idp := oidctest.Start(t, oidctest.Options{ClientID: "labfront-admin", ClientSecret: "e2e-client-secret", Users: []oidctest.User{user}})
	base, logs := startOIDCAdmin(t, idp, []string{user.Email})
	// The browser after the servers, so it closes first: its open event
	// stream would hold up the server's shutdown.
	ctx := browser(t)
	console := watchConsole(ctx)
	// readyState: chromedp's node ids from a document still loading can
	// go stale under the next action.
	atProviderLogin := fmt.Sprintf(`location.href.startsWith(%q) && document.readyState === 'complete' && !!document.querySelector('#username')`, idp.Issuer+"/login")
	onDashboard := fmt.Sprintf(`location.origin === %q && location.pathname === '/admin/' && document.querySelector('h1')?.textContent === 'Control room'`, base)

	signIn := func() {
		t.Helper()
		do(t, ctx,
			chromedp.WaitVisible(chromedp.CSS("#submit")),
			chromedp.SendKeys(chromedp.CSS("#username"), user.Email),
			chromedp.SendKeys(chromedp.CSS("#password"), user.Password),
			// A click from the page, not chromedp.Click: the navigation it
			// starts can invalidate the node chromedp still holds.
			chromedp.Evaluate[chromedp.Void](`document.querySelector('#submit').click()`),
		)
		oidcWait(t, ctx, onDashboard, "the dashboard after signing in")
	}

	// Without a session the dashboard sends the browser to the provider.
	do(t, ctx, chromedp.Navigate(base+"/admin/"))
	oidcWait(t, ctx, atProviderLogin, "the provider's login form")
	signIn()
	// The dashboard reloads itself on every update of the demo source, so
	// the check runs in one evaluation, not on chromedp's node ids.
	oidcWait(t, ctx, fmt.Sprintf(`(() => {
		const who = document.querySelector('.whoami')?.textContent ?? '';
		return who.includes(%q) && who.includes('admin');
	})()`, user.Email), "the header to show the email and the admin role")

	c := oidcSessionCookie(t, ctx, base)
	if c == nil {
		t.Fatal("no labfront_session cookie after signing in")
	}
	if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" || c.Session {
		t.Errorf("session cookie: HttpOnly %v, SameSite %q, Path %q, session-only %v; want HttpOnly, Lax, /, persistent", c.HTTPOnly, c.SameSite, c.Path, c.Session)
	}
	if js := get(t, ctx, chromedp.Evaluate[string](`document.cookie`)); strings.Contains(js, "labfront_") {
		t.Errorf("scripts can read %q", js)
	}
	if strings.Contains(logs.String(), c.Value) {
		t.Error("the session cookie's value is in the server log")
	}

	// Sign out with the admin frame's button: a form POST under the admin
	// pages' CSP.
	// Clicked in one evaluation: a live update may replace the DOM
	// between chromedp's lookup of a node and its click.
	get(t, ctx, chromedp.Evaluate[bool](`(() => { document.querySelector('form.logout button').click(); return true })()`))
	oidcWait(t, ctx, fmt.Sprintf(`location.href === %q && document.querySelector('h1')?.textContent === 'Signed out'`, base+"/auth/logout"), "the signed-out page")
	if c := oidcSessionCookie(t, ctx, base); c != nil {
		t.Errorf("the session cookie survived the logout: %+v", c)
	}

	// The provider still has its own session, yet the next visit asks for
	// the password again.
	do(t, ctx, chromedp.Navigate(base+"/admin/"))
	oidcWait(t, ctx, atProviderLogin, "the provider's login form on /admin/ after signing out")
	signIn()
	if n := idp.Logins(); n != 2 {
		t.Errorf("the provider saw %d password logins, want 2", n)
	}
	console.check(t)
}

// TestOIDCLogoutNeedsSameOrigin: another site cannot sign the user out.
func TestOIDCLogoutNeedsSameOrigin(t *testing.T) {
	user := oidctest.User{ID: "u-ops", Email: "ops@lab.test", Password: "pw", EmailVerified: true}
	idp := oidctest.Start(t, oidctest.Options{ClientID: "labfront-admin", ClientSecret: "s", Users: []oidctest.User{user}})
	base, _ := startOIDCAdmin(t, idp, nil)
	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(base+"/admin/"))
	oidcWait(t, ctx, `document.readyState === 'complete' && !!document.querySelector('#username')`, "the provider's login form")
	do(t, ctx,
		chromedp.WaitVisible(chromedp.CSS("#submit")),
		chromedp.SendKeys(chromedp.CSS("#username"), user.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), user.Password),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#submit').click()`),
	)
	oidcWait(t, ctx, fmt.Sprintf(`location.origin === %q && !!document.querySelector('.whoami')`, base), "the dashboard")

	// A page of another site (the provider's) posts a form to the logout.
	do(t, ctx, chromedp.Navigate(idp.Issuer+"/.well-known/openid-configuration"))
	do(t, ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const f = document.createElement('form');
		f.method = 'post';
		f.action = %q;
		document.body.append(f);
		f.submit();
	})()`, base+"/auth/logout")))
	oidcWait(t, ctx, fmt.Sprintf(`location.href === %q && document.body.innerText.includes('Cross-origin request refused')`, base+"/auth/logout"), "the refusal")
	if c := oidcSessionCookie(t, ctx, base); c == nil {
		t.Error("a cross-site form signed the user out")
	}
}
