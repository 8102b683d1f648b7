package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/testkit/cftest"
)

func TestTunnelProvisionCommand(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	deployEnv(t, s, cftest.DefaultToken)
	t.Setenv("CLOUDFLARE_ZONE_ID", s.Options().ZoneID)
	dir := t.TempDir()
	admin := filepath.Join(dir, "admin.yaml")
	if err := os.WriteFile(admin, []byte("listen: 127.0.0.1:9443\nauth: {mode: dev}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "cloudflared", "token")
	args := []string{"tunnel", "provision", "--config", admin, "--hostname", "admin.example.com", "--token-file", tokenFile}

	for _, step := range []struct {
		name           string
		args           []string
		env            map[string]string
		code           int
		stdout, stderr string
	}{
		{"provisions", args, nil, exitOK, "tunnel labfront (", ""},
		{"again changes nothing", args, nil, exitOK, "nothing changed", ""},
		{"missing flags", []string{"tunnel", "provision"}, nil, exitUsage, "", "tunnel provision needs --config FILE, --hostname HOST"},
		{"stray argument", append(args, "extra"), nil, exitUsage, "", "tunnel provision takes no arguments"},
		{"no zone", args, map[string]string{"CLOUDFLARE_ZONE_ID": ""}, exitInput, "", "tunnel provision: CLOUDFLARE_ZONE_ID not set"},
		{"refused token", args, map[string]string{"CLOUDFLARE_API_TOKEN": "not-the-token"}, exitInput, "", "Cloudflare refused the API token"},
		{"a URL for a host name", append(args, "--hostname", "https://admin.example.com"), nil, exitInput, "", `--hostname: must be a host name, not a URL`},
	} {
		t.Run(step.name, func(t *testing.T) {
			for k, v := range step.env {
				t.Setenv(k, v)
			}
			code, stdout, stderr := runCLI(t, step.args...)
			if code != step.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, step.code, stdout, stderr)
			}
			if !strings.Contains(stdout, step.stdout) || !strings.Contains(stderr, step.stderr) {
				t.Errorf("stdout:\n%s\nstderr:\n%s\nwant %q / %q", stdout, stderr, step.stdout, step.stderr)
			}
			token, err := os.ReadFile(tokenFile)
			if err == nil && strings.Contains(stdout+stderr, strings.TrimSpace(string(token))) {
				t.Fatal("the connector token was printed")
			}
			if strings.Contains(stdout+stderr, "not-the-token") {
				t.Fatal("the API token was printed")
			}
		})
	}
	tunnels, recs := s.Tunnels(), s.DNSRecords()
	if len(tunnels) != 1 || len(recs) != 1 || s.Count(cftest.RouteTunnelConfigPut) != 1 {
		t.Errorf("after all runs: %d tunnels, %d DNS records, %d config pushes; want 1 each", len(tunnels), len(recs), s.Count(cftest.RouteTunnelConfigPut))
	}
	if !strings.Contains(string(tunnels[0].Config), `"service":"http://127.0.0.1:9443"`) {
		t.Errorf("ingress does not point at the admin listen address: %s", tunnels[0].Config)
	}
	st, err := os.Stat(tokenFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("token file: %v, %v", st, err)
	}
}
