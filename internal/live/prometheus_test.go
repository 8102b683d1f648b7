package live

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/testkit/memnet"
	"github.com/labfront/labfront/internal/testkit/promtest"
)

// promTestNow is the clock of the fake-server tests; the fixtures in
// testdata/prometheus are sampled at it.
var promTestNow = time.Unix(1790000000, 0)

// promTestLab has a node that is up, one whose scrapes fail, one that no
// job scrapes, one up through a second job, one sharing an instance with
// another node, and one without a live.prometheus.
func promTestLab() *lab.Lab {
	node := func(id, inst string) lab.Node { return lab.Node{ID: id, Live: lab.Live{"prometheus": {Value: inst}}} }
	return &lab.Lab{Nodes: []lab.Node{
		node("pve1", "10.10.0.11:9100"),
		node("nas", "10.10.0.12:9100"),
		node("ghost", "10.10.0.13:9100"),
		node("pve2", "10.10.0.14:9100"),
		node("pve1-twin", "10.10.0.11:9100"),
		node("router", ""),
	}}
}

// promTestInstances is promTestLab's instance matcher as it appears in a
// query: regexp-escaped, then escaped again as a PromQL string.
const promTestInstances = `instance=~"10\\.10\\.0\\.11:9100|10\\.10\\.0\\.12:9100|10\\.10\\.0\\.13:9100|10\\.10\\.0\\.14:9100"`

// fakeProm implements the parts of the Prometheus HTTP API the collector
// calls, answering from testdata/prometheus/<kind>.json (instant queries),
// <kind>_range.json (range queries) and alerts.json, in the documented
// response format. A kind without a fixture answers with no series, like a
// Prometheus that does not have the metric.
type fakeProm struct {
	t      *testing.T
	prefix string

	mu       sync.Mutex
	requests []string      // "query <kind>", "query_range <kind>", "alerts"
	forms    []fakePromReq // the parameters of every query request
}

type fakePromReq struct {
	endpoint, kind, query, time, start, end, step string
}

