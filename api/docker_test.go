package api

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/testkit/dockerfake"
)

// TestDockerRestartAction: a container restart is a node action like
// Proxmox's: offered on the container's page, performed by an admin's
// confirmed POST through the route table's action branch, audited, and
// refused (and audited as refused) once the engine stops answering.
func TestDockerRestartAction(t *testing.T) {
	engine := dockerfake.New(t, dockerfake.Info{Name: "apps-io", ServerVersion: "24.0.7", NCPU: 4, MemTotal: 8 << 30},
		dockerfake.Container{Name: "worker", Image: "app:2", State: "restarting", ExitCode: 137, RestartCount: 12, StartedAt: time.Now()})
	site := t.TempDir()
	for name, body := range map[string]string{
		"site.yaml": "title: Docker lab\nbase_url: https://docker.lab.test\n",
		"lab.yaml": `sites: [{id: home, name: Home}]
nodes:
  - {id: apps, name: apps-io, type: vm, site: home, live: {docker: apps-io}}
  - {id: worker, name: worker, type: container, site: home, parent: apps, live: {docker: apps-io/worker}}
links: []
`,
	} {
		if err := os.MkdirAll(filepath.Join(site, "content"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(site, "content", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := live.Source{Name: "docker-io", Type: "docker", URL: engine.URL, Interval: time.Minute, Timeout: 5 * time.Second}
	cfg := devConfig(src)
	cfg.Site, cfg.StateDir = site, t.TempDir()
	s := newServer(t, cfg, nil)
	if err := s.poller().Once(t.Context(), src, s.collectors["docker-io"]); err != nil {
		t.Fatal(err)
	}
	page := get(t, s.Handler(), "/admin/nodes/worker", nil).Body.String()
	if !strings.Contains(page, `action="/admin/nodes/worker/actions/restart"`) || !strings.Contains(page, "12 restarts") || !strings.Contains(page, "<dt>Restarts</dt><dd>12</dd>") {
		t.Fatalf("the container's page offers no restart or lacks its restart count:\n%s", page)
	}
	post := func(form url.Values) *httptest.ResponseRecorder {
		req := newRequest(http.MethodPost, "/admin/nodes/worker/actions/restart", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec
	}
	if rec := post(url.Values{}); rec.Code != http.StatusBadRequest {
		t.Errorf("unconfirmed restart: %d", rec.Code)
	}
	if rec := post(url.Values{"confirm": {"yes"}}); rec.Header().Get("Location") != "/admin/nodes/worker?outcome=done" {
		t.Fatalf("restart: %d %s %s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	calls := engine.Calls()
	if last := calls[len(calls)-1]; last.String() != "POST /containers/worker/restart?t=10" {
		t.Errorf("last engine call %s", last)
	}
	if st := engine.State("worker"); st.State != "running" {
		t.Errorf("worker is %s after the restart", st.State)
	}

	engine.Close()
	if err := s.poller().Once(t.Context(), src, s.collectors["docker-io"]); err == nil {
		t.Fatal("collection from a stopped engine succeeded")
	}
	n := len(engine.Calls())
	if rec := post(url.Values{"confirm": {"yes"}}); rec.Header().Get("Location") != "/admin/nodes/worker?outcome=refused" {
		t.Errorf("restart with the engine unreachable: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if len(engine.Calls()) != n {
		t.Error("a refused restart reached the engine")
	}
	audit, err := os.ReadFile(filepath.Join(cfg.StateDir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"action":"restart","target":"worker via docker-io","result":"ok"`, `"action":"restart","target":"worker via docker-io","result":"refused"`} {
		if !strings.Contains(string(audit), want) {
			t.Errorf("audit log lacks %s:\n%s", want, audit)
		}
	}
}
