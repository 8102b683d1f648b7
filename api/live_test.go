package api

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/snapshot"
	"github.com/labfront/labfront/internal/testkit/proxmoxfake"
)

// testClock is a settable time for tests.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

func devConfig(sources ...live.Source) *adminconfig.Config {
	return &adminconfig.Config{Listen: "127.0.0.1:0", Auth: adminconfig.Auth{Mode: adminconfig.ModeDev}, Sources: sources}
}

// TestStaleAndRestart: a source that stops answering shows as stale with
// honest times and its last values; a restart while it is still down
// serves the same values from disk.
func TestStaleAndRestart(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 25, 13, 58, 0, 0, time.UTC)}
	src := live.Source{Name: "Prometheus", Type: "prometheus", Interval: time.Minute, Timeout: time.Second}
	stub := &stubCollector{res: &live.Result{Nodes: map[string]live.NodeData{
		"pve-io": {Status: live.Up, CPU: live.Ptr(0.421), Detail: "scraped"},
	}}}
	cfg := devConfig(src)
	cfg.StateDir = t.TempDir()
	s := newServerClock(t, cfg, stub, clk)
	p := s.poller()
	if err := p.Once(t.Context(), src, stub); err != nil {
		t.Fatal(err)
	}
	page := get(t, s.Handler(), "/admin/", nil).Body.String()
	if !strings.Contains(page, "42 %") || strings.Contains(page, "unreachable") {
		t.Fatalf("live dashboard lacks the value or claims an outage")
	}

	clk.t = clk.t.Add(4 * time.Minute) // 14:02
	stub.err, stub.res = errors.New("dial tcp 10.10.0.30:9090: connect: connection refused"), nil
	if err := p.Once(t.Context(), src, stub); err == nil {
		t.Fatal("a failing source reported success")
	}
	clk.t = clk.t.Add(3 * time.Minute)
	for _, path := range []string{"/admin/", "/admin/nodes/pve-io", "/admin/topology", "/admin/audit"} {
		page := get(t, s.Handler(), path, nil).Body.String()
		if !strings.Contains(page, "Prometheus unreachable since 14:02, showing data from 13:58 (7m ago).") {
			t.Errorf("%s lacks the stale banner", path)
		}
	}
	if page := get(t, s.Handler(), "/admin/", nil).Body.String(); !strings.Contains(page, "42 %") {
		t.Error("the stale dashboard lost the last good value")
	}
	var status struct {
		Stale   bool `json:"stale"`
		Sources []struct{ State string }
	}
	rec := get(t, s.Handler(), "/api/v1/status", nil)
	if err := jsonBody(rec, &status); err != nil || !status.Stale || status.Sources[0].State != "stale" {
		t.Errorf("status API: %+v, %v", status, err)
	}
	if strings.Contains(rec.Body.String(), "10.10.0.30") || strings.Contains(rec.Body.String(), "scraped") {
		t.Error("the public status leaks an internal error or detail")
	}

	// Restart with the source still down: the data comes from disk.
	s2 := newServerClock(t, cfg, &stubCollector{err: errors.New("still down")}, clk)
	page = get(t, s2.Handler(), "/admin/", nil).Body.String()
	if !strings.Contains(page, "42 %") || !strings.Contains(page, "Prometheus unreachable since 14:02, showing data from 13:58") {
		t.Error("after a restart the last snapshot is not served from disk")
	}
	if rec := get(t, s2.Handler(), "/readyz", nil); rec.Code != http.StatusOK {
		t.Errorf("readyz after restart with saved data: %d", rec.Code)
	}
}

func jsonBody(rec *httptest.ResponseRecorder, v any) error {
	return jsonDecode(rec.Body.Bytes(), v)
}

