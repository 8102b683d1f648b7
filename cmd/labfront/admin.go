package main

import (
	"context"
	"flag"
	"os"
	"runtime"

	"github.com/labfront/labfront/api"
	"github.com/labfront/labfront/internal/adminconfig"
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
	cfg, err := adminconfig.Load(*config)
	if err != nil {
		return err
	}
	srv, err := api.New(ctx, cfg, api.Options{Static: staticFS(cfg.Site), Islands: islandsFS(cfg.Site), Log: e.log})
	if err != nil {
		return err
	}
	if n := adminProcs(os.Getenv("GOMAXPROCS") != "", runtime.NumCPU(), runtime.GOMAXPROCS(0)); n != runtime.GOMAXPROCS(0) {
		runtime.GOMAXPROCS(n)
		e.log.Info("scheduler: GOMAXPROCS is twice the CPUs for steadier latency; set GOMAXPROCS to override", "procs", n)
	}
	return srv.Run(ctx)
}

// adminProcs is the GOMAXPROCS the admin server runs with: twice the
// runtime's default (the CPUs, or the container's CPU limit) unless
// GOMAXPROCS is set, or it has been raised already.
//
// Why: the admin server shares its host with cloudflared, the homelab's
// own services and, in bench/admin.sh, the load generator. When the kernel
// preempts one of the runtime's threads, the requests queued on its P wait
// until that thread runs again; with twice as many Ps, the kernel's fair
// scheduler interleaves more, shorter queues. On 2 shared cores at 50
// connections that took the dashboard's p99 from 18-23 ms to 13-15 ms at
// the same throughput (bench/RESULTS.md). The cost is some more context
// switching, which these answers, mostly kernel network time, do not feel.
func adminProcs(envSet bool, cpus, current int) int {
	if envSet || current > cpus {
		return current
	}
	return 2 * current
}
