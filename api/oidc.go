package api

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/statefile"
)

// oidcAuth is the oidc mode: the server signs people in itself with the
// authorization code flow, PKCE (S256), state and nonce against the
// configured provider, then remembers them in an encrypted cookie, which
// survives a restart when LABFRONT_SESSION_KEY is set. The only thing kept
// server-side is the list of sessions signed out before their cookie
// expired (revocations, in state_dir): a sealed cookie cannot be taken back
// from whoever copied it, so signing out must be refused by the server.
//
// The callback URL is built from each request's Host: behind cloudflared
// that is the public hostname, and a forged Host only produces a
// redirect_uri the provider has not registered.
type oidcAuth struct {
	cfg      adminconfig.Auth
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config // RedirectURL is set per request
	client   *http.Client
	seal     *sealer
	revoked  *revocations
	cop      *http.CrossOriginProtection
	log      *slog.Logger
	now      func() time.Time
}

var _ authenticator = (*oidcAuth)(nil)

const (
	// sessionCookie holds the signed-in identity, loginCookie the state,
	// nonce, PKCE verifier and destination of a login in flight.
	sessionCookie = "labfront_session"
	loginCookie   = "labfront_login"
	// signedOutCookie marks a browser that signed out, so that its next
	// login asks the provider for prompt=login: otherwise the provider's
	// own session would sign it straight back in and sign-out would look
	// broken. It carries nothing secret.
	signedOutCookie = "labfront_signed_out"

	sessionTTL = 12 * time.Hour
	// loginTTL bounds how long a user may take at the provider's login.
	loginTTL = 10 * time.Minute

	callbackPath = "/auth/callback"
	logoutPath   = "/auth/logout"
	// defaultNext is where a login without a usable destination ends.
	defaultNext = "/admin/"
)

// newOIDCAuth discovers the provider and loads the signed-out sessions
// from stateDir. ctx must live as long as the server: the provider's key
// set refreshes with it.
func newOIDCAuth(ctx context.Context, cfg adminconfig.Auth, files *statefile.Files, stateDir string, log *slog.Logger, now func() time.Time) (*oidcAuth, error) {
	var key [32]byte
	switch {
	case cfg.SessionKey == "":
		if _, err := rand.Read(key[:]); err != nil {
			return nil, fmt.Errorf("session key: %w", err)
		}
		log.Warn("$" + adminconfig.EnvSessionKey + " is not set: sessions use a random key and end when the server restarts")
	case len(cfg.SessionKey) < 32:
		// A short key is a password an attacker holding a cookie can guess
		// offline; hashing it does not add entropy.
		return nil, fmt.Errorf("$%s must be at least 32 bytes (for example `openssl rand -base64 32`), found %d", adminconfig.EnvSessionKey, len(cfg.SessionKey))
	default:
		key = sha256.Sum256([]byte(cfg.SessionKey))
	}
	seal, err := newSealer(key[:], now)
	if err != nil {
		return nil, err
	}
	revoked, err := openRevocations(files, filepath.Join(stateDir, revocationsFile), now, log)
	if err != nil {
		return nil, err
	}
	// One client with a timeout for discovery, keys, token and userinfo:
	// a provider that hangs must not hang the server's start or a login.
	client := &http.Client{Timeout: 15 * time.Second}
	ctx = oidc.ClientContext(ctx, client)
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc discovery at %s: %w", cfg.Issuer, err)
	}
	// The provider's own verifier would use go-oidc's RemoteKeySet, which
	// refetches the keys for every token it cannot verify; jwksKeys limits
	// that. So the verifier is built here from the discovery document.
	var disc struct {
		JWKS string   `json:"jwks_uri"`
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := provider.Claims(&disc); err != nil {
		return nil, fmt.Errorf("oidc discovery at %s: %w", cfg.Issuer, err)
	}
	if disc.JWKS == "" {
		return nil, fmt.Errorf("oidc discovery at %s: no jwks_uri", cfg.Issuer)
	}
	var algs []string
	for _, alg := range disc.Algs {
		if slices.Contains(signingAlgs, jose.SignatureAlgorithm(alg)) {
			algs = append(algs, alg)
		}
	}
	keys := newJWKSKeys(ctx, disc.JWKS, client, now, log)
	return &oidcAuth{
		cfg:      cfg,
		provider: provider,
		// The verifier checks signature, issuer, audience (our client id)
		// and expiry against the wall clock, which is what the provider
		// signs with, not the server's injectable clock. No algorithms
		// advertised means RS256, the one OpenID Connect requires.
		verifier: oidc.NewVerifier(cfg.Issuer, keys, &oidc.Config{ClientID: cfg.ClientID, SupportedSigningAlgs: algs}),
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: provider.Endpoint(),
			Scopes: []string{oidc.ScopeOpenID, "email", "profile"},
		},
		client:  client,
		seal:    seal,
		revoked: revoked,
		cop:     http.NewCrossOriginProtection(),
		log:     log,
		now:     now,
	}, nil
}

