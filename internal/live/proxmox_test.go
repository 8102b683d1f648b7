package live

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/testkit/proxmoxfake"
)

// pxTestLab maps lab nodes onto the fake's cluster (pve-io online, pve-ni
// offline) and onto pve-titan, a second installation this source does not
// see.
func pxTestLab() *lab.Lab {
	node := func(id, typ, ref string) lab.Node {
		return lab.Node{ID: id, Name: id, Type: typ, Live: lab.Live{"proxmox": {Value: ref}}}
	}
	return &lab.Lab{Nodes: []lab.Node{
		node("jove", "hypervisor", "pve-io"),
		node("ni", "hypervisor", "pve-ni"),
		node("titan", "hypervisor", "pve-titan"),
		node("ts-jove", "container", "pve-io/lxc/105"),
		node("vault", "container", "pve-io/lxc/115"),
		node("orch-io", "container", "pve-io/lxc/200"),
		node("drone-io-3", "container", "pve-io/lxc/203"),
		node("k3s-io-1", "vm", "pve-io/qemu/160"),
		node("k3s-io-2", "vm", "pve-io/qemu/161"),
		node("grafana", "container", "pve-io/lxc/110"), // not in the cluster
		node("backup-ni", "vm", "pve-ni/qemu/170"),
		node("ts-titan", "container", "pve-titan/lxc/105"), // same VMID, other installation
		node("router", "network", ""),
	}}
}

// newTestProxmox is a collector on the fake with the right token and fast
// task polling; edit changes the source first.
func newTestProxmox(t *testing.T, pve *proxmoxfake.Server, l *lab.Lab, edit func(*Source)) *Proxmox {
	t.Helper()
	src := Source{Name: "pve", Type: "proxmox", URL: pve.URL, Secret: proxmoxfake.Token, HTTP: pve.Client(), Timeout: 10 * time.Second}
	if edit != nil {
		edit(&src)
	}
	p, err := NewProxmox(src, l)
	if err != nil {
		t.Fatalf("NewProxmox: %v", err)
	}
	p.pollFirst, p.pollMax = time.Millisecond, 5*time.Millisecond
	return p
}

func labNode(t *testing.T, l *lab.Lab, id string) *lab.Node {
	t.Helper()
	n := l.Node(id)
	if n == nil {
		t.Fatalf("no lab node %q", id)
	}
	return n
}

// checkCalls compares the requests with want ("METHOD /path?query", the
// UPID-bearing task paths abbreviated to .../tasks/UPID/status) and checks
// that each carried the token.
func checkCalls(t *testing.T, pve *proxmoxfake.Server, want ...string) {
	t.Helper()
	var got []string
	for _, c := range pve.Calls() {
		if !c.Authorized {
			t.Errorf("%s: sent without the API token", c)
		}
		s := c.String()
		if i := strings.Index(s, "/tasks/UPID:"); i >= 0 {
			if j := strings.LastIndex(s, ":/status"); j > i {
				s = s[:i] + "/tasks/UPID/status" + s[j+len(":/status"):]
			}
		}
		got = append(got, s)
	}
	if !slices.Equal(got, want) {
		t.Errorf("requests:\n got  %q\n want %q", got, want)
	}
}

func wantFrac(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = nil, want %v", what, want)
		return
	}
	if math.Abs(*got-want) > 1e-12 {
		t.Errorf("%s = %v, want %v", what, *got, want)
	}
}

func wantNil(t *testing.T, what string, got *float64) {
	t.Helper()
	if got != nil {
		t.Errorf("%s = %v, want none", what, *got)
	}
}

