package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/auditlog"
	"github.com/labfront/labfront/internal/substack"
)

// seedInbox is the inbox file the seed article becomes when imported.
const seedInbox = "2026-02-19-from-cron-spaghetti-to-container-orchestra.md"

// hermeticGit keeps the machine's git configuration (hooks, signing,
// default branch) out of the tests.
func hermeticGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
}

// gitCmd runs git in dir as a test user and returns its output.
func gitCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@lab.test",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@lab.test")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return strings.TrimSpace(string(out))
}

// exampleSite copies the example site's content into a temp dir with the
// seed article back in the inbox, not yet promoted.
func exampleSite(t *testing.T) string {
	t.Helper()
	site := t.TempDir()
	if err := os.CopyFS(filepath.Join(site, "content"), os.DirFS("../content")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"content/substack/" + seedInbox, "content/notes/from-cron-spaghetti-to-container-orchestra.md"} {
		if err := os.Remove(filepath.Join(site, p)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := substack.ImportFile(context.Background(), site, "../internal/substack/testdata/seed-homelab-architecture.txt", substack.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Action != substack.ActionNew {
		t.Fatalf("import: %+v", res)
	}
	return site
}

// gitSite is exampleSite as a git checkout with everything committed.
func gitSite(t *testing.T) string {
	t.Helper()
	hermeticGit(t)
	site := exampleSite(t)
	gitCmd(t, site, "init", "-q", "-b", "main")
	gitCmd(t, site, "add", "-A")
	gitCmd(t, site, "commit", "-q", "-m", "Site")
	return site
}

// withRemote gives site a bare origin holding its branch.
func withRemote(t *testing.T, site string) string {
	t.Helper()
	remote := filepath.Join(t.TempDir(), "site.git")
	gitCmd(t, site, "init", "-q", "--bare", "-b", "main", remote)
	gitCmd(t, site, "remote", "add", "origin", remote)
	gitCmd(t, site, "push", "-q", "-u", "origin", "main")
	return remote
}

// tree is every file of the site but .git, with its content: a failure
// must leave it exactly as it was.
func tree(t *testing.T, site string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(site, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Name() == ".git" {
			return filepath.SkipDir
		}
		rel, err := filepath.Rel(site, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			out[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, before, after map[string]string) {
	t.Helper()
	for p, b := range before {
		a, ok := after[p]
		switch {
		case !ok:
			t.Errorf("%s is gone", p)
		case a != b:
			t.Errorf("%s changed", p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s appeared", p)
		}
	}
}

// promoteReq is a same-origin form post, as a browser sends it.
func promoteReq(form url.Values, header map[string]string) *http.Request {
	req := newRequest(http.MethodPost, "/admin/content/promote", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return req
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func lastAudit(t *testing.T, s *Server) auditlog.Record {
	t.Helper()
	recs, _, err := s.audit.Recent(1)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		t.Fatal("no audit record")
	}
	return recs[0]
}

func auditCount(t *testing.T, s *Server) int {
	t.Helper()
	recs, _, err := s.audit.Recent(1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

func promoteForm(file string) url.Values {
	return url.Values{"file": {file}, "as": {"decided"}, "confirm": {"yes"}}
}

// TestContentPageViewer: a viewer sees the inbox with its analysis and the
// checkout, but no live Promote button, and cannot promote.
func TestContentPageViewer(t *testing.T) {
	site := gitSite(t)
	withRemote(t, site)
	iss := newAccessIssuer(t)
	cfg := accessConfig(iss)
	cfg.Site = site
	s := newServer(t, cfg, nil)
	viewer := map[string]string{"Cf-Access-Jwt-Assertion": iss.token(t, tokenOpts{email: "guest@lab.test"})}

	rec := get(t, s.Handler(), "/admin/content", viewer)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /admin/content: %d\n%s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`<a href="/admin/content" aria-current="page">Content</a>`,
		"From Cron Spaghetti to Container Orchestra",
		`<li class="chip">Method</li>`, `<li class="chip">Architecture</li>`,
		"Prefect", "×3", "architecture paper", "lab components mentioned",
		`<span class="status in-inbox">inbox</span>`,
		"Promoting needs the admin role.",
		`<code>main</code>`, `<code>origin</code>`,
		`href="https://example.substack.com/p/from-cron-spaghetti-to-container-orchestra"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if !strings.Contains(body, `<button type="submit" disabled>`) {
		t.Error("a viewer's Promote button is not disabled")
	}

	before := tree(t, site)
	rec = serve(s.Handler(), promoteReq(promoteForm(seedInbox), viewer))
	if rec.Code != http.StatusForbidden {
		t.Errorf("viewer POST: %d, want 403", rec.Code)
	}
	sameTree(t, before, tree(t, site))
	if n := auditCount(t, s); n != 0 {
		t.Errorf("a refused viewer wrote %d audit records", n)
	}
}

// TestContentPromoteCrossOrigin: an admin's browser tricked into posting
// from another site is refused before anything runs.
func TestContentPromoteCrossOrigin(t *testing.T) {
	site := gitSite(t)
	iss := newAccessIssuer(t)
	cfg := accessConfig(iss)
	cfg.Site = site
	s := newServer(t, cfg, nil)
	admin := iss.token(t, tokenOpts{email: "ops@lab.test"})
	head := gitCmd(t, site, "rev-parse", "HEAD")
	before := tree(t, site)
	for _, h := range []map[string]string{
		{"Cf-Access-Jwt-Assertion": admin, "Sec-Fetch-Site": "cross-site"},
		{"Cf-Access-Jwt-Assertion": admin, "Sec-Fetch-Site": "", "Origin": "https://evil.example"},
	} {
		req := promoteReq(promoteForm(seedInbox), h)
		if h["Sec-Fetch-Site"] == "" {
			req.Header.Del("Sec-Fetch-Site")
		}
		if rec := serve(s.Handler(), req); rec.Code != http.StatusForbidden {
			t.Errorf("%v: %d, want 403", h, rec.Code)
		}
	}
	sameTree(t, before, tree(t, site))
	if got := gitCmd(t, site, "rev-parse", "HEAD"); got != head {
		t.Error("a cross-origin request made a commit")
	}
	if n := auditCount(t, s); n != 0 {
		t.Errorf("refused requests wrote %d audit records", n)
	}
}

// TestContentPromoteCommitsAndPushes: the admin's promotion writes the
// note, commits it with the inbox file as the admin, pushes it, audits it
// and leaves the checkout clean.
func TestContentPromoteCommitsAndPushes(t *testing.T) {
	site := gitSite(t)
	remote := withRemote(t, site)
	// An unrelated change, staged and unstaged, must stay out of the commit.
	post := filepath.Join(site, "content", "posts", "scratch.md")
	if err := os.WriteFile(post, []byte("draft\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitCmd(t, site, "add", "content/posts/scratch.md")
	iss := newAccessIssuer(t)
	cfg := accessConfig(iss)
	cfg.Site = site
	s := newServer(t, cfg, nil)
	admin := map[string]string{"Cf-Access-Jwt-Assertion": iss.token(t, tokenOpts{email: "ops@lab.test"})}

	rec := serve(s.Handler(), promoteReq(promoteForm(seedInbox), admin))
	if rec.Code != http.StatusOK {
		t.Fatalf("promote: %d\n%s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, want := range []string{"Promoted “From Cron Spaghetti to Container Orchestra” into content/notes/from-cron-spaghetti-to-container-orchestra.md.",
		"Pushed main to origin", `href="https://lab.example.dev/notes/from-cron-spaghetti-to-container-orchestra/"`,
		`<span class="status in-promoted">promoted</span>`, "Promote again"} {
		if !strings.Contains(body, want) {
			t.Errorf("answer lacks %q", want)
		}
	}
	log := gitCmd(t, site, "log", "-1", "--format=%s%n%an <%ae>%n%cn")
	if want := "Promote From Cron Spaghetti to Container Orchestra from Substack\nops <ops@lab.test>\nlabfront"; log != want {
		t.Errorf("commit:\n%s\nwant\n%s", log, want)
	}
	files := gitCmd(t, site, "show", "--name-status", "--format=", "HEAD")
	if want := "A\tcontent/notes/from-cron-spaghetti-to-container-orchestra.md\nM\tcontent/substack/" + seedInbox; files != want {
		t.Errorf("commit holds\n%s\nwant\n%s", files, want)
	}
	if status := gitCmd(t, site, "status", "--porcelain"); status != "A  content/posts/scratch.md" {
		t.Errorf("git status after promotion:\n%s", status)
	}
	if local, pushed := gitCmd(t, site, "rev-parse", "HEAD"), gitCmd(t, remote, "rev-parse", "main"); local != pushed {
		t.Errorf("remote main %s, local %s", pushed, local)
	}
	note, err := os.ReadFile(filepath.Join(site, "content", "notes", "from-cron-spaghetti-to-container-orchestra.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(note, []byte("canonical: https://example.substack.com/p/from-cron-spaghetti-to-container-orchestra")) ||
		!bytes.Contains(note, []byte("](/architecture/#service-")) {
		t.Errorf("note lacks canonical or anchor links:\n%s", note[:min(len(note), 800)])
	}
	rec2 := lastAudit(t, s)
	if rec2.Who != "ops@lab.test" || rec2.Action != "promote" || rec2.Result != "ok" ||
		rec2.Target != "content/substack/"+seedInbox+" -> content/notes/from-cron-spaghetti-to-container-orchestra.md" || rec2.Time.IsZero() {
		t.Errorf("audit: %+v", rec2)
	}

	// The page now links the promoted note.
	page := get(t, s.Handler(), "/admin/content", admin).Body.String()
	if !strings.Contains(page, `class="note-link"`) || !strings.Contains(page, "content/notes/from-cron-spaghetti-to-container-orchestra.md") {
		t.Error("the content page does not link the promoted note")
	}
}

// TestContentPromoteFailures: every failure leaves the checkout as it was
// (hand edits included), says why on the page and is audited.
func TestContentPromoteFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(t *testing.T, s *Server, site string) // before the request
		form   url.Values
		code   int
		result string
		says   string
	}{
		{
			name: "promote refuses an essay",
			setup: func(t *testing.T, _ *Server, site string) {
				edit(t, filepath.Join(site, "content", "substack", seedInbox), "decision: architecture paper", "decision: keep as essay")
				gitCmd(t, site, "commit", "-q", "-am", "Review: an essay")
			},
			form: promoteForm(seedInbox), code: http.StatusUnprocessableEntity, result: "failed", says: "only technical notes and architecture papers are promoted",
		},
		{
			name: "nothing to commit",
			setup: func(t *testing.T, _ *Server, site string) {
				if _, err := substack.Promote(site, filepath.Join(site, "content", "substack", seedInbox), substack.PromoteOptions{}); err != nil {
					t.Fatal(err)
				}
				gitCmd(t, site, "add", "-A")
				gitCmd(t, site, "commit", "-q", "-m", "Promoted by hand")
			},
			form: promoteForm(seedInbox), code: http.StatusConflict, result: "failed", says: "nothing to commit",
		},
		{
			name: "commit hook refuses",
			setup: func(t *testing.T, _ *Server, site string) {
				hook := filepath.Join(site, ".git", "hooks", "pre-commit")
				if err := os.WriteFile(hook, []byte("#!/bin/sh\necho 'lint: notes need review' >&2\nexit 1\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			},
			form: promoteForm(seedInbox), code: http.StatusInternalServerError, result: "failed", says: "lint: notes need review",
		},
		{
			name: "push rejected, hand edits kept",
			setup: func(t *testing.T, _ *Server, site string) {
				remote := withRemote(t, site)
				// Someone else pushed first: ours is no fast-forward.
				other := t.TempDir()
				gitCmd(t, other, "clone", "-q", remote, "w")
				w := filepath.Join(other, "w")
				if err := os.WriteFile(filepath.Join(w, "README"), []byte("x\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				gitCmd(t, w, "add", "README")
				gitCmd(t, w, "commit", "-q", "-m", "Elsewhere")
				gitCmd(t, w, "push", "-q", "origin", "main")
				// A reviewed, uncommitted edit of the inbox file.
				edit(t, filepath.Join(site, "content", "substack", seedInbox), "subtitle: On the moment", "subtitle: Reviewed, on the moment")
			},
			form: promoteForm(seedInbox), code: http.StatusBadGateway, result: "failed", says: "rejected",
		},
		{
			name: "traversal",
			form: url.Values{"file": {"../lab.yaml"}, "confirm": {"yes"}},
			code: http.StatusBadRequest, result: "refused", says: "is not the name of a file in content/substack/",
		},
		{
			name: "absolute path",
			form: url.Values{"file": {"/etc/passwd"}, "confirm": {"yes"}},
			code: http.StatusBadRequest, result: "refused", says: "is not the name of a file",
		},
		{
			name: "nested climb",
			form: url.Values{"file": {`x\..\..\notes\cloudflared-ingress-rules.md`}, "confirm": {"yes"}},
			code: http.StatusBadRequest, result: "refused", says: "is not the name of a file",
		},
		{
			name: "link out of the inbox",
			setup: func(t *testing.T, _ *Server, site string) {
				if err := os.Symlink(filepath.Join(site, "content", "notes", "cloudflared-ingress-rules.md"), filepath.Join(site, "content", "substack", "2026-01-01-link.md")); err != nil {
					t.Fatal(err)
				}
			},
			form: promoteForm("2026-01-01-link.md"), code: http.StatusBadRequest, result: "refused", says: "not a regular file",
		},
		{
			name: "no such file",
			form: promoteForm("2030-01-01-nothing.md"), code: http.StatusNotFound, result: "refused", says: "is not in the inbox",
		},
		{
			name: "bad kind",
			form: url.Values{"file": {seedInbox}, "as": {"essay"}, "confirm": {"yes"}},
			code: http.StatusBadRequest, result: "refused", says: "choose a technical note or an architecture paper",
		},
		{
			name: "another promotion running",
			setup: func(t *testing.T, s *Server, _ string) {
				s.promoting.Lock()
				t.Cleanup(s.promoting.Unlock)
			},
			form: promoteForm(seedInbox), code: http.StatusConflict, result: "refused", says: "another promotion is running",
		},
		{
			name: "detached head",
			setup: func(t *testing.T, _ *Server, site string) {
				gitCmd(t, site, "checkout", "-q", "--detach")
			},
			form: promoteForm(seedInbox), code: http.StatusConflict, result: "refused", says: "HEAD is detached",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site := gitSite(t)
			s := newServer(t, &adminconfig.Config{Site: site, Auth: adminconfig.Auth{Mode: adminconfig.ModeDev}}, nil)
			if tc.setup != nil {
				tc.setup(t, s, site)
			}
			head := gitCmd(t, site, "rev-parse", "HEAD")
			status := gitCmd(t, site, "status", "--porcelain")
			before := tree(t, site)

			rec := serve(s.Handler(), promoteReq(tc.form, nil))
			if rec.Code != tc.code {
				t.Errorf("status %d, want %d", rec.Code, tc.code)
			}
			body := rec.Body.String()
			if !strings.Contains(body, tc.says) {
				t.Errorf("page does not say %q:\n%s", tc.says, outcomeOf(body))
			}
			if !strings.Contains(body, `class="banner b-missing outcome" role="alert"`) {
				t.Error("the failure is not shown as an alert")
			}
			if tc.result == "failed" && !strings.Contains(body, "The checkout is as it was") {
				t.Errorf("the page does not say the checkout was restored:\n%s", outcomeOf(body))
			}
			sameTree(t, before, tree(t, site))
			if got := gitCmd(t, site, "rev-parse", "HEAD"); got != head {
				t.Errorf("HEAD moved from %s to %s", head, got)
			}
			if got := gitCmd(t, site, "status", "--porcelain"); got != status {
				t.Errorf("git status\n%s\nwant\n%s", got, status)
			}
			a := lastAudit(t, s)
			if a.Result != tc.result || a.Who != "dev@localhost" || a.Action != "promote" || !strings.Contains(a.Error, tc.says) {
				t.Errorf("audit %+v, want result %s saying %q", a, tc.result, tc.says)
			}
		})
	}
}

func outcomeOf(body string) string {
	i := strings.Index(body, `outcome"`)
	if i < 0 {
		return "(no outcome on the page)"
	}
	return body[i:min(len(body), i+1500)]
}

func edit(t *testing.T, file, old, repl string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s lacks %q", file, old)
	}
	if err := os.WriteFile(file, bytes.Replace(b, []byte(old), []byte(repl), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestContentPromoteNotAWorkTree: without git the page says why
// promotion is off, a promotion is refused, and git never runs there (no
// .git appears).
func TestContentPromoteNotAWorkTree(t *testing.T) {
	hermeticGit(t)
	site := exampleSite(t)
	s := newServer(t, &adminconfig.Config{Site: site, Auth: adminconfig.Auth{Mode: adminconfig.ModeDev}}, nil)
	page := get(t, s.Handler(), "/admin/content", nil).Body.String()
	for _, want := range []string{"not a git work tree", "Promotion is off until the site checkout can take a commit"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	before := tree(t, site)
	rec := serve(s.Handler(), promoteReq(promoteForm(seedInbox), nil))
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "not a git work tree") {
		t.Errorf("promote: %d\n%s", rec.Code, outcomeOf(rec.Body.String()))
	}
	sameTree(t, before, tree(t, site))
	if a := lastAudit(t, s); a.Result != "refused" {
		t.Errorf("audit %+v", a)
	}
}

// TestContentPromoteUnconfirmed: without the confirmation box nothing
// runs and nothing is audited.
func TestContentPromoteUnconfirmed(t *testing.T) {
	site := gitSite(t)
	s := newServer(t, &adminconfig.Config{Site: site, Auth: adminconfig.Auth{Mode: adminconfig.ModeDev}}, nil)
	before := tree(t, site)
	rec := serve(s.Handler(), promoteReq(url.Values{"file": {seedInbox}}, nil))
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "Confirm the promotion first") {
		t.Errorf("unconfirmed: %d", rec.Code)
	}
	sameTree(t, before, tree(t, site))
	if _, err := os.Stat(filepath.Join(s.cfg.StateDir, "audit.log")); err == nil {
		t.Error("an unconfirmed promotion was audited")
	}
}

// TestContentPromoteWithoutRemote commits and says the commit stays local.
func TestContentPromoteWithoutRemote(t *testing.T) {
	site := gitSite(t)
	s := newServer(t, &adminconfig.Config{Site: site, Auth: adminconfig.Auth{Mode: adminconfig.ModeDev}}, nil)
	rec := serve(s.Handler(), promoteReq(url.Values{"file": {seedInbox}, "as": {"note"}, "confirm": {"yes"}}, nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "no remote: the commit stays here") {
		t.Fatalf("promote: %d\n%s", rec.Code, outcomeOf(rec.Body.String()))
	}
	if status := gitCmd(t, site, "status", "--porcelain"); status != "" {
		t.Errorf("checkout not clean:\n%s", status)
	}
	if n := gitCmd(t, site, "rev-list", "--count", "HEAD"); n != "2" {
		t.Errorf("%s commits, want 2", n)
	}
	note, err := os.ReadFile(filepath.Join(site, "content", "notes", "from-cron-spaghetti-to-container-orchestra.md"))
	if err != nil || !bytes.Contains(note, []byte("decision: technical note")) {
		t.Errorf("--as note was not applied: %v", err)
	}
	var rec2 auditlog.Record
	line, err := os.ReadFile(filepath.Join(s.cfg.StateDir, "audit.log"))
	if err != nil || json.Unmarshal(bytes.TrimSpace(line), &rec2) != nil || rec2.Result != "ok" || time.Since(rec2.Time) > time.Minute {
		t.Errorf("audit log %s %v", line, err)
	}
}

// TestContentPromoteSiteInSubdir: the site may live in a folder of a
// larger repository; paths are relative to it and only its files commit.
func TestContentPromoteSiteInSubdir(t *testing.T) {
	hermeticGit(t)
	site := exampleSite(t)
	repo := t.TempDir()
	sub := filepath.Join(repo, "site")
	if err := os.Rename(site, sub); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "README"), []byte("lab\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitCmd(t, repo, "init", "-q", "-b", "main")
	gitCmd(t, repo, "add", "-A")
	gitCmd(t, repo, "commit", "-q", "-m", "Repo")
	s := newServer(t, &adminconfig.Config{Site: sub, Auth: adminconfig.Auth{Mode: adminconfig.ModeDev}}, nil)
	rec := serve(s.Handler(), promoteReq(promoteForm(seedInbox), nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("promote: %d\n%s", rec.Code, outcomeOf(rec.Body.String()))
	}
	files := gitCmd(t, repo, "show", "--name-only", "--format=", "HEAD")
	if want := "site/content/notes/from-cron-spaghetti-to-container-orchestra.md\nsite/content/substack/" + seedInbox; files != want {
		t.Errorf("commit holds\n%s\nwant\n%s", files, want)
	}
	if status := gitCmd(t, repo, "status", "--porcelain"); status != "" {
		t.Errorf("checkout not clean:\n%s", status)
	}
}
