package adminconfig

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
)

// Auth modes.
const (
	ModeAccess = "access" // Cloudflare Access JWTs
	ModeOIDC   = "oidc"   // our own OpenID Connect login
	ModeDev    = "dev"    // everyone is admin; loopback only
)

// Environment variables the server reads secrets from.
const (
	EnvClientSecret = "LABFRONT_OIDC_CLIENT_SECRET"
	EnvSessionKey   = "LABFRONT_SESSION_KEY"
)

// Auth says who may use the server.
type Auth struct {
	Mode       string
	TeamDomain string // access: the issuer, keys at TeamDomain/cdn-cgi/access/certs
	AUD        string // access: the application audience tag
	Issuer     string // oidc
	ClientID   string // oidc
	// ClientSecret comes from LABFRONT_OIDC_CLIENT_SECRET.
	ClientSecret string
	// SessionKey encrypts the OIDC session cookie; from
	// LABFRONT_SESSION_KEY (32+ bytes), else random per start.
	SessionKey string
	Admins     []string
}

// Dev reports whether the server runs without authentication: dev mode,
// or no mode at all in a config not read from a file.
func (a Auth) Dev() bool { return a.Mode == ModeDev || a.Mode == "" }

// IsAdmin reports whether an email is on the admins list (case-insensitive).
func (a Auth) IsAdmin(email string) bool {
	return email != "" && slices.ContainsFunc(a.Admins, func(x string) bool { return strings.EqualFold(x, email) })
}

// parseAuth reads auth:, which every config needs.
func parseAuth(r reader, cfg *Config) {
	doc := r.doc
	r.f.Require("auth")
	a := r.f.Sub("auth", "mode", "team_domain", "aud", "issuer", "client_id", "admins")
	a.Require("mode")
	cfg.Auth = Auth{
		Mode: a.String("mode"), TeamDomain: strings.TrimRight(a.String("team_domain"), "/"), AUD: a.String("aud"),
		Issuer: a.String("issuer"), ClientID: a.String("client_id"), Admins: a.Strings("admins"),
		ClientSecret: r.getenv(EnvClientSecret), SessionKey: r.getenv(EnvSessionKey),
	}
	switch cfg.Auth.Mode {
	case ModeAccess:
		a.Require("team_domain", "aud")
		if cfg.Auth.TeamDomain != "" {
			if err := checkIssuerURL(cfg.Auth.TeamDomain); err != nil {
				doc.Errorf(a.Node("team_domain"), "auth.team_domain", "%v", err)
			}
		}
	case ModeOIDC:
		a.Require("issuer", "client_id")
		if cfg.Auth.Issuer != "" {
			if err := checkIssuerURL(cfg.Auth.Issuer); err != nil {
				doc.Errorf(a.Node("issuer"), "auth.issuer", "%v", err)
			}
		}
		if cfg.Auth.ClientSecret == "" {
			doc.Errorf(a.Node("client_id"), "auth.client_id", "oidc mode needs the client secret in $%s", EnvClientSecret)
		}
	case ModeDev, "":
	default:
		doc.Errorf(a.Node("mode"), "auth.mode", "must be access, oidc or dev, found %q", cfg.Auth.Mode)
	}
}

// checkIssuerURL allows plain http only on loopback: that is how tests
// point the server at a local key server, and nothing else should.
func checkIssuerURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("must be an absolute URL, found %q", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("http:// is accepted only for 127.0.0.1 or localhost, found %q", raw)
	}
	return fmt.Errorf("must be an https URL, found %q", raw)
}

// IsLoopback reports whether host is localhost or a loopback address.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