func TestProxmoxCollectMapsNodesAndGuests(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	p := newTestProxmox(t, pve, pxTestLab(), nil)

	res, err := p.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	checkCalls(t, pve,
		"GET /api2/json/cluster/resources",
		"GET /api2/json/nodes/pve-io/rrddata?cf=AVERAGE&timeframe=hour")

	status := map[string]struct{ status, detail string }{
		"jove":       {Up, "online, up 12d 2h"},
		"ni":         {Down, "offline"},
		"ts-jove":    {Up, "running, up 12d 2h"},
		"vault":      {Up, "running, up 5d 0h, locked (backup)"},
		"orch-io":    {Up, "running, up 3d 4h"},
		"drone-io-3": {Down, "stopped"},
		"k3s-io-1":   {Up, "running, up 12d 0h"},
		"k3s-io-2":   {Down, "stopped"},
		"grafana":    {Unknown, "lxc/110 not found on pve-io"},
		"backup-ni":  {Unknown, "pve-ni is offline"},
	}
	for id, want := range status {
		d, ok := res.Nodes[id]
		if !ok {
			t.Errorf("%s: missing from the result", id)
			continue
		}
		if d.Status != want.status || d.Detail != want.detail {
			t.Errorf("%s = %s %q, want %s %q", id, d.Status, d.Detail, want.status, want.detail)
		}
	}
	// pve-titan is another installation: its source reports those nodes.
	for _, id := range []string{"titan", "ts-titan", "router"} {
		if d, ok := res.Nodes[id]; ok {
			t.Errorf("%s = %+v, want it left out", id, d)
		}
	}
	if len(res.Nodes) != len(status) {
		t.Errorf("result has %d nodes, want %d", len(res.Nodes), len(status))
	}
}

func TestProxmoxCollectFractions(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	p := newTestProxmox(t, pve, pxTestLab(), nil)
	res, err := p.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}

	// The fixture's numbers: a node's cpu is already a fraction of all its
	// cores, a guest's a fraction of its own CPUs.
	jove := res.Nodes["jove"]
	wantFrac(t, "jove cpu", jove.CPU, 0.0712437185929648)
	wantFrac(t, "jove memory", jove.Memory, 27487790694.0/67147931648.0)
	wantFrac(t, "jove disk", jove.Disk, 15032385536.0/100861726720.0)

	orch := res.Nodes["orch-io"]
	wantFrac(t, "orch-io cpu", orch.CPU, 0.0431472081218274)
	wantFrac(t, "orch-io memory", orch.Memory, 0.25)
	wantFrac(t, "orch-io disk", orch.Disk, 0.2)

	// maxcpu 1.5 (a container's cpulimit) must decode.
	ts := res.Nodes["ts-jove"]
	wantFrac(t, "ts-jove cpu", ts.CPU, 0.152284263959391)
	wantFrac(t, "ts-jove memory", ts.Memory, 0.5)
	wantFrac(t, "ts-jove disk", ts.Disk, 0.125)

	// PVE reports 0 disk for every VM: it cannot see inside.
	k3s := res.Nodes["k3s-io-1"]
	wantFrac(t, "k3s-io-1 cpu", k3s.CPU, 0.183421052631579)
	wantFrac(t, "k3s-io-1 memory", k3s.Memory, 0.75)
	wantNil(t, "k3s-io-1 disk", k3s.Disk)

	for _, id := range []string{"ni", "drone-io-3", "k3s-io-2", "grafana", "backup-ni"} {
		d := res.Nodes[id]
		wantNil(t, id+" cpu", d.CPU)
		wantNil(t, id+" memory", d.Memory)
		wantNil(t, id+" disk", d.Disk)
		if d.Series != nil {
			t.Errorf("%s has series %v", id, d.Series)
		}
	}
}

