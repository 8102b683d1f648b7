package api

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/search"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

// hitURLs lists the result links of an /admin/search page, in order.
func hitURLs(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<li class="search-hit"><h2><a href="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestAdminSearch: the admin's search finds what the public index must
// never hold — a private node, a real name behind an alias — for a signed
// in viewer, and nothing without an identity.
func TestAdminSearch(t *testing.T) {
	iss := newAccessIssuer(t)
	s := newServer(t, accessConfig(iss), nil)
	h := s.Handler()
	viewer := map[string]string{"Cf-Access-Jwt-Assertion": iss.token(t, tokenOpts{email: "guest@lab.test"})}

	if rec := get(t, h, "/admin/search?q=vault", nil); rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), "/admin/nodes/vault") {
		t.Fatalf("without identity: %d, want 401 and no result", rec.Code)
	}
	for _, tc := range []struct {
		name, query string
		first       string // the best hit; "" for no hit at all
		mark        string // a word that must be marked
		status      string
	}{
		{"a private node by name", "vault", "/admin/nodes/vault", "vault", "result"},
		{"a private node by its description", "secrets store", "/admin/nodes/vault", "Secrets", "result"},
		{"the real name behind an alias", "mara desktop", "/admin/nodes/workstation", "mara", "results for “mara desktop”."},
		{"the alias too", "kronos nas", "/admin/nodes/kronos-nas", "Kronos", "result"},
		{"an admin page", "audit", "/admin/audit", "Audit", "result"},
		{"stemmed: replicated finds replication", "replicated", "/admin/nodes/kronos-nas", "replication", "result"},
		{"a node kind filter drops the pages", "audit&kind=node", "", "", "No results for “audit”."},
		{"nothing", "zeppelin", "", "", "No results for “zeppelin”."},
		{"only stop words", "the", "", "", "Type a longer word"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, _, _ := strings.Cut(tc.query, "&")
			target := "/admin/search?q=" + url.QueryEscape(q)
			if _, kind, ok := strings.Cut(tc.query, "&"); ok {
				target += "&" + kind
			}
			rec := get(t, h, target, viewer)
			body := rec.Body.String()
			if rec.Code != http.StatusOK {
				t.Fatalf("%d: %s", rec.Code, body)
			}
			hits := hitURLs(body)
			switch {
			case tc.first == "" && len(hits) > 0:
				t.Errorf("hits %q, want none", hits)
			case tc.first != "" && (len(hits) == 0 || hits[0] != tc.first):
				t.Errorf("hits %q, want %s first", hits, tc.first)
			}
			if tc.mark != "" && !strings.Contains(body, "<mark>"+tc.mark+"</mark>") {
				t.Errorf("%q is not marked in:\n%s", tc.mark, body)
			}
			if !strings.Contains(body, tc.status) {
				t.Errorf("status line lacks %q: %s", tc.status, regexp.MustCompile(`id="search-status"[^>]*>[^<]*`).FindString(body))
			}
			if !strings.Contains(body, `value="`+q+`"`) {
				t.Errorf("the box does not keep the query %q", q)
			}
		})
	}
}

// TestAdminSearchFollowsLiveData: the index is rebuilt after a
// collection changed a node's status, so "down" finds the node that went
// down and stops finding it once it is back.
func TestAdminSearchFollowsLiveData(t *testing.T) {
	src := live.Source{Name: "pve-io", Type: "proxmox", Interval: time.Minute, Timeout: time.Second}
	c := &switchCollector{}
	c.set(live.Down, "no answer on :8006")
	s := newServer(t, devConfig(src), map[string]live.Collector{src.Name: c})
	if err := s.poller().Once(t.Context(), src, c); err != nil {
		t.Fatal(err)
	}
	find := func(q string) []string {
		t.Helper()
		rec := get(t, s.Handler(), "/admin/search?q="+url.QueryEscape(q)+"&kind=node", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("%d: %s", rec.Code, rec.Body.String())
		}
		return hitURLs(rec.Body.String())
	}
	if hits := find("down"); len(hits) == 0 || hits[0] != "/admin/nodes/orch-io" {
		t.Fatalf("down: %q, want orch-io first", hits)
	}
	if hits := find("8006"); len(hits) != 1 || hits[0] != "/admin/nodes/orch-io" {
		t.Errorf("the source's detail: %q, want orch-io", hits)
	}
	c.set(live.Up, "")
	if err := s.poller().Once(t.Context(), src, c); err != nil {
		t.Fatal(err)
	}
	for _, h := range find("down") {
		if h == "/admin/nodes/orch-io" {
			t.Errorf("orch-io is up again and still found by \"down\"")
		}
	}
	if hits := find("up"); len(hits) == 0 || hits[0] != "/admin/nodes/orch-io" {
		t.Errorf("up: %q, want orch-io first", hits)
	}
}

// switchCollector reports orch-io with the status the test sets.
type switchCollector struct {
	mu             sync.Mutex
	status, detail string
}

func (c *switchCollector) set(status, detail string) {
	c.mu.Lock()
	c.status, c.detail = status, detail
	c.mu.Unlock()
}

func (c *switchCollector) Collect(context.Context) (*live.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &live.Result{Nodes: map[string]live.NodeData{"orch-io": {Status: c.status, Detail: c.detail}}}, nil
}

// TestPrivateNodesOnlyInAdminSearch builds the example site: the public
// index answers nothing for the private node and the real name behind an
// alias that the admin search finds.
func TestPrivateNodesOnlyInAdminSearch(t *testing.T) {
	dist := filepath.Join(t.TempDir(), "dist")
	if _, err := web.Build(t.Context(), web.Options{Src: "..", Out: dist, Static: static.FS(), Islands: web.Islands(), Log: quietLog(), CheckLab: live.Builtin().CheckLab}); err != nil {
		t.Fatal(err)
	}
	pub, err := search.Open(func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dist, "search", name)) })
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, devConfig(), nil)
	adm, err := s.searchReader()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ query, url string }{
		{"vault", "/admin/nodes/vault"},
		{"mara desktop", "/admin/nodes/workstation"},
		{"lindqvist", "/admin/nodes/kronos-nas"},
	} {
		r, err := pub.Search(search.Query{Text: tc.query})
		if err != nil {
			t.Fatal(err)
		}
		if r.Total != 0 {
			t.Errorf("public index: %q finds %d documents, first %s", tc.query, r.Total, r.Hits[0].URL)
		}
		a, err := adm.Search(search.Query{Text: tc.query})
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Hits) == 0 || a.Hits[0].URL != tc.url {
			t.Errorf("admin index: %q finds %v, want %s first", tc.query, a.Hits, tc.url)
		}
	}
}
