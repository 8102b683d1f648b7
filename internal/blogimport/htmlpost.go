package blogimport

import (
	"fmt"
	stdhtml "html"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/strikethrough"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/table"
	"golang.org/x/net/html"
)

// A Jekyll post written in HTML (_posts/x.html) becomes Markdown, since
// labfront renders no raw HTML. Liquid goes first, as in Jekyll, but
// the HTML converter would escape what Liquid becomes, so each tag is
// replaced by a placeholder of letters and digits (safe in text and in
// attributes alike) and its Markdown is put back afterwards. Line
// markers of the same kind, put before the first text of each source
// line, let the report name source lines for the Markdown.
const (
	liquidMark = "zqlq%dlqqz"
	lineMark   = "zqln%dlnqz"
)

var (
	liquidMarkRe = regexp.MustCompile(`zqlq(\d+)lqqz`)
	lineMarkRe   = regexp.MustCompile(`zqln(\d+)lnqz`)
	liquidStart  = regexp.MustCompile(`\{\{|\{%`)
)

// dropsHTML are the elements the converter removes with their content;
// the import says so at their line rather than lose them quietly.
var dropsHTML = map[string]bool{
	"script": true, "style": true, "noscript": true, "iframe": true, "object": true, "embed": true,
	"form": true, "input": true, "textarea": true, "video": true, "audio": true, "canvas": true, "svg": true,
}

// convertHTML is convert for an HTML post.
func (j *jekyll) convertHTML(p *post, r *resolver) string {
	s := j.s
	marked, repl := j.liquidInHTML(p, r)
	marked = j.markLines(p, marked)
	conv := converter.NewConverter(converter.WithPlugins(
		base.NewBasePlugin(),
		commonmark.NewCommonmarkPlugin(),
		table.NewTablePlugin(),
		strikethrough.NewStrikethroughPlugin(),
	))
	md, err := conv.ConvertString(marked)
	if err != nil {
		s.rep.look(s.display(p.src), p.bodyLine, "the HTML could not be converted (%v): kept as it was, and labfront shows none of it", err)
		return p.body
	}
	s.rep.converted("HTML post")
	md = liquidMarkRe.ReplaceAllStringFunc(md, func(m string) string {
		n, _ := strconv.Atoi(liquidMarkRe.FindStringSubmatch(m)[1])
		if n < len(repl) {
			return repl[n]
		}
		return m
	})
	lines := strings.Split(md, "\n")
	p.lines = make([]int, len(lines))
	at := p.bodyLine
	for i, l := range lines {
		if m := lineMarkRe.FindStringSubmatch(l); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil {
				at = n
			}
			lines[i] = lineMarkRe.ReplaceAllString(l, "")
			if strings.TrimSpace(lines[i]) == "" {
				lines[i] = ""
			}
		}
		p.lines[i] = at
	}
	return strings.Join(lines, "\n")
}

