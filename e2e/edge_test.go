package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

// The edge worker (web/edge/worker.ts, bundled into dist/_worker.js) under
// the real Workers runtime: wrangler pages dev runs workerd with the
// worker, env.ASSETS, a local KV namespace and the vars, exactly as Pages
// runs them.

const (
	wranglerVersion = sitetest.WranglerVersion
	// compatDate must be given: wrangler's default is today, which is newer
	// than the runtime it bundles.
	compatDate = "2026-04-01"
)

// wranglerBin finds the pinned wrangler that e2e/install-deps.sh installs.
// Outside CI a missing wrangler skips the test; with CI=true it fails it,
// as for chromium.
func wranglerBin(t *testing.T) string {
	t.Helper()
	dir, err := sitetest.WranglerDir()
	if err != nil {
		t.Fatalf("find the cache directory for wrangler: %v", err)
	}
	bin := filepath.Join(dir, "node_modules", ".bin", "wrangler")
	_, statErr := os.Stat(bin)
	_, nodeErr := exec.LookPath("node")
	if statErr == nil && nodeErr == nil {
		return bin
	}
	why := fmt.Sprintf("wrangler@%s is not installed in %s", wranglerVersion, dir)
	if nodeErr != nil {
		why = "node is not installed"
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: edge tests must run); run e2e/install-deps.sh", why)
	}
	t.Skipf("%s; `make test` installs it", why)
	return ""
}

// edge is a running `wrangler pages dev`.
type edge struct {
	URL     string
	bin     string
	dir     string // working directory
	persist string // local KV, cache and other state
	env     []string
	log     *sitetest.SyncBuffer
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// startEdge runs wrangler pages dev in dir with args (the site directory
// and bindings; the port, address and state are added here) and waits,
// at most a minute, until it serves the home page.
func startEdge(t *testing.T, dir string, args ...string) *edge {
	t.Helper()
	e := &edge{bin: wranglerBin(t), dir: dir, persist: filepath.Join(t.TempDir(), "state"), log: &sitetest.SyncBuffer{}}
	cfg := t.TempDir()
	e.env = append(os.Environ(),
		"WRANGLER_SEND_METRICS=false",
		"CLOUDFLARE_CF_FETCH_ENABLED=false",
		"XDG_CONFIG_HOME="+cfg,
		"WRANGLER_LOG_PATH="+filepath.Join(cfg, "logs"),
		"NO_COLOR=1",
	)
	port := freePort(t)
	e.URL = "http://127.0.0.1:" + strconv.Itoa(port)
	args = append([]string{"pages", "dev"}, args...)
	args = append(args, "--port", strconv.Itoa(port), "--ip", "127.0.0.1",
		"--inspector-port", strconv.Itoa(freePort(t)), "--persist-to", e.persist,
		"--show-interactive-dev-session=false", "--log-level", "log")
	cmd := exec.Command(e.bin, args...)
	cmd.Dir = dir
	cmd.Env = e.env
	cmd.Stdout, cmd.Stderr = e.log, e.log
	// Its own process group: wrangler starts workerd, and both must go.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A child that outlives wrangler keeps the output pipe open; Wait must
	// not wait for it forever.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start wrangler: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		stopGroup(t, cmd.Process.Pid, exited)
		if t.Failed() {
			t.Logf("wrangler output:\n%s", e.log.String())
		}
	})

	start := time.Now()
	client := &http.Client{Timeout: 5 * time.Second}
	for deadline := start.Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		select {
		case err := <-exited:
			t.Fatalf("wrangler exited before it was ready (%v):\n%s", err, e.log.String())
		default:
		}
		if res, err := client.Get(e.URL + "/"); err == nil {
			drain(res)
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("wrangler was not ready after a minute:\n%s", e.log.String())
		}
	}
	t.Logf("wrangler pages dev ready in %v", time.Since(start).Round(time.Millisecond))
	return e
}