// TestSnapshotFileForBuild: the server keeps state_dir/snapshot.json in
// the format `labfront build --snapshot` reads.
func TestSnapshotFileForBuild(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)}
	src := live.Source{Name: "demo", Type: "demo", Interval: time.Minute, Timeout: time.Second}
	cfg := devConfig(src)
	cfg.StateDir = t.TempDir()
	s := newServerClock(t, cfg, live.NewDemo(mustLab(t), clk.now), clk)
	if err := s.poller().Once(t.Context(), src, s.collectors["demo"]); err != nil {
		t.Fatal(err)
	}
	if err := s.writeSnapshot(); err != nil {
		t.Fatal(err)
	}
	snap, err := snapshot.Load(filepath.Join(cfg.StateDir, "snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	if snap.Status("pve-io").Status != live.Up || snap.Status("cf-pages").Status != live.Unknown {
		t.Errorf("snapshot: pve-io %v, cf-pages %v", snap.Status("pve-io"), snap.Status("cf-pages"))
	}
}

// TestProxmoxAction: an admin's confirmed action lands as the right
// Proxmox API call and in the audit log; an unconfirmed one does nothing;
// with Proxmox unreachable the action is refused, with the reason.
func TestProxmoxAction(t *testing.T) {
	pve := proxmoxfake.New(t)
	src := live.Source{Name: "pve-io", Type: "proxmox", URL: pve.URL, Secret: proxmoxfake.Token, HTTP: pve.Client(), Interval: time.Minute, Timeout: 5 * time.Second}
	cfg := devConfig(src)
	cfg.StateDir = t.TempDir()
	s := newServer(t, cfg, nil)
	if err := s.poller().Once(t.Context(), src, s.collectors["pve-io"]); err != nil {
		t.Fatal(err)
	}
	page := get(t, s.Handler(), "/admin/nodes/orch-io", nil).Body.String()
	if !strings.Contains(page, `action="/admin/nodes/orch-io/actions/shutdown"`) {
		t.Fatal("the node page offers no shutdown action")
	}
	post := func(form url.Values) *httptest.ResponseRecorder {
		req := newRequest(http.MethodPost, "/admin/nodes/orch-io/actions/shutdown", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec
	}
	pve.ResetCalls()
	if rec := post(url.Values{}); rec.Code != http.StatusBadRequest {
		t.Errorf("unconfirmed action: %d", rec.Code)
	}
	if len(pve.Calls()) != 0 {
		t.Fatalf("an unconfirmed action reached Proxmox: %v", pve.Calls())
	}
	rec := post(url.Values{"confirm": {"yes"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/nodes/orch-io?outcome=done" {
		t.Fatalf("action: %d %s %s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	calls := pve.Calls()
	if len(calls) == 0 || calls[0].Method != http.MethodPost || calls[0].Path != "/api2/json/nodes/pve-io/lxc/200/status/shutdown" {
		t.Errorf("Proxmox calls: %v", calls)
	}
	if got := pve.GuestStatus("pve-io/lxc/200"); got != "stopped" {
		t.Errorf("guest is %q after shutdown", got)
	}
	audit, err := os.ReadFile(filepath.Join(cfg.StateDir, "audit.log"))
	if err != nil || !strings.Contains(string(audit), `"who":"dev@localhost","action":"shutdown","target":"orch-io via pve-io","result":"ok"`) {
		t.Errorf("audit log: %s %v", audit, err)
	}
	if page := get(t, s.Handler(), "/admin/audit", nil).Body.String(); !strings.Contains(page, "orch-io via pve-io") {
		t.Error("the audit page does not show the action")
	}

	// Proxmox goes away: the next attempt is refused, not tried.
	pve.Close()
	if err := s.poller().Once(t.Context(), src, s.collectors["pve-io"]); err == nil {
		t.Fatal("collection from a closed Proxmox succeeded")
	}
	pve.ResetCalls()
	rec = post(url.Values{"confirm": {"yes"}})
	if rec.Header().Get("Location") != "/admin/nodes/orch-io?outcome=refused" {
		t.Errorf("action against an unreachable source: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	page = get(t, s.Handler(), "/admin/nodes/orch-io?outcome=refused", nil).Body.String()
	if !strings.Contains(page, "pve-io has been unreachable since") || !strings.Contains(page, "The action was refused") {
		t.Error("the node page does not say why the action is refused")
	}
	audit, err = os.ReadFile(filepath.Join(cfg.StateDir, "audit.log"))
	if err != nil || !strings.Contains(string(audit), `"result":"refused"`) {
		t.Errorf("refusal not audited: %s", audit)
	}
}

// TestMetrics: /metrics reports requests by route, collections and their
// failures, and the age of each source's data.
func TestMetrics(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)}
	src := live.Source{Name: "prom", Type: "prometheus", Interval: time.Minute, Timeout: time.Second}
	stub := &stubCollector{res: &live.Result{Nodes: map[string]live.NodeData{}}}
	cfg := devConfig(src)
	cfg.StateDir = t.TempDir()
	s := newServerClock(t, cfg, stub, clk)
	if err := s.poller().Once(t.Context(), src, stub); err != nil {
		t.Fatal(err)
	}
	stub.res, stub.err = nil, errors.New("refused")
	if err := s.poller().Once(t.Context(), src, stub); err == nil {
		t.Fatal("want an error")
	}
	clk.t = clk.t.Add(90 * time.Second)
	get(t, s.Handler(), "/admin/", nil)
	get(t, s.Handler(), "/admin/nodes/no-such-node", nil)
	body := get(t, s.Handler(), "/metrics", nil).Body.String()
	for _, want := range []string{
		`labfront_collect_errors_total{source="prom"} 1`,
		`labfront_collect_duration_seconds_count{source="prom"} 2`,
		`labfront_snapshot_age_seconds{source="prom"} 90`,
		`labfront_http_requests_total{code="200",route="/admin/"} 1`,
		`labfront_http_requests_total{code="404",route="/admin/nodes/:id"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestAdminTopologyLinksToNodePages: the shared graph component links each
// node to its admin page here, not to the public page's sections.
func TestAdminTopologyLinksToNodePages(t *testing.T) {
	s := newServer(t, devConfig(), nil)
	page := get(t, s.Handler(), "/admin/topology", nil).Body.String()
	if !strings.Contains(page, `href="/admin/nodes/pve-io"`) || strings.Contains(page, `href="#node-`) {
		t.Error("admin topology nodes do not link to their admin pages")
	}
	if !strings.Contains(page, `data-id="vault"`) {
		t.Error("the admin topology hides the private node; admins see the whole lab")
	}
}

// TestStatusCORS: the public status is readable by the site's own origin
// (from site.yaml's base_url) and no other.
func TestStatusCORS(t *testing.T) {
	s := newServer(t, devConfig(), nil)
	for origin, allowed := range map[string]bool{"https://lab.example.dev": true, "https://evil.test": false} {
		rec := get(t, s.Handler(), "/api/v1/status", map[string]string{"Origin": origin})
		if got := rec.Header().Get("Access-Control-Allow-Origin"); (got == origin) != allowed {
			t.Errorf("Origin %s: Access-Control-Allow-Origin %q", origin, got)
		}
		if !strings.Contains(rec.Header().Get("Cache-Control"), "stale-if-error") {
			t.Errorf("Cache-Control %q", rec.Header().Get("Cache-Control"))
		}
	}
}

// TestBusyAnswersHaveLength: the dashboard and the public status, the two
// answers that take load, go out with a Content-Length, not chunked (an
// extra write and chunk framing on every answer).
func TestBusyAnswersHaveLength(t *testing.T) {
	cfg := devConfig()
	cfg.Site = bigLab(t, 200) // well past net/http's 2 KB of buffering
	s := newServer(t, cfg, nil)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for _, path := range []string{"/admin/", "/api/v1/status"} {
		resp, err := ts.Client().Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(body) < 4096 {
			t.Fatalf("%s: only %d bytes; the test needs a larger answer", path, len(body))
		}
		if resp.StatusCode != http.StatusOK || len(resp.TransferEncoding) > 0 || resp.ContentLength != int64(len(body)) {
			t.Errorf("%s: %d, Transfer-Encoding %v, Content-Length %d for %d bytes", path, resp.StatusCode, resp.TransferEncoding, resp.ContentLength, len(body))
		}
	}
}
