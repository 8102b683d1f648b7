package blogimport

import (
	"context"
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

// TestImportThenBuild imports each fixture, then checks and builds the
// result: check passes, every link and image of every built page points
// at a file of dist/ (or outside the site), and _redirects carries a 301
// from each old URL to its new one.
func TestImportThenBuild(t *testing.T) {
	redirects := map[string][]string{
		"hugo": {
			"/en/2024/03/rack-tour/ /blog/rack-tour/ 301",
			"/old/rack/ /blog/rack-tour/ 301",
			"/en/2024/04/the-network/ /blog/the-network/ 301",
			"/en/about/ /notes/about/ 301",
		},
		"jekyll": {
			"/blog/homelab/linux/2023/01/05/first-light.html /blog/first-light/ 301",
			"/blog/first/ /blog/first-light/ 301",
			"/blog/2023/02/10/second.html /blog/second/ 301",
		},
		"astro": {},
	}
	for _, g := range generators {
		t.Run(g.name, func(t *testing.T) {
			src := writeSite(t, g.site)
			dest := t.TempDir()
			if _, err := g.run(context.Background(), src, Options{Dest: dest}); err != nil {
				t.Fatal(err)
			}
			tree := importAndBuild(t, dest, true)
			lines := strings.Split(tree["_redirects"], "\n")
			for _, want := range redirects[g.name] {
				if !containsLine(lines, want) {
					t.Errorf("_redirects has no line %q:\n%s", want, tree["_redirects"])
				}
			}
		})
	}
}

// importAndBuild checks and builds an imported site, and fails on any
// link or image of a built page that points at no file of dist/.
func importAndBuild(t *testing.T, dest string, drafts bool) map[string]string {
	t.Helper()
	opts := web.Options{Src: dest, Static: static.FS(), Islands: web.Islands()}
	if _, err := web.Check(opts); err != nil {
		t.Fatalf("check of the import: %v", err)
	}
	opts.Out = filepath.Join(t.TempDir(), "dist")
	opts.Drafts = drafts
	if _, err := web.Build(context.Background(), opts); err != nil {
		t.Fatalf("build of the import: %v", err)
	}
	tree := sitetest.Tree(t, opts.Out)
	for name, doc := range tree {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		for _, ref := range sitetest.Refs(doc) {
			if target, ok := localFile(name, ref); ok {
				if _, found := tree[target]; !found {
					t.Errorf("%s: %s points at no file of dist/ (%s)", name, ref, target)
				}
			}
		}
	}
	return tree
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if strings.Join(strings.Fields(l), " ") == want {
			return true
		}
	}
	return false
}

// localFile is the dist/ file a link of page names, false for links
// that leave the site.
func localFile(page, ref string) (string, bool) {
	u, err := url.Parse(ref)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path == "" {
		return "", false
	}
	p := u.Path
	if !strings.HasPrefix(p, "/") {
		p = path.Join("/", path.Dir(page), p)
	}
	if strings.HasSuffix(ref, "/") || strings.HasSuffix(u.Path, "/") || path.Ext(p) == "" {
		p = path.Join(p, "index.html")
	}
	return strings.TrimPrefix(path.Clean(p), "/"), true
}

// TestRedirectLimit: past Pages' 2,000 static redirects the report says
// so and what to do.
func TestRedirectLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("-- hugo.toml --\nbaseURL = \"https://old.example.org/\"\ntitle = \"Many\"\n")
	for i := range 2001 {
		b.WriteString("-- content/posts/p" + strconv.Itoa(i) + ".md --\n---\ntitle: P\ndate: 2024-01-01\n---\nx\n")
	}
	src := sitetest.Write(t, b.String())
	rep, err := Hugo(context.Background(), src, Options{Dest: t.TempDir(), DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Redirects != 2001 {
		t.Errorf("redirects = %d, want 2001", rep.Redirects)
	}
	found := false
	for _, p := range rep.Look {
		found = found || strings.Contains(p.Msg, "more than Cloudflare Pages' 2000 static redirects")
	}
	if !found {
		t.Errorf("the report does not warn about Pages' limit: %v", rep.Look)
	}
}
