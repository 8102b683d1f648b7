package substack

import (
	"bytes"
	"encoding/json"
	"fmt"
	stdhtml "html"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/strikethrough"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/table"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Footnote references survive the conversion as these private-use runes
// around the label, because the converter would escape "[^1]" written as
// text. Input text is stripped of them first, so only ours remain.
const (
	fnOpen  = '\uE000'
	fnClose = '\uE001'
)

// dropped elements go with everything inside them: they run code, load
// other documents, take input, or draw things Markdown cannot carry.
var dropped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Iframe: true, atom.Object: true, atom.Embed: true,
	atom.Applet: true, atom.Frame: true, atom.Frameset: true, atom.Noscript: true, atom.Template: true,
	atom.Form: true, atom.Input: true, atom.Button: true, atom.Select: true, atom.Textarea: true,
	atom.Option: true, atom.Svg: true, atom.Math: true, atom.Link: true, atom.Meta: true, atom.Base: true,
	atom.Head: true, atom.Title: true, atom.Canvas: true, atom.Audio: true, atom.Video: true,
	atom.Source: true, atom.Track: true, atom.Dialog: true, atom.Footer: true, atom.Nav: true,
	atom.Label: true, atom.Fieldset: true, atom.Map: true, atom.Area: true,
}

// kept elements carry Markdown meaning (or are harmless containers the
// converter flattens); every other element is unwrapped to its children.
var kept = map[atom.Atom]bool{
	atom.P: true, atom.Br: true, atom.Hr: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true,
	atom.H5: true, atom.H6: true, atom.Ul: true, atom.Ol: true, atom.Li: true, atom.Blockquote: true,
	atom.Pre: true, atom.Code: true, atom.Em: true, atom.I: true, atom.Strong: true, atom.B: true,
	atom.A: true, atom.Img: true, atom.Table: true, atom.Thead: true, atom.Tbody: true, atom.Tfoot: true,
	atom.Tr: true, atom.Th: true, atom.Td: true, atom.S: true, atom.Del: true, atom.Strike: true,
	atom.Sup: true, atom.Sub: true, atom.Div: true, atom.Span: true, atom.Section: true, atom.Article: true,
	atom.Figure: true, atom.Figcaption: true, atom.Body: true, atom.Kbd: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
}

// chromeClasses mark Substack's own furniture: subscription and share
// widgets, buttons, the paywall marker, image expand controls, footers.
var chromeClasses = []string{
	"subscription-widget", "subscribe-widget", "button-wrapper", "captioned-button-wrap", "share-dialog",
	"post-footer", "footer", "paywall", "image-link-expand", "restack", "like-button", "comment-button",
	"post-ufi", "subscribe-footer", "install-substack-app",
}

var chromeComponents = []string{
	"SubscribeWidgetToDOM", "SubscribeWidget", "ButtonCreateButton", "CaptionedButtonToDOM", "PaywallToDOM",
	"ShareButton", "CommentButton",
}

var codeLanguage = regexp.MustCompile(`(?:^|\s)(?:language|lang)-([A-Za-z0-9_+#-]{1,32})(?:\s|$)`)

var youtubeID = regexp.MustCompile(`^[A-Za-z0-9_-]{6,64}$`)

// converter is built per conversion: it holds per-run state and is cheap.
func newConverter() *converter.Converter {
	return converter.NewConverter(converter.WithPlugins(
		base.NewBasePlugin(),
		commonmark.NewCommonmarkPlugin(),
		table.NewTablePlugin(),
		strikethrough.NewStrikethroughPlugin(),
	))
}

