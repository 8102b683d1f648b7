package web

import (
	"html"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

var (
	metaDescription = regexp.MustCompile(`<meta name="description" content="([^"]*)">`)
	ogLocaleMeta    = regexp.MustCompile(`<meta property="og:locale" content="([^"]*)">`)
	preTag          = regexp.MustCompile(`<pre[^>]*>`)
	tableWrapTag    = regexp.MustCompile(`<div class="table-wrap"[^>]*>`)
	tagLink         = regexp.MustCompile(`<a class="tag"[^>]*>(.*?)</a>`)
	selectTag       = regexp.MustCompile(`<select[^>]*>`)
	navBlock        = regexp.MustCompile(`(?s)<nav aria-label="Main">.*?</nav>`)
	hrefAttr        = regexp.MustCompile(`href="([^"]*)"`)
	emptyTH         = regexp.MustCompile(`<th[^>]*></th>`)
)

// TestExampleSiteAccessibility builds the example site and checks, on the
// built HTML, each finding of the accessibility and SEO audit (issue 18):
// the fixes must hold on every page, not only in the unit that makes them.
func TestExampleSiteAccessibility(t *testing.T) {
	out := filepath.Join(t.TempDir(), "dist")
	build(t, "..", out, false)
	tree := sitetest.Tree(t, out)
	descriptions := map[string]string{}
	pres, wraps, tags := 0, 0, 0
	for p, body := range tree {
		if !strings.HasSuffix(p, ".html") {
			continue
		}
		m := metaDescription.FindStringSubmatch(body)
		if m == nil {
			t.Errorf("%s has no meta description", p)
		} else {
			d := html.UnescapeString(m[1])
			if other, ok := descriptions[d]; ok {
				t.Errorf("%s and %s share the description %q", p, other, d)
			}
			descriptions[d] = p
			// Summaries are the author's to size; what the build writes
			// itself must be a sentence, not a few words.
			if n := len([]rune(d)); n < 35 {
				t.Errorf("%s: description of %d characters, want a sentence: %q", p, n, d)
			}
		}
		if m := ogLocaleMeta.FindStringSubmatch(body); m == nil || m[1] != "en_US" {
			t.Errorf("%s: og:locale = %v, want en_US", p, m)
		}
		if emptyTH.MatchString(body) {
			t.Errorf("%s has an empty <th>", p)
		}
		for _, tag := range preTag.FindAllString(body, -1) {
			pres++
			if !strings.Contains(tag, `tabindex="0"`) || !strings.Contains(tag, `aria-label=`) {
				t.Errorf("%s: %s cannot be reached by keyboard or has no name", p, tag)
			}
		}
		for _, tag := range tableWrapTag.FindAllString(body, -1) {
			wraps++
			if !strings.Contains(tag, `tabindex="0"`) || !strings.Contains(tag, `role="region"`) || !strings.Contains(tag, "aria-label") {
				t.Errorf("%s: %s cannot be reached by keyboard or has no name", p, tag)
			}
		}
		for _, m := range tagLink.FindAllStringSubmatch(body, -1) {
			tags++
			if !strings.HasPrefix(m[1], `<span class="visually-hidden">Posts and notes tagged </span>`) {
				t.Errorf("%s: tag link %q has no descriptive name", p, m[0])
			}
		}
		for _, tag := range selectTag.FindAllString(body, -1) {
			if !strings.Contains(tag, " id=") || !strings.Contains(tag, " name=") {
				t.Errorf("%s: %s has no id or name", p, tag)
			}
		}
	}
	// The example has code, tables and tags: the loops above saw them.
	if pres < 5 || wraps < 2 || tags < 20 {
		t.Errorf("saw %d code blocks, %d table wrappers, %d tag links: the example site should have more", pres, wraps, tags)
	}
	if d := firstDescription(t, tree, "blog/page/2/index.html"); !strings.HasPrefix(d, "Page 2 of ") {
		t.Errorf("/blog/page/2/ description %q, want it to say which page", d)
	}
	if d := firstDescription(t, tree, "tags/go/index.html"); !strings.Contains(d, "about Go on Jove & Kronos") {
		t.Errorf("/tags/go/ description %q, want a sentence naming the tag and site", d)
	}
	if !strings.Contains(tree["blog/static-blog-ssr-admin/index.html"], `<thead><tr><td></td>`) {
		t.Error("the example's empty header cell is still a <th>")
	}
	// On a phone the site's heading wraps after the dash, never before.
	status := html.UnescapeString(tree["status/index.html"])
	if !strings.Contains(status, "Jove<span class=\"muted\">\u00a0— ") && !strings.Contains(status, "Jove<span class=muted>\u00a0— ") {
		t.Error("the status page's site heading can break before its em dash")
	}
	if !strings.Contains(tree["architecture/index.html"], `<label for="topology-site">`) {
		t.Error("the topology site filter has no label for its id")
	}
}

func firstDescription(t *testing.T, tree map[string]string, p string) string {
	t.Helper()
	m := metaDescription.FindStringSubmatch(tree[p])
	if m == nil {
		t.Fatalf("%s has no meta description", p)
	}
	return html.UnescapeString(m[1])
}

// TestDescriptionsOfTestSite checks the fallbacks on a site made for it:
// a post without summary is described by its first paragraph.
func TestDescriptionsOfTestSite(t *testing.T) {
	src := sitetest.Write(t, testSite)
	out := filepath.Join(t.TempDir(), "dist")
	build(t, src, out, false)
	tree := sitetest.Tree(t, out)
	for _, tc := range []struct{ page, want string }{
		{"blog/second/index.html", "Second body with a relative link to first."},
		{"blog/first/index.html", "The first one."},
		{"index.html", "A lab under test."},
		{"tags/go/index.html", "3 posts and notes about Go on Test Lab, newest first: “Second post”, “A note” and “First post”."},
		{"blog/page/2/index.html", "Page 2 of 2: Everything written about building and running the lab, newest first."},
	} {
		if got := firstDescription(t, tree, tc.page); got != tc.want {
			t.Errorf("%s description = %q, want %q", tc.page, got, tc.want)
		}
	}
	if d := firstDescription(t, tree, "404.html"); d == "A lab under test." {
		t.Error("404.html repeats the home page's description")
	}
}

// TestDefaultNav: a site.yaml without nav: gets a header link to each
// section the site has, in a fixed order, and no <nav> when it has none.
func TestDefaultNav(t *testing.T) {
	noNav := strings.Replace(testSite, "nav:\n  - {title: Blog, url: /blog/}\n  - {title: Notes, url: /notes/}\n", "", 1)
	if noNav == testSite {
		t.Fatal("the test site's nav was not removed")
	}
	lab := "\n-- content/lab.yaml --\nsites: [{id: home, name: Home, networks: [{id: lan, name: LAN}]}]\nnodes: [{id: sw, name: Switch, type: network, site: home}]\nlinks: []\nservices: []\n"
	onlyPosts := "-- content/site.yaml --\ntitle: Posts\nbase_url: https://lab.test/\n-- content/posts/a.md --\n---\ntitle: A\ndate: 2026-01-01\n---\nA post.\n"
	empty := "-- content/site.yaml --\ntitle: Empty\nbase_url: https://lab.test/\n"
	for _, tc := range []struct {
		name, site string
		want       []string
	}{
		{"site.yaml's nav", testSite, []string{"/blog/", "/notes/"}},
		{"posts and notes", noNav, []string{"/blog/", "/notes/"}},
		{"posts, notes and a lab", noNav + lab, []string{"/blog/", "/notes/", "/architecture/", "/status/"}},
		{"posts only", onlyPosts, []string{"/blog/"}},
		{"nothing", empty, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "dist")
			build(t, sitetest.Write(t, tc.site), out, false)
			home := sitetest.ReadFile(t, out, "index.html")
			nav := navBlock.FindString(home)
			if tc.want == nil {
				if nav != "" || strings.Contains(home, "<nav") {
					t.Errorf("an empty site has a nav: %s", nav)
				}
				return
			}
			var got []string
			for _, m := range hrefAttr.FindAllStringSubmatch(nav, -1) {
				got = append(got, m[1])
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("nav links %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOGLocale(t *testing.T) {
	for _, tc := range []struct{ lang, want string }{
		{"en", "en_US"}, {"EN", "en_US"}, {"en-GB", "en_GB"}, {"pt-BR", "pt_BR"}, {"de", "de_DE"},
		{"sv", "sv_SE"}, {"zh-Hant-TW", "zh_TW"}, {"zh-Hant", "zh_CN"}, {"es-419", "es_419"}, {"", "en_US"},
	} {
		if got := ogLocale(tc.lang); got != tc.want {
			t.Errorf("ogLocale(%q) = %q, want %q", tc.lang, got, tc.want)
		}
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("word ", 50)
	got := clip(long, 160)
	if n := len([]rune(got)); n > 160 || !strings.HasSuffix(got, "word…") {
		t.Errorf("clip gave %d characters: %q", n, got)
	}
	if got := clip("short", 160); got != "short" {
		t.Errorf("clip(short) = %q", got)
	}
}
