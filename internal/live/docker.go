package live

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labfront/labfront/internal/lab"
)

const dockerLiveKey = "docker"

// The Engine API versions the collector speaks: it asks in the highest
// version both it and the engine know. Everything it reads (labels,
// State.Health, RestartCount, NanoCpus) is older than the minimum.
const (
	dockerMaxAPI = "1.43"
	dockerMinAPI = "1.25"
)

// dockerDefaultSocket is where dockerd listens unless told otherwise.
const dockerDefaultSocket = "unix:///var/run/docker.sock"

// dockerStopTimeout is the seconds a restart gives a container to stop
// before dockerd kills it, as `docker restart` does by default.
const dockerStopTimeout = 10

// A docker live: value is "ENGINE" for the machine dockerd runs on, or
// "ENGINE/CONTAINER" for one of its containers; ENGINE is the daemon's
// name (GET /info, its host name), so two engines' containers of the same
// name stay apart and lab.yaml does not depend on the admin config.
var dockerNamePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

func dockerKind() Kind {
	return Kind{
		Name: "docker", Keys: []string{"insecure", "tls_ca", "tls_cert", "tls_key"}, LiveKey: dockerLiveKey,
		CheckLive: func(v string) error { _, _, err := parseDockerRef(v); return err },
		Configure: func(s Settings, src *Source) {
			src.Insecure = s.Fields.Bool("insecure")
			o := DockerOptions{CA: s.Fields.String("tls_ca"), Cert: s.Fields.String("tls_cert"), Key: s.Fields.String("tls_key")}
			if (o.Cert == "") != (o.Key == "") {
				s.Errorf("tls_cert", "tls_cert and tls_key go together (the client certificate and its key)")
			}
			src.Options = o
		},
		New: func(src Source, l *lab.Lab, _ func() time.Time) (Collector, error) { return NewDocker(src, l) },
		Discover: func(ctx context.Context, src Source) ([]Found, error) {
			d, err := NewDocker(src, &lab.Lab{})
			if err != nil {
				return nil, err
			}
			return d.Discover(ctx)
		},
	}
}

// DockerOptions are a docker source's TLS files, as dockerd --tlsverify
// wants them (the docker CLI's ca.pem, cert.pem and key.pem).
type DockerOptions struct {
	CA, Cert, Key string
}

// parseDockerRef splits "engine/container"; container is "" for the
// engine itself.
func parseDockerRef(v string) (engine, container string, err error) {
	engine, container, hasContainer := strings.Cut(v, "/")
	if !dockerNamePattern.MatchString(engine) || (hasContainer && !dockerNamePattern.MatchString(container)) {
		return "", "", fmt.Errorf(`must be "ENGINE" or "ENGINE/CONTAINER" (the daemon's name, a container name), found %q`, v)
	}
	return engine, container, nil
}

// Docker watches one Docker Engine through its API: the containers lab
// nodes name, their state, health and restart count, and restarts them.
type Docker struct {
	name    string
	base    string // http://docker for a socket, else the engine's URL
	client  *http.Client
	targets []dockerTarget
	now     func() time.Time

	mu sync.Mutex
	// version and engine are learned from /_ping and /info on first use,
	// and again after a failure (the engine may have been upgraded).
	version, engine string
	info            dockerInfo
}

var _ Actor = (*Docker)(nil)

type dockerTarget struct {
	node, engine, container string
}

