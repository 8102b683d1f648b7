package content

import (
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/testkit/sitetest"
)

func TestSlugFromFile(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2026-03-14-zero-inbound-ports.md", "zero-inbound-ports"},
		{"plain.md", "plain"},
		{"2026-3-14-not-a-date.md", "2026-3-14-not-a-date"},
		{"content/posts/2026-01-01-x.md", "x"},
		{"content/posts/2026-05-01-rack-tour", "rack-tour"}, // a bundle's folder
	} {
		if got := SlugFromFile(tc.in); got != tc.want {
			t.Errorf("SlugFromFile(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTagSlug(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Go", "go"},
		{"Home Lab", "home-lab"},
		{"home-lab", "home-lab"},
		{"  HOME__lab!! ", "home-lab"},
		{"C++", "c"},
		{"Proxmox VE 8", "proxmox-ve-8"},
		{"Zürich", "zürich"},
		{"!!!", ""},
	} {
		if got := TagSlug(tc.in); got != tc.want {
			t.Errorf("TagSlug(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// problems loads the archive and returns the formatted problems.
func problems(t *testing.T, archive string) []string {
	t.Helper()
	dir := sitetest.Write(t, archive)
	_, err := Load(dir, Options{})
	if err == nil {
		return nil
	}
	list, ok := diag.As(err)
	if !ok {
		t.Fatalf("Load returned a non-input error: %v", err)
	}
	var out []string
	for _, p := range list {
		out = append(out, strings.ReplaceAll(p.Error(), dir+"/", ""))
	}
	return out
}

func TestLoadProblems(t *testing.T) {
	site := "-- content/site.yaml --\n" + sitetest.MinimalSiteYAML
	for _, tc := range []struct {
		name    string
		archive string
		want    []string
	}{
		{"valid", site + `-- content/posts/2026-01-02-a.md --
---
title: A
date: 2026-01-02
tags: [Go, go]
---
Body.
`, nil},
		{"missing title and date", site + `-- content/posts/a.md --
---
summary: nothing else
---
`, []string{
			"content/posts/a.md:2: date: required",
			"content/posts/a.md:2: title: required",
		}},
		{"unknown key with its line", site + `-- content/posts/a.md --
---
title: A
date: 2026-01-02
writer: someone
---
`, []string{"content/posts/a.md:4: writer: unknown key (allowed: title, date, summary, tags, draft, slug, updated, canonical, cover, cover_alt, author, series, series_order, aliases, extra)"}},
		{"bad date", site + `-- content/notes/n.md --
---
title: N
date: 14/03/2026
---
`, []string{`content/notes/n.md:3: date: expected a date as YYYY-MM-DD or RFC 3339, found "14/03/2026"`}},
		{"bad YAML", site + `-- content/posts/a.md --
---
title: A
date: 2026-01-02
  tags: [Go]
---
`, []string{"content/posts/a.md:4: invalid YAML: mapping values are not allowed in this context"}},
		{"draft not boolean", site + `-- content/posts/a.md --
---
title: A
date: 2026-01-02
draft: maybe
---
`, []string{`content/posts/a.md:4: draft: expected true or false, found "maybe"`}},
		{"no front matter", site + `-- content/posts/a.md --
# Just a heading
`, []string{"content/posts/a.md:1: missing front matter: start the file with a --- line, then title: and date:, then ---"}},
		{"duplicate slugs", site + `-- content/posts/2026-01-01-same.md --
---
title: One
date: 2026-01-01
---
-- content/posts/2026-02-01-same.md --
---
title: Two
date: 2026-02-01
---
`, []string{`content/posts/2026-02-01-same.md: slug: duplicate slug "same": content/posts/2026-01-01-same.md has the same URL /blog/same/`}},
		{"explicit slug collides", site + `-- content/posts/a.md --
---
title: One
date: 2026-01-01
---
-- content/posts/b.md --
---
title: Two
date: 2026-02-01
slug: a
---
`, []string{`content/posts/b.md: slug: duplicate slug "a": content/posts/a.md has the same URL /blog/a/`}},
		{"bad slug", site + `-- content/posts/a.md --
---
title: One
date: 2026-01-01
slug: Not A Slug
---
`, []string{`content/posts/a.md:4: slug: "Not A Slug" is not a usable URL slug: use lower-case letters, digits, '-', '.' and '_'`}},
		{"site.yaml problems", `-- content/site.yaml --
title: X
base_url: lab.test
paginate: 0
colour: blue
nav:
  - {title: Blog}
page_cards: some
`, []string{
			`content/site.yaml:2: base_url: must be an absolute http(s) URL, found "lab.test"`,
			`content/site.yaml:3: paginate: must be at least 1`,
			`content/site.yaml:4: colour: unknown key (allowed: title, base_url, description, author, language, substack, nav, feed_limit, paginate, aliases, page_cards)`,
			`content/site.yaml:6: nav[0].url: required`,
			`content/site.yaml:7: page_cards: expected true or false, found "some"`,
		}},
		{"site.yaml missing", `-- content/posts/a.md --
---
title: A
date: 2026-01-01
---
`, []string{"content/site.yaml: missing: every site needs a site.yaml with at least title and base_url"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(t, tc.archive)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("problems:\n got: %q\nwant: %q", got, tc.want)
			}
		})
	}
}

func TestLoadDraftsAndTags(t *testing.T) {
	dir := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML+`-- content/posts/2026-01-01-old.md --
---
title: Old
date: 2026-01-01
tags: [Home Lab, go]
---
-- content/posts/2026-02-01-new.md --
---
title: New
date: 2026-02-01
tags: [home-lab, Go]
---
-- content/posts/2026-03-01-wip.md --
---
title: WIP
date: 2026-03-01
tags: [Secret Topic]
draft: true
---
-- content/notes/n.md --
---
title: Note
date: 2026-01-15
tags: [GO]
---
`)
	site, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(site.Posts) != 2 || site.Posts[0].Slug != "new" || site.Posts[1].Slug != "old" {
		t.Fatalf("posts = %v, want new then old without the draft", slugs(site.Posts))
	}
	var tags []string
	for _, tg := range site.Tags {
		tags = append(tags, tg.Slug+"="+tg.Name+"/"+strings.Join(slugs(tg.Pages), ","))
	}
	want := "go=Go/new,n,old home-lab=home-lab/new,old"
	if strings.Join(tags, " ") != want {
		t.Errorf("tags = %q, want %q", strings.Join(tags, " "), want)
	}

	withDrafts, err := Load(dir, Options{Drafts: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(withDrafts.Posts) != 3 || withDrafts.Posts[0].Slug != "wip" {
		t.Errorf("with drafts, posts = %v", slugs(withDrafts.Posts))
	}
}

func slugs(pages []*Page) []string {
	var out []string
	for _, p := range pages {
		out = append(out, p.Slug)
	}
	return out
}

func TestCacheReusesUnchangedPages(t *testing.T) {
	dir := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML+`-- content/posts/2026-01-01-a.md --
---
title: A
date: 2026-01-01
---
A.
-- content/posts/2026-01-02-b.md --
---
title: B
date: 2026-01-02
---
B.
`)
	cache := NewCache()
	first, err := Load(dir, Options{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	sitetest.WriteInto(t, dir, "-- content/posts/2026-01-02-b.md --\n---\ntitle: B edited\ndate: 2026-01-02\n---\nB.\n")
	second, err := Load(dir, Options{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if second.Posts[1] != first.Posts[1] {
		t.Error("the unchanged post was converted again")
	}
	if second.Posts[0] == first.Posts[0] || second.Posts[0].Title != "B edited" {
		t.Errorf("the edited post was not reloaded: %q", second.Posts[0].Title)
	}
	// A broken edit is reported every time, never served from the cache.
	sitetest.WriteInto(t, dir, "-- content/posts/2026-01-02-b.md --\n---\ntitle: B\n---\n")
	for range 2 {
		if _, err := Load(dir, Options{Cache: cache}); err == nil {
			t.Fatal("a page without a date loaded")
		}
	}
}

// TestDraftAmongPostsIsNoDuplicate: leaving out a draft that sorts between
// published posts once made the posts after it look like duplicate slugs.
func TestDraftAmongPostsIsNoDuplicate(t *testing.T) {
	dir := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML+`-- content/posts/2026-01-01-a.md --
---
title: A
date: 2026-01-01
---
-- content/posts/2026-01-02-b.md --
---
title: B
date: 2026-01-02
draft: true
---
-- content/posts/2026-01-03-c.md --
---
title: C
date: 2026-01-03
---
-- content/posts/2026-01-04-d.md --
---
title: D
date: 2026-01-04
---
`)
	site, err := Load(dir, Options{})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if got := strings.Join(slugs(site.Posts), ","); got != "d,c,a" {
		t.Errorf("posts = %s, want d,c,a", got)
	}
}
