package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/testkit/cftest"
)

const testTunnelID = "6ff42ae2-765d-4adf-8112-31c55c1551ef"

func TestCloudflaredSourceConfig(t *testing.T) {
	creds := map[string]string{cfapi.EnvAPIToken: "cf-token", cfapi.EnvAccountID: cftest.DefaultAccountID, cfapi.EnvBaseURL: "http://127.0.0.1:1/client/v4/", "CF_READ": "read-token"}
	for _, tc := range []struct {
		name, source string
		env          map[string]string
		secret       string
		tunnelID     string
		err          string
	}{
		{name: "metrics only", source: "{name: tunnel, type: cloudflared, url: http://127.0.0.1:20241}", env: creds},
		{name: "with the API", source: "{name: tunnel, type: cloudflared, tunnel_id: " + strings.ToUpper(testTunnelID) + "}", env: creds, secret: "cf-token", tunnelID: testTunnelID},
		{name: "a read-only token", source: "{name: tunnel, type: cloudflared, tunnel_id: " + testTunnelID + ", secret_env: CF_READ}", env: creds, secret: "read-token", tunnelID: testTunnelID},
		{name: "no credentials", source: "{name: tunnel, type: cloudflared, tunnel_id: " + testTunnelID + "}", env: map[string]string{},
			err: "cfg.yaml:3: sources[0].tunnel_id: reading the tunnel's connections from the Cloudflare API needs $CLOUDFLARE_API_TOKEN and $CLOUDFLARE_ACCOUNT_ID"},
		{name: "not a UUID", source: "{name: tunnel, type: cloudflared, tunnel_id: labfront}", env: creds,
			err: `sources[0].tunnel_id: must be the tunnel's UUID (labfront tunnel provision prints it), found "labfront"`},
		{name: "on another type", source: "{name: probes, type: probe, tunnel_id: " + testTunnelID + "}", env: creds,
			err: "sources[0].tunnel_id: only cloudflared sources take tunnel_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := adminconfig.Parse([]byte("auth: {mode: dev}\nsources:\n  - "+tc.source+"\n"), "cfg.yaml", env(tc.env))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v\nwant %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			src := cfg.Sources[0]
			cf, _ := src.Options.(live.CloudflareAPI) // zero when the source has no API access
			if src.Secret != tc.secret || cf.TunnelID != tc.tunnelID {
				t.Errorf("secret %q, tunnel %q; want %q, %q", src.Secret, cf.TunnelID, tc.secret, tc.tunnelID)
			}
			if tc.tunnelID != "" && (cf.AccountID != cftest.DefaultAccountID || cf.BaseURL != creds[cfapi.EnvBaseURL]) {
				t.Errorf("API access %+v", cf)
			}
		})
	}
}

// The dashboard's Sources table says why the tunnel is unhealthy.
func TestCloudflaredOnDashboard(t *testing.T) {
	var ready atomic.Int64
	ready.Store(http.StatusServiceUnavailable)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ready" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(int(ready.Load()))
		if ready.Load() == http.StatusOK {
			_, _ = w.Write([]byte(`{"status":200,"readyConnections":4,"connectorId":"x"}`))
			return
		}
		_, _ = w.Write([]byte(`{"status":503,"readyConnections":0,"connectorId":"x"}`))
	}))
	t.Cleanup(fake.Close)
	cfg, err := adminconfig.Parse([]byte("listen: 127.0.0.1:0\nauth: {mode: dev}\nsources:\n  - {name: tunnel, type: cloudflared, url: "+fake.URL+", interval: 15s}\n"), "cfg.yaml", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	// Not the config's default ./state: that would be inside the repository.
	cfg.Site, cfg.StateDir = "..", t.TempDir()
	s := newServer(t, cfg, nil)
	p := s.poller()
	src := cfg.Sources[0]
	if err := p.Once(t.Context(), src, s.collectors["tunnel"]); err == nil {
		t.Fatal("a tunnel that is not ready collected fine")
	}
	page := get(t, s.Handler(), "/admin/", nil).Body.String()
	if !strings.Contains(page, "not ready: 0 connections to Cloudflare&#39;s edge") {
		t.Errorf("the dashboard does not say why the tunnel is down")
	}
	ready.Store(http.StatusOK)
	if err := p.Once(t.Context(), src, s.collectors["tunnel"]); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.store.Source("tunnel"); st.State() != "live" || st.LastError != "" {
		t.Errorf("a ready tunnel: state %s, error %q", st.State(), st.LastError)
	}
	// Healthy, the tunnel still says how it is connected.
	if page := get(t, s.Handler(), "/admin/", nil).Body.String(); !strings.Contains(page, `<td class="muted">4 connections</td>`) {
		t.Error("the dashboard does not show a ready tunnel's connections")
	}
}
