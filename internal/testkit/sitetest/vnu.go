package sitetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// VnuVersion is the Nu HTML Checker e2e/install-deps.sh installs, from
// the npm package vnu-jar, which ships vnu.jar.
const VnuVersion = "26.9.27"

// Vnu returns the java binary and the path of vnu.jar, from
// $LABFRONT_VNU_DIR or where e2e/install-deps.sh installs it
// (${XDG_CACHE_HOME:-~/.cache}/labfront/vnu-jar-VERSION). Outside CI a
// missing Java or checker skips the test; with CI=true it fails it.
func Vnu(t testing.TB) (java, jar string) {
	t.Helper()
	dir := os.Getenv("LABFRONT_VNU_DIR")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Fatalf("vnu: %v", err)
		}
		dir = filepath.Join(cache, "labfront", "vnu-jar-"+VnuVersion)
	}
	jar = filepath.Join(dir, "node_modules", "vnu-jar", "build", "dist", "vnu.jar")
	_, err := os.Stat(jar)
	if err == nil {
		java, err = exec.LookPath("java")
	}
	if err == nil {
		return java, jar
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("the Nu HTML Checker %s or Java is not installed (CI=true: the checker must run): %v; run make deps", VnuVersion, err)
	}
	t.Skipf("the Nu HTML Checker %s or Java is not installed (%v); `make test` installs them", VnuVersion, err)
	return "", ""
}
