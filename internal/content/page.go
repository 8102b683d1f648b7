package content

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/markdown"
	"github.com/labfront/labfront/internal/sitefs"
	"github.com/labfront/labfront/internal/siteurl"
	"github.com/labfront/labfront/internal/slug"
	"github.com/labfront/labfront/internal/yamldoc"
)

// Kind says which section a page belongs to.
type Kind int

// The content sections.
const (
	Post Kind = iota
	Note
)

// Section is the URL section of a kind: "blog" or "notes".
func (k Kind) Section() string {
	if k == Note {
		return "notes"
	}
	return "blog"
}

// Dir is the folder under content/ that holds the kind.
func (k Kind) Dir() string {
	if k == Note {
		return "notes"
	}
	return "posts"
}

// Name is the kind as a reader would call it.
func (k Kind) Name() string {
	if k == Note {
		return "note"
	}
	return "post"
}

// Page is one post or note.
type Page struct {
	Kind      Kind
	Path      string // as shown in messages, e.g. content/posts/x.md
	Title     string
	Summary   string
	Slug      string
	Canonical string
	// Cover is the cover: key as written, a picture of the page's bundle
	// or of content/media (the build resolves and checks the file, see
	// package web); CoverAlt is cover_alt:, and CoverLine the line of
	// cover:, for the build's problems about the file.
	Cover     string
	CoverAlt  string
	CoverLine int
	Date      time.Time
	Updated   time.Time
	Tags      []string // as written
	Draft     bool
	Doc       *markdown.Document
	// Sum is the SHA-256 of the file's bytes, the page's identity in
	// caches. A page restored from the build cache has everything but
	// Doc.HTML; Site.Body converts it again when an output needs it.
	Sum Digest
	// Stamp is the source file's stat when it was read; a build whose
	// stat of the file matches it reuses the page unread.
	Stamp Stamp
	// Promoted is set when the front matter records a promotion from
	// Substack (labfront promote); nil for pages written here.
	Promoted *Promoted
	// Bundle is set when the page is a folder (Path ends in /index.md);
	// nil for a single file. It is listed afresh on every load.
	Bundle *Bundle
	// Author is author: as written, "" when the site's author applies
	// (see Site.AuthorOf).
	Author string
	// Series is series: as written, SeriesOrder series_order: (0 when
	// absent); see Site.SeriesOf for the assembled series.
	Series          string
	SeriesOrder     int
	SeriesLine      int // where series: is, for messages about the series
	SeriesOrderLine int
	// Aliases are the old paths of the page (aliases:), redirected to it
	// with a 301 in _redirects.
	Aliases []PageAlias
	// ExtraKeys are the top-level keys of extra:, sorted. The values are
	// never kept: extra: is for what an importer could not map, labfront
	// neither shows nor publishes it (see extraKeys).
	ExtraKeys []string
}

// Promoted is where a promoted page came from and what the import's
// analysis found, from the front matter keys promoted_from, substack_url,
// substack_id, structure, decision and anchors.
type Promoted struct {
	From        string   // promoted_from: the inbox file, e.g. content/substack/2026-02-19-x.md
	SubstackURL string   // substack_url: the original post
	SubstackID  string   // substack_id
	Structure   []string // structure: section labels, e.g. Method, Architecture
	Decision    string   // decision: "technical note" or "architecture paper"
	Anchors     []Anchor // anchors: the lab components the body links to
}

// Anchor is a lab component a promoted page mentions.
type Anchor struct {
	Kind  string // service, node, site or technology
	ID    string // public id in the lab
	Name  string
	Count int    // mentions in the article
	URL   string // its place on the architecture page, e.g. /architecture/#service-k3s
	Node  string // the public node whose status stands for it ("" for sites and technologies)
}

// URL is the page's site-relative URL.
func (p *Page) URL() string { return "/" + p.Kind.Section() + "/" + p.Slug + "/" }

// LastMod is the most recent of date and updated.
func (p *Page) LastMod() time.Time {
	if p.Updated.After(p.Date) {
		return p.Updated
	}
	return p.Date
}

// ReadingMinutes estimates reading time at 220 words a minute, at least 1.
func (p *Page) ReadingMinutes() int {
	return max(1, (p.Doc.Words+110)/220)
}

var frontMatterKeys = []string{"title", "date", "summary", "tags", "draft", "slug", "updated", "canonical", "cover", "cover_alt", "author", "series", "series_order", "aliases", "extra"}

// promotedKeys are the extra keys of notes promoted from Substack.
var promotedKeys = []string{"promoted_from", "substack_url", "substack_id", "structure", "decision", "anchors"}

var anchorKeys = []string{"kind", "id", "name", "count", "url", "node"}

