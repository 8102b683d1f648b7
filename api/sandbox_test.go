//go:build linux

package api

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/deploy/deployrun"
	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/testkit/cftest"
)

// TestWebhookBuildEnvironment: the webhook build cannot see the admin
// server's environment. The server holds the webhook secret and a
// Cloudflare token in its environment; the build command records the
// environment it got, then builds with the real labfront. Only the
// allowlisted variables arrive, none of the server's secrets, and the
// deploy still goes through.
func TestWebhookBuildEnvironment(t *testing.T) {
	const secret, token = "webhook-secret-in-the-env-4d1f", "cf-token-in-the-env-9a2c"
	t.Setenv(adminconfig.EnvWebhookSecret, secret)
	t.Setenv("CLOUDFLARE_API_TOKEN", token)
	t.Setenv("LABFRONT_SOMETHING_ELSE", "also-private")
	dir := t.TempDir()
	record := filepath.Join(dir, "env")
	// /proc/$$/environ is what the shell was started with, before it adds
	// variables of its own (PWD, SHLVL).
	script := filepath.Join(dir, "build.sh")
	writeT(t, script, "#!/bin/sh\ncat /proc/$$/environ >> '"+record+"'\nprintf '\\n--\\n' >> '"+record+"'\nexec '"+labfrontBin(t)+"' \"$@\"\n")
	if err := os.Chmod(script, 0o755); err != nil {
		t.Fatal(err)
	}
	e := newDeployEnv(t, deployEnvOpts{build: []string{script}})

	sha := e.push(t, "env-check")
	body := pushBody("refs/heads/main", sha)
	if rec, ans := hook(t, e.srv.Handler(), body, github(body, "env-1")); ans.Status != "queued" {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	run := waitRun(t, e.srv.deploys, 1)
	if run.State != deployrun.OK {
		t.Fatalf("run %s: %s\n%s", run.State, run.Error, logText(run))
	}
	data, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	runs := strings.Split(strings.TrimSuffix(string(data), "\n--\n"), "\n--\n")
	if len(runs) != 2 {
		t.Fatalf("the build command ran %d times, want 2 (build, check)", len(runs))
	}
	work := e.srv.deploys.Config().WorkDir
	want := []string{"HOME=" + work, "LANG=C", "LC_ALL=C", "PATH=" + os.Getenv("PATH"), "TMPDIR=" + filepath.Join(work, "tmp"), "TZ=UTC"}
	for i, env := range runs {
		got := strings.Split(strings.Trim(env, "\x00"), "\x00")
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("child %d had the environment\n%s\nwant\n%s", i+1, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		for _, s := range []string{secret, token, "also-private", cftest.DefaultToken, hookSecret} {
			if strings.Contains(env, s) {
				t.Errorf("child %d saw %q", i+1, s)
			}
		}
	}
}

// TestGitPushReplayRefused: once B (a child of A) is deployed, the push
// of A replayed under a new delivery id is refused — logged, audited,
// nothing built or deployed — and a push of C (a child of B) still
// deploys. The refusal survives a restart (the last deployed commit is in
// state.json). Deploy-now of the branch head is not a push: unaffected.
func TestGitPushReplayRefused(t *testing.T) {
	e := newDeployEnv(t, deployEnvOpts{})
	h := e.srv.Handler()
	deliver := func(sha, id string) hookAnswer {
		t.Helper()
		body := pushBody("refs/heads/main", sha)
		rec, ans := hook(t, h, body, github(body, id))
		if ans.Status != "queued" {
			t.Fatalf("%s: %d %s", id, rec.Code, rec.Body.String())
		}
		return ans
	}
	a := e.push(t, "replay-a")
	if run := waitRun(t, e.srv.deploys, deliver(a, "a").Run); run.State != deployrun.OK {
		t.Fatalf("A: %s %s", run.State, run.Error)
	}
	b := e.push(t, "replay-b")
	if run := waitRun(t, e.srv.deploys, deliver(b, "b").Run); run.State != deployrun.OK {
		t.Fatalf("B: %s %s", run.State, run.Error)
	}
	// The recorded delivery of A again, under a fresh id. "already
	// deployed" would catch A only while it is remembered; the ancestry
	// check does not depend on that, so forget it.
	e.srv.deploys.ReplaceDeployed(b)
	run := waitRun(t, e.srv.deploys, deliver(a, "a-replayed").Run)
	if run.State != deployrun.Refused || !strings.Contains(run.Error, "ancestor of the deployed commit "+b[:12]) {
		t.Errorf("replay of A: %s %q", run.State, run.Error)
	}
	log := logText(run)
	if strings.Contains(log, "== build") || !strings.Contains(log, "nothing was built or deployed") {
		t.Errorf("the refused run's log:\n%s", log)
	}
	deps := e.cf.Deployments(cftest.DefaultProject)
	if len(deps) != 2 || e.cf.Canonical(cftest.DefaultProject) != deps[1].ID || deps[1].CommitHash != b {
		t.Errorf("after the replay: %d deployments, canonical %s", len(deps), e.cf.Canonical(cftest.DefaultProject))
	}
	recs := auditRecords(t, e.srv)
	if recs[0].Result != "refused" || !strings.Contains(recs[0].Target, a[:12]) || !strings.Contains(recs[0].Error, "ancestor") {
		t.Errorf("audit of the refusal: %+v", recs[0])
	}

	// After a restart too.
	d2, err := deployrun.Open(e.srv.cfg.Deploys, deployrun.Options{Files: e.srv.files, StateDir: e.srv.cfg.StateDir, Audit: e.srv.audit, Log: quietLog(), Now: e.srv.now})
	if err != nil {
		t.Fatal(err)
	}
	if got := d2.Deployed(); len(got) == 0 || got[len(got)-1] != b {
		t.Errorf("a restarted deployer's last deployed commit: %v, want %s", got, b)
	}

	c := e.push(t, "replay-c")
	if run := waitRun(t, e.srv.deploys, deliver(c, "c").Run); run.State != deployrun.OK {
		t.Fatalf("C: %s %s\n%s", run.State, run.Error, logText(run))
	}
	if deps := e.cf.Deployments(cftest.DefaultProject); len(deps) != 3 || deps[2].CommitHash != c {
		t.Errorf("C was not deployed: %d deployments", len(deps))
	}

	// Deploy-now of the branch head after the branch was reset to A: an
	// explicit action, not refused.
	gitT(t, e.work, "push", "--quiet", "--force", "origin", a+":refs/heads/main")
	r, reason := e.srv.deploys.Enqueue(deployrun.Job{Trigger: deployrun.TriggerManual, Who: "admin@lab.test"})
	if r == nil {
		t.Fatalf("deploy-now: %s", reason)
	}
	if run := waitRun(t, e.srv.deploys, r.ID); run.State != deployrun.OK || run.Commit != a {
		t.Errorf("deploy-now of the reset branch: %s %s %q", run.State, run.Commit, run.Error)
	}
	// The force-push dropped C. C is no ancestor of the deployed A, but a
	// replay of its push must not undo the force-push: it is not on the
	// branch any more. (Forget C as deployed, as after 200 more deploys.)
	e.srv.deploys.ReplaceDeployed(a)
	run = waitRun(t, e.srv.deploys, deliver(c, "c-replayed").Run)
	if run.State != deployrun.Refused || !strings.Contains(run.Error, "not on main any more") {
		t.Errorf("replay of C after the force-push: %s %q", run.State, run.Error)
	}
	if deps := e.cf.Deployments(cftest.DefaultProject); len(deps) != 4 || deps[3].CommitHash != a {
		t.Errorf("after the replay of C: %d deployments", len(deps))
	}
}

// TestWebhookBuildCancelled: when the server stops, the build child is
// killed and the run fails without deploying.
func TestWebhookBuildCancelled(t *testing.T) {
	e := newDeployEnv(t, deployEnvOpts{})
	script := filepath.Join(t.TempDir(), "build.sh")
	writeT(t, script, "#!/bin/sh\necho build child started\nexec sleep 600\n")
	if err := os.Chmod(script, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := e.srv.cfg.Deploys
	cfg.BuildCommand = []string{script}
	cfg.WorkDir = filepath.Join(t.TempDir(), "deploys")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := deployrun.Open(cfg, deployrun.Options{Files: e.srv.files, StateDir: e.srv.cfg.StateDir, Audit: e.srv.audit, Log: quietLog(), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx, 0) // no grace: stopping cancels the build
	}()
	r, reason := d.Enqueue(deployrun.Job{Trigger: deployrun.TriggerPush, Who: "test", Commit: e.push(t, "cancelled")})
	if r == nil {
		t.Fatal(reason)
	}
	deadline := time.After(2 * time.Minute)
	for v, _ := d.View(r.ID, 0); !strings.Contains(logText(v), "build child started"); v, _ = d.View(r.ID, 0) {
		select {
		case <-v.Changed:
		case <-deadline:
			t.Fatalf("the build child did not start:\n%s", logText(v))
		}
	}
	cancel()
	run := waitRun(t, d, r.ID)
	<-done
	if run.State != deployrun.Failed || !strings.Contains(run.Error, "stopped") {
		t.Errorf("run %s: %q", run.State, run.Error)
	}
	if n := e.cf.Count(cftest.RouteDeploymentCreate); n != 0 {
		t.Errorf("%d deployments", n)
	}
}

// TestGitPushWranglerSymlink: the deployer reads the pushed wrangler.toml
// in the server, which holds the secrets; a wrangler.toml that is a
// symlink out of the checkout is refused before it is read, and nothing
// of the environment reaches the run.
func TestGitPushWranglerSymlink(t *testing.T) {
	const secret = "server-env-secret-51ab"
	t.Setenv("LABFRONT_TEST_SECRET", secret)
	e := newDeployEnv(t, deployEnvOpts{})
	wrangler := filepath.Join(e.work, "wrangler.toml")
	if err := os.Remove(wrangler); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/proc/self/environ", wrangler); err != nil {
		t.Fatal(err)
	}
	sha := e.push(t, "wrangler-link")
	body := pushBody("refs/heads/main", sha)
	if rec, ans := hook(t, e.srv.Handler(), body, github(body, "wr-1")); ans.Status != "queued" {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	run := waitRun(t, e.srv.deploys, 1)
	if run.State != deployrun.Failed || !strings.Contains(run.Error, "wrangler.toml: symlink outside the site") {
		t.Errorf("run %s: %q", run.State, run.Error)
	}
	if strings.Contains(logText(run)+run.Error, secret) {
		t.Errorf("the run shows the server's environment:\n%s", logText(run))
	}
	if n := e.cf.Count(cftest.RouteDeploymentCreate); n != 0 {
		t.Errorf("%d deployments", n)
	}
}
