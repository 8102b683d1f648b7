package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// jekyllBlog is a small Jekyll site without pictures (the fixtures of
// internal/blogimport cover those).
const jekyllBlog = `
-- _config.yml --
title: Old Lab
url: https://old.example.org
permalink: pretty
-- _posts/2023-01-05-first-light.md --
---
title: First light
categories: [homelab]
---
See [the second]({% post_url 2023-02-10-second %}).
-- _posts/2023-02-10-second.md --
---
title: Second
---
{% include footer.html %}
`

// TestImportBlogCLI drives `labfront import jekyll` as a user would: a
// dry run writes nothing, the import reports each post and what to look
// at, a second run changes nothing, and an edited post is kept and named
// while the others import.
func TestImportBlogCLI(t *testing.T) {
	src := sitetest.Write(t, jekyllBlog)
	dest := filepath.Join(t.TempDir(), "site")

	code, out, errs := runCLI(t, "import", "jekyll", src, "--src", dest, "--dry-run")
	if code != exitOK || !strings.Contains(out, "would import (dry run, nothing written) 2 posts") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errs)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatalf("dry run created %s", dest)
	}

	code, out, errs = runCLI(t, "import", "jekyll", src, "--src", dest)
	for _, want := range []string{
		"new       content/posts/2023-01-05-first-light/index.md",
		"converted: post_url 1",
		"_posts/2023-02-10-second.md:4: Liquid tag {% include %} is not known to the import: left as text",
		"wrote content/site.yaml",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s%s", want, out, errs)
		}
	}
	if code != exitOK {
		t.Fatalf("import: exit %d\n%s", code, errs)
	}
	post := filepath.Join(dest, "content/posts/2023-01-05-first-light/index.md")
	body, err := os.ReadFile(post)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[the second](/blog/second/)", "/homelab/2023/01/05/first-light/"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("%s lacks %q:\n%s", post, want, body)
		}
	}

	code, out, _ = runCLI(t, "import", "jekyll", src, "--src", dest)
	if code != exitOK || strings.Count(out, "unchanged ") != 2 {
		t.Errorf("second import: exit %d, want both posts unchanged:\n%s", code, out)
	}

	if err := os.WriteFile(post, append(body, "My edit.\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, "import", "jekyll", src, "--src", dest)
	if code != exitOK || !strings.Contains(out, "content/posts/2023-01-05-first-light/index.md: edited since the last import") ||
		!strings.Contains(out, "kept      content/posts/2023-01-05-first-light/index.md") || !strings.Contains(out, "unchanged content/posts/2023-02-10-second/index.md") {
		t.Errorf("import over an edit: exit %d, want 0, the post kept and named, the other imported\n%s%s", code, out, errs)
	}
	if got, err := os.ReadFile(post); err != nil || !strings.HasSuffix(string(got), "My edit.\n") {
		t.Errorf("the edit was overwritten: %v\n%s", err, got)
	}
}

func TestImportBlogUsage(t *testing.T) {
	for _, args := range [][]string{
		{"import", "hugo"},
		{"import", "astro", "a", "b"},
		{"import", "jekyll", "dir", "--nope"},
	} {
		if code, _, errs := runCLI(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errs)
		}
	}
	code, _, errs := runCLI(t, "import", "hugo", t.TempDir(), "--src", t.TempDir())
	if code != exitInput || !strings.Contains(errs, "no Hugo configuration") {
		t.Errorf("a folder that is no Hugo site: exit %d: %s", code, errs)
	}
}
