package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/labfront/labfront/tunnel"
)

// tunnelCommands are the subcommands of `labfront tunnel`: adding one is
// one line here (and its usage line in run.go).
func tunnelCommands() map[string]command {
	return map[string]command{
		"config":    cmdTunnelConfig,
		"provision": cmdTunnelProvision,
	}
}

// cmdTunnel dispatches `labfront tunnel SUBCOMMAND`.
func cmdTunnel(ctx context.Context, e *env, args []string) error {
	subs := tunnelCommands()
	names := make([]string, 0, len(subs))
	for name := range subs {
		names = append(names, name)
	}
	slices.Sort(names)
	usage := "usage: labfront tunnel " + strings.Join(names, "|") + " [flags] (labfront tunnel SUBCOMMAND -h for its flags)"
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		return usageError{msg: usage}
	}
	sub, ok := subs[args[0]]
	if !ok {
		return usageError{msg: fmt.Sprintf("tunnel: unknown subcommand %q; %s", args[0], usage)}
	}
	return sub(ctx, e, args[1:])
}

// cmdTunnelConfig writes cloudflared's config.yml for a locally managed
// tunnel that forwards the admin host name to the admin server.
func cmdTunnelConfig(_ context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("tunnel config", flag.ContinueOnError)
	config := flags.String("config", "", "the admin server's YAML configuration; cloudflared forwards to its listen address")
	hostname := flags.String("hostname", "", "the admin host name on Cloudflare, e.g. admin.example.com (not a URL)")
	name := flags.String("tunnel", "", "the tunnel's name or UUID (default: the TunnelID in --credentials)")
	creds := flags.String("credentials", "", "the tunnel's credentials JSON, as an absolute path where cloudflared will find it")
	metrics := flags.String("metrics", tunnel.DefaultMetrics, "where cloudflared serves /metrics and /ready (loopback)")
	out := flags.String("out", filepath.Join("cloudflared", "config.yml"), "the file to write")
	force := flags.Bool("force", false, "replace --out even when it differs from what would be written")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if err := noArgs("tunnel config", pos); err != nil {
		return err
	}
	var missing []string
	for _, f := range []struct{ name, val string }{{"--config FILE", *config}, {"--hostname HOST", *hostname}, {"--credentials FILE", *creds}} {
		if f.val == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return usageError{msg: "tunnel config needs " + strings.Join(missing, ", ")}
	}
	listen, err := tunnel.ReadListen(*config)
	if err != nil {
		return err
	}
	cfg, err := tunnel.New(tunnel.Options{Listen: listen, Hostname: *hostname, Tunnel: *name, Credentials: *creds, Metrics: *metrics}, e.log)
	if err != nil {
		return err
	}
	data, err := cfg.Marshal()
	if err != nil {
		return err
	}
	// A different existing file is an input problem (exit 1): it may hold
	// hand edits, and the message says to pass --force.
	res, err := tunnel.Write(*out, data, *force)
	if err != nil {
		return err
	}
	admin := cfg.Ingress[0]
	switch res {
	case tunnel.Unchanged:
		fmt.Fprintf(e.stdout, "%s is up to date\n", *out)
	case tunnel.Replaced:
		fmt.Fprintf(e.stdout, "replaced %s\n", *out)
	default:
		fmt.Fprintf(e.stdout, "wrote %s\n", *out)
	}
	fmt.Fprintf(e.stdout, "  %s -> %s, any other host name -> %s; metrics on %s\n", admin.Hostname, admin.Service, tunnel.CatchAll, cfg.Metrics)
	fmt.Fprintf(e.stdout, "next: cloudflared tunnel route dns %s %s\n", cfg.Tunnel, admin.Hostname)
	fmt.Fprintf(e.stdout, "      cloudflared tunnel --config %s run\n", *out)
	return nil
}