func newFakeProm(t *testing.T, prefix string) (*fakeProm, *httptest.Server) {
	f := &fakeProm{t: t, prefix: prefix}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// promKind names a query by the metric it reads.
func promKind(q string) string {
	switch {
	case strings.HasPrefix(q, "up{"):
		return "up"
	case strings.Contains(q, "node_cpu_seconds_total"):
		return "cpu"
	case strings.Contains(q, "node_memory_MemAvailable_bytes"):
		return "memory"
	case strings.Contains(q, "node_filesystem_avail_bytes"):
		return "disk"
	case strings.Contains(q, "node_load1"):
		return "load"
	}
	return "unknown"
}

func (f *fakeProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	endpoint, ok := strings.CutPrefix(r.URL.Path, f.prefix+"/api/v1/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var file, empty string
	req := fakePromReq{endpoint: endpoint}
	switch endpoint {
	case "query", "query_range":
		req.query, req.time = r.Form.Get("query"), r.Form.Get("time")
		req.start, req.end, req.step = r.Form.Get("start"), r.Form.Get("end"), r.Form.Get("step")
		req.kind = promKind(req.query)
		file, empty = req.kind, `{"status":"success","data":{"resultType":"vector","result":[]}}`
		if endpoint == "query_range" {
			file, empty = req.kind+"_range", `{"status":"success","data":{"resultType":"matrix","result":[]}}`
		}
	case "alerts":
		file, empty = "alerts", `{"status":"success","data":{"alerts":[]}}`
	default:
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, strings.TrimSpace(endpoint+" "+req.kind))
	if req.query != "" {
		f.forms = append(f.forms, req)
	}
	f.mu.Unlock()

	body, err := os.ReadFile(filepath.Join("testdata", "prometheus", file+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		body, err = []byte(empty), nil
	}
	if err != nil {
		f.t.Errorf("fixture %s: %v", file, err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if _, err := w.Write(body); err != nil {
		f.t.Errorf("write %s: %v", file, err)
	}
}

func newTestPrometheus(t *testing.T, url string, l *lab.Lab) *Prometheus {
	t.Helper()
	p, err := NewPrometheus(Source{Name: "prom", Type: "prometheus", URL: url, Timeout: 5 * time.Second}, l)
	if err != nil {
		t.Fatalf("NewPrometheus: %v", err)
	}
	p.now = func() time.Time { return promTestNow }
	return p
}

func TestPrometheusCollect(t *testing.T) {
	f, srv := newFakeProm(t, "/prometheus")
	// A path prefix, as behind a reverse proxy, with the trailing slash
	// people copy from the browser.
	p := newTestPrometheus(t, srv.URL+"/prometheus/", promTestLab())
	res, err := p.Collect(t.Context())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}

	at := func(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
	pve1 := NodeData{
		Status: Up,
		CPU:    Ptr(0.25), Memory: Ptr(0.5), Disk: Ptr(0.125), // no load fixture: Load stays nil
		Series: map[string][]Point{
			"cpu":    {{at(1789999880), 0.2}, {at(1789999940), 0.3}, {at(1790000000), 0.25}},
			"memory": {{at(1789999940), 0.5}, {at(1790000000), 0.5}},
		},
	}
	want := map[string]NodeData{
		"pve1":      pve1,
		"pve1-twin": pve1,
		// Down but still reporting what Prometheus has; the NaN of a
		// zero-sized filesystem and of a range sample are dropped.
		"nas": {
			Status: Down, Detail: "scrape failing (job blackbox, node)",
			Memory: Ptr(0.75),
			Series: map[string][]Point{"memory": {{at(1789999880), 0.7}, {at(1790000000), 0.75}}},
		},
		"ghost": {Status: Down, Detail: `no scrape target for instance "10.10.0.13:9100"`},
		// Up through its second job; a rate a hair above 1 is clamped.
		"pve2": {Status: Up, CPU: Ptr(1)},
	}
	if !reflect.DeepEqual(res.Nodes, want) {
		t.Errorf("nodes:\n got %s\nwant %s", promDump(res.Nodes), promDump(want))
	}

	wantAlerts := []Alert{
		{Name: "BackupStale", Severity: "critical", Summary: "No backup for 2 days", Since: time.Date(2026, 9, 20, 6, 0, 0, 0, time.UTC)},
		{Name: "HostHighLoad", Severity: "warning", Node: "pve1", Summary: "Load above 8 for 10 minutes", Since: time.Date(2026, 9, 21, 8, 0, 0, 0, time.UTC)},
		{Name: "Watchdog", Severity: "none", Since: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)},
	}
	if !reflect.DeepEqual(res.Alerts, wantAlerts) {
		t.Errorf("alerts:\n got %+v\nwant %+v", res.Alerts, wantAlerts)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	// One request per metric for all nodes, not one per node.
	requests := slices.Sorted(slices.Values(f.requests))
	wantRequests := []string{"alerts", "query cpu", "query disk", "query load", "query memory", "query up", "query_range cpu", "query_range memory"}
	if !slices.Equal(requests, wantRequests) {
		t.Errorf("requests %q, want %q", requests, wantRequests)
	}
	i := promTestInstances
	cpu := func(w string) string {
		return `(1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle",` + i + `}[` + w + `])))`
	}
	fsSel := `{mountpoint="/",fstype!~"rootfs|tmpfs|ramfs|squashfs",` + i + `}`
	wantQueries := map[string]string{
		"up":     `up{` + i + `}`,
		"cpu":    cpu("1m") + " or " + cpu("5m"),
		"memory": `max by (instance) (1 - node_memory_MemAvailable_bytes{` + i + `} / node_memory_MemTotal_bytes{` + i + `})`,
		"disk":   `max by (instance) (1 - node_filesystem_avail_bytes` + fsSel + ` / node_filesystem_size_bytes` + fsSel + `)`,
		"load":   `max by (instance) (node_load1{` + i + `})`,
	}
	for _, r := range f.forms {
		if r.query != wantQueries[r.kind] {
			t.Errorf("%s %s:\n got %s\nwant %s", r.endpoint, r.kind, r.query, wantQueries[r.kind])
		}
		switch r.endpoint {
		case "query":
			if r.time != "" {
				t.Errorf("query %s at time %q, want the server's own time", r.kind, r.time)
			}
		case "query_range":
			if r.start != "1789998200" || r.end != "1790000000" || r.step != "60" {
				t.Errorf("query_range %s start=%s end=%s step=%s, want the last 30 minutes at 60 s", r.kind, r.start, r.end, r.step)
			}
		}
	}
}

func promDump(m map[string]NodeData) string {
	var b strings.Builder
	for _, id := range slices.Sorted(maps.Keys(m)) {
		d := m[id]
		f := func(p *float64) string {
			if p == nil {
				return "nil"
			}
			return fmt.Sprint(*p)
		}
		fmt.Fprintf(&b, "\n  %s: %s %q cpu=%s mem=%s disk=%s load=%s series=%v", id, d.Status, d.Detail, f(d.CPU), f(d.Memory), f(d.Disk), f(d.Load), d.Series)
	}
	return b.String()
}

// TestPrometheusNoNodes: a lab without live.prometheus still gets the
// alerts, and Prometheus is asked nothing else.
func TestPrometheusNoNodes(t *testing.T) {
	f, srv := newFakeProm(t, "")
	p := newTestPrometheus(t, srv.URL, &lab.Lab{Nodes: []lab.Node{{ID: "router"}}})
	res, err := p.Collect(t.Context())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if len(res.Nodes) != 0 || len(res.Alerts) != 3 {
		t.Errorf("got %d nodes and %d alerts, want 0 and 3", len(res.Nodes), len(res.Alerts))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Equal(f.requests, []string{"alerts"}) {
		t.Errorf("requests %q, want only alerts", f.requests)
	}
}

// TestPrometheusEmpty: a Prometheus that has none of the series is data
// (every node down, nothing measured), not a failure.
func TestPrometheusEmpty(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/query":
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
		case "/api/v1/query_range":
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[]}}`)
		case "/api/v1/alerts":
			fmt.Fprint(w, `{"status":"success","data":{"alerts":[]}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	res, err := newTestPrometheus(t, srv.URL, promTestLab()).Collect(t.Context())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	for id, d := range res.Nodes {
		if d.Status != Down || !strings.HasPrefix(d.Detail, "no scrape target") || d.CPU != nil || d.Memory != nil || d.Series != nil {
			t.Errorf("%s: %+v, want down with no scrape target and nothing measured", id, d)
		}
	}
	if len(res.Nodes) != 5 || res.Alerts != nil {
		t.Errorf("got %d nodes and alerts %v, want 5 nodes and no alerts", len(res.Nodes), res.Alerts)
	}
}

func TestPrometheusErrors(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc // nil: the server at closedURL, which is gone
		want    string           // in the error, besides the source name
		is      error
	}{
		{name: "unreachable", want: "connection refused", is: syscall.ECONNREFUSED},
		{
			name: "query error",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprint(w, `{"status":"error","errorType":"unavailable","error":"TSDB not ready"}`)
			},
			want: "TSDB not ready",
		},
		{
			name: "proxy error page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
			},
			want: "502",
		},
		{
			name: "not prometheus",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, "<html>welcome to nginx</html>")
			},
			want: "invalid character",
		},
		{
			name: "only alerts fail",
			handler: func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/api/v1/alerts":
					http.Error(w, "no", http.StatusInternalServerError)
				case "/api/v1/query_range":
					fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[]}}`)
				default:
					fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
				}
			},
			want: "query alerts",
		},
		{
			name: "wrong result type",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"status":"success","data":{"resultType":"scalar","result":[1790000000,"1"]}}`)
			},
			want: "got a scalar",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := closedURL
			if tc.handler != nil {
				srv := httptest.NewServer(tc.handler)
				t.Cleanup(srv.Close)
				url = srv.URL
			}
			p := newTestPrometheus(t, url, promTestLab())
			res, err := p.Collect(t.Context())
			if err == nil {
				t.Fatalf("Collect succeeded with %+v, want an error", res)
			}
			if res != nil {
				t.Errorf("Collect returned a result with its error")
			}
			if !strings.Contains(err.Error(), `prometheus "prom"`) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want the source name and %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q is not %v", err, tc.is)
			}
		})
	}
}