// stopGroup ends the process group of pid: politely, then for good.
func stopGroup(t *testing.T, pid int, exited <-chan error) {
	t.Helper()
	if err := syscall.Kill(-pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Errorf("stop wrangler: %v", err)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			t.Errorf("kill wrangler: %v", err)
		}
		<-exited
	}
	// workerd may outlive wrangler by a moment; the group id is still ours.
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill the rest of wrangler's group: %v", err)
	}
}

// kvPut writes a value into the local SNAPSHOTS namespace that the running
// pages dev reads; both commands share the state folder. which selects the
// namespace: `wrangler pages dev --kv SNAPSHOTS` names it after its binding
// ("--namespace-id", "SNAPSHOTS"); with a wrangler.toml it is the id there,
// which "--binding", "SNAPSHOTS" looks up.
func (e *edge) kvPut(t *testing.T, key string, value []byte, which ...string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "value.json")
	if err := os.WriteFile(file, value, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if len(which) == 0 {
		which = []string{"--namespace-id", "SNAPSHOTS"}
	}
	args := append([]string{"kv", "key", "put", key, "--path", file, "--local", "--persist-to", e.persist}, which...)
	cmd := exec.CommandContext(ctx, e.bin, args...)
	cmd.Dir = e.dir
	cmd.Env = e.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wrangler kv key put %s: %v\n%s", key, err, out)
	}
}

func drain(res *http.Response) {
	_, _ = io.Copy(io.Discard, res.Body) // only the status matters
	_ = res.Body.Close()
}

// answer is one response of the worker, read whole.
type answer struct {
	Status   int
	Header   http.Header
	Body     []byte
	Duration time.Duration
}

func request(t *testing.T, method, u string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Timeout: 20 * time.Second}
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, u, err)
	}
	return answer{Status: res.StatusCode, Header: res.Header, Body: body, Duration: time.Since(start)}
}

// statusJSON is what the worker answers for /api/v1/status, live or not.
type statusJSON struct {
	Version     int    `json:"version"`
	GeneratedAt string `json:"generated_at"`
	Nodes       map[string]struct {
		Status    string `json:"status"`
		CheckedAt string `json:"checked_at"`
	} `json:"nodes"`
	Stale      bool            `json:"stale"`
	StaleSince *string         `json:"stale_since"`
	Snapshot   json.RawMessage `json:"snapshot"`
}

func (a answer) status(t *testing.T) statusJSON {
	t.Helper()
	var s statusJSON
	if err := json.Unmarshal(a.Body, &s); err != nil {
		t.Fatalf("status answer is not JSON (%v): %s", err, a.Body)
	}
	if len(s.Nodes) == 0 {
		t.Fatalf("status answer has no nodes: %s", a.Body)
	}
	return s
}

var snapshotHeader = regexp.MustCompile(`^(cache|kv|static); age=(\d+|unknown)$`)

// fallbackFrom checks an answer is a fallback from source and returns its
// age in seconds (-1 when unknown).
func (a answer) fallbackFrom(t *testing.T, source string) int {
	t.Helper()
	h := a.Header.Get("X-Labfront-Snapshot")
	m := snapshotHeader.FindStringSubmatch(h)
	if a.Status != http.StatusOK || m == nil || m[1] != source {
		t.Fatalf("want a fallback from %s, got %d with X-Labfront-Snapshot %q: %s", source, a.Status, h, a.Body)
	}
	s := a.status(t)
	if !s.Stale || s.StaleSince == nil && m[2] != "unknown" {
		t.Errorf("a fallback from %s does not say it is stale and since when: %s", source, a.Body)
	}
	if m[2] == "unknown" {
		return -1
	}
	age, err := strconv.Atoi(m[2])
	if err != nil {
		t.Fatal(err)
	}
	return age
}

// snapshotFile is a status snapshot of the example lab under its internal
// ids, as the admin server writes it: vault is a private node, and the
// detail is internal; neither may reach the public.
const snapshotFile = `{"version": 1, "generated_at": "2026-11-20T10:00:00Z", "nodes": {
  "pve-io": {"status": "up", "checked_at": "2026-11-20T09:59:30Z", "detail": "load 0.4 on 10.10.0.11"},
  "mon-io": {"status": "down", "checked_at": "2026-11-20T09:58:00Z"},
  "vault": {"status": "up", "checked_at": "2026-11-20T09:59:00Z"}}}
`

