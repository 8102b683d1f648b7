package web

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
)

// everyStage has problems in every stage of check: site.yaml, the front
// matter of several posts and a note, lab.yaml, a bundle's SVG, links,
// image alt text, aliases and a series. The siblings of a broken post are
// still checked, and links to what is left out for its own problems (a
// post with broken front matter, the lab pages, a refused SVG) are not
// reported again as broken.
const everyStage = `
-- content/site.yaml --
title: Every Stage
base_url: https://lab.test
colour: blue
aliases:
  - {from: /old/feed, to: /feed.xml}
-- content/posts/2026-01-01-broken.md --
---
title: Broken
date: yesterday
---
Links [a missing page](/blog/nowhere/) but is skipped, so it is not checked.
-- content/posts/2026-01-02-sibling.md --
---
title: Sibling
date: 2026-01-02
series: Solo
aliases: [/old/feed, /blog/, "https://elsewhere.test/x", /ok/one/, /ok/one/]
---
Links [the broken post](/blog/broken/), [the lab](/architecture/), [the drawing](/blog/rack/rack.svg) and [nothing](/blog/nothing-here/).

![](/media/none.png)
-- content/posts/2026-01-03-rack/index.md --
---
title: Rack
date: 2026-01-03
series_order: 2
extra: [not, a, mapping]
---
![the rack](rack.svg)
-- content/posts/2026-01-03-rack/rack.svg --
<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>
-- content/notes/imported.md --
---
title: Imported
date: 2026-02-01
author: Guest Writer
extra: {layout: wide, weight: 3, params: {toc: true}}
categorie: typo
---
Fine apart from the typo.
-- content/lab.yaml --
sites:
  - {id: north, name: North}
nodes:
  - {id: hv1, name: hv, type: toaster, site: north}
`

func TestCheckReportsEveryStage(t *testing.T) {
	src := sitetest.Write(t, everyStage)
	opts := Options{Src: src, Static: static.FS(), Islands: Islands()}
	_, checkErr := Check(opts)
	opts.Out = filepath.Join(t.TempDir(), "dist")
	_, buildErr := Build(context.Background(), opts)
	for _, run := range []struct {
		stage string
		err   error
	}{{"check", checkErr}, {"build", buildErr}} {
		stage, err := run.stage, run.err
		list, ok := diag.As(err)
		if !ok {
			t.Fatalf("%s: want problems, got %v", stage, err)
		}
		var b strings.Builder
		for _, p := range list {
			b.WriteString(strings.ReplaceAll(p.Error(), src+"/", "") + "\n")
		}
		t.Logf("%s's problems", stage)
		golden(t, "checkall.golden", "TestCheckReportsEveryStage", b.String(), stage == "check")
	}
	if _, err := os.Stat(opts.Out); err == nil {
		t.Error("a build with problems wrote its output")
	}
}

func TestAliasesSeriesAndAuthorInTheBuild(t *testing.T) {
	src := sitetest.Write(t, `-- content/site.yaml --
title: T
base_url: https://lab.test
author: {name: Site Owner, email: me@lab.test}
aliases:
  - {from: /posts/*, to: /blog/:splat}
-- content/posts/2026-01-01-one.md --
---
title: Part one
date: 2026-01-01
series: Rack tour
aliases: [/posts/rack-one.html, /2019/05/rack-tour/]
extra: {hugo_layout: xyzzy-marker-never-published}
---
First.
-- content/posts/2026-02-01-two.md --
---
title: Part two
date: 2026-02-01
series: Rack tour
author: Guest Writer
---
Second.
`)
	out := filepath.Join(t.TempDir(), "dist")
	res, err := Build(context.Background(), Options{Src: src, Out: out, Static: static.FS(), Islands: Islands()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %v", res.Warnings)
	}
	redirects := sitetest.ReadFile(t, out, "_redirects")
	// Exact old paths come before site.yaml's wildcard, which would
	// otherwise catch /posts/rack-one.html first.
	wantRules := "/2019/05/rack-tour/ /blog/one/ 301\n/posts/rack-one.html /blog/one/ 301\n/posts/* /blog/:splat 301\n"
	if !strings.HasSuffix(redirects, wantRules) {
		t.Errorf("_redirects:\n%s\nwant it to end with:\n%s", redirects, wantRules)
	}
	two := sitetest.ReadFile(t, out, "blog/two/index.html")
	for _, want := range []string{
		`By <span class="author">Guest Writer</span>`,
		`<span class="series-part">Part 2 of 2</span> Rack tour`,
		`<li><a href="/blog/one/">Part one</a></li><li aria-current="page"><span>Part two</span></li>`,
		`<a href="/blog/one/"><span>Previous part</span>Part one</a>`,
	} {
		if !strings.Contains(two, want) {
			t.Errorf("blog/two/index.html lacks %s", want)
		}
	}
	one := sitetest.ReadFile(t, out, "blog/one/index.html")
	for _, want := range []string{`By <span class="author">Site Owner</span>`, `<span>Next part</span>Part two</a>`} {
		if !strings.Contains(one, want) {
			t.Errorf("blog/one/index.html lacks %s", want)
		}
	}
	if strings.Contains(one, "Previous part") {
		t.Error("the first part links to a previous one")
	}
	atom := sitetest.ReadFile(t, out, "feed.xml")
	if !strings.Contains(atom, "<author>\n   <name>Guest Writer</name>\n  </author>") || strings.Count(atom, "<author>") != 2 {
		t.Errorf("feed.xml: want the feed's author and the guest's entry author:\n%s", atom)
	}
	if js := sitetest.ReadFile(t, out, "feed.json"); !strings.Contains(js, `"authors": [`+"\n    {\n     \"name\": \"Guest Writer\"") {
		t.Errorf("feed.json lacks the guest author:\n%s", js)
	}
	for name, body := range sitetest.Tree(t, out) {
		if strings.Contains(body, "xyzzy-marker") {
			t.Errorf("%s publishes a value of extra:", name)
		}
	}
}

func TestRedirectLimits(t *testing.T) {
	for _, tc := range []struct {
		name        string
		static, dyn int
		want        string
	}{
		{"static rules within the limit", 1998, 0, ""}, // + the favicon rule
		{"static rules past the limit", 2000, 0, "content/site.yaml: aliases: _redirects would have 2001 static rules (2000 from the aliases: of posts and notes); Cloudflare Pages reads at most 2000"},
		{"dynamic rules past the limit", 0, 101, "content/site.yaml: aliases: _redirects would have 101 dynamic rules"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("-- content/site.yaml --\ntitle: T\nbase_url: https://lab.test\naliases:\n")
			for i := range tc.dyn {
				b.WriteString("  - {from: /old" + strconv.Itoa(i) + "/*, to: /blog/:splat}\n")
			}
			b.WriteString("-- content/posts/p.md --\n---\ntitle: P\ndate: 2026-01-01\naliases:\n")
			for i := range tc.static {
				b.WriteString("  - /old/" + strconv.Itoa(i) + "/\n")
			}
			b.WriteString("---\n")
			src := sitetest.Write(t, b.String())
			_, err := Check(Options{Src: src, Static: static.FS(), Islands: Islands()})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("want no problem, got %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(strings.ReplaceAll(err.Error(), src+"/", ""), tc.want) {
				t.Errorf("want %q, got %v", tc.want, err)
			}
		})
	}
}
