package blogimport

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/importlimit"
	"github.com/labfront/labfront/internal/sitefs"
	"github.com/labfront/labfront/internal/siteurl"
	"github.com/labfront/labfront/internal/slug"
)

// Options are the flags of `labfront import hugo|jekyll|astro`.
type Options struct {
	// Dest is the labfront site (--src): posts go to Dest/content/.
	Dest string
	// BaseURL is the old site's address when its config does not state
	// one as a literal (--base-url); it also becomes site.yaml's base_url
	// when the import writes site.yaml.
	BaseURL string
	DryRun  bool
	Limits  importlimit.Limits
}

// maxAssetBytes bounds one copied file (an image, a PDF): picture refuses
// images over 100 megapixels anyway, and a source tree is read like an
// archive, every byte counted against Limits.ArchiveBytes.
const maxAssetBytes = 64 << 20

// source is what one generator's reader found.
type source struct {
	gen         string
	dir         string // as given, for messages
	fs          *sitefs.Site
	title       string
	description string
	language    string
	baseURL     string // the old site's URL, "" when unknown
	posts       []*post
	// orphans are translations with no post in the default language.
	orphans []*translation
	// staticRoots are folders of the source (names) that an absolute
	// path /x/y.png is looked up in, first match wins.
	staticRoots []string
	// pathAliases are import aliases a page may name files by, such as
	// Astro's "@assets/" for "src/assets/" (tsconfig.json's paths), longest
	// first.
	pathAliases []pathAlias
	// headless are Hugo's headless bundles: folders of files other pages
	// use, imported into content/media/.
	headless []*headlessBundle
	// convert turns the generator's syntax in p.body into Markdown; it
	// runs once every post's new URL is known.
	convert func(p *post, r *resolver) string
	entries int // files walked, against Limits.ArchiveEntries
	limits  importlimit.Limits
	budget  *importlimit.Budget
	rep     *Report
}

// post is one source page on its way to a labfront page bundle.
type post struct {
	src      string // name in the source, e.g. content/posts/x/index.md
	dir      string // folder relative references resolve in
	bundle   bool   // the folder's other files belong to the post (Hugo leaf bundle)
	kind     content.Kind
	meta     meta
	body     string
	bodyLine int
	oldURLs  []string // paths on the old site, base path included
	refKeys  []string // names other posts reference it by (Hugo ref, Jekyll post_url)
	trans    []*translation
	// html marks a post written in HTML (a Jekyll _posts/x.html).
	html bool
	// lines, when set by a conversion that moved lines around (HTML to
	// Markdown), is the source line of each line of the converted body.
	lines []int
	// Filled in by the core.
	slug   string
	outDir string            // e.g. content/posts/2024-01-02-x
	files  map[string]string // bundle-relative name → source name
	used   map[string]bool   // the files the page names (a link, an image, the cover)
	text   []byte            // the index.md written
}

// pathAlias is one prefix of tsconfig.json's compilerOptions.paths.
type pathAlias struct{ prefix, dir string }

// headlessBundle is a folder of the source whose files are published
// under /media/ rather than carried into one post's bundle.
type headlessBundle struct {
	dir   string // its folder in the source, content/shared
	rel   string // dir under the content folder, shared
	index string // its index.md
	media string // where its files go, content/media/shared
	// files maps a name under media to the source name.
	files map[string]string
}

// url is where a file of the bundle (a name relative to dir) is
// published.
func (hb *headlessBundle) url(name string) string {
	return "/" + strings.TrimPrefix(path.Join(hb.media, name), "content/")
}

// headlessAt is the headless bundle that holds the source file name, nil
// for none.
func (s *source) headlessAt(name string) *headlessBundle {
	for _, hb := range s.headless {
		if strings.HasPrefix(name, hb.dir+"/") {
			return hb
		}
	}
	return nil
}

// translation is another language's version of a post.
type translation struct {
	lang     string
	src      string
	meta     meta
	body     string
	bodyLine int
	out      string
	text     []byte
}

// lineAt is the source line of line i (from 0) of the converted body.
func (p *post) lineAt(i int) int {
	if p.lines != nil {
		if i < len(p.lines) {
			return p.lines[i]
		}
		return p.bodyLine
	}
	return p.bodyLine + i
}

func (p *post) newURL() string { return "/" + p.kind.Section() + "/" + p.slug + "/" }

// basePath is the old site's path prefix: "/blog" for
// https://x.github.io/blog/, "" at a host's root.
func (s *source) basePath() string {
	u, err := url.Parse(s.baseURL)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(u.Path, "/")
}

