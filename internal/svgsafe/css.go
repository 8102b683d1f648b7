package svgsafe

import (
	"fmt"
	"strings"
)

// CSS is checked, not parsed: a browser's CSS parser is forgiving, so the
// check refuses every character and construct that could make it see
// something other than what the check saw (escapes, '<', at-rules) and
// every function that could reach outside the document.

// stripCSSComments removes /* … */ comments. A comment ends a token in
// CSS, so it is replaced by a space: "ur/**/l(" stays two tokens. An
// unterminated comment is an error, as a browser would swallow the rest.
func stripCSSComments(s string) (string, error) {
	if !strings.Contains(s, "/*") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "/*")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		end := strings.Index(s[i+2:], "*/")
		if end < 0 {
			return "", fmt.Errorf("unterminated CSS comment")
		}
		b.WriteByte(' ')
		s = s[i+2+end+2:]
	}
}

func isCSSIdent(c byte) bool {
	return c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// checkCSS refuses CSS (a declaration value or a whole style sheet) that
// could load another document or hide what it does. block says whether
// '{' and '}' may appear (a <style> sheet) or not (a value).
func checkCSS(s string, block bool) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			return fmt.Errorf("CSS escapes (\\) are not allowed")
		case c == '<':
			return fmt.Errorf("'<' is not allowed in CSS")
		case c == '@':
			return fmt.Errorf("CSS at-rules (@import, @font-face, …) are not allowed")
		case !block && (c == '{' || c == '}'):
			return fmt.Errorf("'%c' is not allowed in a CSS value", c)
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f:
			return fmt.Errorf("control character %#x is not allowed in CSS", c)
		case c == '(':
			j := i
			for j > 0 && isCSSIdent(s[j-1]) {
				j--
			}
			name := strings.ToLower(s[j:i])
			if name == "" {
				continue // a bracket, as in calc((1 + 2) * 3)
			}
			if name == "url" {
				n, err := checkCSSURL(s[i+1:])
				if err != nil {
					return err
				}
				i += n
				continue
			}
			if !cssFunctions[name] {
				return fmt.Errorf("CSS function %s() is not allowed", name)
			}
		}
	}
	return nil
}

// checkCSSURL checks the argument of url( — s starts just after the
// bracket — and returns how many bytes it spans up to the ')'. Only a
// reference into the same document, url(#id) or url("#id"), passes.
func checkCSSURL(s string) (int, error) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	var quote byte
	if i < len(s) && (s[i] == '"' || s[i] == '\'') {
		quote = s[i]
		i++
	}
	start := i
	for i < len(s) && s[i] != ')' && s[i] != quote && !isSpace(s[i]) {
		i++
	}
	ref := s[start:i]
	if quote != 0 {
		if i >= len(s) || s[i] != quote {
			return 0, fmt.Errorf("url(%s) is not allowed: only url(#id) references inside the SVG", clip(s[start:i]))
		}
		i++
	}
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i >= len(s) || s[i] != ')' || !isFragment(ref) {
		return 0, fmt.Errorf("url(%s) is not allowed: only url(#id) references inside the SVG", clip(ref))
	}
	return i + 1, nil
}

// isFragment says whether ref is "#" and an id: a reference that cannot
// leave the document.
func isFragment(ref string) bool {
	if len(ref) < 2 || ref[0] != '#' {
		return false
	}
	for i := 1; i < len(ref); i++ {
		c := ref[i]
		if c <= ' ' || c == 0x7f || c == '(' || c == ')' || c == '"' || c == '\'' || c == '\\' || c == '<' || c == '>' {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// editorCSSPrefix marks Inkscape's own properties (font names, shape
// data), which browsers ignore.
const editorCSSPrefix = "-inkscape-"

// cleanStyleAttr checks a style="" attribute and writes it back as
// name:value pairs joined by ';', so the output is deterministic. dropped
// says an editor's property was left out.
func cleanStyleAttr(v string) (clean string, dropped bool, err error) {
	v, err = stripCSSComments(v)
	if err != nil {
		return "", false, err
	}
	if err := checkCSS(v, false); err != nil {
		return "", false, err
	}
	var out []string
	for _, decl := range strings.Split(v, ";") {
		decl = strings.TrimSpace(decl)
		if decl == "" {
			continue
		}
		name, value, ok := strings.Cut(decl, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" || !isCSSName(name) {
			return "", false, fmt.Errorf("%q is not a CSS declaration (name:value)", clip(decl))
		}
		if strings.HasPrefix(strings.ToLower(name), editorCSSPrefix) {
			dropped = true
			continue
		}
		out = append(out, name+":"+value)
	}
	return strings.Join(out, ";"), dropped, nil
}

func isCSSName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isCSSIdent(s[i]) {
			return false
		}
	}
	return true
}

// cleanStyleSheet checks the text of a <style> element and returns it
// without comments, trimmed.
func cleanStyleSheet(v string) (string, error) {
	v, err := stripCSSComments(v)
	if err != nil {
		return "", err
	}
	if err := checkCSS(v, true); err != nil {
		return "", err
	}
	return strings.TrimSpace(v), nil
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	const max = 60
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}
