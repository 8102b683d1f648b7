package content

import (
	"slices"
	"testing"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

const promotedNote = `---
title: From Cron Spaghetti to Container Orchestra
date: 2026-02-19
summary: On the moment a homelab becomes a platform
canonical: https://example.substack.com/p/from-cron-spaghetti-to-container-orchestra
substack_url: https://example.substack.com/p/from-cron-spaghetti-to-container-orchestra
substack_id: "180000001"
promoted_from: content/substack/2026-02-19-from-cron-spaghetti-to-container-orchestra.md
structure: [Method, Architecture]
decision: architecture paper
anchors:
  - {kind: service, id: k3s, name: K3s, count: 3, url: /architecture/#service-k3s, node: k3s-srv}
  - {kind: site, id: jove, name: Jove, count: 1, url: /architecture/#group-site-jove}
---
Body.
`

func TestPromotedNote(t *testing.T) {
	dir := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML+"-- content/notes/from-cron.md --\n"+promotedNote+`
-- content/notes/plain.md --
---
title: Plain
date: 2026-01-01
---
Written here.
-- content/substack/2026-02-19-from-cron-spaghetti-to-container-orchestra.md --
---
status: inbox
not: a page
---
The inbox is never loaded.
`)
	site, err := Load(dir, Options{Drafts: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(site.Notes) != 2 || len(site.Posts) != 0 {
		t.Fatalf("notes %d, posts %d: the inbox must not be loaded", len(site.Notes), len(site.Posts))
	}
	var promoted, plain *Page
	for _, p := range site.Notes {
		if p.Slug == "from-cron" {
			promoted = p
		} else {
			plain = p
		}
	}
	if plain.Promoted != nil {
		t.Errorf("a note written here has Promoted = %+v", plain.Promoted)
	}
	pr := promoted.Promoted
	if pr == nil {
		t.Fatal("Promoted is nil")
	}
	if pr.From != "content/substack/2026-02-19-from-cron-spaghetti-to-container-orchestra.md" || pr.SubstackID != "180000001" ||
		pr.SubstackURL != promoted.Canonical || pr.Decision != "architecture paper" || !slices.Equal(pr.Structure, []string{"Method", "Architecture"}) {
		t.Errorf("promoted = %+v", pr)
	}
	want := []Anchor{
		{Kind: "service", ID: "k3s", Name: "K3s", Count: 3, URL: "/architecture/#service-k3s", Node: "k3s-srv"},
		{Kind: "site", ID: "jove", Name: "Jove", Count: 1, URL: "/architecture/#group-site-jove"},
	}
	if !slices.Equal(pr.Anchors, want) {
		t.Errorf("anchors = %+v", pr.Anchors)
	}
}

func TestPromotedProblems(t *testing.T) {
	got := problems(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML+`-- content/notes/n.md --
---
title: N
date: 2026-01-01
substack_url: example.substack.com/p/n
anchors:
  - {kind: planet, id: x, name: X, url: /architecture/#x}
  - {kind: service, id: y, name: Y, url: "javascript:alert(1)"}
  - {kind: service, id: z, url: /architecture/}
---
-- content/posts/2026-01-01-p.md --
---
title: P
date: 2026-01-01
promoted_from: content/substack/x.md
---
`)
	want := []string{
		"content/notes/n.md:4: substack_url: must be an absolute http(s) URL, found \"example.substack.com/p/n\"",
		"content/notes/n.md:6: anchors[0].kind: must be service, node, site or technology, found \"planet\"",
		"content/notes/n.md:7: anchors[1].url: the scheme javascript: can run code or load another document; use a path on this site starting with / (e.g. /about/), found \"javascript:alert(1)\"",
		"content/notes/n.md:8: anchors[2].name: required",
		"content/posts/2026-01-01-p.md:4: promoted_from: unknown key (allowed: title, date, summary, tags, draft, slug, updated, canonical, cover, cover_alt, author, series, series_order, aliases, extra)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%q\nwant:\n%q", got, want)
	}
}