// TestPrometheusDeadline: a Prometheus that never answers fails the
// collection exactly at its deadline, with context.DeadlineExceeded and
// the source's name. It runs on the bubble's fake clock, over an
// in-memory network.
func TestPrometheusDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv := memnet.NewServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The server notices a client that gave up only once the
			// request body has been read.
			if err := r.ParseForm(); err != nil {
				t.Errorf("hanging server: %v", err)
			}
			<-r.Context().Done()
		}))
		p, err := NewPrometheus(Source{Name: "prom", Type: "prometheus", URL: srv.URL, Timeout: 5 * time.Second, HTTP: srv.Client()}, promTestLab())
		if err != nil {
			t.Fatal(err)
		}
		const deadline = 200 * time.Millisecond
		ctx, cancel := context.WithTimeout(t.Context(), deadline)
		defer cancel()
		start := time.Now()
		res, err := p.Collect(ctx)
		if took := time.Since(start); took != deadline {
			t.Errorf("Collect took %v with a %v deadline", took, deadline)
		}
		if err == nil || res != nil {
			t.Fatalf("Collect = %+v, %v; want no result and an error", res, err)
		}
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `prometheus "prom"`) {
			t.Errorf("error %q, want the source name and context.DeadlineExceeded", err)
		}
	})
}

