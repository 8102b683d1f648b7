package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/deploy"
	"github.com/labfront/labfront/deploy/deployrun"
	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/auditlog"
	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/internal/testkit/cftest"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

const hookSecret = "hook-secret-for-tests"

// deployEnv is an admin server with git-push deploys: a bare repository
// as the remote, a clone to make commits in, and the local Cloudflare API.
type deployEnv struct {
	srv    *Server
	cf     *cftest.Server
	remote string // the bare repository
	work   string // a clone the test commits in
	env    map[string]string
}

type deployEnvOpts struct {
	auth   adminconfig.Auth
	noCF   bool // no Cloudflare credentials in the environment
	noZone bool
	repo   string   // overrides the remote
	build  []string // the build command (default: labfrontBin)
	// serve leaves the deploy queue to the test: Serve runs it.
	serve bool
}

func newDeployEnv(t *testing.T, o deployEnvOpts) *deployEnv {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	e := &deployEnv{cf: cftest.New(t, cftest.Options{DeploySteps: 1})}
	root := t.TempDir()
	e.remote = filepath.Join(root, "site.git")
	e.work = filepath.Join(root, "work")
	gitT(t, root, "init", "--quiet", "--bare", "--initial-branch=main", e.remote)
	gitT(t, root, "init", "--quiet", "--initial-branch=main", e.work)
	// The example site: content and wrangler.toml. static/ and web/ts/
	// come from the server, as for a site repository without them.
	if err := os.CopyFS(filepath.Join(e.work, "content"), os.DirFS("../content")); err != nil {
		t.Fatal(err)
	}
	wr, err := os.ReadFile("../wrangler.toml")
	if err != nil {
		t.Fatal(err)
	}
	// The SNAPSHOTS namespace of the local API, so that every deploy
	// pushes its snapshot there, as labfront deploy does.
	wr = bytes.Replace(wr, []byte(`id = "00000000000000000000000000000000"`), []byte(`id = "`+cftest.DefaultKVNamespace+`"`), 1)
	writeT(t, filepath.Join(e.work, "wrangler.toml"), string(wr))
	e.commit(t, "the example site")
	gitT(t, e.work, "remote", "add", "origin", e.remote)
	gitT(t, e.work, "push", "--quiet", "origin", "main")

	e.env = map[string]string{}
	if !o.noCF {
		e.env = map[string]string{
			cfapi.EnvAPIToken: cftest.DefaultToken, cfapi.EnvAccountID: cftest.DefaultAccountID,
			cfapi.EnvBaseURL: e.cf.APIBase, cfapi.EnvZoneID: cftest.DefaultZoneID,
		}
		if o.noZone {
			delete(e.env, cfapi.EnvZoneID)
		}
	}
	repo := e.remote
	if o.repo != "" {
		repo = o.repo
	}
	auth := o.auth
	if auth.Mode == "" {
		auth.Mode = adminconfig.ModeDev
	}
	cfg := &adminconfig.Config{
		Site: "..", StateDir: t.TempDir(), Listen: "127.0.0.1:0", Auth: auth,
		Deploys: adminconfig.Deploys{
			Enabled: true, Secret: hookSecret, Repo: repo, Branch: "main", WorkDir: filepath.Join(t.TempDir(), "deploys"),
			Getenv:       func(k string) string { return e.env[k] },
			BuildCommand: o.build,
		},
	}
	if cfg.Deploys.BuildCommand == nil {
		cfg.Deploys.BuildCommand = []string{labfrontBin(t)}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, cfg, Options{Static: static.FS(), Islands: web.Islands(), Log: quietLog()})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if o.serve {
		t.Cleanup(cancel)
	} else {
		runDeploys(t, ctx, cancel, s)
	}
	e.srv = s
	return e
}

// runDeploys runs the server's deploy queue until the test ends, as
// Serve would. The cleanup stops it and waits before the temporary
// directories go: a run cut short must not race their removal.
func runDeploys(t *testing.T, ctx context.Context, cancel context.CancelFunc, s *Server) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.deploys.Run(ctx, 0) // no grace: a run in progress is cut short
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// checkKVSnapshot fails unless a deploy pushed a build's snapshot.json
// to the local API's SNAPSHOTS namespace, under the key the edge reads.
func checkKVSnapshot(t *testing.T, cf *cftest.Server) {
	t.Helper()
	data, ok := cf.KV(cftest.DefaultKVNamespace, deploy.SnapshotKey)
	if !ok {
		t.Fatalf("no snapshot in KV namespace %s under %q; keys %v", cftest.DefaultKVNamespace, deploy.SnapshotKey, cf.KVKeys(cftest.DefaultKVNamespace))
	}
	// What the build wrote: without a live snapshot, every node unknown.
	var snap struct {
		Version int            `json:"version"`
		Nodes   map[string]any `json:"nodes"`
	}
	if err := json.Unmarshal(data, &snap); err != nil || snap.Version != 1 || len(snap.Nodes) == 0 {
		t.Errorf("the KV snapshot is not a build's snapshot.json (%v):\n%.300s", err, data)
	}
}

