package sitetest

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
)

// Chromium finds the browser for a test. Outside CI a missing browser
// skips the test; in CI (CI=true) it fails it, so a broken install cannot
// pass silently. LABFRONT_CHROMIUM names another binary.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("LABFRONT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (CI=true: browser tests must run); install Debian's chromium package")
	}
	t.Skip("chromium is not installed; `make test` installs it")
	return ""
}

// Browser starts a headless Chromium for one test, with a fresh profile
// and the flags that keep it off the network (this machine has none), and
// returns a tab; extra options (a window size) come after them.
func Browser(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium(t)),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
	)
	opts = append(opts, extra...)
	// Chromium now and then exits while starting when the machine is
	// busy (several test packages start browsers at once): that is not
	// what any test is about, so a start is tried three times, each
	// failure logged.
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		// A profile of its own: one a crashed start left may be locked.
		try := append(slices.Clip(opts), chromedp.UserDataDir(t.TempDir()))
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), try...)
		ctx, cancel := chromedp.NewContext(alloc)
		if err = chromedp.Do(ctx); err == nil { // start it without a deadline
			t.Cleanup(func() { cancel(); cancelAlloc() })
			return ctx
		}
		cancel()
		cancelAlloc()
		t.Logf("start chromium, attempt %d: %v", attempt, err)
	}
	t.Fatalf("start chromium: %v", err)
	return nil
}
