package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/testkit/dockerfake"
)

var dockerTestInfo = dockerfake.Info{Name: "apps-io", OperatingSystem: "Debian GNU/Linux 12 (bookworm)", ServerVersion: "24.0.7", NCPU: 4, MemTotal: 8 << 30}

func dockerTestEngine(t *testing.T, tcp bool) *dockerfake.Server {
	started := time.Now().Add(-2 * time.Hour)
	cs := []dockerfake.Container{
		{Name: "web", Image: "nginx:1.27", State: "running", Health: "healthy", StartedAt: started, NanoCPUs: 1_500_000_000, Memory: 512 << 20,
			Labels: map[string]string{"labfront.public": "true", "labfront.alias": "Website", "com.docker.compose.service": "web"}},
		{Name: "db", Image: "postgres:16", State: "running", Health: "unhealthy", RestartCount: 3, StartedAt: started},
		{Name: "worker", Image: "app:2", State: "restarting", ExitCode: 137, RestartCount: 12, StartedAt: started},
		{Name: "backup", Image: "restic:0.17", State: "exited", ExitCode: 0, StartedAt: started},
	}
	if tcp {
		return dockerfake.NewTCP(t, dockerTestInfo, cs...)
	}
	return dockerfake.New(t, dockerTestInfo, cs...)
}

func dockerTestLab(t *testing.T) *lab.Lab {
	t.Helper()
	l, err := lab.Parse([]byte(`title: t
sites: [{id: home, name: Home}]
nodes:
  - {id: apps, name: apps-io, type: vm, site: home, live: {docker: apps-io}}
  - {id: web, name: web, type: container, site: home, parent: apps, live: {docker: apps-io/web}}
  - {id: db, name: db, type: container, site: home, parent: apps, live: {docker: apps-io/db}}
  - {id: worker, name: worker, type: container, site: home, parent: apps, live: {docker: apps-io/worker}}
  - {id: gone, name: gone, type: container, site: home, parent: apps, live: {docker: apps-io/gone}}
  - {id: other, name: other, type: container, site: home, live: {docker: apps-ni/web}}
links: []
`), "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestDockerCollect(t *testing.T) {
	t.Parallel()
	for _, tcp := range []bool{false, true} {
		engine := dockerTestEngine(t, tcp)
		src := Source{Name: "docker", Type: "docker", URL: engine.URL, Timeout: 5 * time.Second}
		c, err := Builtin().New(src, dockerTestLab(t), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Collect(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", engine.URL, err)
		}
		want := map[string]struct {
			status, detail string
			restarts       int
		}{
			"apps":   {Up, "Docker 24.0.7, 2 of 4 containers running", -1},
			"web":    {Up, "running, healthy, up 2h 0m, 0 restarts", 0},
			"db":     {Down, "running, unhealthy, up 2h 0m, 3 restarts", 3},
			"worker": {Down, "restarting (exit 137), 12 restarts", 12},
			"gone":   {Unknown, `no container "gone" on apps-io`, -1},
		}
		for id, w := range want {
			got, ok := res.Nodes[id]
			if !ok || got.Status != w.status || got.Detail != w.detail {
				t.Errorf("%s: %s = %+v, want %s %q", engine.URL, id, got, w.status, w.detail)
			}
			if w.restarts >= 0 && (got.Restarts == nil || *got.Restarts != w.restarts) {
				t.Errorf("%s: %s restarts = %v, want %d", engine.URL, id, got.Restarts, w.restarts)
			}
		}
		if _, ok := res.Nodes["other"]; ok {
			t.Errorf("a node of another engine was reported: %+v", res.Nodes["other"])
		}
		if res.Summary != "apps-io: 4 containers, 2 running" {
			t.Errorf("summary %q", res.Summary)
		}
		var calls []string
		for _, call := range engine.Calls() {
			if call.Path != "/_ping" && call.Version != "1.43" {
				t.Errorf("%s: API version %q, want 1.43", call, call.Version)
			}
			calls = append(calls, call.String())
		}
		wantCalls := []string{"GET /_ping", "GET /info", "GET /containers/json?all=1",
			"GET /containers/" + engine.ID("web") + "/json", "GET /containers/" + engine.ID("db") + "/json", "GET /containers/" + engine.ID("worker") + "/json"}
		if !slices.Equal(calls, wantCalls) {
			t.Errorf("calls:\n%v\nwant:\n%v", calls, wantCalls)
		}
	}
}

// TestDockerFailures: an unreachable engine, an API error and an engine
// too old are errors of the collection, with dockerd's message; after a
// failure the collector asks the version again.
func TestDockerFailures(t *testing.T) {
	t.Parallel()
	engine := dockerTestEngine(t, false)
	c, err := NewDocker(Source{Name: "docker", URL: engine.URL, Timeout: 5 * time.Second}, dockerTestLab(t))
	if err != nil {
		t.Fatal(err)
	}
	engine.Fail("GET", "/containers/json", 500, "Error response from daemon: layer store unavailable")
	if _, err := c.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), "HTTP 500: Error response from daemon: layer store unavailable") {
		t.Errorf("err = %v", err)
	}
	if n := len(engine.Calls()); n != 3 {
		t.Errorf("%d calls, want ping, info, list", n)
	}
	engine.Fail("GET", "/containers/json", 0, "")
	_, _ = c.Collect(context.Background())
	if calls := engine.Calls(); calls[3].Path != "/_ping" {
		t.Errorf("after a failure the collector did not ping again: %v", calls)
	}

	down, err := NewDocker(Source{Name: "docker", URL: "unix:///nonexistent/docker.sock", Timeout: time.Second}, dockerTestLab(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := down.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), "docker docker: ping") {
		t.Errorf("err = %v", err)
	}

	for _, bad := range []string{"ftp://x", "unix://", "tcp://"} {
		if _, err := NewDocker(Source{Name: "d", URL: bad}, &lab.Lab{}); err == nil {
			t.Errorf("url %q accepted", bad)
		}
	}
	for _, tt := range []struct {
		v  string
		ok bool
	}{{"apps-io", true}, {"apps-io/web_1", true}, {"apps-io/", false}, {"/web", false}, {"a/b/c", false}, {"apps io", false}} {
		if err := Builtin().CheckLab(&lab.Lab{Nodes: []lab.Node{{ID: "n", Live: lab.Live{"docker": {Value: tt.v}}}}}); (err == nil) != tt.ok {
			t.Errorf("live.docker %q: err = %v, want ok %v", tt.v, err, tt.ok)
		}
	}
}