func gitT(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", append([]string{"-c", "user.name=Test", "-c", "user.email=test@lab.test", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func writeT(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// commit commits everything in the work clone and answers the hash.
func (e *deployEnv) commit(t *testing.T, msg string) string {
	t.Helper()
	gitT(t, e.work, "add", "--all")
	gitT(t, e.work, "commit", "--quiet", "-m", msg)
	return gitT(t, e.work, "rev-parse", "HEAD")
}

// push commits a new post and pushes it; the answer is the commit.
func (e *deployEnv) push(t *testing.T, slug string) string {
	t.Helper()
	writeT(t, filepath.Join(e.work, "content", "posts", "2026-11-20-"+slug+".md"),
		"---\ntitle: "+slug+"\ndate: 2026-11-20\n---\n\nPushed by a test.\n")
	sha := e.commit(t, "post "+slug)
	gitT(t, e.work, "push", "--quiet", "origin", "main")
	return sha
}

func sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(hookSecret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func pushBody(ref, after string) []byte {
	b, err := json.Marshal(map[string]any{"ref": ref, "before": strings.Repeat("0", 40), "after": after, "pusher": map[string]string{"name": "mara"}})
	if err != nil {
		panic(err)
	}
	return b
}

// hook delivers a webhook body with headers.
func hook(t *testing.T, h http.Handler, body []byte, header map[string]string) (*httptest.ResponseRecorder, hookAnswer) {
	t.Helper()
	req := newRequest(http.MethodPost, "/hooks/git", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var ans hookAnswer
	if rec.Code < 300 {
		if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
			t.Fatalf("answer %d %q: %v", rec.Code, rec.Body.String(), err)
		}
	}
	return rec, ans
}

func github(body []byte, delivery string) map[string]string {
	return map[string]string{"X-GitHub-Event": "push", "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": "sha256=" + sign(body)}
}

func gitea(body []byte, delivery string) map[string]string {
	return map[string]string{"X-Gitea-Event": "push", "X-Gitea-Delivery": delivery, "X-Gitea-Signature": sign(body)}
}

// waitRun waits until run id has finished and answers it.
func waitRun(t *testing.T, d *deployrun.Queue, id int) deployrun.View {
	t.Helper()
	deadline := time.After(2 * time.Minute)
	for {
		v, ok := d.View(id, 0)
		if !ok {
			t.Fatalf("run %d is unknown", id)
		}
		if v.Finished() {
			return v
		}
		select {
		case <-v.Changed:
		case <-deadline:
			t.Fatalf("run %d still %s; log:\n%s", id, v.State, logText(v))
		}
	}
}

func logText(v deployrun.View) string {
	var b strings.Builder
	for _, l := range v.Lines {
		b.WriteString(l.Text + "\n")
	}
	return b.String()
}

func auditRecords(t *testing.T, s *Server) []auditlog.Record {
	t.Helper()
	recs, _, err := s.audit.Recent(1000)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestGitHookRefuses: unsigned, wrongly signed and oversized deliveries
// are refused before anything is queued, with either forge's headers;
// other events and branches are ignored.
func TestGitHookRefuses(t *testing.T) {
	e := newDeployEnv(t, deployEnvOpts{repo: filepath.Join(t.TempDir(), "never-fetched")})
	h := e.srv.Handler()
	body := pushBody("refs/heads/main", strings.Repeat("a", 40))
	other := hmac.New(sha256.New, []byte("not-the-secret"))
	other.Write(body)
	wrong := hex.EncodeToString(other.Sum(nil))
	for _, tc := range []struct {
		name   string
		header map[string]string
		body   []byte
		code   int
		status string
		reason string
	}{
		{"unsigned", map[string]string{"X-GitHub-Event": "push"}, body, http.StatusUnauthorized, "", ""},
		{"github wrong secret", map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + wrong}, body, http.StatusUnauthorized, "", ""},
		{"github no prefix", map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": sign(body)}, body, http.StatusUnauthorized, "", ""},
		{"github signature of another body", github([]byte("{}"), "d1"), body, http.StatusUnauthorized, "", ""},
		{"gitea wrong secret", map[string]string{"X-Gitea-Event": "push", "X-Gitea-Signature": wrong}, body, http.StatusUnauthorized, "", ""},
		{"gitea not hex", map[string]string{"X-Gitea-Event": "push", "X-Gitea-Signature": "zz" + sign(body)[2:]}, body, http.StatusUnauthorized, "", ""},
		{"gitea good but github header wrong", map[string]string{"X-Gitea-Event": "push", "X-Gitea-Signature": sign(body), "X-Hub-Signature-256": "sha256=" + wrong}, body, http.StatusUnauthorized, "", ""},
		{"too big", map[string]string{"X-GitHub-Event": "push"}, bytes.Repeat([]byte(" "), maxHookBody+1), http.StatusRequestEntityTooLarge, "", ""},
		{"ping", map[string]string{"X-GitHub-Event": "ping", "X-Hub-Signature-256": "sha256=" + sign(body)}, body, http.StatusOK, "pong", ""},
		{"not a push", map[string]string{"X-Gitea-Event": "issues", "X-Gitea-Signature": sign(body)}, body, http.StatusAccepted, "ignored", "not a push"},
		{"another branch", github(pushBody("refs/heads/feature", strings.Repeat("b", 40)), "d2"), pushBody("refs/heads/feature", strings.Repeat("b", 40)), http.StatusAccepted, "ignored", "deploys follow refs/heads/main"},
		{"a tag", gitea(pushBody("refs/tags/main", strings.Repeat("b", 40)), "d3"), pushBody("refs/tags/main", strings.Repeat("b", 40)), http.StatusAccepted, "ignored", "deploys follow refs/heads/main"},
		{"branch deleted", github(pushBody("refs/heads/main", strings.Repeat("0", 40)), "d4"), pushBody("refs/heads/main", strings.Repeat("0", 40)), http.StatusAccepted, "ignored", "deleted"},
		{"not a commit", github(pushBody("refs/heads/main", "HEAD~1"), "d5"), pushBody("refs/heads/main", "HEAD~1"), http.StatusBadRequest, "", ""},
		{"not json", github([]byte("{"), "d6"), []byte("{"), http.StatusBadRequest, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, ans := hook(t, h, tc.body, tc.header)
			if rec.Code != tc.code || ans.Status != tc.status || !strings.Contains(ans.Reason, tc.reason) {
				t.Errorf("%d %s", rec.Code, rec.Body.String())
			}
		})
	}
	if _, pending, runs := e.srv.deploys.Runs(); pending != nil || len(runs) != 0 {
		t.Errorf("refused or ignored deliveries queued %d runs", len(runs))
	}
	// Without a deploys: key the hook is not there at all.
	plain := newServer(t, &adminconfig.Config{Auth: adminconfig.Auth{Mode: adminconfig.ModeDev}}, nil)
	if rec, _ := hook(t, plain.Handler(), body, github(body, "x")); rec.Code != http.StatusNotFound {
		t.Errorf("no deploys configured: %d", rec.Code)
	}
}

// TestGitPushDeploys: a signed push deploys the pushed commit to the
// local API, every file arriving; a replayed delivery, and a new delivery
// of a commit already deployed, are ignored; a Gitea push deploys too.
func TestGitPushDeploys(t *testing.T) {
	e := newDeployEnv(t, deployEnvOpts{})
	h := e.srv.Handler()
	sha := e.push(t, "first-push")
	body := pushBody("refs/heads/main", sha)
	rec, ans := hook(t, h, body, github(body, "delivery-1"))
	if rec.Code != http.StatusAccepted || ans.Status != "queued" || ans.Run != 1 || ans.Commit != sha {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	run := waitRun(t, e.srv.deploys, 1)
	if run.State != deployrun.OK {
		t.Fatalf("run %s: %s\n%s", run.State, run.Error, logText(run))
	}
	deps := e.cf.Deployments(cftest.DefaultProject)
	if len(deps) != 1 {
		t.Fatalf("%d deployments", len(deps))
	}
	d := deps[0]
	if d.CommitHash != sha || d.Branch != "main" || d.Environment != "production" || d.CommitMessage != "post first-push" || run.DeploymentID != d.ID {
		t.Errorf("deployment %+v, run deployment %s", d, run.DeploymentID)
	}
	files := e.cf.Files(cftest.DefaultProject)
	for _, p := range []string{"/index.html", "/blog/first-push/index.html", "/feed.xml"} {
		if _, ok := files[d.Manifest[p]]; !ok {
			t.Errorf("%s is not in the deployment (manifest hash %q)", p, d.Manifest[p])
		}
	}
	if len(d.Manifest) != len(files) || d.WorkerJS == nil {
		t.Errorf("manifest %d files, %d uploaded, worker %d bytes", len(d.Manifest), len(files), len(d.WorkerJS))
	}
	log := logText(run)
	for _, want := range []string{"== fetch", "== build", "== check", "== deploy", "checked out " + sha[:12], "deployed " + sha[:12],
		"pushed snapshot.json to KV namespace " + cftest.DefaultKVNamespace} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	// The pipeline of labfront deploy: the build's snapshot reaches the
	// edge's KV fallback with the deployment.
	checkKVSnapshot(t, e.cf)
	if _, err := os.Stat(filepath.Join(e.srv.cfg.Deploys.WorkDir, "builds", "run-1")); !os.IsNotExist(err) {
		t.Errorf("the run's build output was left behind: %v", err)
	}

	// Replays: the same delivery, and a new delivery of the same commit.
	for _, tc := range []struct{ delivery, reason string }{{"delivery-1", "already received"}, {"delivery-2", "already deployed"}} {
		rec, ans := hook(t, h, body, github(body, tc.delivery))
		if rec.Code != http.StatusAccepted || ans.Status != "ignored" || !strings.Contains(ans.Reason, tc.reason) {
			t.Errorf("%s: %d %s", tc.delivery, rec.Code, rec.Body.String())
		}
	}

	// Gitea, with the commit after.
	sha2 := e.push(t, "second-push")
	body = pushBody("refs/heads/main", sha2)
	if rec, ans := hook(t, h, body, gitea(body, "gitea-1")); ans.Status != "queued" || ans.Run != 2 {
		t.Fatalf("gitea: %d %s", rec.Code, rec.Body.String())
	}
	if run := waitRun(t, e.srv.deploys, 2); run.State != deployrun.OK {
		t.Fatalf("run 2 %s: %s\n%s", run.State, run.Error, logText(run))
	}
	deps = e.cf.Deployments(cftest.DefaultProject)
	if len(deps) != 2 || deps[1].CommitHash != sha2 || e.cf.Canonical(cftest.DefaultProject) != deps[1].ID {
		t.Errorf("after the gitea push: %d deployments", len(deps))
	}
	if _, ok := deps[1].Manifest["/blog/second-push/index.html"]; !ok {
		t.Error("the second post is not in the second deployment")
	}

	recs := auditRecords(t, e.srv)
	if len(recs) != 2 || recs[0].Action != "deploy" || recs[0].Result != "ok" || !strings.Contains(recs[0].Who, "gitea delivery gitea-1") ||
		!strings.Contains(recs[0].Target, sha2[:12]) || !strings.Contains(recs[1].Who, "by mara") {
		t.Errorf("audit %+v", recs)
	}

	// The replay protection survives a restart.
	d2, err := deployrun.Open(e.srv.cfg.Deploys, deployrun.Options{Files: e.srv.files, StateDir: e.srv.cfg.StateDir, Audit: e.srv.audit, Log: quietLog(), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	if !d2.SeenDelivery("delivery-1") {
		t.Error("a restarted deployer forgot delivery-1")
	}
	if _, reason := d2.Enqueue(deployrun.Job{Trigger: "push", Commit: sha2}); !strings.Contains(reason, "already deployed") {
		t.Errorf("a restarted deployer would deploy %s again: %q", sha2, reason)
	}
}

// TestGitPushBuildFails: a pushed commit that does not build, or that is
// not in the remote, deploys nothing; the run says why and is audited.
func TestGitPushBuildFails(t *testing.T) {
	e := newDeployEnv(t, deployEnvOpts{})
	h := e.srv.Handler()
	writeT(t, filepath.Join(e.work, "content", "posts", "2026-11-21-broken.md"), "---\ntitle: [unclosed\ndate: 2026-11-21\n---\n\nBroken.\n")
	sha := e.commit(t, "broken front matter")
	gitT(t, e.work, "push", "--quiet", "origin", "main")
	body := pushBody("refs/heads/main", sha)
	if rec, ans := hook(t, h, body, github(body, "broken-1")); ans.Status != "queued" {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	run := waitRun(t, e.srv.deploys, 1)
	if run.State != deployrun.Failed || !strings.Contains(run.Error, "build") || !strings.Contains(run.Error, "2026-11-21-broken.md") {
		t.Errorf("run %s: %q", run.State, run.Error)
	}
	if !strings.Contains(logText(run), "nothing was deployed") {
		t.Errorf("log:\n%s", logText(run))
	}

	missing := strings.Repeat("c", 40)
	body = pushBody("refs/heads/main", missing)
	if rec, ans := hook(t, h, body, github(body, "missing-1")); ans.Status != "queued" {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	run = waitRun(t, e.srv.deploys, 2)
	if run.State != deployrun.Failed || !strings.Contains(run.Error, "fetch") || !strings.Contains(run.Error, "not in") {
		t.Errorf("run %s: %q", run.State, run.Error)
	}

	if n := len(e.cf.Files(cftest.DefaultProject)); n != 0 || e.cf.Count(cftest.RouteDeploymentCreate) != 0 || e.cf.Count(cftest.RouteUpload) != 0 {
		t.Errorf("a failed run reached Cloudflare: %d files, %d deployments", n, e.cf.Count(cftest.RouteDeploymentCreate))
	}
	recs := auditRecords(t, e.srv)
	if len(recs) != 2 || recs[0].Result != "failed" || recs[1].Result != "failed" || recs[1].Error == "" {
		t.Errorf("audit %+v", recs)
	}
	// A failed commit is not "already deployed": fixing nothing and
	// pushing again is allowed to try again.
	body = pushBody("refs/heads/main", sha)
	if _, ans := hook(t, h, body, github(body, "broken-2")); ans.Status != "queued" {
		t.Errorf("retry of a failed commit: %+v", ans)
	}
	waitRun(t, e.srv.deploys, 3)
}

// TestGitPushSupersede: while one run goes, a second push waits and a
// third replaces it; the second is never deployed, the third is.
func TestGitPushSupersede(t *testing.T) {
	e := newDeployEnv(t, deployEnvOpts{})
	h := e.srv.Handler()
	entered, release := make(chan struct{}), make(chan struct{})
	e.srv.deploys.BeforeStage = func(run int, stage string) {
		if run == 1 && stage == "fetch" {
			close(entered)
			<-release
		}
	}
	a, b, c := e.push(t, "push-a"), e.push(t, "push-b"), e.push(t, "push-c")
	deliver := func(sha, id string) hookAnswer {
		body := pushBody("refs/heads/main", sha)
		rec, ans := hook(t, h, body, github(body, id))
		if ans.Status != "queued" {
			t.Fatalf("%s: %d %s", id, rec.Code, rec.Body.String())
		}
		return ans
	}
	deliver(a, "a")
	select {
	case <-entered:
	case <-time.After(time.Minute):
		t.Fatal("run 1 did not start")
	}
	deliver(b, "b")
	// The same commit again while it waits is ignored, not queued twice.
	body := pushBody("refs/heads/main", b)
	if _, ans := hook(t, h, body, github(body, "b-again")); ans.Status != "ignored" || !strings.Contains(ans.Reason, "already queued as run 2") {
		t.Errorf("b again: %+v", ans)
	}
	deliver(c, "c")
	running, pending, _ := e.srv.deploys.Runs()
	if running == nil || running.ID != 1 || pending == nil || pending.ID != 3 {
		t.Fatalf("queue: running %v, waiting %v", running, pending)
	}
	close(release)
	for id, want := range map[int]string{1: deployrun.OK, 2: deployrun.Superseded, 3: deployrun.OK} {
		if run := waitRun(t, e.srv.deploys, id); run.State != want {
			t.Errorf("run %d %s, want %s: %s", id, run.State, want, run.Error)
		}
	}
	var commits []string
	for _, d := range e.cf.Deployments(cftest.DefaultProject) {
		commits = append(commits, d.CommitHash)
	}
	if fmt.Sprint(commits) != fmt.Sprint([]string{a, c}) {
		t.Errorf("deployed %v, want %v (b superseded)", commits, []string{a, c})
	}
	refused := 0
	for _, r := range auditRecords(t, e.srv) {
		if r.Result == "refused" && strings.Contains(r.Target, "run 2") && strings.Contains(r.Error, "superseded by run 3") {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("%d audit records of run 2 superseded", refused)
	}
}

// TestGitHookForm accepts GitHub's form-encoded deliveries.
func TestGitHookForm(t *testing.T) {
	e := newDeployEnv(t, deployEnvOpts{})
	body := []byte("payload=" + url.QueryEscape(string(pushBody("refs/heads/feature", strings.Repeat("d", 40)))))
	req := newRequest(http.MethodPost, "/hooks/git", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range github(body, "form-1") {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted || !strings.Contains(rec.Body.String(), "deploys follow refs/heads/main") {
		t.Errorf("%d %s", rec.Code, rec.Body.String())
	}
}
