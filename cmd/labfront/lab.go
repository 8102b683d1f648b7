package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/discover"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/labedit"
	"github.com/labfront/labfront/internal/live"
)

// labCommands are the subcommands of `labfront lab`.
func labCommands() map[string]command {
	return map[string]command{
		"discover": cmdLabDiscover,
	}
}

// cmdLab dispatches `labfront lab SUBCOMMAND`.
func cmdLab(ctx context.Context, e *env, args []string) error {
	subs := labCommands()
	names := make([]string, 0, len(subs))
	for name := range subs {
		names = append(names, name)
	}
	slices.Sort(names)
	usage := "usage: labfront lab " + strings.Join(names, "|") + " [flags] (labfront lab SUBCOMMAND -h for its flags)"
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		return usageError{msg: usage}
	}
	sub, ok := subs[args[0]]
	if !ok {
		return usageError{msg: fmt.Sprintf("lab: unknown subcommand %q; %s", args[0], usage)}
	}
	return sub(ctx, e, args[1:])
}

// cmdLabDiscover asks the admin config's sources what they see and
// proposes the lab.yaml edits that describe it: a unified diff on stdout,
// the drift it leaves to the operator on stderr. With --write it applies
// the edits; the file is replaced atomically, after the result has been
// checked to load, so a failure leaves it as it was.
func cmdLabDiscover(ctx context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("lab discover", flag.ContinueOnError)
	config := flags.String("config", "", "the admin server's YAML configuration, whose sources are asked")
	write := flags.Bool("write", false, "apply the proposed edits to lab.yaml instead of printing them only")
	labPath := flags.String("lab", "", "the lab.yaml to merge with (default: content/lab.yaml of the config's site:)")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if err := noArgs("lab discover", pos); err != nil {
		return err
	}
	if *config == "" {
		return usageError{msg: "lab discover needs --config FILE"}
	}
	cfg, err := adminconfig.Load(*config)
	if err != nil {
		return err
	}
	kinds := live.Builtin()
	if !slices.ContainsFunc(cfg.Sources, func(s live.Source) bool { return kinds.CanDiscover(s.Type) }) {
		return fmt.Errorf("%s: no source can discover (sources of type %s can)", *config, strings.Join(discoverKinds(kinds), ", "))
	}
	path, display := *labPath, *labPath
	if path == "" {
		path, display = filepath.Join(cfg.Site, "content", "lab.yaml"), "content/lab.yaml"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("lab discover: %w", err)
	}
	l, err := lab.Parse(data, display)
	if err != nil {
		return err
	}
	asked := discover.Ask(ctx, kinds, cfg.Sources)
	for _, f := range asked.Failed {
		fmt.Fprintf(e.stderr, "labfront: %v\n", f)
	}
	if len(asked.Failed) == len(asked.Sources) {
		return errors.New("lab discover: no source answered; lab.yaml is unchanged")
	}
	plan := discover.Merge(l, asked.Input)

	var old, updated []byte
	if *write && len(plan.Edits) > 0 {
		old, updated, err = labedit.WriteFile(path, display, plan.Edits)
	} else {
		old = data
		updated, err = labedit.Apply(data, plan.Edits)
		if err == nil {
			// What --write would refuse, say now.
			_, err = lab.Parse(updated, display)
		}
	}
	if err != nil {
		return fmt.Errorf("lab discover: the proposed edits do not apply, lab.yaml is unchanged: %w", err)
	}
	fmt.Fprint(e.stdout, labedit.Diff(display, old, updated))
	summarize(e, plan, display, *write)
	if len(asked.Failed) > 0 {
		return fmt.Errorf("lab discover: %d of %d sources did not answer; what they see is missing above", len(asked.Failed), len(asked.Sources))
	}
	return nil
}

// summarize tells the operator, on stderr, what the diff holds and the
// drift discovery did not apply: differing values are the operator's to
// change, never discovery's.
func summarize(e *env, plan *discover.Plan, display string, wrote bool) {
	var left []discover.Drift
	for _, d := range plan.Drift {
		if d.Kind != discover.New || len(d.Edits) == 0 {
			left = append(left, d)
		}
	}
	for _, d := range left {
		fmt.Fprintf(e.stderr, "%s: %s\n", d.Kind, d.Message)
	}
	switch {
	case len(plan.Edits) == 0:
		fmt.Fprintf(e.stderr, "%s already has everything the sources see", display)
	case wrote:
		fmt.Fprintf(e.stderr, "wrote %s: %d %s, %d new %s (private unless labfront.public=true)", display,
			len(plan.Edits), plural(len(plan.Edits), "edit", "edits"), len(plan.Added), plural(len(plan.Added), "node", "nodes"))
	default:
		fmt.Fprintf(e.stderr, "%d %s proposed, %d new %s (private unless labfront.public=true); --write applies them", len(plan.Edits),
			plural(len(plan.Edits), "edit", "edits"), len(plan.Added), plural(len(plan.Added), "node", "nodes"))
	}
	if len(left) > 0 {
		fmt.Fprintf(e.stderr, "; %d %s left to you above", len(left), plural(len(left), "difference", "differences"))
	}
	fmt.Fprintln(e.stderr)
}

// discoverKinds names the source types that can discover.
func discoverKinds(kinds live.Kinds) []string {
	var out []string
	for _, k := range kinds {
		if k.Discover != nil {
			out = append(out, k.Name)
		}
	}
	return out
}
