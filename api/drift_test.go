package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/testkit/dockerfake"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

const driftLab = `# The lab, by hand.
sites: [{id: home, name: Home}]
nodes:
  - id: apps
    name: apps-io
    type: vm
    site: home
    specs: {cores: 2}   # lab.yaml says 2, the engine has 4

  - id: old
    name: old
    type: container
    site: home
    parent: apps
    live: {docker: apps-io/old}
links: []
`

// driftSite is a git checkout with driftLab, a Docker engine that has a
// container lab.yaml lacks, and a server on a clock the test moves.
func driftSite(t *testing.T) (s *Server, site string, clk *testClock) {
	t.Helper()
	hermeticGit(t)
	site = t.TempDir()
	for name, body := range map[string]string{"site.yaml": "title: Drift lab\nbase_url: https://drift.lab.test\n", "lab.yaml": driftLab} {
		if err := os.MkdirAll(filepath.Join(site, "content"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(site, "content", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitCmd(t, site, "init", "-q", "-b", "main")
	gitCmd(t, site, "add", "-A")
	gitCmd(t, site, "commit", "-q", "-m", "Site")
	engine := dockerfake.New(t, dockerfake.Info{Name: "apps-io", ServerVersion: "24.0.7", NCPU: 4, MemTotal: 8 << 30},
		dockerfake.Container{Name: "web", Image: "nginx:1.27", State: "running", NanoCPUs: 1e9, Memory: 1 << 30, StartedAt: time.Now()})
	src := live.Source{Name: "docker-io", Type: "docker", URL: engine.URL, Interval: time.Minute, Timeout: 5 * time.Second}
	cfg := devConfig(src)
	cfg.Site, cfg.StateDir = site, t.TempDir()
	clk = &testClock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	s, err := New(context.Background(), cfg, Options{Static: static.FS(), Islands: web.Islands(), Log: quietLog(), Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return s, site, clk
}

var driftForm = regexp.MustCompile(`<tr id="drift-([0-9a-f]{16})" class="drift-(\w+)">(.*?)</tr>`)

// driftRows are the page's items: id, kind and the row's text.
func driftRows(t *testing.T, body string) map[string][2]string {
	t.Helper()
	out := map[string][2]string{}
	for _, m := range driftForm.FindAllStringSubmatch(body, -1) {
		out[m[1]] = [2]string{m[2], m[3]}
	}
	return out
}

func driftPost(s *Server, form url.Values) *httptest.ResponseRecorder {
	req := newRequest(http.MethodPost, "/admin/drift/apply", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return serve(s.Handler(), req)
}

func TestDriftPage(t *testing.T) {
	s, site, clk := driftSite(t)
	if got := get(t, s.Handler(), "/admin/", nil).Body.String(); !strings.Contains(got, "not checked") {
		t.Error("the dashboard claims a drift count before the sources were asked")
	}
	body := get(t, s.Handler(), "/admin/drift", nil).Body.String()
	rows := driftRows(t, body)
	var add, update string
	for id, r := range rows {
		switch {
		case r[0] == "new" && strings.Contains(r[1], "docker-io web is in no lab.yaml node: added as web (private)") && strings.Contains(r[1], "Add as private"):
			add = id
		case r[0] == "differs" && strings.Contains(r[1], "docker-io apps-io has 4 cores, lab.yaml says 2 cores") && strings.Contains(r[1], ">Update<"):
			update = id
		case r[0] == "unseen":
			t.Errorf("a node unseen for minutes is drift: %s", r[1])
		}
	}
	if add == "" || update == "" {
		t.Fatalf("rows %v", rows)
	}
	if got := get(t, s.Handler(), "/admin/", nil).Body.String(); !strings.Contains(got, "<dt>Drift</dt><dd>2</dd>") {
		t.Error("the dashboard does not show the drift count")
	}

	// Add as private: lab.yaml gains the node, private, and the commit.
	if rec := driftPost(s, url.Values{"id": {add}}); rec.Code != http.StatusBadRequest {
		t.Errorf("unconfirmed: %d", rec.Code)
	}
	rec := driftPost(s, url.Values{"id": {add}, "confirm": {"yes"}})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Applied: docker-io web is in no lab.yaml node") {
		t.Fatalf("apply: %d\n%s", rec.Code, rec.Body.String())
	}
	data, err := os.ReadFile(filepath.Join(site, "content", "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := lab.Parse(data, "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if n := l.Node("web"); n == nil || n.Public || n.Parent != "apps" || n.Live.Get("docker") != "apps-io/web" {
		t.Fatalf("the added node: %+v", n)
	}
	if !strings.HasPrefix(string(data), "# The lab, by hand.\n") || !strings.Contains(string(data), "specs: {cores: 2}   # lab.yaml says 2, the engine has 4") {
		t.Error("the operator's comments were not kept")
	}
	if subject := gitCmd(t, site, "log", "-1", "--format=%s %ae"); subject != "lab.yaml: Add as private web dev@localhost" {
		t.Errorf("commit %q", subject)
	}
	if st := gitCmd(t, site, "status", "--porcelain"); st != "" {
		t.Errorf("the checkout is not clean after the commit: %q", st)
	}
	if r := lastAudit(t, s); r.Action != "drift" || r.Result != "ok" || !strings.Contains(r.Target, "docker-io web") {
		t.Errorf("audit %+v", r)
	}

	// The same form again matches nothing: the page it came from is gone.
	if rec := driftPost(s, url.Values{"id": {add}, "confirm": {"yes"}}); rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "no longer drift") {
		t.Errorf("a stale form: %d", rec.Code)
	}
	if r := lastAudit(t, s); r.Result != "refused" {
		t.Errorf("a stale form is not audited as refused: %+v", r)
	}

	// A failing push restores lab.yaml and undoes the commit.
	gitCmd(t, site, "remote", "add", "origin", filepath.Join(t.TempDir(), "missing.git"))
	head := gitCmd(t, site, "rev-parse", "HEAD")
	before, err := os.ReadFile(filepath.Join(site, "content", "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rec = driftPost(s, url.Values{"id": {update}, "confirm": {"yes"}})
	if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "The checkout is as it was") {
		t.Errorf("failed push: %d\n%s", rec.Code, rec.Body.String())
	}
	after, err := os.ReadFile(filepath.Join(site, "content", "lab.yaml"))
	if err != nil || string(after) != string(before) {
		t.Errorf("lab.yaml changed by a failed apply: %v", err)
	}
	if got := gitCmd(t, site, "rev-parse", "HEAD"); got != head {
		t.Errorf("HEAD moved to %s", got)
	}

	// A day later, the container nothing has seen is drift too.
	clk.t = clk.t.Add(25 * time.Hour)
	body = get(t, s.Handler(), "/admin/drift", nil).Body.String()
	found := false
	for _, r := range driftRows(t, body) {
		if r[0] == "unseen" && strings.Contains(r[1], "old (live.docker: apps-io/old) was seen by no docker source for 25 hours") {
			found = true
		}
	}
	if !found {
		t.Errorf("no unseen row after a day:\n%s", body)
	}
}