func TestPrometheusCollectDoneContext(t *testing.T) {
	_, srv := newFakeProm(t, "")
	p := newTestPrometheus(t, srv.URL, promTestLab())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := p.Collect(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Collect with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestNewPrometheusURL(t *testing.T) {
	for _, u := range []string{"", "localhost:9090", "ftp://mon.lab", "http://", "//mon.lab:9090", "http://mon lab:9090", "%"} {
		if _, err := NewPrometheus(Source{Name: "prom", URL: u}, promTestLab()); err == nil {
			t.Errorf("NewPrometheus accepted url %q", u)
		} else if !strings.Contains(err.Error(), `"prom"`) {
			t.Errorf("error %q does not name the source", err)
		}
	}
	for _, u := range []string{"http://127.0.0.1:9090", "https://mon.lab/prometheus/"} {
		if _, err := NewPrometheus(Source{Name: "prom", URL: u}, promTestLab()); err != nil {
			t.Errorf("NewPrometheus(%q): %v", u, err)
		}
	}
}

// TestPrometheusRun: the queries of a collection run at most promParallel at a
// time, the first failure cancels the rest, and promRun returns only after
// every task it started has returned.
func TestPrometheusRun(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testPrometheusRun)
}

// testPrometheusRun runs in a bubble: tasks that succeed take 20 ms of
// its clock, so the first wave of promParallel is all in flight at once
// and task 6, in the second wave, fails at exactly 20 ms.
func testPrometheusRun(t *testing.T) {
	var running, peak, started atomic.Int32
	boom := errors.New("boom")
	var tasks []promTask
	for i := range 12 {
		tasks = append(tasks, promTask{fmt.Sprint("task ", i), func(ctx context.Context) error {
			started.Add(1)
			n := running.Add(1)
			defer running.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				// another task raised peak meanwhile: compare again
			}
			if i == 6 {
				return boom
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
				return nil
			}
		}})
	}
	start := time.Now()
	err := promRun(t.Context(), tasks)
	if took := time.Since(start); took != 20*time.Millisecond {
		t.Errorf("promRun returned after %v, want 20ms (the second wave's failure)", took)
	}
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "query task 6") {
		t.Errorf("promRun: %v, want task 6's failure", err)
	}
	if n := running.Load(); n != 0 {
		t.Errorf("%d tasks still running after promRun returned", n)
	}
	if p := peak.Load(); p != promParallel {
		t.Errorf("peak of %d tasks at once, want %d", p, promParallel)
	}
	if n := started.Load(); n == int32(len(tasks)) {
		t.Errorf("all %d tasks started despite the failure", n)
	}
}

// promDeadInstance is a target of the real Prometheus that never answers:
// nothing listens on port 1, so its up is 0 from the first scrape.
const promDeadInstance = "127.0.0.1:1"

