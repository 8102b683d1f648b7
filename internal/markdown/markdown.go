// Package markdown turns a content file (YAML front matter + Markdown) into
// safe HTML plus what the generator needs to know about it: headings for the
// table of contents, word count, and every link with its line for checking.
//
// Raw HTML is never passed through, and link destinations are restricted to
// schemes that cannot run code, because content may be imported from
// elsewhere (Substack) and must be treated as untrusted.
package markdown

import (
	"bytes"
	"fmt"
	stdhtml "html"
	"regexp"
	"strings"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"go.abhg.dev/goldmark/frontmatter"
	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/diag"
)

// Heading is an entry of the table of contents.
type Heading struct {
	Level int
	ID    string
	Text  string
}

// Link is a link or image destination found in the body.
type Link struct {
	Dest  string
	Line  int
	Image bool
	// Alt is an image's alternative text as plain text; the build
	// refuses an image without one (people who cannot see it get nothing).
	Alt string
}

// Document is a converted content file.
type Document struct {
	// FrontMatter is the YAML document between the --- lines, nil when
	// the file has none. Its lines count from the first YAML line, which is
	// line 2 of the file.
	FrontMatter *yaml.Node
	// FrontMatterErr is the YAML syntax error, if any.
	FrontMatterErr error
	HTML           []byte
	Headings       []Heading
	Words          int
	Links          []Link
	// Lead is the first top-level paragraph as plain text: the page's
	// description when its front matter has no summary.
	Lead string
}

// Converter is safe for concurrent use; build one and share it.
type Converter struct {
	md goldmark.Markdown
}

// New configures goldmark once: GFM, footnotes, typographic quotes, heading
// ids, and syntax highlighting that emits CSS classes so light and dark
// themes are a stylesheet concern.
func New() *Converter {
	md := goldmark.New(
		goldmark.WithExtensions(
			// GFM, with table alignment as attributes: the default inline
			// style="" would be blocked by the site's CSP.
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			extension.Strikethrough,
			extension.Linkify,
			extension.TaskList,
			extension.Footnote,
			extension.Typographer,
			&frontmatter.Extender{},
		),
		goldmark.WithParserOptions(
			parser.WithAutoHeadingID(),
			parser.WithASTTransformers(util.Prioritized(safeLinks{}, 0)),
		),
		goldmark.WithRendererOptions(
			renderer.WithNodeRenderers(
				util.Prioritized(headingRenderer{}, 100),
				util.Prioritized(newCodeRenderer(), 100),
			),
		),
	)
	return &Converter{md: md}
}

// Convert parses and renders src.
func (c *Converter) Convert(src []byte) (*Document, error) {
	ctx := parser.NewContext()
	root := c.md.Parser().Parse(text.NewReader(src), parser.WithContext(ctx))
	doc := &Document{}
	if fm := frontmatter.Get(ctx); fm != nil {
		var node yaml.Node
		doc.FrontMatterErr = fm.Decode(&node)
		doc.FrontMatter = &node
	}
	lines := diag.NewLines(src)
	err := ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			id, _ := n.AttributeString("id") // always set by WithAutoHeadingID
			idb, _ := id.([]byte)
			doc.Headings = append(doc.Headings, Heading{Level: n.Level, ID: string(idb), Text: plainText(n, src)})
		case *ast.Paragraph:
			if doc.Lead == "" && n.Parent() == root {
				doc.Lead = plainText(n, src)
			}
		case *ast.Link:
			doc.Links = append(doc.Links, Link{Dest: string(n.Destination), Line: lines.Line(int64(nodeOffset(n)))})
		case *ast.Image:
			doc.Links = append(doc.Links, Link{Dest: string(n.Destination), Line: lines.Line(int64(nodeOffset(n))), Image: true, Alt: plainText(n, src)})
		case *ast.Text:
			doc.Words += CountWords(n.Segment.Value(src))
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			segs := n.Lines()
			for i := 0; i < segs.Len(); i++ {
				s := segs.At(i)
				doc.Words += CountWords(s.Value(src))
			}
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(src) * 2)
	if err := c.md.Renderer().Render(&buf, src, root); err != nil {
		return nil, fmt.Errorf("render markdown: %w", err)
	}
	doc.HTML = wrapTables(focusableCode(emptyHeaders(buf.Bytes())))
	return doc, nil
}

// emptyHeaderCell matches a header cell with nothing in it, as a table
// whose first column has no heading gives ("|   | a | b |").
var emptyHeaderCell = regexp.MustCompile(`<th((?: align="[a-z]+")?)></th>`)

// emptyHeaders turns empty header cells into data cells: a <th> labels its
// column for screen readers, and an empty one labels it with nothing
// (axe's empty-table-header). Raw HTML never passes through, so every
// cell here is the table renderer's.
func emptyHeaders(html []byte) []byte {
	if !bytes.Contains(html, []byte("></th>")) {
		return html
	}
	return emptyHeaderCell.ReplaceAll(html, []byte("<td$1></td>"))
}

// focusableCode makes code blocks reachable by keyboard: a block wider than
// the column scrolls sideways, and a region that scrolls must take focus so
// keyboard users can scroll it (WCAG 2.1.1). The role and a name numbered
// in page order ("Code block 2") tell a screen reader what the focus stop
// is; landmarks of one role need names of their own. Code text is escaped,
// so every "<pre" in the output is a block's own.
func focusableCode(html []byte) []byte {
	return numberRegions(html, codeOpen, "Code block")
}

// codeOpen matches the opening tag of a code block: goldmark's plain one
// or chroma's.
var codeOpen = regexp.MustCompile(`<pre( class="chroma")?>`)

