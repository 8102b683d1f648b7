package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/labfront/labfront/deploy"
	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/tunnel"
)

// cmdTunnelProvision makes a remotely managed tunnel for the admin server
// through the Cloudflare API: the tunnel, its ingress, the DNS record and
// the connector token file. Running it again changes nothing.
func cmdTunnelProvision(ctx context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("tunnel provision", flag.ContinueOnError)
	config := flags.String("config", "", "the admin server's YAML configuration; the tunnel forwards to its listen address")
	hostname := flags.String("hostname", "", "the admin host name in the zone $CLOUDFLARE_ZONE_ID, e.g. admin.example.com (not a URL)")
	name := flags.String("name", tunnel.DefaultName, "the tunnel's name: found if it exists, created otherwise")
	tokenFile := flags.String("token-file", filepath.Join("cloudflared", "token"), "where to write the connector token (mode 0600)")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if err := noArgs("tunnel provision", pos); err != nil {
		return err
	}
	var missing []string
	for _, f := range []struct{ name, val string }{{"--config FILE", *config}, {"--hostname HOST", *hostname}} {
		if f.val == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return usageError{msg: "tunnel provision needs " + strings.Join(missing, ", ")}
	}
	listen, err := tunnel.ReadListen(*config)
	if err != nil {
		return err
	}
	cfg := deploy.ConfigFromEnv(os.Getenv)
	if err := cfg.RequireEnv("tunnel provision", cfapi.EnvAPIToken, cfapi.EnvAccountID, cfapi.EnvZoneID); err != nil {
		return err
	}
	client, err := tunnel.NewClient(cfg, e.log)
	if err != nil {
		return err
	}
	res, err := client.Provision(ctx, tunnel.ProvisionOptions{Name: *name, Hostname: *hostname, Listen: listen, TokenFile: *tokenFile})
	if err != nil {
		return err
	}
	printProvision(e, res, *tokenFile)
	return nil
}

// printProvision says what the run found and did. It never prints the
// token, only where it is.
func printProvision(e *env, res *tunnel.ProvisionResult, tokenFile string) {
	did := func(changed bool, yes, no string) string {
		if changed {
			return yes
		}
		return no
	}
	fmt.Fprintf(e.stdout, "tunnel %s (%s): %s\n", res.Name, res.TunnelID, did(res.Created, "created", "found"))
	admin := res.Ingress[0]
	fmt.Fprintf(e.stdout, "  ingress: %s -> %s, any other host name -> %s (%s)\n", admin.Hostname, admin.Service, tunnel.CatchAll, did(res.ConfigUpdated, "pushed", "unchanged"))
	fmt.Fprintf(e.stdout, "  DNS: %s CNAME %s, proxied (%s)\n", res.DNSName, res.DNSTarget, did(res.DNSCreated, "created", "already there"))
	token := map[tunnel.WriteResult]string{tunnel.Created: "written", tunnel.Replaced: "replaced", tunnel.Unchanged: "unchanged"}[res.Token]
	if res.TokenModeFixed {
		token += ", permissions tightened (file 0600, folder 0700)"
	}
	fmt.Fprintf(e.stdout, "  connector token: %s (mode 0600, %s)\n", tokenFile, token)
	if !res.Changed() {
		fmt.Fprintln(e.stdout, "nothing changed")
	}
	fmt.Fprintf(e.stdout, "next: cloudflared tunnel --metrics %s run --token-file %s\n", tunnel.DefaultMetrics, tokenFile)
}
