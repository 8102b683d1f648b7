package web

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
)

func TestStatusPage(t *testing.T) {
	for _, c := range []struct {
		name     string
		snapshot string // "" builds without one
		want     []string
	}{
		{
			name: "without a snapshot",
			want: []string{
				"No snapshot was baked into this build",
				`<dd data-count="up">0</dd>`, `<dd data-count="down">0</dd>`, `<dd data-count="unknown">5</dd>`,
				`<li class="status-row s-unknown" data-id="hv1">`,
			},
		},
		{
			name: "with a snapshot",
			snapshot: `{"version": 1, "generated_at": "2026-11-25T14:02:00Z", "nodes": {
  "hv1": {"status": "up", "checked_at": "2026-11-25T14:01:00Z", "detail": "load 0.4 on 10.1.0.5"},
  "desk": {"status": "down", "checked_at": "2026-11-25T13:58:00Z"},
  "hideout": {"status": "up", "checked_at": "2026-11-25T14:01:00Z"}}}`,
			want: []string{
				`Snapshot from <time datetime="2026-11-25T14:02:00Z">25 Nov 2026 14:02 UTC</time>`,
				`<dd data-count="up">1</dd>`, `<dd data-count="down">1</dd>`, `<dd data-count="unknown">3</dd>`,
				`<li class="status-row s-up" data-id="hv1">`,
				`checked <time datetime="2026-11-25T14:01:00Z">25 Nov 2026 14:01 UTC</time>`,
				// The aliased node under its public id and name.
				`<li class="status-row s-down" data-id="desktop">`, `<a href="/architecture/#node-desktop">Desktop</a>`,
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			txtar := labSite
			opts := Options{Static: static.FS(), Islands: Islands()}
			if c.snapshot != "" {
				txtar += "-- snap.json --\n" + c.snapshot + "\n"
			}
			opts.Src = sitetest.Write(t, txtar)
			if c.snapshot != "" {
				opts.Snapshot = filepath.Join(opts.Src, "snap.json")
			}
			opts.Out = filepath.Join(t.TempDir(), "dist")
			if _, err := Build(context.Background(), opts); err != nil {
				t.Fatal(err)
			}
			page := sitetest.ReadFile(t, opts.Out, "status/index.html")
			common := []string{
				`<title>Status — Lab Test</title>`,
				`<h1 id="status-title">Lab status</h1>`,
				`<div class="status-board" data-src="/api/v1/status">`,
				"<h3 id=\"status-group-north\">North<span class=\"muted\">\u00a0— primary</span></h3>",
				`<h3 id="status-group-cloud">Cloud and edge</h3>`,
			}
			for _, want := range append(common, c.want...) {
				if !strings.Contains(page, want) {
					t.Errorf("status page lacks %s", want)
				}
			}
			for _, asset := range []string{`<link rel="stylesheet" href="/assets/status\.[0-9a-f]{10}\.css">`, `<script src="/assets/status\.[0-9a-f]{10}\.js" defer></script>`} {
				if !regexp.MustCompile(asset).MatchString(page) {
					t.Errorf("status page lacks %s", asset)
				}
			}
			if n := strings.Count(page, `class="status-row `); n != 5 {
				t.Errorf("%d rows, want the 5 public nodes", n)
			}
			for path, body := range sitetest.Tree(t, opts.Out) {
				for _, secret := range []string{"hideout", "quokka", "zanzibar", "10.1.0.5", "load 0.4"} {
					if strings.Contains(body, secret) {
						t.Errorf("%s contains the private %q", path, secret)
					}
				}
			}
			if !strings.Contains(sitetest.ReadFile(t, opts.Out, "sitemap.xml"), "<loc>https://lab.test/status/</loc>") {
				t.Error("the sitemap does not list /status/")
			}
		})
	}
}
