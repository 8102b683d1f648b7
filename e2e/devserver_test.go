package e2e

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
	"github.com/labfront/labfront/web/devserver"
)

// copyTree copies the example content so the test can edit it.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// waitFor polls a JavaScript expression until it is true. It polls from Go
// because the page reloads underneath: an in-page poll dies with the page.
func waitFor(t *testing.T, ctx context.Context, expr string) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(10 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		tctx, cancel := context.WithTimeout(ctx, time.Second)
		ok, err := chromedp.Run(tctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return time.Since(start)
		}
		lastErr = err
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: timed out (last error: %v)", expr, lastErr)
	return 0
}

func TestDevServerLiveReload(t *testing.T) {
	src := t.TempDir()
	copyTree(t, "../content", filepath.Join(src, "content"))
	post := filepath.Join(src, "content/posts/2026-03-14-zero-inbound-ports.md")
	original, err := os.ReadFile(post)
	if err != nil {
		t.Fatal(err)
	}

	url := startDevServer(t, src)

	b := browser(t)
	do(t, b, chromedp.Navigate(url+"blog/zero-inbound-ports/"))
	// The page tracks a build once its event stream is open.
	waitFor(t, b, `!!document.documentElement.dataset.labfrontBuild`)

	edited := strings.Replace(string(original), "title: \"Zero inbound ports", "title: \"Edited live: zero inbound ports", 1)
	if edited == string(original) {
		t.Fatal("the example post's title changed; update this test")
	}
	if err := os.WriteFile(post, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	took := waitFor(t, b, `(document.querySelector("article h1") || {}).textContent?.startsWith("Edited live:")`)
	t.Logf("edit visible in the browser after %v", took)

	// A broken file shows the overlay with the file and line, and the last
	// good page stays underneath.
	broken := strings.Replace(edited, "date: 2026-03-14", "date: someday", 1)
	if err := os.WriteFile(post, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `!!document.getElementById("labfront-overlay")`)
	overlay := get(t, b, chromedp.Text(chromedp.ID("labfront-overlay")))
	if !strings.Contains(overlay, "content/posts/2026-03-14-zero-inbound-ports.md:3: date:") {
		t.Errorf("overlay does not name the file and line:\n%s", overlay)
	}
	if h1 := get(t, b, chromedp.Text(chromedp.CSS("article h1"))); !strings.HasPrefix(h1, "Edited live:") {
		t.Errorf("the last good page should stay visible under the overlay, h1 = %q", h1)
	}

	// Fixing it reloads the page and the overlay is gone.
	if err := os.WriteFile(post, original, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `!document.getElementById("labfront-overlay") && (document.querySelector("article h1") || {}).textContent?.startsWith("Zero inbound ports")`)
}

// startDevServer runs labfront serve's dev server on src at a free
// loopback port, stopped when the test ends, and returns its base URL.
func startDevServer(t *testing.T, src string) string {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- devserver.Serve(ctx, devserver.Config{
			Src:     src,
			Addr:    "127.0.0.1:0",
			Static:  static.FS,
			Islands: web.Islands,
			Log:     slog.New(slog.NewTextHandler(testLog{t}, nil)),
			OnReady: func(url string) { ready <- url },
		})
	}()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("dev server: %v", err)
		}
	})
	var url string
	select {
	case url = <-ready:
	case err := <-done:
		t.Fatalf("dev server did not start: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("dev server did not start")
	}
	return url
}

// TestDevServerPictureEdit: replacing a picture of a bundle while its
// page is open in the browser reloads the page with the new picture's
// variants, loaded and shown.
func TestDevServerPictureEdit(t *testing.T) {
	src := t.TempDir()
	copyTree(t, "../content", filepath.Join(src, "content"))
	pic := filepath.Join(src, "content/posts/2026-07-18-rack-tour/dashboard.png")
	if _, err := os.Stat(pic); err != nil {
		t.Fatalf("the example's rack tour lost its screenshot; update this test: %v", err)
	}

	url := startDevServer(t, src)

	b := browser(t)
	do(t, b, chromedp.Navigate(url+"blog/rack-tour/"))
	waitFor(t, b, `!!document.documentElement.dataset.labfrontBuild`)
	const shot = `document.querySelector('img[srcset*="dashboard."]')`
	before := get(t, b, chromedp.Evaluate[string](shot+`.getAttribute("srcset")`))
	if !strings.Contains(before, "1200w") {
		t.Fatalf("the screenshot's srcset is %q, want a 1200w candidate", before)
	}

	// A wider screenshot, saved the way image editors do: a new file
	// renamed over the old one.
	tmp := pic + ".new"
	if err := os.WriteFile(tmp, gradientPNG(t, 1300, 700), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, pic); err != nil {
		t.Fatal(err)
	}
	took := waitFor(t, b, `(() => { const i = `+shot+`; return !!i && i.getAttribute("srcset").includes("1300w") && i.getAttribute("width") === "1300" && i.complete && i.naturalWidth > 0 })()`)
	t.Logf("new picture shown after %v", took)
	if after := get(t, b, chromedp.Evaluate[string](shot+`.currentSrc`)); strings.Contains(before, path.Base(after)) {
		t.Errorf("the page still shows an old variant, %s", after)
	}
}
