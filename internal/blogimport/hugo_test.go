package blogimport

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// TestHugoConfigFolderAndLanguageDirs: the configuration in
// config/_default/ (one file per key), languages with their own content
// folders, uglyURLs, and a page only the second language has.
func TestHugoConfigFolderAndLanguageDirs(t *testing.T) {
	src := sitetest.Write(t, `
-- config/_default/hugo.yaml --
baseURL: https://lab.example.net/
title: Two languages
defaultContentLanguage: en
uglyURLs: true
-- config/_default/languages.yaml --
en:
  contentDir: content/en
fr:
  contentDir: content/fr
-- content/en/posts/vlan-plan.md --
---
title: VLAN plan
date: 2024-02-01
---
The plan. See also {{< ref "posts/vlan-plan" >}}.
-- content/fr/posts/vlan-plan.md --
---
title: Plan des VLAN
date: 2024-02-01
---
Le plan.
-- content/fr/posts/seulement.md --
---
title: Seulement en français
date: 2024-03-01
---
Rien en anglais.
`)
	dest := t.TempDir()
	rep, err := Hugo(context.Background(), src, Options{Dest: dest})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Posts) != 1 || rep.Posts[0].Path != "content/posts/2024-02-01-vlan-plan/index.md" {
		t.Fatalf("posts = %+v, want the English post only", rep.Posts)
	}
	post := sitetest.ReadFile(t, dest, "content/posts/2024-02-01-vlan-plan/index.md")
	for _, want := range []string{"  - /posts/vlan-plan.html\n", "See also /blog/vlan-plan/."} {
		if !strings.Contains(post, want) {
			t.Errorf("post lacks %q:\n%s", want, post)
		}
	}
	for _, name := range []string{"content/translations/fr/posts/2024-02-01-vlan-plan.md", "content/translations/fr/posts/seulement.md"} {
		if _, err := os.Stat(filepath.Join(dest, name)); err != nil {
			t.Errorf("translation not kept: %v", err)
		}
	}
	if len(rep.Translations) != 2 {
		t.Errorf("report lists %d translations, want 2: %+v", len(rep.Translations), rep.Translations)
	}
	fr := sitetest.ReadFile(t, dest, "content/translations/fr/posts/2024-02-01-vlan-plan.md")
	if !strings.Contains(fr, "translation_of: /blog/vlan-plan/") || !strings.Contains(fr, "Le plan.") {
		t.Errorf("French version:\n%s", fr)
	}
}

// TestFrontMatterMapping is the mapping table of the README, key by key.
func TestFrontMatterMapping(t *testing.T) {
	for _, tc := range []struct {
		name, fm string
		check    func(m meta) bool
	}{
		{"pubDate and description", "pubDate: Jul 08 2022\ndescription: d", func(m meta) bool { return m.Date == "2022-07-08" && m.Summary == "d" }},
		{"published false is a draft", "published: false\ndate: 2024-01-01", func(m meta) bool { return m.Draft && m.Date == "2024-01-01" }},
		{"published as a date", "published: 2024-05-06", func(m meta) bool { return m.Date == "2024-05-06" && !m.Draft }},
		{"publishDate with time", "publishDate: 2024-05-06T07:08:09+02:00", func(m meta) bool { return m.Date == "2024-05-06T07:08:09+02:00" }},
		{"lastmod", "date: 2024-01-01\nlastmod: 2024-02-02", func(m meta) bool { return m.Updated == "2024-02-02" }},
		{"updatedDate", "updatedDate: 2024-02-03", func(m meta) bool { return m.Updated == "2024-02-03" }},
		{"tags and categories merged once", "tags: [Linux, ZFS]\ncategories: [linux, Storage]\ncategory: Lab", func(m meta) bool {
			return strings.Join(m.Tags, ",") == "Linux,ZFS,Storage,Lab"
		}},
		{"cover.image and alt", "cover:\n  image: c.jpg\n  alt: A cat", func(m meta) bool { return m.Cover == "c.jpg" && m.CoverAlt == "A cat" }},
		{"heroImage", "heroImage: ./h.png\nheroImageAlt: Hero", func(m meta) bool { return m.Cover == "./h.png" && m.CoverAlt == "Hero" }},
		{"images[0]", "images: [a.png, b.png]", func(m meta) bool { return m.Cover == "a.png" && len(m.Extra) == 0 }},
		{"image", "image: /img/x.png", func(m meta) bool { return m.Cover == "/img/x.png" }},
		{"author map", "author: {name: Mara, email: m@x}", func(m meta) bool { return m.Author == "Mara" }},
		{"authors of one", "authors: [Mara]", func(m meta) bool { return m.Author == "Mara" }},
		{"authors of two stay extra", "authors: [Mara, Kai]", func(m meta) bool { return m.Author == "" && len(m.Extra) == 1 && m.Extra[0].Key == "authors" }},
		{"series list of one", "series: [Lab build]", func(m meta) bool { return m.Series == "Lab build" }},
		{"slug and url", "slug: my-slug\nurl: /old/path/", func(m meta) bool { return m.Slug == "my-slug" && m.URL == "/old/path/" }},
		{"aliases", "aliases: [/a/, /b/]", func(m meta) bool { return strings.Join(m.Aliases, ",") == "/a/,/b/" }},
		{"unknown keys kept in order", "zeta: 1\nlayout: post\nparams: {toc: true}", func(m meta) bool {
			return len(m.Extra) == 3 && m.Extra[0].Key == "zeta" && m.Extra[1].Key == "layout" && m.Extra[2].Key == "params"
		}},
		{"unreadable date kept as extra", "date: someday", func(m meta) bool { return m.Date == "" && len(m.Extra) == 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fm, err := splitFrontMatter([]byte("---\n" + tc.fm + "\n---\nbody\n"))
			if err != nil {
				t.Fatal(err)
			}
			m := mapFrontMatter(fm.Fields, "x.md", newReport("test", "."))
			if !tc.check(m) {
				t.Errorf("%q mapped to %+v", tc.fm, m)
			}
		})
	}
}

