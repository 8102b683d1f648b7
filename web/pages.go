package web

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/snapshot"
	"github.com/labfront/labfront/templates"
)

const (
	homeLatest = 6
	homeNotes  = 5
)

// head builds the frame of a page at url (site-relative).
func (p *plan) head(url, title, description string) templates.Head {
	cfg := p.site.Config
	full := cfg.Title
	if title != "" && title != cfg.Title {
		full = title + " — " + cfg.Title
	}
	if description == "" {
		description = cfg.Description
	}
	h := templates.Head{
		Lang:        cfg.Language,
		Locale:      ogLocale(cfg.Language),
		Title:       full,
		SiteTitle:   cfg.Title,
		Description: description,
		Canonical:   cfg.BaseURL + url,
		OGType:      "website",
		Stylesheet:  p.assets.url("site.css"),
		Favicon:     p.assets.url("favicon.svg"),
		AtomFeed:    "/feed.xml",
		JSONFeed:    "/feed.json",
		AuthorName:  cfg.Author.Name,
		FooterYears: p.years,
		Image:       p.siteImage,
		Search:      "/search/",
		SearchKey:   p.assets.url("searchkey.js"),
	}
	for _, n := range p.nav {
		h.Nav = append(h.Nav, templates.NavLink{Title: n.Title, URL: n.URL, Current: n.URL != "/" && strings.HasPrefix(url, n.URL)})
	}
	return h
}

// defaultNav is site.yaml's nav, or, when it has none, a link to each
// section the site has: without one the header would be an empty <nav>
// and the blog, notes and lab pages reachable only from the home page.
func defaultNav(site *content.Site, hasLab bool) []content.NavItem {
	if len(site.Config.Nav) > 0 {
		return site.Config.Nav
	}
	var nav []content.NavItem
	if len(site.Posts) > 0 {
		nav = append(nav, content.NavItem{Title: "Blog", URL: "/blog/"})
	}
	if len(site.Notes) > 0 {
		nav = append(nav, content.NavItem{Title: "Notes", URL: "/notes/"})
	}
	if hasLab {
		nav = append(nav, content.NavItem{Title: "Architecture", URL: "/architecture/"},
			content.NavItem{Title: "Status", URL: "/status/"})
	}
	return nav
}

// ogLocale turns the site's language (a BCP 47 tag: "en", "pt-BR") into
// Open Graph's language_TERRITORY form ("en_US", "pt_BR"). A bare
// language takes the territory it is most often meant for.
func ogLocale(lang string) string {
	parts := strings.FieldsFunc(lang, func(r rune) bool { return r == '-' || r == '_' })
	if len(parts) == 0 {
		return "en_US"
	}
	language := strings.ToLower(parts[0])
	for _, p := range parts[1:] {
		// The territory is the two-letter (or three-digit) subtag; a
		// script subtag ("Hant") has four letters.
		if len(p) == 2 || len(p) == 3 && p[0] >= '0' && p[0] <= '9' {
			return language + "_" + strings.ToUpper(p)
		}
	}
	if t, ok := defaultTerritory[language]; ok {
		return language + "_" + t
	}
	return language + "_" + strings.ToUpper(language)
}

// defaultTerritory is the territory of a bare language where it is not
// the language's own code in capitals (de → DE, but en → US).
var defaultTerritory = map[string]string{
	"en": "US", "sv": "SE", "da": "DK", "nb": "NO", "nn": "NO", "ja": "JP",
	"ko": "KR", "zh": "CN", "cs": "CZ", "el": "GR", "uk": "UA", "he": "IL",
	"ar": "SA", "hi": "IN", "vi": "VN", "et": "EE", "ga": "IE", "ca": "ES",
	"sl": "SI", "sr": "RS", "fa": "IR", "ms": "MY", "bn": "BD", "ur": "PK",
	"sq": "AL", "ka": "GE", "hy": "AM", "kk": "KZ", "be": "BY", "eu": "ES",
	"gl": "ES", "cy": "GB", "af": "ZA", "sw": "KE", "ta": "IN", "te": "IN",
}

// footerYears spans the years of the content, so the footer never depends
// on the day of the build. It walks every page, so the plan computes it once
// (per page it made a 10,000-post build quadratic).
func footerYears(site *content.Site) string {
	var first, last int
	for _, pages := range [][]*content.Page{site.Posts, site.Notes} {
		for _, pg := range pages {
			y := pg.Date.Year()
			if first == 0 || y < first {
				first = y
			}
			if y > last {
				last = y
			}
		}
	}
	switch {
	case first == 0:
		return ""
	case first == last:
		return strconv.Itoa(first)
	}
	return fmt.Sprintf("%d–%d", first, last)
}