// ToMarkdown turns one post's HTML (a fragment, as Substack exports it)
// into Markdown. site is the publication URL for resolving relative links,
// "" when unknown. Imported HTML is untrusted: everything that could run
// code or load another document is dropped before conversion, embeds become
// plain links, and only http(s) and mailto destinations survive.
func ToMarkdown(src, site string) (string, error) {
	nodes, err := html.ParseFragment(strings.NewReader(stripMarkers(src)), &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body})
	if err != nil {
		return "", fmt.Errorf("parse HTML: %w", err)
	}
	root := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	c := &cleaner{site: site}
	notes := c.extractFootnotes(root)
	c.clean(root)
	demoteHeadings(root)
	opts := []converter.ConvertOptionFunc{}
	if site != "" {
		opts = append(opts, converter.WithDomain(site))
	}
	md, err := newConverter().ConvertNode(root, opts...)
	if err != nil {
		return "", fmt.Errorf("convert HTML to Markdown: %w", err)
	}
	out := strings.TrimSpace(string(md))
	var defs []string
	for _, fn := range notes {
		c := &cleaner{site: site}
		c.clean(fn.body)
		body, err := newConverter().ConvertNode(fn.body, opts...)
		if err != nil {
			return "", fmt.Errorf("convert footnote %s: %w", fn.label, err)
		}
		text := strings.TrimSpace(string(body))
		if text == "" {
			continue
		}
		// Continuation lines of a footnote are indented four spaces.
		text = strings.ReplaceAll(text, "\n", "\n    ")
		text = strings.ReplaceAll(text, "\n    \n", "\n\n")
		defs = append(defs, "[^"+fn.label+"]: "+text)
	}
	out = replaceFootnoteMarkers(out)
	if len(defs) > 0 {
		out += "\n\n" + strings.Join(defs, "\n\n")
	}
	return out + "\n", nil
}

func stripMarkers(s string) string {
	return strings.Map(func(r rune) rune {
		if r == fnOpen || r == fnClose {
			return -1
		}
		return r
	}, s)
}

func replaceFootnoteMarkers(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexRune(s, fnOpen)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexRune(s[i:], fnClose)
		if j < 0 {
			b.WriteString(stripMarkers(s))
			return b.String()
		}
		b.WriteString(s[:i])
		label := s[i+len(string(fnOpen)) : i+j]
		b.WriteString("[^" + label + "]")
		s = s[i+j+len(string(fnClose)):]
	}
}

type footnote struct {
	label string
	body  *html.Node
}

type cleaner struct {
	site string
}

var footnoteLabel = regexp.MustCompile(`^[0-9]{1,4}$`)

// extractFootnotes removes Substack's footnote blocks from the tree and
// replaces each reference with a marker, so the Markdown gets real
// footnotes ([^1]) instead of links to ids that no longer exist.
func (c *cleaner) extractFootnotes(root *html.Node) []footnote {
	var notes []footnote
	known := map[string]bool{}
	for _, n := range elements(root) {
		if n.Parent == nil || !hasClass(n, "footnote") || hasClass(n, "footnote-anchor") {
			continue
		}
		label := ""
		var content *html.Node
		for _, d := range elements(n) {
			if hasClass(d, "footnote-number") && label == "" {
				label = strings.TrimSpace(textOf(d))
			}
			if hasClass(d, "footnote-content") && content == nil {
				content = d
			}
		}
		if !footnoteLabel.MatchString(label) {
			label = strconv.Itoa(len(notes) + 1)
		}
		body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
		if content != nil {
			content.Parent.RemoveChild(content)
			body.AppendChild(content)
		}
		n.Parent.RemoveChild(n)
		if known[label] {
			continue
		}
		known[label] = true
		notes = append(notes, footnote{label: label, body: body})
	}
	for _, n := range elements(root) {
		if n.Parent == nil || n.DataAtom != atom.A || !hasClass(n, "footnote-anchor") {
			continue
		}
		label := strings.TrimSpace(textOf(n))
		if !known[label] {
			// A reference without its note would be a dangling [^n].
			n.Parent.RemoveChild(n)
			continue
		}
		n.Parent.InsertBefore(&html.Node{Type: html.TextNode, Data: string(fnOpen) + label + string(fnClose)}, n)
		n.Parent.RemoveChild(n)
	}
	return notes
}

// clean rewrites the tree in place: chrome and executable content go,
// embeds become links, attributes are reduced to the few Markdown needs.
func (c *cleaner) clean(n *html.Node) {
	for child := n.FirstChild; child != nil; {
		next := child.NextSibling
		c.cleanNode(child)
		child = next
	}
}

