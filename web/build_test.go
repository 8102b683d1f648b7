package web

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
)

const testSite = `
-- content/site.yaml --
title: Test Lab
base_url: https://lab.test/
description: A lab under test.
author: {name: Ada Ops, email: ada@lab.test}
paginate: 2
feed_limit: 10
nav:
  - {title: Blog, url: /blog/}
  - {title: Notes, url: /notes/}
aliases:
  - {from: /old/*, to: /blog/:splat, status: 301}
-- content/posts/2026-01-01-first.md --
---
title: First post
date: 2026-01-01
summary: The first one.
tags: [Go, Home Lab]
---
Hello [second](/blog/second/) and [note](/notes/a-note/#part). See [section](#part).

## Part

Body.
-- content/posts/2026-02-01-second.md --
---
title: Second post
date: 2026-02-01
updated: 2026-02-10
tags: [go]
---
Second body with a relative link to [first](../first/).
-- content/posts/2026-03-01-third.md --
---
title: Third post
date: 2026-03-01T08:30:00Z
tags: [home-lab]
---
Third.
-- content/posts/2026-04-01-hidden-draft.md --
---
title: Unreleased draft zebra
date: 2026-04-01
tags: [Secret Tag]
draft: true
---
Draft body mentioning zebra.
-- content/notes/a-note.md --
---
title: A note
date: 2026-01-15
tags: [Go]
---
## Part

Note body.
`

func build(t *testing.T, src, out string, drafts bool) {
	t.Helper()
	if _, err := Build(context.Background(), Options{Src: src, Out: out, Drafts: drafts, Static: static.FS(), Islands: Islands()}); err != nil {
		t.Fatalf("build: %v", err)
	}
}

