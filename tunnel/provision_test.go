package tunnel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudflare/cloudflare-go/v6/option"

	"github.com/labfront/labfront/deploy"
	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/internal/testkit/cftest"
)

// provisionClient is a client of s that logs into the returned buffer.
func provisionClient(t *testing.T, s *cftest.Server, token string) (*Client, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	cfg := deploy.Config{Credentials: cfapi.Credentials{APIToken: cfapi.Secret(token), AccountID: s.Options().AccountID, BaseURL: s.APIBase, ZoneID: s.Options().ZoneID}}
	c, err := NewClient(cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), option.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	return c, &logs
}

// apiPost calls the fake API directly, to set up state the provisioner
// must cope with.
func apiPost(t *testing.T, s *cftest.Server, path string, body any) map[string]any {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.APIBase+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+cftest.DefaultToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Success bool           `json:"success"`
		Result  map[string]any `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || !env.Success {
		t.Fatalf("POST %s: HTTP %d, decode err %v", path, resp.StatusCode, err)
	}
	return env.Result
}

func TestProvisionTwiceChangesNothing(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	c, logs := provisionClient(t, s, cftest.DefaultToken)
	tokenFile := filepath.Join(t.TempDir(), "cloudflared", "token")
	opts := ProvisionOptions{Hostname: "Admin.Example.com", Listen: "0.0.0.0:8443", TokenFile: tokenFile}

	first, err := c.Provision(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || !first.ConfigUpdated || !first.DNSCreated || first.Token != Created || first.Name != DefaultName {
		t.Fatalf("first run: %+v", first)
	}
	tunnels := s.Tunnels()
	if len(tunnels) != 1 || tunnels[0].Name != DefaultName || tunnels[0].ConfigSrc != "cloudflare" || tunnels[0].ID != first.TunnelID {
		t.Fatalf("tunnels after the first run: %+v", tunnels)
	}
	var cfg struct {
		Ingress []Rule `json:"ingress"`
	}
	if err := json.Unmarshal(tunnels[0].Config, &cfg); err != nil {
		t.Fatal(err)
	}
	want := []Rule{{Hostname: "admin.example.com", Service: "http://127.0.0.1:8443"}, {Service: CatchAll}}
	if !sameRules(cfg.Ingress, want) || cfg.Ingress[1].Hostname != "" {
		t.Errorf("ingress = %+v, want %+v", cfg.Ingress, want)
	}
	recs := s.DNSRecords()
	if len(recs) != 1 || recs[0].Type != "CNAME" || recs[0].Name != "admin.example.com" || recs[0].Content != first.TunnelID+".cfargotunnel.com" || !recs[0].Proxied || recs[0].TTL != 1 {
		t.Fatalf("DNS records = %+v", recs)
	}

	// The token file: mode 0600, the token of this tunnel, and nowhere in
	// the log.
	st, err := os.Stat(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode = %v, want 0600", st.Mode().Perm())
	}
	data, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(data))
	if id, ok := tokenTunnel(token); !ok || id != first.TunnelID {
		t.Errorf("token file holds a token for %q (ok %v), want %s", id, ok, first.TunnelID)
	}
	entries, err := os.ReadDir(filepath.Dir(tokenFile))
	if err != nil || len(entries) != 1 {
		t.Errorf("token dir holds %v (err %v), want only the token: no temp files", entries, err)
	}

	s.ResetLog()
	second, err := c.Provision(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if second.Changed() || second.TunnelID != first.TunnelID {
		t.Errorf("second run changed something: %+v", second)
	}
	for _, route := range []string{cftest.RouteTunnelCreate, cftest.RouteTunnelConfigPut, cftest.RouteDNSCreate} {
		if n := s.Count(route); n != 0 {
			t.Errorf("second run: %d requests to %s, want 0", n, route)
		}
	}
	if n := s.Count(cftest.RouteTunnelList) + s.Count(cftest.RouteTunnelConfigGet) + s.Count(cftest.RouteDNSList) + s.Count(cftest.RouteTunnelToken); n != 4 {
		t.Errorf("second run made %d reads, want 4: %+v", n, s.Requests())
	}
	if got := s.Tunnels(); len(got) != 1 || got[0].ConfigVersion != 1 {
		t.Errorf("tunnels after the second run: %d, config version %d", len(got), got[0].ConfigVersion)
	}
	if got := s.DNSRecords(); len(got) != 1 {
		t.Errorf("DNS records after the second run: %+v", got)
	}
	secret := s.Tunnels()[0].Secret
	for _, leak := range []string{token, secret} {
		if strings.Contains(logs.String(), leak) {
			t.Fatalf("the log contains the token or tunnel secret:\n%s", logs.String())
		}
	}
	if !strings.Contains(logs.String(), "created tunnel") {
		t.Errorf("the log does not say what was created:\n%s", logs.String())
	}
}

func TestProvisionUpdatesChangedIngress(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	c, logs := provisionClient(t, s, cftest.DefaultToken)
	opts := ProvisionOptions{Name: "lab", Hostname: "admin.example.com", Listen: "127.0.0.1:8443", TokenFile: filepath.Join(t.TempDir(), "token")}
	if _, err := c.Provision(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	opts.Listen = "127.0.0.1:9000"
	res, err := c.Provision(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created || !res.ConfigUpdated || res.DNSCreated || res.Token != Unchanged {
		t.Errorf("second run with a new listen address: %+v", res)
	}
	tunnels := s.Tunnels()
	if len(tunnels) != 1 || tunnels[0].ConfigVersion != 2 || !strings.Contains(string(tunnels[0].Config), "http://127.0.0.1:9000") {
		t.Errorf("tunnels = %+v", tunnels)
	}
	if !strings.Contains(logs.String(), "replacing the tunnel's ingress rules") {
		t.Errorf("replacing rules is not logged:\n%s", logs.String())
	}
}

func TestProvisionRefusesToOverwrite(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, s *cftest.Server, tunnelID string)
		want  string
	}{
		{"A record", func(t *testing.T, s *cftest.Server, _ string) {
			apiPost(t, s, "zones/"+cftest.DefaultZoneID+"/dns_records", map[string]any{"type": "A", "name": "other.example.com", "content": "192.0.2.1", "proxied": true})
		}, "already has a A record (192.0.2.1)"},
		{"unproxied CNAME", func(t *testing.T, s *cftest.Server, id string) {
			apiPost(t, s, "zones/"+cftest.DefaultZoneID+"/dns_records", map[string]any{"type": "CNAME", "name": "other", "content": id + ".cfargotunnel.com", "proxied": false})
		}, "is not proxied"},
		{"another tunnel", func(t *testing.T, s *cftest.Server, _ string) {
			apiPost(t, s, "zones/"+cftest.DefaultZoneID+"/dns_records", map[string]any{"type": "CNAME", "name": "other", "content": "0000.cfargotunnel.com", "proxied": true})
		}, "already points to another tunnel (0000.cfargotunnel.com)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := cftest.New(t, cftest.Options{})
			c, _ := provisionClient(t, s, cftest.DefaultToken)
			dir := t.TempDir()
			first, err := c.Provision(context.Background(), ProvisionOptions{Hostname: "admin.example.com", Listen: "127.0.0.1:8443", TokenFile: filepath.Join(dir, "token")})
			if err != nil {
				t.Fatal(err)
			}
			tc.setup(t, s, first.TunnelID)
			before := len(s.DNSRecords())
			_, err = c.Provision(context.Background(), ProvisionOptions{Hostname: "other.example.com", Listen: "127.0.0.1:8443", TokenFile: filepath.Join(dir, "token")})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if got := len(s.DNSRecords()); got != before {
				t.Errorf("DNS records went from %d to %d", before, got)
			}
		})
	}
}

func TestProvisionRefusesLocallyManagedTunnel(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	apiPost(t, s, "accounts/"+cftest.DefaultAccountID+"/cfd_tunnel", map[string]any{"name": "labfront", "config_src": "local"})
	s.ResetLog()
	c, _ := provisionClient(t, s, cftest.DefaultToken)
	_, err := c.Provision(context.Background(), ProvisionOptions{Hostname: "admin.example.com", Listen: "127.0.0.1:8443", TokenFile: filepath.Join(t.TempDir(), "token")})
	if err == nil || !strings.Contains(err.Error(), "locally managed") || !strings.Contains(err.Error(), "labfront tunnel config") {
		t.Fatalf("err = %v", err)
	}
	if n := s.Count(cftest.RouteTunnelConfigPut) + s.Count(cftest.RouteTunnelCreate); n != 0 {
		t.Errorf("%d writes to a locally managed tunnel's account", n)
	}
}

func TestProvisionInputProblems(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	cfg := deploy.Config{Credentials: cfapi.Credentials{APIToken: cftest.DefaultToken, AccountID: cftest.DefaultAccountID, BaseURL: s.APIBase}}
	c, err := NewClient(cfg, nil, option.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Provision(context.Background(), ProvisionOptions{Name: "-x", Hostname: "https://admin.example.com/", Listen: "nope"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"--name", "reads as a flag", "--hostname", `use "admin.example.com"`, "listen", "--token-file", "CLOUDFLARE_ZONE_ID"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if len(s.Requests()) != 0 {
		t.Errorf("bad input still called the API: %+v", s.Requests())
	}
	if _, err := NewClient(deploy.Config{Credentials: cfapi.Credentials{AccountID: "x"}}, nil); err == nil || !strings.Contains(err.Error(), "CLOUDFLARE_API_TOKEN") {
		t.Errorf("NewClient without a token: %v", err)
	}
}

func TestProvisionRefusedToken(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	c, logs := provisionClient(t, s, "wrong-token-value")
	_, err := c.Provision(context.Background(), ProvisionOptions{Hostname: "admin.example.com", Listen: "127.0.0.1:8443", TokenFile: filepath.Join(t.TempDir(), "token")})
	if err == nil || !strings.Contains(err.Error(), "refused the API token") || !strings.Contains(err.Error(), "Cloudflare Tunnel: Edit") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error()+logs.String(), "wrong-token-value") {
		t.Errorf("the API token leaked: %v\n%s", err, logs.String())
	}
}

func TestWriteSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("tok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, fixed, err := WriteSecret(path, []byte("tok\n"))
	if err != nil || res != Unchanged || !fixed {
		t.Fatalf("identical file with mode 0644: %v %v %v", res, fixed, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v after tightening", st.Mode().Perm())
	}
	res, fixed, err = WriteSecret(path, []byte("other\n"))
	if err != nil || res != Replaced || fixed {
		t.Fatalf("different content: %v %v %v", res, fixed, err)
	}
	data, err := os.ReadFile(path)
	if err != nil || string(data) != "other\n" {
		t.Errorf("content %q, err %v", data, err)
	}
	if _, _, err := WriteSecret(filepath.Join(path, "below-a-file"), []byte("x")); err == nil || strings.Contains(err.Error(), "x\"") {
		t.Errorf("writing below a file: %v", err)
	}
}

// TestWriteSecretTightensFolder: a 0600 token in a folder others can
// write or list is not private (they can swap the file), so an existing
// folder is tightened to 0700, whether the token is new, replaced or
// unchanged; a shared sticky folder is refused, not chmodded.
func TestWriteSecretTightensFolder(t *testing.T) {
	for _, tc := range []struct {
		name     string
		dirMode  fs.FileMode
		existing string // token file already there, mode 0600; "" for none
		want     WriteResult
		fixed    bool
	}{
		{"new token, open folder", 0o755, "", Created, true},
		{"replaced token, group-writable folder", 0o770, "old\n", Replaced, true},
		{"identical token, world-readable folder", 0o755, "tok\n", Unchanged, true},
		{"identical token, private folder", 0o700, "tok\n", Unchanged, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cloudflared")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "token")
			if tc.existing != "" {
				if err := os.WriteFile(path, []byte(tc.existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			// Chmod after Mkdir: the umask would narrow Mkdir's mode.
			if err := os.Chmod(dir, tc.dirMode); err != nil {
				t.Fatal(err)
			}
			res, fixed, err := WriteSecret(path, []byte("tok\n"))
			if err != nil || res != tc.want || fixed != tc.fixed {
				t.Fatalf("WriteSecret = %v, %v, %v; want %v, %v, nil", res, fixed, err, tc.want, tc.fixed)
			}
			st, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o700 {
				t.Errorf("folder mode = %v, want 0700", st.Mode().Perm())
			}
		})
	}
	t.Run("shared sticky folder", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o777|fs.ModeSticky); err != nil {
			t.Fatal(err)
		}
		_, _, err := WriteSecret(filepath.Join(dir, "token"), []byte("tok\n"))
		if err == nil || !strings.Contains(err.Error(), "shared folder") {
			t.Fatalf("err = %v, want a refusal naming the shared folder", err)
		}
		st, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o777 {
			t.Errorf("a shared folder was chmodded to %v", st.Mode().Perm())
		}
		if _, err := os.Stat(filepath.Join(dir, "token")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("token written into a shared folder: %v", err)
		}
	})
}
