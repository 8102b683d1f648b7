package tunnel

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/diag"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const tunnelID = "6ff42ae2-765d-4adf-8112-31c55c1551ef"

// writeCreds writes a credentials file shaped like cloudflared's.
func writeCreds(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "creds.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func goodCreds(t *testing.T) string {
	return writeCreds(t, `{"AccountTag":"0123456789abcdef","TunnelSecret":"dGVzdC1vbmx5","TunnelID":"`+strings.ToUpper(tunnelID)+`"}`)
}

// quietLog collects warnings so tests can assert on them.
func quietLog(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, nil))
}

func TestGolden(t *testing.T) {
	cfg, err := New(Options{
		Listen:      "127.0.0.1:8443",
		Hostname:    "Admin.Example.com",
		Tunnel:      "homelab",
		Credentials: "/etc/cloudflared/" + tunnelID + ".json",
		Metrics:     DefaultMetrics,
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := cfg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "config.golden.yml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./tunnel -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("config differs from %s (go test ./tunnel -update rewrites it):\n--- got\n%s--- want\n%s", golden, got, want)
	}
}

// TestParsesBack reads the written YAML as cloudflared would (plain
// YAML, keys as it names them) and checks the routing.
func TestParsesBack(t *testing.T) {
	creds := goodCreds(t)
	for _, tc := range []struct{ listen, origin string }{
		{"127.0.0.1:8443", "http://127.0.0.1:8443"},
		{"0.0.0.0:9000", "http://127.0.0.1:9000"},
		{":8443", "http://127.0.0.1:8443"},
		{"[::]:8443", "http://[::1]:8443"},
		{"[::1]:8443", "http://[::1]:8443"},
		{"localhost:8080", "http://localhost:8080"},
	} {
		t.Run(tc.listen, func(t *testing.T) {
			cfg, err := New(Options{Listen: tc.listen, Hostname: "admin.example.com", Credentials: creds, Metrics: "127.0.0.1:20300"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			data, err := cfg.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Tunnel      string `yaml:"tunnel"`
				Credentials string `yaml:"credentials-file"`
				Metrics     string `yaml:"metrics"`
				Ingress     []map[string]string
			}
			dec := yaml.NewDecoder(bytes.NewReader(data))
			dec.KnownFields(true)
			if err := dec.Decode(&doc); err != nil {
				t.Fatalf("generated YAML does not parse: %v\n%s", err, data)
			}
			if doc.Tunnel != tunnelID {
				t.Errorf("tunnel = %q, want the credentials' TunnelID %q in lower case", doc.Tunnel, tunnelID)
			}
			if doc.Credentials != creds || doc.Metrics != "127.0.0.1:20300" {
				t.Errorf("credentials-file = %q, metrics = %q", doc.Credentials, doc.Metrics)
			}
			if len(doc.Ingress) != 2 {
				t.Fatalf("want 2 ingress rules, got %v", doc.Ingress)
			}
			first, last := doc.Ingress[0], doc.Ingress[1]
			if first["hostname"] != "admin.example.com" || first["service"] != tc.origin || len(first) != 2 {
				t.Errorf("first rule = %v, want admin.example.com -> %s", first, tc.origin)
			}
			// cloudflared rejects a file whose last rule matches a host
			// name or a path: it must be the catch-all.
			if _, ok := last["hostname"]; ok || len(last) != 1 || last["service"] != "http_status:404" {
				t.Errorf("last rule = %v, want only service: http_status:404", last)
			}
		})
	}
}

func TestCheckHostname(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"admin.example.com", "admin.example.com", ""},
		{"Lab-Admin.Example.COM", "lab-admin.example.com", ""},
		{"a.b.c.example.co.uk", "a.b.c.example.co.uk", ""},
		{"xn--bcher-kva.example", "xn--bcher-kva.example", ""},
		{"", "", "required"},
		{"https://admin.example.com/", "", `use "admin.example.com" instead`},
		{"http://admin.example.com:8443", "", `use "admin.example.com" instead`},
		{"admin.example.com/admin", "", "without a path"},
		{"admin.example.com:443", "", "without a port"},
		{"*.example.com", "", "not a wildcard"},
		{"admin.example.com.", "", "must not end with a dot"},
		{"localhost", "", "like admin.example.com"},
		{"10.0.0.1", "", "not an IP address"},
		{"admin.example.123", "", "not a number"},
		{"-admin.example.com", "", `"-admin" is not a valid DNS label`},
		{"adm_in.example.com", "", `"adm_in" is not a valid DNS label`},
		{"admin..example.com", "", `"" is not a valid DNS label`},
		{"bücher.example", "", "xn-- form"},
		{strings.Repeat("a", 64) + ".example.com", "", "is not a valid DNS label"},
		{strings.Repeat("abcdefghi.", 26) + "com", "", "at most 253 characters"},
	} {
		got, err := CheckHostname(tc.in)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("CheckHostname(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("CheckHostname(%q) error = %v, want it to contain %q", tc.in, err, tc.err)
		}
	}
}