// numberRegions adds tabindex, role and a numbered name to each match of
// open, keeping the tag's own attributes.
func numberRegions(html []byte, open *regexp.Regexp, name string) []byte {
	n := 0
	return open.ReplaceAllFunc(html, func(tag []byte) []byte {
		n++
		return fmt.Appendf(nil, `%s tabindex="0" role="region" aria-label="%s %d">`, tag[:len(tag)-1], name, n)
	})
}

var tableWrapOpen = regexp.MustCompile(`<div class="table-wrap">`)

// wrapTables puts each table in a scrolling wrapper, so a wide table scrolls
// on a phone without losing its table semantics. Markdown tables cannot
// nest and raw HTML never passes through, so every <table> is ours.
func wrapTables(html []byte) []byte {
	if !bytes.Contains(html, []byte("<table>")) {
		return html
	}
	// The wrapper scrolls, so it takes focus for keyboard users, with a
	// role and a numbered name so the focus stop is announced as what it is.
	html = bytes.ReplaceAll(html, []byte("<table>"), []byte(`<div class="table-wrap"><table>`))
	html = numberRegions(html, tableWrapOpen, "Table")
	return bytes.ReplaceAll(html, []byte("</table>"), []byte("</table></div>"))
}

// CountWords counts runs of non-space characters: the word count of pages
// here and of imported Substack articles, so the two agree.
func CountWords(b []byte) int {
	n, in := 0, false
	for _, r := range string(b) {
		if unicode.IsSpace(r) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Segment.Value(src))
			if c.SoftLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			// The typographer's quotes are entities ("&ldquo;").
			b.WriteString(stdhtml.UnescapeString(string(c.Value)))
		case *ast.CodeSpan:
			for x := c.FirstChild(); x != nil; x = x.NextSibling() {
				if t, ok := x.(*ast.Text); ok {
					b.Write(t.Segment.Value(src))
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}

// nodeOffset finds a byte offset inside n: inline nodes carry no position,
// so take their first text segment, else the enclosing block's first line.
func nodeOffset(n ast.Node) int {
	for c := n.FirstChild(); c != nil; c = c.FirstChild() {
		if t, ok := c.(*ast.Text); ok {
			return t.Segment.Start
		}
	}
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Type() == ast.TypeBlock && p.Lines().Len() > 0 {
			return p.Lines().At(0).Start
		}
	}
	return 0
}

// safeLinks empties link and image destinations whose scheme could run
// code. goldmark already blocks javascript: and friends, but browsers strip
// tabs and newlines inside a scheme ("java\tscript:"), which its prefix
// check does not, so we allow-list schemes after the browser's own cleanup.
type safeLinks struct{}

func (safeLinks) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	src := reader.Source()
	var unsafeAuto []*ast.AutoLink
	var unsafeLinks []*ast.Link
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			if !SafeURL(string(n.Destination)) {
				unsafeLinks = append(unsafeLinks, n)
			}
		case *ast.Image:
			if !SafeURL(string(n.Destination)) {
				n.Destination = nil
			}
		case *ast.AutoLink:
			if !SafeURL(string(n.URL(src))) {
				unsafeAuto = append(unsafeAuto, n)
			}
		}
		return ast.WalkContinue, nil
	})
	// Replaced after the walk, which would lose its place otherwise. An
	// autolink's text is its URL, so plain text keeps the words.
	for _, n := range unsafeAuto {
		p := n.Parent()
		p.ReplaceChild(p, n, ast.NewString(n.Label(src)))
	}
	// A link whose destination was refused keeps its words as plain text:
	// an <a href=""> would be a link to the page itself, which misleads
	// readers and assistive technology alike.
	for _, n := range unsafeLinks {
		p := n.Parent()
		for c := n.FirstChild(); c != nil; {
			next := c.NextSibling()
			p.InsertBefore(p, n, c)
			c = next
		}
		p.RemoveChild(p, n)
	}
}

// SafeURL reports whether a destination is relative or uses a scheme that
// cannot execute: http, https, mailto, tel.
func SafeURL(dest string) bool {
	// Destinations reach the AST with entities undecoded ("&#9;").
	cleaned := strings.Map(func(r rune) rune {
		if r <= 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, stdhtml.UnescapeString(dest))
	colon := strings.IndexByte(cleaned, ':')
	if colon < 0 {
		return true
	}
	// A colon after a path, query or fragment delimiter is not a scheme.
	if i := strings.IndexAny(cleaned, "/?#"); i >= 0 && i < colon {
		return true
	}
	switch strings.ToLower(cleaned[:colon]) {
	case "http", "https", "mailto", "tel":
		return true
	}
	return false
}

// headingRenderer adds a self-link to each heading so readers can share a
// section; the link is hidden from screen readers, which announce the
// heading itself.
type headingRenderer struct{}

func (headingRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHeading, func(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
		n := node.(*ast.Heading)
		level := "0123456"[n.Level]
		if entering {
			_, _ = w.WriteString("<h")
			_ = w.WriteByte(level)
			if n.Attributes() != nil {
				html.RenderAttributes(w, n, html.HeadingAttributeFilter)
			}
			_ = w.WriteByte('>')
			return ast.WalkContinue, nil
		}
		if id, ok := n.AttributeString("id"); ok {
			if b, ok := id.([]byte); ok && n.Level > 1 {
				_, _ = w.WriteString(`<a class="anchor" href="#`)
				_, _ = w.Write(util.EscapeHTML(b))
				_, _ = w.WriteString(`" aria-hidden="true" tabindex="-1">#</a>`)
			}
		}
		_, _ = w.WriteString("</h")
		_ = w.WriteByte(level)
		_, _ = w.WriteString(">\n")
		return ast.WalkContinue, nil
	})
}