func (c *cleaner) cleanNode(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		return
	case html.ElementNode:
	default:
		// Comments, doctypes: nothing a reader sees.
		n.Parent.RemoveChild(n)
		return
	}
	if repl := c.embed(n); repl != nil {
		n.Parent.InsertBefore(repl, n)
		n.Parent.RemoveChild(n)
		return
	}
	if dropped[n.DataAtom] || n.DataAtom == 0 && isForeignExecutable(n.Data) || isChrome(n) {
		n.Parent.RemoveChild(n)
		return
	}
	switch n.DataAtom {
	case atom.Figure:
		c.figure(n)
	case atom.A:
		href := safeHref(attr(n, "href"), c.site)
		if href == "" {
			unwrap(n)
			return
		}
		n.Attr = []html.Attribute{{Key: "href", Val: href}}
		if title := attr(n, "title"); title != "" {
			n.Attr = append(n.Attr, html.Attribute{Key: "title", Val: title})
		}
		c.clean(n)
		return
	case atom.Img:
		src := safeImage(attr(n, "src"), c.site)
		if src == "" {
			n.Parent.RemoveChild(n)
			return
		}
		a := []html.Attribute{{Key: "src", Val: src}, {Key: "alt", Val: strings.TrimSpace(attr(n, "alt"))}}
		if title := strings.TrimSpace(attr(n, "title")); title != "" {
			a = append(a, html.Attribute{Key: "title", Val: title})
		}
		n.Attr = a
		return
	case atom.Code:
		lang := ""
		if m := codeLanguage.FindStringSubmatch(attr(n, "class")); m != nil {
			lang = m[1]
		}
		n.Attr = nil
		if lang != "" {
			n.Attr = []html.Attribute{{Key: "class", Val: "language-" + lang}}
		}
		c.clean(n)
		return
	case atom.Ol:
		start := attr(n, "start")
		n.Attr = nil
		if v, err := strconv.Atoi(start); err == nil && v >= 0 && v < 1_000_000 {
			n.Attr = []html.Attribute{{Key: "start", Val: strconv.Itoa(v)}}
		}
		c.clean(n)
		return
	case atom.P, atom.Div:
		if isThanksBox(n) || isButtonParagraph(n) {
			n.Parent.RemoveChild(n)
			return
		}
	}
	n.Attr = nil
	c.clean(n)
	if !kept[n.DataAtom] {
		unwrap(n)
	}
}

// isForeignExecutable catches namespaced or custom elements html parses
// without an atom (e.g. "svg:script").
func isForeignExecutable(name string) bool {
	name = strings.ToLower(name)
	return strings.HasSuffix(name, "script") || strings.Contains(name, "frame") || strings.HasSuffix(name, "object")
}

// figure keeps the image and its caption: the image as itself, the
// caption as an emphasised paragraph under it. Substack wraps the image in
// a link to a larger copy of the same image, which is dropped.
func (c *cleaner) figure(n *html.Node) {
	for _, d := range elements(n) {
		if d.DataAtom == atom.A && d.Parent != nil && containsImage(d) {
			unwrap(d)
		}
	}
	for _, d := range elements(n) {
		if d.DataAtom == atom.Figcaption && d.Parent != nil {
			text := strings.TrimSpace(textOf(d))
			if text == "" {
				d.Parent.RemoveChild(d)
				continue
			}
			p := &html.Node{Type: html.ElementNode, Data: "p", DataAtom: atom.P}
			em := &html.Node{Type: html.ElementNode, Data: "em", DataAtom: atom.Em}
			for ch := d.FirstChild; ch != nil; {
				next := ch.NextSibling
				d.RemoveChild(ch)
				em.AppendChild(ch)
				ch = next
			}
			p.AppendChild(em)
			d.Parent.InsertBefore(p, d)
			d.Parent.RemoveChild(d)
		}
	}
	for _, d := range elements(n) {
		if d.DataAtom == atom.Img && d.Parent != nil && d.Parent != n {
			// Lift the image out of <picture> and inset divs into its
			// own paragraph, so Markdown shows it as a block.
			p := &html.Node{Type: html.ElementNode, Data: "p", DataAtom: atom.P}
			d.Parent.RemoveChild(d)
			p.AppendChild(d)
			n.InsertBefore(p, n.FirstChild)
			break
		}
	}
}

func containsImage(n *html.Node) bool {
	for _, d := range elements(n) {
		if d.DataAtom == atom.Img {
			return true
		}
	}
	return false
}

