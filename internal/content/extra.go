package content

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/siteurl"
	"github.com/labfront/labfront/internal/slug"
	"github.com/labfront/labfront/internal/yamldoc"
)

// PageAlias is one old path of a page (front matter aliases:).
type PageAlias struct {
	Path string
	Line int
}

// maxRedirectLine is Cloudflare Pages' limit on one _redirects rule;
// longer rules are ignored by Pages, so check refuses them.
const maxRedirectLine = 1000

// parseMoreKeys reads author:, series:, series_order:, aliases: and
// extra:, the keys people bring from other generators (see the README's
// front-matter table).
func parseMoreKeys(yd *yamldoc.Doc, f yamldoc.Fields, p *Page) {
	p.Author = strings.TrimSpace(f.String("author"))

	p.Series = strings.TrimSpace(f.String("series"))
	if f.Has("series") && slug.Make(p.Series) == "" {
		yd.Errorf(f.Node("series"), "series", "the series name %q has no letters or digits", p.Series)
	}
	p.SeriesLine = f.Line("series")
	if f.Has("series_order") {
		p.SeriesOrder = f.Int("series_order", 0)
		p.SeriesOrderLine = f.Line("series_order")
		_, notNumber := strconv.Atoi(f.Node("series_order").Value) // reported by Int
		switch {
		case !f.Has("series"):
			yd.Errorf(f.Node("series_order"), "series_order", "needs series: (the name of the series this post is a part of)")
		case notNumber == nil && p.SeriesOrder < 1:
			yd.Errorf(f.Node("series_order"), "series_order", "must be 1 or more (the part's number), found %d", p.SeriesOrder)
		}
	}

	for i, n := range f.List("aliases") {
		field := fmt.Sprintf("aliases[%d]", i)
		if n.Kind != yaml.ScalarNode {
			yd.Errorf(n, field, "expected an old path such as /2019/05/rack-tour/, found %s", describe(n))
			continue
		}
		if msg := aliasProblem(n.Value); msg != "" {
			yd.Errorf(n, field, "%s", msg)
			continue
		}
		line := yd.Line(n)
		if j := slices.IndexFunc(p.Aliases, func(a PageAlias) bool { return a.Path == n.Value }); j >= 0 {
			yd.Errorf(n, field, "%s is listed twice (also line %d)", n.Value, p.Aliases[j].Line)
			continue
		}
		p.Aliases = append(p.Aliases, PageAlias{Path: n.Value, Line: line})
	}

	if n := f.Node("extra"); n != nil && n.Tag != "!!null" {
		p.ExtraKeys = extraKeys(yd, n)
	}
}

// aliasProblem says why an alias cannot be an old path of a page, or "".
// Only exact paths: a page is one URL, and wildcards or placeholders
// (Pages' dynamic rules, 100 at most) belong in site.yaml's aliases.
func aliasProblem(a string) string {
	if !strings.HasPrefix(a, "/") || strings.HasPrefix(a, "//") {
		return fmt.Sprintf("must be a path on this site starting with / (no scheme or host), such as /2019/05/rack-tour/, found %q", a)
	}
	if err := siteurl.Check(a, siteurl.Path); err != nil {
		return err.Error()
	}
	if strings.ContainsAny(a, "?#") {
		return fmt.Sprintf("must be a path without ?query or #fragment (Pages matches redirects on the path), found %q", a)
	}
	if strings.Contains(a, "*") || strings.Contains(a, "/:") {
		return fmt.Sprintf("must be one exact path: * and :placeholders make a dynamic rule, which site.yaml's aliases can hold, found %q", a)
	}
	if len(a) > maxRedirectLine/2 {
		return fmt.Sprintf("is %d characters long; Cloudflare Pages ignores _redirects rules over %d characters", len(a), maxRedirectLine)
	}
	return ""
}

