// Package api is the SSR admin server: it runs inside the homelab behind
// cloudflared, shows live cluster data with the same templ components as the
// static site, performs admin actions, and keeps serving the last good data
// when parts of the homelab are unreachable. Every route is in one table
// (routes.go) with the access it needs; nothing else decides who gets in.
package api

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/yamldoc"
)

// Auth modes.
const (
	ModeAccess = "access" // Cloudflare Access JWTs
	ModeOIDC   = "oidc"   // our own OpenID Connect login
	ModeDev    = "dev"    // everyone is admin; loopback only
)

// Config is the admin server's YAML configuration. Secrets never live in
// it: they come from environment variables or files it names.
type Config struct {
	Listen   string
	Site     string
	StateDir string
	Auth     AuthConfig
	Sources  []live.Source
	// Concurrency bounds how many sources are collected at once.
	Concurrency int
	// Deploys are git-push deploys and the Cloudflare credentials of the
	// deploys page (see deployer.go).
	Deploys DeploysConfig
	// KVPushInterval spaces the public status pushes to Workers KV
	// (kv_push_interval, default 5m, at least 1m; see kvpush.go); zero,
	// in a config not read from a file, turns the push off.
	KVPushInterval time.Duration
	// Hostnames are the public names the server answers for besides
	// loopback (hostnames:, required in access and oidc mode; see
	// callers.go). A config not read from a file may leave it empty: the
	// server then answers loopback names only.
	Hostnames []string
	// MetricsToken, from the variable metrics_token_env names, lets a
	// scraper with Authorization: Bearer read /metrics from anywhere.
	MetricsToken string
	// Status is the status history, incidents, notifications and
	// maintenance windows (config_status.go).
	Status StatusConfig
}

// AuthConfig says who may use the server.
type AuthConfig struct {
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

// Environment variables the server reads secrets from.
const (
	EnvClientSecret = "LABFRONT_OIDC_CLIENT_SECRET"
	EnvSessionKey   = "LABFRONT_SESSION_KEY"
)

// LoadConfig reads and validates the file; problems carry file and line.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(data, path, os.Getenv)
}

// ParseConfig reads config YAML; getenv resolves secrets.
func ParseConfig(data []byte, display string, getenv func(string) string) (*Config, error) {
	var probs diag.List
	doc := &yamldoc.Doc{Path: display, Problems: &probs}
	root := doc.Parse(data)
	if root == nil {
		return nil, probs.Err()
	}
	f := doc.Map(root, "", append([]string{"listen", "site", "state_dir", "auth", "sources", "concurrency", "deploys", "kv_push_interval", "hostnames", "metrics_token_env"}, statusKeys...)...)
	cfg := &Config{Listen: f.String("listen"), Site: f.String("site"), StateDir: f.String("state_dir"), Concurrency: f.Int("concurrency", 4)}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:8443"
	}
	if cfg.Site == "" {
		cfg.Site = "."
	}
	if cfg.StateDir == "" {
		cfg.StateDir = "./state"
	}
	cfg.Deploys = parseDeploys(doc, f, cfg.StateDir, getenv)
	cfg.KVPushInterval = parseKVPushInterval(doc, f)
	if _, _, err := net.SplitHostPort(cfg.Listen); err != nil {
		doc.Errorf(f.Node("listen"), "listen", "must be host:port, found %q", cfg.Listen)
	}
	f.Require("auth")
	a := f.Sub("auth", "mode", "team_domain", "aud", "issuer", "client_id", "admins")
	a.Require("mode")
	cfg.Auth = AuthConfig{
		Mode: a.String("mode"), TeamDomain: strings.TrimRight(a.String("team_domain"), "/"), AUD: a.String("aud"),
		Issuer: a.String("issuer"), ClientID: a.String("client_id"), Admins: a.Strings("admins"),
		ClientSecret: getenv(EnvClientSecret), SessionKey: getenv(EnvSessionKey),
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
	cfg.Hostnames = parseHostnames(doc, f, cfg.Auth.Mode)
	cfg.MetricsToken = parseMetricsToken(doc, f, getenv)
	cfg.Sources = live.Builtin().ParseSources(doc, f.List("sources"), getenv)
	cfg.Status = parseStatusConfig(doc, f, getenv)
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return cfg, nil
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
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("http:// is accepted only for 127.0.0.1 or localhost, found %q", raw)
	}
	return fmt.Errorf("must be an https URL, found %q", raw)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// IsAdmin reports whether an email is on the admins list (case-insensitive).
func (a AuthConfig) IsAdmin(email string) bool {
	return email != "" && slices.ContainsFunc(a.Admins, func(x string) bool { return strings.EqualFold(x, email) })
}