// embed turns a tweet, YouTube video, embedded post, audio or any other
// iframe into a paragraph with a plain link, or returns nil when n is not
// an embed.
func (c *cleaner) embed(n *html.Node) *html.Node {
	comp := attr(n, "data-component-name")
	var data map[string]any
	if raw := attr(n, "data-attrs"); raw != "" {
		// Malformed attributes leave data nil: the embed falls back to
		// what its markup says.
		if json.Unmarshal([]byte(raw), &data) != nil {
			data = nil
		}
	}
	str := func(k string) string {
		if v, ok := data[k].(string); ok {
			return strings.TrimSpace(v)
		}
		return ""
	}
	switch {
	case hasClass(n, "tweet") || strings.HasPrefix(comp, "Twitter"):
		u := safeHref(str("url"), "")
		if u == "" {
			u = firstLink(n, "twitter.com", "x.com")
		}
		if u == "" {
			return nil
		}
		label := "Post on X"
		if user := str("username"); user != "" {
			label = "Post by @" + user
			if name := str("name"); name != "" {
				label = "Post by " + name + " (@" + user + ")"
			}
		}
		out := linkParagraph(u, label)
		if text := str("full_text"); text != "" {
			wrap := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
			wrap.AppendChild(out)
			q := &html.Node{Type: html.ElementNode, Data: "blockquote", DataAtom: atom.Blockquote}
			p := &html.Node{Type: html.ElementNode, Data: "p", DataAtom: atom.P}
			p.AppendChild(&html.Node{Type: html.TextNode, Data: text})
			q.AppendChild(p)
			wrap.AppendChild(q)
			return wrap
		}
		return out
	case hasClass(n, "youtube-wrap") || strings.HasPrefix(comp, "Youtube"):
		id := str("videoId")
		if !youtubeID.MatchString(id) {
			id = ""
			for _, d := range elements(n) {
				if d.DataAtom == atom.Iframe {
					id = youtubeFromURL(attr(d, "src"))
				}
			}
		}
		if id == "" {
			return nil
		}
		return linkParagraph("https://www.youtube.com/watch?v="+id, "Video on YouTube")
	case hasClass(n, "embedded-post-wrap") || strings.HasPrefix(comp, "EmbeddedPost"):
		u := safeHref(str("url"), c.site)
		if u == "" {
			u = firstLink(n)
		}
		if u == "" {
			return nil
		}
		title := str("title")
		if title == "" {
			title = "Related post"
		}
		return linkParagraph(u, title)
	case hasClass(n, "native-audio-embed") || strings.HasPrefix(comp, "AudioEmbed"):
		u := safeHref(str("url"), c.site)
		if u == "" {
			return nil
		}
		return linkParagraph(u, "Listen to the audio")
	case n.DataAtom == atom.Iframe:
		src := attr(n, "src")
		if id := youtubeFromURL(src); id != "" {
			return linkParagraph("https://www.youtube.com/watch?v="+id, "Video on YouTube")
		}
		u := safeHref(src, "")
		if u == "" || !strings.HasPrefix(u, "http") {
			return nil
		}
		host := u
		if p, err := url.Parse(u); err == nil && p.Host != "" {
			host = p.Host
		}
		return linkParagraph(u, "Embedded content from "+host)
	}
	return nil
}

func youtubeFromURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ""
	}
	host := strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	var id string
	switch host {
	case "youtube.com", "youtube-nocookie.com", "m.youtube.com":
		if rest, ok := strings.CutPrefix(u.Path, "/embed/"); ok {
			id = rest
		} else {
			id = u.Query().Get("v")
		}
	case "youtu.be":
		id = strings.TrimPrefix(u.Path, "/")
	}
	if youtubeID.MatchString(id) {
		return id
	}
	return ""
}

func linkParagraph(href, text string) *html.Node {
	p := &html.Node{Type: html.ElementNode, Data: "p", DataAtom: atom.P}
	a := &html.Node{Type: html.ElementNode, Data: "a", DataAtom: atom.A, Attr: []html.Attribute{{Key: "href", Val: href}}}
	a.AppendChild(&html.Node{Type: html.TextNode, Data: text})
	p.AppendChild(a)
	return p
}

// firstLink is the first safe link in n, to one of hosts when given.
func firstLink(n *html.Node, hosts ...string) string {
	for _, d := range elements(n) {
		if d.DataAtom != atom.A {
			continue
		}
		u := safeHref(attr(d, "href"), "")
		if u == "" {
			continue
		}
		if len(hosts) == 0 {
			return u
		}
		if p, err := url.Parse(u); err == nil {
			h := strings.TrimPrefix(strings.ToLower(p.Host), "www.")
			for _, want := range hosts {
				if h == want {
					return u
				}
			}
		}
	}
	return ""
}

func isChrome(n *html.Node) bool {
	comp := attr(n, "data-component-name")
	for _, c := range chromeComponents {
		if comp == c {
			return true
		}
	}
	for _, cls := range strings.Fields(attr(n, "class")) {
		for _, c := range chromeClasses {
			if strings.HasPrefix(cls, c) {
				return true
			}
		}
	}
	return false
}

