package web

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"slices"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/content"
)

func humanDate(t time.Time) string { return t.Format("2 Jan 2006") }

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// feedPages is what the feeds carry: posts and notes, newest first, up to
// feed_limit.
func (p *plan) feedPages() []*content.Page {
	all := append(slices.Clone(p.site.Posts), p.site.Notes...)
	slices.SortStableFunc(all, func(a, b *content.Page) int { return b.Date.Compare(a.Date) })
	return all[:min(len(all), p.site.Config.FeedLimit)]
}

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr,omitempty"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Sub     string      `xml:"subtitle,omitempty"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  *atomAuthor `xml:"author,omitempty"`
	Gen     string      `xml:"generator"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name  string `xml:"name"`
	Email string `xml:"email,omitempty"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Published  string         `xml:"published"`
	Updated    string         `xml:"updated"`
	Links      []atomLink     `xml:"link"`
	Author     *atomAuthor    `xml:"author,omitempty"`
	Summary    *atomText      `xml:"summary,omitempty"`
	Content    atomText       `xml:"content"`
	Categories []atomCategory `xml:"category"`
}

type jsonFeed struct {
	Version     string `json:"version"`
	Title       string `json:"title"`
	HomePageURL string `json:"home_page_url"`
	FeedURL     string `json:"feed_url"`
	Description string `json:"description,omitempty"`
	// Icon and Favicon are the site's square SVG mark, which scales to
	// both the large icon and the small favicon the spec describes.
	Icon     string       `json:"icon,omitempty"`
	Favicon  string       `json:"favicon,omitempty"`
	Language string       `json:"language,omitempty"`
	Authors  []jsonAuthor `json:"authors,omitempty"`
	Items    []jsonItem   `json:"items"`
}

type jsonAuthor struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

type jsonItem struct {
	ID            string       `json:"id"`
	URL           string       `json:"url"`
	ExternalURL   string       `json:"external_url,omitempty"`
	Title         string       `json:"title"`
	ContentHTML   string       `json:"content_html"`
	Summary       string       `json:"summary,omitempty"`
	DatePublished string       `json:"date_published"`
	DateModified  string       `json:"date_modified,omitempty"`
	Tags          []string     `json:"tags,omitempty"`
	Authors       []jsonAuthor `json:"authors,omitempty"`
	// Image is the cover's preview variant, for posts with a cover.
	// Readers show it above or beside the item; a generated card is
	// left out, as it only repeats the title.
	Image string `json:"image,omitempty"`
}

type sitemapURLSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

func xmlDoc(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", " ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func (p *plan) tagNames(pg *content.Page) []string {
	links := p.tagLinks(pg.Tags)
	names := make([]string, len(links))
	for i, l := range links {
		names[i] = l.Name
	}
	return names
}

func (p *plan) atom(context.Context) ([]byte, error) {
	cfg := p.site.Config
	pages := p.feedPages()
	f := atomFeed{
		Lang:  cfg.Language,
		ID:    cfg.BaseURL + "/",
		Title: cfg.Title,
		Sub:   cfg.Description,
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: cfg.BaseURL + "/feed.xml"},
			{Rel: "alternate", Type: "text/html", Href: cfg.BaseURL + "/"},
		},
		Gen: "labfront",
	}
	if cfg.Author.Name != "" {
		f.Author = &atomAuthor{Name: cfg.Author.Name, Email: cfg.Author.Email}
	}
	var updated time.Time
	for _, pg := range pages {
		if pg.LastMod().After(updated) {
			updated = pg.LastMod()
		}
		body, err := p.feedBody(pg)
		if err != nil {
			return nil, err
		}
		e := atomEntry{
			ID:        cfg.BaseURL + pg.URL(),
			Title:     pg.Title,
			Published: rfc3339(pg.Date),
			Updated:   rfc3339(pg.LastMod()),
			Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: cfg.BaseURL + pg.URL()}},
			Content:   atomText{Type: "html", Body: string(absolutize(body, cfg.BaseURL, pg.URL()))},
		}
		if a := ownAuthor(cfg, pg); a != "" {
			e.Author = &atomAuthor{Name: a}
		}
		if pg.Summary != "" {
			e.Summary = &atomText{Type: "text", Body: pg.Summary}
		}
		for _, name := range p.tagNames(pg) {
			e.Categories = append(e.Categories, atomCategory{Term: name})
		}
		f.Entries = append(f.Entries, e)
	}
	if updated.IsZero() {
		// An empty site still needs a valid feed; the epoch is as
		// deterministic as it gets.
		updated = time.Unix(0, 0)
	}
	f.Updated = rfc3339(updated)
	return xmlDoc(f)
}

