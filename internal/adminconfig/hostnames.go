package adminconfig

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/hostallow"
)

// EnvMetricsToken is the usual name of the variable metrics_token_env
// names (the deploy manifests use it).
const EnvMetricsToken = "LABFRONT_METRICS_TOKEN"

// parseHostnames reads hostnames:, the public names the server answers for
// besides loopback. Access and oidc mode need it: behind cloudflared every
// visitor's request carries the public name in Host, and without the list
// the server would answer for any name, which is what DNS rebinding uses.
// Dev mode has no public name: it answers loopback names only.
func parseHostnames(r reader, cfg *Config) {
	doc, f := r.doc, r.f
	names := f.Strings("hostnames")
	if n := f.Node("hostnames"); n != nil {
		for i, name := range names {
			at := n
			if n.Kind == yaml.SequenceNode && i < len(n.Content) {
				at = n.Content[i]
			}
			if err := hostallow.CheckName(name); err != nil {
				doc.Errorf(at, fmt.Sprintf("hostnames[%d]", i), "%v", err)
			}
		}
	}
	switch mode := cfg.Auth.Mode; mode {
	case ModeAccess, ModeOIDC:
		if len(names) == 0 {
			doc.Errorf(f.Node("auth"), "hostnames", "required in %s mode: the public host name(s) cloudflared sends, e.g. [admin.example.com]; other Host values are refused (421)", mode)
		}
	default:
		if len(names) > 0 {
			doc.Errorf(f.Node("hostnames"), "hostnames", "dev mode answers loopback host names only; hostnames is for access and oidc mode")
		}
	}
	cfg.Hostnames = names
}

// parseMetricsToken reads metrics_token_env: a bearer token that lets a
// scraper which is neither on loopback nor signed in read /metrics (a
// Prometheus in another pod).
func parseMetricsToken(r reader, cfg *Config) {
	env := r.f.String("metrics_token_env")
	if env == "" {
		return
	}
	tok := r.getenv(env)
	if len(tok) < 16 {
		r.doc.Errorf(r.f.Node("metrics_token_env"), "metrics_token_env", "$%s must hold a token of 16 or more characters (it is empty, unset or too short)", env)
	}
	cfg.MetricsToken = tok
}
