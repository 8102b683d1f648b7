package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/labfront/labfront/deploy/deployrun"
	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/auditlog"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/testkit/cftest"
)

func auditRec(action, target string) auditlog.Record {
	return auditlog.Record{Time: time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC), Who: "ops@lab.test", Action: action, Target: target, Result: "ok"}
}

// TestAuditReadDamaged: a 2 MiB line, garbage and torn lines are skipped
// and counted; every good record around them is shown, and the page says
// how many were skipped instead of answering 500.
func TestAuditReadDamaged(t *testing.T) {
	cfg := devConfig()
	cfg.StateDir = t.TempDir()
	s := newServer(t, cfg, nil)
	if err := s.audit.Append(auditRec("reboot", "first")); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(s.audit.Path(), os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	huge := `{"time":"2026-12-02T14:00:00Z","who":"x","action":"reboot","target":"` + strings.Repeat("A", 2<<20) + `","result":"ok"}` + "\n"
	for _, junk := range []string{huge, "not json at all\n", `{"time":"2026-12-02T14:00:00Z","who":"torn` + "\n", "\n"} {
		if _, err := f.WriteString(junk); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.audit.Append(auditRec("shutdown", "second")); err != nil {
		t.Fatal(err)
	}
	recs, damaged, err := s.audit.Recent(10)
	if err != nil || damaged != 3 || len(recs) != 2 || recs[0].Target != "second" || recs[1].Target != "first" {
		t.Fatalf("recent: %d records %+v, %d damaged, %v; want second, first and 3 damaged", len(recs), recs, damaged, err)
	}
	rec := get(t, s.Handler(), "/admin/audit", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "3 damaged records skipped") || !strings.Contains(rec.Body.String(), "second") {
		t.Errorf("page: %d, note or record missing", rec.Code)
	}
}

// recordingActor is a source with one action that remembers whether it
// ran.
type recordingActor struct {
	stubCollector
	mu  sync.Mutex
	ran int
}

func (a *recordingActor) Actions(n *lab.Node) []string {
	if n.ID == "orch-io" {
		return []string{"reboot"}
	}
	return nil
}

func (a *recordingActor) Act(context.Context, *lab.Node, string) error {
	a.mu.Lock()
	a.ran++
	a.mu.Unlock()
	return nil
}

func (a *recordingActor) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ran
}

// breakAudit makes audit.log impossible to open for writing, even for
// root: a directory stands in its place. It returns the repair.
func breakAudit(t *testing.T, path string) func() {
	t.Helper()
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	}
}

const refusedAudit = "was not performed because the audit log could not be written"

// TestNodeActionRefusedWithoutAudit: when the audit log cannot be
// written, a node action is answered 503 and never reaches the source;
// once it can, the same action runs and is audited.
func TestNodeActionRefusedWithoutAudit(t *testing.T) {
	src := live.Source{Name: "pve-io", Type: "proxmox", Interval: time.Minute, Timeout: time.Second}
	actor := &recordingActor{stubCollector: stubCollector{res: &live.Result{Nodes: map[string]live.NodeData{"orch-io": {Status: live.Up}}}}}
	cfg := devConfig(src)
	cfg.StateDir = t.TempDir()
	s := newServer(t, cfg, map[string]live.Collector{src.Name: actor})
	if err := s.poller().Once(t.Context(), src, actor); err != nil {
		t.Fatal(err)
	}
	repair := breakAudit(t, s.audit.Path())
	yes := url.Values{"confirm": {"yes"}}
	rec := postForm(t, s.Handler(), "/admin/nodes/orch-io/actions/reboot", yes, "", "same-origin")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "Refused: reboot "+refusedAudit) {
		t.Errorf("answer %d %s", rec.Code, rec.Body.String())
	}
	if n := actor.count(); n != 0 {
		t.Fatalf("the action ran %d times without an audit record", n)
	}
	repair()
	rec = postForm(t, s.Handler(), "/admin/nodes/orch-io/actions/reboot", yes, "", "same-origin")
	if rec.Code != http.StatusSeeOther || actor.count() != 1 {
		t.Errorf("with the audit log back: %d, ran %d", rec.Code, actor.count())
	}
	if recs, _, err := s.audit.Recent(5); err != nil || len(recs) != 1 || recs[0].Action != "reboot" {
		t.Errorf("audit: %+v %v", recs, err)
	}
}

