package main

import (
	"context"
	"flag"

	"github.com/labfront/labfront/api"
)

// cmdAdmin runs the production admin server.
func cmdAdmin(ctx context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("admin", flag.ContinueOnError)
	config := flags.String("config", "", "the admin server's YAML configuration (see deploy/admin.example.yaml)")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if err := noArgs("admin", pos); err != nil {
		return err
	}
	if *config == "" {
		return usageError{msg: "admin needs --config FILE"}
	}
	cfg, err := api.LoadConfig(*config)
	if err != nil {
		return err
	}
	srv, err := api.New(ctx, cfg, api.Options{Static: staticFS(cfg.Site), Islands: islandsFS(cfg.Site), Log: e.log})
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}
