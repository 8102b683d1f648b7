package devserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

func solidPNG(t *testing.T, w, h int, c color.RGBA) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{c.R, c.G, uint8(x), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestImageEditsRebuild: in `labfront serve`, replacing a bundle's picture
// (the way image editors save: a new file renamed over the old one)
// rebuilds the site and tells open pages to reload, and the page then
// shows the new variants, which are served, while the old ones are gone.
// Removing the picture is a broken link on the page's line, shown to the
// pages as the build error; putting it back is a new build again.
func TestImageEditsRebuild(t *testing.T) {
	src := sitetest.Write(t, `
-- content/site.yaml --
title: Test Lab
base_url: https://lab.test
-- content/posts/2026-05-01-rack/index.md --
---
title: Rack
date: 2026-05-01
---
The rack:

![The rack, front](img/rack.png)
`)
	img := filepath.Join(src, "content", "posts", "2026-05-01-rack", "img", "rack.png")
	if err := os.MkdirAll(filepath.Dir(img), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(img, solidPNG(t, 1000, 500, color.RGBA{200, 40, 0, 255}), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, stop := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, Config{
			Src: src, Addr: "127.0.0.1:0", Drafts: true,
			Static: static.FS, Islands: web.Islands,
			Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
			OnReady: func(url string) { ready <- url },
		})
	}()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("dev server: %v", err)
		}
	})
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("dev server did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("dev server did not start")
	}

	// What an open page hears: every state on the event stream.
	states := make(chan state, 16)
	evReq, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"_labfront/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	evRes, err := http.DefaultClient.Do(evReq)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer evRes.Body.Close()
		sc := bufio.NewScanner(evRes.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var st state
				if json.Unmarshal([]byte(data), &st) == nil {
					states <- st
				}
			}
		}
	}()
	next := func(after state) state {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case st := <-states:
				if st != after {
					return st
				}
			case <-deadline:
				t.Fatalf("no new build announced after %+v", after)
			}
		}
	}
	first := next(state{})
	if first.Error != "" {
		t.Fatalf("first build failed: %s", first.Error)
	}

	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(base + strings.TrimPrefix(path, "/"))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, string(b)
	}
	srcsetOf := func() []string {
		t.Helper()
		code, page := get("/blog/rack/")
		m := regexp.MustCompile(`srcset="([^"]+)"`).FindStringSubmatch(page)
		if code != http.StatusOK || m == nil {
			t.Fatalf("/blog/rack/: %d, no srcset in\n%s", code, page)
		}
		var urls []string
		for _, c := range strings.Split(m[1], ", ") {
			urls = append(urls, strings.Fields(c)[0])
		}
		return urls
	}
	before := srcsetOf()
	if len(before) != 3 { // 480, 960 and the full 1000
		t.Fatalf("srcset %q, want three candidates", before)
	}

	// Replace the picture with a wider, different one, through a rename.
	tmp := filepath.Join(filepath.Dir(img), "rack.png.new")
	if err := os.WriteFile(tmp, solidPNG(t, 1700, 850, color.RGBA{0, 90, 220, 255}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, img); err != nil {
		t.Fatal(err)
	}
	edited := next(first)
	if edited.Error != "" {
		t.Fatalf("rebuild after the picture changed failed: %s", edited.Error)
	}
	after := srcsetOf()
	if len(after) != 4 || strings.Join(after, " ") == strings.Join(before, " ") {
		t.Fatalf("after replacing the picture the srcset is %q (was %q), want four new candidates", after, before)
	}
	for _, u := range after {
		if code, _ := get(u); code != http.StatusOK {
			t.Errorf("new variant %s: %d", u, code)
		}
	}
	for _, u := range before {
		if code, _ := get(u); code != http.StatusNotFound {
			t.Errorf("old variant %s: %d, want 404 (removed)", u, code)
		}
	}

	// Removing it breaks the page's image, on its line.
	if err := os.Remove(img); err != nil {
		t.Fatal(err)
	}
	removed := next(edited)
	if !strings.Contains(removed.Error, "content/posts/2026-05-01-rack/index.md:7:") || !strings.Contains(removed.Error, "img/rack.png") {
		t.Errorf("removing the picture: state %+v, want a broken image on index.md:7", removed)
	}
	if err := os.WriteFile(img, solidPNG(t, 640, 320, color.RGBA{10, 200, 10, 255}), 0o644); err != nil {
		t.Fatal(err)
	}
	restored := next(removed)
	if restored.Error != "" || restored.Version == edited.Version {
		t.Fatalf("putting the picture back: state %+v", restored)
	}
	if got := srcsetOf(); len(got) != 2 { // 480 and the full 640
		t.Errorf("after putting a 640 px picture back the srcset is %q", got)
	}
}