// buildWithSnapshot builds the example site coloured by snapshotFile.
func buildWithSnapshot(t *testing.T) string {
	t.Helper()
	snap := filepath.Join(t.TempDir(), "snapshot.json")
	if err := os.WriteFile(snap, []byte(snapshotFile), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dist")
	if _, err := web.Build(context.Background(), web.Options{Src: "..", Out: out, Snapshot: snap, Static: static.FS(), Islands: web.Islands()}); err != nil {
		t.Fatalf("build example: %v", err)
	}
	return out
}

func demoSource() live.Source {
	return live.Source{Name: "demo", Type: "demo", Interval: 500 * time.Millisecond, Timeout: time.Second}
}

// serveAdminOn runs the real admin server in dev mode on the example site,
// on a listener made beforehand.
func serveAdminOn(t *testing.T, ln net.Listener) func() {
	t.Helper()
	cfg := &adminconfig.Config{Site: "..", StateDir: t.TempDir(), Concurrency: 2, Auth: adminconfig.Auth{Mode: adminconfig.ModeDev}, Sources: []live.Source{demoSource()}}
	return serveAdmin(t, ln, cfg, testLog{t})
}

// TestEdgeFallback walks the worker through an outage and a recovery with
// the real admin server as the origin: static file, KV, live, cache.
func TestEdgeFallback(t *testing.T) {
	dist := buildWithSnapshot(t)
	// The origin's address exists from the start, but nothing accepts on
	// it yet: the kernel takes the connection and no answer ever comes,
	// which is a hung homelab.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := "http://" + ln.Addr().String()
	const timeout = 1000 * time.Millisecond
	e := startEdge(t, t.TempDir(), dist, "--compatibility-date="+compatDate, "--kv", "SNAPSHOTS",
		"--binding", "ORIGIN_URL="+origin, "--binding", fmt.Sprintf("ORIGIN_TIMEOUT_MS=%d", timeout.Milliseconds()))
	statusURL := e.URL + "/api/v1/status"

	var baked statusJSON
	if err := json.Unmarshal(readFile(t, filepath.Join(dist, "snapshot.json")), &baked); err != nil {
		t.Fatal(err)
	}

	// 1. The lab hangs, nothing in cache or KV: the build's snapshot, once
	// the time limit is up and not long after.
	a := request(t, http.MethodGet, statusURL)
	age := a.fallbackFrom(t, "static")
	if a.Duration < timeout-100*time.Millisecond || a.Duration > timeout+2500*time.Millisecond {
		t.Errorf("the static fallback came after %v; the time limit is %v", a.Duration, timeout)
	}
	s := a.status(t)
	if want := time.Since(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)).Seconds(); float64(age) < want-60 || float64(age) > want+60 {
		t.Errorf("static fallback age = %d s, want about %.0f (since the snapshot's generated_at)", age, want)
	}
	if s.StaleSince == nil || *s.StaleSince != "2026-11-20T10:00:00Z" {
		t.Errorf("static fallback stale_since = %v, want the snapshot's generated_at", s.StaleSince)
	}
	if s.Nodes["pve-io"].Status != "up" || s.Nodes["mon-io"].Status != "down" || len(s.Nodes) != len(baked.Nodes) {
		t.Errorf("static fallback nodes differ from snapshot.json: %s", a.Body)
	}
	for _, private := range []string{"vault", "10.10.0.11", "detail"} {
		if bytes.Contains(a.Body, []byte(private)) {
			t.Errorf("the static fallback reveals %q: %s", private, a.Body)
		}
	}

	// 2. A non-GET never falls back.
	for _, path := range []string{"/api/v1/status", "/api/v1/nodes/pve-io/actions/reboot"} {
		a = request(t, http.MethodPost, e.URL+path, "Content-Type", "application/json")
		var e503 struct{ Error, Message string }
		if err := json.Unmarshal(a.Body, &e503); err != nil || a.Status != http.StatusServiceUnavailable ||
			!strings.HasPrefix(a.Header.Get("Content-Type"), "application/json") || e503.Error != "homelab unreachable" || !strings.Contains(e503.Message, "cannot be reached") {
			t.Errorf("POST %s with the lab down: %d %q %s", path, a.Status, a.Header.Get("Content-Type"), a.Body)
		}
		if a.Header.Get("X-Labfront-Snapshot") != "" {
			t.Errorf("POST %s was answered from a snapshot", path)
		}
	}

	// 3. A snapshot in KV is preferred to the static file, and only its
	// public fields pass.
	e.kvPut(t, "status", []byte(`{"version": 1, "generated_at": "2026-11-25T08:00:00Z", "internal_note": "rack B",
		"nodes": {"pve-io": {"status": "down", "checked_at": "2026-11-25T07:59:00Z", "detail": "ssh on 10.10.0.11 refused"}, "mon-io": {"status": "up"}}}`))
	a = request(t, http.MethodGet, statusURL)
	a.fallbackFrom(t, "kv")
	s = a.status(t)
	if s.Nodes["pve-io"].Status != "down" || s.Nodes["mon-io"].Status != "up" || s.StaleSince == nil || *s.StaleSince != "2026-11-25T08:00:00Z" {
		t.Errorf("the KV fallback is not the KV snapshot: %s", a.Body)
	}
	for _, private := range []string{"rack B", "internal_note", "10.10.0.11"} {
		if bytes.Contains(a.Body, []byte(private)) {
			t.Errorf("the KV fallback passes on %q: %s", private, a.Body)
		}
	}

	// 4. The lab comes back: the live answer, passed through as the admin
	// server gives it.
	stopAdmin := serveAdminOn(t, ln)
	a = request(t, http.MethodGet, statusURL)
	if a.Status != http.StatusOK || a.Header.Get("X-Labfront-Snapshot") != "" {
		t.Fatalf("with the lab up: %d, X-Labfront-Snapshot %q: %s", a.Status, a.Header.Get("X-Labfront-Snapshot"), a.Body)
	}
	liveAnswer := a.status(t)
	if liveAnswer.Snapshot != nil || liveAnswer.StaleSince != nil {
		t.Errorf("the live answer carries fallback fields: %s", a.Body)
	}
	direct := request(t, http.MethodGet, origin+"/api/v1/status")
	if got, want := nodeIDs(liveAnswer), nodeIDs(direct.status(t)); !slices.Equal(got, want) || !slices.Equal(got, nodeIDs(baked)) {
		t.Errorf("live nodes through the worker %q, from the admin server %q, in snapshot.json %q", got, want, nodeIDs(baked))
	}

	// 5. The lab goes away (connection refused): the worker's copy of the
	// last good answer, at once, ahead of KV. The copy is stored after the
	// answer is sent, so give it a moment.
	stopAdmin()
	var cached answer
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		cached = request(t, http.MethodGet, statusURL)
		if strings.HasPrefix(cached.Header.Get("X-Labfront-Snapshot"), "cache;") || time.Now().After(deadline) {
			break
		}
	}
	if age := cached.fallbackFrom(t, "cache"); age < 0 || age > 120 {
		t.Errorf("the cached copy is %d s old; it was fetched moments ago", age)
	}
	if cached.Duration > timeout {
		t.Errorf("with the origin refusing connections the fallback took %v", cached.Duration)
	}
	if got := cached.status(t); !slices.Equal(nodeIDs(got), nodeIDs(liveAnswer)) || got.Nodes["pve-io"] != liveAnswer.Nodes["pve-io"] {
		t.Errorf("the cached copy is not the last live answer:\n%s\nlive:\n%s", cached.Body, a.Body)
	}

	// 6. Everything else is the static site, as Pages serves it.
	for path, want := range map[string]int{"/": 200, "/status/": 200, "/architecture/": 200, "/snapshot.json": 200, "/no/such/page/": 404} {
		if a := request(t, http.MethodGet, e.URL+path); a.Status != want {
			t.Errorf("GET %s = %d, want %d", path, a.Status, want)
		}
	}
	if a := request(t, http.MethodGet, e.URL+"/status/"); !bytes.Contains(a.Body, []byte("Lab status")) || !strings.HasPrefix(a.Header.Get("Content-Type"), "text/html") {
		t.Errorf("/status/ through the worker: %q %.200s", a.Header.Get("Content-Type"), a.Body)
	}
}

