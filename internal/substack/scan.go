package substack

import (
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
)

// run is a stretch of prose in the Markdown source: consecutive text of
// one block with nothing but whitespace between its pieces, so a
// multi-word name split over a line break still matches.
type run struct {
	start, end int
	// linkable runs are plain prose: not a heading, not already a link,
	// not an image's alt text.
	linkable bool
}

// block is one top-level piece of the article, in order.
type block struct {
	kind    blockKind
	level   int    // headings
	text    string // plain text (headings, prose)
	info    string // code: the fence's info string
	code    string // code: its content
	defItem bool   // prose: a "Term: explanation" list item or paragraph
}

type blockKind int

const (
	blockProse blockKind = iota
	blockHeading
	blockCode
	blockRule
)

// scanned is a Markdown body parsed once for analysis and linking.
type scanned struct {
	src    []byte
	runs   []run
	blocks []block
}

var scanner = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Footnote))

func scan(body string) *scanned {
	src := []byte(body)
	doc := scanner.Parser().Parse(text.NewReader(src))
	s := &scanned{src: src}
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		s.addBlock(n)
	}
	s.collectRuns(doc)
	return s
}

func (s *scanned) addBlock(n ast.Node) {
	switch n := n.(type) {
	case *ast.Heading:
		s.blocks = append(s.blocks, block{kind: blockHeading, level: n.Level, text: s.plain(n)})
	case *ast.ThematicBreak:
		s.blocks = append(s.blocks, block{kind: blockRule})
	case *ast.FencedCodeBlock:
		info := ""
		if n.Info != nil {
			info = string(n.Info.Segment.Value(s.src))
		}
		s.blocks = append(s.blocks, block{kind: blockCode, info: info, code: s.lines(n)})
	case *ast.CodeBlock:
		s.blocks = append(s.blocks, block{kind: blockCode, code: s.lines(n)})
	case *ast.HTMLBlock:
		// Raw HTML is never rendered; it says nothing about structure.
	case *ast.List:
		for item := n.FirstChild(); item != nil; item = item.NextSibling() {
			t := s.plain(item)
			s.blocks = append(s.blocks, block{kind: blockProse, text: t, defItem: s.isDefinition(item, t)})
		}
	case *extast.FootnoteList:
	default:
		t := s.plain(n)
		if strings.TrimSpace(t) != "" {
			s.blocks = append(s.blocks, block{kind: blockProse, text: t, defItem: s.isDefinition(n, t)})
		}
	}
}

// isDefinition is a paragraph or item that opens with "Term:" in bold or
// plain text: the way articles list an architecture's parts.
func (s *scanned) isDefinition(n ast.Node, t string) bool {
	if definitionLine.MatchString(t) {
		return true
	}
	first := n
	for first.FirstChild() != nil && first.Type() == ast.TypeBlock {
		first = first.FirstChild()
	}
	if e, ok := first.(*ast.Emphasis); ok && e.Level == 2 {
		return strings.HasSuffix(strings.TrimSpace(plainOf(e, s.src)), ":")
	}
	return false
}

func (s *scanned) lines(n ast.Node) string {
	var b strings.Builder
	segs := n.Lines()
	for i := 0; i < segs.Len(); i++ {
		seg := segs.At(i)
		b.Write(seg.Value(s.src))
	}
	return b.String()
}

func (s *scanned) plain(n ast.Node) string { return plainOf(n, s.src) }

// plainOf is the visible text of n, code spans included, code blocks and
// images not.
func plainOf(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.FencedCodeBlock, *ast.CodeBlock, *ast.Image, *ast.HTMLBlock, *ast.RawHTML, *extast.FootnoteLink:
			return ast.WalkSkipChildren, nil
		case *ast.Text:
			if src != nil {
				b.Write(c.Segment.Value(src))
			}
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.Paragraph, *ast.TextBlock:
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}

// collectRuns finds the prose of the body: text outside code, images and
// raw HTML, grouped into runs.
func (s *scanned) collectRuns(doc ast.Node) {
	type piece struct {
		start, end int
		parent     ast.Node
		linkable   bool
	}
	var pieces []piece
	var walk func(n ast.Node, linkable bool)
	walk = func(n ast.Node, linkable bool) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.FencedCodeBlock, *ast.CodeBlock, *ast.CodeSpan, *ast.Image, *ast.HTMLBlock,
				*ast.RawHTML, *ast.AutoLink, *extast.FootnoteLink, *extast.FootnoteBacklink:
				continue
			case *ast.Heading, *ast.Link:
				walk(c, false)
			case *ast.Text:
				pieces = append(pieces, piece{start: c.Segment.Start, end: c.Segment.Stop, parent: c.Parent(), linkable: linkable})
			default:
				walk(c, linkable)
			}
		}
	}
	walk(doc, true)
	for i := 0; i < len(pieces); {
		r := run{start: pieces[i].start, end: pieces[i].end, linkable: pieces[i].linkable}
		j := i + 1
		for j < len(pieces) && pieces[j].parent == pieces[i].parent && pieces[j].linkable == r.linkable &&
			pieces[j].start >= r.end && strings.TrimSpace(string(s.src[r.end:pieces[j].start])) == "" {
			r.end = pieces[j].end
			j++
		}
		s.runs = append(s.runs, r)
		i = j
	}
}

// found is a mention in the body with whether it may become a link.
type found struct {
	mention
	linkable bool
}

// mentions are every anchor mention in the body's prose.
func (s *scanned) mentions(ix *Index) []found {
	var out []found
	for _, r := range s.runs {
		for _, m := range ix.find(string(s.src[r.start:r.end])) {
			m.start += r.start
			m.end += r.start
			out = append(out, found{m, r.linkable})
		}
	}
	return out
}
