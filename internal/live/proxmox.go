package live

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labfront/labfront/internal/lab"
)

// The collector talks to the Proxmox VE API with net/http rather than
// github.com/luthermonson/go-proxmox (v0.8.2), for measured reasons:
//   - its ClusterResource decodes maxcpu into a uint64, but PVE reports a
//     container's CPU limit there, which may be fractional (cpulimit: 1.5),
//     and one such guest makes the whole /cluster/resources decode fail;
//   - it treats any status but 400/401/403/500/501 as success, so a 595
//     from pveproxy ("No route to host" to another node) decodes as an
//     empty answer with no error;
//   - its node RRD type has no memused/memtotal fields, and Task.Wait
//     sleeps without watching ctx.
// The six endpoints used here are small and documented; owning the client
// also keeps the token out of every code path that formats errors.

// Proxmox endpoints and behaviour.
const (
	pxAPIPath = "/api2/json"
	// pxMaxBody bounds a response; /cluster/resources of a large cluster
	// is a few hundred KiB.
	pxMaxBody = 32 << 20
	// pxPollFirst and pxPollMax pace task polling: start and stop tasks
	// usually end within a second or two, and the web UI polls every second.
	pxPollFirst = 200 * time.Millisecond
	pxPollMax   = time.Second
)

// pxActions are the guest power actions the admin pages offer. Hosts get
// none: powering a hypervisor off from the web is not something we do.
var pxActions = []string{"start", "shutdown", "reboot"}

