package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/tunnel"
)

func TestTunnelConfigCommand(t *testing.T) {
	dir := t.TempDir()
	admin := filepath.Join(dir, "admin.yaml")
	if err := os.WriteFile(admin, []byte("listen: 127.0.0.1:9443\nauth: {mode: dev}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(dir, "creds.json")
	if err := os.WriteFile(creds, []byte(`{"AccountTag":"acc","TunnelSecret":"dGVzdA==","TunnelID":"6ff42ae2-765d-4adf-8112-31c55c1551ef"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	badAdmin := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badAdmin, []byte("auth: {mode: dev}\nlisten: 8443\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "cloudflared", "config.yml")
	args := []string{"tunnel", "config", "--config", admin, "--hostname", "admin.example.com", "--credentials", creds, "--out", out}

	for _, step := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"writes", args, exitOK, "wrote " + out, ""},
		{"again is a no-op", args, exitOK, out + " is up to date", ""},
		{"a different file is kept", append(args, "--hostname", "lab.example.com"), exitInput, "", "already exists with different content; pass --force"},
		{"--force replaces it", append(args, "--hostname", "lab.example.com", "--force"), exitOK, "replaced " + out, ""},
		{"a URL for a host name", append(args, "--hostname", "https://lab.example.com"), exitInput, "", `--hostname: must be a host name, not a URL: use "lab.example.com"`},
		{"missing flags", []string{"tunnel", "config", "--out", out}, exitUsage, "", "tunnel config needs --config FILE, --hostname HOST, --credentials FILE"},
		{"stray argument", append(args, "extra"), exitUsage, "", "tunnel config takes no arguments"},
		{"no subcommand", []string{"tunnel"}, exitUsage, "", "usage: labfront tunnel config|provision [flags]"},
		{"unknown subcommand", []string{"tunnel", "teleport"}, exitUsage, "", `tunnel: unknown subcommand "teleport"`},
		{"bad admin config", []string{"tunnel", "config", "--config", badAdmin, "--hostname", "a.example.com", "--credentials", creds, "--out", out}, exitInput, "", badAdmin + ":2: listen: must be host:port"},
	} {
		t.Run(step.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, step.args...)
			if code != step.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, step.code, stdout, stderr)
			}
			if !strings.Contains(stdout, step.stdout) || !strings.Contains(stderr, step.stderr) {
				t.Errorf("stdout:\n%s\nstderr:\n%s\nwant %q / %q", stdout, stderr, step.stdout, step.stderr)
			}
			if strings.Contains(stdout+stderr, "dGVzdA==") {
				t.Error("the tunnel secret was printed")
			}
		})
	}

	var got struct {
		Tunnel  string `yaml:"tunnel"`
		Ingress []tunnel.Rule
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := tunnel.Ingress("lab.example.com", "http://127.0.0.1:9443")
	if got.Tunnel != "6ff42ae2-765d-4adf-8112-31c55c1551ef" || len(got.Ingress) != 2 || got.Ingress[0] != want[0] || got.Ingress[1] != want[1] {
		t.Errorf("written config = %+v, want tunnel from the credentials and ingress %+v", got, want)
	}
}

// TestTunnelListenMatchesAdmin guards the one thing the tunnel package
// duplicates from api (it cannot import it): how the listen address is
// read, including the default when the file has none.
func TestTunnelListenMatchesAdmin(t *testing.T) {
	anyEnv := func(string) string { return "set-for-the-test" }
	dir := t.TempDir()
	bare := filepath.Join(dir, "bare.yaml")
	if err := os.WriteFile(bare, []byte("auth: {mode: dev}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join("..", "..", "deploy", "admin.example.yaml"), bare} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := adminconfig.Parse(data, path, anyEnv)
		if err != nil {
			t.Fatal(err)
		}
		listen, err := tunnel.ReadListen(path)
		if err != nil {
			t.Fatal(err)
		}
		if listen != cfg.Listen {
			t.Errorf("%s: tunnel reads listen %q, the admin server %q", path, listen, cfg.Listen)
		}
	}
	if !strings.Contains(usageText, "labfront tunnel config ") {
		t.Error("the usage text does not list labfront tunnel config")
	}
}
