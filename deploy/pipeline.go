package deploy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// Pipeline is the one way a site reaches Cloudflare: build it, deploy the
// build to Pages, then push the build's snapshot.json to the SNAPSHOTS KV
// namespace, so the edge worker's fallback is as fresh as the site.
// `labfront deploy`, the admin server's webhook and its deploy-now action
// all run it; only how they build differs (in-process for the CLI, a
// sandboxed child for a pushed commit).
type Pipeline struct {
	Config Config
	// Log gets the client's log lines (retries, polling).
	Log *slog.Logger
	// Build writes the site into out (the Options' Dir); nil when it is
	// built already (labfront deploy --no-build).
	Build func(ctx context.Context, out string) error
}

// Published is what a pipeline run did.
type Published struct {
	*Result
	// Offline is set, and nothing else, for a dry run without
	// credentials: the build was made but not compared with Cloudflare.
	Offline error
	// Snapshot is where the snapshot went (the KV namespace id), or "".
	Snapshot string
	// NoSnapshot says why no snapshot was pushed, when none was.
	NoSnapshot string
}

// Run builds, deploys and pushes the snapshot. Credentials are checked
// before anything is built, unless it is a dry run (which may go on
// offline). A failed snapshot push after a good deploy returns the
// Published with the error: the site is live either way.
func (p Pipeline) Run(ctx context.Context, opts Options) (*Published, error) {
	if !opts.DryRun {
		if err := p.Config.CheckCredentials(); err != nil {
			return nil, err
		}
	}
	if p.Build != nil {
		if err := p.Build(ctx, opts.Dir); err != nil {
			return nil, err
		}
	}
	if err := p.Config.CheckCredentials(); err != nil {
		return &Published{Offline: err}, nil
	}
	log := p.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client, err := NewClient(p.Config, log)
	if err != nil {
		return nil, err
	}
	res, err := client.Deploy(ctx, opts)
	if err != nil {
		return nil, err
	}
	pub := &Published{Result: res}
	if res.DryRun {
		return pub, nil
	}
	ns := p.Config.Wrangler.SnapshotsNamespace
	if ns == "" {
		pub.NoSnapshot = "wrangler.toml binds no SNAPSHOTS KV namespace (or only the placeholder id)"
		return pub, nil
	}
	snap, err := os.ReadFile(filepath.Join(opts.Dir, "snapshot.json"))
	if errors.Is(err, fs.ErrNotExist) {
		pub.NoSnapshot = "the build has no snapshot.json"
		return pub, nil
	}
	if err != nil {
		return pub, fmt.Errorf("the site is deployed, but its snapshot could not be read: %w", err)
	}
	if err := client.PushSnapshot(ctx, ns, snap); err != nil {
		return pub, fmt.Errorf("the site is deployed, but %w", err)
	}
	pub.Snapshot = ns
	return pub, nil
}
