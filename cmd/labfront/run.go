package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/sitefs"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

// Exit codes are part of the CLI contract.
const (
	exitOK    = 0
	exitInput = 1
	exitUsage = 2
)

const usageText = `labfront — a homelab's public site and private control room

Usage:
  labfront build  [--src DIR] [--out DIR] [--base-url URL] [--drafts] [--snapshot FILE] [--clean] [--verbose]
  labfront check  [--src DIR]
  labfront serve  [--src DIR] [--addr 127.0.0.1:8080] [--drafts=false]
  labfront new    post|note TITLE [--src DIR]
  labfront admin  --config FILE
  labfront import substack FILE [--src DIR] [--drafts] [--paid]
  labfront import hugo|jekyll|astro DIR [--src DEST] [--dry-run] [--base-url URL]
  labfront promote [--src DIR] [--as note|paper] FILE
  labfront deploy [--src DIR] [--out DIR] [--dry-run] [--no-build]
  labfront tunnel config --config FILE --hostname HOST --credentials FILE [--tunnel NAME|ID] [--metrics ADDR] [--out FILE] [--force]
  labfront tunnel provision --config FILE --hostname HOST [--name NAME] [--token-file FILE]
  labfront lab discover --config FILE [--write] [--lab FILE]

Run "labfront COMMAND -h" for a command's flags.
`

// usageError is a mistake in the command line itself (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// command is one subcommand: its flags are parsed from args.
type command func(ctx context.Context, env *env, args []string) error

type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
	now            func() time.Time
}

func commands() map[string]command {
	return map[string]command{
		"build":   cmdBuild,
		"check":   cmdCheck,
		"serve":   cmdServe,
		"new":     cmdNew,
		"admin":   cmdAdmin,
		"import":  cmdImport,
		"promote": cmdPromote,
		"deploy":  cmdDeploy,
		"tunnel":  cmdTunnel,
		"lab":     cmdLab,
	}
}

// run is main without the process: it returns the exit code so tests can
// drive the CLI in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{
		stdout: stdout,
		stderr: stderr,
		log:    slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
		now:    time.Now,
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usageText)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "labfront: unknown command %q\n\n%s", args[0], usageText)
		return exitUsage
	}
	err := cmd(ctx, e, args[1:])
	// A command that finished its work (a server that shut down cleanly)
	// exits 0 even after a signal; one that stopped early exits 128 + the
	// signal's number, after saying where it stopped.
	if in, ok := interruption(ctx); ok && err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stderr, "labfront: %v\n", err)
		if !strings.Contains(err.Error(), in.Error()) {
			fmt.Fprintf(stderr, "labfront: %v\n", in)
		}
		return in.exitCode()
	}
	return report(stderr, err)
}

// report prints err the way the CLI contract says and picks the exit code:
// input problems one per line, no stack traces for user mistakes.
func report(stderr io.Writer, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "labfront: %s\n", ue.msg)
		return exitUsage
	}
	if probs, ok := diag.As(err); ok {
		for _, p := range probs {
			fmt.Fprintln(stderr, p.Error())
		}
		fmt.Fprintf(stderr, "labfront: %s\n", countProblems(probs))
		return exitInput
	}
	fmt.Fprintf(stderr, "labfront: %v\n", err)
	return exitInput
}

// countProblems says "3 problems" or "3 problems, 1 warning": warnings are
// printed among the problems, in file order, but do not count as them.
func countProblems(l diag.List) string {
	n, w := l.Errors(), len(l)-l.Errors()
	s := fmt.Sprintf("%d %s", n, plural(n, "problem", "problems"))
	if w > 0 {
		s += fmt.Sprintf(", %d %s", w, plural(w, "warning", "warnings"))
	}
	return s
}