func TestOrigin(t *testing.T) {
	for _, tc := range []struct{ in, err string }{
		{"127.0.0.1", "must be host:port"},
		{"127.0.0.1:0", "from 1 to 65535"},
		{"127.0.0.1:http", "from 1 to 65535"},
		{"127.0.0.1:70000", "from 1 to 65535"},
	} {
		if _, err := Origin(tc.in); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("Origin(%q) error = %v, want %q", tc.in, err, tc.err)
		}
	}
}

// TestNewProblems checks that each bad flag is named, and that all of
// them are reported at once.
func TestNewProblems(t *testing.T) {
	good := goodCreds(t)
	other := "0e6a7c3e-9e0b-4f4e-8d8b-2b1d3a1c5f00"
	missing := filepath.Join(t.TempDir(), "later.json")
	base := Options{Listen: "127.0.0.1:8443", Hostname: "admin.example.com", Credentials: good, Metrics: DefaultMetrics}
	for _, tc := range []struct {
		name   string
		edit   func(*Options)
		want   []string // each problem's text, in the sorted order reported
		tunnel string   // when no problem: the tunnel written
		warn   string   // a warning that must be logged
	}{
		{name: "credentials name the tunnel", edit: func(*Options) {}, tunnel: tunnelID},
		{name: "name kept", edit: func(o *Options) { o.Tunnel = "homelab" }, tunnel: "homelab"},
		{name: "matching UUID", edit: func(o *Options) { o.Tunnel = tunnelID }, tunnel: tunnelID},
		{name: "credentials not there yet", edit: func(o *Options) { o.Credentials, o.Tunnel = missing, "homelab" }, tunnel: "homelab", warn: "does not exist yet"},
		{name: "credentials not there and no name", edit: func(o *Options) { o.Credentials = missing }, want: []string{"--tunnel: required when --credentials does not exist yet"}},
		{name: "UUID of another tunnel", edit: func(o *Options) { o.Tunnel = other }, want: []string{"--tunnel: " + good + " belongs to tunnel " + tunnelID + ", not " + other}},
		{name: "relative credentials", edit: func(o *Options) { o.Credentials = "creds.json" }, want: []string{"--credentials: must be an absolute path"}},
		{name: "no credentials", edit: func(o *Options) { o.Credentials = "" }, want: []string{"--credentials: required"}},
		{name: "every flag wrong", edit: func(o *Options) {
			o.Hostname, o.Metrics, o.Tunnel, o.Credentials = "https://x.example.com", "10.0.0.5:2000", "my tunnel", "rel.json"
		}, want: []string{
			"--credentials: must be an absolute path",
			"--hostname: must be a host name, not a URL",
			"--metrics: must be a loopback address",
			"--tunnel: must be a tunnel name or UUID without spaces",
		}},
		{name: "metrics not host:port", edit: func(o *Options) { o.Metrics = "20241" }, want: []string{"--metrics: must be host:port"}},
		{name: "credentials not JSON", edit: func(o *Options) { o.Credentials = writeCreds(t, "TunnelSecret=abc") }, want: []string{"is not a cloudflared credentials file"}},
		{name: "credentials incomplete", edit: func(o *Options) { o.Credentials = writeCreds(t, `{"TunnelID":"nope"}`) }, want: []string{
			"AccountTag: required", "TunnelID: must be the tunnel's UUID", "TunnelSecret: required",
		}},
		{name: "credentials a directory", edit: func(o *Options) { o.Credentials = t.TempDir() }, want: []string{"is not a regular file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := base
			tc.edit(&opts)
			var logs bytes.Buffer
			cfg, err := New(opts, quietLog(&logs))
			if tc.warn != "" && !strings.Contains(logs.String(), tc.warn) {
				t.Errorf("log lacks %q:\n%s", tc.warn, logs.String())
			}
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Tunnel != tc.tunnel {
					t.Errorf("tunnel = %q, want %q", cfg.Tunnel, tc.tunnel)
				}
				return
			}
			probs, ok := diag.As(err)
			if !ok {
				t.Fatalf("want input problems, got %v", err)
			}
			if len(probs) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(probs), len(tc.want), err)
			}
			for i, p := range probs {
				if !strings.Contains(p.Error(), tc.want[i]) {
					t.Errorf("problem %d = %q, want it to contain %q", i, p.Error(), tc.want[i])
				}
			}
		})
	}
}