// NewDocker builds the collector of src: url is unix:///path (the
// default, /var/run/docker.sock), tcp://host:port (TLS when the source
// names certificates, as dockerd --tlsverify wants), or an http(s) URL
// (a socket proxy). src.HTTP, when set, is used as is for TCP URLs.
func NewDocker(src Source, l *lab.Lab) (*Docker, error) {
	raw := src.URL
	if raw == "" {
		raw = dockerDefaultSocket
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("docker source %q: url: %w", src.Name, err)
	}
	d := &Docker{name: src.Name, now: time.Now}
	timeout := src.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	switch u.Scheme {
	case "unix":
		if u.Path == "" {
			return nil, fmt.Errorf("docker source %q: url %q names no socket", src.Name, raw)
		}
		sock := u.Path
		tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dialer net.Dialer
			return dialer.DialContext(ctx, "unix", sock)
		}}
		// The host is a placeholder: a socket has none, and dockerd
		// ignores it, as the docker CLI's "docker" does.
		d.base, d.client = "http://docker", &http.Client{Transport: tr, Timeout: timeout}
	case "tcp", "http", "https":
		if u.Host == "" {
			return nil, fmt.Errorf("docker source %q: url %q names no host", src.Name, raw)
		}
		opts, _ := src.Options.(DockerOptions)
		tlsConf, err := dockerTLS(opts, src.Insecure)
		if err != nil {
			return nil, fmt.Errorf("docker source %q: %w", src.Name, err)
		}
		scheme := u.Scheme
		if scheme == "tcp" {
			// tcp:// is dockerd's own notation: TLS when it has certificates.
			scheme = map[bool]string{true: "https", false: "http"}[tlsConf != nil]
		}
		d.base = scheme + "://" + u.Host + strings.TrimSuffix(u.Path, "/")
		switch {
		case src.HTTP != nil:
			d.client = src.HTTP
		case scheme == "https":
			tr := http.DefaultTransport.(*http.Transport).Clone()
			if tlsConf == nil {
				tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
			}
			tr.TLSClientConfig = tlsConf
			d.client = &http.Client{Transport: tr, Timeout: timeout}
		default:
			d.client = &http.Client{Timeout: timeout}
		}
	default:
		return nil, fmt.Errorf("docker source %q: url must be unix:///path, tcp://host:port or http(s)://…, found %q", src.Name, raw)
	}
	for _, n := range l.Nodes {
		v := n.Live.Get(dockerLiveKey)
		if v == "" {
			continue
		}
		engine, container, err := parseDockerRef(v)
		if err != nil {
			return nil, fmt.Errorf("docker source %q: node %s: %w", src.Name, n.ID, err)
		}
		d.targets = append(d.targets, dockerTarget{node: n.ID, engine: engine, container: container})
	}
	return d, nil
}

// dockerTLS is the TLS configuration of the options, nil when they name
// no file and insecure is off.
func dockerTLS(o DockerOptions, insecure bool) (*tls.Config, error) {
	if o == (DockerOptions{}) && !insecure {
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // insecure is opt-in
	if o.CA != "" {
		pem, err := os.ReadFile(o.CA)
		if err != nil {
			return nil, fmt.Errorf("tls_ca: %w", err)
		}
		conf.RootCAs = x509.NewCertPool()
		if !conf.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls_ca: %s holds no PEM certificate", o.CA)
		}
	}
	if o.Cert != "" || o.Key != "" {
		pair, err := tls.LoadX509KeyPair(o.Cert, o.Key)
		if err != nil {
			return nil, fmt.Errorf("tls_cert, tls_key: %w", err)
		}
		conf.Certificates = []tls.Certificate{pair}
	}
	return conf, nil
}

// dockerInfo is what GET /info says of the daemon.
type dockerInfo struct {
	Name              string
	NCPU              int
	MemTotal          int64
	OperatingSystem   string
	ServerVersion     string
	Containers        int
	ContainersRunning int
}

// dockerSummary is one entry of GET /containers/json.
type dockerSummary struct {
	ID     string `json:"Id"`
	Names  []string
	Image  string
	State  string
	Status string
	Labels map[string]string
}

func (c dockerSummary) name() string {
	for _, n := range c.Names {
		// Linked containers are listed under other containers' names too
		// (/web/db); the container's own name has no inner slash.
		if n = strings.TrimPrefix(n, "/"); !strings.Contains(n, "/") {
			return n
		}
	}
	return ""
}

// dockerInspect is the part of GET /containers/{id}/json labfront reads.
type dockerInspect struct {
	ID    string `json:"Id"`
	Name  string
	State struct {
		Status     string
		Running    bool
		Paused     bool
		Restarting bool
		OOMKilled  bool
		ExitCode   int
		StartedAt  string
		Health     *struct {
			Status        string
			FailingStreak int
		}
	}
	RestartCount int
	HostConfig   struct {
		NanoCpus int64
		Memory   int64
	}
	Config struct {
		Image  string
		Labels map[string]string
	}
}

// dockerError is the Engine API's error body.
type dockerError struct {
	Message string `json:"message"`
}

