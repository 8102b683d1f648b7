package web

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"html"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/search"
	"github.com/labfront/labfront/templates"
)

// The site's search index (see package search) is written under
// /search/ by every build, beside the /search/ page that reads it. It
// holds the posts and notes, the tag pages and the public lab exactly as
// the architecture page shows it (the public model: no hidden node, no
// real name behind an alias).
//
// A page's body is the costly part to analyse (it must be converted from
// Markdown when the page came from the build cache), so the analysed
// bodies are cached beside the build cache by the page's source hash
// (searchCacheFile): an incremental build analyses only the pages that
// changed. Each index file is an output keyed by its bytes, so the
// writer leaves every unchanged file as it was and a deploy uploads only
// the changed ones.

// searchDir is where the index files are published.
const searchDir = "search/"

// siteSearch is the built index and what the next build may reuse.
type siteSearch struct {
	files search.Files
	dir   string   // the build cache's folder; "" keeps nothing
	ver   [32]byte // labfront's own fingerprint (see selfVersion)
}

// addSearch builds the index and plans its files and the /search/ page.
func (p *plan) addSearch(opts Options) error {
	start := time.Now()
	s := &siteSearch{}
	var prev map[content.Digest]search.Body
	if opts.Out != "" {
		if v, err := opts.Cache.selfVersion(); err == nil {
			s.dir, s.ver = cacheDir(opts.Out), v
			if !opts.Clean {
				prev = loadSearchCache(s.dir, v)
			}
		}
	}
	b := search.NewBuilder()
	var docs int
	var err error
	// The analysed bodies go to the cache as they are made (see
	// searchcache.go), so they are never all held at once. A cache that
	// cannot be written costs the next build its head start, not this
	// build.
	if cerr := s.writeCache(func(keep func(content.Digest, search.Body)) error {
		docs, err = p.searchDocuments(prev, b, keep)
		return err
	}); cerr != nil && err == nil {
		opts.logger().Warn("search cache not saved", "dir", s.dir, "err", cerr)
	}
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if s.files, err = b.Files(); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	p.search = s
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range s.files {
			if !yield(n) {
				return
			}
		}
	}) {
		data := s.files[name]
		p.outputs = append(p.outputs, output{
			path:   searchDir + name,
			render: func(context.Context) ([]byte, error) { return data, nil },
			key:    func() ([32]byte, error) { return sha256.Sum256(data), nil },
		})
	}
	p.addSearchPage()
	// bench/search.sh reads this line (at debug level): the index's share of the build.
	opts.logger().Debug("search index", "documents", docs, "files", len(s.files), "duration", time.Since(start).Round(time.Millisecond))
	return nil
}

