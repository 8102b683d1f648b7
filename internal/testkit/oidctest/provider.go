// Package oidctest runs a real OpenID provider for tests: zitadel's op
// package over an in-memory store with one confidential client, a few users
// with passwords, a login form and single sign-on. Tests of the admin
// server's login talk to it over HTTP exactly as to a production provider,
// so they test the protocol as a provider speaks it, not hand-minted tokens.
//
// It is stricter than most providers on purpose: an authorization request
// without a nonce or without an S256 PKCE challenge is refused, so a client
// that forgets either fails its tests.
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is an account at the provider. Users sign in with their email as
// the user name.
type User struct {
	ID            string
	Email         string
	Name          string
	Password      string
	EmailVerified bool
}

// Options configure a provider.
type Options struct {
	ClientID     string
	ClientSecret string
	Users        []User
	// ClaimsInIDToken puts email and name into the ID token. Without it
	// they are only at the userinfo endpoint, which is what OpenID Connect
	// Core 5.4 prescribes when an access token is issued, and what many
	// providers do.
	ClaimsInIDToken bool
}

// Provider is a running provider.
type Provider struct {
	// Issuer is http://localhost:PORT: a different site from 127.0.0.1,
	// where the tests run the admin server, so the browser treats the
	// provider as cross-site, as it is in production.
	Issuer       string
	ClientID     string
	ClientSecret string

	opts   Options
	op     *op.Provider
	signer signingKey
	form   *template.Template
	// callback is where a finished login returns to, inside the provider.
	callback func(context.Context, string) string

	mu        sync.Mutex
	redirects []string
	requests  map[string]*authRequest
	codes     map[string]string // code → auth request id
	tokens    map[string]accessToken
	sessions  map[string]string // single sign-on cookie → user id
	logins    int
}

// sessionCookie is the provider's single sign-on cookie.
const sessionCookie = "op_session"

// Start runs a provider until the test ends.
func Start(t testing.TB, o Options) *Provider {
	t.Helper()
	// The issuer names the port, and the op needs the issuer when it is
	// built: so listen first.
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	p, err := newProvider(o, srv.Listener.Addr().(*net.TCPAddr).Port)
	if err != nil {
		t.Fatalf("oidctest: %v", err)
	}
	srv.Config.Handler = p.handler()
	srv.Start()
	return p
}

func newProvider(o Options, port int) (*Provider, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	p := &Provider{
		Issuer:       fmt.Sprintf("http://localhost:%d", port),
		ClientID:     o.ClientID,
		ClientSecret: o.ClientSecret,
		opts:         o,
		signer:       signingKey{id: rand.Text(), key: key},
		form:         template.Must(template.New("login").Parse(loginForm)),
		requests:     map[string]*authRequest{},
		codes:        map[string]string{},
		tokens:       map[string]accessToken{},
		sessions:     map[string]string{},
	}
	cfg := &op.Config{CodeMethodS256: true, AuthMethodPost: true}
	if _, err := rand.Read(cfg.CryptoKey[:]); err != nil {
		return nil, fmt.Errorf("crypto key: %w", err)
	}
	p.op, err = op.NewProvider(cfg, p, op.StaticIssuer(p.Issuer), op.WithAllowInsecure())
	if err != nil {
		return nil, fmt.Errorf("provider: %w", err)
	}
	p.callback = op.AuthCallbackURL(p.op)
	return p, nil
}

func (p *Provider) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/login", op.NewIssuerInterceptor(p.op.IssuerFromRequest).HandlerFunc(p.login))
	mux.Handle("/", p.op)
	// Browsers ask for it; a 404 would be a console error in browser tests.
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return mux
}

// AllowRedirect registers a redirect URI for the client. The admin server's
// port is known only once it listens, after the provider started.
func (p *Provider) AllowRedirect(uri string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.redirects = append(p.redirects, uri)
}

// Logins counts the logins that needed the password (not single sign-on).
func (p *Provider) Logins() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logins
}

const loginForm = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to the test provider</title></head>
<body><main>
<h1>Test provider</h1>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="id" value="{{.ID}}">
<p><label for="username">Email</label> <input id="username" name="username" autocomplete="username"></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password"></p>
<p><button id="submit" type="submit">Sign in</button></p>
</form>
</main></body></html>`

// login is the provider's login UI: the op sends browsers here with
// ?authRequestID=, and the form posts back here.
func (p *Provider) login(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		id := r.URL.Query().Get("authRequestID")
		if p.singleSignOn(r, id) {
			http.Redirect(w, r, p.callback(r.Context(), id), http.StatusFound)
			return
		}
		p.showForm(w, id, "", http.StatusOK)
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id := r.PostForm.Get("id")
		sess, err := p.checkPassword(id, r.PostForm.Get("username"), r.PostForm.Get("password"))
		if err != nil {
			p.showForm(w, id, err.Error(), http.StatusUnauthorized)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, p.callback(r.Context(), id), http.StatusFound)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (p *Provider) showForm(w http.ResponseWriter, id, msg string, code int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := p.form.Execute(w, struct{ ID, Error string }{id, msg}); err != nil {
		// The status line is already out; all that is left is to cut the page short.
		panic(http.ErrAbortHandler)
	}
}

// singleSignOn completes the request without a password when the browser
// still has a provider session, unless the client asked for prompt=login.
func (p *Provider) singleSignOn(r *http.Request, id string) bool {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	req, ok := p.requests[id]
	user, signedIn := p.sessions[c.Value]
	if !ok || !signedIn || slices.Contains(req.prompt, oidc.PromptLogin) {
		return false
	}
	req.userID, req.done, req.authTime = user, true, time.Now()
	return true
}

func (p *Provider) checkPassword(id, username, password string) (session string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	req, ok := p.requests[id]
	if !ok {
		return "", errors.New("this sign-in request is unknown or over")
	}
	i := slices.IndexFunc(p.opts.Users, func(u User) bool { return strings.EqualFold(u.Email, username) })
	if i < 0 || p.opts.Users[i].Password != password {
		return "", errors.New("wrong email or password")
	}
	req.userID, req.done, req.authTime = p.opts.Users[i].ID, true, time.Now()
	p.logins++
	session = rand.Text()
	p.sessions[session] = req.userID
	return session, nil
}

func (p *Provider) user(id string) (User, bool) {
	i := slices.IndexFunc(p.opts.Users, func(u User) bool { return u.ID == id })
	if i < 0 {
		return User{}, false
	}
	return p.opts.Users[i], true
}

// setUserinfo fills what the scopes allow.
func (p *Provider) setUserinfo(info *oidc.UserInfo, userID string, scopes []string) error {
	u, ok := p.user(userID)
	if !ok {
		return fmt.Errorf("user %q not found", userID)
	}
	info.Subject = u.ID
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email, info.EmailVerified = u.Email, oidc.Bool(u.EmailVerified)
	}
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = u.Name
	}
	return nil
}
