// Package proxmoxfake is a fake Proxmox VE API for tests: an HTTPS server
// that answers the endpoints labfront uses the way pveproxy does — data in
// {"data": …}, numbers as PVE sends them, errors as an HTTP status whose
// reason phrase carries the message, guest actions as tasks that run for a
// while and then stop. It starts from the cluster in testdata/ (node pve-io
// online, pve-ni offline, a few containers and VMs) and checks every
// request: API token, method, path and parameters. A request it does not
// expect fails the test.
//
// Package live's tests use it, and so can the admin server's:
//
//	pve := proxmoxfake.New(t)
//	src := live.Source{Name: "pve", Type: "proxmox", URL: pve.URL, Secret: proxmoxfake.Token, HTTP: pve.Client()}
package proxmoxfake

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The API token the fake accepts, as Source.Secret takes it.
const (
	TokenID     = "labfront@pve!collector"
	TokenSecret = "5f0c2a8e-3b1d-4e7a-9c6f-2d8b4a1e7f30"
	Token       = TokenID + "=" + TokenSecret
)

const apiRoot = "/api2/json"

//go:embed testdata/cluster_resources.json testdata/rrddata_pve-io_hour.json
var fixtures embed.FS

// Call is one request the fake received.
type Call struct {
	Method string
	// Path is the decoded request path, e.g.
	// /api2/json/nodes/pve-io/lxc/200/status/shutdown.
	Path  string
	Query url.Values
	// Authorized is whether the request carried the fake's API token.
	Authorized bool
}

// String is "METHOD /path?query", handy in test messages.
func (c Call) String() string {
	s := c.Method + " " + c.Path
	if len(c.Query) > 0 {
		s += "?" + c.Query.Encode()
	}
	return s
}

// Server is a running fake. Its methods are safe for concurrent use; the
// ones that fail the test on bad arguments must be called from the test's
// goroutine.
type Server struct {
	// URL is the base URL, as Source.URL takes it (no /api2/json).
	URL string

	t  testing.TB
	ts *httptest.Server

	mu sync.Mutex
	// resources is the /cluster/resources list; values are json.Number so
	// they go out exactly as the fixture has them.
	resources []map[string]any
	rrd       map[string]json.RawMessage // node → rrddata samples
	tasks     map[string]*task
	// saved holds a stopped guest's last running figures, for its restart.
	saved     map[string]map[string]any
	calls     []Call
	taskPolls int
	taskFails []string
	failures  map[string]failure
	pid       int
}

type failure struct {
	code   int
	reason string
}

// task is a guest action in progress.
type task struct {
	upid, node, id, typ string
	pid                 int
	start               time.Time
	polls               int    // status polls left that answer "running"
	exit                string // exit status once stopped
	apply               func() // the guest's state change, on success
	done                bool
}

// New starts a fake with the fixture cluster and closes it when the test
// ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		t:         t,
		rrd:       map[string]json.RawMessage{},
		tasks:     map[string]*task{},
		saved:     map[string]map[string]any{},
		failures:  map[string]failure{},
		taskPolls: 1,
		pid:       0x3a1f0,
	}
	var resources struct {
		Data []map[string]any `json:"data"`
	}
	readFixture(t, "testdata/cluster_resources.json", &resources)
	s.resources = resources.Data
	var rrd struct {
		Data json.RawMessage `json:"data"`
	}
	readFixture(t, "testdata/rrddata_pve-io_hour.json", &rrd)
	s.rrd["pve-io"] = rrd.Data

	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiRoot+"/cluster/resources", s.clusterResources)
	mux.HandleFunc("GET "+apiRoot+"/nodes", s.nodes)
	mux.HandleFunc("GET "+apiRoot+"/nodes/{node}/status", s.nodeStatus)
	mux.HandleFunc("GET "+apiRoot+"/nodes/{node}/rrddata", s.rrddata)
	mux.HandleFunc("GET "+apiRoot+"/nodes/{node}/{kind}", s.guestList)
	mux.HandleFunc("GET "+apiRoot+"/nodes/{node}/{kind}/{vmid}/config", s.guestConfig)
	mux.HandleFunc("POST "+apiRoot+"/nodes/{node}/{kind}/{vmid}/status/{action}", s.guestAction)
	mux.HandleFunc("GET "+apiRoot+"/nodes/{node}/tasks/{upid}/status", s.taskStatus)
	mux.HandleFunc("/", s.unexpected)
	s.ts = httptest.NewUnstartedServer(s.check(mux))
	// The server's own complaints (a client refusing its self-signed
	// certificate) belong in the test log, not on stderr.
	tl := &testLog{t: t}
	s.ts.Config.ErrorLog = log.New(tl, "proxmoxfake: ", 0)
	s.ts.StartTLS()
	s.URL = s.ts.URL
	t.Cleanup(func() {
		s.ts.Close()
		tl.stop()
	})
	return s
}

