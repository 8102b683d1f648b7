// Package deployrun is the admin server's deploy-run queue: git-push and
// deploy-now requests become runs, executed one at a time (fetch, a
// sandboxed build and check, the deploy pipeline), each with its own log
// and audit record. What must survive a restart (webhook deliveries seen,
// commits deployed) is kept in work_dir/state.json. The HTTP handlers
// that feed it and show it are in package api.
package deployrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labfront/labfront/deploy"
	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/auditlog"
	"github.com/labfront/labfront/internal/gitrepo"
	"github.com/labfront/labfront/internal/statefile"
)

// Cloudflare is the deploy configuration for the project in the site's
// wrangler.toml, with credentials from the environment.
//
// For a pushed checkout this runs in the server, which holds the
// secrets, so wrangler.toml must be a file of the checkout (package
// sitefs): a symlink to /proc/self/environ would otherwise put the
// environment into a parse error in the run's log.
func Cloudflare(d adminconfig.Deploys, site string) (deploy.Config, error) {
	// LoadWrangler reads through sitefs: a pushed wrangler.toml that is a
	// symlink out of the checkout is refused before it is read.
	return deploy.LoadConfig(d.Env, filepath.Join(site, "wrangler.toml"))
}

// Run states.
const (
	Queued     = "queued"
	Running    = "running"
	OK         = "ok"
	Failed     = "failed"
	Superseded = "superseded"
	// Refused: a pushed commit that would roll the site back (see
	// refuseRollback); nothing was built.
	Refused = "refused"
)

// Bounds on what the queue keeps in memory and on disk.
const (
	maxRuns          = 30   // finished runs kept for the page
	maxRunLines      = 2000 // log lines kept per run; older ones are dropped
	maxRemembered    = 200  // delivery ids and deployed commits remembered
	runTimeout       = 30 * time.Minute
	cloneTimeout     = 10 * time.Minute
	fetchTimeout     = 5 * time.Minute
	deployGitTimeout = time.Minute
)

// Triggers of a run: a webhook push, or the deploy-now action.
const (
	TriggerPush   = "push"
	TriggerManual = "manual"
)

// Job is a request for a deploy: a pushed commit, or the branch
// head when commit is "".
type Job struct {
	Trigger  string // TriggerPush or TriggerManual
	Who      string // the pusher or the admin, for the audit log
	Commit   string
	Delivery string
}

// Line is one line of a run's log. Seq numbers lines from 0 for the
// whole run, also across dropped ones, so an event stream can resume.
type Line struct {
	Seq  int
	Time time.Time
	Text string
}

// Run is one deploy, from queued to its result. The queue's
// mutex guards every field.
type Run struct {
	ID       int
	Trigger  string
	Who      string
	Branch   string
	Commit   string // the pushed commit; for deploy-now set once fetched
	Delivery string
	State    string
	Error    string
	Queued   time.Time
	Started  time.Time
	Ended    time.Time
	// The Pages deployment, once created.
	DeploymentID, URL string

	lines   []Line
	next    int           // Seq of the next line
	changed chan struct{} // closed and replaced on every change
}

// Finished reports whether the run has its result.
func (r *Run) Finished() bool {
	return r.State == OK || r.State == Failed || r.State == Superseded || r.State == Refused
}

// View is a copy of a run for pages and streams.
type View struct {
	Run
	Lines   []Line
	Dropped int // lines dropped from the start of the log
	// Changed is closed when the run changes after the copy was made.
	Changed <-chan struct{}
}

// Queue runs deploys one at a time. At most one run waits: a newer
// request supersedes it, since deploying a commit that is already outdated
// only delays the one that matters.
type Queue struct {
	cfg      adminconfig.Deploys
	stateDir string
	log      *slog.Logger
	audit    *auditlog.Log
	files    *statefile.Files
	now      func() time.Time
	// Free says how much space a directory's filesystem has left
	// (statefile.Free); tests make a disk look full.
	Free    func(dir string) (uint64, error)
	MinFree uint64
	// BeforeStage, when set (tests), is called as a run enters each stage:
	// fetch, build, check, deploy.
	BeforeStage func(run int, stage string)

	mu         sync.Mutex
	seq        int
	runs       []*Run // newest last
	pending    *Run
	running    *Run
	deliveries []string // recent webhook delivery ids
	deployed   []string // commits deployed successfully, newest last

	wake chan struct{}
}