func TestProxmoxCollectSeries(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	p := newTestProxmox(t, pve, pxTestLab(), nil)
	res, err := p.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	series := res.Nodes["jove"].Series
	// The fixture has six samples a minute apart; the fourth has no data.
	t0 := time.Unix(1767225600, 0).UTC()
	minute := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	wantCPU := []Point{{minute(0), 0.061}, {minute(1), 0.072}, {minute(2), 0.094}, {minute(4), 0.083}, {minute(5), 0.071}}
	if !slices.Equal(series["cpu"], wantCPU) {
		t.Errorf("cpu series = %v, want %v", series["cpu"], wantCPU)
	}
	mem := series["memory"]
	if len(mem) != 5 || !mem[0].T.Equal(minute(0)) || !mem[4].T.Equal(minute(5)) {
		t.Fatalf("memory series = %v, want 5 samples from %v to %v", mem, minute(0), minute(5))
	}
	if want := 27011022438.4 / 67147931648; math.Abs(mem[0].V-want) > 1e-12 {
		t.Errorf("memory[0] = %v, want %v", mem[0].V, want)
	}
	for id, d := range res.Nodes {
		if id != "jove" && d.Series != nil {
			t.Errorf("%s has series; only hypervisors get them", id)
		}
	}
}

func TestProxmoxCollectHistoryFailureKeepsState(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	pve.Fail(http.MethodGet, "/nodes/pve-io/rrddata", 595, "No route to host")
	p := newTestProxmox(t, pve, pxTestLab(), nil)
	res, err := p.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	jove := res.Nodes["jove"]
	if jove.Status != Up || jove.Detail != "online, up 12d 2h, no history (HTTP 595)" || jove.Series != nil {
		t.Errorf("jove = %s %q series %v, want up without history", jove.Status, jove.Detail, jove.Series)
	}
	wantFrac(t, "jove memory", jove.Memory, 27487790694.0/67147931648.0)
	if res.Nodes["orch-io"].Status != Up {
		t.Errorf("orch-io = %+v, want up", res.Nodes["orch-io"])
	}
}

func TestProxmoxCollectFollowsClusterChanges(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	p := newTestProxmox(t, pve, pxTestLab(), nil)
	pve.SetNodeStatus("pve-ni", "online")
	pve.SetGuestStatus("pve-ni/qemu/170", "stopped")
	pve.SetGuestStatus("pve-ni/lxc/200", "running") // migrated
	pve.SetGuestStatus("pve-io/lxc/203", "running")
	pve.RemoveGuest("pve-io/lxc/105")

	res, err := p.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	for id, want := range map[string]struct{ status, detail string }{
		"ni":         {Up, "online, up 1m"},
		"backup-ni":  {Down, "stopped"},
		"orch-io":    {Up, "running, up 3d 4h, on pve-ni (lab.yaml says pve-io)"},
		"drone-io-3": {Up, "running, up 3s"},
		"ts-jove":    {Unknown, "lxc/105 not found on pve-io"},
	} {
		if d := res.Nodes[id]; d.Status != want.status || d.Detail != want.detail {
			t.Errorf("%s = %s %q, want %s %q", id, d.Status, d.Detail, want.status, want.detail)
		}
	}
	checkCalls(t, pve,
		"GET /api2/json/cluster/resources",
		"GET /api2/json/nodes/pve-io/rrddata?cf=AVERAGE&timeframe=hour",
		"GET /api2/json/nodes/pve-ni/rrddata?cf=AVERAGE&timeframe=hour")
}

func TestProxmoxCollectWrongCluster(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	l := &lab.Lab{Nodes: []lab.Node{{ID: "titan", Type: "hypervisor", Live: lab.Live{"proxmox": {Value: "pve-titan"}}}}}
	p := newTestProxmox(t, pve, l, nil)
	_, err := p.Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "none of lab.yaml's Proxmox nodes (pve-titan) is in this cluster, which has pve-io, pve-ni") {
		t.Fatalf("Collect error = %v, want it to say the cluster is the wrong one", err)
	}
}

