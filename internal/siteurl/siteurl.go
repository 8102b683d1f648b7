// Package siteurl checks the URLs an operator writes into site.yaml and
// front matter (base_url, nav, aliases, substack, canonical) before they
// reach every page, the feeds and the line-based files Cloudflare Pages
// reads (_redirects, _headers, robots.txt).
//
// A URL passes only if it has no character that could end or split a line
// or hide what it says (control, format, bidi, separator, any space), uses
// a scheme that cannot run code (the Markdown renderer's allow-list,
// markdown.SafeURL), and has the shape its field needs: a site path, an
// absolute http(s) URL, or either.
package siteurl

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labfront/labfront/internal/markdown"
)

// Kind is the shape a field's URL must have.
type Kind int

const (
	// Path is a path on this site: "/about/". Protocol-relative
	// "//host/…" is not a path (browsers go to another host), and neither
	// is a backslash anywhere (browsers read "/\host" as "//host").
	Path Kind = iota
	// Absolute is an http(s) URL with a host and no user name or
	// password (https://good.example@evil.example goes to evil.example).
	Absolute
	// Target is where a redirect goes: a Path or an Absolute URL.
	Target
	// Link is a navigation link: a Path, an Absolute URL, or mailto:/tel:.
	Link
)

func (k Kind) want() string {
	switch k {
	case Path:
		return "a path on this site starting with / (e.g. /about/)"
	case Absolute:
		return "an absolute http(s) URL"
	case Target:
		return "a path starting with / or an absolute http(s) URL"
	default:
		return "a path starting with /, an absolute http(s) URL, or a mailto:/tel: link"
	}
}

// Check reports why raw is not a safe URL of kind k, or nil. The message
// quotes raw with Go escapes, so a hidden line break shows as \n.
func Check(raw string, k Kind) error {
	if raw == "" {
		return errors.New("empty")
	}
	if err := Visible(raw); err != nil {
		return fmt.Errorf("%w, found %q", err, raw)
	}
	// Visible already refused what browsers strip before they read a
	// scheme; the scheme allow-list is the Markdown renderer's, so a link
	// is judged the same in a post and in site.yaml.
	if !markdown.SafeURL(raw) {
		scheme, _, _ := strings.Cut(raw, ":")
		return fmt.Errorf("the scheme %s: can run code or load another document; use %s, found %q", strings.ToLower(scheme), k.want(), raw)
	}
	if strings.HasPrefix(raw, "//") {
		return fmt.Errorf("protocol-relative URL: write https:%s for another site, or %s, found %q", raw, k.want(), raw)
	}
	if strings.Contains(raw, `\`) {
		return fmt.Errorf(`must not contain a backslash (browsers read it as /, and /\host as another site), found %q`, raw)
	}
	if strings.HasPrefix(raw, "/") {
		if k == Absolute {
			return fmt.Errorf("must be %s, found %q", k.want(), raw)
		}
		if _, err := url.Parse(raw); err != nil {
			return fmt.Errorf("not a valid path: %v", err)
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return fmt.Errorf("must be %s, found %q", k.want(), raw)
	}
	switch scheme := strings.ToLower(u.Scheme); {
	case scheme == "http" || scheme == "https":
		if k == Path {
			return fmt.Errorf("must be %s, found %q", k.want(), raw)
		}
		if u.Host == "" || u.Opaque != "" {
			return fmt.Errorf("must be %s with a host, found %q", k.want(), raw)
		}
		if u.User != nil {
			return fmt.Errorf("must not carry a user name or password (browsers go to the host after @), found %q", raw)
		}
	case k == Link && (scheme == "mailto" || scheme == "tel"):
	default:
		return fmt.Errorf("must be %s, found %q", k.want(), raw)
	}
	return nil
}

// Visible reports the first character of s that is invalid UTF-8 or
// Invisible, naming it, or nil.
func Visible(s string) error {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return fmt.Errorf("invalid UTF-8 at byte %d", i)
			}
		}
		if Invisible(r) {
			return fmt.Errorf("contains %s", Describe(r))
		}
	}
	return nil
}

// Invisible reports whether r must never appear in a URL or in one field
// of a line-based file: C0 and C1 controls and DEL (line breaks, tabs),
// format characters (bidi overrides and isolates, zero-width characters,
// the byte order mark), line and paragraph separators, and every space.
// Browsers strip some of these before reading a scheme, line-based
// formats split on others, and the rest make a URL read differently from
// what it does.
func Invisible(r rune) bool {
	return unicode.IsControl(r) || unicode.IsSpace(r) ||
		unicode.In(r, unicode.Cf, unicode.Zs, unicode.Zl, unicode.Zp)
}

// Describe names r for a message: "a line break (U+000A)".
func Describe(r rune) string {
	name := "an invisible character"
	switch {
	case r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029' || r == '\v' || r == '\f':
		name = "a line break"
	case r == '\t':
		name = "a tab"
	case unicode.Is(unicode.Bidi_Control, r):
		name = "a bidirectional control"
	case unicode.IsSpace(r) || unicode.Is(unicode.Zs, r):
		name = "a space"
	case unicode.IsControl(r):
		name = "a control character"
	}
	return fmt.Sprintf("%s (U+%04X)", name, r)
}