// state is what survives a restart: a delivery replayed after
// the server restarted is still recognised.
type state struct {
	Deliveries []string `json:"deliveries"`
	Deployed   []string `json:"deployed"`
}

// Options are what a Queue needs besides its config.
type Options struct {
	Files    *statefile.Files // state.json is written through it
	StateDir string           // the server's; builds read its snapshot.json
	Audit    *auditlog.Log
	Log      *slog.Logger
	Now      func() time.Time
}

// Open prepares the queue in cfg.WorkDir and loads its state; runs start
// once Run is called.
func Open(cfg adminconfig.Deploys, o Options) (*Queue, error) {
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return nil, fmt.Errorf("deploys: work_dir: %w", err)
	}
	// Absolute, because the build child gets it as its HOME and --src.
	abs, err := filepath.Abs(cfg.WorkDir)
	if err != nil {
		return nil, fmt.Errorf("deploys: work_dir: %w", err)
	}
	cfg.WorkDir = abs
	d := &Queue{
		cfg: cfg, stateDir: o.StateDir, audit: o.Audit, files: o.Files, log: o.Log, now: o.Now, Free: statefile.Free, MinFree: minDeployFree,
		wake: make(chan struct{}, 1),
	}
	if err := d.files.RemoveTemp(cfg.WorkDir); err != nil {
		d.log.Warn("deploys: temporary files left by a crash could not be removed", "err", err)
	}
	// A damaged file is moved aside: losing replay protection for old
	// deliveries is better than refusing to start, and the commit check
	// still holds for new ones.
	var st state
	lost, err := d.files.Load(d.statePath(), func(data []byte) error { return statefile.DecodeJSON(data, &st) })
	if err != nil {
		return nil, fmt.Errorf("deploys: %w", err)
	}
	if !lost {
		d.deliveries, d.deployed = st.Deliveries, st.Deployed
	}
	return d, nil
}

// Config is the queue's configuration, work_dir made absolute.
func (d *Queue) Config() adminconfig.Deploys { return d.cfg }

func (d *Queue) statePath() string { return filepath.Join(d.cfg.WorkDir, "state.json") }

// saveState writes the remembered deliveries and commits; the caller
// holds d.mu.
func (d *Queue) saveState() {
	data, err := json.Marshal(state{Deliveries: d.deliveries, Deployed: d.deployed})
	if err != nil {
		d.log.Error("deploys: encode state", "err", err)
		return
	}
	// files logs a failure, at most once a minute, and the dashboard
	// shows it: here it is only worth a debug line.
	if err := d.files.Write(d.statePath(), data, 0o644); err != nil {
		d.log.Debug("deploys: state not saved", "err", err)
	}
}

// Save writes the remembered deliveries and commits again.
func (d *Queue) Save() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.saveState()
}

// Deployed are the commits remembered as deployed, oldest first.
func (d *Queue) Deployed() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.deployed)
}

// ReplaceDeployed sets the commits remembered as deployed, as if the
// others had aged out of the bounded list; tests use it.
func (d *Queue) ReplaceDeployed(commits ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.deployed = commits
}

func remember(list []string, v string) []string {
	list = append(list, v)
	if len(list) > maxRemembered {
		list = slices.Clone(list[len(list)-maxRemembered:])
	}
	return list
}

// SeenDelivery records a webhook delivery id and reports whether it had
// been seen before.
func (d *Queue) SeenDelivery(id string) bool {
	if id == "" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if slices.Contains(d.deliveries, id) {
		return true
	}
	d.deliveries = remember(d.deliveries, id)
	d.saveState()
	return false
}

// Enqueue queues a job. It answers the run, or why the job was ignored.
func (d *Queue) Enqueue(j Job) (*Run, string) {
	d.mu.Lock()
	if reason := d.ignoreLocked(j.Commit); reason != "" {
		d.mu.Unlock()
		return nil, reason
	}
	d.seq++
	r := &Run{
		ID: d.seq, Trigger: j.Trigger, Who: j.Who, Branch: d.cfg.Branch, Commit: j.Commit, Delivery: j.Delivery,
		State: Queued, Queued: d.now().UTC(), changed: make(chan struct{}),
	}
	if old := d.pending; old != nil {
		old.State, old.Error, old.Ended = Superseded, fmt.Sprintf("superseded by run %d", r.ID), d.now().UTC()
		d.appendLocked(old, fmt.Sprintf("superseded by run %d before it started; not deployed", r.ID))
		d.writeAudit(d.record(old))
	}
	d.pending = r
	d.runs = append(d.runs, r)
	d.trimLocked()
	what := "commit " + ShortHash(j.Commit)
	if j.Commit == "" {
		what = "the head of " + d.cfg.Branch
	}
	d.appendLocked(r, fmt.Sprintf("queued by %s (%s): %s", j.Who, j.Trigger, what))
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return r, ""
}

