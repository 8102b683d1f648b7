package svgsafe

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/labfront/labfront/internal/diag"
)

// MaxSize is the largest SVG accepted, in bytes: a diagram or an icon is
// far smaller, and the limit bounds the work a hostile file can cause.
const MaxSize = 10 << 20

// MaxDepth is the deepest element nesting accepted; real drawings nest a
// few dozen groups at most.
const MaxDepth = 128

// Result is a sanitised SVG.
type Result struct {
	// SVG is the rebuilt document: UTF-8, no XML declaration, no comments,
	// attributes sorted, the same bytes for the same input.
	SVG []byte
	// Dropped names, sorted and once each, the harmless constructs left
	// out ("<metadata>", "sodipodi:docname", "comment", …), for a debug log.
	Dropped []string
}

// Sanitize checks src, the contents of the SVG file at path (used only in
// messages), and returns the safe rebuilt document. A refusal is a
// diag.Problem naming path, line and the construct.
func Sanitize(path string, src []byte) (Result, error) {
	s := &sanitizer{path: path, src: src, dropped: map[string]bool{}}
	if len(src) > MaxSize {
		return Result{}, s.problem(0, "", "the SVG is %d bytes; at most %d are accepted", len(src), MaxSize)
	}
	if err := s.run(); err != nil {
		return Result{}, err
	}
	dropped := make([]string, 0, len(s.dropped))
	for k := range s.dropped {
		dropped = append(dropped, k)
	}
	sort.Strings(dropped)
	return Result{SVG: s.out.Bytes(), Dropped: dropped}, nil
}

// frame is one open element of the output.
type frame struct {
	name    string // local name, as written to the output
	open    bool   // the start tag's '>' is not written yet (may self-close)
	text    bool   // character data inside is kept
	style   bool   // a <style>: character data is collected and checked
	css     strings.Builder
	cssLine int
}

type sanitizer struct {
	path    string
	src     []byte
	dec     *xml.Decoder
	out     bytes.Buffer
	stack   []*frame
	dropped map[string]bool
	root    bool // the root <svg> was seen
	closed  bool // the root element has ended
	tokens  int
}

