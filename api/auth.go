package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/labfront/labfront/internal/adminconfig"
)

// Identity is who is making a request.
type Identity struct {
	Email string
	Name  string
	Admin bool
}

// Role is how the pages name what an identity may do.
func (i *Identity) Role() string {
	if i.Admin {
		return "admin"
	}
	return "viewer"
}

// errNoIdentity means the request carries no credential at all.
var errNoIdentity = errors.New("no credential")

// authenticator finds the identity of a request. It is the only place that
// trusts anything a client sends.
type authenticator interface {
	identify(r *http.Request) (*Identity, error)
	// routes are the public routes the mode needs (the OIDC login flow).
	routes() []route
	// loginURL is where to send a browser without a credential, "" when
	// the mode has no login of its own (Access logs in at the edge).
	loginURL(next string) string
}

// accessAuth verifies Cloudflare Access JWTs: the Cf-Access-Jwt-Assertion
// header that Access adds at the edge, else the CF_Authorization cookie.
// Signatures must be RS256 by a key from the team's certs endpoint, and
// issuer, audience and expiry must match (go-oidc checks them). The keys
// are a jwksKeys, so forged tokens cannot make the server refetch them.
type accessAuth struct {
	verifier *oidc.IDTokenVerifier
	cfg      adminconfig.Auth
}

var _ authenticator = (*accessAuth)(nil)

// newAccessAuth takes a long-lived ctx: the key set fetches and refreshes
// keys with it, so a request's context would cancel later refreshes.
func newAccessAuth(ctx context.Context, cfg adminconfig.Auth, log *slog.Logger, now func() time.Time) *accessAuth {
	// A timeout, because a certs endpoint that hangs would hold every
	// request waiting for the refresh.
	client := &http.Client{Timeout: 15 * time.Second}
	keys := newJWKSKeys(ctx, cfg.TeamDomain+"/cdn-cgi/access/certs", client, now, log)
	v := oidc.NewVerifier(cfg.TeamDomain, keys, &oidc.Config{ClientID: cfg.AUD, SupportedSigningAlgs: []string{oidc.RS256}})
	return &accessAuth{verifier: v, cfg: cfg}
}

func (a *accessAuth) routes() []route        { return nil }
func (a *accessAuth) loginURL(string) string { return "" }

func (a *accessAuth) identify(r *http.Request) (*Identity, error) {
	raw := strings.TrimSpace(r.Header.Get("Cf-Access-Jwt-Assertion"))
	if raw == "" {
		if c, err := r.Cookie("CF_Authorization"); err == nil {
			raw = c.Value
		}
	}
	if raw == "" {
		return nil, errNoIdentity
	}
	tok, err := a.verifier.Verify(r.Context(), raw)
	if err != nil {
		return nil, fmt.Errorf("access token: %w", err)
	}
	var claims struct {
		Email string `json:"email"`
		Name  string `json:"name"`
	}
	if err := tok.Claims(&claims); err != nil {
		return nil, fmt.Errorf("access token claims: %w", err)
	}
	if claims.Email == "" {
		// Service tokens carry no email: they may read, never act.
		claims.Email = tok.Subject
	}
	return &Identity{Email: claims.Email, Name: claims.Name, Admin: a.cfg.IsAdmin(claims.Email)}, nil
}

// devAuth lets everyone in as an admin. The server refuses to start in this
// mode unless it listens on loopback, and every page says so.
type devAuth struct{}

var _ authenticator = devAuth{}

func (devAuth) routes() []route        { return nil }
func (devAuth) loginURL(string) string { return "" }

func (devAuth) identify(*http.Request) (*Identity, error) {
	return &Identity{Email: "dev@localhost", Name: "Developer", Admin: true}, nil
}