// liquidInHTML does the Liquid of an HTML body: raw and comment blocks,
// highlight blocks (made <pre><code> so their code keeps its lines), and
// every other tag or output through the same conversion as Markdown
// posts, behind a placeholder. It returns the HTML and the placeholders'
// texts.
func (j *jekyll) liquidInHTML(p *post, r *resolver) (string, []string) {
	s := j.s
	body := p.body
	var b strings.Builder
	var repl []string
	hold := func(text string) {
		fmt.Fprintf(&b, liquidMark, len(repl))
		repl = append(repl, text)
	}
	lineAt := func(off int) int { return p.bodyLine + strings.Count(body[:off], "\n") }
	for pos := 0; pos < len(body); {
		loc := liquidStart.FindStringIndex(body[pos:])
		if loc == nil {
			b.WriteString(body[pos:])
			break
		}
		start := pos + loc[0]
		b.WriteString(body[pos:start])
		at := lineAt(start)
		if body[start+1] == '{' {
			end := strings.Index(body[start:], "}}")
			if end < 0 {
				b.WriteString(body[start:])
				break
			}
			expr := body[start : start+end+2]
			hold(j.liquidOutput(p, at, expr))
			pos = start + end + 2
			continue
		}
		end := strings.Index(body[start:], "%}")
		if end < 0 {
			b.WriteString(body[start:])
			break
		}
		tag := body[start : start+end+2]
		pos = start + end + 2
		m := liquidTag.FindStringSubmatch(tag)
		if m == nil {
			b.WriteString(tag)
			continue
		}
		name, args := m[1], m[2]
		block := func(endRe *regexp.Regexp) (string, bool) {
			e := endRe.FindStringIndex(body[pos:])
			if e == nil {
				s.rep.look(s.display(p.src), at, "{%% %s %%} is never closed: the rest of the post is inside it", name)
				inner := body[pos:]
				pos = len(body)
				return inner, false
			}
			inner := body[pos : pos+e[0]]
			pos += e[1]
			return inner, true
		}
		switch name {
		case "raw":
			// Literal text, Liquid included: nothing after this reads
			// Liquid again, so it goes in as it is.
			inner, _ := block(endRaw)
			b.WriteString(inner)
			s.rep.converted("raw")
		case "comment":
			inner, _ := block(endComment)
			// Its lines stay, empty, so later lines keep their numbers.
			b.WriteString(strings.Repeat("\n", strings.Count(inner, "\n")))
			s.rep.converted("comment")
		case "highlight":
			inner, _ := block(endHighlight)
			lang := ""
			if f := strings.Fields(args); len(f) > 0 {
				lang = f[0]
			}
			class := ""
			if lang != "" {
				class = ` class="language-` + stdhtml.EscapeString(lang) + `"`
			}
			code := strings.TrimLeft(inner, "\n")
			b.WriteString(inner[:len(inner)-len(code)])
			trimmed := strings.TrimRight(code, "\n")
			fmt.Fprintf(&b, "<pre><code%s>%s</code></pre>%s", class, stdhtml.EscapeString(trimmed), code[len(trimmed):])
			s.rep.converted("highlight")
		default:
			hold(j.liquidTag(p, r, at, tag, name, args))
		}
	}
	return b.String(), repl
}

// markLines puts a line marker before the first text, image or link of
// each source line, outside preformatted text, and reports the elements
// the conversion drops; an iframe with an address becomes a link to it.
func (j *jekyll) markLines(p *post, src string) string {
	s := j.s
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	line := p.bodyLine
	marked := map[int]bool{}
	pre := 0
	mark := func() {
		if !marked[line] && pre == 0 {
			marked[line] = true
			fmt.Fprintf(&b, lineMark, line)
		}
	}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				s.rep.look(s.display(p.src), line, "HTML: %v", z.Err())
			}
			break
		}
		raw := string(z.Raw())
		tok := z.Token()
		switch tt {
		case html.TextToken:
			if trimmed := strings.TrimLeft(raw, " \t\n"); trimmed != "" {
				lead := raw[:len(raw)-len(trimmed)]
				b.WriteString(lead)
				line += strings.Count(lead, "\n")
				mark()
				b.WriteString(trimmed)
				line += strings.Count(trimmed, "\n")
				continue
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			switch tok.Data {
			case "pre", "code", "script", "style", "textarea":
				if tt == html.StartTagToken {
					if tok.Data == "pre" || tok.Data == "code" {
						mark()
					}
					pre++
				}
			case "img", "a":
				mark()
			}
			if dropsHTML[tok.Data] {
				if src := attrOf(tok, "src"); tok.Data == "iframe" && (strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://")) {
					s.rep.look(s.display(p.src), line, "an <iframe> (an embed) is not shown by labfront: it is a link to %s now", src)
					mark()
					fmt.Fprintf(&b, `<p><a href="%s">%s</a></p>`, stdhtml.EscapeString(src), stdhtml.EscapeString(src))
				} else {
					s.rep.look(s.display(p.src), line, "<%s> is not shown by labfront: left out of the post (the source still has it)", tok.Data)
				}
			}
		case html.EndTagToken:
			switch tok.Data {
			case "pre", "code", "script", "style", "textarea":
				if pre > 0 {
					pre--
				}
			}
		}
		b.WriteString(raw)
		line += strings.Count(raw, "\n")
	}
	return b.String()
}

func attrOf(t html.Token, key string) string {
	for _, a := range t.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