func (a *oidcAuth) routes() []route {
	return []route{
		{http.MethodGet, "/auth/login", public, a.login, nil},
		{http.MethodGet, callbackPath, public, a.callback, nil},
		// Signing out is a POST behind the cross-origin check: a GET would
		// let any page sign the user out with an <img>. The GET is the page
		// a logout ends on, with a sign-out button while signed in.
		{http.MethodPost, logoutPath, public, a.logout, nil},
		{http.MethodGet, logoutPath, public, a.logoutPage, nil},
	}
}

func (a *oidcAuth) loginURL(next string) string {
	return "/auth/login?next=" + url.QueryEscape(next)
}

// oidcSession is what the session cookie holds. ID names the session for
// sign-out; Issued (unix seconds) lets one revocation cover every session
// signed in before a moment.
type oidcSession struct {
	ID     string `json:"sid"`
	Issued int64  `json:"iat"`
	Email  string `json:"email"`
	Name   string `json:"name,omitempty"`
}

// loginFlow is what the login cookie holds between /auth/login and the
// callback. The redirect URL is kept because the token request must repeat
// exactly the one the authorization request named.
type loginFlow struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"verifier"`
	Next     string `json:"next"`
	Redirect string `json:"redirect"`
}

func (a *oidcAuth) identify(r *http.Request) (*Identity, error) {
	c, err := r.Cookie(cookieName(sessionCookie, secureRequest(r)))
	if err != nil || c.Value == "" {
		return nil, errNoIdentity
	}
	s, _, err := a.session(c.Value)
	if err != nil {
		return nil, err
	}
	return &Identity{Email: s.Email, Name: s.Name, Admin: a.cfg.IsAdmin(s.Email)}, nil
}

// session opens a session cookie's value and refuses a signed-out one. A
// cookie without an id (sealed before sign-out could revoke) is refused
// too: nothing could ever end it.
func (a *oidcAuth) session(value string) (oidcSession, time.Time, error) {
	var s oidcSession
	expires, err := a.seal.openUntil(sessionCookie, value, &s)
	if err != nil {
		return oidcSession{}, time.Time{}, fmt.Errorf("session cookie: %w", err)
	}
	if s.ID == "" {
		return oidcSession{}, time.Time{}, errors.New("session cookie: no session id")
	}
	if a.revoked.revoked(s.ID, s.Issued) {
		return oidcSession{}, time.Time{}, errors.New("session cookie: signed out")
	}
	return s, expires, nil
}

// login starts a sign-in: it remembers state, nonce and PKCE verifier in
// the login cookie and sends the browser to the provider.
func (a *oidcAuth) login(c echo.Context) error {
	r := c.Request()
	// Only a navigation starts a login. An event stream or fetch that
	// lost its session is redirected here too, and retries forever; each
	// retry would overwrite the login cookie of a real sign-in in flight.
	if m := r.Header.Get("Sec-Fetch-Mode"); m != "" && m != "navigate" {
		return echo.NewHTTPError(http.StatusUnauthorized, "Sign in to see this page.")
	}
	redirect, err := callbackURL(r)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "This request names no usable host.").SetInternal(err)
	}
	fl := loginFlow{
		State: rand.Text(), Nonce: rand.Text(), Verifier: oauth2.GenerateVerifier(),
		Next: safeNext(c.QueryParam("next")), Redirect: redirect,
	}
	value, err := a.seal.seal(loginCookie, fl, a.now().Add(loginTTL))
	if err != nil {
		return err
	}
	secure := secureRequest(r)
	c.SetCookie(newCookie(loginCookie, value, loginTTL, secure))
	opts := []oauth2.AuthCodeOption{oidc.Nonce(fl.Nonce), oauth2.S256ChallengeOption(fl.Verifier)}
	if _, err := r.Cookie(cookieName(signedOutCookie, secure)); err == nil {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"))
		c.SetCookie(expiredCookie(signedOutCookie, secure))
	}
	conf := a.oauth
	conf.RedirectURL = redirect
	return c.Redirect(http.StatusSeeOther, conf.AuthCodeURL(fl.State, opts...))
}

// callback finishes a sign-in: the provider sends the browser back with a
// code, which is exchanged (with the PKCE verifier) for an ID token.
func (a *oidcAuth) callback(c echo.Context) error {
	r := c.Request()
	secure := secureRequest(r)
	// Whatever the outcome, this login is over: its cookie must not be
	// used twice.
	c.SetCookie(expiredCookie(loginCookie, secure))
	var fl loginFlow
	ck, err := r.Cookie(cookieName(loginCookie, secure))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "This sign-in has expired or was started elsewhere. Sign in again.")
	}
	if err := a.seal.open(loginCookie, ck.Value, &fl); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "This sign-in has expired or was started elsewhere. Sign in again.").SetInternal(fmt.Errorf("login cookie: %w", err))
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(fl.State)) != 1 {
		// A login started in another tab overwrites the cookie too, so
		// this is not always an attack; it is always refused.
		a.log.Warn("oidc callback: state does not match the login cookie")
		return echo.NewHTTPError(http.StatusBadRequest, "This sign-in does not match the one this browser started. Sign in again.")
	}
	if e := q.Get("error"); e != "" {
		a.log.Info("oidc callback: the provider refused the login", "error", e, "description", q.Get("error_description"))
		return echo.NewHTTPError(http.StatusUnauthorized, "The identity provider did not sign you in.")
	}
	code := q.Get("code")
	if code == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "The identity provider sent no authorization code.")
	}
	s, err := a.exchange(oidc.ClientContext(r.Context(), a.client), code, fl)
	if err != nil {
		return err
	}
	s.ID, s.Issued = rand.Text(), a.now().Unix()
	value, err := a.seal.seal(sessionCookie, s, a.now().Add(sessionTTL))
	if err != nil {
		return err
	}
	c.SetCookie(newCookie(sessionCookie, value, sessionTTL, secure))
	a.log.Info("signed in", "email", s.Email, "admin", a.cfg.IsAdmin(s.Email))
	return c.Redirect(http.StatusSeeOther, fl.Next)
}

// exchange redeems the code and checks the ID token. Its errors are
// answers for the browser; what went wrong is logged without the code or
// any token.
func (a *oidcAuth) exchange(ctx context.Context, code string, fl loginFlow) (oidcSession, error) {
	refused := echo.NewHTTPError(http.StatusUnauthorized, "The identity provider's answer could not be verified. Sign in again.")
	conf := a.oauth
	conf.RedirectURL = fl.Redirect
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(fl.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			// Only the error fields: the body of a token response is not
			// something to copy into logs.
			a.log.Warn("oidc token request refused", "error", re.ErrorCode, "description", re.ErrorDescription)
			return oidcSession{}, echo.NewHTTPError(http.StatusUnauthorized, "The identity provider refused the sign-in. Sign in again.")
		}
		return oidcSession{}, echo.NewHTTPError(http.StatusBadGateway, "The identity provider could not be reached.").SetInternal(fmt.Errorf("oidc token request: %w", err))
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		a.log.Warn("oidc token response has no id_token")
		return oidcSession{}, refused
	}
	idt, err := a.verifier.Verify(ctx, raw)
	if err != nil {
		a.log.Warn("oidc id token rejected", "err", err)
		return oidcSession{}, refused
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(fl.Nonce)) != 1 {
		a.log.Warn("oidc id token rejected: nonce does not match the login")
		return oidcSession{}, refused
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			a.log.Warn("oidc id token rejected: access token hash", "err", err)
			return oidcSession{}, refused
		}
	}
	var claims struct {
		Email    string `json:"email"`
		Verified *bool  `json:"email_verified"`
		Name     string `json:"name"`
	}
	if err := idt.Claims(&claims); err != nil {
		a.log.Warn("oidc id token claims", "err", err)
		return oidcSession{}, refused
	}
	if claims.Email == "" {
		// Providers that issue an access token may keep email and name
		// for the userinfo endpoint (OpenID Connect Core 5.4).
		info, err := a.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return oidcSession{}, echo.NewHTTPError(http.StatusBadGateway, "The identity provider did not answer who you are.").SetInternal(fmt.Errorf("oidc userinfo: %w", err))
		}
		if info.Subject != idt.Subject {
			a.log.Warn("oidc userinfo is about another subject than the id token")
			return oidcSession{}, refused
		}
		if err := info.Claims(&claims); err != nil {
			a.log.Warn("oidc userinfo claims", "err", err)
			return oidcSession{}, refused
		}
	}
	if claims.Email == "" {
		return oidcSession{}, echo.NewHTTPError(http.StatusForbidden, "The identity provider did not share your email address; labfront needs it (scope email).")
	}
	// Roles hang on the email address, so an address the provider has
	// not verified could be anyone's. A missing claim counts as not
	// verified: some providers (zitadel) leave out email_verified=false.
	if claims.Verified == nil || !*claims.Verified {
		a.log.Warn("oidc login refused: email not verified", "email", claims.Email)
		return oidcSession{}, echo.NewHTTPError(http.StatusForbidden, "Your email address is not verified at the identity provider.")
	}
	return oidcSession{Email: claims.Email, Name: claims.Name}, nil
}

// logout ends the session: its id is revoked, so the cookie is refused
// even if a copy of it outlives the browser's (a saved cookie, a restart).
// Only this browser's session ends; the user's sessions on other devices
// go on, as signing out of one device does elsewhere. It does not end the
// provider's session; the signed-out mark makes the next login ask for the
// password again.
//
// It ends on its own public page, not on "/": every other page would send
// the browser on to the provider, and the admin CSP (form-action 'self')
// blocks a form submission whose redirects leave the origin, so the
// sign-out button would seem to do nothing.
func (a *oidcAuth) logout(c echo.Context) error {
	if err := a.cop.Check(c.Request()); err != nil {
		return echo.NewHTTPError(http.StatusForbidden, "Cross-origin request refused.")
	}
	secure := secureRequest(c.Request())
	c.SetCookie(expiredCookie(sessionCookie, secure))
	c.SetCookie(expiredCookie(loginCookie, secure))
	c.SetCookie(&http.Cookie{Name: cookieName(signedOutCookie, secure), Value: "1", Path: "/", HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	// A cookie that does not open (absent, expired, already signed out)
	// names no session to revoke.
	if ck, err := c.Request().Cookie(cookieName(sessionCookie, secure)); err == nil {
		if s, expires, err := a.session(ck.Value); err == nil {
			if err := a.revoked.revoke(s.ID, expires); err != nil {
				// Revoked in memory all the same; only a restart before
				// the next successful save would forget it.
				return fmt.Errorf("sign out %s: %w", s.Email, err)
			}
			a.log.Info("signed out", "email", s.Email)
		}
	}
	return c.Redirect(http.StatusSeeOther, logoutPath)
}

// logoutPageHTML is deliberately plain: it must work with no session, no
// script and no stylesheet. The browser's own light and dark themes apply.
var logoutPageHTML = template.Must(template.New("logout").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="data:,">
<title>{{if .Email}}Sign out{{else}}Signed out{{end}} — labfront admin</title>
</head>
<body>
<main>
{{if .Email}}
<h1>Sign out</h1>
<p>You are signed in as {{.Email}}.</p>
<form method="post" action="/auth/logout"><button type="submit">Sign out</button></form>
<p><a href="/admin/">Back to the dashboard</a></p>
{{else}}
<h1>Signed out</h1>
<p>You have signed out of labfront admin. Your identity provider may still have you signed in there.</p>
<p><a href="/auth/login?next=%2Fadmin%2F">Sign in again</a></p>
{{end}}
</main>
</body>
</html>
`))

