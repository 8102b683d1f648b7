package sitetest

import (
	"os"
	"path/filepath"
	"testing"
)

// AxeVersion is the axe-core e2e/install-deps.sh installs; a change of
// version can add rules, so it moves only on purpose.
const AxeVersion = "4.14.1"

// AxeScript returns axe-core's browser bundle (axe.min.js), from
// $LABFRONT_AXE_DIR or where e2e/install-deps.sh installs it
// (${XDG_CACHE_HOME:-~/.cache}/labfront/axe-core-VERSION). Outside CI a
// missing install skips the test; with CI=true it fails it.
func AxeScript(t testing.TB) []byte {
	t.Helper()
	dir := os.Getenv("LABFRONT_AXE_DIR")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Fatalf("axe-core: %v", err)
		}
		dir = filepath.Join(cache, "labfront", "axe-core-"+AxeVersion)
	}
	src, err := os.ReadFile(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
	if err == nil {
		return src
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("axe-core %s is not installed (CI=true: accessibility tests must run): %v; run make deps", AxeVersion, err)
	}
	t.Skipf("axe-core %s is not installed (%v); `make test` installs it", AxeVersion, err)
	return nil
}
