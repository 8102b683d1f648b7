package web

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
)

// TestPromotedNotePage: the example site's note promoted from Substack
// carries its origin, structure and anchors, the anchors' statuses come
// from the build's snapshot, and the note is in the feeds but not the
// sitemap (its canonical is on Substack).
func TestPromotedNotePage(t *testing.T) {
	const note = "notes/from-cron-spaghetti-to-container-orchestra/index.html"
	snap := filepath.Join(t.TempDir(), "snapshot.json")
	// k3s-srv carries Prefect, K3s and Postgres in the example lab.
	data := `{"version": 1, "generated_at": "2026-11-20T10:00:00Z", "nodes": {"k3s-srv": {"status": "down", "checked_at": "2026-11-20T09:59:00Z"}}}`
	if err := os.WriteFile(snap, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		snapshot string
		want     []string
		wantNot  []string
	}{
		{"without a snapshot", "", []string{
			`Originally published on Substack: <a href="https://example.substack.com/p/from-cron-spaghetti-to-container-orchestra" rel="canonical">`,
			`<li class="chip">Method</li><li class="chip">Architecture</li>`,
			`<h2 id="anchors-title">Implementation anchors</h2>`,
			`<a href="/architecture/#service-prefect">Prefect</a>`,
			"This build carries no status snapshot of the lab.",
		}, []string{`class="status s-`}},
		{"with a snapshot", snap, []string{
			"Statuses from the lab's snapshot of 20 Nov 2026 10:00 UTC.",
			`<a href="/architecture/#service-prefect">Prefect</a> <span class="kind">service</span> <span class="mentions">3 mentions</span> <span class="status s-down">down, checked 20 Nov 09:59 UTC</span>`,
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "dist")
			if _, err := Build(context.Background(), Options{Src: "..", Out: out, Snapshot: tc.snapshot, Static: static.FS(), Islands: Islands()}); err != nil {
				t.Fatal(err)
			}
			page, err := os.ReadFile(filepath.Join(out, note))
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(page), w) {
					t.Errorf("note page lacks %s", w)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(string(page), w) {
					t.Errorf("note page has %s", w)
				}
			}
			for _, f := range []string{"feed.xml", "feed.json"} {
				b, err := os.ReadFile(filepath.Join(out, f))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(b), "/notes/from-cron-spaghetti-to-container-orchestra/") {
					t.Errorf("%s does not list the promoted note", f)
				}
			}
			// Its canonical is on Substack, so the sitemap leaves it out.
			sm, err := os.ReadFile(filepath.Join(out, "sitemap.xml"))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(sm), "/notes/from-cron-spaghetti-to-container-orchestra/") {
				t.Error("sitemap.xml lists the promoted note whose canonical is on Substack")
			}
			var feed struct {
				Icon, Favicon string
				Items         []struct {
					URL         string `json:"url"`
					ExternalURL string `json:"external_url"`
				}
			}
			if err := json.Unmarshal([]byte(sitetest.ReadFile(t, out, "feed.json")), &feed); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(feed.Icon, "https://lab.example.dev/assets/favicon.") || feed.Favicon != feed.Icon {
				t.Errorf("feed.json icon %q, favicon %q: want the site's mark", feed.Icon, feed.Favicon)
			}
			external := map[string]string{}
			for _, it := range feed.Items {
				external[it.URL] = it.ExternalURL
			}
			if got := external["https://lab.example.dev/notes/from-cron-spaghetti-to-container-orchestra/"]; got != "https://example.substack.com/p/from-cron-spaghetti-to-container-orchestra" {
				t.Errorf("promoted note's external_url = %q", got)
			}
			if got := external["https://lab.example.dev/notes/cloudflared-ingress-rules/"]; got != "" {
				t.Errorf("a note of this site has external_url %q", got)
			}
		})
	}
}
