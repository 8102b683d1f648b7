// Package dockerfake is a fake Docker Engine, for tests: the few Engine
// API endpoints labfront uses, served over a real unix socket (or TCP)
// as dockerd serves them. No dockerd can run where these tests run, so
// the fake follows the Engine API reference instead:
//
//   - GET/HEAD /_ping answers "OK" with the API-Version header;
//   - GET /info, the daemon's name, CPUs, memory and OS;
//   - GET /containers/json, running containers unless all=1, in the
//     ContainerSummary shape (Names with their leading slash, State,
//     Status, Labels);
//   - GET /containers/{id}/json, the inspect shape (State with Health,
//     RestartCount, HostConfig's limits), by full id, unique id prefix or
//     name;
//   - POST /containers/{id}/restart, 204 No Content.
//
// Paths may carry an API version (/v1.43/containers/json), as every real
// client sends them; a version above the fake's or below its minimum is
// refused with dockerd's message. Errors are {"message": …}. A request
// the fake does not expect (method, path, query parameter) fails the test.
package dockerfake

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/testkit/testcert"
)

// APIVersion and MinAPIVersion are the Engine API versions the fake
// speaks, as Docker Engine 24 does.
const (
	APIVersion    = "1.43"
	MinAPIVersion = "1.12"
)

// Container is one container of the fake engine.
type Container struct {
	// Name is without the leading slash the API adds.
	Name, Image string
	// State is created, running, paused, restarting, exited or dead.
	State string
	// Health is "", starting, healthy or unhealthy.
	Health       string
	RestartCount int
	ExitCode     int
	Labels       map[string]string
	// StartedAt is when it last started (zero: never).
	StartedAt time.Time
	// NanoCPUs and Memory are its limits (0: none).
	NanoCPUs, Memory int64
}

// Info is the daemon as GET /info describes it.
type Info struct {
	Name, OperatingSystem, ServerVersion string
	NCPU                                 int
	MemTotal                             int64
}

// Call is one request the fake received.
type Call struct {
	Method, Path string
	// Version is the API version in the path, "" for an unversioned one.
	Version string
	Query   url.Values
}

func (c Call) String() string {
	s := c.Method + " " + c.Path
	if len(c.Query) > 0 {
		s += "?" + c.Query.Encode()
	}
	return s
}

// Server is a running fake engine.
type Server struct {
	// URL is what a docker source's url: takes: unix:///…/docker.sock,
	// or tcp://127.0.0.1:PORT for NewTCP and NewTLS.
	URL string
	// CAPEM, ClientCertPEM and ClientKeyPEM are set by NewTLS.
	CAPEM, ClientCertPEM, ClientKeyPEM []byte

	t          testing.TB
	mu         sync.Mutex
	info       Info
	containers []*container
	calls      []Call
	fail       map[string]failure
	now        func() time.Time
	srv        *http.Server
}

type container struct {
	Container
	id      string
	created time.Time
}

type failure struct {
	code int
	msg  string
}

// New starts a fake engine on a unix socket in a fresh folder.
func New(t testing.TB, info Info, containers ...Container) *Server {
	t.Helper()
	// A socket path must fit in sun_path (108 bytes): t.TempDir's can be
	// longer, so the folder is made at the top of the temp dir.
	dir, err := os.MkdirTemp("", "dockerfake")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	sock := filepath.Join(dir, "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	return start(t, ln, "unix://"+sock, info, containers)
}

// NewTCP starts a fake engine on a loopback TCP port, as dockerd's -H
// tcp://… serves it (without TLS).
func NewTCP(t testing.TB, info Info, containers ...Container) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return start(t, ln, "tcp://"+ln.Addr().String(), info, containers)
}

