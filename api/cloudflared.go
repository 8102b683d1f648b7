package api

import (
	"regexp"
	"strings"

	"github.com/labfront/labfront/deploy"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/yamldoc"
)

var tunnelUUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// cloudflaredSource reads a source's tunnel_id and, for a cloudflared
// source that has one, its API access: the account and endpoint from the
// environment, the token from $CLOUDFLARE_API_TOKEN unless secret_env or
// secret_file named another (a token with only Cloudflare Tunnel: Read).
func cloudflaredSource(doc *yamldoc.Doc, sf yamldoc.Fields, name string, src *live.Source, getenv func(string) string) {
	id := sf.String("tunnel_id")
	if id == "" {
		return
	}
	field := name + ".tunnel_id"
	if src.Type != "cloudflared" {
		doc.Errorf(sf.Node("tunnel_id"), field, "only cloudflared sources take a tunnel_id")
		return
	}
	if !tunnelUUID.MatchString(id) {
		doc.Errorf(sf.Node("tunnel_id"), field, "must be the tunnel's UUID (labfront tunnel provision prints it), found %q", id)
		return
	}
	env := deploy.ConfigFromEnv(getenv)
	if src.Secret == "" {
		src.Secret = string(env.APIToken)
	}
	src.Cloudflare = live.CloudflareAPI{AccountID: env.AccountID, BaseURL: env.BaseURL, TunnelID: strings.ToLower(id)}
	var missing []string
	if src.Secret == "" {
		missing = append(missing, "$"+deploy.EnvAPIToken)
	}
	if env.AccountID == "" {
		missing = append(missing, "$"+deploy.EnvAccountID)
	}
	if len(missing) > 0 {
		doc.Errorf(sf.Node("tunnel_id"), field, "reading the tunnel's connections from the Cloudflare API needs %s", strings.Join(missing, " and "))
	}
}