// testLog writes to the test log until the test's cleanup, after which a
// late write from a connection goroutine must not reach t.
type testLog struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (l *testLog) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done = true
}

func readFixture(t testing.TB, name string, v any) {
	t.Helper()
	b, err := fixtures.ReadFile(name)
	if err != nil {
		t.Fatalf("proxmoxfake: %v", err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		t.Fatalf("proxmoxfake: %s: %v", name, err)
	}
}

// Client is an HTTP client that trusts the fake's certificate.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close stops the server, as if the Proxmox host went down.
func (s *Server) Close() { s.ts.Close() }

// Calls are the requests received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// ResetCalls forgets the requests received so far.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// SetTaskPolls sets how many status polls a new task answers "running"
// before it stops (default 1).
func (s *Server) SetTaskPolls(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.taskPolls = n
}

// FailNextTask makes the next guest action's task stop with exitstatus
// (e.g. "command 'lxc-stop -n 200' failed: exit code 1", or
// "WARNINGS: 1", which PVE counts as success) instead of "OK". A failed
// task leaves the guest as it was.
func (s *Server) FailNextTask(exitstatus string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.taskFails = append(s.taskFails, exitstatus)
}

// Fail makes every later request for method and path (relative to
// /api2/json, e.g. "/cluster/resources") answer HTTP code with reason as
// PVE's error message; code 0 removes the failure. Requests with a bad
// token still get 401 first, as from PVE.
func (s *Server) Fail(method, path string, code int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := method + " " + apiRoot + path
	if code == 0 {
		delete(s.failures, key)
		return
	}
	s.failures[key] = failure{code: code, reason: reason}
}

// SetNodeStatus marks a cluster node "online" or "offline". An offline
// node keeps its limits but loses its statistics, as in PVE.
func (s *Server) SetNodeStatus(node, status string) {
	s.t.Helper()
	if status != "online" && status != "offline" {
		s.t.Fatalf("proxmoxfake: SetNodeStatus(%q, %q): status must be online or offline", node, status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.find("node", node)
	if r == nil {
		s.t.Fatalf("proxmoxfake: SetNodeStatus: no node %q", node)
		return
	}
	r["status"] = status
	if status == "offline" {
		for _, k := range []string{"uptime", "cpu", "mem", "disk"} {
			delete(r, k)
		}
		return
	}
	r["uptime"] = json.Number("60")
	r["cpu"] = json.Number("0.05")
	r["mem"] = fraction(r["maxmem"], 0.3)
	r["disk"] = fraction(r["maxdisk"], 0.2)
}

// SetGuestStatus sets a guest, named as lab.yaml's live.proxmox does
// ("pve-io/lxc/200"), to "running" or "stopped". A node other than the
// guest's current one moves it there, as a migration would.
func (s *Server) SetGuestStatus(ref, status string) {
	s.t.Helper()
	node, kind, vmid := s.parseRef(ref)
	if status != "running" && status != "stopped" {
		s.t.Fatalf("proxmoxfake: SetGuestStatus(%q, %q): status must be running or stopped", ref, status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.find(kind, strconv.Itoa(vmid))
	if r == nil {
		s.t.Fatalf("proxmoxfake: SetGuestStatus: no guest %s/%d", kind, vmid)
		return
	}
	r["node"] = node
	if status == "running" {
		s.start(r)
	} else {
		s.stop(r)
	}
}

// GuestStatus is a guest's status ("running", "stopped"), or "" when it
// does not exist; ref is "pve-io/lxc/200" (the node part is not checked).
func (s *Server) GuestStatus(ref string) string {
	s.t.Helper()
	_, kind, vmid := s.parseRef(ref)
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.find(kind, strconv.Itoa(vmid))
	if r == nil {
		return ""
	}
	return str(r["status"])
}

// RemoveGuest deletes a guest from the cluster.
func (s *Server) RemoveGuest(ref string) {
	s.t.Helper()
	_, kind, vmid := s.parseRef(ref)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resources = slices.DeleteFunc(s.resources, func(r map[string]any) bool {
		return r["type"] == kind && num(r["vmid"]) == float64(vmid)
	})
}

func (s *Server) parseRef(ref string) (node, kind string, vmid int) {
	s.t.Helper()
	parts := strings.Split(ref, "/")
	if len(parts) == 3 && (parts[1] == "lxc" || parts[1] == "qemu") {
		if id, err := strconv.Atoi(parts[2]); err == nil {
			return parts[0], parts[1], id
		}
	}
	s.t.Fatalf("proxmoxfake: guest %q: want NODE/lxc/VMID or NODE/qemu/VMID", ref)
	return "", "", 0
}

// find returns the resource of type typ named key (node name or VMID).
// s.mu must be held.
func (s *Server) find(typ, key string) map[string]any {
	for _, r := range s.resources {
		if r["type"] != typ {
			continue
		}
		if typ == "node" && r["node"] == key || typ != "node" && num(r["vmid"]) == num(json.Number(key)) {
			return r
		}
	}
	return nil
}

// start puts a guest into the running state PVE would report right after
// it booted. s.mu must be held.
func (s *Server) start(r map[string]any) {
	if r["status"] == "running" {
		return
	}
	id := str(r["id"])
	if saved, ok := s.saved[id]; ok {
		maps.Copy(r, saved)
		delete(s.saved, id)
	} else {
		r["cpu"] = json.Number("0.0125")
		r["mem"] = fraction(r["maxmem"], 0.125)
		if r["type"] == "lxc" {
			r["disk"] = fraction(r["maxdisk"], 0.1)
		}
	}
	r["status"] = "running"
	r["uptime"] = json.Number("3")
}

// stop zeroes what PVE zeroes for a stopped guest. s.mu must be held.
func (s *Server) stop(r map[string]any) {
	if r["status"] == "stopped" {
		return
	}
	saved := map[string]any{}
	for _, k := range []string{"cpu", "mem", "disk", "netin", "netout", "diskread", "diskwrite"} {
		if v, ok := r[k]; ok {
			saved[k] = v
			r[k] = json.Number("0")
		}
	}
	s.saved[str(r["id"])] = saved
	r["status"] = "stopped"
	r["uptime"] = json.Number("0")
}

// check authenticates and records every request, the way pveproxy's
// request handling goes: token first, then the method's handler.
func (s *Server) check(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		ok := auth == "PVEAPIToken="+Token
		s.mu.Lock()
		s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Authorized: ok})
		f, failing := s.failures[r.Method+" "+r.URL.Path]
		s.mu.Unlock()

		switch {
		case auth == "":
			s.fail(w, http.StatusUnauthorized, "No ticket", nil)
			return
		case !ok:
			s.fail(w, http.StatusUnauthorized, "invalid token value!", nil)
			return
		case len(r.TransferEncoding) > 0:
			// pveproxy cannot read chunked bodies; a client sending one is
			// broken against the real thing.
			s.t.Errorf("proxmoxfake: %s %s: chunked request body", r.Method, r.URL.Path)
			s.fail(w, http.StatusNotImplemented, "chunked transfer encoding not supported", nil)
			return
		case r.Method == http.MethodGet && r.ContentLength > 0:
			s.t.Errorf("proxmoxfake: %s %s: GET with a body", r.Method, r.URL.Path)
			s.fail(w, http.StatusNotImplemented, "Unexpected content for method 'GET'", nil)
			return
		case failing:
			s.fail(w, f.code, f.reason, nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) unexpected(w http.ResponseWriter, r *http.Request) {
	s.t.Errorf("proxmoxfake: unexpected request %s %s", r.Method, r.URL.Path)
	s.fail(w, http.StatusNotImplemented, fmt.Sprintf("Method '%s %s' not implemented", r.Method, strings.TrimPrefix(r.URL.Path, apiRoot)), nil)
}

// checkQuery fails the request, and the test, when it has parameters the
// endpoint does not take or values outside their enumeration.
func (s *Server) checkQuery(w http.ResponseWriter, r *http.Request, allowed map[string][]string) bool {
	errs := map[string]string{}
	for k, vs := range r.URL.Query() {
		enum, ok := allowed[k]
		switch {
		case !ok:
			errs[k] = "property is not defined in schema and the schema does not allow additional properties"
		case len(vs) != 1:
			errs[k] = "duplicate parameter"
		case enum != nil && !slices.Contains(enum, vs[0]):
			errs[k] = fmt.Sprintf("value '%s' does not have a value in the enumeration '%s'", vs[0], strings.Join(enum, ", "))
		}
	}
	if len(errs) == 0 {
		return true
	}
	s.t.Errorf("proxmoxfake: %s %s: bad parameters %v", r.Method, r.URL.Path, errs)
	s.fail(w, http.StatusBadRequest, "Parameter verification failed.", errs)
	return false
}

// node answers PVE's errors for a node that does not exist or cannot be
// reached (pveproxy proxies node requests to the node itself) and returns
// the node's resource otherwise. It takes s.mu for the lookup only.
func (s *Server) node(w http.ResponseWriter, name string) (map[string]any, bool) {
	s.mu.Lock()
	r := s.find("node", name)
	var status string
	if r != nil {
		r = maps.Clone(r)
		status = str(r["status"])
	}
	s.mu.Unlock()
	switch {
	case r == nil:
		s.fail(w, http.StatusInternalServerError, fmt.Sprintf("hostname lookup '%s' failed - failed to get address info for: %s: Name or service not known", name, name), nil)
		return nil, false
	case status != "online":
		s.fail(w, 595, "No route to host", nil)
		return nil, false
	}
	return r, true
}

// GET /cluster/resources[?type=vm|storage|node|sdn]
func (s *Server) clusterResources(w http.ResponseWriter, r *http.Request) {
	if !s.checkQuery(w, r, map[string][]string{"type": {"vm", "storage", "node", "sdn"}}) {
		return
	}
	want := r.URL.Query().Get("type")
	s.mu.Lock()
	out := make([]map[string]any, 0, len(s.resources))
	for _, res := range s.resources {
		typ := str(res["type"])
		if want == "" || want == typ || want == "vm" && (typ == "lxc" || typ == "qemu") {
			c := maps.Clone(res)
			delete(c, notesKey)
			out = append(out, c)
		}
	}
	s.mu.Unlock()
	s.ok(w, out)
}

// GET /nodes
func (s *Server) nodes(w http.ResponseWriter, r *http.Request) {
	if !s.checkQuery(w, r, nil) {
		return
	}
	s.mu.Lock()
	var out []map[string]any
	for _, res := range s.resources {
		if res["type"] != "node" {
			continue
		}
		n := map[string]any{"node": res["node"], "id": res["id"], "type": "node", "status": res["status"],
			"ssl_fingerprint": "3C:0A:9E:41:7B:55:D2:88:10:F4:6C:AB:2E:93:07:5D:C1:8A:64:F0:39:B7:12:EE:5A:84:D9:20:6F:C3:B1:47"}
		for _, k := range []string{"level", "uptime", "cpu", "maxcpu", "mem", "maxmem", "disk", "maxdisk"} {
			if v, ok := res[k]; ok {
				n[k] = v
			}
		}
		out = append(out, n)
	}
	s.mu.Unlock()
	s.ok(w, out)
}

// GET /nodes/{node}/status
func (s *Server) nodeStatus(w http.ResponseWriter, r *http.Request) {
	if !s.checkQuery(w, r, nil) {
		return
	}
	n, ok := s.node(w, r.PathValue("node"))
	if !ok {
		return
	}
	memTotal, memUsed := num(n["maxmem"]), num(n["mem"])
	diskTotal, diskUsed := num(n["maxdisk"]), num(n["disk"])
	s.ok(w, map[string]any{
		"uptime": n["uptime"],
		"cpu":    n["cpu"],
		"wait":   json.Number("0.0012"),
		// PVE sends the load averages as strings.
		"loadavg":    []string{"1.21", "1.18", "1.09"},
		"kversion":   "Linux 6.8.12-4-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-4 (2024-11-06T15:04Z)",
		"pveversion": "pve-manager/8.3.0/c1689ccb1065a83b",
		"cpuinfo": map[string]any{"cpus": n["maxcpu"], "sockets": 1, "cores": n["maxcpu"],
			"model": "Intel(R) Core(TM) i9-12900K", "mhz": "3187.200", "hvm": "1", "flags": "fpu vme de pse tsc msr"},
		"memory": map[string]any{"total": n["maxmem"], "used": n["mem"], "free": int64(memTotal - memUsed)},
		"rootfs": map[string]any{"total": n["maxdisk"], "used": n["disk"], "free": int64(diskTotal - diskUsed), "avail": int64(diskTotal - diskUsed)},
		"swap":   map[string]any{"total": 8589930496, "used": 0, "free": 8589930496},
		"ksm":    map[string]any{"shared": 0},
		"idle":   0,
	})
}

// GET /nodes/{node}/rrddata?timeframe=…[&cf=…]
func (s *Server) rrddata(w http.ResponseWriter, r *http.Request) {
	if !s.checkQuery(w, r, map[string][]string{
		"timeframe": {"hour", "day", "week", "month", "year", "decade"},
		"cf":        {"AVERAGE", "MAX"},
	}) {
		return
	}
	if r.URL.Query().Get("timeframe") == "" {
		errs := map[string]string{"timeframe": "property is missing and it is not optional"}
		s.t.Errorf("proxmoxfake: %s %s: bad parameters %v", r.Method, r.URL.Path, errs)
		s.fail(w, http.StatusBadRequest, "Parameter verification failed.", errs)
		return
	}
	name := r.PathValue("node")
	if _, ok := s.node(w, name); !ok {
		return
	}
	s.mu.Lock()
	data, ok := s.rrd[name]
	s.mu.Unlock()
	if !ok {
		data = json.RawMessage("[]")
	}
	s.ok(w, data)
}

// GET /nodes/{node}/lxc and /nodes/{node}/qemu: the node's guests, in the
// shape of PVE::LXC::vmstatus and PVE::QemuServer::vmstatus.
func (s *Server) guestList(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("kind")
	if kind != "lxc" && kind != "qemu" {
		s.unexpected(w, r)
		return
	}
	if !s.checkQuery(w, r, map[string][]string{"full": {"0", "1"}}) {
		return
	}
	name := r.PathValue("node")
	if _, ok := s.node(w, name); !ok {
		return
	}
	s.mu.Lock()
	out := []map[string]any{}
	for _, res := range s.resources {
		if res["type"] != kind || res["node"] != name {
			continue
		}
		g := map[string]any{"vmid": res["vmid"], "name": res["name"], "status": res["status"], "cpus": res["maxcpu"]}
		if kind == "lxc" {
			g["type"] = "lxc"
		}
		for _, k := range []string{"uptime", "cpu", "mem", "maxmem", "disk", "maxdisk", "netin", "netout", "diskread", "diskwrite", "tags", "lock", "template"} {
			if v, ok := res[k]; ok {
				g[k] = v
			}
		}
		out = append(out, g)
	}
	s.mu.Unlock()
	s.ok(w, out)
}

// taskTypes are PVE's worker types for the guest actions.
var taskTypes = map[string]map[string]string{
	"lxc":  {"start": "vzstart", "shutdown": "vzshutdown", "reboot": "vzreboot", "stop": "vzstop"},
	"qemu": {"start": "qmstart", "shutdown": "qmshutdown", "reboot": "qmreboot", "stop": "qmstop"},
}

// POST /nodes/{node}/{lxc|qemu}/{vmid}/status/{start|shutdown|reboot|stop}
// answers a task id; the change happens when the task stops.
func (s *Server) guestAction(w http.ResponseWriter, r *http.Request) {
	nodeName, kind, vmidText, action := r.PathValue("node"), r.PathValue("kind"), r.PathValue("vmid"), r.PathValue("action")
	typ, ok := taskTypes[kind][action]
	vmid, err := strconv.Atoi(vmidText)
	if !ok || err != nil {
		s.unexpected(w, r)
		return
	}
	if !s.checkQuery(w, r, nil) {
		return
	}
	if _, ok := s.node(w, nodeName); !ok {
		return
	}
	label := map[string]string{"lxc": "CT", "qemu": "VM"}[kind]
	confDir := map[string]string{"lxc": "lxc", "qemu": "qemu-server"}[kind]

	s.mu.Lock()
	g := s.find(kind, vmidText)
	if g == nil || g["node"] != nodeName {
		s.mu.Unlock()
		s.fail(w, http.StatusInternalServerError, fmt.Sprintf("Configuration file 'nodes/%s/%s/%d.conf' does not exist", nodeName, confDir, vmid), nil)
		return
	}
	running := g["status"] == "running"
	var problem string
	switch {
	case action == "start" && running:
		problem = fmt.Sprintf("%s %d already running", label, vmid)
	case action != "start" && !running:
		problem = fmt.Sprintf("%s %d not running", label, vmid)
	}
	if problem != "" {
		s.mu.Unlock()
		s.fail(w, http.StatusInternalServerError, problem, nil)
		return
	}
	s.pid++
	now := time.Now()
	t := &task{
		node: nodeName, id: vmidText, typ: typ, pid: s.pid, start: now,
		upid:  fmt.Sprintf("UPID:%s:%08X:%08X:%08X:%s:%d:%s:", nodeName, s.pid, 0x1c3b4d5+s.pid, now.Unix(), typ, vmid, TokenID),
		polls: s.taskPolls,
		exit:  "OK",
	}
	if len(s.taskFails) > 0 {
		t.exit = s.taskFails[0]
		s.taskFails = s.taskFails[1:]
	}
	t.apply = func() {
		switch action {
		case "start":
			s.start(g)
		case "shutdown", "stop":
			s.stop(g)
		case "reboot":
			g["uptime"] = json.Number("3")
		}
	}
	s.tasks[t.upid] = t
	s.mu.Unlock()
	s.ok(w, t.upid)
}

// GET /nodes/{node}/tasks/{upid}/status
func (s *Server) taskStatus(w http.ResponseWriter, r *http.Request) {
	if !s.checkQuery(w, r, nil) {
		return
	}
	nodeName, upid := r.PathValue("node"), r.PathValue("upid")
	if _, ok := s.node(w, nodeName); !ok {
		return
	}
	s.mu.Lock()
	t, ok := s.tasks[upid]
	if !ok || t.node != nodeName {
		s.mu.Unlock()
		s.fail(w, http.StatusInternalServerError, "no such task", nil)
		return
	}
	user, tokenName, _ := strings.Cut(TokenID, "!")
	out := map[string]any{
		"upid": t.upid, "node": t.node, "pid": t.pid, "pstart": 0x1c3b4d5 + t.pid, "starttime": t.start.Unix(),
		"type": t.typ, "id": t.id, "user": user, "tokenid": tokenName,
	}
	if t.polls > 0 {
		t.polls--
		out["status"] = "running"
	} else {
		if !t.done {
			t.done = true
			if t.exit == "OK" || strings.HasPrefix(t.exit, "WARNINGS: ") {
				t.apply()
			}
		}
		out["status"] = "stopped"
		out["exitstatus"] = t.exit
		out["endtime"] = t.start.Unix() + 2
	}
	s.mu.Unlock()
	s.ok(w, out)
}

// ok answers {"data": data} as pveproxy does.
func (s *Server) ok(w http.ResponseWriter, data any) {
	body, err := json.Marshal(map[string]any{"data": data})
	if err != nil {
		s.t.Errorf("proxmoxfake: encode answer: %v", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Server", "pve-api-daemon/3.0")
	if _, err := w.Write(body); err != nil {
		s.t.Logf("proxmoxfake: write answer: %v", err)
	}
}

// fail answers an error as pveproxy does: the message is the HTTP reason
// phrase, the body {"data":null} plus parameter errors, and the connection
// closes. net/http cannot send a custom reason phrase, so the response is
// written on the hijacked connection.
func (s *Server) fail(w http.ResponseWriter, code int, reason string, params map[string]string) {
	payload := map[string]any{"data": nil}
	if len(params) > 0 {
		payload["errors"] = params
	}
	body, err := json.Marshal(payload)
	if err != nil {
		s.t.Errorf("proxmoxfake: encode error answer: %v", err)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		s.t.Errorf("proxmoxfake: cannot hijack the connection to answer %d %s", code, reason)
		http.Error(w, reason, code)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		s.t.Errorf("proxmoxfake: hijack: %v", err)
		return
	}
	defer func() {
		if err := conn.Close(); err != nil {
			s.t.Logf("proxmoxfake: close: %v", err)
		}
	}()
	if _, err := fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nServer: pve-api-daemon/3.0\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		code, reason, len(body), body); err != nil {
		s.t.Logf("proxmoxfake: write error answer: %v", err)
		return
	}
	if err := buf.Flush(); err != nil {
		s.t.Logf("proxmoxfake: write error answer: %v", err)
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// num reads a fixture number; anything else is 0.
func num(v any) float64 {
	n, ok := v.(json.Number)
	if !ok {
		return 0
	}
	f, err := n.Float64()
	if err != nil {
		return 0
	}
	return f
}

// fraction is f of a byte count, as the integer PVE would send.
func fraction(total any, f float64) json.Number {
	return json.Number(strconv.FormatInt(int64(num(total)*f), 10))
}
