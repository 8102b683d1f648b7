package adminconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/diag"
)

func env(vals map[string]string) func(string) string {
	return func(k string) string { return vals[k] }
}

func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile("../../deploy/admin.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(data, "deploy/admin.example.yaml", env(map[string]string{"PVE_IO_TOKEN": "root@pam!lab=s3cr3t", "TAILSCALE_API_KEY": "tskey-api-x"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Auth.Mode != ModeAccess || cfg.Listen != "127.0.0.1:8443" || len(cfg.Sources) != 5 || cfg.KVPushInterval != 5*time.Minute {
		t.Fatalf("config %+v", cfg)
	}
	if !slices.Equal(cfg.Hostnames, []string{"admin.example.com"}) {
		t.Errorf("hostnames %q", cfg.Hostnames)
	}
	if p := cfg.Sources[1]; p.Secret != "root@pam!lab=s3cr3t" || !p.Insecure || p.Interval != 30*time.Second || p.Timeout != 10*time.Second {
		t.Errorf("proxmox source %+v", p)
	}
	if !cfg.Auth.IsAdmin("OPS@example.com") || cfg.Auth.IsAdmin("guest@example.com") {
		t.Error("admins list")
	}
}

func TestConfigProblems(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		env        map[string]string
		want       string
	}{
		{"unknown key", "listen: 127.0.0.1:1\nauth: {mode: dev}\ncolour: red\n", nil, "c.yaml:3: colour: unknown key"},
		{"bad mode", "auth: {mode: trust-me}\n", nil, `c.yaml:1: auth.mode: must be access, oidc or dev, found "trust-me"`},
		{"access needs aud", "auth: {mode: access, team_domain: https://t.cloudflareaccess.com}\n", nil, "auth.aud: required"},
		{"http issuer off loopback", "auth: {mode: access, team_domain: http://evil.test, aud: x}\n", nil, "http:// is accepted only for 127.0.0.1 or localhost"},
		{"http issuer on loopback", "hostnames: [admin.lab.test]\nauth: {mode: access, team_domain: http://127.0.0.1:9999, aud: x}\n", nil, ""},
		{"oidc needs the secret", "auth: {mode: oidc, issuer: https://idp.test, client_id: lf}\n", nil, "LABFRONT_OIDC_CLIENT_SECRET"},
		{"oidc with secret", "hostnames: admin.lab.test\nauth: {mode: oidc, issuer: https://idp.test, client_id: lf}\n", map[string]string{"LABFRONT_OIDC_CLIENT_SECRET": "x"}, ""},
		{"unknown source type", "auth: {mode: dev}\nsources:\n  - {name: a, type: snmp}\n", nil, `c.yaml:3: sources[0].type: must be one of prometheus, proxmox, tailscale, probe, demo, cloudflared, docker, found "snmp"`},
		{"bad interval", "auth: {mode: dev}\nsources:\n  - {name: a, type: demo, interval: often}\n", nil, `sources[0].interval: must be a positive duration`},
		{"missing secret", "auth: {mode: dev}\nsources:\n  - {name: a, type: tailscale, secret_env: TS_KEY}\n", nil, "$TS_KEY is empty or unset"},
		{"duplicate source", "auth: {mode: dev}\nsources:\n  - {name: a, type: demo}\n  - {name: a, type: demo}\n", nil, `duplicate source name "a"`},
		{"access needs hostnames", "auth: {mode: access, team_domain: https://t.cloudflareaccess.com, aud: x}\n", nil, "c.yaml:1: hostnames: required in access mode"},
		{"oidc needs hostnames", "auth: {mode: oidc, issuer: https://idp.test, client_id: lf}\n", map[string]string{"LABFRONT_OIDC_CLIENT_SECRET": "x"}, "c.yaml:1: hostnames: required in oidc mode"},
		{"hostname is a URL", "hostnames:\n  - admin.lab.test\n  - https://admin.lab.test/\nauth: {mode: access, team_domain: https://t.cloudflareaccess.com, aud: x}\n", nil, `c.yaml:3: hostnames[1]: "https://admin.lab.test/" is not a host name`},
		{"hostname with port", "hostnames: [admin.lab.test:443]\nauth: {mode: access, team_domain: https://t.cloudflareaccess.com, aud: x}\n", nil, `c.yaml:1: hostnames[0]: "admin.lab.test:443" is not a host name`},
		{"hostnames in dev mode", "hostnames: [admin.lab.test]\nauth: {mode: dev}\n", nil, "c.yaml:1: hostnames: dev mode answers loopback host names only"},
		{"metrics token unset", "auth: {mode: dev}\nmetrics_token_env: LF_METRICS\n", nil, "c.yaml:2: metrics_token_env: $LF_METRICS must hold a token of 16 or more characters"},
		{"metrics token too short", "auth: {mode: dev}\nmetrics_token_env: LF_METRICS\n", map[string]string{"LF_METRICS": "short"}, "metrics_token_env: $LF_METRICS must hold"},
		{"metrics token", "auth: {mode: dev}\nmetrics_token_env: LF_METRICS\n", map[string]string{"LF_METRICS": "0123456789abcdef0123"}, ""},
		{"prometheus needs url", "auth: {mode: dev}\nsources:\n  - {name: p, type: prometheus}\n", nil, "sources[0].url: required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "c.yaml", env(tc.env))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if _, ok := diag.As(err); !ok || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// TestDeploysConfig reads the deploys: key with its defaults and reports
// a missing secret where it is configured.
func TestDeploysConfig(t *testing.T) {
	base := "listen: 127.0.0.1:8443\nstate_dir: /var/lib/labfront\nauth: {mode: dev}\n"
	cfg, err := Parse([]byte(base+"deploys:\n  repo: https://git.lab.test/ops/site.git\n"), "admin.yaml", env(map[string]string{EnvWebhookSecret: "s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Deploys
	if !d.Enabled || d.Secret != "s3cret" || d.Branch != "main" || d.WorkDir != filepath.Join("/var/lib/labfront", "deploys") || d.Repo != "https://git.lab.test/ops/site.git" {
		t.Errorf("deploys %+v", d)
	}
	if fmt.Sprint(d.Secret) != "[redacted]" {
		t.Error("the webhook secret prints")
	}
	cfg, err = Parse([]byte(base), "admin.yaml", env(nil))
	if err != nil || cfg.Deploys.Enabled {
		t.Errorf("no deploys key: %+v, %v", cfg.Deploys, err)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"deploys:\n  repo: x\n  webhook_secret_env: HOOK\n", "admin.yaml:6: deploys.webhook_secret_env: $HOOK is empty or unset"},
		{"deploys:\n  branch: main\n", "admin.yaml:5: deploys.repo: required"},
		{"deploys:\n  repo: x\n  branch: ../x\n", "admin.yaml:6: deploys.branch: \"../x\" is not a branch name"},
		{"deploys:\n  repo: --upload-pack=x\n", "deploys.repo: must be a git URL or path"},
		{"deploys:\n  repo: x\n  secret: y\n", "deploys.secret: unknown key"},
	} {
		_, err := Parse([]byte(base+tc.yaml), "admin.yaml", env(map[string]string{EnvWebhookSecret: "s"}))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

func TestKVPushIntervalConfig(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  time.Duration
		err   string
	}{
		{"", DefaultKVPushInterval, ""},
		{"kv_push_interval: 10m\n", 10 * time.Minute, ""},
		{"kv_push_interval: 1m\n", time.Minute, ""},
		{"kv_push_interval: 30s\n", 0, "cfg.yaml:2: kv_push_interval: must be at least 1m, found 30s"},
		{"kv_push_interval: often\n", 0, `cfg.yaml:2: kv_push_interval: must be a duration like 5m, found "often"`},
	} {
		cfg, err := Parse([]byte("auth: {mode: dev}\n"+tc.value), "cfg.yaml", env(nil))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err = %v, want %q", tc.value, err, tc.err)
			}
			continue
		}
		if err != nil || cfg.KVPushInterval != tc.want {
			t.Errorf("%q: %v, %v; want %v", tc.value, cfg, err, tc.want)
		}
	}
}