func TestBuildOutputs(t *testing.T) {
	src := sitetest.Write(t, testSite)
	out := filepath.Join(t.TempDir(), "dist")
	build(t, src, out, false)
	tree := sitetest.Tree(t, out)

	var paths []string
	shards := 0
	for p := range tree {
		// The search index's shards depend on the words of the pages
		// (internal/search tests them); here they only need to be there.
		if strings.HasPrefix(p, "search/") && strings.Count(p, "/") == 2 {
			shards++
			continue
		}
		if !strings.HasPrefix(p, "assets/") {
			// A card's name holds its key (see cards_test.go).
			paths = append(paths, cardKeyInName.ReplaceAllString(p, ".KEY.png"))
		}
	}
	slices.Sort(paths)
	want := []string{
		"404.html", "_headers", "_redirects", "_worker.js",
		"blog/first/index.html", "blog/index.html", "blog/page/2/index.html", "blog/second/index.html", "blog/third/index.html",
		"cards/notes/a-note.KEY.png", "cards/posts/first.KEY.png", "cards/posts/second.KEY.png", "cards/posts/third.KEY.png", "cards/site.KEY.png",
		"feed.json", "feed.xml", "index.html",
		"notes/a-note/index.html", "notes/index.html",
		"robots.txt", "search/index.html", "search/meta.json", "sitemap.xml",
		"tags/go/index.html", "tags/home-lab/index.html", "tags/index.html",
	}
	if !slices.Equal(paths, want) {
		t.Fatalf("files:\n got %q\nwant %q", paths, want)
	}
	if _, ok := tree["search/d/0.json"]; !ok || shards < 3 {
		t.Errorf("the search index has %d shards and no search/d/0.json", shards)
	}

	t.Run("drafts appear nowhere", func(t *testing.T) {
		for p, body := range tree {
			for _, s := range []string{"zebra", "hidden-draft", "secret-tag", "Secret Tag"} {
				if strings.Contains(body, s) {
					t.Errorf("%s contains %q from the draft", p, s)
				}
			}
		}
	})

	t.Run("pagination", func(t *testing.T) {
		p1, p2 := tree["blog/index.html"], tree["blog/page/2/index.html"]
		assertOrder(t, p1, "Third post", "Second post")
		if strings.Contains(p1, "First post") || !strings.Contains(p2, "First post") {
			t.Error("page 1 should hold the two newest posts and page 2 the oldest")
		}
		if !strings.Contains(p1, `href="/blog/page/2/" rel="next"`) || !strings.Contains(p2, `href="/blog/" rel="prev"`) {
			t.Error("pagination links missing")
		}
		if !strings.Contains(p2, "Page 2 of 2") {
			t.Error("page 2 does not say where it is")
		}
	})

	t.Run("page metadata", func(t *testing.T) {
		page := tree["blog/first/index.html"]
		for _, want := range []string{
			`<html lang="en">`,
			`<title>First post — Test Lab</title>`,
			`<meta name="description" content="The first one.">`,
			`<link rel="canonical" href="https://lab.test/blog/first/">`,
			`<meta property="og:type" content="article">`,
			`<meta property="og:url" content="https://lab.test/blog/first/">`,
			`<meta property="og:title" content="First post — Test Lab">`,
			`<meta name="twitter:card" content="summary_large_image">`,
			`<meta property="article:published_time" content="2026-01-01T00:00:00Z">`,
			`<a href="/blog/" aria-current="page">Blog</a>`,
			`href="/tags/home-lab/" rel="tag"><span class="visually-hidden">Posts and notes tagged </span>home-lab</a>`,
			`<h2 id="part">Part`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("blog/first/index.html lacks %s", want)
			}
		}
		if !strings.Contains(tree["index.html"], `<a href="/blog/">Blog</a>`) {
			t.Error("the blog nav entry should not be current on the home page")
		}
		if !strings.Contains(tree["index.html"], `<meta property="og:type" content="website">`) {
			t.Error("home page is not og:type website")
		}
		if !strings.Contains(tree["404.html"], `<meta name="robots" content="noindex">`) {
			t.Error("404 page is indexable")
		}
	})

	t.Run("assets are fingerprinted and referenced", func(t *testing.T) {
		var css string
		for p := range tree {
			if strings.HasPrefix(p, "assets/site.") && strings.HasSuffix(p, ".css") {
				css = "/" + p
			}
		}
		if css == "" {
			t.Fatal("no fingerprinted stylesheet")
		}
		if !strings.Contains(tree["index.html"], `<link rel="stylesheet" href="`+css+`">`) {
			t.Errorf("home page does not link %s", css)
		}
		sheet := tree[css[1:]]
		dark := strings.Index(sheet, "@media(prefers-color-scheme:dark){.chroma")
		if !strings.Contains(sheet, ".chroma .k{") || dark < 0 {
			t.Fatal("stylesheet lacks the light and dark syntax highlighting rules")
		}
		// github-dark has no rule for attribute names; they must not keep
		// github's near-black ink on the dark background.
		if !strings.Contains(sheet[dark:], ".chroma .na{color:inherit}") {
			t.Error("dark theme leaves light-only token colours in place")
		}
	})

	t.Run("headers, redirects, robots", func(t *testing.T) {
		h := tree["_headers"]
		for _, want := range []string{"Content-Security-Policy: default-src 'self'", "frame-ancestors 'none'", "Strict-Transport-Security: max-age=", "X-Content-Type-Options: nosniff", "Referrer-Policy: ", "/assets/*\n  ! Cache-Control\n  Cache-Control: public, max-age=31536000, immutable", "Cache-Control: public, max-age=60"} {
			if !strings.Contains(h, want) {
				t.Errorf("_headers lacks %q", want)
			}
		}
		if r := tree["_redirects"]; !strings.HasPrefix(r, "/favicon.ico /assets/favicon.") || !strings.HasSuffix(r, " 302\n/old/* /blog/:splat 301\n") {
			t.Errorf("_redirects = %q", tree["_redirects"])
		}
		if !strings.Contains(tree["robots.txt"], "Sitemap: https://lab.test/sitemap.xml") {
			t.Errorf("robots.txt = %q", tree["robots.txt"])
		}
	})
}

func assertOrder(t *testing.T, s string, parts ...string) {
	t.Helper()
	last := -1
	for _, p := range parts {
		i := strings.Index(s, p)
		if i < 0 || i < last {
			t.Errorf("%q missing or out of order", p)
			return
		}
		last = i
	}
}