var datePrefix = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}-`)

// SlugFromFile is the file name without .md and without a leading date;
// for a page bundle, give it the folder.
func SlugFromFile(name string) string {
	base := strings.TrimSuffix(filepath.Base(name), ".md")
	return datePrefix.ReplaceAllString(base, "")
}

// TagSlug is a tag's URL segment: tags are matched case-insensitively and
// "Home Lab" and "home-lab" are one tag.
func TagSlug(tag string) string { return slug.Make(tag) }

var validSlug = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// loadPage reads and validates one content file. It returns nil when the
// file is too broken to publish; the reasons are in probs, and skipped is
// the URL the page would have had (its slug: when that could be read),
// so links to it are not reported as broken on top of its own problems.
//
// slugName is what the slug comes from without slug:, the file or, for a
// bundle, its folder.
func loadPage(conv *markdown.Converter, cache *Cache, site *sitefs.Site, kind Kind, name, slugName string, probs *diag.List) (page *Page, skipped string) {
	display := site.Display(name)
	// Only valid pages are cached, so a cached page has no problems to
	// report again. The stat goes through the site too: a cached page is
	// never reused for a file that has become a symlink out of the site.
	fi, err := site.Stat(name)
	if err != nil {
		addReadProblem(probs, display, err)
		return nil, (&Page{Kind: kind, Slug: SlugFromFile(slugName)}).URL()
	}
	stamp, err := stampOf(fi)
	if err == nil {
		if p := cache.byStamp(display, stamp); p != nil {
			return p, ""
		}
		stamp.Read = time.Now().UnixNano()
	}
	src, err := site.ReadFile(name)
	if err != nil {
		addReadProblem(probs, display, err)
		return nil, (&Page{Kind: kind, Slug: SlugFromFile(slugName)}).URL()
	}
	p, sum := cache.get(display, src)
	if p != nil {
		// Same bytes: a touched file, or one that has settled since it was
		// last read. The new stamp lets the next build skip the read.
		return cache.restamp(display, p, stamp), ""
	}
	p, wouldBe := parsePage(conv, kind, slugName, display, src, probs)
	if p != nil {
		p.Sum = sum
		p.Stamp = stamp
		// The YAML tree has served its purpose (line-accurate problems);
		// dropping it keeps a 10,000-post site's memory down.
		p.Doc.FrontMatter, p.Doc.FrontMatterErr = nil, nil
	}
	cache.put(display, sum, p)
	if p == nil {
		return nil, (&Page{Kind: kind, Slug: wouldBe}).URL()
	}
	return p, ""
}

// parsePage returns nil for a page with problems, and the slug it would
// have had: slug: when it is usable, else the file's.
func parsePage(conv *markdown.Converter, kind Kind, slugName, display string, src []byte, probs *diag.List) (*Page, string) {
	wouldBe := SlugFromFile(slugName)
	doc, err := conv.Convert(src)
	if err != nil {
		probs.Add(display, 0, "", "%v", err)
		return nil, wouldBe
	}
	if doc.FrontMatter == nil {
		probs.Add(display, 1, "", "missing front matter: start the file with a --- line, then title: and date:, then ---")
		return nil, wouldBe
	}
	yd := &yamldoc.Doc{Path: display, LineOffset: 1, Problems: probs}
	root := yd.Root(doc.FrontMatter, doc.FrontMatterErr)
	if root == nil {
		return nil, wouldBe
	}
	keys := frontMatterKeys
	if kind == Note {
		keys = append(slices.Clip(keys), promotedKeys...)
	}
	f := yd.Map(root, "", keys...)
	before := len(*probs)
	f.Require("title", "date")
	p := &Page{
		Kind:      kind,
		Path:      display,
		Title:     strings.TrimSpace(f.String("title")),
		Summary:   strings.TrimSpace(f.String("summary")),
		Date:      f.Date("date"),
		Updated:   f.Date("updated"),
		Tags:      f.Strings("tags"),
		Draft:     f.Bool("draft"),
		Canonical: f.String("canonical"),
		Slug:      f.String("slug"),
		Doc:       doc,
	}
	if p.Slug == "" {
		p.Slug = SlugFromFile(slugName)
	}
	if !validSlug.MatchString(p.Slug) {
		line := f.Line("slug")
		if !f.Has("slug") {
			line = 0
		}
		probs.Add(display, line, "slug", "%q is not a usable URL slug: use lower-case letters, digits, '-', '.' and '_'", p.Slug)
	}
	for i, t := range p.Tags {
		if TagSlug(t) == "" {
			probs.Add(display, f.Line("tags"), fmt.Sprintf("tags[%d]", i), "tag %q has no letters or digits", t)
		}
	}
	if p.Canonical != "" {
		// rel=canonical and the feeds carry it: the site.yaml rules apply.
		if err := siteurl.Check(p.Canonical, siteurl.Absolute); err != nil {
			probs.Add(display, f.Line("canonical"), "canonical", "%v", err)
		}
	}
	parseCover(p, f, display, probs)
	p.Promoted = parsePromoted(yd, f)
	if len(*probs) == before {
		// Problems with these keys are reported but do not leave the
		// page out, like an unknown key: its URL and body are intact, so
		// the later stages still check its links and files.
		defer parseMoreKeys(yd, f, p)
	}
	if len(*probs) > before {
		if validSlug.MatchString(p.Slug) {
			wouldBe = p.Slug
		}
		return nil, wouldBe
	}
	return p, wouldBe
}

// parsePromoted reads the keys labfront promote writes; nil when none is
// present.
func parsePromoted(yd *yamldoc.Doc, f yamldoc.Fields) *Promoted {
	present := false
	for _, k := range promotedKeys {
		present = present || f.Has(k)
	}
	if !present {
		return nil
	}
	pr := &Promoted{
		From:        f.String("promoted_from"),
		SubstackURL: f.String("substack_url"),
		SubstackID:  f.String("substack_id"),
		Structure:   f.Strings("structure"),
		Decision:    f.String("decision"),
	}
	if u := pr.SubstackURL; u != "" {
		if err := siteurl.Check(u, siteurl.Absolute); err != nil {
			yd.Errorf(f.Node("substack_url"), "substack_url", "%v", err)
		}
	}
	for i, n := range f.List("anchors") {
		name := fmt.Sprintf("anchors[%d]", i)
		af := yd.Map(n, name, anchorKeys...)
		af.Require("kind", "id", "name", "url")
		a := Anchor{Kind: af.String("kind"), ID: af.String("id"), Name: af.String("name"), Count: af.Int("count", 0), URL: af.String("url"), Node: af.String("node")}
		switch a.Kind {
		case "", "service", "node", "site", "technology":
		default:
			yd.Errorf(af.Node("kind"), name+".kind", "must be service, node, site or technology, found %q", a.Kind)
		}
		if a.URL != "" {
			if err := siteurl.Check(a.URL, siteurl.Path); err != nil {
				yd.Errorf(af.Node("url"), name+".url", "%v", err)
			}
		}
		pr.Anchors = append(pr.Anchors, a)
	}
	return pr
}

// parseCover reads cover: and cover_alt:. Only the shape of the path is
// checked here; whether the file exists and is a picture is the build's
// business, which knows the bundle and the processed images. The alt
// text is required, like every image's: a cover is also the og:image,
// whose description networks read out, and the title is no description
// of a photo (it would be read twice, beside the heading).
func parseCover(p *Page, f yamldoc.Fields, display string, probs *diag.List) {
	before := len(*probs)
	p.Cover = strings.TrimSpace(f.String("cover"))
	p.CoverAlt = strings.TrimSpace(f.String("cover_alt"))
	p.CoverLine = f.Line("cover")
	if len(*probs) > before {
		return // not strings, and said so
	}
	switch {
	case f.Has("cover") && p.Cover == "":
		probs.Add(display, f.Line("cover"), "cover", "empty: name a picture of the bundle (photo.jpg) or of content/media (/media/photo.jpg), or remove the key")
		return
	case p.Cover == "":
		if f.Has("cover_alt") {
			probs.Add(display, f.Line("cover_alt"), "cover_alt", "there is no cover: to describe; add cover: or remove cover_alt:")
		}
		return
	}
	if msg := coverPathProblem(p.Cover); msg != "" {
		probs.Add(display, f.Line("cover"), "cover", "%s, found %q", msg, p.Cover)
	}
	if p.CoverAlt == "" {
		line := f.Line("cover_alt")
		if !f.Has("cover_alt") {
			line = f.Line("cover")
		}
		probs.Add(display, line, "cover_alt", "missing: describe the cover for people who cannot see it (cover_alt: what the picture shows)")
	}
}

// coverPathProblem says what is wrong with the shape of a cover: path, or
// "" when nothing is: a file of the site, named relative to the bundle or
// under /media/, never a URL or a way out of its folder.
func coverPathProblem(c string) string {
	switch {
	case strings.Contains(c, "://") || strings.HasPrefix(c, "//") || (strings.Contains(c, ":") && !strings.ContainsAny(c[:strings.Index(c, ":")], "/")):
		return "must be a file of the site, not a URL (download the picture into the bundle)"
	case strings.ContainsAny(c, "\\?#"):
		return "must be a plain file path: no backslash, query or fragment"
	case siteurl.Visible(strings.ReplaceAll(c, " ", "")) != nil:
		return "must not hold control or invisible characters"
	}
	for _, seg := range strings.Split(strings.TrimPrefix(c, "/"), "/") {
		if seg == ".." || seg == "." || seg == "" {
			return "must name a file inside the bundle or content/media, without ., .. or empty segments"
		}
	}
	if strings.HasPrefix(c, "/") && !strings.HasPrefix(c, "/media/") {
		return "an absolute path must be under /media/ (content/media); name a bundle file relative to the bundle"
	}
	return ""
}
