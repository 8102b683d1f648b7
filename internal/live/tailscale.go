package live

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"tailscale.com/client/tailscale/v2"

	"github.com/labfront/labfront/internal/lab"
)

// tsRecentlySeen is how fresh lastSeen must be for a device to count as
// online when the API does not report connectedToControl (older API
// versions and API-compatible servers): they refresh lastSeen while the
// device is connected.
const tsRecentlySeen = 5 * time.Minute

// Tailscale reports whether the lab's nodes are connected to the tailnet,
// from the Tailscale API's device list.
type Tailscale struct {
	client  *tailscale.Client
	tailnet string
	targets []tsTarget
	// now is the clock; tests replace it.
	now func() time.Time
}

var _ Collector = (*Tailscale)(nil)

// tsTarget is a lab node and the device hostname it is known by.
type tsTarget struct {
	node, host string
}

const tailscaleLiveKey = "tailscale"

// TailscaleOptions are a tailscale source's own settings.
type TailscaleOptions struct {
	// Tailnet names the tailnet; "" or "-" is the API key's own.
	Tailnet string
}

// tailscaleKind watches the tailnet's devices.
func tailscaleKind() Kind {
	return Kind{
		Name: "tailscale", Keys: []string{"tailnet"}, LiveKey: tailscaleLiveKey,
		Configure: func(s Settings, src *Source) { src.Options = TailscaleOptions{Tailnet: s.Fields.String("tailnet")} },
		New:       func(src Source, l *lab.Lab, _ func() time.Time) (Collector, error) { return NewTailscale(src, l) },
		Discover: func(ctx context.Context, src Source) ([]Found, error) {
			t, err := NewTailscale(src, &lab.Lab{})
			if err != nil {
				return nil, err
			}
			return t.Discover(ctx)
		},
	}
}

// NewTailscale watches the devices of src.Tailnet ("-" for the API key's
// own tailnet) for every node of l with a live.tailscale hostname.
// src.URL overrides the API's base URL (tests, API-compatible servers).
func NewTailscale(src Source, l *lab.Lab) (*Tailscale, error) {
	if src.Secret == "" {
		return nil, fmt.Errorf("tailscale source %q: no API key", src.Name)
	}
	opts, _ := src.Options.(TailscaleOptions) // zero options: the key's own tailnet
	tailnet := opts.Tailnet
	if tailnet == "" {
		tailnet = "-"
	}
	client := &tailscale.Client{
		APIKey:    src.Secret,
		Tailnet:   tailnet,
		UserAgent: "labfront",
		HTTP:      tsRecordingClient(src.Client()),
	}
	if src.URL != "" {
		u, err := url.Parse(src.URL)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, fmt.Errorf("tailscale source %q: url must be an absolute http(s) URL, found %q", src.Name, src.URL)
		}
		// The client appends /api/v2 itself; accept the URL either way so a
		// copied "https://api.tailscale.com/api/v2" does not become /api/v2/api/v2.
		u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v2")
		client.BaseURL = u
	}
	t := &Tailscale{client: client, tailnet: tailnet, now: time.Now}
	for _, n := range l.Nodes {
		if host := n.Live.Get(tailscaleLiveKey); host != "" {
			t.targets = append(t.targets, tsTarget{node: n.ID, host: host})
		}
	}
	return t, nil
}

// Collect lists the tailnet's devices and maps them onto the lab's nodes.
// An error means the API could not be asked (unreachable, key rejected);
// a node whose device is missing is Unknown, not an error.
func (t *Tailscale) Collect(ctx context.Context) (*Result, error) {
	rec := &tsRecording{}
	devices, err := t.client.Devices().List(tsWithRecording(ctx, rec))
	if err != nil {
		// The key travels in the Authorization header only, so neither the
		// client's errors nor ours can contain it.
		if rec.status == http.StatusUnauthorized || rec.status == http.StatusForbidden {
			return nil, fmt.Errorf("tailscale: list devices of tailnet %q: API key rejected (HTTP %d): %w", t.tailnet, rec.status, err)
		}
		return nil, fmt.Errorf("tailscale: list devices of tailnet %q: %w", t.tailnet, err)
	}
	// The client decodes connectedToControl into a plain bool, so whether
	// the API sent it at all can only be seen in the raw response. An API
	// that has the field sends it for every device.
	hasConnected := bytes.Contains(rec.body.Bytes(), []byte(`"connectedToControl"`))

	now := t.now()
	res := &Result{Nodes: make(map[string]NodeData, len(t.targets))}
	for _, tg := range t.targets {
		d := tsFind(devices, tg.host, hasConnected, now)
		if d == nil {
			res.Nodes[tg.node] = NodeData{Status: Unknown, Detail: fmt.Sprintf("no tailscale device named %q", tg.host)}
			continue
		}
		res.Nodes[tg.node] = tsNodeData(d, hasConnected, now)
	}
	return res, nil
}

// tsFind returns the device known as host, or nil. A re-installed machine
// can leave a stale device with the same hostname behind, so among several
// matches the online one, else the most recently seen one, wins.
func tsFind(devices []tailscale.Device, host string, hasConnected bool, now time.Time) *tailscale.Device {
	var best *tailscale.Device
	for i := range devices {
		d := &devices[i]
		if !tsMatches(d, host) {
			continue
		}
		if best == nil || tsBetter(d, best, hasConnected, now) {
			best = d
		}
	}
	return best
}