// ignoreLocked says why a push of commit needs no run: it is deployed,
// being deployed or already waiting. The caller holds d.mu.
func (d *Queue) ignoreLocked(commit string) string {
	switch {
	case commit == "":
		return ""
	case slices.Contains(d.deployed, commit):
		return "commit " + ShortHash(commit) + " is already deployed"
	case d.running != nil && d.running.Commit == commit:
		return fmt.Sprintf("commit %s is being deployed by run %d", ShortHash(commit), d.running.ID)
	case d.pending != nil && d.pending.Commit == commit:
		return fmt.Sprintf("commit %s is already queued as run %d", ShortHash(commit), d.pending.ID)
	}
	return ""
}

// trimLocked drops the oldest finished runs beyond maxRuns.
func (d *Queue) trimLocked() {
	for len(d.runs) > maxRuns {
		i := slices.IndexFunc(d.runs, (*Run).Finished)
		if i < 0 {
			return
		}
		d.runs = slices.Delete(d.runs, i, i+1)
	}
}

// appendLocked adds a line to a run's log and wakes its streams.
func (d *Queue) appendLocked(r *Run, text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		r.lines = append(r.lines, Line{Seq: r.next, Time: d.now().UTC(), Text: line})
		r.next++
	}
	if over := len(r.lines) - maxRunLines; over > 0 {
		r.lines = slices.Delete(r.lines, 0, over)
	}
	d.notifyLocked(r)
}

func (d *Queue) notifyLocked(r *Run) {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (d *Queue) logf(r *Run, format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.appendLocked(r, fmt.Sprintf(format, args...))
}

// View copies a run, with its log from line seq from on.
func (d *Queue) View(id, from int) (View, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.IndexFunc(d.runs, func(r *Run) bool { return r.ID == id })
	if i < 0 {
		return View{}, false
	}
	r := d.runs[i]
	v := View{Run: *r, Changed: r.changed}
	v.lines = nil
	if len(r.lines) > 0 {
		v.Dropped = r.lines[0].Seq
	}
	for _, l := range r.lines {
		if l.Seq >= from {
			v.Lines = append(v.Lines, l)
		}
	}
	return v, true
}

// Runs is the state for the deploys page: the running and waiting runs,
// and all kept runs newest first.
func (d *Queue) Runs() (running, pending *View, runs []View) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := len(d.runs) - 1; i >= 0; i-- {
		v := View{Run: *d.runs[i]}
		v.lines = nil
		runs = append(runs, v)
		switch d.runs[i] {
		case d.running:
			running = &v
		case d.pending:
			pending = &v
		}
	}
	return running, pending, runs
}

// Run executes the queued runs one at a time until ctx is done. A run in
// progress then is given grace to finish (a graceful stop should not
// throw away a deploy half uploaded) before its context is cancelled; a
// run still waiting is recorded as failed. Run returns once no run is in
// progress.
func (d *Queue) Run(ctx context.Context, grace time.Duration) {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-finished:
			return
		case <-ctx.Done():
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-finished:
		case <-t.C:
			d.log.Warn("deploys: the run in progress did not finish within the shutdown grace; cancelling it", "grace", grace)
			cancel()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			d.abandon()
			return
		case <-d.wake:
		}
		for ctx.Err() == nil {
			r := d.take()
			if r == nil {
				break
			}
			d.execute(runCtx, r)
		}
	}
}

// take moves the waiting run to running.
func (d *Queue) take() *Run {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.pending
	if r == nil {
		return nil
	}
	d.pending, d.running = nil, r
	r.State, r.Started = Running, d.now().UTC()
	d.appendLocked(r, "started")
	return r
}

// abandon records a run still waiting when the server stops.
func (d *Queue) abandon() {
	d.mu.Lock()
	r := d.pending
	d.pending = nil
	if r == nil {
		d.mu.Unlock()
		return
	}
	r.State, r.Error, r.Ended = Failed, "the server stopped before the run started", d.now().UTC()
	d.appendLocked(r, r.Error)
	d.writeAudit(d.record(r))
	d.mu.Unlock()
}

