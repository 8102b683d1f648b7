package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cloudflare/cloudflare-go/v6/option"

	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/internal/lab"
)

const (
	// DefaultCloudflaredURL is cloudflared's metrics server, at the
	// address `labfront tunnel config` pins (cfapi.CloudflaredMetrics).
	DefaultCloudflaredURL = "http://" + cfapi.CloudflaredMetrics
	// cloudflaredMaxBody caps the read of /ready, a small JSON object.
	cloudflaredMaxBody = 64 << 10
	// cloudflaredColos is how many edge locations a summary names.
	cloudflaredColos = 4
)

// CloudflareAPI is a cloudflared source's access to Cloudflare's API, for
// the tunnel's connections as Cloudflare sees them. The API token is the
// source's Secret; with no TunnelID the API is not asked.
type CloudflareAPI struct {
	AccountID string
	BaseURL   string // "" is Cloudflare's
	TunnelID  string
	// Options are extra cloudflare-go options (tests turn retries off).
	Options []option.RequestOption
}

// tunnelConnections lists a tunnel's connections (cfapi.Tunnels does).
type tunnelConnections interface {
	Connections(ctx context.Context, tunnelID string) ([]cfapi.Connection, error)
}

// Cloudflared reports the health of the Cloudflare Tunnel that carries
// the admin server: cloudflared's own /ready (is this connector connected
// to Cloudflare's edge, with how many connections) and, with API access,
// the tunnel's connections as Cloudflare lists them (which edge locations).
//
// It maps onto no lab node: lab.yaml has no live key for it. A healthy
// tunnel is a live source; an unhealthy one is a failing source whose
// error says what is wrong ("not ready: 0 connections …"), which the
// dashboard's Sources table and banners show.
type Cloudflared struct {
	ready    string // the /ready URL
	addr     string // host:port of the metrics server, for messages
	http     *http.Client
	api      tunnelConnections // nil without API access
	tunnelID string
}

var _ Collector = (*Cloudflared)(nil)

var tunnelUUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// cloudflaredKind watches the tunnel that carries the admin server. It
// maps onto no lab node.
func cloudflaredKind() Kind {
	return Kind{
		Name: "cloudflared", Keys: []string{"tunnel_id"}, Configure: configureCloudflared,
		New: func(src Source, _ *lab.Lab, _ func() time.Time) (Collector, error) { return NewCloudflared(src) },
	}
}

// configureCloudflared reads a source's tunnel_id and, when it has one,
// its API access: the account and endpoint from the environment, the token
// from $CLOUDFLARE_API_TOKEN unless secret_env or secret_file named
// another (a token with only Cloudflare Tunnel: Read).
func configureCloudflared(s Settings, src *Source) {
	id := s.Fields.String("tunnel_id")
	if id == "" {
		return
	}
	if !tunnelUUID.MatchString(id) {
		s.Errorf("tunnel_id", "must be the tunnel's UUID (labfront tunnel provision prints it), found %q", id)
		return
	}
	env := cfapi.FromEnv(s.Getenv)
	if src.Secret == "" {
		src.Secret = string(env.APIToken)
	}
	src.Options = CloudflareAPI{AccountID: env.AccountID, BaseURL: env.BaseURL, TunnelID: strings.ToLower(id)}
	var missing []string
	if src.Secret == "" {
		missing = append(missing, "$"+cfapi.EnvAPIToken)
	}
	if env.AccountID == "" {
		missing = append(missing, "$"+cfapi.EnvAccountID)
	}
	if len(missing) > 0 {
		s.Errorf("tunnel_id", "reading the tunnel's connections from the Cloudflare API needs %s", strings.Join(missing, " and "))
	}
}