// do sends one request and decodes a JSON answer into out (nil: none
// expected). versioned paths carry the negotiated API version.
func (d *Docker) do(ctx context.Context, method, path string, query url.Values, out any, version string) error {
	u := d.base
	if version != "" {
		u += "/v" + version
	}
	u += path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return fmt.Errorf("docker %s: %s %s: %w", d.name, method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("docker %s: %s %s: %w", d.name, method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e dockerError
		msg := strings.TrimSpace(string(body))
		if json.Unmarshal(body, &e) == nil && e.Message != "" {
			msg = e.Message
		}
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		return fmt.Errorf("docker %s: %s %s: HTTP %d: %s", d.name, method, path, resp.StatusCode, msg)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("docker %s: %s %s: decode: %w", d.name, method, path, err)
	}
	return nil
}

// connect learns the API version and the daemon's name once.
func (d *Docker) connect(ctx context.Context) (version string, info dockerInfo, err error) {
	d.mu.Lock()
	version, info = d.version, d.info
	d.mu.Unlock()
	if version != "" {
		return version, info, nil
	}
	u := d.base + "/_ping"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", info, err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return "", info, fmt.Errorf("docker %s: ping: %w", d.name, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", info, fmt.Errorf("docker %s: ping: HTTP %d", d.name, resp.StatusCode)
	}
	version = dockerMaxAPI
	if server := resp.Header.Get("Api-Version"); server != "" {
		if dockerVersionLess(server, dockerMinAPI) {
			return "", info, fmt.Errorf("docker %s: the engine speaks API %s, older than %s (Docker 1.13)", d.name, server, dockerMinAPI)
		}
		if dockerVersionLess(server, version) {
			version = server
		}
	}
	if err := d.do(ctx, http.MethodGet, "/info", nil, &info, version); err != nil {
		return "", info, err
	}
	if info.Name == "" {
		return "", info, fmt.Errorf("docker %s: /info has no daemon name", d.name)
	}
	d.mu.Lock()
	d.version, d.engine, d.info = version, info.Name, info
	d.mu.Unlock()
	return version, info, nil
}

// forget makes the next request ask the version and name again, after
// a failure. The engine's name is kept meanwhile: its containers keep
// their actions, which the admin server then refuses as stale rather than
// losing them from the page.
func (d *Docker) forget() {
	d.mu.Lock()
	d.version = ""
	d.mu.Unlock()
}

func dockerVersionLess(a, b string) bool {
	am, an, _ := strings.Cut(a, ".")
	bm, bn, _ := strings.Cut(b, ".")
	ai, _ := strconv.Atoi(am)
	bi, _ := strconv.Atoi(bm)
	if ai != bi {
		return ai < bi
	}
	aj, _ := strconv.Atoi(an)
	bj, _ := strconv.Atoi(bn)
	return aj < bj
}

// list is every container of the engine, running or not.
func (d *Docker) list(ctx context.Context, version string) ([]dockerSummary, error) {
	var cs []dockerSummary
	err := d.do(ctx, http.MethodGet, "/containers/json", url.Values{"all": {"1"}}, &cs, version)
	return cs, err
}

func (d *Docker) inspect(ctx context.Context, version, id string) (*dockerInspect, error) {
	var c dockerInspect
	if err := d.do(ctx, http.MethodGet, "/containers/"+url.PathEscape(id)+"/json", nil, &c, version); err != nil {
		return nil, err
	}
	return &c, nil
}

// Collect reports the engine's node and every container a lab node names
// on this engine. A container that is not there is Unknown; nodes of
// other engines are left to their sources.
func (d *Docker) Collect(ctx context.Context) (*Result, error) {
	res, err := d.collect(ctx)
	if err != nil {
		d.forget()
	}
	return res, err
}