var (
	// pxNodeName is a PVE node name (a hostname label); checking it also
	// keeps mappings from reaching other API paths.
	pxNodeName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$`)
	// pxUPID is PVE's task id, as PVE::Tools::upid_decode parses it:
	// UPID:node:pid:pstart:starttime:type:id:user:
	pxUPID = regexp.MustCompile(`^UPID:([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?):[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,9}:[0-9A-Fa-f]{8}:[^:\s/]+:[^:\s/]*:[^:\s/]+:$`)
)

// Proxmox reports a Proxmox VE cluster's hypervisors and guests, and
// starts, shuts down and reboots guests, through the PVE API with an API
// token. A lab can have several Proxmox installations (one per site); each
// source reports only the lab nodes whose PVE node is in its cluster.
type Proxmox struct {
	name    string
	base    *url.URL // .../api2/json
	auth    string   // the Authorization header; never formatted anywhere
	secret  string   // the token's secret, scrubbed from server-provided text
	hc      *http.Client
	targets []pxTarget
	// pollFirst and pollMax pace task polling; tests shorten them.
	pollFirst, pollMax time.Duration

	mu sync.Mutex
	// members are the PVE node names of the cluster as of the last
	// successful collection; nil before the first one.
	members map[string]bool
}

var _ Actor = (*Proxmox)(nil)

// pxTarget is a lab node and where it lives in Proxmox.
type pxTarget struct {
	node string // lab node id
	pxRef
}

// pxRef is a parsed live.proxmox value: a PVE node, or a guest on it.
type pxRef struct {
	pve  string
	kind string // "lxc" or "qemu"; empty for the hypervisor itself
	vmid int
}

func (r pxRef) guest() bool { return r.kind != "" }

// guestID is the guest as PVE names it in /cluster/resources ids.
func (r pxRef) guestID() string { return r.kind + "/" + strconv.Itoa(r.vmid) }

// parsePxRef reads "pvenode", "pvenode/lxc/200" or "pvenode/qemu/101".
func parsePxRef(s string) (pxRef, error) {
	parts := strings.Split(s, "/")
	if !pxNodeName.MatchString(parts[0]) {
		return pxRef{}, fmt.Errorf("%q: want NODE, NODE/lxc/VMID or NODE/qemu/VMID, where NODE is a Proxmox node name", s)
	}
	switch len(parts) {
	case 1:
		return pxRef{pve: parts[0]}, nil
	case 3:
		if parts[1] != "lxc" && parts[1] != "qemu" {
			return pxRef{}, fmt.Errorf("%q: guest type must be lxc or qemu, found %q", s, parts[1])
		}
		vmid, err := strconv.Atoi(parts[2])
		// PVE's VMID range (pve-vmid in PVE::JSONSchema).
		if err != nil || vmid < 100 || vmid > 999999999 {
			return pxRef{}, fmt.Errorf("%q: VMID must be a number from 100 to 999999999, found %q", s, parts[2])
		}
		return pxRef{pve: parts[0], kind: parts[1], vmid: vmid}, nil
	}
	return pxRef{}, fmt.Errorf("%q: want NODE, NODE/lxc/VMID or NODE/qemu/VMID", s)
}

const proxmoxLiveKey = "proxmox"

// proxmoxKind watches Proxmox VE nodes and guests and acts on them.
func proxmoxKind() Kind {
	return Kind{
		Name: "proxmox", Keys: []string{"insecure"}, NeedsURL: true, LiveKey: proxmoxLiveKey,
		CheckLive: func(v string) error { _, err := parsePxRef(v); return err },
		Configure: func(s Settings, src *Source) { src.Insecure = s.Fields.Bool("insecure") },
		New:       func(src Source, l *lab.Lab, _ func() time.Time) (Collector, error) { return NewProxmox(src, l) },
		Discover: func(ctx context.Context, src Source) ([]Found, error) {
			p, err := NewProxmox(src, &lab.Lab{})
			if err != nil {
				return nil, err
			}
			return p.Discover(ctx)
		},
	}
}

// NewProxmox watches the nodes of l that have a live.proxmox key, through
// the API at src.URL ("https://pve.lab:8006") with the API token in
// src.Secret ("user@realm!tokenid=uuid"). TLS certificates are verified
// unless src.Insecure (PVE's default certificate is self-signed); when
// src.HTTP is set it is used as is and src.Insecure does not apply.
func NewProxmox(src Source, l *lab.Lab) (*Proxmox, error) {
	base, err := pxBaseURL(src.URL)
	if err != nil {
		return nil, fmt.Errorf("proxmox source %q: %w", src.Name, err)
	}
	token := strings.TrimPrefix(strings.TrimSpace(src.Secret), "PVEAPIToken=")
	secret, err := pxCheckToken(token)
	if err != nil {
		return nil, fmt.Errorf("proxmox source %q: %w", src.Name, err)
	}
	p := &Proxmox{
		name:      src.Name,
		base:      base,
		auth:      "PVEAPIToken=" + token,
		secret:    secret,
		hc:        src.HTTP,
		pollFirst: pxPollFirst,
		pollMax:   pxPollMax,
	}
	if p.hc == nil {
		t, ok := http.DefaultTransport.(*http.Transport)
		if !ok {
			return nil, fmt.Errorf("proxmox source %q: http.DefaultTransport is a %T, not an *http.Transport", src.Name, http.DefaultTransport)
		}
		t = t.Clone()
		// Skipping verification is the operator's explicit choice for
		// PVE's self-signed certificate; everything else is verified.
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: src.Insecure} //nolint:gosec // opt-in via src.Insecure
		p.hc = &http.Client{Transport: t, Timeout: src.Timeout}
	}
	for _, n := range l.Nodes {
		v := n.Live.Get(proxmoxLiveKey)
		if v == "" {
			continue
		}
		ref, err := parsePxRef(v)
		if err != nil {
			return nil, fmt.Errorf("proxmox source %q: lab node %q: live.proxmox %w", src.Name, n.ID, err)
		}
		p.targets = append(p.targets, pxTarget{node: n.ID, pxRef: ref})
	}
	return p, nil
}

// pxBaseURL turns the configured URL into the API root. The token travels
// in a header, so plain http is refused.
func pxBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("url must be an https URL like https://pve.lab:8006, found %q", raw)
	}
	// Accept the URL with or without the API root, so a copied
	// ".../api2/json" does not become .../api2/json/api2/json; a path in
	// front of it is a reverse proxy's prefix.
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), pxAPIPath) + pxAPIPath
	u.RawPath = ""
	return u, nil
}

// pxCheckToken checks the shape USER@REALM!TOKENID=SECRET and returns the
// secret. Its messages never quote the token.
func pxCheckToken(token string) (string, error) {
	id, secret, ok := strings.Cut(token, "=")
	user, tokenID, hasBang := strings.Cut(id, "!")
	switch {
	case token == "":
		return "", errors.New("no API token (secret_env or secret_file)")
	case !ok || !hasBang || !strings.Contains(user, "@") || tokenID == "" || secret == "":
		return "", errors.New("the secret must be a Proxmox API token USER@REALM!TOKENID=SECRET (as shown when the token was created)")
	case strings.ContainsAny(token, " \t\r\n"):
		return "", errors.New("the API token contains whitespace")
	}
	return secret, nil
}

// pxResource is one entry of /cluster/resources. Fields a type does not
// have stay zero.
type pxResource struct {
	ID      string `json:"id"`
	Type    string `json:"type"` // node, lxc, qemu, storage, pool, sdn, …
	Node    string `json:"node"`
	Status  string `json:"status"`
	Name    string `json:"name"`
	Lock    string `json:"lock"`
	VMID    pxNum  `json:"vmid"`
	CPU     pxNum  `json:"cpu"`
	MaxCPU  pxNum  `json:"maxcpu"`
	Mem     pxNum  `json:"mem"`
	MaxMem  pxNum  `json:"maxmem"`
	Disk    pxNum  `json:"disk"`
	MaxDisk pxNum  `json:"maxdisk"`
	Uptime  pxNum  `json:"uptime"`
	// Tags are the guest's tags, separated by ';' (PVE also accepts ','
	// and spaces when they are set).
	Tags     string `json:"tags"`
	Template pxNum  `json:"template"`
}

// pxNum is a number from the API. PVE is Perl, whose JSON encoder writes a
// scalar as a string when it was last used as one; /cluster/resources
// numifies its values but other endpoints do not always, so both forms are
// accepted.
type pxNum float64

func (n *pxNum) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*n = 0
			return nil
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("want a number, found %s", b)
	}
	*n = pxNum(v)
	return nil
}

// Collect reads /cluster/resources — one request for every node and guest
// of the cluster, where per-node listings would take one per node and
// still need the node list — and the hour of RRD history of each mapped,
// online hypervisor for its sparklines.
//
// Lab nodes on PVE nodes outside this cluster are left out of the result:
// another Proxmox source reports them. A guest that is missing from its
// node is Unknown; guests of an offline node are Unknown too, since PVE
// only has their last known state.
func (p *Proxmox) Collect(ctx context.Context) (*Result, error) {
	var resources []pxResource
	if err := p.get(ctx, "/cluster/resources", nil, &resources); err != nil {
		return nil, fmt.Errorf("proxmox: list cluster resources: %w", err)
	}
	hosts := map[string]*pxResource{}
	guests := map[string]*pxResource{}
	for i := range resources {
		r := &resources[i]
		switch r.Type {
		case "node":
			hosts[r.Node] = r
		case "lxc", "qemu":
			guests[r.Type+"/"+strconv.Itoa(int(r.VMID))] = r
		}
	}
	if err := p.checkMembers(hosts); err != nil {
		return nil, err
	}

	res := &Result{Nodes: make(map[string]NodeData, len(p.targets))}
	for _, t := range p.targets {
		host, ok := hosts[t.pve]
		if !ok {
			continue
		}
		if !t.guest() {
			d, err := p.hostData(ctx, host)
			if err != nil {
				return nil, err
			}
			res.Nodes[t.node] = d
			continue
		}
		g, ok := guests[t.guestID()]
		if !ok {
			res.Nodes[t.node] = NodeData{Status: Unknown, Detail: fmt.Sprintf("%s not found on %s", t.guestID(), t.pve)}
			continue
		}
		res.Nodes[t.node] = guestData(t.pxRef, g, hosts[g.Node])
	}

	members := make(map[string]bool, len(hosts))
	for name := range hosts {
		members[name] = true
	}
	p.mu.Lock()
	p.members = members
	p.mu.Unlock()
	return res, nil
}

// checkMembers fails when none of the lab's Proxmox nodes is in the
// cluster: the URL then points at the wrong installation, and an empty
// result would hide that.
func (p *Proxmox) checkMembers(hosts map[string]*pxResource) error {
	if len(p.targets) == 0 {
		return nil
	}
	var want []string
	for _, t := range p.targets {
		if hosts[t.pve] != nil {
			return nil
		}
		if !slices.Contains(want, t.pve) {
			want = append(want, t.pve)
		}
	}
	have := make([]string, 0, len(hosts))
	for name := range hosts {
		have = append(have, name)
	}
	sort.Strings(have)
	return fmt.Errorf("proxmox: none of lab.yaml's Proxmox nodes (%s) is in this cluster, which has %s",
		strings.Join(want, ", "), strings.Join(have, ", "))
}

// hostData is a hypervisor's state. Without Sys.Audit on the node, PVE
// leaves its statistics out; then there is no history to ask for either.
func (p *Proxmox) hostData(ctx context.Context, h *pxResource) (NodeData, error) {
	switch h.Status {
	case "online":
	case "offline":
		return NodeData{Status: Down, Detail: "offline"}, nil
	default:
		return NodeData{Status: Unknown, Detail: "status unknown"}, nil
	}
	d := NodeData{Status: Up, Detail: "online"}
	if h.Uptime > 0 {
		d.Detail += ", up " + pxUptime(float64(h.Uptime))
	}
	if h.MaxCPU > 0 {
		d.CPU = Ptr(pxClamp(float64(h.CPU)))
	}
	d.Memory = pxFrac(h.Mem, h.MaxMem)
	d.Disk = pxFrac(h.Disk, h.MaxDisk)
	if h.MaxMem <= 0 {
		return d, nil
	}
	series, err := p.history(ctx, h.Node)
	if err != nil {
		// The state above is fresh and worth more than the sparklines: keep
		// it and say the history is missing, unless time ran out, which
		// makes the whole collection late.
		if ctx.Err() != nil {
			return NodeData{}, fmt.Errorf("proxmox: history of %s: %w", h.Node, err)
		}
		d.Detail += ", no history (" + pxShortReason(err) + ")"
		return d, nil
	}
	d.Series = series
	return d, nil
}

// guestData is a guest's state; host is its node's entry (nil if PVE
// lists the guest on a node it does not list, which it should not).
func guestData(ref pxRef, g, host *pxResource) NodeData {
	if host == nil || host.Status != "online" {
		return NodeData{Status: Unknown, Detail: g.Node + " is offline"}
	}
	var d NodeData
	switch g.Status {
	case "running":
		d.Status, d.Detail = Up, "running"
		if g.Uptime > 0 {
			d.Detail += ", up " + pxUptime(float64(g.Uptime))
		}
		// A guest's cpu is a fraction of its own CPUs (maxcpu).
		if g.MaxCPU > 0 {
			d.CPU = Ptr(pxClamp(float64(g.CPU)))
		}
		d.Memory = pxFrac(g.Mem, g.MaxMem)
		// PVE cannot see inside a VM's disks and reports 0 for qemu; only
		// a container's root disk usage is real.
		if g.Type == "lxc" {
			d.Disk = pxFrac(g.Disk, g.MaxDisk)
		}
	case "unknown", "":
		d.Status, d.Detail = Unknown, "status unknown"
	default: // stopped, paused, …
		d.Status, d.Detail = Down, g.Status
	}
	if g.Lock != "" {
		d.Detail += ", locked (" + g.Lock + ")"
	}
	if g.Node != ref.pve {
		// VMIDs are unique in a cluster, so this is the same guest,
		// migrated; actions still go to the node lab.yaml names.
		d.Detail += fmt.Sprintf(", on %s (lab.yaml says %s)", g.Node, ref.pve)
	}
	return d
}

// pxRRD is one sample of /nodes/{node}/rrddata. A sample without data
// (the node was down) has only its time.
type pxRRD struct {
	Time     pxNum  `json:"time"`
	CPU      *pxNum `json:"cpu"`
	MemUsed  *pxNum `json:"memused"`
	MemTotal *pxNum `json:"memtotal"`
}

// history is the node's last hour as "cpu" and "memory" series, oldest
// first.
func (p *Proxmox) history(ctx context.Context, node string) (map[string][]Point, error) {
	var samples []pxRRD
	q := url.Values{"timeframe": {"hour"}, "cf": {"AVERAGE"}}
	if err := p.get(ctx, "/nodes/"+node+"/rrddata", q, &samples); err != nil {
		return nil, err
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i].Time < samples[j].Time })
	var cpu, mem []Point
	for _, s := range samples {
		t := time.Unix(int64(s.Time), 0).UTC()
		if s.CPU != nil {
			cpu = append(cpu, Point{T: t, V: pxClamp(float64(*s.CPU))})
		}
		if s.MemUsed != nil && s.MemTotal != nil {
			if f := pxFrac(*s.MemUsed, *s.MemTotal); f != nil {
				mem = append(mem, Point{T: t, V: *f})
			}
		}
	}
	series := map[string][]Point{}
	if len(cpu) > 0 {
		series["cpu"] = cpu
	}
	if len(mem) > 0 {
		series["memory"] = mem
	}
	if len(series) == 0 {
		return nil, nil
	}
	return series, nil
}

// Actions lists the power actions of a guest. A hypervisor has none, and
// neither has a guest on a PVE node that the last collection showed to be
// outside this cluster (another source acts on it). Before the first
// collection, guests are assumed to be here.
func (p *Proxmox) Actions(node *lab.Node) []string {
	if node == nil || node.Live.Get(proxmoxLiveKey) == "" {
		return nil
	}
	ref, err := parsePxRef(node.Live.Get(proxmoxLiveKey))
	if err != nil || !ref.guest() || !p.member(ref.pve) {
		return nil
	}
	return slices.Clone(pxActions)
}

func (p *Proxmox) member(pve string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.members == nil || p.members[pve]
}

// Act starts, shuts down or reboots a guest and waits for the PVE task to
// finish, as long as ctx allows. A task that ends with warnings counts as
// done, as it does in PVE.
func (p *Proxmox) Act(ctx context.Context, node *lab.Node, action string) error {
	if node == nil {
		return fmt.Errorf("proxmox: %s: no node: %w", action, ErrUnknownAction)
	}
	if !slices.Contains(pxActions, action) {
		return fmt.Errorf("proxmox: %q on %s: %w", action, node.ID, ErrUnknownAction)
	}
	if node.Live.Get(proxmoxLiveKey) == "" {
		return fmt.Errorf("proxmox: %s %s: the node has no live.proxmox guest: %w", action, node.ID, ErrUnknownAction)
	}
	ref, err := parsePxRef(node.Live.Get(proxmoxLiveKey))
	if err != nil {
		return fmt.Errorf("proxmox: %s %s: live.proxmox %v: %w", action, node.ID, err, ErrUnknownAction)
	}
	if !ref.guest() {
		return fmt.Errorf("proxmox: %s %s: %s is a hypervisor, not a guest: %w", action, node.ID, ref.pve, ErrUnknownAction)
	}
	if !p.member(ref.pve) {
		return fmt.Errorf("proxmox: %s %s: %s is not in this Proxmox cluster: %w", action, node.ID, ref.pve, ErrUnknownAction)
	}
	what := fmt.Sprintf("proxmox: %s %s on %s", action, ref.guestID(), ref.pve)

	var upid string
	if err := p.do(ctx, http.MethodPost, "/nodes/"+ref.pve+"/"+ref.guestID()+"/status/"+action, nil, &upid); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := p.wait(ctx, upid); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// pxTask is /nodes/{node}/tasks/{upid}/status.
type pxTask struct {
	Status     string `json:"status"` // running, stopped
	ExitStatus string `json:"exitstatus"`
}

// wait polls the task until it stops or ctx ends.
func (p *Proxmox) wait(ctx context.Context, upid string) error {
	m := pxUPID.FindStringSubmatch(upid)
	if m == nil {
		return fmt.Errorf("unexpected task id %q", p.scrub(upid))
	}
	path := "/nodes/" + m[1] + "/tasks/" + upid + "/status"
	delay := p.pollFirst
	for {
		var t pxTask
		if err := p.get(ctx, path, nil, &t); err != nil {
			if ctx.Err() != nil {
				return pxUnfinished(upid, ctx.Err())
			}
			return fmt.Errorf("task %s: %w", upid, err)
		}
		if t.Status != "running" {
			return pxTaskResult(upid, p.scrub(t.ExitStatus))
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return pxUnfinished(upid, ctx.Err())
		case <-timer.C:
		}
		delay = min(2*delay, p.pollMax)
	}
}

// pxUnfinished is the error for a wait that ended first: PVE goes on with
// the task, so the operator should know it may still complete.
func pxUnfinished(upid string, err error) error {
	return fmt.Errorf("task %s had not finished when the wait ended (it may still complete): %w", upid, err)
}

// pxTaskResult follows PVE::Tools::upid_status_is_error: "OK" and
// "WARNINGS: n" are successes, anything else is the error message.
func pxTaskResult(upid, exit string) error {
	if exit == "OK" || strings.HasPrefix(exit, "WARNINGS: ") {
		return nil
	}
	if exit == "" {
		exit = "no exit status"
	}
	return fmt.Errorf("task %s failed: %s", upid, exit)
}

// pxStatusError is an API answer other than 2xx. PVE puts its error
// message in the HTTP reason phrase and parameter errors in the body.
type pxStatusError struct {
	Code   int
	Reason string
	Params string
}

func (e *pxStatusError) Error() string {
	detail := fmt.Sprintf("HTTP %d", e.Code)
	if e.Reason != "" {
		detail += ": " + e.Reason
	}
	if e.Params != "" {
		detail += " (" + e.Params + ")"
	}
	switch e.Code {
	case http.StatusUnauthorized:
		return "Proxmox rejected the API token (" + detail + "); check the token id and secret and that it has not expired"
	case http.StatusForbidden:
		return "Proxmox rejected the API token (" + detail + "); the token lacks a permission (with privilege separation, grant it to the token too)"
	}
	return "Proxmox answered " + detail
}

// pxShortReason is a few words on why a request failed, fit for a Detail
// that may end up on the public status page: no URLs, no host names.
func pxShortReason(err error) string {
	var se *pxStatusError
	switch {
	case errors.As(err, &se):
		return "HTTP " + strconv.Itoa(se.Code)
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	}
	return "request failed"
}

func (p *Proxmox) get(ctx context.Context, path string, q url.Values, out any) error {
	return p.do(ctx, http.MethodGet, path, q, out)
}

// do sends one API request and decodes the answer's data into out. POSTs
// carry no body: the actions used here take no parameters, and pveproxy
// refuses chunked bodies.
func (p *Proxmox) do(ctx context.Context, method, path string, q url.Values, out any) error {
	u := *p.base
	u.Path += path
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", p.auth)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "labfront")
	resp, err := p.hc.Do(req)
	if err != nil {
		// Transport errors name the URL, never the headers.
		return err
	}
	body, err := pxReadBody(resp)
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return p.statusError(resp, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			// A login portal in front of PVE answers 200 with HTML.
			return fmt.Errorf("%s %s: expected JSON, got %q (is a login proxy in front of Proxmox?)", method, path, ct)
		}
	}
	var envelope struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	if len(envelope.Data) == 0 || string(envelope.Data) == "null" {
		return fmt.Errorf("%s %s: answer has no data", method, path)
	}
	if err := json.Unmarshal(envelope.Data, out); err != nil {
		return fmt.Errorf("%s %s: decode data: %w", method, path, err)
	}
	return nil
}

// pxReadBody reads and closes the body, reporting either failure.
func pxReadBody(resp *http.Response) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, pxMaxBody+1))
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err == nil && len(body) > pxMaxBody {
		err = fmt.Errorf("answer larger than %d bytes", pxMaxBody)
	}
	return body, err
}

func (p *Proxmox) statusError(resp *http.Response, body []byte) error {
	reason := strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)))
	if reason == http.StatusText(resp.StatusCode) {
		reason = ""
	}
	e := &pxStatusError{Code: resp.StatusCode, Reason: p.scrub(reason)}
	// Parameter errors: {"errors": {"timeframe": "value '…' does not have a value in the enumeration …"}, "data": null}.
	var withErrors struct {
		Errors map[string]string `json:"errors"`
	}
	if json.Unmarshal(body, &withErrors) == nil && len(withErrors.Errors) > 0 {
		keys := make([]string, 0, len(withErrors.Errors))
		for k := range withErrors.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + strings.TrimSpace(withErrors.Errors[k])
		}
		e.Params = p.scrub(strings.Join(parts, "; "))
	}
	return e
}

// scrub removes the token's secret from text the server wrote, which ends
// up in errors and logs. PVE never echoes it; a proxy in front might.
func (p *Proxmox) scrub(s string) string {
	return strings.ReplaceAll(s, p.secret, "[redacted]")
}

// pxFrac is used/total in [0,1], nil when the total is unknown.
func pxFrac(used, total pxNum) *float64 {
	if total <= 0 {
		return nil
	}
	return Ptr(pxClamp(float64(used) / float64(total)))
}

// pxClamp keeps a fraction in [0,1]: a guest's cpu can briefly exceed its
// allocation, and a VM's memory can exceed maxmem by QEMU's overhead.
func pxClamp(v float64) float64 {
	return max(0, min(1, v))
}

// pxUptime is a coarse duration: "3d 4h", "4h 12m", "12m", "40s".
func pxUptime(seconds float64) string {
	d := time.Duration(seconds) * time.Second
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	case mins > 0:
		return fmt.Sprintf("%dm", mins)
	}
	return fmt.Sprintf("%ds", int(d/time.Second))
}

// pxNodeStatus is the part of /nodes/{node}/status discovery reads.
type pxNodeStatus struct {
	PVEVersion string `json:"pveversion"` // pve-manager/8.3.0/c1689ccb1065a83b
	CPUInfo    struct {
		Model   string `json:"model"`
		Cores   pxNum  `json:"cores"` // per socket
		Sockets pxNum  `json:"sockets"`
	} `json:"cpuinfo"`
}

// pxGuestConfig is the part of /nodes/{node}/{lxc|qemu}/{vmid}/config
// discovery reads.
type pxGuestConfig struct {
	Hostname    string `json:"hostname"` // lxc
	Cores       pxNum  `json:"cores"`
	Sockets     pxNum  `json:"sockets"` // qemu
	Memory      pxNum  `json:"memory"`  // MiB
	Description string `json:"description"`
}

// Discover lists the cluster's hypervisors and guests for lab.yaml: one
// /cluster/resources, then each online node's status (CPU model, PVE
// version) and each of its guests' configuration (cores, memory, the
// hostname and the notes, where an operator can write labfront.* lines).
// Guests of an offline node come from /cluster/resources alone.
// Templates are not guests anyone runs and are left out.
func (p *Proxmox) Discover(ctx context.Context) ([]Found, error) {
	var resources []pxResource
	if err := p.get(ctx, "/cluster/resources", nil, &resources); err != nil {
		return nil, fmt.Errorf("proxmox: list cluster resources: %w", err)
	}
	online := map[string]bool{}
	var out []Found
	for _, r := range resources {
		if r.Type != "node" || !pxNodeName.MatchString(r.Node) {
			continue
		}
		f := Found{LiveKey: proxmoxLiveKey, LiveValue: r.Node, Name: r.Node, Hostname: r.Node, Type: "hypervisor", Detail: r.Status}
		f.Specs.Cores = int(r.MaxCPU)
		f.Specs.MemoryGB = pxGB(float64(r.MaxMem))
		if r.Status == "online" {
			online[r.Node] = true
			var st pxNodeStatus
			if err := p.get(ctx, "/nodes/"+r.Node+"/status", nil, &st); err != nil {
				return nil, fmt.Errorf("proxmox: status of %s: %w", r.Node, err)
			}
			if c := int(st.CPUInfo.Cores) * max(1, int(st.CPUInfo.Sockets)); c > 0 {
				f.Specs.Cores = c // physical cores, where maxcpu counts threads
			}
			f.Specs.CPU = st.CPUInfo.Model
			if parts := strings.Split(st.PVEVersion, "/"); len(parts) >= 2 && parts[0] == "pve-manager" {
				f.Specs.OS = "Proxmox VE " + parts[1]
			}
		}
		out = append(out, f)
	}
	for _, r := range resources {
		if (r.Type != "lxc" && r.Type != "qemu") || r.Template == 1 || !pxNodeName.MatchString(r.Node) {
			continue
		}
		ref := pxRef{pve: r.Node, kind: r.Type, vmid: int(r.VMID)}
		f := Found{
			LiveKey: proxmoxLiveKey, LiveValue: r.Node + "/" + ref.guestID(), Name: r.Name, Parent: r.Node,
			Type: map[string]string{"lxc": "container", "qemu": "vm"}[r.Type], Detail: r.Status,
		}
		f.Specs.Cores = int(math.Ceil(float64(r.MaxCPU)))
		f.Specs.MemoryGB = pxGB(float64(r.MaxMem))
		f.Specs.StorageTB = math.Round(float64(r.MaxDisk)/1e9) / 1e3
		f.Tags = pxTags(r.Tags)
		var notes string
		if online[r.Node] {
			var c pxGuestConfig
			if err := p.get(ctx, "/nodes/"+r.Node+"/"+ref.guestID()+"/config", nil, &c); err != nil {
				return nil, fmt.Errorf("proxmox: config of %s on %s: %w", ref.guestID(), r.Node, err)
			}
			if c.Cores > 0 {
				f.Specs.Cores = int(c.Cores) * max(1, int(c.Sockets))
			}
			if c.Memory > 0 {
				f.Specs.MemoryGB = pxGB(float64(c.Memory) * (1 << 20))
			}
			f.Hostname = c.Hostname
			notes = c.Description
		}
		f.Labels = pxIntent(f.Tags, notes)
		out = append(out, f)
	}
	return out, nil
}

// pxGB is bytes in GiB, as people write memory_gb: 2 GiB is 2, and a
// host's 62.5 GiB of usable memory stays 62.5.
func pxGB(bytes float64) float64 {
	return math.Round(bytes/(1<<30)*10) / 10
}

func pxTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == ' ' })
}

// pxIntent reads the operator's labfront.* intent: lines "labfront.key=value"
// in the guest's notes (PVE tags cannot hold '='), and the tag
// labfront.public, which a tag can say.
func pxIntent(tags []string, notes string) map[string]string {
	labels := map[string]string{}
	for line := range strings.Lines(notes) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && strings.HasPrefix(k, "labfront.") {
			labels[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if slices.Contains(tags, LabelPublic) {
		labels[LabelPublic] = "true"
	}
	labels = IntentLabels(labels, "labfront.")
	return labels
}