func (p *plan) tagLinks(names []string) []templates.TagLink {
	var out []templates.TagLink
	seen := map[string]bool{}
	for _, n := range names {
		slug := content.TagSlug(n)
		if seen[slug] {
			continue
		}
		seen[slug] = true
		t := p.tag(slug)
		out = append(out, templates.TagLink{Name: t.Name, URL: t.URL(), Count: len(t.Pages)})
	}
	return out
}

func (p *plan) tag(slug string) *content.Tag {
	if t, ok := p.tags[slug]; ok {
		return t
	}
	return &content.Tag{Slug: slug, Name: slug}
}

// indexPages builds the lookups every page of a large site needs many
// times over: tags by slug, and each page's list entry, which appears on
// the blog's pages, its tags' pages, the home page and its neighbours.
func (p *plan) indexPages() {
	p.tags = make(map[string]*content.Tag, len(p.site.Tags))
	for _, t := range p.site.Tags {
		p.tags[t.Slug] = t
	}
	p.entryOf = make(map[*content.Page]templates.Entry, len(p.site.Posts)+len(p.site.Notes))
	for _, list := range [][]*content.Page{p.site.Posts, p.site.Notes} {
		for _, pg := range list {
			p.entryOf[pg] = p.newEntry(pg)
		}
	}
}

func (p *plan) entry(pg *content.Page) templates.Entry {
	if e, ok := p.entryOf[pg]; ok {
		return e
	}
	return p.newEntry(pg)
}

func (p *plan) newEntry(pg *content.Page) templates.Entry {
	return templates.Entry{
		Kind:           pg.Kind.Name(),
		Title:          pg.Title,
		URL:            pg.URL(),
		Date:           humanDate(pg.Date),
		DateISO:        pg.Date.Format("2006-01-02"),
		Summary:        pg.Summary,
		Tags:           p.tagLinks(pg.Tags),
		ReadingMinutes: pg.ReadingMinutes(),
		Draft:          pg.Draft,
	}
}

func (p *plan) entries(pages []*content.Page) []templates.Entry {
	out := make([]templates.Entry, len(pages))
	for i, pg := range pages {
		out[i] = p.entry(pg)
	}
	return out
}

// html renders a component into minified HTML.
// The unminified page is scratch space, reused from page to page: at
// 10,000 pages a fresh buffer each was a third of the build's garbage.
func (p *plan) html(c templ.Component) func(ctx context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		b, _ := p.scratch.Get().(*bytes.Buffer)
		if b == nil {
			b = new(bytes.Buffer)
		}
		defer func() {
			b.Reset()
			p.scratch.Put(b)
		}()
		if err := c.Render(ctx, b); err != nil {
			return nil, err
		}
		return p.assets.min.Bytes("text/html", b.Bytes())
	}
}

func (p *plan) addHTML(url string, c templ.Component) {
	p.outputs = append(p.outputs, output{path: url[1:] + "index.html", render: p.html(c)})
}

// addView adds a page that is a pure function of its view model, so the
// build cache can key it by the model: the same model, rendered by the
// same labfront, gives the same bytes.
func (p *plan) addView(url string, view any, c templ.Component) {
	p.outputs = append(p.outputs, output{path: url[1:] + "index.html", render: p.html(c), key: viewKey(view)})
}

func (p *plan) addPages() {
	site := p.site
	tags := make([]templates.TagLink, 0, len(site.Tags))
	for _, t := range site.Tags {
		tags = append(tags, templates.TagLink{Name: t.Name, URL: t.URL(), Count: len(t.Pages)})
	}

	home := templates.HomeView{
		Head:    p.head("/", "", ""),
		Intro:   site.Config.Description,
		Author:  site.Config.Author.Name,
		Latest:  p.entries(site.Posts[:min(homeLatest, len(site.Posts))]),
		Notes:   p.entries(site.Notes[:min(homeNotes, len(site.Notes))]),
		Tags:    tags,
		AllPost: "/blog/",
		Lab:     p.labSummary(),
	}
	p.addHTML("/", templates.Home(home))

	p.addPaginated("/blog/", "Blog", "Everything written about building and running the lab, newest first.", site.Posts)
	p.addList("/notes/", "Technical notes", "Short, reference-style notes anchored to the real lab.", site.Notes)
	p.addArticles(site.Posts)
	p.addArticles(site.Notes)

	p.addHTML("/tags/", templates.Tags(templates.TagsView{Head: p.head("/tags/", "Tags", "Every topic on "+site.Config.Title+", with the number of posts and notes about each."), Tags: tags}))
	for _, t := range site.Tags {
		intro := fmt.Sprintf("%d %s about %s.", len(t.Pages), plural(len(t.Pages), "entry", "entries"), t.Name)
		p.addListDescribed(t.URL(), "Tagged “"+t.Name+"”", intro, tagDescription(site.Config.Title, t), t.Pages)
	}

	// Its own description: with the site's it would repeat the home page's.
	nf := p.head("/404.html", "Page not found", "There is no page at this address on "+site.Config.Title+". It may have moved; the home page, the blog and the recent posts are a click away.")
	nf.NoIndex = true
	recent := site.Posts[:min(3, len(site.Posts))]
	p.outputs = append(p.outputs, output{path: "404.html", render: p.html(templates.NotFound(templates.NotFoundView{Head: nf, Recent: p.entries(recent)}))})
}