func (s *sanitizer) problem(line int, field, format string, args ...any) error {
	return diag.Problem{Path: s.path, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (s *sanitizer) run() error {
	s.src = bytes.TrimPrefix(s.src, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	s.dec = xml.NewDecoder(bytes.NewReader(s.src))
	// Strict with no Entity map: only the five predefined entities and
	// character references decode; anything else is a syntax error.
	s.dec.Strict = true
	s.dec.CharsetReader = func(label string, _ io.Reader) (io.Reader, error) {
		return nil, encodingError(label)
	}
	for {
		line, _ := s.dec.InputPos()
		start := s.dec.InputOffset()
		tok, err := s.dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s.syntaxError(line, err)
		}
		s.tokens++
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target != "xml" || s.tokens != 1 {
				return s.problem(line, "", "the processing instruction <?%s?> is not allowed in an SVG (only the leading <?xml …?> declaration)", t.Target)
			}
		case xml.Directive:
			return s.problem(line, "", "<!%s> is not allowed in an SVG: a DOCTYPE or ENTITY declaration can define entities that expand without bound or read local files; delete it", firstWord(t))
		case xml.Comment:
			s.dropped["comment"] = true
		case xml.CharData:
			s.charData(t)
		case xml.StartElement:
			if err := s.start(t, line, start); err != nil {
				return err
			}
		case xml.EndElement:
			if err := s.end(); err != nil {
				return err
			}
		}
	}
	if !s.root {
		return s.problem(0, "", "no <svg> element: the file is not an SVG")
	}
	return nil
}

// syntaxError reports the decoder's complaint with the line it gives.
func (s *sanitizer) syntaxError(line int, err error) error {
	var enc encodingError
	if errors.As(err, &enc) {
		return s.problem(line, "", "the encoding %q is not supported: save the SVG as UTF-8", string(enc))
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return s.problem(se.Line, "", "not well-formed XML: %s", se.Msg)
	}
	// Other decoder failures carry no line of their own.
	return s.problem(line, "", "cannot read the SVG: %v (save it as UTF-8)", err)
}

// encodingError is what the decoder gets for an encoding other than
// UTF-8: converting legacy encodings is not worth a second decoder to
// audit, and every editor saves UTF-8.
type encodingError string

func (e encodingError) Error() string { return "unsupported encoding " + string(e) }

func firstWord(d xml.Directive) string {
	f := strings.Fields(string(d))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// displayName writes an element or attribute name as an operator would
// recognise it in the file.
func displayName(n xml.Name) string {
	switch {
	case n.Space == "" || n.Space == svgNS:
		return n.Local
	case n.Space == xlinkNS:
		return "xlink:" + n.Local
	case n.Space == xmlNS:
		return "xml:" + n.Local
	case n.Space == xhtmlNS:
		return "html:" + n.Local
	case strings.Contains(n.Space, "sodipodi"):
		return "sodipodi:" + n.Local
	case strings.Contains(n.Space, "inkscape"):
		return "inkscape:" + n.Local
	}
	return n.Space + ":" + n.Local
}

func (s *sanitizer) charData(t xml.CharData) {
	if len(s.stack) == 0 {
		return // whitespace around the root; the decoder refuses other text there
	}
	top := s.stack[len(s.stack)-1]
	if top.style {
		top.css.Write(t)
		return
	}
	if !top.text {
		if len(bytes.TrimSpace(t)) > 0 {
			s.dropped["text outside <text>"] = true
		}
		return
	}
	s.closeStartTag()
	escapeText(&s.out, string(t))
}

func (s *sanitizer) closeStartTag() {
	if n := len(s.stack); n > 0 && s.stack[n-1].open {
		s.out.WriteByte('>')
		s.stack[n-1].open = false
	}
}

func (s *sanitizer) start(t xml.StartElement, line int, offset int64) error {
	if len(s.stack) >= MaxDepth {
		return s.problem(line, "", "elements are nested more than %d deep", MaxDepth)
	}
	name := displayName(t.Name)
	if s.closed {
		return s.problem(line, "", "<%s> after the end of the root <svg>: an SVG has one root element", name)
	}
	if len(s.stack) > 0 && s.stack[len(s.stack)-1].style {
		return s.problem(line, "", "<%s> inside <style> is not allowed: a style sheet holds only CSS", name)
	}
	inSVG := t.Name.Space == svgNS || t.Name.Space == ""
	switch {
	case isEditorNS(t.Name.Space) || inSVG && droppedElements[t.Name.Local]:
		s.dropped["<"+name+">"] = true
		return s.skip(line)
	case !inSVG:
		return s.problem(line, "", "<%s> is not allowed in an SVG: only SVG elements are (namespace %q)", name, t.Name.Space)
	case t.Name.Local == "script":
		return s.problem(line, "", "<script> is not allowed in an SVG: it would run on the site's origin")
	case t.Name.Local == "foreignObject":
		return s.problem(line, "", "<foreignObject> is not allowed in an SVG: it embeds HTML (draw.io/diagrams.net: export with plain-text labels, not HTML labels)")
	case t.Name.Local == "a":
		return s.problem(line, "", "<a> is not allowed in an SVG: put the link in the Markdown around the image")
	case !allowedElements[t.Name.Local]:
		return s.problem(line, "", "<%s> is not an SVG element labfront allows", t.Name.Local)
	}
	if len(s.stack) == 0 {
		if t.Name.Local != "svg" {
			return s.problem(line, "", "the root element is <%s>, not <svg>", t.Name.Local)
		}
		s.root = true
	}
	attrs, err := s.attrs(t, line, offset)
	if err != nil {
		return err
	}
	s.closeStartTag()
	s.out.WriteByte('<')
	s.out.WriteString(t.Name.Local)
	if len(s.stack) == 0 {
		s.out.WriteString(` xmlns="` + svgNS + `"`)
	}
	for _, a := range attrs {
		s.out.WriteByte(' ')
		s.out.WriteString(a.name)
		s.out.WriteString(`="`)
		escapeAttr(&s.out, a.value)
		s.out.WriteByte('"')
	}
	f := &frame{name: t.Name.Local, open: true, style: t.Name.Local == "style", cssLine: line}
	f.text = textElements[t.Name.Local] || len(s.stack) > 0 && s.stack[len(s.stack)-1].text
	s.stack = append(s.stack, f)
	return nil
}

func (s *sanitizer) end() error {
	f := s.stack[len(s.stack)-1]
	if f.style {
		css, err := cleanStyleSheet(f.css.String())
		if err != nil {
			return s.problem(f.cssLine, "<style>", "%v", err)
		}
		if css != "" {
			s.closeStartTag()
			escapeText(&s.out, css)
		}
	}
	if f.open {
		s.out.WriteString("/>")
	} else {
		s.out.WriteString("</" + f.name + ">")
	}
	s.stack = s.stack[:len(s.stack)-1]
	if len(s.stack) == 0 {
		s.closed = true
	}
	return nil
}

// skip reads past the subtree of a dropped element, keeping the depth
// limit: a dropped element is not a way around it.
func (s *sanitizer) skip(line int) error {
	depth := 1
	for depth > 0 {
		l, _ := s.dec.InputPos()
		tok, err := s.dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return s.syntaxError(l, err)
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
			if len(s.stack)+depth > MaxDepth {
				return s.problem(l, "", "elements are nested more than %d deep", MaxDepth)
			}
		case xml.EndElement:
			depth--
		case xml.Directive:
			return s.problem(l, "", "a declaration <!…> is not allowed in an SVG")
		case xml.ProcInst:
			return s.problem(l, "", "a processing instruction is not allowed in an SVG")
		}
	}
	return nil
}

// isTextAttr says whether an attribute holds a label (id, class, ARIA),
// which no browser reads as CSS or a URL. ARIA names are limited to
// lower-case letters and '-' so an odd name cannot ride on the prefix.
func isTextAttr(name string) bool {
	if textAttrs[name] {
		return true
	}
	rest, ok := strings.CutPrefix(name, "aria-")
	if !ok || rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; c != '-' && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

type attr struct{ name, value string }

// attrs checks the attributes of an allowed element and returns those the
// output keeps, sorted by name.
func (s *sanitizer) attrs(t xml.StartElement, line int, offset int64) ([]attr, error) {
	el := t.Name.Local
	var out []attr
	var href, xlinkHref *string
	seen := map[xml.Name]bool{}
	for _, a := range t.Attr {
		an := displayName(a.Name)
		// Found only for a message: searching the tag for every
		// attribute would be quadratic in a tag's length.
		aline := func() int { return s.attrLine(line, offset, a.Name.Local) }
		field := "<" + el + "> " + an
		if seen[a.Name] {
			return nil, s.problem(aline(), field, "the attribute appears twice")
		}
		seen[a.Name] = true
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			continue // the output declares its one namespace itself
		}
		if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
			return nil, s.problem(aline(), field, "event handler attributes are not allowed in an SVG: they run script")
		}
		if !isTextAttr(a.Name.Local) && hasScriptScheme(a.Value) {
			return nil, s.problem(aline(), field, "a javascript: or vbscript: URL is not allowed in an SVG")
		}
		switch a.Name.Space {
		case "":
		case xlinkNS:
			if a.Name.Local == "href" {
				v := a.Value
				xlinkHref = &v
				continue
			}
			s.dropped[an] = true
			continue
		case xmlNS:
			if a.Name.Local == "space" || a.Name.Local == "lang" {
				out = append(out, attr{"xml:" + a.Name.Local, a.Value})
				continue
			}
			s.dropped[an] = true
			continue
		default:
			// Attributes in another namespace mean nothing to a browser.
			s.dropped[an] = true
			continue
		}
		name := a.Name.Local
		switch {
		case name == "href":
			v := a.Value
			href = &v
			continue
		case name == "style":
			v, dropped, err := cleanStyleAttr(a.Value)
			if err != nil {
				return nil, s.problem(aline(), field, "%v", err)
			}
			if dropped {
				s.dropped["style "+editorCSSPrefix+"*"] = true
			}
			if v != "" {
				out = append(out, attr{name, v})
			}
			continue
		case el == "style" && name == "type":
			if v := strings.TrimSpace(a.Value); v != "" && v != "text/css" {
				return nil, s.problem(aline(), field, "only text/css style sheets are allowed, not %q", clip(v))
			}
			continue
		case name == "attributeName" && animationElements[el]:
			if !animatableAttrs[strings.TrimSpace(a.Value)] {
				return nil, s.problem(aline(), field, "an animation may change presentation and geometry attributes only, not %q", clip(a.Value))
			}
		case isTextAttr(name):
			out = append(out, attr{name, a.Value})
			continue
		case !presentationAttrs[name] && !geometryAttrs[name] && !animationAttrs[name]:
			s.dropped[name] = true
			continue
		}
		if err := checkCSS(a.Value, false); err != nil {
			return nil, s.problem(aline(), field, "%v", err)
		}
		out = append(out, attr{name, a.Value})
	}
	// SVG 2: href wins over xlink:href; both are checked, since a browser
	// that prefers the other would follow it.
	var kept string
	for _, h := range []struct {
		field string
		v     *string
	}{{"xlink:href", xlinkHref}, {"href", href}} {
		if h.v == nil {
			continue
		}
		v, err := cleanHref(el, *h.v)
		if err != nil {
			return nil, s.problem(s.attrLine(line, offset, "href"), "<"+el+"> "+h.field, "%v", err)
		}
		kept = v
	}
	if href != nil || xlinkHref != nil {
		out = append(out, attr{"href", kept})
	}
	slices.SortFunc(out, func(a, b attr) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// hasScriptScheme finds javascript: and vbscript: however they are
// spelled: browsers drop tabs, newlines and other control characters from
// URLs and ignore case, and entities (&#x09;) arrive here decoded.
func hasScriptScheme(v string) bool {
	var b strings.Builder
	for _, r := range v {
		if r <= ' ' || r == 0x7f || r == '\u00ad' || r >= 0x200b && r <= 0x200f || r == 0xfeff {
			continue
		}
		b.WriteRune(r)
	}
	l := strings.ToLower(b.String())
	return strings.Contains(l, "javascript:") || strings.Contains(l, "vbscript:")
}

// cleanHref checks a link: a #id into the same document, or on <image> a
// base64 raster data: URL (returned with its whitespace removed, as
// editors wrap long base64 lines).
func cleanHref(el, v string) (string, error) {
	if isFragment(v) {
		return v, nil
	}
	if rasterHrefElements[el] {
		if u, ok := rasterDataURL(v); ok {
			return u, nil
		}
	}
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "data:") {
		return "", fmt.Errorf("%q is not allowed: a data: URL may only be a base64 PNG, JPEG, GIF or WebP on <image>", clip(v))
	}
	return "", fmt.Errorf("%q points outside the SVG: only #id references are allowed", clip(v))
}

func rasterDataURL(v string) (string, bool) {
	v = strings.TrimSpace(v)
	head, body, ok := strings.Cut(v, ",")
	if !ok {
		return "", false
	}
	typ, ok := strings.CutPrefix(strings.ToLower(head), "data:")
	if !ok {
		return "", false
	}
	typ, ok = strings.CutSuffix(typ, ";base64")
	if !ok || !slices.Contains(rasterTypes, typ) {
		return "", false
	}
	var b strings.Builder
	b.WriteString("data:" + typ + ";base64,")
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case isSpace(c):
		case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=':
			b.WriteByte(c)
		default:
			return "", false
		}
	}
	return b.String(), true
}