// TestFrontMatterForms: TOML, YAML and JSON give the same fields, with
// the lines of the source file.
func TestFrontMatterForms(t *testing.T) {
	for _, src := range []string{
		"+++\ntitle = \"T\"\ndate = 2024-01-02\ntags = [\"a\"]\n+++\nbody\n",
		"---\ntitle: T\ndate: 2024-01-02\ntags: [a]\n---\nbody\n",
		"{\n\"title\": \"T\",\n\"date\": \"2024-01-02\",\n\"tags\": [\"a\"]\n}\nbody\n",
	} {
		fm, err := splitFrontMatter([]byte(src))
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		m := mapFrontMatter(fm.Fields, "x.md", newReport("test", "."))
		if m.Title != "T" || m.Date != "2024-01-02" || len(m.Tags) != 1 || fm.Body != "body\n" || fm.BodyLine != 6 || m.Lines["date"] != 3 {
			t.Errorf("%q: title %q date %q tags %v body %q at %d, date line %d", src, m.Title, m.Date, m.Tags, fm.Body, fm.BodyLine, m.Lines["date"])
		}
	}
	if _, err := splitFrontMatter([]byte("---\ntitle: [unclosed\n---\n")); err == nil || !strings.Contains(err.Error(), "line") {
		t.Errorf("broken YAML: err = %v, want its line", err)
	}
}