func nodeIDs(s statusJSON) []string {
	ids := make([]string, 0, len(s.Nodes))
	for id := range s.Nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEdgeOriginAnswers: which answers of the origin count as the lab
// being down, and who gets the Access service token.
func TestEdgeOriginAnswers(t *testing.T) {
	dist := buildExample(t)
	var code atomic.Int32
	code.Store(http.StatusOK)
	type seen struct{ path, id, secret string }
	var mu sync.Mutex
	var got []seen
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, seen{r.URL.Path, r.Header.Get("CF-Access-Client-Id"), r.Header.Get("CF-Access-Client-Secret")})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(code.Load()))
		fmt.Fprintf(w, `{"version": 1, "generated_at": "2026-11-25T09:00:00Z", "nodes": {"pve-io": {"status": "up"}}, "sources": [], "stale": false, "code": %d}`, code.Load())
	}))
	t.Cleanup(origin.Close)
	e := startEdge(t, t.TempDir(), dist, "--compatibility-date="+compatDate, "--kv", "SNAPSHOTS",
		"--binding", "ORIGIN_URL="+origin.URL+"/", "--binding", "CF_ACCESS_CLIENT_ID=edge-id.access", "--binding", "CF_ACCESS_CLIENT_SECRET=s3cret-value")

	for _, c := range []struct {
		code     int
		fallback bool
	}{
		// A 500 of the status falls back too (worker.ts, proxy): a
		// snapshot says more than the admin server's failure.
		{200, false}, {404, false}, {500, true}, {501, false}, {502, true}, {503, true}, {504, true}, {520, true}, {522, true}, {530, true},
	} {
		code.Store(int32(c.code))
		a := request(t, http.MethodGet, e.URL+"/api/v1/status")
		via := a.Header.Get("X-Labfront-Snapshot")
		switch {
		case c.fallback && (a.Status != 200 || !snapshotHeader.MatchString(via)):
			t.Errorf("origin %d: want a fallback, got %d %q", c.code, a.Status, via)
		case !c.fallback && (a.Status != c.code || via != "" || !bytes.Contains(a.Body, []byte(fmt.Sprintf(`"code": %d`, c.code)))):
			t.Errorf("origin %d: want it passed through, got %d %q %s", c.code, a.Status, via, a.Body)
		}
	}
	if bytes.Contains(request(t, http.MethodGet, e.URL+"/api/v1/status").Body, []byte("s3cret")) {
		t.Error("an answer carries the Access secret")
	}

	// Any other route gets the admin server's own 500, which says what
	// went wrong (for an action: whether it ran); a gateway failure there
	// is a 503 that never falls back.
	for _, c := range []struct {
		method, path string
		code, want   int
	}{
		{http.MethodGet, "/api/v1/snapshot", 500, 500},
		{http.MethodPost, "/api/v1/nodes/pve-io/actions/reboot", 500, 500},
		{http.MethodPost, "/api/v1/status", 500, 500},
		{http.MethodGet, "/api/v1/snapshot", 502, 503},
		{http.MethodPost, "/api/v1/nodes/pve-io/actions/reboot", 530, 503},
	} {
		code.Store(int32(c.code))
		a := request(t, c.method, e.URL+c.path)
		passed := bytes.Contains(a.Body, []byte(fmt.Sprintf(`"code": %d`, c.code)))
		if a.Status != c.want || a.Header.Get("X-Labfront-Snapshot") != "" || passed != (c.want == c.code) {
			t.Errorf("%s %s, origin %d: got %d %q %s; want %d", c.method, c.path, c.code, a.Status, a.Header.Get("X-Labfront-Snapshot"), a.Body, c.want)
		}
	}

	// The service token goes with reads of the public status only; a
	// visitor's own token headers never pass.
	code.Store(http.StatusOK)
	mu.Lock()
	got = nil
	mu.Unlock()
	request(t, http.MethodGet, e.URL+"/api/v1/status")
	request(t, http.MethodGet, e.URL+"/api/v1/snapshot", "CF-Access-Client-Id", "visitor", "CF-Access-Client-Secret", "guess")
	request(t, http.MethodPost, e.URL+"/api/v1/status")
	mu.Lock()
	defer mu.Unlock()
	want := []seen{{"/api/v1/status", "edge-id.access", "s3cret-value"}, {"/api/v1/snapshot", "", ""}, {"/api/v1/status", "", ""}}
	if !slices.Equal(got, want) {
		t.Errorf("the origin saw %+v, want %+v", got, want)
	}
	if strings.Contains(e.log.String(), "s3cret-value") {
		t.Error("wrangler's log shows the Access secret")
	}
}

