package deploy

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/internal/diag"
)

func TestParseWrangler(t *testing.T) {
	w, err := ParseWrangler("wrangler.toml", []byte(testWrangler))
	if err != nil {
		t.Fatal(err)
	}
	if w.Name != "labfront" || w.PagesBuildOutputDir != "dist" || w.CompatibilityDate != "2026-04-01" ||
		w.SnapshotsNamespace != "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a" || len(w.Hash) != 64 {
		t.Errorf("parsed %+v", w)
	}

	// The all-zero id is the shipped placeholder: no namespace.
	w, err = ParseWrangler("w.toml", []byte("name = \"x\"\n[[kv_namespaces]]\nbinding = \"SNAPSHOTS\"\nid = \"00000000000000000000000000000000\"\n"))
	if err != nil || w.SnapshotsNamespace != "" {
		t.Errorf("placeholder: %+v %v", w, err)
	}
	// Inline tables work as well as [[kv_namespaces]].
	w, err = ParseWrangler("w.toml", []byte("name = \"x\"\nkv_namespaces = [{binding = \"OTHER\", id = \"11111111111111111111111111111111\"}, {binding = \"SNAPSHOTS\", id = \"22222222222222222222222222222222\"}]\n"))
	if err != nil || w.SnapshotsNamespace != "22222222222222222222222222222222" {
		t.Errorf("inline: %+v %v", w, err)
	}
}

func TestParseWranglerProblems(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // each problem, as path:line: field: message
	}{
		{"syntax", "name = \"x\"\nname = \"y\"\n", []string{"w.toml:2: Key 'name' has already been defined."}},
		{"no name", "compatibility_date = \"2026-04-01\"\n", []string{"w.toml: name: required"}},
		{"name not a string", "# c\nname = 3\n", []string{"w.toml:2: name: must be a string, not an integer"}},
		{"bad project name", "name = \"Lab_Front\"\n", []string{`w.toml:1: name: "Lab_Front" is not a Pages project name`}},
		{"bad date", "name = \"x\"\ncompatibility_date = \"April\"\n", []string{`w.toml:2: compatibility_date: "April" is not a YYYY-MM-DD date`}},
		{"kv problems", "name = \"x\"\n\n[[kv_namespaces]]\nbinding = \"A\"\nid = \"1111\"\n\n[[kv_namespaces]]\nid = \"22222222222222222222222222222222\"\n",
			[]string{`w.toml:5: kv_namespaces[0].id: "1111" is not a KV namespace id`, "w.toml:7: kv_namespaces[1].binding: required"}},
		{"kv not tables", "name = \"x\"\nkv_namespaces = \"SNAPSHOTS\"\n", []string{"w.toml:2: kv_namespaces: must be an array of tables"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseWrangler("w.toml", []byte(tc.src))
			probs, ok := diag.As(err)
			if !ok {
				t.Fatalf("err = %v, want problems", err)
			}
			if len(probs) != len(tc.want) {
				t.Errorf("problems %v, want %d", probs, len(tc.want))
			}
			for i, want := range tc.want {
				if i < len(probs) && !strings.HasPrefix(probs[i].Error(), want) {
					t.Errorf("problem %d = %q, want prefix %q", i, probs[i].Error(), want)
				}
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wrangler.toml")
	if err := os.WriteFile(path, []byte(testWrangler), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{cfapi.EnvAPIToken: " secret-token-value ", cfapi.EnvAccountID: "acc", cfapi.EnvBaseURL: "http://127.0.0.1:1/client/v4"}
	cfg, err := LoadConfig(func(k string) string { return env[k] }, path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APIToken != "secret-token-value" || cfg.AccountID != "acc" || cfg.Project() != "labfront" || cfg.BaseURL != env[cfapi.EnvBaseURL] {
		t.Errorf("config %+v", cfg)
	}
	if err := cfg.CheckCredentials(); err != nil {
		t.Errorf("credentials: %v", err)
	}
	// The token never prints, whichever way the config is shown.
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "cfg", cfg, "token", cfg.APIToken)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "cfg", cfg, "token", cfg.APIToken)
	shown := fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg.APIToken) + logs.String()
	if strings.Contains(shown, "secret-token-value") {
		t.Errorf("the token shows:\n%s", shown)
	}

	cfg, err = LoadConfig(func(string) string { return "" }, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.CheckCredentials(); err == nil || !strings.Contains(err.Error(), cfapi.EnvAPIToken+" and "+cfapi.EnvAccountID+" not set") {
		t.Errorf("missing credentials: %v", err)
	}
	if _, err := LoadConfig(func(string) string { return "" }, filepath.Join(dir, "nope.toml")); err == nil || !strings.Contains(err.Error(), "nope.toml not found") {
		t.Errorf("missing file: %v", err)
	}
}

// TestLoadWranglerRefusesLinksOut: the admin server reads a pushed
// wrangler.toml holding its secrets, so one that is a symlink out of the
// checkout (to /proc/self/environ, say) is refused, not parsed into a
// message that would quote it.
func TestLoadWranglerRefusesLinksOut(t *testing.T) {
	for _, tc := range []struct{ name, target, want string }{
		{"proc environ", "/proc/self/environ", "wrangler.toml: symlink outside the site"},
		{"relative way out", "../secret.toml", "wrangler.toml: symlink outside the site"},
		{"inside", "pages.toml", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			site := filepath.Join(base, "site")
			if err := os.MkdirAll(site, 0o755); err != nil {
				t.Fatal(err)
			}
			toml := "name = \"lab\"\npages_build_output_dir = \"dist\"\n"
			for _, p := range []string{filepath.Join(base, "secret.toml"), filepath.Join(site, "pages.toml")} {
				if err := os.WriteFile(p, []byte(toml), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink(tc.target, filepath.Join(site, "wrangler.toml")); err != nil {
				t.Fatal(err)
			}
			w, err := LoadWrangler(filepath.Join(site, "wrangler.toml"))
			if tc.want == "" {
				if err != nil || w == nil {
					t.Fatalf("a link inside the checkout: %v", err)
				}
				return
			}
			if err == nil || !strings.HasSuffix(err.Error(), tc.want) {
				t.Fatalf("got %v, want …%s", err, tc.want)
			}
		})
	}
}
