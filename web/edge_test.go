package web

import (
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// The worker's behaviour is tested under workerd in e2e/edge_test.go;
// these tests check the bundle and the configuration that goes with it.

func TestWorkerBundle(t *testing.T) {
	js, err := bundleWorker()
	if err != nil {
		t.Fatal(err)
	}
	src := string(js)
	if !strings.HasPrefix(src, workerBanner+"\n") {
		t.Errorf("the bundle does not start with the banner: %.120s", src)
	}
	// Pages' advanced mode loads an ES module whose default export has fetch.
	if !regexp.MustCompile(`export\s*\{\s*\w+ as default\s*\};?\s*$`).MatchString(src) {
		t.Errorf("the bundle has no default export at its end: …%s", src[max(0, len(src)-120):])
	}
	if regexp.MustCompile(`(^|[;\n])\s*import[\s{*"']`).MatchString(src) {
		t.Error("the bundle imports something: the worker must be self-contained")
	}
	for _, want := range []string{`"/api/v1/status"`, `"X-Labfront-Snapshot"`, "SNAPSHOTS", "ORIGIN_TIMEOUT_MS", "CF-Access-Client-Id"} {
		if !strings.Contains(src, want) {
			t.Errorf("the bundle lacks %s", want)
		}
	}
	again, err := bundleWorker()
	if err != nil || string(again) != src {
		t.Error("two bundles of the same worker differ")
	}

	// Every build carries it, byte for byte.
	out := filepath.Join(t.TempDir(), "dist")
	build(t, sitetest.Write(t, testSite), out, false)
	if got := sitetest.ReadFile(t, out, "_worker.js"); got != src {
		t.Error("dist/_worker.js is not the bundled worker")
	}
}

// wranglerConfig is the part of wrangler.toml that labfront relies on.
type wranglerConfig struct {
	Name                string `toml:"name"`
	PagesBuildOutputDir string `toml:"pages_build_output_dir"`
	CompatibilityDate   string `toml:"compatibility_date"`
	KVNamespaces        []struct {
		Binding string `toml:"binding"`
		ID      string `toml:"id"`
	} `toml:"kv_namespaces"`
	Vars map[string]string `toml:"vars"`
}

// TestWranglerConfig checks the repository's wrangler.toml against the
// worker: what it binds is what the worker reads. e2e/edge_test.go runs it
// under wrangler itself.
func TestWranglerConfig(t *testing.T) {
	var cfg wranglerConfig
	md, err := toml.DecodeFile("../wrangler.toml", &cfg)
	if err != nil {
		t.Fatalf("wrangler.toml: %v", err)
	}
	for _, k := range md.Undecoded() {
		t.Errorf("wrangler.toml: key %s is not one labfront knows; add it to this test if it is meant", k)
	}
	if cfg.Name != "labfront" {
		t.Errorf("name = %q", cfg.Name)
	}
	if cfg.PagesBuildOutputDir != "dist" {
		t.Errorf("pages_build_output_dir = %q, want dist (labfront build's default --out)", cfg.PagesBuildOutputDir)
	}
	if d, err := time.Parse("2006-01-02", cfg.CompatibilityDate); err != nil || d.Before(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("compatibility_date = %q (%v)", cfg.CompatibilityDate, err)
	}
	if len(cfg.KVNamespaces) != 1 || cfg.KVNamespaces[0].Binding != "SNAPSHOTS" {
		t.Fatalf("kv_namespaces = %+v, want one, bound as SNAPSHOTS", cfg.KVNamespaces)
	}
	if id := cfg.KVNamespaces[0].ID; !regexp.MustCompile(`^0{32}$`).MatchString(id) {
		t.Errorf("the KV namespace id %q should be the all-zero placeholder in the repository", id)
	}
	if !strings.Contains(workerSource, "env.SNAPSHOTS") {
		t.Error("the worker does not read the SNAPSHOTS binding")
	}
	for name, v := range cfg.Vars {
		if !strings.Contains(workerSource, "env."+name) {
			t.Errorf("[vars] %s is not read by the worker", name)
		}
		if strings.Contains(name, "SECRET") || strings.HasPrefix(name, "CF_ACCESS_") {
			t.Errorf("[vars] %s = %q: secrets belong in `wrangler pages secret put`, never in the file", name, v)
		}
	}
	if u, err := url.Parse(cfg.Vars["ORIGIN_URL"]); err != nil || u.Scheme != "https" || !strings.HasSuffix(u.Hostname(), ".example.com") {
		t.Errorf("ORIGIN_URL = %q, want an https example hostname", cfg.Vars["ORIGIN_URL"])
	}
	if ms, err := strconv.Atoi(cfg.Vars["ORIGIN_TIMEOUT_MS"]); err != nil || ms <= 0 {
		t.Errorf("ORIGIN_TIMEOUT_MS = %q, want a positive number of milliseconds", cfg.Vars["ORIGIN_TIMEOUT_MS"])
	}
}