// execute runs one deploy and records its result.
func (d *Queue) execute(ctx context.Context, r *Run) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	d.log.Info("deploy started", "run", r.ID, "trigger", r.Trigger, "commit", r.Commit)
	var res *deploy.Result
	err := d.audit.Reserve()
	if err != nil {
		// Its record could not be written: the run must not happen.
		err = refusal{reason: "not performed because the audit log could not be written: " + err.Error()}
	} else {
		res, err = d.perform(ctx, r)
	}
	d.mu.Lock()
	r.Ended = d.now().UTC()
	took := r.Ended.Sub(r.Started).Round(time.Millisecond)
	var refused refusal
	switch {
	case errors.As(err, &refused):
		r.State, r.Error = Refused, err.Error()
		d.appendLocked(r, "refused: "+err.Error())
		d.appendLocked(r, "nothing was built or deployed")
	case err != nil:
		r.State, r.Error = Failed, err.Error()
		d.appendLocked(r, fmt.Sprintf("failed after %s: %v", took, err))
		d.appendLocked(r, "nothing was deployed")
	default:
		r.State, r.DeploymentID, r.URL = OK, res.DeploymentID, res.URL
		d.deployed = remember(d.deployed, r.Commit)
		d.saveState()
		d.appendLocked(r, fmt.Sprintf("deployed %s in %s: %s (%s)", ShortHash(r.Commit), took, res.URL, res.Environment))
	}
	d.running = nil
	// Audited before the lock is let go, so whoever sees the result can
	// also find its record.
	rec := d.record(r)
	d.writeAudit(rec)
	d.mu.Unlock()
	d.log.Info("deploy finished", "run", r.ID, "commit", r.Commit, "result", rec.Result, "err", rec.Error)
}

// record is the audit record of a finished run; the caller holds d.mu.
func (d *Queue) record(r *Run) auditlog.Record {
	rec := auditlog.Record{Time: d.now().UTC(), Who: r.Who, Action: "deploy", Target: fmt.Sprintf("run %d: %s", r.ID, d.cfg.Branch)}
	if r.Commit != "" {
		rec.Target += "@" + ShortHash(r.Commit)
	}
	switch r.State {
	case OK:
		rec.Result = "ok"
		rec.Target += " as deployment " + r.DeploymentID
	case Superseded, Refused:
		rec.Result, rec.Error = "refused", r.Error
	default:
		rec.Result, rec.Error = "failed", r.Error
	}
	return rec
}

// writeAudit appends a run's record; the caller holds d.mu, so the record
// is on disk before anyone sees the run's result.
func (d *Queue) writeAudit(rec auditlog.Record) {
	if err := d.audit.Append(rec); err != nil {
		d.log.Error("deploys: the audit log could not be written", "err", err, "action", rec.Action, "target", rec.Target)
	}
}

func (d *Queue) stage(r *Run, name string) {
	d.logf(r, "== %s", name)
	if d.BeforeStage != nil {
		d.BeforeStage(r.ID, name)
	}
}