// TestDeployActionsRefusedWithoutAudit: deploy-now, rollback and purge
// are refused with 503 before anything is queued or sent to Cloudflare
// when the audit log cannot be written; so is a pushed deploy's run.
func TestDeployActionsRefusedWithoutAudit(t *testing.T) {
	e := newDeployEnv(t, deployEnvOpts{})
	h := e.srv.Handler()
	yes := url.Values{"confirm": {"yes"}, "prefixes": {"lab.example.dev/"}}
	repair := breakAudit(t, e.srv.audit.Path())
	for _, tc := range []struct{ path, action string }{
		{"/admin/deploys/deploy-now", "deploy-now"},
		{"/admin/deploys/deployments/some-id/rollback", "rollback"},
		{"/admin/deploys/purge", "purge"},
	} {
		rec := postForm(t, h, tc.path, yes, "", "same-origin")
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "Refused: "+tc.action+" "+refusedAudit) {
			t.Errorf("%s: %d %s", tc.action, rec.Code, rec.Body.String())
		}
	}
	if _, _, runs := e.srv.deploys.Runs(); len(runs) != 0 {
		t.Errorf("deploy-now queued %d runs", len(runs))
	}
	if e.cf.Count(cftest.RouteDeploymentRollback) != 0 || len(e.cf.Purges()) != 0 {
		t.Error("a refused action reached Cloudflare")
	}
	// A run queued without the action (a push) is refused when it starts.
	run, reason := e.srv.deploys.Enqueue(deployrun.Job{Trigger: deployrun.TriggerPush, Who: "pusher", Commit: gitT(t, e.work, "rev-parse", "HEAD")})
	if run == nil {
		t.Fatal(reason)
	}
	if got := waitRun(t, e.srv.deploys, run.ID); got.State != deployrun.Refused || !strings.Contains(got.Error, "audit log") {
		t.Errorf("pushed run: %s %s", got.State, got.Error)
	}
	if n := len(e.cf.Deployments(cftest.DefaultProject)); n != 0 {
		t.Errorf("%d deployments made without an audit record", n)
	}
	repair()
	rec := postForm(t, h, "/admin/deploys/purge", yes, "", "same-origin")
	if rec.Code != http.StatusOK || len(e.cf.Purges()) != 1 {
		t.Errorf("purge with the audit log back: %d, %d purges", rec.Code, len(e.cf.Purges()))
	}
}

// TestDeployNowDiskFull: deploy-now on a full disk is refused, saying so,
// before git runs; a pushed run is refused the same way.
func TestDeployNowDiskFull(t *testing.T) {
	e := newDeployEnv(t, deployEnvOpts{})
	e.srv.deploys.Free = func(string) (uint64, error) { return 1 << 20, nil }
	rec := postForm(t, e.srv.Handler(), "/admin/deploys/deploy-now", url.Values{"confirm": {"yes"}}, "", "same-origin")
	if rec.Code != http.StatusInsufficientStorage || !strings.Contains(rec.Body.String(), "the disk is full") {
		t.Errorf("deploy-now: %d %s", rec.Code, rec.Body.String())
	}
	if _, _, runs := e.srv.deploys.Runs(); len(runs) != 0 {
		t.Errorf("%d runs queued on a full disk", len(runs))
	}
	run, reason := e.srv.deploys.Enqueue(deployrun.Job{Trigger: deployrun.TriggerPush, Who: "pusher", Commit: gitT(t, e.work, "rev-parse", "HEAD")})
	if run == nil {
		t.Fatal(reason)
	}
	got := waitRun(t, e.srv.deploys, run.ID)
	if got.State != deployrun.Failed || !strings.Contains(got.Error, "the disk is full") || strings.Contains(logText(got), "$ git") {
		t.Errorf("pushed run on a full disk: %s %s\n%s", got.State, got.Error, logText(got))
	}
	if _, err := os.Stat(filepath.Join(e.srv.deploys.Config().WorkDir, "repo")); err == nil {
		t.Error("git ran on a full disk")
	}
}