// extraKeys checks that extra: is a mapping with text keys and returns its
// keys. Its values may be anything YAML can say: an importer puts there
// what it could not map, so that nothing of the original is lost while
// check stays strict about typos in the keys labfront reads.
func extraKeys(yd *yamldoc.Doc, n *yaml.Node) []string {
	if n.Kind != yaml.MappingNode {
		yd.Errorf(n, "extra", "expected a mapping of keys labfront ignores (extra: {key: value}), found %s", describe(n))
		return nil
	}
	var keys []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			yd.Errorf(k, "extra", "keys must be plain text")
			continue
		}
		if slices.Contains(keys, k.Value) {
			yd.Errorf(k, "extra."+k.Value, "duplicate key")
			continue
		}
		keys = append(keys, k.Value)
	}
	slices.Sort(keys)
	return keys
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("%q", n.Value)
}

// Series is the posts and notes that share a series: name, in order.
type Series struct {
	Name  string // as the first part spells it
	Slug  string
	Pages []*Page
}

// assembleSeries groups the published pages by series and orders each:
// by series_order when the parts have it, else oldest first. A series
// of one part is a warning (the box needs two); mixing numbered and
// unnumbered parts or numbering two parts alike is an error.
func assembleSeries(pages []*Page, probs *diag.List) ([]*Series, map[*Page]*Series) {
	bySlug := map[string]*Series{}
	for _, p := range pages {
		if p.Series == "" {
			continue
		}
		sl := slug.Make(p.Series)
		if sl == "" {
			continue // reported with the page
		}
		s := bySlug[sl]
		if s == nil {
			s = &Series{Slug: sl}
			bySlug[sl] = s
		}
		s.Pages = append(s.Pages, p)
	}
	var out []*Series
	of := map[*Page]*Series{}
	for _, s := range bySlug {
		slices.SortFunc(s.Pages, func(a, b *Page) int {
			if a.SeriesOrder != b.SeriesOrder {
				return a.SeriesOrder - b.SeriesOrder
			}
			if c := a.Date.Compare(b.Date); c != 0 {
				return c
			}
			return strings.Compare(a.Path, b.Path)
		})
		s.Name = s.Pages[0].Series
		if len(s.Pages) == 1 {
			p := s.Pages[0]
			probs.Warn(p.Path, p.SeriesLine, "series", "%q has only this part published (drafts are left out); the series box appears from two parts", p.Series)
		}
		numbered := 0
		for i, p := range s.Pages {
			if p.SeriesOrder > 0 {
				numbered++
				if i > 0 && s.Pages[i-1].SeriesOrder == p.SeriesOrder {
					probs.Add(p.Path, p.SeriesOrderLine, "series_order", "%d is also the number of %s in the series %q", p.SeriesOrder, s.Pages[i-1].Path, s.Name)
				}
			}
		}
		if numbered > 0 && numbered < len(s.Pages) {
			for _, p := range s.Pages {
				if p.SeriesOrder == 0 {
					probs.Add(p.Path, p.SeriesLine, "series_order", "missing: other parts of the series %q have series_order:, so every part needs one (or remove them all to order by date)", s.Name)
				}
			}
		}
		for _, p := range s.Pages {
			of[p] = s
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *Series) int { return strings.Compare(a.Slug, b.Slug) })
	return out, of
}

// checkDuplicateAliases reports an old path claimed twice: by two pages,
// twice by the site (site.yaml aliases) and a page, or by a draft (which
// would collide as soon as it is published).
func checkDuplicateAliases(cfg Config, siteYAML string, pages []*Page, probs *diag.List) {
	type claim struct {
		path string
		line int
	}
	first := map[string]claim{}
	for _, a := range cfg.Aliases {
		if _, ok := first[a.From]; !ok && a.From != "" {
			first[a.From] = claim{siteYAML, a.Line}
		}
	}
	sorted := slices.Clone(pages)
	slices.SortFunc(sorted, func(a, b *Page) int { return strings.Compare(a.Path, b.Path) })
	for _, p := range sorted {
		for _, a := range p.Aliases {
			if c, ok := first[a.Path]; ok {
				probs.Add(p.Path, a.Line, "aliases", "%s is already redirected by %s:%d; an old path can lead to one page only", a.Path, c.path, c.line)
				continue
			}
			first[a.Path] = claim{p.Path, a.Line}
		}
	}
}