// tagDescription is a tag page's meta description: a sentence naming the
// topic and its newest entries, so each tag page describes itself rather
// than sharing a template's few words with every other tag.
func tagDescription(siteTitle string, t *content.Tag) string {
	var titles []string
	for _, pg := range t.Pages[:min(3, len(t.Pages))] {
		titles = append(titles, "“"+pg.Title+"”")
	}
	var d string
	switch len(t.Pages) {
	case 0:
		d = fmt.Sprintf("Posts and notes about %s on %s.", t.Name, siteTitle)
	case 1:
		d = fmt.Sprintf("One %s about %s on %s: %s.", t.Pages[0].Kind.Name(), t.Name, siteTitle, titles[0])
	default:
		d = fmt.Sprintf("%d posts and notes about %s on %s, newest first: %s.", len(t.Pages), t.Name, siteTitle, joinList(titles))
	}
	return clip(d, maxDescription)
}

// joinList joins items as prose: "a", "a and b", "a, b and c".
func joinList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// maxDescription is about what search results show of a description.
const maxDescription = 160

// clip shortens s to at most n characters at a word boundary, marking the
// cut with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n-1])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:—–-") + "…"
}

// articleDescription is a post's or note's summary, else its first
// paragraph: the site's description would repeat on every such page.
func articleDescription(pg *content.Page) string {
	if pg.Summary != "" || pg.Doc == nil {
		return pg.Summary
	}
	return clip(pg.Doc.Lead, maxDescription)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// addPaginated splits pages into /base/, /base/page/2/, … of
// site.yaml's paginate entries each.
func (p *plan) addPaginated(base, heading, intro string, pages []*content.Page) {
	per := p.site.Config.Paginate
	total := max(1, (len(pages)+per-1)/per)
	pageURL := func(n int) string {
		if n == 1 {
			return base
		}
		return fmt.Sprintf("%spage/%d/", base, n)
	}
	for n := 1; n <= total; n++ {
		lo, hi := (n-1)*per, min(n*per, len(pages))
		title := heading
		if n > 1 {
			title = fmt.Sprintf("%s, page %d", heading, n)
		}
		desc := intro
		if n > 1 {
			// Each page of the list describes itself, or all would share
			// the first page's description.
			desc = fmt.Sprintf("Page %d of %d: %s", n, total, intro)
		}
		v := templates.ListView{
			Head:       p.head(pageURL(n), title, desc),
			Heading:    heading,
			Intro:      intro,
			Entries:    p.entries(pages[lo:hi]),
			Pagination: templates.Pagination{Page: n, Pages: total},
		}
		if n > 1 {
			v.Pagination.PrevURL = pageURL(n - 1)
		}
		if n < total {
			v.Pagination.NextURL = pageURL(n + 1)
		}
		p.addView(pageURL(n), v, templates.List(v))
	}
}

func (p *plan) addList(url, heading, intro string, pages []*content.Page) {
	p.addListDescribed(url, heading, intro, intro, pages)
}

// addListDescribed is addList with a meta description other than the
// intro shown on the page.
func (p *plan) addListDescribed(url, heading, intro, description string, pages []*content.Page) {
	v := templates.ListView{
		Head:    p.head(url, heading, description),
		Heading: heading,
		Intro:   intro,
		Entries: p.entries(pages),
	}
	p.addView(url, v, templates.List(v))
}

// A table of contents helps only in long pages with several sections.
const (
	tocMinWords    = 700
	tocMinHeadings = 3
)

func (p *plan) addArticles(pages []*content.Page) {
	for i, pg := range pages {
		h := p.head(pg.URL(), pg.Title, articleDescription(pg))
		h.OGType = "article"
		h.Published = pg.Date.Format("2006-01-02T15:04:05Z07:00")
		h.Modified = pg.LastMod().Format("2006-01-02T15:04:05Z07:00")
		if pg.Canonical != "" {
			h.Canonical = pg.Canonical
		}
		if pg.Cover == "" && p.site.Config.PageCards {
			h.Image = p.addPageCard(pg)
		}
		// The body is fetched when the page is rendered: a page the build
		// cache can reuse is never converted (see content.Site.Body).
		v := templates.ArticleView{
			Head:      h,
			Entry:     p.entry(pg),
			Canonical: pg.Canonical,
		}
		if pg.Updated.After(pg.Date) {
			v.Updated, v.UpdatedISO = humanDate(pg.Updated), pg.Updated.Format("2006-01-02")
		}
		if pg.Promoted != nil {
			v.Origin = p.origin(pg)
		}
		v.Author = p.site.AuthorOf(pg)
		v.Series = p.seriesBox(pg)
		if pg.Doc.Words >= tocMinWords {
			var toc []templates.TOCEntry
			for _, hd := range pg.Doc.Headings {
				if hd.Level == 2 || hd.Level == 3 {
					toc = append(toc, templates.TOCEntry{Level: hd.Level, ID: hd.ID, Text: hd.Text})
				}
			}
			if len(toc) >= tocMinHeadings {
				v.TOC = toc
			}
		}
		if i > 0 {
			e := p.entry(pages[i-1])
			v.Next = &e
		}
		if i+1 < len(pages) {
			e := p.entry(pages[i+1])
			v.Prev = &e
		}
		p.outputs = append(p.outputs, output{
			path: pg.URL()[1:] + "index.html",
			// The model holds no body; the source's sum stands for it,
			// the static files it links to for their URLs and the
			// pictures it shows for their variants (known once
			// checkLinks has run, before anything renders).
			key: func() ([32]byte, error) {
				return viewKey(p.withCover(v, pg), pg.Sum, staticsKey(p.statics[pg]), picturesKey(p.picsOf[pg]), svgsKey(p.svgsOf[pg]))()
			},
			render: func(ctx context.Context) ([]byte, error) {
				body, err := p.body(pg)
				if err != nil {
					return nil, err
				}
				// A copy: the plan keeps this closure until the build
				// ends, and must not keep every page's body with it.
				full := p.withCover(v, pg)
				full.Body = templ.Raw(string(body))
				return p.html(templates.Article(full))(ctx)
			},
		})
	}
}

// origin is the "promoted from Substack" part of a note: its original, its
// structure and its anchors with each one's last known status.
func (p *plan) origin(pg *content.Page) *templates.Origin {
	pr := pg.Promoted
	o := &templates.Origin{URL: pg.Canonical, Structure: pr.Structure, Decision: pr.Decision}
	if o.Decision == "" {
		o.Decision = "note"
	}
	var snap *snapshot.Snapshot
	if p.lab != nil {
		snap = p.lab.snap
	}
	switch {
	case snap == nil:
		o.StatusNote = "This build carries no status snapshot of the lab."
	case snap.GeneratedAt.IsZero():
		o.StatusNote = "Statuses from the lab's last snapshot."
	default:
		o.StatusNote = "Statuses from the lab's snapshot of " + snap.GeneratedAt.UTC().Format("2 Jan 2006 15:04 UTC") + "."
	}
	for _, a := range pr.Anchors {
		al := templates.AnchorLink{
			Name: a.Name, Kind: a.Kind, URL: a.URL,
			Mentions: fmt.Sprintf("%d %s", a.Count, plural(a.Count, "mention", "mentions")),
			Status:   snapshot.Unknown,
		}
		switch {
		case a.Node == "" || snap == nil:
			// Sites and technologies have no status of their own, and
			// without a snapshot nothing is known (the intro says so).
			al.Status, al.StatusLabel = "none", ""
		default:
			st := snap.Status(a.Node)
			al.Status, al.StatusLabel = st.Status, st.Status
			if !st.CheckedAt.IsZero() {
				al.StatusLabel += ", checked " + st.CheckedAt.UTC().Format("2 Jan 15:04 UTC")
			}
		}
		o.Anchors = append(o.Anchors, al)
	}
	return o
}

// withCover adds a page's cover to its view: the hero picture, and the
// link preview instead of the site card. Covers are resolved after the
// pictures are processed, which is after the pages are planned, so the
// outputs add it when they are keyed and rendered.
func (p *plan) withCover(v templates.ArticleView, pg *content.Page) templates.ArticleView {
	ref := p.covers[pg]
	if ref == nil {
		return v
	}
	v.Cover = coverView(ref, pg.CoverAlt)
	v.Head.Image = p.coverImage(ref, pg.CoverAlt)
	return v
}

// seriesBox is the series box of pg, nil when pg is in no series or its
// series has one part (a check warning).
func (p *plan) seriesBox(pg *content.Page) *templates.SeriesBox {
	s, i := p.site.SeriesOf(pg)
	if s == nil || len(s.Pages) < 2 {
		return nil
	}
	box := &templates.SeriesBox{Name: s.Name, Part: i + 1, Of: len(s.Pages)}
	for j, part := range s.Pages {
		box.Parts = append(box.Parts, templates.SeriesPart{Title: part.Title, URL: part.URL(), Current: j == i})
	}
	if i > 0 {
		box.Prev = &box.Parts[i-1]
	}
	if i+1 < len(box.Parts) {
		box.Next = &box.Parts[i+1]
	}
	return box
}