// printWarnings shows the warnings of a run that succeeded.
func printWarnings(stderr io.Writer, w diag.List) {
	for _, p := range w {
		fmt.Fprintln(stderr, p.Error())
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// parse parses flags and turns flag errors into usage errors. Flags may come
// before or after positional arguments ("new post --src x Title").
func parse(flags *flag.FlagSet, args []string) ([]string, error) {
	flags.SetOutput(io.Discard)
	var pos []string
	for {
		if err := flags.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, usageError{msg: flags.Name() + " flags:\n" + flagHelp(flags)}
			}
			return nil, usageError{msg: err.Error()}
		}
		args = flags.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func flagHelp(flags *flag.FlagSet) string {
	var b strings.Builder
	flags.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(&b, "  --%s\t%s (default %q)\n", f.Name, f.Usage, f.DefValue)
	})
	return b.String()
}

func noArgs(name string, pos []string) error {
	if len(pos) > 0 {
		return usageError{msg: fmt.Sprintf("%s takes no arguments, got %q", name, strings.Join(pos, " "))}
	}
	return nil
}

func cmdBuild(ctx context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("build", flag.ContinueOnError)
	src := flags.String("src", ".", "the site's source directory (holds content/)")
	out := flags.String("out", "dist", "where to write the site")
	baseURL := flags.String("base-url", "", "override site.yaml's base_url")
	drafts := flags.Bool("drafts", false, "include pages marked draft: true")
	snap := flags.String("snapshot", "", "colour the topology from this status snapshot (JSON)")
	clean := flags.Bool("clean", false, "ignore the build cache beside --out and render everything")
	verbose := flags.Bool("verbose", false, "also log each stage's details at debug level (the search index's time, ...)")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if err := noArgs("build", pos); err != nil {
		return err
	}
	log := e.log
	if *verbose {
		// Debug lines stay off by default so that a failed build's
		// stderr starts with its problem.
		log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	hook, err := killAtRename(os.Getenv(killAtRenameEnv))
	if err != nil {
		return usageError{err.Error()}
	}
	res, err := web.Build(ctx, web.Options{Src: *src, Out: *out, BaseURL: *baseURL, Drafts: *drafts, Snapshot: *snap, Static: staticFS(*src), Islands: islandsFS(*src), Clean: *clean, Log: log, AtRename: hook, CheckLab: live.Builtin().CheckLab})
	printWarnings(e.stderr, res.Warnings)
	return err
}

func cmdCheck(ctx context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("check", flag.ContinueOnError)
	src := flags.String("src", ".", "the site's source directory (holds content/)")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if err := noArgs("check", pos); err != nil {
		return err
	}
	// The same stages as build, without writing: drafts are validated by the
	// load stage either way, and links are checked as build would see them.
	var warnings diag.List
	check := func() error {
		var err error
		warnings, err = web.Check(web.Options{Src: *src, Static: staticFS(*src), Islands: islandsFS(*src), CheckLab: live.Builtin().CheckLab})
		return err
	}
	if err := readOnly(ctx, check); err != nil {
		return err
	}
	printWarnings(e.stderr, warnings)
	if len(warnings) > 0 {
		fmt.Fprintf(e.stdout, "ok: no problems found, %d %s\n", len(warnings), plural(len(warnings), "warning", "warnings"))
		return nil
	}
	fmt.Fprintln(e.stdout, "ok: no problems found")
	return nil
}

func cmdNew(_ context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("new", flag.ContinueOnError)
	src := flags.String("src", ".", "the site's source directory (holds content/)")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usageError{msg: "usage: labfront new post|note TITLE"}
	}
	var kind content.Kind
	switch pos[0] {
	case "post":
		kind = content.Post
	case "note":
		kind = content.Note
	default:
		return usageError{msg: fmt.Sprintf("new: %q is not post or note", pos[0])}
	}
	path, err := content.NewPage(*src, kind, strings.Join(pos[1:], " "), e.now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created %s (a draft: remove draft: true to publish)\n", path)
	return nil
}

// islandsFS prefers the checkout's web/ts for the same reason.
func islandsFS(src string) fs.FS {
	return sitefs.Folder(src, "web/ts", web.Islands())
}

// staticFS prefers the source checkout's static/ folder, so stylesheet edits
// show without recompiling; a site without one uses the embedded files.
// The folder is read through sitefs: whoever pushes to the site must not
// publish a file of the server through a symlink.
func staticFS(src string) fs.FS {
	return sitefs.Folder(src, "static", static.FS())
}