// NewCloudflared reads cloudflared's metrics server at src.URL
// (DefaultCloudflaredURL when empty) and, when src.Cloudflare.TunnelID is
// set, the tunnel's connections with the API token in src.Secret.
func NewCloudflared(src Source) (*Cloudflared, error) {
	base := src.URL
	if base == "" {
		base = DefaultCloudflaredURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("cloudflared source %q: url must be cloudflared's metrics address as http://host:port, found %q", src.Name, base)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/ready"
	cf, _ := src.Options.(CloudflareAPI) // zero: no API access
	c := &Cloudflared{ready: u.String(), addr: u.Host, http: src.Client(), tunnelID: cf.TunnelID}
	if c.tunnelID != "" {
		creds := cfapi.Credentials{APIToken: cfapi.Secret(src.Secret), AccountID: cf.AccountID, BaseURL: cf.BaseURL}
		client, err := cfapi.NewTunnels(creds, nil, cf.Options...)
		if err != nil {
			return nil, fmt.Errorf("cloudflared source %q: %w", src.Name, err)
		}
		c.api = client
	}
	return c, nil
}

// readyAnswer is cloudflared's /ready body: {"status":200,
// "readyConnections":4,"connectorId":"…"} when connected, status 503 and
// no ready connections otherwise.
type readyAnswer struct {
	Status           int `json:"status"`
	ReadyConnections int `json:"readyConnections"`
}

// Collect asks cloudflared and, when configured, the API. The tunnel must
// be ready on both counts for the source to be live; otherwise the error
// says which part failed and what the other part saw.
func (c *Cloudflared) Collect(ctx context.Context) (*Result, error) {
	n, readyErr := c.readReady(ctx)
	var conns []cfapi.Connection
	var apiErr error
	if c.api != nil {
		conns, apiErr = c.api.Connections(ctx, c.tunnelID)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil, fmt.Errorf("cloudflared: %w", ctx.Err())
	}
	var problems []string
	switch {
	case readyErr != nil:
		problems = append(problems, readyErr.Error())
	case n == 0:
		problems = append(problems, "not ready: 0 connections to Cloudflare's edge (cloudflared /ready answered 503)")
	}
	if c.api != nil {
		switch {
		case apiErr != nil:
			problems = append(problems, "the Cloudflare API could not be asked: "+apiErr.Error())
		case len(conns) == 0 && readyErr == nil && n > 0:
			problems = append(problems, fmt.Sprintf("cloudflared reports %s but the Cloudflare API lists none for tunnel %s: is tunnel_id this connector's tunnel?", connectionCount(n), c.tunnelID))
		case len(conns) == 0:
			problems = append(problems, "the Cloudflare API lists no connections for tunnel "+c.tunnelID)
		case readyErr != nil || n == 0:
			problems = append(problems, "the Cloudflare API lists "+summariseConnections(len(conns), conns)+" from other connectors")
		}
	}
	if len(problems) > 0 {
		if readyErr == nil && n > 0 {
			problems = slices.Insert(problems, 0, summariseConnections(n, conns))
		}
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return &Result{Nodes: map[string]NodeData{}, Summary: summariseConnections(n, conns)}, nil
}

// readReady returns the number of ready connections; 0 with a nil error
// means cloudflared answered that it is not connected.
func (c *Cloudflared) readReady(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.ready, nil)
	if err != nil {
		return 0, fmt.Errorf("cloudflared metrics: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("cloudflared metrics at %s unreachable (%s): is cloudflared running with --metrics %s?", c.ready, probeDescribe(err, c.http.Timeout), c.addr)
	}
	defer func() {
		// Drained so the connection is reused for the next poll.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, cloudflaredMaxBody))
		_ = resp.Body.Close()
	}()
	body, err := io.ReadAll(io.LimitReader(resp.Body, cloudflaredMaxBody))
	if err != nil {
		return 0, fmt.Errorf("cloudflared metrics at %s: reading /ready: %w", c.ready, err)
	}
	var ans readyAnswer
	jsonErr := json.Unmarshal(body, &ans)
	switch {
	case resp.StatusCode == http.StatusServiceUnavailable:
		return 0, nil
	case resp.StatusCode != http.StatusOK:
		return 0, fmt.Errorf("cloudflared metrics at %s: /ready answered HTTP %d", c.ready, resp.StatusCode)
	case jsonErr != nil || ans.Status == 0:
		// Something else listens there: the port is not cloudflared's.
		return 0, fmt.Errorf("cloudflared metrics at %s: /ready answered 200 without cloudflared's JSON ({\"status\":200,\"readyConnections\":N}): is the url cloudflared's --metrics address?", c.ready)
	}
	return ans.ReadyConnections, nil
}

// summariseConnections is "4 connections (ams01, fra02)": the count
// cloudflared or the API reports and the edge locations the API names.
func summariseConnections(n int, conns []cfapi.Connection) string {
	var colos []string
	for _, c := range conns {
		if c.Colo != "" && !slices.Contains(colos, c.Colo) {
			colos = append(colos, c.Colo)
		}
	}
	slices.Sort(colos)
	s := connectionCount(n)
	if len(colos) == 0 {
		return s
	}
	more := ""
	if len(colos) > cloudflaredColos {
		colos, more = colos[:cloudflaredColos], "…"
	}
	return s + " (" + strings.Join(colos, ", ") + more + ")"
}

func connectionCount(n int) string {
	if n == 1 {
		return "1 connection"
	}
	return fmt.Sprintf("%d connections", n)
}