// perform fetches, builds, checks and deploys. Any failure returns before
// the deploy stage, so nothing broken reaches Cloudflare.
func (d *Queue) perform(ctx context.Context, r *Run) (*deploy.Result, error) {
	// git's own message on a full disk ("could not set
	// 'remote.origin.url'") does not say what is wrong.
	if err := d.RoomToDeploy(); err != nil {
		return nil, err
	}
	d.stage(r, "fetch")
	repo := filepath.Join(d.cfg.WorkDir, "repo")
	commit, message, err := d.fetch(ctx, r, repo, r.Commit)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	d.mu.Lock()
	r.Commit = commit
	last := ""
	if len(d.deployed) > 0 {
		last = d.deployed[len(d.deployed)-1]
	}
	d.mu.Unlock()
	if r.Trigger == TriggerPush {
		if err := d.refuseRollback(ctx, r, repo, commit, last); err != nil {
			return nil, err
		}
	}
	cf, err := Cloudflare(d.cfg, repo)
	if err != nil {
		return nil, fmt.Errorf("deploy config: %w", err)
	}
	if err := cf.CheckCredentials(); err != nil {
		return nil, fmt.Errorf("cloudflare: %w", err)
	}
	out := filepath.Join(d.cfg.WorkDir, "builds", "run-"+strconv.Itoa(r.ID))
	// A fresh output directory per run; its build cache sits beside it.
	defer func() {
		for _, p := range []string{out, filepath.Join(filepath.Dir(out), ".run-"+strconv.Itoa(r.ID)+".cache")} {
			if err := os.RemoveAll(p); err != nil {
				d.log.Warn("deploys: remove build output", "path", p, "err", err)
			}
		}
	}()
	// The same pipeline as labfront deploy's; only the build differs. The
	// pushed tree is untrusted: it is built and checked by a child process
	// that has none of this server's environment (the webhook secret, the
	// Cloudflare token), so nothing the build is tricked into reading or
	// running can publish them.
	built := false
	p := deploy.Pipeline{Config: cf, Log: slog.New(&runLog{d: d, r: r}), Build: func(ctx context.Context, out string) error {
		d.stage(r, "build")
		args := []string{"build", "--src", repo, "--out", out}
		if snap := filepath.Join(d.stateDir, "snapshot.json"); fileExists(snap) {
			args = append(args, "--snapshot", snap)
		}
		if err := d.labfront(ctx, r, args...); err != nil {
			return fmt.Errorf("build: %w", err)
		}
		d.stage(r, "check")
		if err := d.labfront(ctx, r, "check", "--src", repo); err != nil {
			return fmt.Errorf("check: %w", err)
		}
		d.stage(r, "deploy")
		built = true
		return nil
	}}
	clean := false
	pub, err := p.Run(ctx, deploy.Options{
		Dir: out, Branch: d.cfg.Branch, CommitHash: commit, CommitMessage: message, CommitDirty: &clean,
		Progress: runProgress{d: d, r: r},
	})
	if pub == nil || pub.Result == nil {
		if !built {
			return nil, err // build: or check:, said by Build
		}
		return nil, fmt.Errorf("deploy: %w", err)
	}
	dep := pub.Result
	d.logf(r, "%d files, %d uploaded, %d already on Cloudflare", dep.Files, len(dep.Uploaded), dep.Skipped)
	switch {
	case err != nil:
		// The deployment is live: the run is a success, and the KV pusher
		// refreshes the edge's snapshot at its next tick.
		d.logf(r, "warning: %v", err)
	case pub.Snapshot != "":
		d.logf(r, "pushed snapshot.json to KV namespace %s, key %q", pub.Snapshot, deploy.SnapshotKey)
	default:
		d.logf(r, "snapshot not pushed to KV: %s", pub.NoSnapshot)
	}
	return dep, nil
}

// minDeployFree is the free space a deploy needs in work_dir before it
// starts: the clone's checkout, a build of the site and its cache.
const minDeployFree = 64 << 20