func (d *Docker) collect(ctx context.Context) (*Result, error) {
	version, info, err := d.connect(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := d.list(ctx, version)
	if err != nil {
		return nil, err
	}
	running := 0
	for _, c := range cs {
		if c.State == "running" {
			running++
		}
	}
	res := &Result{Nodes: map[string]NodeData{}, Summary: fmt.Sprintf("%s: %d containers, %d running", info.Name, len(cs), running)}
	for _, t := range d.targets {
		if t.engine != info.Name {
			continue
		}
		if t.container == "" {
			res.Nodes[t.node] = NodeData{Status: Up, Detail: fmt.Sprintf("Docker %s, %d of %d containers running", info.ServerVersion, running, len(cs))}
			continue
		}
		i := slices.IndexFunc(cs, func(c dockerSummary) bool { return c.name() == t.container })
		if i < 0 {
			res.Nodes[t.node] = NodeData{Status: Unknown, Detail: fmt.Sprintf("no container %q on %s", t.container, info.Name)}
			continue
		}
		c, err := d.inspect(ctx, version, cs[i].ID)
		if err != nil {
			// Removed between the listing and now: say so on the node,
			// the engine itself answered.
			res.Nodes[t.node] = NodeData{Status: Unknown, Detail: err.Error()}
			continue
		}
		res.Nodes[t.node] = dockerNodeData(c, d.now())
	}
	return res, nil
}

// dockerNodeData is a container's state as the admin pages show it: up
// only when running and not unhealthy.
func dockerNodeData(c *dockerInspect, now time.Time) NodeData {
	restarts := c.RestartCount
	d := NodeData{Status: Down, Restarts: &restarts}
	st := c.State
	var parts []string
	switch {
	case st.Paused:
		parts = append(parts, "paused")
	case st.Restarting:
		parts = append(parts, fmt.Sprintf("restarting (exit %d)", st.ExitCode))
	case st.Running:
		d.Status = Up
		parts = append(parts, "running")
	case st.Status == "exited":
		parts = append(parts, fmt.Sprintf("exited (%d)", st.ExitCode))
	default:
		parts = append(parts, st.Status)
	}
	if st.OOMKilled {
		parts = append(parts, "OOM-killed")
	}
	if h := st.Health; h != nil && h.Status != "" && h.Status != "none" {
		parts = append(parts, h.Status)
		if h.Status == "unhealthy" {
			d.Status = Down
		}
	}
	if st.Running {
		if started, err := time.Parse(time.RFC3339Nano, st.StartedAt); err == nil && !started.IsZero() && started.Year() > 1 {
			parts = append(parts, "up "+pxUptime(now.Sub(started).Seconds()))
		}
	}
	parts = append(parts, fmt.Sprintf("%d %s", restarts, map[bool]string{true: "restart", false: "restarts"}[restarts == 1]))
	d.Detail = strings.Join(parts, ", ")
	return d
}

// Actions offers a restart for a container of this engine.
func (d *Docker) Actions(node *lab.Node) []string {
	t, ok := d.target(node)
	if !ok || t.container == "" {
		return nil
	}
	return []string{"restart"}
}

// target is node's container, if it is on this engine (as far as the
// collector has learned its name).
func (d *Docker) target(node *lab.Node) (dockerTarget, bool) {
	d.mu.Lock()
	engine := d.engine
	d.mu.Unlock()
	for _, t := range d.targets {
		if t.node == node.ID && t.engine == engine && engine != "" {
			return t, true
		}
	}
	return dockerTarget{}, false
}

// Act restarts a container: dockerd stops it (SIGTERM, then SIGKILL
// after dockerStopTimeout seconds) and starts it again.
func (d *Docker) Act(ctx context.Context, node *lab.Node, action string) error {
	t, ok := d.target(node)
	if !ok || t.container == "" || action != "restart" {
		return ErrUnknownAction
	}
	version, _, err := d.connect(ctx)
	if err != nil {
		return err
	}
	q := url.Values{"t": {strconv.Itoa(dockerStopTimeout)}}
	return d.do(ctx, http.MethodPost, "/containers/"+url.PathEscape(t.container)+"/restart", q, nil, version)
}

// Discover lists the engine itself and every container, with the intent
// their labfront.* labels declare. The engine has no type (dockerd runs
// on a VM, a container or bare metal alike): it is matched to lab.yaml
// by its host name, and then is the parent of its containers.
func (d *Docker) Discover(ctx context.Context) ([]Found, error) {
	version, info, err := d.connect(ctx)
	if err != nil {
		d.forget()
		return nil, err
	}
	cs, err := d.list(ctx, version)
	if err != nil {
		d.forget()
		return nil, err
	}
	host := Found{LiveKey: dockerLiveKey, LiveValue: info.Name, Name: info.Name, Hostname: info.Name,
		Specs:  lab.Specs{Cores: info.NCPU, MemoryGB: dockerGB(info.MemTotal)},
		Detail: fmt.Sprintf("Docker %s on %s, %d containers", info.ServerVersion, info.OperatingSystem, len(cs))}
	out := []Found{host}
	for _, s := range cs {
		name := s.name()
		if name == "" {
			continue
		}
		f := Found{LiveKey: dockerLiveKey, LiveValue: info.Name + "/" + name, Name: name, Type: "container", Parent: info.Name,
			Labels: IntentLabels(s.Labels, "labfront."), Detail: s.Image + ", " + s.Status}
		c, err := d.inspect(ctx, version, s.ID)
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return nil, err
		case err != nil:
			f.Detail += " (" + err.Error() + ")"
		default:
			if c.HostConfig.NanoCpus > 0 {
				f.Specs.Cores = int(math.Ceil(float64(c.HostConfig.NanoCpus) / 1e9))
			}
			f.Specs.MemoryGB = dockerGB(c.HostConfig.Memory)
		}
		out = append(out, f)
	}
	return out, nil
}

// dockerGB is bytes in GiB, to two decimals as people write it.
func dockerGB(b int64) float64 {
	return math.Round(float64(b)/(1<<30)*100) / 100
}
