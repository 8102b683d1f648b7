package api

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/live"
)

// bigLab writes a site whose lab has n virtual machines on two sites.
func bigLab(t testing.TB, n int) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("sites:\n")
	for _, s := range []string{"north", "south"} {
		fmt.Fprintf(&b, "  - {id: %s, name: %s site, networks: [{id: %s-lan, name: LAN}]}\n", s, strings.ToUpper(s[:1])+s[1:], s)
	}
	b.WriteString("nodes:\n")
	for i := range n {
		site := "north"
		if i >= n/2 {
			site = "south"
		}
		fmt.Fprintf(&b, "  - {id: n%d, name: node-%d, type: vm, site: %s}\n", i, i, site)
	}
	b.WriteString("links:\n  - {from: n0, to: n1, type: lan}\n")
	for name, body := range map[string]string{
		"site.yaml": "title: Big lab\nbase_url: https://big.lab.test\n",
		"lab.yaml":  b.String(),
	} {
		if err := os.MkdirAll(filepath.Join(dir, "content"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "content", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var nodeLink = regexp.MustCompile(`href="/admin/nodes/([^"/?]+)"`)

func nodeIDs(body string) []string {
	var ids []string
	for _, m := range nodeLink.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// TestDashboardOfALargeLab: past 100 nodes the dashboard lists the 100 that
// most need attention (every down node among them) and says so, and
// /admin/nodes pages through all of them.
func TestDashboardOfALargeLab(t *testing.T) {
	const total = 250
	data := map[string]live.NodeData{}
	for i := range total {
		data[fmt.Sprintf("n%d", i)] = live.NodeData{Status: live.Up}
	}
	down := []string{"n3", "n140", "n249"}
	for _, id := range down {
		data[id] = live.NodeData{Status: live.Down, Detail: "unreachable"}
	}
	src := live.Source{Name: "demo", Type: "prometheus", Interval: time.Minute, Timeout: time.Second}
	cfg := devConfig(src)
	cfg.Site = bigLab(t, total)
	cfg.StateDir = t.TempDir()
	clk := &testClock{t: time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)}
	stub := &stubCollector{res: &live.Result{Nodes: data}}
	s := newServerClock(t, cfg, stub, clk)
	if err := s.poller().Once(t.Context(), src, stub); err != nil {
		t.Fatal(err)
	}
	h := s.Handler()

	rec := get(t, h, "/admin/", nil)
	body := rec.Body.String()
	ids := nodeIDs(body)
	if len(ids) != dashboardNodes {
		t.Fatalf("dashboard lists %d nodes, want %d", len(ids), dashboardNodes)
	}
	for _, id := range down {
		if !strings.Contains(body, `href="/admin/nodes/`+id+`"`) {
			t.Errorf("down node %s is not on the dashboard", id)
		}
	}
	if !strings.Contains(body, "Showing the 100 of 250 nodes that most need attention") || !strings.Contains(body, `<a href="/admin/nodes">All 250 nodes</a>`) {
		t.Error("the dashboard does not say it shows a selection, or does not link to all nodes")
	}

	seen := map[string]bool{}
	for page, want := range map[int]int{1: 100, 2: 100, 3: 50} {
		rec := get(t, h, fmt.Sprintf("/admin/nodes?page=%d", page), nil)
		if rec.Code != 200 {
			t.Fatalf("page %d: %d", page, rec.Code)
		}
		got := nodeIDs(rec.Body.String())
		if len(got) != want {
			t.Errorf("page %d lists %d nodes, want %d", page, len(got), want)
		}
		for _, id := range got {
			seen[id] = true
		}
	}
	if len(seen) != total {
		t.Errorf("the pages list %d distinct nodes, want %d", len(seen), total)
	}
	for _, bad := range []string{"0", "4", "x", "-1"} {
		if rec := get(t, h, "/admin/nodes?page="+bad, nil); rec.Code != 404 {
			t.Errorf("page=%s: %d, want 404", bad, rec.Code)
		}
	}
}

// TestDashboardOfASmallLabListsEveryNode: the example lab fits, so nothing
// is left out and no note says otherwise.
func TestDashboardOfASmallLabListsEveryNode(t *testing.T) {
	s := newServer(t, devConfig(), nil)
	body := get(t, s.Handler(), "/admin/", nil).Body.String()
	if strings.Contains(body, "most need attention") {
		t.Error("a small lab's dashboard says it shows a selection")
	}
	if got, want := len(nodeLink.FindAllString(body, -1)), len(mustLab(t).Nodes); got < want {
		t.Errorf("dashboard links %d nodes, the lab has %d", got, want)
	}
}