// TestPromoteRefusedWithoutAudit: a promotion is refused before it
// writes, commits or pushes anything when the audit log cannot be
// written.
func TestPromoteRefusedWithoutAudit(t *testing.T) {
	site := gitSite(t)
	s := newServer(t, &adminconfig.Config{Site: site, Auth: adminconfig.Auth{Mode: adminconfig.ModeDev}}, nil)
	before := tree(t, site)
	repair := breakAudit(t, s.audit.Path())
	rec := serve(s.Handler(), promoteReq(url.Values{"file": {seedInbox}, "as": {"note"}, "confirm": {"yes"}}, nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "Refused: promote "+refusedAudit) {
		t.Errorf("answer %d %s", rec.Code, rec.Body.String())
	}
	sameTree(t, before, tree(t, site))
	if n := gitCmd(t, site, "rev-list", "--count", "HEAD"); n != "1" {
		t.Errorf("%s commits, want 1: the promotion ran", n)
	}
	repair()
	if rec := serve(s.Handler(), promoteReq(url.Values{"file": {seedInbox}, "as": {"note"}, "confirm": {"yes"}}, nil)); rec.Code != http.StatusOK {
		t.Errorf("with the audit log back: %d", rec.Code)
	}
}

// TestActionOnFullDiskTmpfs: with state_dir on a real full filesystem,
// an action is refused before it runs (the record's room cannot be
// reserved), /readyz says the state is not saved, and both recover once
// space returns. Root only, and never under CI=true.
func TestActionOnFullDiskTmpfs(t *testing.T) {
	if os.Getenv("CI") == "true" {
		t.Skip("CI=true: no mounting in CI; TestNodeActionRefusedWithoutAudit and TestStateNotSaved inject the failures instead")
	}
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root; TestNodeActionRefusedWithoutAudit and TestStateNotSaved inject the failures instead")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	src := live.Source{Name: "pve-io", Type: "proxmox", Interval: time.Minute, Timeout: time.Second}
	actor := &recordingActor{stubCollector: stubCollector{res: &live.Result{Nodes: map[string]live.NodeData{"orch-io": {Status: live.Up}}}}}
	cfg := devConfig(src)
	cfg.StateDir = dir
	s := newServer(t, cfg, map[string]live.Collector{src.Name: actor})
	if err := s.poller().Once(t.Context(), src, actor); err != nil {
		t.Fatal(err)
	}
	yes := url.Values{"confirm": {"yes"}}
	if rec := postForm(t, s.Handler(), "/admin/nodes/orch-io/actions/reboot", yes, "", "same-origin"); rec.Code != http.StatusSeeOther {
		t.Fatalf("before the disk filled: %d", rec.Code)
	}
	ballast := filepath.Join(dir, "ballast")
	f, err := os.Create(ballast)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for range 1 << 10 { // bounded: 64 MiB at most
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	if err := f.Close(); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
	rec := postForm(t, s.Handler(), "/admin/nodes/orch-io/actions/reboot", yes, "", "same-origin")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), refusedAudit) || actor.count() != 1 {
		t.Errorf("on a full disk: %d %s, ran %d times (want 1, before)", rec.Code, rec.Body.String(), actor.count())
	}
	actor.res = &live.Result{Nodes: map[string]live.NodeData{"orch-io": {Status: live.Up, Detail: strings.Repeat("x", 64<<10)}}}
	if err := s.poller().Once(t.Context(), src, actor); err != nil {
		t.Fatal(err)
	}
	if rec := get(t, s.Handler(), "/readyz", nil); rec.Code != http.StatusServiceUnavailable || rec.Body.String() != "state not saved\n" {
		t.Errorf("readyz on a full disk: %d %q", rec.Code, rec.Body.String())
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if err := s.poller().Once(t.Context(), src, actor); err != nil {
		t.Fatal(err)
	}
	if rec := get(t, s.Handler(), "/readyz", nil); rec.Code != http.StatusOK {
		t.Errorf("readyz after space returned: %d %q", rec.Code, rec.Body.String())
	}
	if rec := postForm(t, s.Handler(), "/admin/nodes/orch-io/actions/reboot", yes, "", "same-origin"); rec.Code != http.StatusSeeOther || actor.count() != 2 {
		t.Errorf("after space returned: %d, ran %d", rec.Code, actor.count())
	}
	if recs, damaged, err := s.audit.Recent(10); err != nil || len(recs) != 2 || damaged != 0 {
		t.Errorf("audit: %d records, %d damaged, %v", len(recs), damaged, err)
	}
}
