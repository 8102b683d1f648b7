package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/testkit/dockerfake"
)

// TestAdminDrift is the operator's path through drift: open /admin/drift
// in Chromium, see a container lab.yaml lacks and a spec that differs,
// add the container as private with the plain HTML form, and find it in
// lab.yaml, committed, with the operator's comments kept.
func TestAdminDrift(t *testing.T) {
	ctx := browser(t)
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	site := t.TempDir()
	labYAML := `# Written by hand.
sites: [{id: home, name: Home}]
nodes:
  - {id: apps, name: apps-io, type: vm, site: home, specs: {cores: 2}}
links: []
`
	for name, body := range map[string]string{"site.yaml": "title: Drift lab\nbase_url: https://drift.lab.test\n", "lab.yaml": labYAML} {
		if err := os.MkdirAll(filepath.Join(site, "content"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(site, "content", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitIn(t, site, "init", "-q", "-b", "main")
	gitIn(t, site, "add", "-A")
	gitIn(t, site, "commit", "-q", "-m", "Site")
	engine := dockerfake.New(t, dockerfake.Info{Name: "apps-io", ServerVersion: "24.0.7", NCPU: 4, MemTotal: 8 << 30},
		dockerfake.Container{Name: "web", Image: "nginx:1.27", State: "running", StartedAt: time.Now()})
	base, _ := startAdminSite(t, site, t.TempDir(), live.Source{Name: "docker-io", Type: "docker", URL: engine.URL, Interval: time.Minute, Timeout: 5 * time.Second})
	console := watchConsole(ctx)

	do(t, ctx, chromedp.Navigate(base+"/admin/drift"))
	if h1 := get(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != "Drift" {
		t.Fatalf("h1 %q", h1)
	}
	if cur := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('nav[aria-label="Admin"] a[aria-current="page"]').textContent`)); cur != "Drift" {
		t.Errorf("current nav entry %q", cur)
	}
	rows := get(t, ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('table.drift tbody tr')].map(r => r.className + ': ' + r.cells[3].textContent.trim()).join('\n')`))
	for _, want := range []string{"drift-new: docker-io web is in no lab.yaml node: added as web (private)", "drift-differs: docker-io apps-io has 4 cores, lab.yaml says 2 cores"} {
		if !strings.Contains(rows, want) {
			t.Errorf("rows lack %q:\n%s", want, rows)
		}
	}
	console.check(t)

	disableScripts(t, ctx)
	do(t, ctx, chromedp.Navigate(base+"/admin/drift"))
	row := `table.drift tr.drift-new`
	// The box must be ticked: the browser refuses the form without it.
	do(t, ctx, chromedp.Click(chromedp.CSS(row+" button[type=submit]")))
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('.outcome').length`)); n != 0 {
		t.Fatal("the form was sent without confirmation")
	}
	do(t, ctx,
		chromedp.Click(chromedp.CSS(row+" input[name=confirm]")),
		chromedp.Click(chromedp.CSS(row+" button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".outcome")),
	)
	outcome := get(t, ctx, chromedp.Text(chromedp.CSS(".outcome")))
	if !strings.Contains(outcome, "Applied: docker-io web is in no lab.yaml node") || !strings.Contains(outcome, "no remote: the commit stays here") {
		t.Fatalf("outcome:\n%s", outcome)
	}
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('table.drift tr.drift-new').length`)); n != 0 {
		t.Error("the added container is still drift")
	}
	data, err := os.ReadFile(filepath.Join(site, "content", "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "# Written by hand.\n") || !strings.Contains(string(data), "{id: web, name: web, type: container, site: home, parent: apps, public: false, live: {docker: apps-io/web}}") {
		t.Errorf("lab.yaml:\n%s", data)
	}
	if log := gitIn(t, site, "log", "-1", "--format=%s"); log != "lab.yaml: Add as private web" {
		t.Errorf("last commit %q", log)
	}
}