// logoutPage confirms a sign-out, or offers one.
func (a *oidcAuth) logoutPage(c echo.Context) error {
	var v struct{ Email string }
	if id, err := a.identify(c.Request()); err == nil {
		v.Email = id.Email
	}
	var buf bytes.Buffer
	if err := logoutPageHTML.Execute(&buf, v); err != nil {
		return fmt.Errorf("render logout page: %w", err)
	}
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// safeNext returns next when it is a path on this site, else the
// dashboard: a login link must not become an open redirect.
func safeNext(next string) string {
	if len(next) > 2048 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return defaultNext
	}
	// Ending a login on the login flow's own routes only starts it over.
	if strings.HasPrefix(next, "/auth/") {
		return defaultNext
	}
	// Browsers read a backslash as a slash ("/\evil.test" is
	// "//evil.test") and drop tabs and newlines from URLs.
	for _, b := range []byte(next) {
		if b == '\\' || b < 0x20 || b == 0x7f {
			return defaultNext
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return defaultNext
	}
	return next
}

// secureRequest says whether the browser reached us over https. The
// server sits behind cloudflared, which speaks plain http to it, so TLS on
// the connection says nothing: every host but loopback is https.
func secureRequest(r *http.Request) bool {
	return !adminconfig.IsLoopback((&url.URL{Host: r.Host}).Hostname())
}

func callbackURL(r *http.Request) (string, error) {
	u, err := url.Parse("http://" + r.Host)
	if err != nil || r.Host == "" || u.Host != r.Host || u.Path != "" || u.User != nil {
		return "", fmt.Errorf("bad Host %q", r.Host)
	}
	if secureRequest(r) {
		u.Scheme = "https"
	}
	u.Path = callbackPath
	return u.String(), nil
}

// cookieName adds the __Host- prefix to Secure cookies: the browser then
// takes them only from this exact host, so a sibling subdomain cannot
// plant a login or session cookie.
func cookieName(name string, secure bool) string {
	if secure {
		return "__Host-" + name
	}
	return name
}

// newCookie is HttpOnly (scripts never need it) and SameSite=Lax: Lax, not
// Strict, because the provider's redirect back to the callback is a
// cross-site navigation that must carry the login cookie.
func newCookie(name, value string, ttl time.Duration, secure bool) *http.Cookie {
	return &http.Cookie{
		Name: cookieName(name, secure), Value: value, Path: "/", MaxAge: int(ttl.Seconds()),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	}
}

func expiredCookie(name string, secure bool) *http.Cookie {
	return &http.Cookie{Name: cookieName(name, secure), Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
}

// sealer encrypts and authenticates cookie values with AES-256-GCM. The
// cookie's name is the additional data, so a value sealed for one cookie
// cannot be replayed as another, and the expiry is inside the seal, so a
// client cannot extend it.
type sealer struct {
	aead cipher.AEAD
	now  func() time.Time
}

var (
	errSealBroken  = errors.New("not a valid sealed value")
	errSealExpired = errors.New("expired")
)

func newSealer(key []byte, now func() time.Time) (*sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("session cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("session cipher: %w", err)
	}
	return &sealer{aead: aead, now: now}, nil
}

type sealedValue struct {
	Expires int64           `json:"exp"`
	Value   json.RawMessage `json:"v"`
}

func (s *sealer) seal(name string, v any, expires time.Time) (string, error) {
	inner, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("seal %s: %w", name, err)
	}
	plain, err := json.Marshal(sealedValue{Expires: expires.Unix(), Value: inner})
	if err != nil {
		return "", fmt.Errorf("seal %s: %w", name, err)
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal %s: %w", name, err)
	}
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, []byte(name))), nil
}

// open reverses seal; its errors never include the value.
func (s *sealer) open(name, value string, v any) error {
	_, err := s.openUntil(name, value, v)
	return err
}

// openUntil is open that also returns when the value expires.
func (s *sealer) openUntil(name, value string, v any) (time.Time, error) {
	box, err := base64.RawURLEncoding.Strict().DecodeString(value)
	if err != nil || len(box) < s.aead.NonceSize() {
		return time.Time{}, errSealBroken
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, box[:n], box[n:], []byte(name))
	if err != nil {
		return time.Time{}, errSealBroken
	}
	var env sealedValue
	if err := json.Unmarshal(plain, &env); err != nil {
		return time.Time{}, errSealBroken
	}
	expires := time.Unix(env.Expires, 0)
	if !s.now().Before(expires) {
		return time.Time{}, errSealExpired
	}
	if err := json.Unmarshal(env.Value, v); err != nil {
		return time.Time{}, errSealBroken
	}
	return expires, nil
}
