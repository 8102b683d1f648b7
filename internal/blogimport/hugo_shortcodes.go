package blogimport

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
)

// shortcode is one {{< name args >}} or {{% name args %}} tag of a body.
type shortcode struct {
	start, end int // byte offsets of the whole tag in the body
	name       string
	closing    bool // {{< /name >}}
	selfClosed bool // {{< name />}}
	pos        []string
	named      map[string]string
	raw        string
	lit        string // a commented shortcode as Hugo shows it
	line       int
}

var shortcodeTag = regexp.MustCompile(`\{\{([<%])\s*(/\*)?([\s\S]*?)(\*/)?\s*([>%])\}\}`)

// parseShortcodes finds every shortcode tag of body; comments
// ({{</* x */>}}, Hugo's way to show a shortcode literally) are marked by
// an empty name and kept as the literal tag.
func parseShortcodes(body string, firstLine int) []shortcode {
	var out []shortcode
	for _, m := range shortcodeTag.FindAllStringSubmatchIndex(body, -1) {
		sc := shortcode{start: m[0], end: m[1], raw: body[m[0]:m[1]], line: firstLine + strings.Count(body[:m[0]], "\n")}
		if m[4] >= 0 {
			// A commented shortcode: shown literally.
			sc.lit = "{{" + body[m[2]:m[3]] + " " + strings.TrimSpace(body[m[6]:m[7]]) + " " + body[m[10]:m[11]] + "}}"
			out = append(out, sc)
			continue
		}
		inner := strings.TrimSpace(body[m[6]:m[7]])
		if strings.HasSuffix(inner, "/") {
			sc.selfClosed = true
			inner = strings.TrimSpace(strings.TrimSuffix(inner, "/"))
		}
		if strings.HasPrefix(inner, "/") {
			sc.closing = true
			inner = strings.TrimSpace(inner[1:])
		}
		words := splitArgs(inner)
		if len(words) == 0 {
			continue
		}
		sc.name = words[0]
		sc.named = map[string]string{}
		for _, w := range words[1:] {
			if k, v, ok := strings.Cut(w, "="); ok && isIdent(k) {
				sc.named[k] = unquote(v)
			} else {
				sc.pos = append(sc.pos, unquote(w))
			}
		}
		out = append(out, sc)
	}
	return out
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// splitArgs splits on spaces outside quotes ("…", `…`).
func splitArgs(s string) []string {
	var out []string
	var b strings.Builder
	quote := rune(0)
	for _, r := range s {
		switch {
		case quote != 0:
			b.WriteRune(r)
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '`':
			quote = r
			b.WriteRune(r)
		case r == ' ' || r == '\t' || r == '\n':
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteRune(r)
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '`' && s[len(s)-1] == '`') {
		return strings.ReplaceAll(s[1:len(s)-1], `\"`, `"`)
	}
	return s
}

func (sc shortcode) arg(name string, i int) string {
	if v, ok := sc.named[name]; ok {
		return v
	}
	if i >= 0 && i < len(sc.pos) {
		return sc.pos[i]
	}
	return ""
}

// paired shortcodes take the text up to {{< /name >}}.
var pairedShortcodes = map[string]bool{"highlight": true, "details": true}

// convert turns Hugo's shortcodes in p's body into Markdown.
func (h *hugo) convert(p *post, r *resolver) string {
	body := p.body
	tags := parseShortcodes(body, p.bodyLine)
	var b strings.Builder
	last := 0
	for i := 0; i < len(tags); i++ {
		sc := tags[i]
		b.WriteString(body[last:sc.start])
		last = sc.end
		if sc.name == "" {
			// {{</* figure */>}} shows {{< figure >}}.
			b.WriteString(sc.lit)
			continue
		}
		if sc.closing {
			// The end of a shortcode left as text (reported at its start).
			b.WriteString(code(sc.raw))
			continue
		}
		// The inner text of a paired shortcode, if its closing tag follows.
		inner, closeAt := "", -1
		if !sc.selfClosed {
			depth := 0
			for j := i + 1; j < len(tags); j++ {
				if tags[j].name != sc.name {
					continue
				}
				if !tags[j].closing {
					depth++
					continue
				}
				if depth == 0 {
					closeAt = j
					break
				}
				depth--
			}
		}
		if closeAt >= 0 {
			inner = body[sc.end:tags[closeAt].start]
		}
		out, ok := h.shortcode(p, r, sc, inner, closeAt >= 0)
		if !ok {
			h.unknown(p, sc)
			// A paired one's inner text stays, converted like the rest, and
			// its closing tag is visible too.
			b.WriteString(code(sc.raw))
			continue
		}
		h.s.rep.converted(sc.name)
		b.WriteString(out)
		if closeAt >= 0 {
			last = tags[closeAt].end
			i = closeAt
		}
	}
	b.WriteString(body[last:])
	return b.String()
}

func (h *hugo) unknown(p *post, sc shortcode) {
	h.s.rep.look(h.s.display(p.src), sc.line, "shortcode %q is not known to the import: left as text, %s", sc.name, sc.raw)
}

// shortcode converts one built-in shortcode; ok is false for one the
// import does not know, which then stays visible.
func (h *hugo) shortcode(p *post, r *resolver, sc shortcode, inner string, paired bool) (string, bool) {
	switch sc.name {
	case "ref", "relref":
		target := sc.arg("path", 0)
		q, frag := h.ref(p, r, target)
		if q == nil {
			h.s.rep.look(h.s.display(p.src), sc.line, "%s %q names no imported page: left as text", sc.name, target)
			return sc.raw, true
		}
		return r.linkTo(p, q, frag, sc.line), true
	case "figure":
		src := sc.arg("src", -1)
		if src == "" {
			return "", false
		}
		alt := firstNonEmpty(sc.arg("alt", -1), sc.arg("title", -1), stripMarkdown(sc.arg("caption", -1)))
		title := ""
		if t := sc.arg("title", -1); t != "" {
			title = fmt.Sprintf(" %q", t)
		}
		img := fmt.Sprintf("![%s](%s%s)", mdText(alt), src, title)
		if link := sc.arg("link", -1); link != "" {
			img = fmt.Sprintf("[%s](%s)", img, link)
		}
		if c := firstNonEmpty(sc.arg("caption", -1), sc.arg("attr", -1)); c != "" {
			c = strings.TrimSpace(c)
			if !strings.ContainsAny(c, "*_") {
				c = "*" + c + "*"
			}
			// On the same line, so that the lines of the report still match
			// the source's.
			img += " " + c
		}
		return img, true
	case "youtube":
		id := sc.arg("id", 0)
		if id == "" {
			return "", false
		}
		return fmt.Sprintf("[%s](https://www.youtube.com/watch?v=%s)", mdText(firstNonEmpty(sc.arg("title", -1), "Video on YouTube")), url.QueryEscape(id)), true
	case "vimeo":
		id := sc.arg("id", 0)
		if id == "" {
			return "", false
		}
		return fmt.Sprintf("[%s](https://vimeo.com/%s)", mdText(firstNonEmpty(sc.arg("title", -1), "Video on Vimeo")), url.PathEscape(id)), true
	case "gist":
		user, id := sc.arg("user", 0), sc.arg("id", 1)
		if user == "" || id == "" {
			return "", false
		}
		u := fmt.Sprintf("https://gist.github.com/%s/%s", url.PathEscape(user), url.PathEscape(id))
		label := "Gist " + user + "/" + id
		if f := sc.arg("file", 2); f != "" {
			u += "#file-" + strings.ReplaceAll(strings.ToLower(f), ".", "-")
			label += " (" + f + ")"
		}
		return fmt.Sprintf("[%s](%s)", mdText(label), u), true
	case "tweet", "x", "twitter":
		user, id := sc.arg("user", -1), sc.arg("id", 0)
		if id == "" {
			return "", false
		}
		u := "https://x.com/i/status/" + url.PathEscape(id)
		if user != "" {
			u = "https://x.com/" + url.PathEscape(user) + "/status/" + url.PathEscape(id)
		}
		return fmt.Sprintf("[Post on X](%s)", u), true
	case "instagram":
		id := sc.arg("id", 0)
		if id == "" {
			return "", false
		}
		return fmt.Sprintf("[Post on Instagram](https://www.instagram.com/p/%s/)", url.PathEscape(id)), true
	case "highlight":
		if !paired {
			return "", false
		}
		lang := sc.arg("lang", 0)
		fence := "```"
		for strings.Contains(inner, fence) {
			fence += "`"
		}
		// The inner text keeps its line breaks (and the report its lines).
		if !strings.HasPrefix(inner, "\n") {
			inner = "\n" + inner
		}
		if !strings.HasSuffix(inner, "\n") {
			inner += "\n"
		}
		return fence + lang + inner + fence, true
	case "details":
		if !paired {
			return "", false
		}
		// labfront renders no raw HTML, so <details> becomes a bold
		// summary line over its text, always open.
		summary := firstNonEmpty(sc.arg("summary", 0), "Details")
		return "**" + strings.TrimSpace(summary) + "**" + inner, true
	case "param":
		name := sc.arg("name", 0)
		for _, f := range p.meta.Extra {
			if f.Key == name {
				if v := scalar(f.Value); v != "" {
					return v, true
				}
			}
		}
		if v := h.cfg.str("params", strings.ToLower(name)); v != "" {
			return v, true
		}
		return "", false
	}
	return "", false
}

// ref resolves a ref/relref target: "posts/x.md", "/posts/x", "x",
// "x/index.md", relative to the page or the content root, with #anchor.
func (h *hugo) ref(p *post, r *resolver, target string) (*post, string) {
	target, frag, _ := strings.Cut(target, "#")
	if frag != "" {
		frag = "#" + frag
	}
	if target == "" {
		return nil, ""
	}
	t := strings.TrimPrefix(path.Clean(target), "/")
	for _, suffix := range []string{".md", ".markdown"} {
		t = strings.TrimSuffix(t, suffix)
	}
	t = strings.TrimSuffix(strings.TrimSuffix(t, "/index"), "/_index")
	if m := langSuffix.FindStringSubmatch(path.Base(t)); m != nil && m[1] == "index" {
		t = path.Dir(t)
	}
	cands := []string{t}
	if !strings.HasPrefix(target, "/") && len(p.refKeys) > 0 {
		rel := strings.TrimPrefix(path.Join(path.Dir(p.refKeys[0]), t), "/")
		cands = append([]string{rel}, cands...)
	}
	for _, c := range cands {
		if q := r.byRef[c]; q != nil {
			return q, frag
		}
	}
	if q := r.byRef[path.Base(t)]; q != nil {
		return q, frag
	}
	return nil, ""
}

// code shows text as inline code: visible, never taken for HTML.
func code(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + " " + s + " " + fence
}

var mdMarks = strings.NewReplacer("*", "", "_", "", "`", "")

func stripMarkdown(s string) string { return strings.TrimSpace(mdMarks.Replace(s)) }