// TestDockerTLS: dockerd --tlsverify wants the client's certificate;
// without it the handshake fails, with it the engine answers.
func TestDockerTLS(t *testing.T) {
	t.Parallel()
	engine := dockerfake.NewTLS(t, dockerTestInfo, dockerfake.Container{Name: "web", State: "running"})
	dir := t.TempDir()
	files := map[string][]byte{"ca.pem": engine.CAPEM, "cert.pem": engine.ClientCertPEM, "key.pem": engine.ClientKeyPEM}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ca := DockerOptions{CA: filepath.Join(dir, "ca.pem")}
	full := DockerOptions{CA: ca.CA, Cert: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "key.pem")}
	for _, tt := range []struct {
		opts DockerOptions
		ok   bool
	}{{ca, false}, {full, true}} {
		d, err := NewDocker(Source{Name: "docker", URL: engine.URL, Timeout: 5 * time.Second, Options: tt.opts}, dockerTestLab(t))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Collect(context.Background()); (err == nil) != tt.ok {
			t.Errorf("client certificate %v: err = %v", tt.opts.Cert != "", err)
		}
	}
	if _, err := NewDocker(Source{Name: "docker", URL: engine.URL, Options: DockerOptions{CA: filepath.Join(dir, "missing.pem")}}, &lab.Lab{}); err == nil || !strings.Contains(err.Error(), "tls_ca") {
		t.Errorf("missing CA file: %v", err)
	}
}

func TestDockerRestart(t *testing.T) {
	t.Parallel()
	engine := dockerTestEngine(t, false)
	l := dockerTestLab(t)
	d, err := NewDocker(Source{Name: "docker", URL: engine.URL, Timeout: 5 * time.Second}, l)
	if err != nil {
		t.Fatal(err)
	}
	// Until the collector has met the engine it cannot tell its nodes.
	if a := d.Actions(l.Node("worker")); a != nil {
		t.Errorf("actions before the first collection: %v", a)
	}
	if _, err := d.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a := d.Actions(l.Node("worker")); !slices.Equal(a, []string{"restart"}) {
		t.Errorf("worker's actions = %v", a)
	}
	for _, id := range []string{"apps", "other"} {
		if a := d.Actions(l.Node(id)); a != nil {
			t.Errorf("%s has actions %v", id, a)
		}
	}
	if err := d.Act(context.Background(), l.Node("worker"), "restart"); err != nil {
		t.Fatal(err)
	}
	if st := engine.State("worker"); st.State != "running" {
		t.Errorf("worker is %s after the restart", st.State)
	}
	calls := engine.Calls()
	if last := calls[len(calls)-1]; last.String() != "POST /containers/worker/restart?t=10" || last.Version != "1.43" {
		t.Errorf("last call %s (version %s)", last, last.Version)
	}
	if err := d.Act(context.Background(), l.Node("other"), "restart"); !errors.Is(err, ErrUnknownAction) {
		t.Errorf("restart of another engine's container: %v", err)
	}
	if err := d.Act(context.Background(), l.Node("worker"), "stop"); !errors.Is(err, ErrUnknownAction) {
		t.Errorf("stop: %v", err)
	}
	engine.Fail("POST", "/containers/gone/restart", 404, "No such container: gone")
	if err := d.Act(context.Background(), l.Node("gone"), "restart"); err == nil || !strings.Contains(err.Error(), "No such container: gone") {
		t.Errorf("restart of a missing container: %v", err)
	}
}

func TestDockerDiscover(t *testing.T) {
	t.Parallel()
	engine := dockerTestEngine(t, false)
	found, err := Builtin().Discover(context.Background(), Source{Name: "docker", Type: "docker", URL: engine.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range found {
		got = append(got, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s %s|cores %d mem %g", f.Source, f.LiveKey, f.LiveValue, f.Name, f.Type, f.Parent,
			f.Labels[LabelPublic], f.Labels[LabelAlias], f.Specs.Cores, f.Specs.MemoryGB))
	}
	want := []string{
		"docker|docker|apps-io|apps-io||| |cores 4 mem 8",
		"docker|docker|apps-io/web|web|container|apps-io|true Website|cores 2 mem 0.5",
		"docker|docker|apps-io/db|db|container|apps-io| |cores 0 mem 0",
		"docker|docker|apps-io/worker|worker|container|apps-io| |cores 0 mem 0",
		"docker|docker|apps-io/backup|backup|container|apps-io| |cores 0 mem 0",
	}
	if !slices.Equal(got, want) {
		t.Errorf("found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(found[1].Labels) != 2 {
		t.Errorf("labels %v: only labfront.* ones belong", found[1].Labels)
	}
}