// searchDocuments adds what the index holds to b, oldest post or note
// first so that a new one takes the next id and the others keep theirs;
// the tag pages and the lab come after them. It returns how many
// documents it added, and hands each page's analysed body to keep, in
// page order.
//
// Bodies are analysed on every core (at 10,000 pages, stemming every
// word is most of the index's time), a batch at a time: each batch's
// entries go into b in order and are dropped, so a large site's terms
// are never all in memory at once.
func (p *plan) searchDocuments(prev map[content.Digest]search.Body, b *search.Builder, keep func(content.Digest, search.Body)) (int, error) {
	pages := slices.Concat(p.site.Posts, p.site.Notes)
	slices.SortFunc(pages, func(a, b *content.Page) int {
		return cmp.Or(a.Date.Compare(b.Date), strings.Compare(a.URL(), b.URL()))
	})
	const batch = 256
	entries := make([]search.Entry, batch)
	bodies := make([]search.Body, batch)
	errs := make([]error, batch)
	var (
		wg   sync.WaitGroup
		from int // the batch's first page
	)
	work := make(chan int)
	defer close(work)
	for range runtime.GOMAXPROCS(0) {
		go func() {
			a := search.NewAnalyzer()
			for i := range work {
				pg := pages[from+i]
				bd, ok := prev[pg.Sum]
				if !ok {
					body, err := p.site.Body(pg)
					if err != nil {
						errs[i] = err
						wg.Done()
						continue
					}
					bd = a.Body(htmlText(body))
				}
				entries[i] = a.Entry(p.pageDocument(pg), bd)
				bodies[i] = bd
				wg.Done()
			}
		}()
	}
	for ; from < len(pages); from += batch {
		n := min(batch, len(pages)-from)
		wg.Add(n)
		for i := range n {
			work <- i
		}
		wg.Wait()
		if err := errors.Join(errs[:n]...); err != nil {
			return 0, err
		}
		for i := range n {
			if err := b.Add(entries[i]); err != nil {
				return 0, err
			}
			keep(pages[from+i].Sum, bodies[i])
			entries[i], bodies[i] = search.Entry{}, search.Body{}
		}
	}
	n := len(pages)
	for _, t := range p.site.Tags {
		if err := b.Add(search.Analyze(search.Document{
			URL: t.URL(), Title: t.Name, Kind: "tag", Body: tagDescription(p.site.Config.Title, t),
		})); err != nil {
			return 0, err
		}
		n++
	}
	for _, d := range p.labDocuments() {
		if err := b.Add(search.Analyze(d)); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

func (p *plan) pageDocument(pg *content.Page) search.Document {
	d := search.Document{URL: pg.URL(), Title: pg.Title, Kind: pg.Kind.Name(), Date: pg.Date.Format("2006-01-02")}
	seen := map[string]bool{}
	for _, name := range pg.Tags {
		slug := content.TagSlug(name)
		if seen[slug] {
			continue
		}
		seen[slug] = true
		d.Tags = append(d.Tags, search.Tag{Name: p.tag(slug).Name, Slug: slug})
	}
	for _, h := range pg.Doc.Headings {
		d.Headings = append(d.Headings, h.Text)
	}
	if pg.Summary != "" {
		d.Headings = append(d.Headings, pg.Summary)
	}
	return d
}

// labDocuments are the public lab as /architecture/ shows it: each node
// and service at its anchor there, each flow and decision at its
// section. Everything comes from the public model (p.lab.pub), the one
// the page itself is drawn from.
func (p *plan) labDocuments() []search.Document {
	if p.lab == nil {
		return nil
	}
	pub := p.lab.pub
	var out []search.Document
	for _, n := range NodeDetails(pub) {
		parts := []string{n.TypeLabel, n.SiteName, n.ParentName, n.Description}
		for _, s := range n.Specs {
			parts = append(parts, s.Label+" "+s.Value)
		}
		parts = append(parts, n.Networks...)
		if len(n.Services) > 0 {
			parts = append(parts, "Services: "+strings.Join(n.Services, ", "))
		}
		for _, c := range n.Connections {
			parts = append(parts, c.Type+" "+c.NodeName+" "+c.Label)
		}
		out = append(out, search.Document{URL: "/architecture/#node-" + n.ID, Title: n.Name, Kind: "lab", Body: strings.Join(parts, ". ")})
	}
	nodeNames := map[string]string{}
	for _, n := range pub.Nodes {
		nodeNames[n.ID] = n.Name
	}
	for _, s := range pub.Services {
		body := strings.Join([]string{s.Category, s.Description, s.Tech, nodeNames[s.Node]}, ". ")
		out = append(out, search.Document{URL: "/architecture/#service-" + s.ID, Title: s.Name, Kind: "lab", Body: body})
	}
	for _, f := range pub.Flows {
		parts := []string{f.Summary}
		for _, s := range f.Steps {
			parts = append(parts, s.Name+" "+s.Detail)
		}
		out = append(out, search.Document{URL: "/architecture/#flows-title", Title: f.Name, Kind: "lab", Body: strings.Join(parts, ". ")})
	}
	for _, d := range pub.Decisions {
		out = append(out, search.Document{URL: "/architecture/#decisions-title", Title: d.Title, Kind: "lab", Body: d.Body + " " + d.Tradeoffs})
	}
	return out
}

// htmlText is the text of converted Markdown: tags become spaces (so
// highlighted code's spans still split words) and entities are decoded.
// Headings are left out: the index has them as a field of their own
// (weighted above the body), and in the body they ran into the next
// paragraph, so an excerpt read "What is Traefik Traefik is …". So is
// whatever is aria-hidden, such as a heading's "#" permalink.
func htmlText(b []byte) string {
	var out strings.Builder
	out.Grow(len(b))
	for len(b) > 0 {
		i := bytes.IndexByte(b, '<')
		if i < 0 {
			out.Write(b)
			break
		}
		out.Write(b[:i])
		j := bytes.IndexByte(b[i:], '>')
		if j < 0 {
			break
		}
		tag := b[i+1 : i+j]
		b = b[i+j+1:]
		out.WriteByte(' ')
		if name := tagName(tag); name != "" && (isHeading(name) || bytes.Contains(tag, []byte(`aria-hidden="true"`))) {
			// Skip to the element's end. Neither a heading nor a
			// permalink holds an element of its own name; a void
			// element (an aria-hidden <img>) has no end and is skipped
			// alone.
			if end := closeTag(b, name); end >= 0 {
				b = b[end:]
			}
		}
	}
	return html.UnescapeString(out.String())
}

// tagName is the lower-case name of an opening tag's inside ("h2
// id=x"), or "" for a closing tag, a comment or a self-closing tag.
func tagName(tag []byte) string {
	if len(tag) == 0 || tag[0] == '/' || tag[0] == '!' || tag[len(tag)-1] == '/' {
		return ""
	}
	n := bytes.IndexAny(tag, " \t\n\r")
	if n < 0 {
		n = len(tag)
	}
	return strings.ToLower(string(tag[:n]))
}

// closeTag returns where the first </name> of b ends (any case), or -1.
func closeTag(b []byte, name string) int {
	for at := 0; ; {
		i := bytes.Index(b[at:], []byte("</"))
		if i < 0 {
			return -1
		}
		at += i + 2
		if n := len(name); len(b) > at+n && bytes.EqualFold(b[at:at+n], []byte(name)) && b[at+n] == '>' {
			return at + n + 1
		}
	}
}

func isHeading(name string) bool {
	return len(name) == 2 && name[0] == 'h' && '1' <= name[1] && name[1] <= '6'
}

// addSearchPage plans /search/: a form that works without JavaScript
// (it says results need it) and the island that answers it.
func (p *plan) addSearchPage() {
	head := p.head("/search/", "Search", "Search the posts, notes and lab of "+p.site.Config.Title+".")
	// Empty until a visitor asks: nothing for a search engine to list.
	head.NoIndex = true
	if u := p.assets.url("search.css"); u != "" {
		head.PageStylesheets = append(head.PageStylesheets, u)
	}
	v := templates.SearchView{
		Head:     head,
		Script:   p.assets.url("search.js"),
		IndexURL: "/" + searchDir,
		Kinds: []templates.SearchOption{
			{Value: "", Label: "Everything"}, {Value: "post", Label: "Posts"}, {Value: "note", Label: "Notes"},
			{Value: "tag", Label: "Tags"}, {Value: "lab", Label: "Lab"},
		},
		Tags: []templates.SearchOption{{Value: "", Label: "Any tag"}},
	}
	tags := slices.Clone(p.site.Tags)
	slices.SortFunc(tags, func(a, b *content.Tag) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	for _, t := range tags {
		v.Tags = append(v.Tags, templates.SearchOption{Value: t.Slug, Label: t.Name})
	}
	if p.lab == nil {
		v.Kinds = v.Kinds[:4]
	}
	p.addView("/search/", v, templates.Search(v))
}