// readText reads a source text file within the article limit.
func (s *source) readText(name string) ([]byte, error) {
	f, err := s.fs.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := s.budget.Read(f, s.limits.ArticleBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return data, nil
}

// exists reports whether name is a regular file of the source.
func (s *source) exists(name string) bool {
	if !fs.ValidPath(name) {
		return false
	}
	fi, err := s.fs.Stat(name)
	return err == nil && fi.Mode().IsRegular()
}

// walk lists the regular files under dir (a name of the source), sorted,
// skipping hidden files and folders and node_modules, within
// Limits.ArchiveEntries.
func (s *source) walk(dir string) ([]string, error) {
	var out []string
	err := s.fs.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		base := path.Base(name)
		if name != dir && (strings.HasPrefix(base, ".") || base == "node_modules") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		s.entries++
		if s.entries > s.limits.ArchiveEntries {
			return fmt.Errorf("%s: more than %d files: the limit of one import", s.dir, s.limits.ArchiveEntries)
		}
		if d.Type()&fs.ModeSymlink != 0 {
			// sitefs lists a link to a file inside the source as that file;
			// one still a link here leads out of the source or to a folder,
			// and the import refuses it by name rather than skip it quietly.
			if _, err := s.fs.ReadFile(name); err != nil {
				return err
			}
		}
		if d.Type().IsRegular() {
			out = append(out, name)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// display is how the report shows a source name.
func (s *source) display(name string) string { return s.fs.Display(name) }

// run is the shared pipeline every generator ends in.
func run(ctx context.Context, s *source, opt Options) (*Report, error) {
	rep := s.rep
	if len(s.posts) > s.limits.Rows {
		return rep, fmt.Errorf("%s: %d posts: more than %d, the limit of one import", s.dir, len(s.posts), s.limits.Rows)
	}
	if s.baseURL != "" {
		if err := siteurl.Check(s.baseURL, siteurl.Absolute); err != nil {
			return rep, fmt.Errorf("the old site's base URL %q: %v (pass --base-url)", s.baseURL, err)
		}
	}
	assignSlugs(s)
	res := newResolver(s)
	for _, hb := range s.headless {
		if err := addHeadlessFiles(s, hb); err != nil {
			return rep, err
		}
	}
	for _, p := range s.posts {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("stopped before %s (%w); nothing was written", s.display(p.src), context.Cause(ctx))
		}
		p.files = map[string]string{}
		if p.bundle {
			if err := addBundleFiles(s, p); err != nil {
				return rep, err
			}
		}
		body := s.convert(p, res)
		body = rewriteBody(s, res, p, body)
		cover(s, res, p)
		if p.meta.Title == "" {
			p.meta.Title = titleFromSlug(p.slug)
			if m := firstHeading.FindStringSubmatch(body); m != nil {
				p.meta.Title = strings.TrimSpace(m[1])
			}
			rep.look(s.display(p.src), 1, "no title: used %q", p.meta.Title)
		}
		p.text = renderPage(p, aliasesFor(s, res, p), body)
		for _, t := range p.trans {
			tb := s.convert(&post{src: t.src, dir: p.dir, body: t.body, bodyLine: t.bodyLine, kind: p.kind, slug: p.slug, oldURLs: p.oldURLs}, res)
			t.out = path.Join("content/translations", t.lang, p.kind.Dir(), path.Base(p.outDir)+".md")
			t.text = renderTranslation(t, p, tb)
			rep.Translations = append(rep.Translations, Kept{Lang: t.lang, Path: t.out, From: s.display(t.src)})
		}
	}
	checkRedirectLimits(s, res)
	return rep, write(ctx, s, opt)
}

var datePrefix = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}-(.+)$`)

var firstHeading = regexp.MustCompile(`(?m)\A\s*#\s+(.+)$`)

// assignSlugs gives every post a unique slug and output folder. Slugs are
// made the labfront way (lower case, dashes) from the source's slug, so
// a source slug that was already clean keeps its URL's last segment.
func assignSlugs(s *source) {
	sort.SliceStable(s.posts, func(i, j int) bool { return s.posts[i].src < s.posts[j].src })
	taken := map[string]string{}
	for _, p := range s.posts {
		base := p.slug
		if p.meta.Slug != "" {
			base = p.meta.Slug
		}
		// The bundle folder is named <date>-<slug> already: a file
		// named 2022-02-10-redesign.md would be dated twice.
		if m := datePrefix.FindStringSubmatch(base); m != nil && p.kind != content.Note {
			base = m[1]
		}
		sl := slug.Make(base)
		if sl == "" {
			sl = slug.Make(p.meta.Title)
		}
		if sl == "" {
			sl = "post"
		}
		key := p.kind.Dir() + "/" + sl
		for n := 2; taken[key] != ""; n++ {
			cand := fmt.Sprintf("%s-%d", slug.Make(base), n)
			key = p.kind.Dir() + "/" + cand
			if taken[key] == "" {
				s.rep.look(s.display(p.src), 1, "slug %q is taken by %s: this post is %q", sl, taken[p.kind.Dir()+"/"+sl], cand)
				sl = cand
			}
		}
		taken[key] = s.display(p.src)
		p.slug = sl
		if p.kind == content.Note {
			p.outDir = path.Join("content", p.kind.Dir(), sl)
		} else {
			p.outDir = path.Join("content", p.kind.Dir(), dayOf(p.meta.Date)+"-"+sl)
		}
	}
}

// addBundleFiles carries every resource of a leaf bundle: nothing of the
// post is left behind even when the Markdown does not name it (a theme
// may show it).
func addBundleFiles(s *source, p *post) error {
	names, err := s.walk(p.dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		rel := strings.TrimPrefix(n, p.dir+"/")
		if isContentFile(rel) {
			continue // the page itself, its translations, other pages
		}
		p.files[rel] = n
	}
	return nil
}

// addHeadlessFiles lists every file of a headless bundle but its pages:
// all of them are carried, used by a post or not, since the old site's
// templates may have shown any of them.
func addHeadlessFiles(s *source, hb *headlessBundle) error {
	names, err := s.walk(hb.dir)
	if err != nil {
		return err
	}
	hb.files = map[string]string{}
	for _, n := range names {
		rel := strings.TrimPrefix(n, hb.dir+"/")
		if isContentFile(rel) {
			continue
		}
		hb.files[rel] = n
	}
	return nil
}

func isContentFile(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown", ".mdx", ".html", ".htm", ".org", ".adoc", ".rst":
		return true
	}
	return false
}

