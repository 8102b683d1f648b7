package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/labfront/labfront/deploy"
	"github.com/labfront/labfront/internal/gitrepo"
)

// cmdDeploy builds the site (unless --no-build) and uploads it to
// Cloudflare Pages, then pushes the public snapshot to KV.
func cmdDeploy(ctx context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("deploy", flag.ContinueOnError)
	src := flags.String("src", ".", "the site's source directory (holds content/ and wrangler.toml)")
	out := flags.String("out", "dist", "the built site to upload")
	dryRun := flags.Bool("dry-run", false, "report what would be uploaded; upload and change nothing")
	noBuild := flags.Bool("no-build", false, "upload --out as it is, without building first")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if err := noArgs("deploy", pos); err != nil {
		return err
	}
	cfg, err := deploy.LoadConfig(os.Getenv, filepath.Join(*src, "wrangler.toml"))
	if err != nil {
		return err
	}
	if !*noBuild {
		// The build command itself, so a deploy builds exactly what
		// `labfront build` would.
		if err := cmdBuild(ctx, e, []string{"--src", *src, "--out", *out}); err != nil {
			return err
		}
	}
	if *dryRun && cfg.CheckCredentials() != nil {
		return offlineDryRun(e.stdout, *out, cfg)
	}
	if err := cfg.CheckCredentials(); err != nil {
		return err
	}
	client, err := deploy.NewClient(cfg, e.log)
	if err != nil {
		return err
	}
	git := gitInfo(ctx, *src)
	opts := deploy.Options{
		Dir:           *out,
		Branch:        git.branch,
		CommitHash:    git.hash,
		CommitMessage: git.message,
		CommitDirty:   git.dirty,
		DryRun:        *dryRun,
		Progress:      deploy.NewProgress(e.stdout, isTerminal(e.stdout)),
	}
	res, err := client.Deploy(ctx, opts)
	if err != nil {
		return err
	}
	if res.DryRun {
		printDryRun(e.stdout, res, cfg)
		return nil
	}
	fmt.Fprintf(e.stdout, "deployed %d files to %s (%d uploaded, %s; %d already on Cloudflare)\n",
		res.Files, cfg.Project(), len(res.Uploaded), sizeOf(res.UploadBytes), res.Skipped)
	fmt.Fprintf(e.stdout, "live at %s (%s)\n", res.URL, res.Environment)
	for _, a := range res.Aliases {
		fmt.Fprintf(e.stdout, "  alias %s\n", a)
	}
	return pushSnapshot(ctx, e, client, cfg, *out)
}

// pushSnapshot writes the build's public snapshot to the SNAPSHOTS
// namespace, so the edge worker's KV fallback is as fresh as the site.
func pushSnapshot(ctx context.Context, e *env, client *deploy.Client, cfg deploy.Config, out string) error {
	ns := cfg.Wrangler.SnapshotsNamespace
	if ns == "" {
		e.log.Info("no SNAPSHOTS KV namespace in wrangler.toml (or only the placeholder id); snapshot not pushed")
		return nil
	}
	snap, err := os.ReadFile(filepath.Join(out, "snapshot.json"))
	if errors.Is(err, os.ErrNotExist) {
		e.log.Warn("the build has no snapshot.json; KV not updated", "out", out)
		return nil
	}
	if err != nil {
		return err
	}
	if err := client.PushSnapshot(ctx, ns, snap); err != nil {
		return fmt.Errorf("the site is deployed, but %w", err)
	}
	fmt.Fprintf(e.stdout, "pushed snapshot.json to KV namespace %s, key %q\n", ns, deploy.SnapshotKey)
	return nil
}

func printDryRun(w io.Writer, res *deploy.Result, cfg deploy.Config) {
	fmt.Fprintf(w, "dry run: would upload %d of %d files (%s); %d already on Cloudflare\n",
		len(res.Uploaded), res.Files, sizeOf(res.UploadBytes), res.Skipped)
	for _, a := range res.Uploaded {
		fmt.Fprintf(w, "  upload %s (%s, %s)\n", a.Name, sizeOf(a.Size), a.ContentType)
	}
	for _, s := range res.Specials {
		fmt.Fprintf(w, "  send %s with the deployment\n", s)
	}
	if ns := cfg.Wrangler.SnapshotsNamespace; ns != "" {
		fmt.Fprintf(w, "  push snapshot.json to KV namespace %s\n", ns)
	}
}

// offlineDryRun lists the site when there are no credentials to ask
// Cloudflare which files it already has.
func offlineDryRun(w io.Writer, out string, cfg deploy.Config) error {
	assets, err := deploy.Walk(out)
	if err != nil {
		return err
	}
	var total int64
	for _, a := range assets {
		total += a.Size
	}
	fmt.Fprintf(w, "dry run: %d files (%s) for Pages project %s; not compared with Cloudflare (%v)\n",
		len(assets), sizeOf(total), cfg.Project(), cfg.CheckCredentials())
	for _, a := range assets {
		fmt.Fprintf(w, "  %s %s (%s, %s)\n", a.Hash, a.Name, sizeOf(a.Size), a.ContentType)
	}
	return nil
}

func sizeOf(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
}

// isTerminal reports whether w is a character device, so the progress
// bar can redraw in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// commit is what a deployment records about the source, as wrangler
// finds it: from git, when src is a work tree and git is installed.
type commit struct {
	branch, hash, message string
	dirty                 *bool
}

// gitInfo asks git about src. Anything git cannot tell stays empty: the
// deployment then goes to the production branch without commit details.
// A detached HEAD (CI checkouts) has no branch.
func gitInfo(ctx context.Context, src string) commit {
	repo := gitrepo.Repo{Dir: src}
	run := func(args ...string) (string, bool) {
		out, err := repo.Run(ctx, 5*time.Second, args...)
		return strings.TrimSpace(out), err == nil
	}
	var c commit
	hash, ok := run("rev-parse", "HEAD")
	if !ok {
		return c
	}
	c.hash = hash
	if b, ok := run("rev-parse", "--abbrev-ref", "HEAD"); ok && b != "HEAD" {
		c.branch = b
	}
	if m, ok := run("show", "-s", "--format=%B", "HEAD"); ok {
		c.message = m
	}
	if st, ok := run("status", "--porcelain"); ok {
		dirty := st != ""
		c.dirty = &dirty
	}
	return c
}
