package blogimport

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAstroPathAliasesAndDottedDates: pictures named through an import
// alias of tsconfig.json (@assets/… for src/assets/…) are carried into
// the bundle, and a pubDate written 2025.12.20 (which JavaScript's Date
// reads) is the post's date.
func TestAstroPathAliasesAndDottedDates(t *testing.T) {
	src := writeSite(t, `
-- astro.config.mjs --
export default defineConfig({
  site: 'https://old.example.org',
});
-- tsconfig.json --
{
  "extends": "astro/tsconfigs/strict",
  // comments are allowed here
  "compilerOptions": {
    "baseUrl": ".",
    "paths": {
      "@assets/*": ["src/assets/*"],
      "@/*": ["src/*"],
    }
  }
}
-- src/assets/post/cover.png --
PNG
-- src/assets/post/inside.png --
PNG
-- src/images/other.png --
PNG
-- src/content/blog/dotted.md --
---
title: Dotted
pubDate: "2025.12.20"
heroImage: "@assets/post/cover.png"
heroImageAlt: The cover
---
![Inside](@assets/post/inside.png) and ![Other](@/images/other.png)
`)
	dest := t.TempDir()
	rep, err := Astro(context.Background(), src, Options{Dest: dest})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Posts) != 1 || rep.Posts[0].Path != "content/posts/2025-12-20-dotted/index.md" {
		t.Fatalf("posts = %+v", rep.Posts)
	}
	bundle := filepath.Join(dest, "content/posts/2025-12-20-dotted")
	post, err := os.ReadFile(filepath.Join(bundle, "index.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"date: 2025-12-20\n", "cover: post/cover.png\n", "![Inside](post/inside.png)", "![Other](images/other.png)"} {
		if !strings.Contains(string(post), want) {
			t.Errorf("post lacks %q:\n%s", want, post)
		}
	}
	for _, name := range []string{"post/cover.png", "post/inside.png", "images/other.png"} {
		if _, err := os.Stat(filepath.Join(bundle, name)); err != nil {
			t.Errorf("not carried: %v", err)
		}
	}
	importAndBuild(t, dest, false)
}