// TestEdgeWranglerConfig runs the repository's own wrangler.toml: wrangler
// must accept it as a Pages configuration, bind SNAPSHOTS and the vars,
// and serve the worker from pages_build_output_dir.
func TestEdgeWranglerConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), readFile(t, "../wrangler.toml"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := web.Build(context.Background(), web.Options{Src: "..", Out: filepath.Join(dir, "dist"), Static: static.FS(), Islands: web.Islands()}); err != nil {
		t.Fatal(err)
	}
	// The example ORIGIN_URL is not a real host: point it at a closed port
	// so nothing leaves the machine.
	e := startEdge(t, dir, "--binding", fmt.Sprintf("ORIGIN_URL=http://127.0.0.1:%d", freePort(t)))
	for _, want := range []string{"env.SNAPSHOTS", "KV Namespace", "env.ORIGIN_URL", "env.ORIGIN_TIMEOUT_MS (\"1500\")"} {
		if !strings.Contains(e.log.String(), want) {
			t.Errorf("wrangler's bindings lack %s:\n%s", want, e.log.String())
		}
	}
	request(t, http.MethodGet, e.URL+"/api/v1/status").fallbackFrom(t, "static")
	// The KV binding of wrangler.toml is the one the worker reads.
	e.kvPut(t, "status", []byte(`{"version": 1, "generated_at": "2026-11-25T08:00:00Z", "nodes": {"pve-io": {"status": "down"}}}`), "--binding", "SNAPSHOTS")
	a := request(t, http.MethodGet, e.URL+"/api/v1/status")
	a.fallbackFrom(t, "kv")
	if a.status(t).Nodes["pve-io"].Status != "down" {
		t.Errorf("the KV fallback is not the value put through wrangler.toml's binding: %s", a.Body)
	}
}

