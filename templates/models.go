// Package templates holds the templ components of every page, public and
// admin, and the typed view models they take. Components never compute
// anything: the generator (package web) or the admin server builds a view
// model and the component only lays it out.
package templates

import "github.com/a-h/templ"

// Head is what every page's <head> and frame needs.
type Head struct {
	Lang string
	// Locale is og:locale, language_TERRITORY ("en_US").
	Locale      string
	Title       string // the full <title>
	SiteTitle   string
	Description string
	// Canonical is the absolute URL of the page (or the canonical: from
	// front matter, for syndicated content).
	Canonical  string
	OGType     string // website or article
	Published  string // RFC 3339, articles only
	Modified   string
	NoIndex    bool
	Stylesheet string // fingerprinted URL
	// PageStylesheets are extra stylesheets of one kind of page.
	PageStylesheets []string
	Favicon         string
	AtomFeed        string
	JSONFeed        string
	Nav             []NavLink
	AuthorName      string
	FooterYears     string // e.g. "2024–2026", from content dates, never the clock
	// Image is the picture link previews show (og:image, twitter:image):
	// the page's cover or its generated card; nil for none.
	Image *SocialImage
	// Search is the search page's URL, for the header's search box; ""
	// shows none. SearchKey is the small script that focuses the box
	// when / is pressed.
	Search, SearchKey string
}

// SocialImage is a page's preview picture, with what Open Graph and
// Twitter cards want to know before they fetch it.
type SocialImage struct {
	URL           string // absolute
	Type          string // e.g. image/png
	Width, Height int
	Alt           string
}

// Cover is an article's hero picture: the responsive markup of its
// variants, loaded first and eagerly (it is the page's largest paint).
type Cover struct {
	Src, Srcset, Sizes string
	Width, Height      int    // the full size, upright: no layout shift
	Alt                string // cover_alt:
	Full               string // the full-size file, which the picture links to
}

// NavLink is a navigation entry.
type NavLink struct {
	Title   string
	URL     string
	Current bool
}

// TagLink links to a tag page.
type TagLink struct {
	Name  string
	URL   string
	Count int
}

// Entry is a post or note in a list.
type Entry struct {
	Kind           string // "post" or "note"
	Title          string
	URL            string
	Date           string // human, e.g. "14 Mar 2026"
	DateISO        string // YYYY-MM-DD for <time datetime>
	Summary        string
	Tags           []TagLink
	ReadingMinutes int
	Draft          bool
}

// TOCEntry is a heading in a table of contents.
type TOCEntry struct {
	Level int
	ID    string
	Text  string
}

// ArticleView is a post or note page.
type ArticleView struct {
	Head  Head
	Entry Entry
	// Updated is set when the page was revised after it was published.
	Updated    string
	UpdatedISO string
	TOC        []TOCEntry
	Body       templ.Component
	Prev, Next *Entry // older and newer in the same section
	Canonical  string // set when the original lives elsewhere
	// Origin is set for a note promoted from Substack (labfront promote).
	Origin *Origin
	// Cover is the front matter's cover:, nil without one.
	Cover *Cover
	// Author is the name in the byline: the page's author: or the site's.
	Author string
	// Series is set when the page is a part of a series of two or more.
	Series *SeriesBox
}

// SeriesBox is the "Part k of n" box after a series part's body.
type SeriesBox struct {
	Name       string
	Part, Of   int // 1-based
	Parts      []SeriesPart
	Prev, Next *SeriesPart // the parts before and after, nil at the ends
}

// SeriesPart is one part of a series.
type SeriesPart struct {
	Title   string
	URL     string
	Current bool
}

// Origin is where a promoted note came from and what ties it to the lab.
type Origin struct {
	URL       string   // the original on Substack
	Structure []string // detected structure, e.g. Method, Architecture
	Decision  string   // e.g. "architecture paper"
	Anchors   []AnchorLink
	// StatusNote says where the anchors' statuses come from.
	StatusNote string
}

// AnchorLink is one lab component a promoted note is anchored to, with
// its last known status from the build's snapshot.
type AnchorLink struct {
	Name     string
	Kind     string // service, node, site or technology
	URL      string // its place on /architecture/
	Mentions string // "3 mentions"
	// Status is up, down, degraded or unknown; StatusLabel says it in
	// words, with when it was checked when the snapshot knows.
	Status      string
	StatusLabel string
}

// Pagination links the pages of a list.
type Pagination struct {
	Page, Pages int
	PrevURL     string
	NextURL     string
	// PrevLabel and NextLabel name the links; a blog's are "← Newer" and
	// "Older →" when left empty.
	PrevLabel, NextLabel string
}

// ListView is /blog/, /blog/page/N/, /notes/ and a tag page.
type ListView struct {
	Head       Head
	Heading    string
	Intro      string
	Entries    []Entry
	Pagination Pagination
	// Feed is set on tag pages and sections that have their own feed link.
	Feed string
}

// TagsView is /tags/.
type TagsView struct {
	Head Head
	Tags []TagLink
}

// HomeView is the home page.
type HomeView struct {
	Head    Head
	Intro   string
	Author  string
	Latest  []Entry
	Notes   []Entry
	Tags    []TagLink
	AllPost string // URL of the full blog list
	// Lab is the summary of the lab from lab.yaml; nil until the site has one.
	Lab *LabSummary
}

// LabSummary is the home page's short description of the lab.
type LabSummary struct {
	Stats []Stat
	URL   string
}

// Stat is one hero number.
type Stat struct {
	Value string
	Label string
}

// NotFoundView is the 404 page.
type NotFoundView struct {
	Head   Head
	Recent []Entry
}

// entriesWord completes a tag's count for screen readers ("3 entries"),
// which otherwise hear a bare number after the tag's name.
func entriesWord(n int) string {
	if n == 1 {
		return " entry"
	}
	return " entries"
}
