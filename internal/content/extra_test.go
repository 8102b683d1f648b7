package content

import (
	"slices"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/sitefs"
	"github.com/labfront/labfront/internal/testkit/sitetest"
)

func TestMoreFrontMatterKeys(t *testing.T) {
	dir := sitetest.Write(t, `-- content/site.yaml --
title: T
base_url: https://lab.test
author: {name: Site Owner}
-- content/posts/2026-01-01-one.md --
---
title: One
date: 2026-01-01
series: Rack Tour
aliases: [/2019/05/rack-tour/, /posts/one.html]
extra: {layout: wide, weight: 3, params: {toc: true}, 1999: numbers are text}
---
-- content/posts/2026-02-01-two.md --
---
title: Two
date: 2026-02-01
series: "rack tour"
author: Guest Writer
---
`)
	site, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	two, one := site.Posts[0], site.Posts[1]
	if got := site.AuthorOf(one); got != "Site Owner" {
		t.Errorf("AuthorOf(one) = %q, want the site's author", got)
	}
	if got := site.AuthorOf(two); got != "Guest Writer" {
		t.Errorf("AuthorOf(two) = %q", got)
	}
	want := []PageAlias{{"/2019/05/rack-tour/", 5}, {"/posts/one.html", 5}}
	if !slices.Equal(one.Aliases, want) {
		t.Errorf("aliases = %v, want %v", one.Aliases, want)
	}
	if want := []string{"1999", "layout", "params", "weight"}; !slices.Equal(one.ExtraKeys, want) {
		t.Errorf("extra keys = %v, want %v", one.ExtraKeys, want)
	}
	// One series, matched like tags, oldest part first, named as its
	// first part spells it.
	s, i := site.SeriesOf(two)
	if s == nil || s.Name != "Rack Tour" || i != 1 || len(s.Pages) != 2 || s.Pages[0] != one {
		t.Errorf("SeriesOf(two) = %+v, %d", s, i)
	}
	if len(site.Series) != 1 || len(site.Warnings) != 0 {
		t.Errorf("series %v, warnings %v", site.Series, site.Warnings)
	}
}

func TestSeriesOrder(t *testing.T) {
	post := func(name, date, extra string) string {
		return "-- content/posts/" + name + ".md --\n---\ntitle: " + name + "\ndate: " + date + "\nseries: S\n" + extra + "---\n"
	}
	site0 := "-- content/site.yaml --\ntitle: T\nbase_url: https://lab.test\n"
	// series_order beats the date.
	dir := sitetest.Write(t, site0+post("a", "2026-01-01", "series_order: 2\n")+post("b", "2026-03-01", "series_order: 1\n")+post("c", "2026-02-01", "series_order: 3\n"))
	site, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, p := range site.Series[0].Pages {
		order = append(order, p.Title)
	}
	if want := []string{"b", "a", "c"}; !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	for _, tc := range []struct {
		name, archive string
		want          []string
	}{
		{"mixed numbering", post("a", "2026-01-01", "series_order: 1\n") + post("b", "2026-02-01", ""), []string{
			"content/posts/b.md:4: series_order: missing: other parts of the series \"S\" have series_order:, so every part needs one (or remove them all to order by date)",
		}},
		{"same number", post("a", "2026-01-01", "series_order: 1\n") + post("b", "2026-02-01", "series_order: 1\n"), []string{
			"content/posts/b.md:5: series_order: 1 is also the number of content/posts/a.md in the series \"S\"",
		}},
		{"zero and text", post("a", "2026-01-01", "series_order: 0\n") + post("b", "2026-02-01", "series_order: two\n"), []string{
			"content/posts/a.md:5: series_order: must be 1 or more (the part's number), found 0",
			"content/posts/b.md:5: series_order: expected a whole number, found \"two\"",
		}},
		{"one part is a warning", post("a", "2026-01-01", "") + post("b", "2026-02-01", "draft: true\n"), []string{
			"content/posts/a.md:4: series: warning: \"S\" has only this part published (drafts are left out); the series box appears from two parts",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := loadAllProblems(t, site0+tc.archive); !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestAliasAndExtraProblems(t *testing.T) {
	got := loadAllProblems(t, `-- content/site.yaml --
title: T
base_url: https://lab.test
aliases:
  - {from: /taken/, to: /blog/}
-- content/posts/a.md --
---
title: A
date: 2026-01-01
aliases:
  - old/no-slash/
  - //evil.test/x
  - /old/*
  - /old/:year/
  - /q?x=1
  - /taken/
  - /shared/
  - {from: /x/}
extra: [1, 2]
---
-- content/posts/b.md --
---
title: B
date: 2026-01-01
aliases: [/shared/]
extra: {ok: 1, ok: 2}
---
`)
	want := []string{
		`content/posts/a.md:5: aliases[0]: must be a path on this site starting with / (no scheme or host), such as /2019/05/rack-tour/, found "old/no-slash/"`,
		`content/posts/a.md:6: aliases[1]: must be a path on this site starting with / (no scheme or host), such as /2019/05/rack-tour/, found "//evil.test/x"`,
		`content/posts/a.md:7: aliases[2]: must be one exact path: * and :placeholders make a dynamic rule, which site.yaml's aliases can hold, found "/old/*"`,
		`content/posts/a.md:8: aliases[3]: must be one exact path: * and :placeholders make a dynamic rule, which site.yaml's aliases can hold, found "/old/:year/"`,
		`content/posts/a.md:9: aliases[4]: must be a path without ?query or #fragment (Pages matches redirects on the path), found "/q?x=1"`,
		`content/posts/a.md:10: aliases: /taken/ is already redirected by content/site.yaml:4; an old path can lead to one page only`,
		`content/posts/a.md:12: aliases[7]: expected an old path such as /2019/05/rack-tour/, found a mapping`,
		`content/posts/a.md:13: extra: expected a mapping of keys labfront ignores (extra: {key: value}), found a list`,
		`content/posts/b.md:4: aliases: /shared/ is already redirected by content/posts/a.md:11; an old path can lead to one page only`,
		`content/posts/b.md:5: extra.ok: duplicate key`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n got %q\nwant %q", got, want)
	}
}

// loadAllProblems is problems through LoadAll: warnings included.
func loadAllProblems(t *testing.T, archive string) []string {
	t.Helper()
	dir := sitetest.Write(t, archive)
	files, err := sitefs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	_, list, err := LoadAll(files, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range list {
		out = append(out, strings.ReplaceAll(p.Error(), dir+"/", ""))
	}
	return out
}