// tsMatches compares host with the device's hostname and with its MagicDNS
// name: the whole name when host has dots, else the name's first label
// (the admin console may have renamed the device away from its hostname).
func tsMatches(d *tailscale.Device, host string) bool {
	if strings.EqualFold(d.Hostname, host) {
		return true
	}
	name := strings.TrimSuffix(d.Name, ".")
	if strings.Contains(host, ".") {
		return strings.EqualFold(name, strings.TrimSuffix(host, "."))
	}
	label, _, _ := strings.Cut(name, ".")
	return strings.EqualFold(label, host)
}

func tsBetter(a, b *tailscale.Device, hasConnected bool, now time.Time) bool {
	if ua, ub := tsOnline(a, hasConnected, now), tsOnline(b, hasConnected, now); ua != ub {
		return ua
	}
	return tsLastSeen(a).After(tsLastSeen(b))
}

func tsOnline(d *tailscale.Device, hasConnected bool, now time.Time) bool {
	if hasConnected {
		return d.ConnectedToControl
	}
	seen := tsLastSeen(d)
	return !seen.IsZero() && now.Sub(seen) <= tsRecentlySeen
}

func tsLastSeen(d *tailscale.Device) time.Time {
	if d.LastSeen == nil {
		return time.Time{}
	}
	return d.LastSeen.Time
}

func tsNodeData(d *tailscale.Device, hasConnected bool, now time.Time) NodeData {
	seen := tsLastSeen(d)
	if tsOnline(d, hasConnected, now) {
		// The API leaves lastSeen out for connected devices: they are seen now.
		if d.ConnectedToControl {
			seen = now
		}
		detail := "online"
		if len(d.Addresses) > 0 {
			detail += ", " + d.Addresses[0]
		}
		return NodeData{Status: Up, LastSeen: seen, Detail: detail}
	}
	if seen.IsZero() {
		return NodeData{Status: Down, Detail: "offline, never seen"}
	}
	return NodeData{Status: Down, LastSeen: seen, Detail: "offline, last seen " + tsAgo(now.Sub(seen))}
}

// tsAgo is a coarse age: an operator wants "2h ago", not "2h3m17s".
func tsAgo(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", d/time.Minute)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", d/time.Hour)
	default:
		return fmt.Sprintf("%dd ago", d/(24*time.Hour))
	}
}

// tsRecording is what the transport saw of the device listing: the status,
// which tells a rejected key from other failures even when the error body is
// not JSON, and the body, which tells whether connectedToControl was sent.
type tsRecording struct {
	status int
	body   bytes.Buffer
}

type tsRecordingKey struct{}

func tsWithRecording(ctx context.Context, rec *tsRecording) context.Context {
	return context.WithValue(ctx, tsRecordingKey{}, rec)
}

// tsRecordingClient is hc with a transport that records responses into the
// request context's tsRecording. The recording travels in the context, not
// in the collector, so concurrent collections cannot see each other's.
func tsRecordingClient(hc *http.Client) *http.Client {
	c := *hc
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = tsRecorder{base: base}
	return &c
}

type tsRecorder struct {
	base http.RoundTripper
}

func (r tsRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	rec, ok := req.Context().Value(tsRecordingKey{}).(*tsRecording)
	if !ok {
		return resp, nil
	}
	// After a redirect the last response is the one the client decodes.
	rec.status = resp.StatusCode
	rec.body.Reset()
	resp.Body = tsTeeBody{Reader: io.TeeReader(resp.Body, &rec.body), Closer: resp.Body}
	return resp, nil
}

type tsTeeBody struct {
	io.Reader
	io.Closer
}

// Discover lists the tailnet's authorized devices with their tags and
// approved subnet routes (the listing's fields=all). A device cannot say
// what kind of machine it is, so none gets a type: discovery matches them
// to lab.yaml's nodes and reports the others. Subnet routers are linked
// to each other: traffic between their subnets crosses the tailnet there.
func (t *Tailscale) Discover(ctx context.Context) ([]Found, error) {
	rec := &tsRecording{}
	devices, err := t.client.Devices().ListWithAllFields(tsWithRecording(ctx, rec))
	if err != nil {
		if rec.status == http.StatusUnauthorized || rec.status == http.StatusForbidden {
			return nil, fmt.Errorf("tailscale: list devices of tailnet %q: API key rejected (HTTP %d): %w", t.tailnet, rec.status, err)
		}
		return nil, fmt.Errorf("tailscale: list devices of tailnet %q: %w", t.tailnet, err)
	}
	hasConnected := bytes.Contains(rec.body.Bytes(), []byte(`"connectedToControl"`))
	now := t.now()
	var out []Found
	var routers []int
	for i := range devices {
		d := &devices[i]
		if !d.Authorized || d.Hostname == "" {
			continue
		}
		f := Found{LiveKey: tailscaleLiveKey, LiveValue: d.Hostname, Name: d.Hostname, Hostname: d.Hostname, Tags: d.Tags, Routes: d.EnabledRoutes}
		f.Detail = d.OS + ", " + tsNodeData(d, hasConnected, now).Detail
		if len(d.EnabledRoutes) > 0 {
			f.Detail += ", routes " + strings.Join(d.EnabledRoutes, " ")
			routers = append(routers, len(out))
		}
		out = append(out, f)
	}
	for i, a := range routers {
		for _, b := range routers[i+1:] {
			out[a].Links = append(out[a].Links, FoundLink{To: out[b].LiveValue, Type: "tailscale", Label: "subnet routes"})
		}
	}
	return out, nil
}