func TestProxmoxRejectedTokenIsClearAndSecret(t *testing.T) {
	t.Parallel()
	const wrongSecret = "0d1e2f3a-dead-4bee-8f00-c0ffee000001"
	pve := proxmoxfake.New(t)
	l := pxTestLab()
	p := newTestProxmox(t, pve, l, func(s *Source) { s.Secret = proxmoxfake.TokenID + "=" + wrongSecret })

	_, err := p.Collect(context.Background())
	if err == nil {
		t.Fatal("Collect with a wrong token succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"Proxmox rejected the API token", "HTTP 401", "invalid token value!"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, wrongSecret) {
		t.Errorf("error %q contains the token", msg)
	}
	calls := pve.Calls()
	if len(calls) != 1 || calls[0].Authorized {
		t.Errorf("calls = %v, want one unauthorized request", calls)
	}

	err = p.Act(context.Background(), labNode(t, l, "orch-io"), "shutdown")
	if err == nil || !strings.Contains(err.Error(), "Proxmox rejected the API token") || strings.Contains(err.Error(), wrongSecret) {
		t.Errorf("Act error = %v, want a rejected token without the token", err)
	}
	if pve.GuestStatus("pve-io/lxc/200") != "running" {
		t.Error("the guest changed although the token was rejected")
	}
}

func TestProxmoxForbiddenAction(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	pve.Fail(http.MethodPost, "/nodes/pve-io/lxc/200/status/shutdown", http.StatusForbidden, "Permission check failed (/vms/200, VM.PowerMgmt)")
	l := pxTestLab()
	p := newTestProxmox(t, pve, l, nil)
	err := p.Act(context.Background(), labNode(t, l, "orch-io"), "shutdown")
	if err == nil {
		t.Fatal("Act succeeded although Proxmox answered 403")
	}
	msg := err.Error()
	for _, want := range []string{"shutdown lxc/200 on pve-io", "Proxmox rejected the API token", "HTTP 403", "VM.PowerMgmt"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, proxmoxfake.TokenSecret) {
		t.Errorf("error %q contains the token", msg)
	}
}

func TestProxmoxScrubsTokenEchoedByServer(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	// A misbehaving proxy in front of PVE could echo request headers.
	pve.Fail(http.MethodGet, "/cluster/resources", http.StatusBadGateway, "upstream rejected PVEAPIToken="+proxmoxfake.Token)
	p := newTestProxmox(t, pve, pxTestLab(), nil)
	_, err := p.Collect(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HTTP 502") {
		t.Fatalf("Collect error = %v, want HTTP 502", err)
	}
	if strings.Contains(err.Error(), proxmoxfake.TokenSecret) {
		t.Errorf("error %q contains the token's secret", err)
	}
}

func TestProxmoxServerDown(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	p := newTestProxmox(t, pve, pxTestLab(), nil)
	pve.Close()
	_, err := p.Collect(context.Background())
	if err == nil {
		t.Fatal("Collect succeeded against a closed server")
	}
	if !strings.Contains(err.Error(), "proxmox: list cluster resources") || strings.Contains(err.Error(), proxmoxfake.TokenSecret) {
		t.Errorf("error = %q, want context and no token", err)
	}
}

func TestProxmoxVerifiesTLSUnlessInsecure(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	// Without a client of its own, the collector builds one; the fake's
	// certificate is self-signed, like PVE's.
	strict := newTestProxmox(t, pve, pxTestLab(), func(s *Source) { s.HTTP = nil })
	if _, err := strict.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Collect with verification = %v, want a certificate error", err)
	}
	insecure := newTestProxmox(t, pve, pxTestLab(), func(s *Source) { s.HTTP, s.Insecure = nil, true })
	if _, err := insecure.Collect(context.Background()); err != nil {
		t.Errorf("Collect with Insecure: %v", err)
	}
}

func TestProxmoxRefusesNonJSON(t *testing.T) {
	t.Parallel()
	// A login portal in front of PVE answers 200 with a page.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if _, err := w.Write([]byte("<html>Sign in</html>")); err != nil {
			t.Errorf("write: %v", err)
		}
	}))
	defer srv.Close()
	p, err := NewProxmox(Source{Name: "pve", URL: srv.URL, Secret: proxmoxfake.Token, HTTP: srv.Client()}, pxTestLab())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Collect(context.Background()); err == nil || !strings.Contains(err.Error(), "expected JSON") {
		t.Errorf("Collect = %v, want an expected-JSON error", err)
	}
}