func titleFromSlug(s string) string {
	s = strings.ReplaceAll(s, "-", " ")
	if s == "" {
		return "Untitled"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// aliasesFor lists the old URLs of p that must redirect to its new one:
// each once, never the new URL itself, never one another post claims or
// one that is another page's URL (check refuses both).
func aliasesFor(s *source, res *resolver, p *post) []string {
	var out []string
	seen := map[string]bool{}
	for _, u := range append(append([]string{}, p.oldURLs...), p.meta.Aliases...) {
		a := aliasPath(u, s)
		if a == "" || seen[a] || a == p.newURL() || strings.TrimSuffix(a, "/") == strings.TrimSuffix(p.newURL(), "/") {
			continue
		}
		seen[a] = true
		if other, ok := res.pageAt[strings.TrimSuffix(a, "/")]; ok && other != p {
			s.rep.look(s.display(p.src), p.meta.Lines["aliases"], "old URL %s is %s's new URL: no redirect", a, s.display(other.src))
			continue
		}
		if owner, ok := res.aliasOwner[a]; ok && owner != p {
			s.rep.look(s.display(p.src), p.meta.Lines["aliases"], "old URL %s is also an old URL of %s: it redirects there", a, s.display(owner.src))
			continue
		}
		res.aliasOwner[a] = p
		out = append(out, a)
	}
	s.rep.Redirects += len(out)
	return out
}

// aliasPath makes an old URL a site path for _redirects: absolute URLs
// of the old site lose their host, paths are escaped the way a browser
// sends them, relative Hugo aliases are taken from the site's root.
func aliasPath(u string, s *source) string {
	u = strings.TrimSpace(u)
	if u == "" {
		return ""
	}
	if pu, err := url.Parse(u); err == nil && pu.IsAbs() {
		if s.baseURL == "" {
			return ""
		}
		bu, err := url.Parse(s.baseURL)
		if err != nil || !strings.EqualFold(bu.Host, pu.Host) {
			return ""
		}
		u = pu.Path
	}
	if !strings.HasPrefix(u, "/") {
		u = "/" + u
	}
	if dec, err := url.PathUnescape(u); err == nil {
		u = dec
	}
	u = path.Clean(u) + map[bool]string{true: "/", false: ""}[strings.HasSuffix(u, "/") && u != "/"]
	return (&url.URL{Path: u}).EscapedPath()
}

// Pages applies at most 2,000 static and 100 dynamic redirects and
// ignores the rest; check refuses more, so the report says so before. A
// generator whose old URLs are a fixed prefix and the slug can be served
// by one splat rule instead, which the report offers.
func checkRedirectLimits(s *source, res *resolver) {
	const pagesStatic, pagesDynamic = 2000, 100
	if s.rep.Redirects <= pagesStatic {
		return
	}
	s.rep.look(s.dir, 0, "%d old URLs is more than Cloudflare Pages' %d static redirects: Pages would ignore the rest, so check refuses the site until fewer remain. "+
		"Where old URLs share a prefix and the slug did not change, one splat rule in site.yaml (aliases: [{from: /posts/*, to: /blog/:splat, status: 301}], one of Pages' %d dynamic rules) "+
		"replaces them: drop the aliases: it covers from the posts", s.rep.Redirects, pagesStatic, pagesDynamic)
}