// NewTLS starts a fake engine on a loopback TCP port with TLS and client
// certificates required, as dockerd --tlsverify serves it: CAPEM is the
// CA to trust, ClientCertPEM and ClientKeyPEM the client's certificate.
func NewTLS(t testing.TB, info Info, containers ...Container) *Server {
	t.Helper()
	certs := testcert.Issue(t, "labfront")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsLn := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{certs.Server}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: certs.Pool, MinVersion: tls.VersionTLS12})
	s := start(t, tlsLn, "tcp://"+ln.Addr().String(), info, containers)
	s.CAPEM, s.ClientCertPEM, s.ClientKeyPEM = certs.CAPEM, certs.CertPEM, certs.KeyPEM
	return s
}

func start(t testing.TB, ln net.Listener, u string, info Info, containers []Container) *Server {
	s := &Server{URL: u, t: t, info: info, fail: map[string]failure{}, now: time.Now}
	for _, c := range containers {
		s.add(c)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_ping", s.ping)
	mux.HandleFunc("HEAD /_ping", s.ping)
	mux.HandleFunc("GET /info", s.getInfo)
	mux.HandleFunc("GET /containers/json", s.list)
	mux.HandleFunc("GET /containers/{id}/json", s.inspect)
	mux.HandleFunc("POST /containers/{id}/restart", s.restart)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("dockerfake: unexpected request %s %s", r.Method, r.URL.Path)
		s.error(w, http.StatusNotFound, "page not found")
	})
	s.srv = &http.Server{Handler: s.versioned(mux), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(s.Close)
	return s
}

// Close stops the engine: the socket refuses connections from now on.
func (s *Server) Close() { _ = s.srv.Close() }

// add gives c an id as dockerd does: 64 hex digits.
func (s *Server) add(c Container) {
	sum := sha256.Sum256([]byte("dockerfake:" + c.Name))
	s.containers = append(s.containers, &container{Container: c, id: hex.EncodeToString(sum[:]), created: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)})
}

// ID is the id the fake gave the container named name.
func (s *Server) ID(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.containers {
		if c.Name == name {
			return c.id
		}
	}
	s.t.Fatalf("dockerfake: no container %q", name)
	return ""
}

// Calls are the requests received, in order; pings included.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Fail makes every request for method and path (unversioned, with the
// container's id or name as sent) answer code with message; code 0
// ends the failure.
func (s *Server) Fail(method, path string, code int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		delete(s.fail, method+" "+path)
		return
	}
	s.fail[method+" "+path] = failure{code, message}
}

// SetState changes a container's state and health.
func (s *Server) SetState(name, state, health string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.containers {
		if c.Name == name {
			c.State, c.Health = state, health
			return
		}
	}
	s.t.Fatalf("dockerfake: no container %q", name)
}

// State is a container's state now.
func (s *Server) State(name string) Container {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.containers {
		if c.Name == name {
			return c.Container
		}
	}
	s.t.Fatalf("dockerfake: no container %q", name)
	return Container{}
}

var versionPrefix = regexp.MustCompile(`^/v([0-9]+\.[0-9]+)(/.*)$`)

// versioned strips and checks the API version of the path, records the
// call and applies injected failures.
func (s *Server) versioned(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		call := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query()}
		if m := versionPrefix.FindStringSubmatch(r.URL.Path); m != nil {
			call.Version, call.Path = m[1], m[2]
		}
		s.mu.Lock()
		s.calls = append(s.calls, call)
		f, failing := s.fail[call.Method+" "+call.Path]
		s.mu.Unlock()
		if call.Version != "" {
			switch {
			case versionLess(APIVersion, call.Version):
				s.error(w, http.StatusBadRequest, fmt.Sprintf("client version %s is too new. Maximum supported API version is %s", call.Version, APIVersion))
				return
			case versionLess(call.Version, MinAPIVersion):
				s.error(w, http.StatusBadRequest, fmt.Sprintf("client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version", call.Version, MinAPIVersion))
				return
			}
		}
		if failing {
			s.error(w, f.code, f.msg)
			return
		}
		r.URL.Path = call.Path
		w.Header().Set("Api-Version", APIVersion)
		w.Header().Set("Server", "Docker/"+s.info.ServerVersion+" (linux)")
		next.ServeHTTP(w, r)
	})
}