func TestProxmoxActShutdownWaitsForTask(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	pve.SetTaskPolls(2)
	l := pxTestLab()
	p := newTestProxmox(t, pve, l, nil)

	if err := p.Act(context.Background(), labNode(t, l, "orch-io"), "shutdown"); err != nil {
		t.Fatalf("Act: %v", err)
	}
	// Two polls see the task running, the third sees it stopped.
	checkCalls(t, pve,
		"POST /api2/json/nodes/pve-io/lxc/200/status/shutdown",
		"GET /api2/json/nodes/pve-io/tasks/UPID/status",
		"GET /api2/json/nodes/pve-io/tasks/UPID/status",
		"GET /api2/json/nodes/pve-io/tasks/UPID/status")
	calls := pve.Calls()
	if p := calls[1].Path; !strings.HasPrefix(p, "/api2/json/nodes/pve-io/tasks/UPID:pve-io:") || !strings.HasSuffix(p, ":vzshutdown:200:labfront@pve!collector:/status") {
		t.Errorf("task status path = %q, want the UPID the POST answered", p)
	}
	if got := pve.GuestStatus("pve-io/lxc/200"); got != "stopped" {
		t.Errorf("guest is %q after shutdown, want stopped", got)
	}

	res, err := p.Collect(context.Background())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if d := res.Nodes["orch-io"]; d.Status != Down || d.Detail != "stopped" {
		t.Errorf("orch-io after shutdown = %s %q, want down stopped", d.Status, d.Detail)
	}
}

func TestProxmoxActStartVM(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	l := pxTestLab()
	p := newTestProxmox(t, pve, l, nil)
	if err := p.Act(context.Background(), labNode(t, l, "k3s-io-2"), "start"); err != nil {
		t.Fatalf("Act: %v", err)
	}
	checkCalls(t, pve,
		"POST /api2/json/nodes/pve-io/qemu/161/status/start",
		"GET /api2/json/nodes/pve-io/tasks/UPID/status",
		"GET /api2/json/nodes/pve-io/tasks/UPID/status")
	if got := pve.GuestStatus("pve-io/qemu/161"); got != "running" {
		t.Errorf("VM is %q after start, want running", got)
	}
}

func TestProxmoxActTaskFails(t *testing.T) {
	t.Parallel()
	const exit = "command 'lxc-stop -n 200 --nokill --timeout 60' failed: exit code 1"
	pve := proxmoxfake.New(t)
	pve.FailNextTask(exit)
	l := pxTestLab()
	p := newTestProxmox(t, pve, l, nil)
	err := p.Act(context.Background(), labNode(t, l, "orch-io"), "shutdown")
	if err == nil {
		t.Fatal("Act succeeded although the task failed")
	}
	for _, want := range []string{"shutdown lxc/200 on pve-io", "failed: " + exit} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if got := pve.GuestStatus("pve-io/lxc/200"); got != "running" {
		t.Errorf("guest is %q, want it still running", got)
	}
}

func TestProxmoxActTaskWarningsSucceed(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	pve.FailNextTask("WARNINGS: 1")
	l := pxTestLab()
	p := newTestProxmox(t, pve, l, nil)
	if err := p.Act(context.Background(), labNode(t, l, "k3s-io-1"), "reboot"); err != nil {
		t.Errorf("Act with a task that ended with warnings: %v", err)
	}
}

func TestProxmoxActRefusedByProxmox(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	l := pxTestLab()
	p := newTestProxmox(t, pve, l, nil)
	err := p.Act(context.Background(), labNode(t, l, "drone-io-3"), "shutdown")
	if err == nil || !strings.Contains(err.Error(), "HTTP 500: CT 203 not running") {
		t.Errorf("Act = %v, want PVE's message", err)
	}
	checkCalls(t, pve, "POST /api2/json/nodes/pve-io/lxc/203/status/shutdown")
}