// attrLine finds the line of attribute local inside the start tag that
// began at offset, so a message points at the attribute an editor wrote
// on its own line. It falls back to the tag's line.
func (s *sanitizer) attrLine(line int, offset int64, local string) int {
	src := s.src
	if offset < 0 || offset >= int64(len(src)) {
		return line
	}
	tag := src[offset:]
	if end := bytes.IndexByte(tag, '>'); end >= 0 {
		tag = tag[:end]
	}
	for i := 0; ; {
		j := bytes.Index(tag[i:], []byte(local))
		if j < 0 {
			return line
		}
		p := i + j
		before := p == 0 || isSpace(tag[p-1]) || tag[p-1] == ':'
		rest := bytes.TrimLeft(tag[p+len(local):], " \t\r\n")
		if before && len(rest) > 0 && rest[0] == '=' {
			return line + bytes.Count(tag[:p], []byte("\n"))
		}
		i = p + len(local)
	}
}

// escapeText writes character data; '>' is escaped too so "]]>" cannot
// appear.
func escapeText(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\r':
			b.WriteString("&#13;")
		default:
			b.WriteRune(r)
		}
	}
}

// escapeAttr writes an attribute value for a double-quoted attribute.
// Tabs and newlines become character references, so the browser reads the
// same characters the check read (a literal newline would be normalised
// to a space).
func escapeAttr(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\t':
			b.WriteString("&#9;")
		case '\n':
			b.WriteString("&#10;")
		case '\r':
			b.WriteString("&#13;")
		default:
			b.WriteRune(r)
		}
	}
}
