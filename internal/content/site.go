// Package content loads the operator's site: site.yaml, posts and notes.
// It validates everything it reads and reports every problem with its file
// and line (see package diag), so `labfront check` can list them all at once.
package content

import (
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"path/filepath"
	"strings"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/sitefs"
	"github.com/labfront/labfront/internal/siteurl"
	"github.com/labfront/labfront/internal/yamldoc"
)

// Config is content/site.yaml.
type Config struct {
	Title       string
	BaseURL     string // absolute, without trailing slash
	Description string
	Author      Author
	Language    string
	Substack    string
	Nav         []NavItem
	FeedLimit   int
	Paginate    int
	Aliases     []Alias
	// PageCards is whether every post and note without a cover gets a
	// social card of its own (the default). Without, they share the
	// site's card: a site of 10,000 posts then stays within Pages'
	// 20,000 files and its first build draws two cards, not 10,002.
	PageCards bool
}

// Author is the site's default author.
type Author struct {
	Name  string
	Email string
}

// NavItem is one entry of the main navigation.
type NavItem struct {
	Title string
	URL   string
}

// Alias is a redirect published in _redirects.
type Alias struct {
	From   string
	To     string
	Status int
	Line   int
}

// Defaults for optional site.yaml keys.
const (
	DefaultLanguage  = "en"
	DefaultFeedLimit = 20
	DefaultPaginate  = 10
)

var siteKeys = []string{"title", "base_url", "description", "author", "language", "substack", "nav", "feed_limit", "paginate", "aliases", "page_cards"}

// LoadConfig reads src/content/site.yaml alone, for callers that need the
// site's settings without converting every page (the admin server).
func LoadConfig(src string) (Config, error) {
	files, err := sitefs.Open(src)
	if err != nil {
		return Config{}, err
	}
	defer files.Close()
	var probs diag.List
	cfg := loadConfig(files, &probs)
	return cfg, probs.Err()
}

// loadConfig reads site.yaml; problems go to probs.
func loadConfig(files *sitefs.Site, probs *diag.List) Config {
	const name = "content/site.yaml"
	display := files.Display(name)
	cfg := Config{Language: DefaultLanguage, FeedLimit: DefaultFeedLimit, Paginate: DefaultPaginate, PageCards: true}
	data, err := files.ReadFile(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			probs.Add(display, 0, "", "missing: every site needs a site.yaml with at least title and base_url")
		} else {
			addReadProblem(probs, display, err)
		}
		return cfg
	}
	doc := &yamldoc.Doc{Path: display, Problems: probs}
	root := doc.Parse(data)
	if root == nil {
		return cfg
	}
	f := doc.Map(root, "", siteKeys...)
	f.Require("title", "base_url")
	cfg.Title = f.String("title")
	cfg.BaseURL = strings.TrimRight(checkURL(doc, f, "base_url", "base_url", siteurl.Absolute), "/")
	cfg.Description = f.String("description")
	if f.Has("author") {
		a := f.Sub("author", "name", "email")
		cfg.Author = Author{Name: a.String("name"), Email: checkEmail(doc, a, "author.email")}
	}
	if lang := f.String("language"); lang != "" {
		cfg.Language = lang
	}
	cfg.Substack = strings.TrimRight(checkURL(doc, f, "substack", "substack", siteurl.Absolute), "/")
	cfg.FeedLimit = f.Int("feed_limit", DefaultFeedLimit)
	if cfg.FeedLimit < 1 {
		doc.Errorf(f.Node("feed_limit"), "feed_limit", "must be at least 1")
		cfg.FeedLimit = DefaultFeedLimit
	}
	cfg.Paginate = f.Int("paginate", DefaultPaginate)
	if cfg.Paginate < 1 {
		doc.Errorf(f.Node("paginate"), "paginate", "must be at least 1")
		cfg.Paginate = DefaultPaginate
	}
	if f.Has("page_cards") {
		cfg.PageCards = f.Bool("page_cards")
	}
	for i, n := range f.List("nav") {
		name := fmt.Sprintf("nav[%d]", i)
		e := doc.Map(n, name, "title", "url")
		e.Require("title", "url")
		cfg.Nav = append(cfg.Nav, NavItem{Title: e.String("title"), URL: checkURL(doc, e, "url", name+".url", siteurl.Link)})
	}
	for i, n := range f.List("aliases") {
		name := fmt.Sprintf("aliases[%d]", i)
		e := doc.Map(n, name, "from", "to", "status")
		e.Require("from", "to")
		a := Alias{
			From:   checkURL(doc, e, "from", name+".from", siteurl.Path),
			To:     checkURL(doc, e, "to", name+".to", siteurl.Target),
			Status: e.Int("status", 301), Line: doc.Line(n),
		}
		switch a.Status {
		case 301, 302, 303, 307, 308, 200, 404:
		default:
			doc.Errorf(e.Node("status"), name+".status", "must be one of 301, 302, 303, 307, 308, 200 or 404")
		}
		cfg.Aliases = append(cfg.Aliases, a)
	}
	return cfg
}

// checkURL returns the URL under key, or "" after reporting why siteurl
// refuses it as kind k: every URL of site.yaml ends up in every page, a
// feed or a line-based file (_redirects, robots.txt), so none may carry a
// line break, a hidden character or a scheme that runs code.
func checkURL(doc *yamldoc.Doc, f yamldoc.Fields, key, field string, k siteurl.Kind) string {
	raw := f.String(key)
	if raw == "" {
		return ""
	}
	if err := siteurl.Check(raw, k); err != nil {
		doc.Errorf(f.Node(key), field, "%v", err)
		return ""
	}
	return raw
}

// checkEmail returns the address under key, or "" after reporting why it
// is not one bare address: it goes into the feeds' author elements.
func checkEmail(doc *yamldoc.Doc, f yamldoc.Fields, field string) string {
	raw := f.String("email")
	if raw == "" {
		return ""
	}
	if err := siteurl.Visible(raw); err != nil {
		doc.Errorf(f.Node("email"), field, "%v, found %q", err, raw)
		return ""
	}
	if a, err := mail.ParseAddress(raw); err != nil || a.Address != raw || a.Name != "" {
		doc.Errorf(f.Node("email"), field, "must be one bare address such as you@example.com, found %q", raw)
		return ""
	}
	return raw
}

// displayPath joins the source dir and a path inside it the way users type
// it, so "--src ." gives "content/site.yaml".
func displayPath(src, rel string) string {
	return filepath.ToSlash(filepath.Join(src, rel))
}