// withoutOrigin is for the browser tests that run without workerd: it
// answers /api/ as the edge worker in dist/_worker.js does when the lab is
// out of reach and it has nothing but the build's snapshot (the worker
// itself is tested under workerd above). Everything else goes to next.
func withoutOrigin(dist string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		data, err := os.ReadFile(filepath.Join(dist, "snapshot.json"))
		if r.URL.Path != "/api/v1/status" || r.Method != http.MethodGet || err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error":"homelab unreachable"}`)
			return
		}
		var snap struct {
			GeneratedAt time.Time `json:"generated_at"`
		}
		age := "unknown"
		if json.Unmarshal(data, &snap) == nil && !snap.GeneratedAt.IsZero() {
			age = strconv.Itoa(int(time.Since(snap.GeneratedAt).Seconds()))
		}
		w.Header().Set("X-Labfront-Snapshot", "static; age="+age)
		_, _ = w.Write(data) // a failed write means the browser left
	})
}

// cspProxy serves the worker to a browser over plain http: the site's
// policy says upgrade-insecure-requests, which would send every asset
// request to https. Everything else passes through untouched.
func cspProxy(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(res *http.Response) error {
		if p := res.Header.Get("Content-Security-Policy"); p != "" {
			res.Header.Set("Content-Security-Policy", strings.ReplaceAll(p, "; upgrade-insecure-requests", ""))
		}
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return srv.URL
}
