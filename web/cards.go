package web

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"

	"github.com/labfront/labfront/internal/card"
	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/templates"
)

// Social cards: every page names a picture for link previews (og:image,
// twitter:image). A post or note with a cover: shows its cover (see
// covers.go); every other one gets a card drawn by internal/card, and so
// do the site's other pages (one site card) and the architecture page
// (the topology card).
//
// A card's file is named by its key, Renderer.Key: a hash of the card
// design (card.Version), the palette and every text it draws.
//
//	/cards/posts/<slug>.<key10>.png
//	/cards/notes/<slug>.<key10>.png
//	/cards/site.<key10>.png
//	/cards/architecture.<key10>.png
//
// <key10> is the key's first 10 hex digits. The same name always holds
// the same bytes, so /cards/* can be cached immutably, and a title edit
// gives a new name, which no network or browser has cached. The key is
// also the output's build-cache key: an unchanged card is neither drawn
// nor written again, and a changed one is the only card redone. Cards are
// outputs like pages, so the render workers draw them on all cores
// between the pages.

// cardsDir is where every card is published; _headers caches it
// immutably.
const cardsDir = "cards/"

// cardType is the media type of every card.
const cardType = "image/png"

// newCards makes the renderer in the palette of the site's stylesheets:
// the CSS custom properties of site.css (page colours) and
// architecture.css (node and link colours). The sources are read, not the
// minified assets: the minifier may rewrite a hex colour as its name,
// which the palette does not read.
func newCards(static fs.FS) (*card.Renderer, error) {
	var sheets [][]byte
	if static != nil {
		for _, name := range []string{"site.css", "architecture.css"} {
			b, err := fs.ReadFile(static, name)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return nil, err
			}
			sheets = append(sheets, b)
		}
	}
	pal, err := card.ParsePalette(sheets...)
	if err != nil {
		return nil, fmt.Errorf("card palette from the stylesheets: %w", err)
	}
	return card.New(pal)
}

// cardHost is the host a card shows in its corner: the base URL's.
func cardHost(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return u.Host
}

// addCard plans one card's file and returns its picture for the head.
func (p *plan) addCard(name string, c card.Card, alt string) *templates.SocialImage {
	key := p.cards.Key(c)
	rel := cardsDir + name + "." + hex.EncodeToString(key[:])[:10] + ".png"
	p.outputs = append(p.outputs, output{
		path: rel,
		key:  func() ([32]byte, error) { return key, nil },
		render: func(context.Context) ([]byte, error) {
			p.drawn.Add(1)
			return p.cards.Render(c)
		},
	})
	return &templates.SocialImage{URL: p.site.Config.BaseURL + "/" + rel, Type: cardType, Width: card.Width, Height: card.Height, Alt: alt}
}

// addSiteCard plans the card of every page that has none of its own:
// the site's name and description, and its sections as the kicker.
func (p *plan) addSiteCard() {
	cfg := p.site.Config
	var sections []string
	for _, n := range p.nav {
		sections = append(sections, n.Title)
	}
	c := card.Card{Site: cfg.Title, Kicker: strings.Join(sections, " · "), Title: cfg.Title, Summary: cfg.Description, Host: p.cardHost}
	alt := cfg.Title
	if cfg.Description != "" {
		alt += ": " + cfg.Description
	}
	p.siteImage = p.addCard("site", c, alt)
}

// pageCard is the card of a post or note: kind and date, title, tags.
func (p *plan) pageCard(pg *content.Page) card.Card {
	kind := pg.Kind.Name()
	return card.Card{
		Site:   p.site.Config.Title,
		Kicker: strings.ToUpper(kind[:1]) + kind[1:] + " · " + humanDate(pg.Date),
		Title:  pg.Title,
		Tags:   p.tagNames(pg),
		Host:   p.cardHost,
	}
}

// addPageCard plans a post's or note's card.
func (p *plan) addPageCard(pg *content.Page) *templates.SocialImage {
	c := p.pageCard(pg)
	alt := fmt.Sprintf("%s — %s of %s on %s", pg.Title, pg.Kind.Name(), humanDate(pg.Date), p.site.Config.Title)
	if len(c.Tags) > 0 {
		alt += ", tagged " + strings.Join(c.Tags, ", ")
	}
	return p.addCard(pg.Kind.Dir()+"/"+pg.Slug, c, alt)
}

// addTopologyCard plans the architecture page's card: the public graph
// as laid out for the page, in miniature, with three of the hero stats.
func (p *plan) addTopologyCard(title string) (*templates.SocialImage, error) {
	ls := p.lab
	g := ls.drawing.Wide
	t := card.Topology{Site: p.site.Config.Title, Kicker: "Architecture", Title: title, Host: p.cardHost}
	t.Width, t.Height = g.Width, g.Height
	index := make(map[string]int, len(ls.pub.Nodes))
	for i, n := range ls.pub.Nodes {
		index[n.ID] = i
		t.Nodes = append(t.Nodes, card.Node{X: g.Nodes[i].X, Y: g.Nodes[i].Y, Type: n.Type})
	}
	for _, l := range ls.pub.Links {
		from, okf := index[l.From]
		to, okt := index[l.To]
		if !okf || !okt {
			return nil, fmt.Errorf("topology card: link %s–%s names a node the graph does not draw", l.From, l.To)
		}
		t.Links = append(t.Links, card.Link{From: from, To: to, Type: l.Type})
	}
	s := ls.pub.Stats()
	t.Stats = []card.Stat{
		{Value: strconv.Itoa(s.Systems), Label: "systems"},
		{Value: strconv.Itoa(s.Sites), Label: "sites"},
		{Value: strconv.Itoa(s.Connections), Label: "connections"},
	}
	nodeTypes, _ := Legend(ls.pub)
	for _, it := range nodeTypes {
		t.Legend = append(t.Legend, card.LegendItem{Type: it.Type, Label: it.Label})
	}
	key := p.cards.KeyTopology(t)
	rel := cardsDir + "architecture." + hex.EncodeToString(key[:])[:10] + ".png"
	p.outputs = append(p.outputs, output{
		path: rel,
		key:  func() ([32]byte, error) { return key, nil },
		render: func(context.Context) ([]byte, error) {
			p.drawn.Add(1)
			return p.cards.RenderTopology(t)
		},
	})
	alt := fmt.Sprintf("%s: the topology of %s's lab, %d systems at %d %s with %d connections", title, p.site.Config.Title,
		s.Systems, s.Sites, plural(s.Sites, "site", "sites"), s.Connections)
	return &templates.SocialImage{URL: p.site.Config.BaseURL + "/" + rel, Type: cardType, Width: card.Width, Height: card.Height, Alt: alt}, nil
}