// isThanksBox is the "Thanks for reading X! Subscribe for free…" line
// Substack puts in posts, with or without its widget markup, and the
// "Keep reading with a 7-day free trial" line at a paywall.
func isThanksBox(n *html.Node) bool {
	t := strings.ToLower(strings.Join(strings.Fields(textOf(n)), " "))
	return strings.HasPrefix(t, "thanks for reading") && strings.Contains(t, "subscribe") ||
		strings.HasPrefix(t, "keep reading with a") && len(t) < 80
}

// isButtonParagraph is a paragraph that holds nothing but a Substack call
// to subscribe, share or comment.
func isButtonParagraph(n *html.Node) bool {
	var links []*html.Node
	for _, d := range elements(n) {
		if d.DataAtom == atom.A {
			links = append(links, d)
		}
	}
	if len(links) != 1 || strings.TrimSpace(textOf(n)) != strings.TrimSpace(textOf(links[0])) {
		return false
	}
	href := strings.ToLower(attr(links[0], "href"))
	u, err := url.Parse(href)
	if err != nil {
		return false
	}
	path := strings.TrimRight(u.Path, "/")
	q := u.Query()
	return strings.HasSuffix(path, "/subscribe") || strings.HasSuffix(path, "/comments") ||
		q.Get("action") == "share" || q.Get("utm_content") == "share" || strings.Contains(attr(links[0], "class"), "button")
}

// demoteHeadings shifts every heading down a level when the body uses h1:
// the page's title is the only h1.
func demoteHeadings(root *html.Node) {
	hasH1 := false
	for _, d := range elements(root) {
		if d.DataAtom == atom.H1 {
			hasH1 = true
		}
	}
	if !hasH1 {
		return
	}
	next := map[atom.Atom]atom.Atom{atom.H1: atom.H2, atom.H2: atom.H3, atom.H3: atom.H4, atom.H4: atom.H5, atom.H5: atom.H6, atom.H6: atom.H6}
	for _, d := range elements(root) {
		if a, ok := next[d.DataAtom]; ok {
			d.DataAtom, d.Data = a, a.String()
		}
	}
}

// safeHref returns a link destination that cannot run code: http, https
// and mailto, absolute or resolved against site; "" otherwise. Browsers
// ignore tabs, newlines and other control characters inside a scheme, and
// the parser has already decoded entities, so both tricks are undone
// before the scheme is checked.
func safeHref(raw, site string) string {
	return safeURL(raw, site, "http", "https", "mailto")
}

func safeImage(raw, site string) string {
	return safeURL(raw, site, "http", "https")
}

func safeURL(raw, site string, schemes ...string) string {
	cleaned := strings.Map(func(r rune) rune {
		if r <= 0x20 || r == 0x7f || r == fnOpen || r == fnClose {
			return -1
		}
		return r
	}, stdhtml.UnescapeString(raw))
	if cleaned == "" || strings.HasPrefix(cleaned, "#") {
		return ""
	}
	if strings.HasPrefix(cleaned, "//") {
		cleaned = "https:" + cleaned
	}
	u, err := url.Parse(cleaned)
	if err != nil {
		return ""
	}
	if u.Scheme == "" {
		if site == "" {
			return ""
		}
		b, err := url.Parse(site)
		if err != nil || b.Host == "" {
			return ""
		}
		u = b.ResolveReference(u)
	}
	scheme := strings.ToLower(u.Scheme)
	for _, s := range schemes {
		if scheme == s {
			if (s == "http" || s == "https") && u.Host == "" {
				return ""
			}
			u.Scheme = scheme
			return u.String()
		}
	}
	return ""
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) && a.Namespace == "" {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

// elements lists the element descendants of n in document order. The
// list is a snapshot, so callers may change the tree while walking it.
func elements(n *html.Node) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode {
				out = append(out, c)
			}
			walk(c)
		}
	}
	walk(n)
	return out
}

func textOf(n *html.Node) string {
	var b bytes.Buffer
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// unwrap replaces n by its children.
func unwrap(n *html.Node) {
	p := n.Parent
	if p == nil {
		return
	}
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		n.RemoveChild(c)
		p.InsertBefore(c, n)
		c = next
	}
	p.RemoveChild(n)
}