func TestProxmoxActBoundedByContext(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	pve.SetTaskPolls(1 << 20)
	l := pxTestLab()
	p := newTestProxmox(t, pve, l, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := p.Act(ctx, labNode(t, l, "orch-io"), "reboot")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Act = %v, want the deadline", err)
	}
	if !strings.Contains(err.Error(), "had not finished") {
		t.Errorf("error %q does not say the task had not finished", err)
	}
}

func TestProxmoxActUnknown(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	l := pxTestLab()
	p := newTestProxmox(t, pve, l, nil)
	ctx := context.Background()
	for _, tc := range []struct{ node, action string }{
		{"orch-io", "destroy"},
		{"orch-io", "stop"}, // PVE has it; the admin pages do not offer it
		{"orch-io", ""},
		{"jove", "shutdown"}, // hypervisors are never powered from the web
		{"router", "start"},  // no live.proxmox
	} {
		err := p.Act(ctx, labNode(t, l, tc.node), tc.action)
		if !errors.Is(err, ErrUnknownAction) {
			t.Errorf("Act(%s, %q) = %v, want ErrUnknownAction", tc.node, tc.action, err)
		}
	}
	if err := p.Act(ctx, nil, "start"); !errors.Is(err, ErrUnknownAction) {
		t.Errorf("Act(nil) = %v, want ErrUnknownAction", err)
	}
	checkCalls(t, pve) // none

	// Once a collection has shown pve-titan is not in this cluster, its
	// guests belong to another source.
	if _, err := p.Collect(ctx); err != nil {
		t.Fatal(err)
	}
	pve.ResetCalls()
	if err := p.Act(ctx, labNode(t, l, "ts-titan"), "start"); !errors.Is(err, ErrUnknownAction) {
		t.Errorf("Act(ts-titan) = %v, want ErrUnknownAction", err)
	}
	checkCalls(t, pve)
}

func TestProxmoxActions(t *testing.T) {
	t.Parallel()
	pve := proxmoxfake.New(t)
	l := pxTestLab()
	p := newTestProxmox(t, pve, l, nil)
	all := []string{"start", "shutdown", "reboot"}
	check := func(id string, want []string) {
		t.Helper()
		if got := p.Actions(labNode(t, l, id)); !slices.Equal(got, want) {
			t.Errorf("Actions(%s) = %q, want %q", id, got, want)
		}
	}
	check("orch-io", all)
	check("k3s-io-2", all)
	check("grafana", all) // a guest the cluster does not have still gets its buttons; Act reports PVE's answer
	check("jove", nil)
	check("router", nil)
	check("ts-titan", all) // before any collection, every guest may be ours

	got := p.Actions(labNode(t, l, "orch-io"))
	got[0] = "destroy"
	check("orch-io", all)

	if _, err := p.Collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("ts-titan", nil)
	check("orch-io", all)
	if got := p.Actions(nil); got != nil {
		t.Errorf("Actions(nil) = %q", got)
	}
}