// TestSecretNotEchoed: a broken credentials file must not show up in the
// message, because its text is the tunnel secret.
func TestSecretNotEchoed(t *testing.T) {
	const secret = "c3VwZXItc2VjcmV0LXR1bm5lbC1rZXk"
	for _, body := range []string{secret, `{"TunnelSecret":"` + secret + `",}`, `{"TunnelSecret":` + secret + `}`} {
		path := writeCreds(t, body)
		var logs bytes.Buffer
		_, err := New(Options{Listen: DefaultListen, Hostname: "admin.example.com", Tunnel: "lab", Credentials: path, Metrics: DefaultMetrics}, quietLog(&logs))
		if err == nil {
			t.Fatalf("%q: want an error", body)
		}
		if strings.Contains(err.Error(), secret[:6]) || strings.Contains(logs.String(), secret[:6]) {
			t.Errorf("the secret leaks: %v\n%s", err, logs.String())
		}
	}
}

func TestWorldReadableCredentialsWarn(t *testing.T) {
	path := goodCreds(t)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	if _, err := New(Options{Listen: DefaultListen, Hostname: "admin.example.com", Credentials: path, Metrics: DefaultMetrics}, quietLog(&logs)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "readable by every user") {
		t.Errorf("no warning for a world-readable secret:\n%s", logs.String())
	}
}

func TestReadListen(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want, err string }{
		{"set", "listen: 127.0.0.1:9443\nauth: {mode: dev}\n", "127.0.0.1:9443", ""},
		{"default", "site: .\n", DefaultListen, ""},
		{"empty file", "", DefaultListen, ""},
		{"null", "listen:\n", DefaultListen, ""},
		// Other keys are the admin server's business, including ones this
		// version does not know.
		{"other keys ignored", "future_key: 1\nlisten: '[::1]:8443'\n", "[::1]:8443", ""},
		{"no port", "site: .\nlisten: 127.0.0.1\n", "", "cfg.yaml:2: listen: must be host:port"},
		{"bad port", "listen: 127.0.0.1:99999\n", "", "cfg.yaml:1: listen: port must be a number from 1 to 65535"},
		{"a list", "listen:\n  - 127.0.0.1:8443\n", "", "cfg.yaml:2: listen: expected host:port, found a list"},
		{"duplicate", "listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n", "", "cfg.yaml:2: listen: duplicate key"},
		{"not a mapping", "- a\n", "", "cfg.yaml:1: expected a mapping"},
		{"broken YAML", "listen: [\n", "", "cfg.yaml:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "cfg.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadListen(path)
			if tc.err == "" {
				if err != nil || got != tc.want {
					t.Errorf("ReadListen = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("want an error, got %q", got)
			}
			msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
			if !strings.Contains(msg, tc.err) {
				t.Errorf("error = %q, want it to contain %q", msg, tc.err)
			}
		})
	}
	if _, err := ReadListen(filepath.Join(t.TempDir(), "nope.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cloudflared", "config.yml")
	one, two := []byte("tunnel: a\n"), []byte("tunnel: b\n")

	steps := []struct {
		name  string
		data  []byte
		force bool
		want  WriteResult
		err   error
		file  []byte
	}{
		{"creates the directory and file", one, false, Created, nil, one},
		{"same bytes change nothing", one, false, Unchanged, nil, one},
		{"refuses different content", two, false, 0, ErrExists, one},
		{"force replaces", two, true, Replaced, nil, two},
		{"force with same bytes is unchanged", two, true, Unchanged, nil, two},
	}
	for _, s := range steps {
		got, err := Write(path, s.data, s.force)
		if !errors.Is(err, s.err) || (s.err == nil && err != nil) {
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.err)
		}
		if s.err == nil && got != s.want {
			t.Errorf("%s: result = %v, want %v", s.name, got, s.want)
		}
		if s.err != nil && !strings.Contains(err.Error(), "--force") {
			t.Errorf("%s: message does not say how to proceed: %v", s.name, err)
		}
		b, rerr := os.ReadFile(path)
		if rerr != nil || !bytes.Equal(b, s.file) {
			t.Errorf("%s: file = %q, %v; want %q", s.name, b, rerr, s.file)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", st.Mode().Perm())
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}

	// A path that cannot be written reports it and leaves nothing behind.
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(filepath.Join(blocker, "config.yml"), one, false); err == nil || !strings.Contains(err.Error(), blocker) {
		t.Errorf("write under a file: %v", err)
	}
}