func TestFeedsAndSitemap(t *testing.T) {
	src := sitetest.Write(t, testSite)
	out := filepath.Join(t.TempDir(), "dist")
	build(t, src, out, false)

	var atom struct {
		ID      string `xml:"id"`
		Updated string `xml:"updated"`
		Links   []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Entries []struct {
			ID      string `xml:"id"`
			Title   string `xml:"title"`
			Updated string `xml:"updated"`
			Link    struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
			Content struct {
				Type string `xml:"type,attr"`
				Body string `xml:",chardata"`
			} `xml:"content"`
			Categories []struct {
				Term string `xml:"term,attr"`
			} `xml:"category"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(sitetest.ReadFile(t, out, "feed.xml")), &atom); err != nil {
		t.Fatalf("feed.xml is not XML: %v", err)
	}
	var titles []string
	for _, e := range atom.Entries {
		titles = append(titles, e.Title)
		if !strings.HasPrefix(e.ID, "https://lab.test/") || !strings.HasPrefix(e.Link.Href, "https://lab.test/") {
			t.Errorf("entry %q has a relative id or link: %q %q", e.Title, e.ID, e.Link.Href)
		}
		if e.Content.Type != "html" || e.Content.Body == "" {
			t.Errorf("entry %q lacks full content", e.Title)
		}
		if strings.Contains(e.Content.Body, `href="/`) || strings.Contains(e.Content.Body, `href="#`) {
			t.Errorf("entry %q content has relative links: %s", e.Title, e.Content.Body)
		}
	}
	if got := strings.Join(titles, "|"); got != "Third post|Second post|A note|First post" {
		t.Errorf("atom entries = %q", got)
	}
	if atom.Updated != "2026-03-01T08:30:00Z" {
		t.Errorf("feed updated = %q, want the newest content date", atom.Updated)
	}
	if !strings.Contains(atom.Entries[3].Content.Body, `href="https://lab.test/blog/first/#part"`) {
		t.Errorf("fragment link not made absolute: %s", atom.Entries[3].Content.Body)
	}

	var jf struct {
		Version string `json:"version"`
		FeedURL string `json:"feed_url"`
		Items   []struct {
			ID           string   `json:"id"`
			URL          string   `json:"url"`
			Title        string   `json:"title"`
			ContentHTML  string   `json:"content_html"`
			DateModified string   `json:"date_modified"`
			Tags         []string `json:"tags"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(sitetest.ReadFile(t, out, "feed.json")), &jf); err != nil {
		t.Fatalf("feed.json is not JSON: %v", err)
	}
	if jf.Version != "https://jsonfeed.org/version/1.1" || jf.FeedURL != "https://lab.test/feed.json" || len(jf.Items) != 4 {
		t.Fatalf("json feed header or items wrong: %+v", jf)
	}
	second := jf.Items[1]
	if second.URL != "https://lab.test/blog/second/" || second.DateModified != "2026-02-10T00:00:00Z" || !slices.Equal(second.Tags, []string{"Go"}) {
		t.Errorf("second item = %+v", second)
	}

	var sm struct {
		URLs []struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal([]byte(sitetest.ReadFile(t, out, "sitemap.xml")), &sm); err != nil {
		t.Fatalf("sitemap.xml is not XML: %v", err)
	}
	locs := map[string]string{}
	for _, u := range sm.URLs {
		locs[u.Loc] = u.LastMod
	}
	for loc, mod := range map[string]string{
		"https://lab.test/":              "2026-03-01",
		"https://lab.test/blog/second/":  "2026-02-10",
		"https://lab.test/blog/page/2/":  "2026-03-01",
		"https://lab.test/notes/a-note/": "2026-01-15",
		"https://lab.test/tags/go/":      "2026-03-01",
	} {
		if got, ok := locs[loc]; !ok || got != mod {
			t.Errorf("sitemap %s lastmod = %q (present %v), want %q", loc, got, ok, mod)
		}
	}
	if _, ok := locs["https://lab.test/404.html"]; ok {
		t.Error("sitemap lists the 404 page")
	}
	// 7 lists (home, blog ×2, notes, tags, 2 tags) + 3 posts + 1 note.
	if len(sm.URLs) != 11 {
		t.Errorf("sitemap has %d URLs, want 11", len(sm.URLs))
	}
}

func TestDraftsFlagPublishesDrafts(t *testing.T) {
	src := sitetest.Write(t, testSite)
	out := filepath.Join(t.TempDir(), "dist")
	build(t, src, out, true)
	page := sitetest.ReadFile(t, out, "blog/hidden-draft/index.html")
	if !strings.Contains(page, "zebra") || !strings.Contains(page, `class="draft"`) {
		t.Error("with --drafts the draft should be built and marked")
	}
	sitetest.ReadFile(t, out, "tags/secret-tag/index.html")
}

func TestDeterministic(t *testing.T) {
	src := sitetest.Write(t, testSite)
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	build(t, src, a, false)
	build(t, src, b, false)
	ta, tb := sitetest.Tree(t, a), sitetest.Tree(t, b)
	if len(ta) != len(tb) {
		t.Fatalf("%d files vs %d", len(ta), len(tb))
	}
	for p, body := range ta {
		if tb[p] != body {
			t.Errorf("%s differs between two builds of the same input", p)
		}
	}
}

func TestFailedBuildKeepsPreviousOutput(t *testing.T) {
	src := sitetest.Write(t, testSite)
	out := filepath.Join(t.TempDir(), "dist")
	build(t, src, out, false)
	before := sitetest.Tree(t, out)

	sitetest.WriteInto(t, src, `
-- content/posts/2026-05-01-broken.md --
---
title: Broken
date: not a date
---
`)
	_, err := Build(context.Background(), Options{Src: src, Out: out, Static: static.FS(), Islands: Islands()})
	probs, ok := diag.As(err)
	if !ok || len(probs) != 1 || probs[0].Line != 3 || probs[0].Field != "date" {
		t.Fatalf("want one date problem on line 3, got %v", err)
	}
	after := sitetest.Tree(t, out)
	if len(after) != len(before) {
		t.Fatalf("output changed: %d files, had %d", len(after), len(before))
	}
	for p, body := range before {
		if after[p] != body {
			t.Errorf("%s changed after a failed build", p)
		}
	}
	leftovers, err := filepath.Glob(filepath.Join(filepath.Dir(out), ".dist.new-*"))
	if err != nil || len(leftovers) > 0 {
		t.Errorf("temporary build directories left behind: %v %v", leftovers, err)
	}
}

func TestBrokenLinks(t *testing.T) {
	src := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML+`-- content/posts/2026-01-01-a.md --
---
title: A
date: 2026-01-01
---
Fine: [home](/), [tags](/tags/), [feed](/feed.xml), [ext](https://example.com/), [mail](mailto:a@b.c), [frag](#x).

Broken: [missing](/blog/nope/).

Relative and broken: [up](../nothing/) and an image ![alt](/img/missing.png).
`)
	_, err := Check(Options{Src: src, Static: static.FS(), Islands: Islands()})
	probs, ok := diag.As(err)
	if !ok {
		t.Fatalf("want link problems, got %v", err)
	}
	var got []string
	for _, p := range probs {
		got = append(got, fmt.Sprintf("%d %s", p.Line, p.Msg))
	}
	want := []string{
		"7 broken link /blog/nope/: no page or file of the site has this URL",
		"9 broken link ../nothing/: no page or file of the site has this URL",
		"9 broken link /img/missing.png: no page or file of the site has this URL",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n got %q\nwant %q", got, want)
	}
}

func TestRefusesToReplaceForeignDirectory(t *testing.T) {
	src := sitetest.Write(t, testSite)
	out := filepath.Join(t.TempDir(), "precious")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "thesis.tex"), []byte("years of work"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Build(context.Background(), Options{Src: src, Out: out, Static: static.FS(), Islands: Islands()})
	if err == nil || !strings.Contains(err.Error(), "does not look like a labfront build") {
		t.Fatalf("want a refusal, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "thesis.tex")); err != nil {
		t.Fatal("the foreign file is gone")
	}
	if _, err := Build(context.Background(), Options{Src: src, Out: src, Static: static.FS(), Islands: Islands()}); err == nil {
		t.Fatal("building into the source directory must be refused")
	}
}

func TestUnsafeMarkdownNeverReachesDist(t *testing.T) {
	src := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML+`-- content/posts/2026-01-01-attack.md --
---
title: "<script>alert('title')</script>"
date: 2026-01-01
summary: "\"><img src=x onerror=alert(1)>"
tags: ["<b onmouseover=alert(1)>"]
---
<script>alert(1)</script>

<img src=x onerror="alert(1)">

[click](javascript:alert(1)) [tab](java&#9;script:alert(1)) ![img](javascript:alert(1))

<a href="javascript:alert(1)">raw</a> <iframe src="https://evil.test"></iframe>
`)
	out := filepath.Join(t.TempDir(), "dist")
	build(t, src, out, false)
	tree := sitetest.Tree(t, out)
	var ownScripts []string
	for p := range tree {
		if strings.HasPrefix(p, "assets/") && strings.HasSuffix(p, ".js") {
			ownScripts = append(ownScripts, "/"+p)
		}
	}
	for p, body := range tree {
		if !strings.HasSuffix(p, ".html") && !strings.HasSuffix(p, ".xml") && !strings.HasSuffix(p, ".json") {
			continue
		}
		// The search index holds text, which the island only ever sets
		// as textContent; it is never read as markup.
		if strings.HasPrefix(p, "search/") && strings.HasSuffix(p, ".json") {
			continue
		}
		doc := body
		if strings.HasSuffix(p, ".json") {
			var jf struct {
				Items []struct {
					ContentHTML string `json:"content_html"`
				} `json:"items"`
			}
			if err := json.Unmarshal([]byte(body), &jf); err != nil {
				t.Fatal(err)
			}
			doc = ""
			for _, it := range jf.Items {
				doc += it.ContentHTML
			}
		}
		if p == "feed.xml" {
			// Only html-typed content is markup to a feed reader; titles
			// and summaries are text.
			var feed struct {
				Entries []struct {
					Content string `xml:"content"`
				} `xml:"entry"`
			}
			if err := xml.Unmarshal([]byte(body), &feed); err != nil {
				t.Fatal(err)
			}
			doc = ""
			for _, e := range feed.Entries {
				doc += e.Content
			}
		}
		if found := sitetest.Executable(doc, ownScripts...); len(found) > 0 {
			t.Errorf("%s: executable markup %q", p, found)
		}
	}
}

// TestExampleSite builds the repository's own example and checks every
// internal href and src of every page resolves to a built file.
func TestExampleSite(t *testing.T) {
	out := filepath.Join(t.TempDir(), "dist")
	build(t, "..", out, false)
	files := map[string]bool{}
	tree := sitetest.Tree(t, out)
	for p := range tree {
		files["/"+p] = true
	}
	var ownScripts []string
	for p := range tree {
		if strings.HasPrefix(p, "assets/") && strings.HasSuffix(p, ".js") {
			ownScripts = append(ownScripts, "/"+p)
		}
	}
	checked := 0
	for p, body := range tree {
		if !strings.HasSuffix(p, ".html") {
			continue
		}
		for _, ref := range sitetest.Refs(body) {
			target, ok := internalTarget("/"+strings.TrimSuffix(p, "index.html"), ref)
			if !ok {
				continue
			}
			checked++
			if !resolves(files, target) {
				t.Errorf("%s links to %s, which is not in the build", p, ref)
			}
		}
		if found := sitetest.Executable(body, ownScripts...); len(found) > 0 {
			t.Errorf("%s: executable markup %q", p, found)
		}
	}
	if checked < 100 {
		t.Errorf("only %d internal links checked; the example site should have far more", checked)
	}
	// The example shows a page bundle: a post with a file beside it.
	if got, want := tree["blog/prometheus-alerting/alerts.yml"], "groups:\n"; !strings.HasPrefix(got, want) {
		t.Errorf("the example bundle's alerts.yml is not published: %q", got[:min(len(got), 40)])
	}

	// The example lab has a private node and aliased nodes: none of what
	// they hide may appear anywhere in the built site.
	l, err := lab.Load("../content/lab.yaml", "content/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, n := range l.Nodes {
		switch {
		case !n.Public:
			secrets = append(secrets, n.Name, n.ID, n.Description)
		case n.Alias != "":
			secrets = append(secrets, n.Name)
		}
	}
	if len(secrets) < 3 {
		t.Fatalf("the example lab should exercise privacy (private nodes, aliases); secrets: %q", secrets)
	}
	word := func(s string) *regexp.Regexp {
		return regexp.MustCompile(`(?i)(^|[^\pL\pN_-])` + regexp.QuoteMeta(s) + `($|[^\pL\pN_-])`)
	}
	for p, body := range tree {
		for _, s := range secrets {
			if word(s).MatchString(body) {
				t.Errorf("%s reveals %q", p, s)
			}
		}
	}
}

// checkOnly is Check for tests that only look at the error.
func checkOnly(opts Options) error {
	_, err := Check(opts)
	return err
}
