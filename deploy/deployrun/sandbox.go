package deployrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/gitrepo"
)

// The environment of the children a deploy runs. A pushed commit is
// untrusted input, so the build of it gets no variable of this server
// (the webhook secret, CLOUDFLARE_API_TOKEN, anything else): only what a
// build needs, with the work dir as its home.
const (
	childWaitDelay = 5 * time.Second // after a cancel, how long a child's pipes may stay open
	maxChildLine   = 4000            // longer output lines are cut in the run's log
	maxChildErrors = 10              // problem lines of a failed build kept for the run's error
)

// defaultPath is the PATH of a child when the server has none.
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// buildEnv is the whole environment of `labfront build` and `check`:
// PATH, HOME and TMPDIR inside the work dir, and a fixed locale and time
// zone so a build does not depend on how the server was started.
func buildEnv(getenv func(string) string, workDir string) []string {
	path := getenv("PATH")
	if path == "" {
		path = defaultPath
	}
	return []string{
		"PATH=" + path,
		"HOME=" + workDir,
		"TMPDIR=" + filepath.Join(workDir, "tmp"),
		"LANG=C",
		"LC_ALL=C",
		"TZ=UTC",
	}
}

// buildCommand is the labfront that builds: the configured one, or this
// executable.
func (d *Queue) buildCommand() ([]string, error) {
	if len(d.cfg.BuildCommand) > 0 {
		return d.cfg.BuildCommand, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this executable to build with: %w", err)
	}
	return []string{exe}, nil
}

// labfront runs one labfront command (build or check) as a sandboxed
// child: its output goes line by line into the run's log, redacted as
// git's is; cancelling ctx kills it. A failure carries the problems the
// child printed, so the run says what is wrong with the commit.
func (d *Queue) labfront(ctx context.Context, r *Run, args ...string) error {
	bin, err := d.buildCommand()
	if err != nil {
		return err
	}
	tmp := filepath.Join(d.cfg.WorkDir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return fmt.Errorf("the build's TMPDIR: %w", err)
	}
	d.logf(r, "$ labfront %s", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, bin[0], append(bin[1:len(bin):len(bin)], args...)...)
	cmd.Env = buildEnv(os.Getenv, d.cfg.WorkDir)
	cmd.Dir = d.cfg.WorkDir
	cmd.WaitDelay = childWaitDelay
	out := &childLog{d: d, r: r}
	// One writer for both: exec copies into it from one goroutine.
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	out.flush()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("labfront %s stopped: %w", args[0], context.Cause(ctx))
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && len(out.problems) > 0 {
		return fmt.Errorf("labfront %s exited with status %d: %s", args[0], exit.ExitCode(), strings.Join(out.problems, "; "))
	}
	return fmt.Errorf("labfront %s: %w", args[0], err)
}

// childLog writes a child's output into the run's log one line at a
// time, and keeps the last problem lines (those that are not slog
// records) for the error.
type childLog struct {
	d        *Queue
	r        *Run
	partial  []byte
	problems []string
}

func (w *childLog) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.line(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	if len(w.partial) > maxChildLine {
		w.line(string(w.partial))
		w.partial = nil
	}
	return len(p), nil
}

func (w *childLog) flush() {
	if len(w.partial) > 0 {
		w.line(string(w.partial))
		w.partial = nil
	}
}

func (w *childLog) line(s string) {
	s = strings.TrimRight(gitrepo.Redact(s), "\r")
	if len(s) > maxChildLine {
		s = s[:maxChildLine] + " …"
	}
	if strings.TrimSpace(s) == "" {
		return
	}
	w.d.logf(w.r, "%s", s)
	if !strings.HasPrefix(s, "time=") {
		w.problems = append(w.problems, s)
		if len(w.problems) > maxChildErrors {
			w.problems = w.problems[1:]
		}
	}
}

// refusal is a push the queue will not build.
type refusal struct{ reason string }

func (r refusal) Error() string { return r.reason }

// refuseRollback refuses a pushed commit that is the last deployed
// commit or an ancestor of it. The webhook's delivery id is not covered by
// its signature, so anyone who saw an old delivery can send it again
// under a fresh id; without this, that would put an old version of the
// site back. A rollback is the admin's rollback action (or deploy-now of
// a branch that was reset), never a push.
//
// The pushed commit must also still be on the branch: after a force-push
// that dropped a bad commit, a replay of that commit's delivery is not
// an ancestor of anything deployed, but it is no longer the branch's
// either, and deploying it would undo the force-push.
func (d *Queue) refuseRollback(ctx context.Context, r *Run, repo, commit, last string) error {
	head := "refs/remotes/origin/" + d.cfg.Branch
	_, err := d.git(ctx, r, deployGitTimeout, repo, "merge-base", "--is-ancestor", commit, head)
	switch {
	case gitrepo.ExitCode(err) == 1:
		d.log.Warn("deploys: refused a push of a commit that is not on the branch", "run", r.ID, "commit", commit, "branch", d.cfg.Branch, "delivery", r.Delivery)
		return refusal{fmt.Sprintf("commit %s is not on %s any more: a push deploys only what the branch holds", ShortHash(commit), d.cfg.Branch)}
	case err != nil:
		return fmt.Errorf("is %s on %s: %w", ShortHash(commit), d.cfg.Branch, err)
	}
	if last == "" {
		return nil
	}
	if commit == last {
		return refusal{fmt.Sprintf("commit %s is the deployed commit", ShortHash(commit))}
	}
	_, err = d.git(ctx, r, deployGitTimeout, repo, "merge-base", "--is-ancestor", commit, last)
	switch {
	case err == nil:
		reason := fmt.Sprintf("commit %s is an ancestor of the deployed commit %s: a push never rolls the site back (use the rollback action)", ShortHash(commit), ShortHash(last))
		d.log.Warn("deploys: refused a push that would roll the site back", "run", r.ID, "commit", commit, "deployed", last, "delivery", r.Delivery)
		return refusal{reason}
	case gitrepo.ExitCode(err) == 1:
		return nil
	default:
		// The deployed commit is not in this clone (the branch was
		// force-pushed and the clone made afresh): no history to compare
		// with, and a force-push is the pusher's to make.
		d.logf(r, "cannot tell whether %s is older than the deployed %s (%v): building it", ShortHash(commit), ShortHash(last), err)
		return nil
	}
}
