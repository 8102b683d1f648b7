package sitetest

import (
	"os"
	"path/filepath"
	"testing"
)

// LighthouseVersion is the Lighthouse e2e/install-deps.sh installs: the
// last line that runs on Node 20.
const LighthouseVersion = "12.2.3"

// Lighthouse returns the path of Lighthouse's command-line entry point
// (cli/index.js, run with node), from $LABFRONT_LIGHTHOUSE_DIR or where
// e2e/install-deps.sh installs it
// (${XDG_CACHE_HOME:-~/.cache}/labfront/lighthouse-VERSION). Outside CI a
// missing install skips the test; with CI=true it fails it.
func Lighthouse(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("LABFRONT_LIGHTHOUSE_DIR")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Fatalf("lighthouse: %v", err)
		}
		dir = filepath.Join(cache, "labfront", "lighthouse-"+LighthouseVersion)
	}
	cli := filepath.Join(dir, "node_modules", "lighthouse", "cli", "index.js")
	_, err := os.Stat(cli)
	if err == nil {
		return cli
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("lighthouse %s is not installed (CI=true: the Lighthouse tests must run): %v; run make deps", LighthouseVersion, err)
	}
	t.Skipf("lighthouse %s is not installed (%v); `make test` installs it", LighthouseVersion, err)
	return ""
}