// RoomToDeploy says, as "the disk is full", when work_dir's filesystem has
// less than minDeployFree left.
func (d *Queue) RoomToDeploy() error {
	free, err := d.Free(d.cfg.WorkDir)
	if err != nil {
		return fmt.Errorf("deploys: %w", err)
	}
	if free < d.MinFree {
		return fmt.Errorf("the disk is full: %s has %d MiB free, a deploy needs at least %d MiB", d.cfg.WorkDir, free>>20, d.MinFree>>20)
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// fetch brings the commit (the branch head when commit is "") into the
// work tree at repo: clone once, then fetch the branch and check the
// commit out, leaving no file of an earlier checkout behind. It answers
// the full hash and the commit message.
func (d *Queue) fetch(ctx context.Context, r *Run, repo, commit string) (string, string, error) {
	remote, branch := d.cfg.Repo, d.cfg.Branch
	if !fileExists(filepath.Join(repo, ".git")) {
		d.logf(r, "no clone in %s yet: cloning %s", repo, gitrepo.RedactURL(remote))
		tmp, err := os.MkdirTemp(d.cfg.WorkDir, "clone-")
		if err != nil {
			return "", "", err
		}
		// Clone beside and rename, so a clone cut short never looks like a
		// finished one.
		if _, err := d.git(ctx, r, cloneTimeout, "", "clone", "--no-checkout", "--origin", "origin", "--", remote, tmp); err != nil {
			return "", "", errors.Join(err, os.RemoveAll(tmp))
		}
		if err := os.RemoveAll(repo); err != nil {
			return "", "", err
		}
		if err := os.Rename(tmp, repo); err != nil {
			return "", "", err
		}
	}
	// The config may name another remote since the clone was made.
	if _, err := d.git(ctx, r, deployGitTimeout, repo, "remote", "set-url", "origin", "--", remote); err != nil {
		return "", "", err
	}
	if _, err := d.git(ctx, r, fetchTimeout, repo, "fetch", "--force", "--prune", "origin", "+refs/heads/"+branch+":refs/remotes/origin/"+branch); err != nil {
		return "", "", err
	}
	want := commit
	if want == "" {
		want = "refs/remotes/origin/" + branch
	} else if _, err := d.git(ctx, r, deployGitTimeout, repo, "cat-file", "-e", commit+"^{commit}"); err != nil {
		// Not on the branch any more (a force-push since): ask for it by
		// hash, which servers allow for reachable commits.
		if _, err := d.git(ctx, r, fetchTimeout, repo, "fetch", "origin", commit); err != nil {
			return "", "", fmt.Errorf("commit %s is not in %s", ShortHash(commit), gitrepo.RedactURL(remote))
		}
	}
	full, err := d.git(ctx, r, deployGitTimeout, repo, "rev-parse", "--verify", "--end-of-options", want+"^{commit}")
	if err != nil {
		return "", "", fmt.Errorf("commit %s is not in %s", want, gitrepo.RedactURL(remote))
	}
	full = strings.TrimSpace(full)
	if commit != "" && full != commit {
		return "", "", fmt.Errorf("commit %s resolved to %s", commit, full)
	}
	if commit == "" {
		d.logf(r, "%s is at %s", branch, full)
	}
	if _, err := d.git(ctx, r, deployGitTimeout, repo, "checkout", "--force", "--detach", full); err != nil {
		return "", "", err
	}
	if _, err := d.git(ctx, r, deployGitTimeout, repo, "clean", "-ffdxq"); err != nil {
		return "", "", err
	}
	msg, err := d.git(ctx, r, deployGitTimeout, repo, "show", "-s", "--format=%B", full)
	if err != nil {
		return "", "", err
	}
	msg = strings.TrimSpace(msg)
	d.logf(r, "checked out %s: %s", ShortHash(full), FirstLine(msg))
	return full, msg, nil
}

// git runs one git command in dir ("" for none) with a timeout, through
// package gitrepo: its command line and messages go to the run's log,
// redacted.
func (d *Queue) git(ctx context.Context, r *Run, timeout time.Duration, dir string, args ...string) (string, error) {
	return gitrepo.Repo{Dir: dir, Log: func(l string) { d.logf(r, "%s", l) }}.Run(ctx, timeout, args...)
}

// ShortHash is the first 12 characters of a commit hash.
func ShortHash(commit string) string { return commit[:min(len(commit), 12)] }

// FirstLine is the first line of a commit message.
func FirstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// runLog is a slog handler that writes a run's build and deploy logs into
// the run's log: "message key=value …", warnings and errors marked.
type runLog struct {
	d      *Queue
	r      *Run
	attrs  []slog.Attr
	prefix string
}

var _ slog.Handler = (*runLog)(nil)

func (h *runLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *runLog) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	if rec.Level >= slog.LevelWarn {
		b.WriteString(rec.Level.String() + ": ")
	}
	b.WriteString(rec.Message)
	add := func(a slog.Attr) bool {
		v := a.Value.Resolve().String()
		if strings.ContainsAny(v, " \t\n\"") {
			v = strconv.Quote(v)
		}
		b.WriteString(" " + h.prefix + a.Key + "=" + v)
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	rec.Attrs(add)
	h.d.logf(h.r, "%s", b.String())
	return nil
}

func (h *runLog) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(slices.Clone(h.attrs), as...)
	return &c
}

func (h *runLog) WithGroup(name string) slog.Handler {
	c := *h
	c.prefix = h.prefix + name + "."
	return &c
}

// runProgress reports a deploy's progress into the run's log.
type runProgress struct {
	d *Queue
	r *Run
}

var _ deploy.Progress = runProgress{}

func (p runProgress) Step(msg string) { p.d.logf(p.r, "%s", msg) }

func (p runProgress) Upload(done, total int, doneBytes, totalBytes int64) {
	if total == 0 {
		p.d.logf(p.r, "uploading: nothing to upload, every file is already on Cloudflare")
		return
	}
	p.d.logf(p.r, "uploading: %d/%d files, %d/%d bytes", done, total, doneBytes, totalBytes)
}