// ownAuthor is pg's author: when it is not the site's: an entry without
// one inherits the feed's author (both formats say so), so only a guest
// author needs naming. Without the address, which site.yaml gives for
// the site's author only.
func ownAuthor(cfg content.Config, pg *content.Page) string {
	if pg.Author == "" || pg.Author == cfg.Author.Name {
		return ""
	}
	return pg.Author
}

func (p *plan) jsonFeed(context.Context) ([]byte, error) {
	cfg := p.site.Config
	f := jsonFeed{
		Version:     "https://jsonfeed.org/version/1.1",
		Title:       cfg.Title,
		HomePageURL: cfg.BaseURL + "/",
		FeedURL:     cfg.BaseURL + "/feed.json",
		Description: cfg.Description,
		Icon:        cfg.BaseURL + p.assets.url("favicon.svg"),
		Favicon:     cfg.BaseURL + p.assets.url("favicon.svg"),
		Language:    cfg.Language,
		Items:       []jsonItem{},
	}
	if cfg.Author.Name != "" {
		f.Authors = []jsonAuthor{{Name: cfg.Author.Name, URL: cfg.BaseURL + "/"}}
	}
	for _, pg := range p.feedPages() {
		body, err := p.feedBody(pg)
		if err != nil {
			return nil, err
		}
		it := jsonItem{
			ID:            cfg.BaseURL + pg.URL(),
			URL:           cfg.BaseURL + pg.URL(),
			ExternalURL:   pg.Canonical,
			Title:         pg.Title,
			ContentHTML:   string(absolutize(body, cfg.BaseURL, pg.URL())),
			Summary:       pg.Summary,
			DatePublished: rfc3339(pg.Date),
			Tags:          p.tagNames(pg),
		}
		if pg.Updated.After(pg.Date) {
			it.DateModified = rfc3339(pg.Updated)
		}
		if ref := p.covers[pg]; ref != nil {
			it.Image = p.coverImage(ref, pg.CoverAlt).URL
		}
		if a := ownAuthor(cfg, pg); a != "" {
			it.Authors = []jsonAuthor{{Name: a}}
		}
		f.Items = append(f.Items, it)
	}
	b, err := json.MarshalIndent(f, "", " ")
	return append(b, '\n'), err
}

func (p *plan) sitemap(context.Context) ([]byte, error) {
	base := p.site.Config.BaseURL
	var latest time.Time
	var pageURLs []sitemapURL
	for _, pages := range [][]*content.Page{p.site.Posts, p.site.Notes} {
		for _, pg := range pages {
			if pg.LastMod().After(latest) {
				latest = pg.LastMod()
			}
			// A page whose canonical is elsewhere (a syndicated copy, a
			// note promoted from Substack) says so in its <link
			// rel="canonical">; listing it here too would tell search
			// engines two different things, so the sitemap leaves it to
			// its original. A canonical on this site is listed.
			if canonicalElsewhere(base, pg) {
				continue
			}
			pageURLs = append(pageURLs, sitemapURL{Loc: base + pg.URL(), LastMod: pg.LastMod().Format("2006-01-02")})
		}
	}
	lastmod := ""
	if !latest.IsZero() {
		lastmod = latest.Format("2006-01-02")
	}
	set := sitemapURLSet{}
	for _, o := range p.outputs {
		if url, ok := listURL(o.path); ok {
			set.URLs = append(set.URLs, sitemapURL{Loc: base + url, LastMod: lastmod})
		}
	}
	set.URLs = append(set.URLs, pageURLs...)
	slices.SortFunc(set.URLs, func(a, b sitemapURL) int { return strings.Compare(a.Loc, b.Loc) })
	return xmlDoc(set)
}

// canonicalElsewhere reports whether pg's canonical: names a URL outside
// the site at base.
func canonicalElsewhere(base string, pg *content.Page) bool {
	if pg.Canonical == "" {
		return false
	}
	return pg.Canonical != base && !strings.HasPrefix(pg.Canonical, base+"/")
}

// listURL reports the URL of an index page that is not a post or note
// (home, lists, tags), the pages whose lastmod is the site's.
func listURL(path string) (string, bool) {
	const idx = "index.html"
	if !strings.HasSuffix(path, idx) {
		return "", false
	}
	url := "/" + strings.TrimSuffix(path, idx)
	if strings.HasPrefix(url, "/blog/") && url != "/blog/" && !strings.HasPrefix(url, "/blog/page/") {
		return "", false
	}
	if strings.HasPrefix(url, "/notes/") && url != "/notes/" {
		return "", false
	}
	if url == "/search/" { // noindex: it is empty until a visitor asks
		return "", false
	}
	return url, true
}

func (p *plan) addFeeds() {
	p.outputs = append(p.outputs,
		output{path: "feed.xml", render: p.atom},
		output{path: "feed.json", render: p.jsonFeed},
	)
}