// TestPrometheusReal runs the collector against Debian's prometheus and
// prometheus-node-exporter.
func TestPrometheusReal(t *testing.T) {
	url, instance, stop := startPrometheus(t)
	l := &lab.Lab{Nodes: []lab.Node{
		{ID: "box", Live: lab.Live{"prometheus": {Value: instance}}},
		{ID: "dead", Live: lab.Live{"prometheus": {Value: promDeadInstance}}},
		{ID: "ghost", Live: lab.Live{"prometheus": {Value: "10.255.255.1:9100"}}},
	}}
	p, err := NewPrometheus(Source{Name: "real", Type: "prometheus", URL: url, Timeout: 5 * time.Second}, l)
	if err != nil {
		t.Fatalf("NewPrometheus: %v", err)
	}
	collect := func(timeout time.Duration) (*Result, error) {
		ctx, cancel := context.WithTimeout(t.Context(), timeout)
		defer cancel()
		return p.Collect(ctx)
	}

	// Prometheus applies a new scrape config only after about 5 s, and the
	// CPU rate needs a second sample after that.
	start := time.Now()
	deadline := start.Add(20 * time.Second)
	var res *Result
	for {
		res, err = collect(5 * time.Second)
		if err != nil {
			// Prometheus is ready, so an error here is a query it rejects.
			t.Fatalf("Collect: %v", err)
		}
		box := res.Nodes["box"]
		if box.Status == Up && box.CPU != nil && box.Memory != nil && box.Load != nil && len(res.Alerts) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no complete data after %v:%s\nalerts %+v", time.Since(start).Round(time.Millisecond), promDump(res.Nodes), res.Alerts)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("complete data %v after Prometheus was ready:%s", time.Since(start).Round(time.Millisecond), promDump(res.Nodes))

	box := res.Nodes["box"]
	for name, v := range map[string]*float64{"cpu": box.CPU, "memory": box.Memory, "disk": box.Disk} {
		if v != nil && (*v < 0 || *v > 1) {
			t.Errorf("box %s = %v, want a fraction", name, *v)
		}
	}
	if *box.Load < 0 {
		t.Errorf("box load = %v", *box.Load)
	}
	// The root filesystem is measured unless it is an overlay, which
	// node_exporter leaves out by default (containers).
	if box.Disk == nil {
		t.Logf("no disk usage for /: root filesystem excluded by node_exporter here")
	}
	if len(box.Series["cpu"]) == 0 || len(box.Series["memory"]) == 0 {
		t.Errorf("box series %v, want cpu and memory points", box.Series)
	}
	if d := res.Nodes["dead"]; d.Status != Down || d.Detail != "scrape failing (job unreachable)" {
		t.Errorf("dead: %s %q, want down, scrape failing", d.Status, d.Detail)
	}
	if g := res.Nodes["ghost"]; g.Status != Down || !strings.HasPrefix(g.Detail, "no scrape target") {
		t.Errorf("ghost: %s %q, want down, no scrape target", g.Status, g.Detail)
	}
	wantAlert := Alert{Name: "LabfrontNodeUp", Severity: "info", Node: "box", Summary: "node " + instance + " is up"}
	if len(res.Alerts) != 1 || res.Alerts[0].Since.IsZero() {
		t.Fatalf("alerts %+v, want %+v with a time", res.Alerts, wantAlert)
	}
	got := res.Alerts[0]
	got.Since = time.Time{}
	if got != wantAlert {
		t.Errorf("alert %+v, want %+v", got, wantAlert)
	}

	stop()
	begin := time.Now()
	res, err = collect(3 * time.Second)
	if err == nil {
		t.Fatalf("Collect after Prometheus stopped: %+v, want an error", res)
	}
	if took := time.Since(begin); took > 3*time.Second+500*time.Millisecond {
		t.Errorf("Collect took %v to fail with a 3 s deadline", took)
	}
	if !strings.Contains(err.Error(), `prometheus "real"`) {
		t.Errorf("error %q does not name the source", err)
	}
	t.Logf("after stop: %v", err)
}

// startPrometheus runs Debian's prometheus-node-exporter and a prometheus
// that scrapes it, itself and promDeadInstance every second, with an alert
// rule LabfrontNodeUp (severity info) that fires for the exporter once it
// is up. It returns Prometheus's URL, the exporter's instance label and a
// func that stops both; they are stopped at the end of the test anyway.
func startPrometheus(t *testing.T) (url, instance string, stop func()) {
	t.Helper()
	prom, exporter, instance := promtest.Start(t, promtest.Options{
		Rules: `groups:
  - name: labfront
    rules:
      - alert: LabfrontNodeUp
        expr: up{job="node"} == 1
        labels: {severity: info}
        annotations: {summary: "node {{ $labels.instance }} is up"}
`,
		Jobs: map[string]string{"unreachable": promDeadInstance},
	})
	return prom.URL, instance, func() {
		prom.Stop()
		exporter.Stop()
	}
}
