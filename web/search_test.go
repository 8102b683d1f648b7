package web

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/labfront/labfront/internal/corpus"
	"github.com/labfront/labfront/internal/search"
	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// searchReader opens the index a build wrote under out.
func searchReader(t *testing.T, out string) *search.Reader {
	t.Helper()
	r, err := search.Open(func(name string) ([]byte, error) {
		return os.ReadFile(filepath.Join(out, "search", filepath.FromSlash(name)))
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// searchFiles maps each index file to its inode: a file the build did
// not rewrite keeps its inode (the new tree hard-links it).
func searchFiles(t *testing.T, out string) map[string]uint64 {
	t.Helper()
	files := map[string]uint64{}
	err := filepath.WalkDir(filepath.Join(out, "search"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "index.html" {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(out, p)
		files[filepath.ToSlash(rel)] = fi.Sys().(*syscall.Stat_t).Ino
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestSearchIndexIncremental: a one-word edit of an old post rewrites
// only the index files it touches (the rest keep their inodes), the
// result equals a clean build byte for byte, and the new word is found.
// A damaged or missing body cache only costs the work.
func TestSearchIndexIncremental(t *testing.T) {
	src := t.TempDir()
	if err := corpus.Write(src, corpusPosts); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dist")
	mustBuild(t, buildOpts(src, out, false))
	before := searchFiles(t, out)
	if _, err := os.Stat(filepath.Join(cacheDir(out), searchCacheFile)); err != nil {
		t.Fatalf("no search cache after a build: %v", err)
	}
	posts, err := filepath.Glob(filepath.Join(src, "content", "posts", "*.md"))
	if err != nil || len(posts) < 10 {
		t.Fatal(posts, err)
	}
	slices.Sort(posts)
	editFile(t, posts[3], func(s string) string { return s + "\nA zanzibarquux appeared.\n" })
	mustBuild(t, buildOpts(src, out, false))
	after := searchFiles(t, out)
	clean := filepath.Join(t.TempDir(), "dist")
	mustBuild(t, buildOpts(src, clean, true))
	sameTree(t, out, clean)

	var rewritten []string
	for name, ino := range after {
		if before[name] != ino {
			rewritten = append(rewritten, name)
		}
	}
	slices.Sort(rewritten)
	// meta.json, the post's document shard, the shards and typo lists of
	// "zanzibarquux" and "appear" (when new to the post).
	t.Logf("rewritten: %q of %d", rewritten, len(before))
	if len(rewritten) > 6 || !slices.Contains(rewritten, "search/meta.json") || len(before) < 20 {
		t.Errorf("a one-word edit rewrote %q of %d index files", rewritten, len(before))
	}
	res, err := searchReader(t, out).Search(search.Query{Text: "zanzibarquux"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 1 {
		t.Errorf("the new word finds %d documents: %+v", res.Total, res.Hits)
	}

	// A damaged cache is ignored: the build is still the clean one.
	cache := filepath.Join(cacheDir(out), searchCacheFile)
	data, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x40
	if err := os.WriteFile(cache, data, 0o644); err != nil {
		t.Fatal(err)
	}
	editFile(t, posts[4], func(s string) string { return s + "\nAnother line.\n" })
	mustBuild(t, buildOpts(src, out, false))
	mustBuild(t, buildOpts(src, clean, true))
	sameTree(t, out, clean)
	if got := loadSearchCache(cacheDir(out), mustVersion(t)); len(got) != corpusPosts {
		t.Errorf("the rebuilt search cache holds %d bodies, want %d", len(got), corpusPosts)
	}
}

func mustVersion(t *testing.T) [32]byte {
	t.Helper()
	v, err := selfVersion()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSearchExampleSite: the example's index finds the lab as the
// architecture page shows it, posts by their words, and filters.
func TestSearchExampleSite(t *testing.T) {
	out := filepath.Join(t.TempDir(), "dist")
	build(t, "..", out, false)
	r := searchReader(t, out)
	urls := func(q search.Query) []string {
		t.Helper()
		q.Limit = 100
		res, err := r.Search(q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range res.Hits {
			out = append(out, h.URL)
		}
		return out
	}
	// "ollama" finds the service, the node that runs it and the note
	// that mentions it.
	got := urls(search.Query{Text: "ollama"})
	for _, want := range []string{"/architecture/#service-ollama", "/architecture/#node-ai-titan", "/notes/from-cron-spaghetti-to-container-orchestra/"} {
		if !slices.Contains(got, want) {
			t.Errorf("ollama: %q lacks %s", got, want)
		}
	}
	if len(got) == 0 || got[0] != "/architecture/#service-ollama" {
		t.Errorf("ollama: the service named so should come first: %q", got)
	}
	for _, u := range urls(search.Query{Text: "proxmox", Kind: "lab"}) {
		if !strings.HasPrefix(u, "/architecture/#") {
			t.Errorf("kind lab gave %s", u)
		}
	}
	tagged := urls(search.Query{Text: "cloudflare", Tag: "security"})
	if len(tagged) == 0 {
		t.Error("no result for cloudflare tagged security")
	}
	for _, u := range tagged {
		if !strings.HasPrefix(u, "/blog/") && !strings.HasPrefix(u, "/notes/") {
			t.Errorf("tag filter gave %s", u)
		}
	}
	page := sitetestPage(t, out, "search/index.html")
	for _, want := range []string{`action="/search/"`, `name="q"`, "needs JavaScript", `role="status"`, `name="robots" content="noindex"`} {
		if !strings.Contains(page, want) {
			t.Errorf("/search/ lacks %s", want)
		}
	}
	if home := sitetestPage(t, out, "index.html"); !strings.Contains(home, `id="site-search-q"`) || !strings.Contains(home, "/assets/searchkey.") {
		t.Error("the home page has no header search box or no / shortcut")
	}
}

func sitetestPage(t *testing.T, out, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSearchIslandSize holds the island to its budget: 10 KB gzipped.
func TestSearchIslandSize(t *testing.T) {
	t.Parallel()
	for name, limit := range map[string]int{"search.ts": 10 << 10, "searchkey.ts": 1 << 10} {
		src, err := fs.ReadFile(Islands(), name)
		if err != nil {
			t.Fatal(err)
		}
		js, err := bundle(name, src)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := zw.Write(js); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes, %d gzipped", name, len(js), b.Len())
		if b.Len() > limit {
			t.Errorf("%s is %d bytes gzipped, over its %d", name, b.Len(), limit)
		}
	}
}

// Body text for the index: headings (a field of their own) and
// aria-hidden permalinks are left out, so excerpts start with prose.
func TestHTMLText(t *testing.T) {
	for _, tc := range []struct{ name, html, want string }{
		{"heading and its permalink",
			`<h2 id="what-is-traefik">What is Traefik<a class="anchor" href="#what-is-traefik" aria-hidden="true" tabindex="-1">#</a></h2><p>Traefik is a proxy.</p>`,
			"Traefik is a proxy."},
		{"entities decoded, tags split words", `<p>A&amp;B<code>x</code><span>y</span></p>`, "A&B x y"},
		{"an aria-hidden void element skips only itself", `<p>one <img src="a.png" aria-hidden="true"> two</p>`, "one two"},
		{"an aria-hidden element with no end keeps the rest", `<p><span aria-hidden="true">one two</p>`, "one two"},
		{"upper-case heading", `<H3>Title</H3><p>Body</p>`, "Body"},
		{"header is no heading", `<header>kept</header>`, "kept"},
	} {
		if got := strings.Join(strings.Fields(htmlText([]byte(tc.html))), " "); got != tc.want {
			t.Errorf("%s: htmlText = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestSearchRealBlogShape: posts shaped like those of a real imported
// Hugo blog (docs/search.md): a heading first, headings with permalinks,
// series of posts sharing words. Headings left out of the body still
// rank (as their own field) and excerpts start with the first paragraph.
func TestSearchRealBlogShape(t *testing.T) {
	src := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML+`
-- content/posts/2024-05-21-traefik-install.md --
---
title: "Traefik Reverse Proxy: Installation"
date: 2024-05-21
tags: [traefik, docker]
---
## What is Traefik

Traefik is an open-source reverse proxy that works well with Docker.

## Prerequisites

A domain and a Cloudflare API token.
-- content/posts/2024-05-22-traefik-middlewares.md --
---
title: "Traefik Reverse Proxy: Middlewares & Dashboard Security"
date: 2024-05-22
tags: [traefik]
---
## Prerequisites

Traefik running with a working certificate resolver.

## Rate limiting

Middlewares sit between the router and the service.
-- content/posts/2024-08-21-cloudflare-tunnels.md --
---
title: Self-Hosting with Cloudflare Tunnels
date: 2024-08-21
tags: [cloudflare, zero trust]
---
In the world of self-hosting, secure access is crucial. Traefik can sit behind the tunnel.

## Rate limiting at the edge

Cloudflare can limit requests before they reach the tunnel.
`)
	out := filepath.Join(t.TempDir(), "dist")
	mustBuild(t, buildOpts(src, out, false))
	r := searchReader(t, out)
	for _, tc := range []struct {
		query     string
		typing    bool
		first     string
		total     int
		excerptAt string // the first hit's excerpt starts so
	}{
		{"traefik middleware", false, "/blog/traefik-middlewares/", 1, "Traefik running with"},
		{"what is traefik", false, "/blog/traefik-install/", 1, "Traefik is an open-source"},
		// A heading is found through its own field, and weighs more
		// than a mention in a body.
		{"rate limiting", false, "/blog/cloudflare-tunnels/", 2, "In the world of self-hosting"},
		{"prerequisites", false, "/blog/traefik-middlewares/", 2, "Traefik running with"},
		{"cloudflare tunnel", false, "/blog/cloudflare-tunnels/", 1, "In the world"},
		{"traefk", false, "/blog/traefik-install/", 3, ""},
		{"middlew", true, "/blog/traefik-middlewares/", 1, ""},
	} {
		res, err := r.Search(search.Query{Text: tc.query, Typing: tc.typing})
		if err != nil {
			t.Fatal(err)
		}
		var posts []search.Hit
		for _, h := range res.Hits {
			if h.Kind == "post" {
				posts = append(posts, h)
			}
		}
		if len(posts) != tc.total || posts[0].URL != tc.first {
			t.Errorf("%q: %d posts %+v, want %d with %s first", tc.query, len(posts), posts, tc.total, tc.first)
			continue
		}
		if !strings.HasPrefix(posts[0].Excerpt, tc.excerptAt) {
			t.Errorf("%q: excerpt %q, want it to start %q", tc.query, posts[0].Excerpt, tc.excerptAt)
		}
	}
}