func versionLess(a, b string) bool {
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

// checkQuery fails the test for a parameter the endpoint does not take.
func (s *Server) checkQuery(w http.ResponseWriter, r *http.Request, allowed ...string) bool {
	for k := range r.URL.Query() {
		if !slices.Contains(allowed, k) {
			s.t.Errorf("dockerfake: %s %s: unexpected parameter %q", r.Method, r.URL.Path, k)
			s.error(w, http.StatusBadRequest, "unexpected parameter "+k)
			return false
		}
	}
	return true
}

func (s *Server) ping(w http.ResponseWriter, r *http.Request) {
	if !s.checkQuery(w, r) {
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Pragma", "no-cache")
	h.Set("Docker-Experimental", "false")
	h.Set("Ostype", "linux")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method == http.MethodHead {
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	}
	_, _ = w.Write([]byte("OK"))
}

func (s *Server) getInfo(w http.ResponseWriter, r *http.Request) {
	if !s.checkQuery(w, r) {
		return
	}
	s.mu.Lock()
	running := 0
	for _, c := range s.containers {
		if c.State == "running" {
			running++
		}
	}
	body := map[string]any{
		"ID": "7TRN:IPZB:QYBB:VPBQ:UWS4:CGF3:2JDE:HXQL:DUBW:ASGD:ENJM:R5OG", "Name": s.info.Name,
		"Containers": len(s.containers), "ContainersRunning": running, "NCPU": s.info.NCPU, "MemTotal": s.info.MemTotal,
		"OperatingSystem": s.info.OperatingSystem, "OSType": "linux", "Architecture": "x86_64", "ServerVersion": s.info.ServerVersion,
		"KernelVersion": "6.1.0-27-amd64", "Driver": "overlay2", "DockerRootDir": "/var/lib/docker",
	}
	s.mu.Unlock()
	s.json(w, http.StatusOK, body)
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	if !s.checkQuery(w, r, "all", "limit", "size", "filters") {
		return
	}
	q := r.URL.Query()
	all := q.Get("all") == "1" || q.Get("all") == "true"
	if q.Get("filters") != "" {
		var filters map[string][]string
		if err := json.Unmarshal([]byte(q.Get("filters")), &filters); err != nil {
			s.error(w, http.StatusBadRequest, "invalid filter: "+err.Error())
			return
		}
		s.t.Errorf("dockerfake: filters are not implemented: %s", q.Get("filters"))
	}
	s.mu.Lock()
	out := []map[string]any{}
	for _, c := range s.containers {
		if !all && c.State != "running" {
			continue
		}
		labels := c.Labels
		if labels == nil {
			labels = map[string]string{}
		}
		out = append(out, map[string]any{
			"Id": c.id, "Names": []string{"/" + c.Name}, "Image": c.Image, "ImageID": "sha256:" + strings.Repeat("ab", 32),
			"Command": "/entrypoint.sh", "Created": c.created.Unix(), "Ports": []any{}, "Labels": labels,
			"State": c.State, "Status": s.status(c), "HostConfig": map[string]any{"NetworkMode": "bridge"},
			"NetworkSettings": map[string]any{"Networks": map[string]any{"bridge": map[string]any{"IPAddress": "172.17.0.2"}}},
			"Mounts":          []any{},
		})
	}
	s.mu.Unlock()
	s.json(w, http.StatusOK, out)
}

// status is the human text `docker ps` shows, which the list carries.
func (s *Server) status(c *container) string {
	up := s.now().Sub(c.StartedAt).Round(time.Second)
	switch c.State {
	case "running", "paused":
		text := "Up " + human(up)
		if c.State == "paused" {
			text += " (Paused)"
		} else if c.Health != "" {
			if c.Health == "starting" {
				text += " (health: starting)"
			} else {
				text += " (" + c.Health + ")"
			}
		}
		return text
	case "restarting":
		return fmt.Sprintf("Restarting (%d) %s ago", c.ExitCode, human(up))
	case "exited":
		return fmt.Sprintf("Exited (%d) %s ago", c.ExitCode, human(up))
	case "created":
		return "Created"
	}
	return "Dead"
}

func human(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "Less than a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return fmt.Sprintf("%d days", d/(24*time.Hour))
}

// find resolves a container reference as dockerd does: full id, name
// (with or without its slash), then a unique id prefix.
func (s *Server) find(ref string) (*container, string) {
	ref = strings.TrimPrefix(ref, "/")
	for _, c := range s.containers {
		if c.id == ref || c.Name == ref {
			return c, ""
		}
	}
	var hits []*container
	for _, c := range s.containers {
		if ref != "" && strings.HasPrefix(c.id, ref) {
			hits = append(hits, c)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], ""
	case 0:
		return nil, "No such container: " + ref
	}
	return nil, fmt.Sprintf("multiple IDs found with provided prefix: %s", ref)
}

func (s *Server) inspect(w http.ResponseWriter, r *http.Request) {
	if !s.checkQuery(w, r, "size") {
		return
	}
	s.mu.Lock()
	c, why := s.find(r.PathValue("id"))
	if c == nil {
		s.mu.Unlock()
		s.error(w, http.StatusNotFound, why)
		return
	}
	state := map[string]any{
		"Status": c.State, "Running": c.State == "running" || c.State == "paused", "Paused": c.State == "paused",
		"Restarting": c.State == "restarting", "OOMKilled": false, "Dead": c.State == "dead", "Pid": 0,
		"ExitCode": c.ExitCode, "Error": "", "StartedAt": timeText(c.StartedAt), "FinishedAt": "0001-01-01T00:00:00Z",
	}
	if c.State == "running" {
		state["Pid"] = 4242
	}
	if c.Health != "" {
		state["Health"] = map[string]any{"Status": c.Health, "FailingStreak": map[bool]int{true: 3}[c.Health == "unhealthy"], "Log": []any{}}
	}
	labels := c.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	body := map[string]any{
		"Id": c.id, "Created": c.created.Format(time.RFC3339Nano), "Path": "/entrypoint.sh", "Args": []string{},
		"State": state, "Image": "sha256:" + strings.Repeat("ab", 32), "Name": "/" + c.Name, "RestartCount": c.RestartCount,
		"Driver": "overlay2", "Platform": "linux",
		"HostConfig":      map[string]any{"NanoCpus": c.NanoCPUs, "Memory": c.Memory, "RestartPolicy": map[string]any{"Name": "unless-stopped", "MaximumRetryCount": 0}},
		"Config":          map[string]any{"Hostname": c.id[:12], "Image": c.Image, "Labels": labels},
		"NetworkSettings": map[string]any{"Networks": map[string]any{}},
	}
	s.mu.Unlock()
	s.json(w, http.StatusOK, body)
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func (s *Server) restart(w http.ResponseWriter, r *http.Request) {
	if !s.checkQuery(w, r, "t", "signal") {
		return
	}
	if t := r.URL.Query().Get("t"); t != "" {
		if _, err := strconv.Atoi(t); err != nil {
			s.error(w, http.StatusBadRequest, fmt.Sprintf("invalid value for t: %q", t))
			return
		}
	}
	s.mu.Lock()
	c, why := s.find(r.PathValue("id"))
	if c == nil {
		s.mu.Unlock()
		s.error(w, http.StatusNotFound, why)
		return
	}
	c.State, c.ExitCode, c.StartedAt = "running", 0, s.now()
	if c.Health != "" {
		c.Health = "starting"
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) json(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.t.Errorf("dockerfake: encode: %v", err)
	}
}

func (s *Server) error(w http.ResponseWriter, code int, msg string) {
	s.json(w, code, map[string]string{"message": msg})
}