func TestNewProxmoxValidates(t *testing.T) {
	t.Parallel()
	const secret = "5ecre7-5ecre7"
	good := Source{Name: "pve", URL: "https://pve.lab:8006", Secret: "labfront@pve!collector=" + secret}
	guest := func(ref string) *lab.Lab {
		return &lab.Lab{Nodes: []lab.Node{{ID: "g", Type: "container", Live: lab.Live{"proxmox": {Value: ref}}}}}
	}
	for _, tc := range []struct {
		name string
		src  Source
		lab  *lab.Lab
		want string
	}{
		{"plain http", Source{URL: "http://pve.lab:8006", Secret: good.Secret}, guest("pve-io"), "https URL"},
		{"no scheme", Source{URL: "pve.lab:8006", Secret: good.Secret}, guest("pve-io"), "https URL"},
		{"no host", Source{URL: "https://", Secret: good.Secret}, guest("pve-io"), "https URL"},
		{"query", Source{URL: "https://pve.lab:8006/?a=b", Secret: good.Secret}, guest("pve-io"), "https URL"},
		{"user info", Source{URL: "https://root:pw@pve.lab:8006", Secret: good.Secret}, guest("pve-io"), "https URL"},
		{"no token", Source{URL: good.URL}, guest("pve-io"), "no API token"},
		{"bare secret", Source{URL: good.URL, Secret: secret}, guest("pve-io"), "USER@REALM!TOKENID=SECRET"},
		{"no token id", Source{URL: good.URL, Secret: "root@pam=" + secret}, guest("pve-io"), "USER@REALM!TOKENID=SECRET"},
		{"no realm", Source{URL: good.URL, Secret: "root!id=" + secret}, guest("pve-io"), "USER@REALM!TOKENID=SECRET"},
		{"empty secret", Source{URL: good.URL, Secret: "root@pam!id="}, guest("pve-io"), "USER@REALM!TOKENID=SECRET"},
		{"whitespace", Source{URL: good.URL, Secret: "root@pam!id=" + secret + " x"}, guest("pve-io"), "whitespace"},
		{"two parts", good, guest("pve-io/lxc"), `lab node "g": live.proxmox "pve-io/lxc"`},
		{"guest type", good, guest("pve-io/docker/200"), "guest type must be lxc or qemu"},
		{"vmid", good, guest("pve-io/lxc/abc"), "VMID must be a number"},
		{"small vmid", good, guest("pve-io/qemu/99"), "VMID must be a number"},
		{"node name", good, guest("pve io/lxc/200"), "Proxmox node name"},
		{"extra part", good, guest("pve-io/lxc/200/x"), "want NODE"},
	} {
		_, err := NewProxmox(tc.src, tc.lab)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want it to say %q", tc.name, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error %q contains the token's secret", tc.name, err)
		}
	}
}

func TestNewProxmoxBaseURL(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://pve.lab:8006":               "https://pve.lab:8006/api2/json",
		"https://pve.lab:8006/":              "https://pve.lab:8006/api2/json",
		"https://pve.lab:8006/api2/json":     "https://pve.lab:8006/api2/json",
		"https://lab.example/pve/api2/json/": "https://lab.example/pve/api2/json",
		"https://lab.example/pve":            "https://lab.example/pve/api2/json",
	} {
		// The header prefix is accepted, as pasted from curl examples.
		p, err := NewProxmox(Source{URL: raw, Secret: "PVEAPIToken=" + proxmoxfake.Token}, &lab.Lab{})
		if err != nil {
			t.Errorf("%s: %v", raw, err)
			continue
		}
		if p.base.String() != want {
			t.Errorf("%s: base = %s, want %s", raw, p.base, want)
		}
		if p.auth != "PVEAPIToken="+proxmoxfake.Token {
			t.Errorf("%s: Authorization = %q", raw, p.auth)
		}
	}
}

func TestPxNum(t *testing.T) {
	t.Parallel()
	var v struct {
		A, B, C, D, E pxNum
	}
	if err := json.Unmarshal([]byte(`{"A": 1.5, "B": "0.25", "C": null, "D": "", "E": 17179869184}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != 1.5 || v.B != 0.25 || v.C != 0 || v.D != 0 || v.E != 17179869184 {
		t.Errorf("decoded %+v", v)
	}
	if err := json.Unmarshal([]byte(`{"A": "lots"}`), &v); err == nil {
		t.Error("decoded a word as a number")
	}
}

func TestPxUptime(t *testing.T) {
	t.Parallel()
	for s, want := range map[float64]string{
		40: "40s", 60: "1m", 4*3600 + 12*60: "4h 12m", 274620: "3d 4h", 86400: "1d 0h",
	} {
		if got := pxUptime(s); got != want {
			t.Errorf("pxUptime(%v) = %q, want %q", s, got, want)
		}
	}
}
