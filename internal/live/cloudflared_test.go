package live

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudflare/cloudflare-go/v6/option"

	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/internal/testkit/cftest"
)

// fakeCloudflared serves /ready as cloudflared's metrics server does.
type fakeCloudflared struct {
	mu     sync.Mutex
	status int
	body   string
	hits   int
}

func (f *fakeCloudflared) set(status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.body = status, body
}

func (f *fakeCloudflared) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path != "/ready" {
		http.NotFound(w, r)
		return
	}
	f.hits++
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.status)
	_, _ = w.Write([]byte(f.body))
}

func readyBody(n int) string {
	status := 200
	if n == 0 {
		status = 503
	}
	return `{"status":` + strconv.Itoa(status) + `,"readyConnections":` + strconv.Itoa(n) + `,"connectorId":"0b4d2f0e-5d0a-4c7f-9c61-3a4e8c0d1f2a"}`
}

func TestCloudflaredCollect(t *testing.T) {
	t.Parallel()
	opened := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	four := []cftest.Connection{
		{ClientID: "c1", ColoName: "fra02", OpenedAt: opened}, {ClientID: "c1", ColoName: "ams01", OpenedAt: opened},
		{ClientID: "c1", ColoName: "fra02", OpenedAt: opened}, {ClientID: "c1", ColoName: "ams01", OpenedAt: opened},
	}
	for _, tc := range []struct {
		name   string
		status int
		body   string
		down   bool // cloudflared is not running
		api    bool
		token  string
		conns  []cftest.Connection
		want   string // "" for a live source; else a part of the error
		reject string // must not be in the error
	}{
		{name: "ready", status: 200, body: readyBody(4)},
		{name: "not ready", status: 503, body: readyBody(0), want: "not ready: 0 connections to Cloudflare's edge (cloudflared /ready answered 503)"},
		{name: "not running", down: true, want: "unreachable (connection refused): is cloudflared running with --metrics 127.0.0.1:"},
		{name: "not cloudflared", status: 200, body: "<html>hello</html>", want: "answered 200 without cloudflared's JSON"},
		{name: "server error", status: 500, body: "oops", want: "/ready answered HTTP 500"},
		{name: "ready, API agrees", status: 200, body: readyBody(4), api: true, conns: four},
		{name: "ready, API lists none", status: 200, body: readyBody(4), api: true,
			want: "4 connections; cloudflared reports 4 connections but the Cloudflare API lists none for tunnel"},
		{name: "not ready, other connectors", status: 503, body: readyBody(0), api: true, conns: four[:2],
			want: "not ready: 0 connections to Cloudflare's edge (cloudflared /ready answered 503); the Cloudflare API lists 2 connections (ams01, fra02) from other connectors"},
		{name: "API refuses the token", status: 200, body: readyBody(4), api: true, token: "wrong-api-token", conns: four,
			want: "4 connections; the Cloudflare API could not be asked: list the tunnel's connections: Cloudflare refused the API token", reject: "wrong-api-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeCloudflared{status: tc.status, body: tc.body}
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			if tc.down {
				srv.Close()
			}
			src := Source{Name: "tunnel", Type: "cloudflared", URL: srv.URL, Timeout: 2 * time.Second}
			if tc.api {
				api := cftest.New(t, cftest.Options{})
				id := api.CreateTunnel(t, "labfront")
				api.SetConnections(id, tc.conns)
				src.Secret = cftest.DefaultToken
				if tc.token != "" {
					src.Secret = tc.token
				}
				src.Options = CloudflareAPI{AccountID: cftest.DefaultAccountID, BaseURL: api.APIBase, TunnelID: id, Options: []option.RequestOption{option.WithMaxRetries(0)}}
			}
			c, err := NewCloudflared(src)
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.Collect(context.Background())
			if tc.want == "" {
				if err != nil || res == nil {
					t.Fatalf("Collect = %v, %v; want a live result", res, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			if tc.reject != "" && strings.Contains(err.Error(), tc.reject) {
				t.Errorf("err contains %q: %v", tc.reject, err)
			}
		})
	}
}

// The poller records the outcome: a tunnel that goes down turns the
// source stale with the reason, one that comes back turns it live.
func TestCloudflaredThroughPoller(t *testing.T) {
	t.Parallel()
	fake := &fakeCloudflared{status: 200, body: readyBody(4)}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	src := Source{Name: "tunnel", Type: "cloudflared", URL: srv.URL + "/", Interval: time.Minute, Timeout: time.Second}
	store, err := OpenStore(testFiles(t), t.TempDir(), []Source{src})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCloudflared(src)
	if err != nil {
		t.Fatal(err)
	}
	p := &Poller{Store: store, Sources: []Source{src}, Collectors: map[string]Collector{"tunnel": c}}
	ctx := context.Background()
	for _, step := range []struct {
		status int
		body   string
		state  string
		errTxt string
	}{
		{200, readyBody(4), StateLive, ""},
		{503, readyBody(0), StateStale, "not ready: 0 connections"},
		{200, readyBody(2), StateLive, ""},
	} {
		fake.set(step.status, step.body)
		_ = p.Once(ctx, src, c) // the outcome is checked in the store
		st, _ := store.Source("tunnel")
		if st.State() != step.state || !strings.Contains(st.LastError, step.errTxt) {
			t.Errorf("after /ready %d: state %s, error %q; want %s, %q", step.status, st.State(), st.LastError, step.state, step.errTxt)
		}
	}
	if fake.hits != 3 {
		t.Errorf("/ready was asked %d times, want 3 (the URL's trailing slash must not double)", fake.hits)
	}
}

func TestNewCloudflared(t *testing.T) {
	t.Parallel()
	c, err := NewCloudflared(Source{Name: "tunnel"})
	if err != nil || c.ready != "http://"+cfapi.CloudflaredMetrics+"/ready" {
		t.Errorf("default URL: %v, %v", c, err)
	}
	if _, err := NewCloudflared(Source{Name: "tunnel", URL: "127.0.0.1:20241"}); err == nil || !strings.Contains(err.Error(), `cloudflared source "tunnel": url must be`) {
		t.Errorf("URL without a scheme: %v", err)
	}
	if _, err := NewCloudflared(Source{Name: "tunnel", Options: CloudflareAPI{TunnelID: "x"}}); err == nil || !strings.Contains(err.Error(), "CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID not set") {
		t.Errorf("tunnel_id without credentials: %v", err)
	}
}

func TestSummariseConnections(t *testing.T) {
	t.Parallel()
	var conns []cfapi.Connection
	for _, colo := range []string{"lhr01", "ams01", "fra02", "cdg03", "ams01", "waw01"} {
		conns = append(conns, cfapi.Connection{Colo: colo})
	}
	for _, tc := range []struct {
		n     int
		conns []cfapi.Connection
		want  string
	}{
		{1, nil, "1 connection"},
		{4, nil, "4 connections"},
		{2, conns[:2], "2 connections (ams01, lhr01)"},
		{6, conns, "6 connections (ams01, cdg03, fra02, lhr01…)"},
	} {
		if got := summariseConnections(tc.n, tc.conns); got != tc.want {
			t.Errorf("summariseConnections(%d, …) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