// TestHugoHeadlessBundles: a headless bundle (headless: true, or
// build.render: never) is no page: its files go to content/media/<its
// path>/, links and covers that name them point at /media/, the Markdown
// pages inside it are not imported as posts, and the result checks and
// builds with every picture in place.
func TestHugoHeadlessBundles(t *testing.T) {
	src := writeSite(t, `
-- hugo.toml --
baseURL = "https://old.example.org/"
title = "Shared pictures"
-- content/shared/index.md --
---
headless: true
---
-- content/shared/diagram.png --
PNG
-- content/shared/sub/logo.png --
PNG
-- content/shared/caption.md --
---
title: A caption page
---
Used by a template.
-- content/gallery/Rack Photos/index.md --
---
title: Gallery
build:
  render: never
  list: never
---
Some words Hugo never published.
-- content/gallery/Rack Photos/rack.png --
PNG
-- content/posts/uses-shared/index.md --
---
title: Uses shared
date: 2024-05-01
cover: ../../shared/diagram.png
cover_alt: The diagram
---
![The diagram](../../shared/diagram.png) and {{< figure src="/shared/sub/logo.png" alt="Logo" >}}

A [download](/gallery/Rack%20Photos/rack.png).
-- content/posts/own.md --
---
title: Own
date: 2024-05-02
---
Nothing shared.
`)
	dest := t.TempDir()
	rep, err := Hugo(context.Background(), src, Options{Dest: dest})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, p := range rep.Posts {
		paths = append(paths, p.Path)
	}
	if len(paths) != 2 {
		t.Fatalf("posts = %v, want uses-shared and own only (no headless page, no resource page)", paths)
	}
	for _, name := range []string{"content/media/shared/diagram.png", "content/media/shared/sub/logo.png", "content/media/gallery/rack-photos/rack.png"} {
		if _, err := os.Stat(filepath.Join(dest, name)); err != nil {
			t.Errorf("headless file not imported: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(dest, "content/posts/2024-05-01-uses-shared/diagram.png")); err == nil {
		t.Errorf("the shared picture was copied into the post too")
	}
	post := sitetest.ReadFile(t, dest, "content/posts/2024-05-01-uses-shared/index.md")
	for _, want := range []string{"cover: /media/shared/diagram.png", "![The diagram](/media/shared/diagram.png)", "/media/shared/sub/logo.png", "[download](/media/gallery/rack-photos/rack.png)"} {
		if !strings.Contains(post, want) {
			t.Errorf("post lacks %q:\n%s", want, post)
		}
	}
	if len(rep.Headless) != 2 || rep.Headless[0].Path != "content/media/gallery/rack-photos/" || rep.Headless[0].Files != 1 || rep.Headless[1].Files != 2 {
		t.Errorf("report's headless bundles: %+v", rep.Headless)
	}
	var out strings.Builder
	if err := rep.Print(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"content/shared -> content/media/shared/ (2 files, published at /media/shared/)",
		"content/gallery/Rack Photos/index.md:7: the headless bundle's own text is not imported",
		"content/shared/caption.md:4: a page of the headless bundle",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}

	tree := importAndBuild(t, dest, false)
	if page := tree["blog/uses-shared/index.html"]; !strings.Contains(page, "/media/shared/") {
		t.Errorf("built post does not use the pictures of /media/shared/:\n%s", page)
	}

	// Idempotent with the shared files too.
	rep, err = Hugo(context.Background(), src, Options{Dest: dest})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Posts {
		if p.Status != "unchanged" {
			t.Errorf("second run: %s %s", p.Status, p.Path)
		}
	}
}

// TestHugoFilenameDates: with frontmatter.date: [":filename", …] Hugo
// dates 2022-02-10-redesign.md by its name and gives it the slug
// "redesign"; old URLs, links between posts and the new folders follow.
func TestHugoFilenameDates(t *testing.T) {
	src := sitetest.Write(t, `
-- config.yaml --
baseURL: https://old.example.org/
title: Dated names
permalinks:
  post: "/:year/:month/:day/:slug"
frontmatter:
  date: [":filename", ":default"]
-- content/post/2021-04-07-first-post.md --
---
title: I am back
---
Hello.
-- content/post/2022-02-10-redesign.md --
---
title: A new design
date: 2022-02-01
---
After [the first post](/2021/04/07/first-post/).
-- content/archive.html --
---
title: Archive
---
<ul></ul>
-- content/post/undated-name.md --
---
title: Plain
date: 2023-01-01
---
Plain.
`)
	dest := t.TempDir()
	rep, err := Hugo(context.Background(), src, Options{Dest: dest})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, p := range rep.Posts {
		paths = append(paths, p.Path)
	}
	want := []string{"content/posts/2021-04-07-first-post/index.md", "content/posts/2022-02-10-redesign/index.md", "content/posts/2023-01-01-undated-name/index.md"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Fatalf("posts %v, want %v", paths, want)
	}
	var html bool
	for _, p := range rep.Look {
		html = html || strings.HasSuffix(p.Path, "content/archive.html") && strings.Contains(p.Msg, "a .html page: not imported")
	}
	if !html {
		t.Errorf("the HTML page is not reported: %v", rep.Look)
	}
	post := sitetest.ReadFile(t, dest, "content/posts/2022-02-10-redesign/index.md")
	for _, w := range []string{"date: 2022-02-10\n", "  - /2022/02/10/redesign/\n", "[the first post](/blog/first-post/)"} {
		if !strings.Contains(post, w) {
			t.Errorf("post lacks %q:\n%s", w, post)
		}
	}
}

// TestNormalizeDate: the date forms real blogs were found to use.
func TestNormalizeDate(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"2024-01-02", "2024-01-02"},
		{"2025.12.20", "2025-12-20"},
		{"2025/12/20", "2025-12-20"},
		{"2021-04-07 23:56:18 +1000", "2021-04-07T23:56:18+10:00"},
		{"2022-06-14 17:00:00 - 500", "2022-06-14T17:00:00-05:00"},
		{"2022-06-14 17:00 -05:00", "2022-06-14T17:00:00-05:00"},
		{"someday", ""},
	} {
		got, err := normalizeDate(c.in)
		if got != c.want || (err != nil) != (c.want == "") {
			t.Errorf("normalizeDate(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
