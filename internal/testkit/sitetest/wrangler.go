package sitetest

import (
	"os"
	"path/filepath"
)

// WranglerVersion is the wrangler e2e/install-deps.sh installs: the last
// release that runs on Node 20.
const WranglerVersion = "4.86.0"

// WranglerDir is the npm prefix that holds node_modules/wrangler:
// $LABFRONT_WRANGLER_DIR, or where e2e/install-deps.sh installs it
// (${XDG_CACHE_HOME:-~/.cache}/labfront/wrangler-VERSION).
func WranglerDir() (string, error) {
	if dir := os.Getenv("LABFRONT_WRANGLER_DIR"); dir != "" {
		return dir, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "labfront", "wrangler-"+WranglerVersion), nil
}
