package web

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/picture"
	"github.com/labfront/labfront/internal/siteurl"
)

// The security policy of every page. Pages carry no inline script or style,
// so the policy can forbid both; 'self' covers the fingerprinted assets.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; upgrade-insecure-requests"

// xmlPolicy is the policy of the feed and the sitemap.
const xmlPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'"

// headerRule is one block of _headers: a path pattern, the headers it
// detaches from earlier rules ("! Name") and the headers it sets.
type headerRule struct {
	path   string
	detach []string
	set    [][2]string
}

// immutable is the caching of a file whose name holds a hash of its bytes:
// a new version is a new URL, so a browser never needs to ask again.
const immutable = "public, max-age=31536000, immutable"

// Cloudflare Pages' limits on _headers: rules (path blocks) per project
// and characters per line. Pages drops what is beyond them without
// failing the deploy, so headersFile refuses to write such a file.
const (
	maxHeaderRules = 100
	maxHeaderLine  = 2000
)

// immutablePrefixes are the rule paths of the content-hashed files:
// /assets/ (static files and islands), /cards/ (social cards), and the
// picture variants. Variants live next to where their originals would be,
// /blog/<slug>/img/rack.480.<hash>.jpg, among the bundle's other files
// (SVGs, PDFs, config snippets) that keep their own names and so must
// keep the short caching. Pages allows one splat per rule and no regular
// expressions, but no raster file under a page or /media/ is ever
// published as itself (see pictures.go: every .png, .jpg, .gif or .webp
// there is a variant named by its hash), so a rule per section and
// variant extension, e.g. /blog/*.jpg, matches exactly the variants:
// 3 × 4 = 12 rules for any number of posts, where a rule per post would
// pass Pages' 100 after a few dozen.
func immutablePrefixes() []string {
	rules := []string{"/assets/*", "/cards/*"}
	for _, section := range []string{content.Post.Section(), content.Note.Section(), "media"} {
		for _, f := range []picture.Format{picture.JPEG, picture.PNG, picture.GIF, picture.WebP} {
			rules = append(rules, "/"+section+"/*."+f.Ext())
		}
	}
	return rules
}

// headerRules are Cloudflare Pages' _headers. Rules that match the same
// path are merged with their values joined, so the asset rule first
// detaches ("! Cache-Control") the short HTML caching of the catch-all rule.
func headerRules() []headerRule {
	rules := []headerRule{
		{path: "/*", set: [][2]string{
			{"Content-Security-Policy", contentSecurityPolicy},
			{"Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"},
			{"X-Content-Type-Options", "nosniff"},
			{"Referrer-Policy", "strict-origin-when-cross-origin"},
			{"X-Frame-Options", "DENY"},
			{"Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"},
			{"Cross-Origin-Opener-Policy", "same-origin"},
			{"Cache-Control", "public, max-age=60, must-revalidate"},
		}},
	}
	for _, prefix := range immutablePrefixes() {
		rules = append(rules, headerRule{path: prefix, detach: []string{"Cache-Control"}, set: [][2]string{{"Cache-Control", immutable}}})
	}
	// Browsers show XML with a built-in viewer that styles itself inline,
	// which the page policy would block; these documents run nothing.
	for _, xmlDoc := range []string{"/feed.xml", "/sitemap.xml"} {
		rules = append(rules, headerRule{path: xmlDoc, detach: []string{"Content-Security-Policy"}, set: [][2]string{{"Content-Security-Policy", xmlPolicy}}})
	}
	return append(rules,
		headerRule{path: "/feed.xml", set: [][2]string{{"Content-Type", "application/atom+xml; charset=utf-8"}}},
		headerRule{path: "/feed.json", set: [][2]string{{"Content-Type", "application/feed+json; charset=utf-8"}}},
	)
}

// headersFile writes rules in the _headers format: a path line, then one
// indented line per header, rules separated by a blank line. Each value is
// checked here, where the lines are made, so that no value, whatever
// validated it before, can end its line and start a rule of its own.
func headersFile(rules []headerRule) (string, error) {
	if len(rules) > maxHeaderRules {
		return "", fmt.Errorf("_headers: %d rules; Cloudflare Pages applies at most %d", len(rules), maxHeaderRules)
	}
	var b strings.Builder
	line := func(s string) error {
		if n := utf8.RuneCountInString(s); n > maxHeaderLine {
			return fmt.Errorf("_headers: a line of %d characters (%.40s…); Cloudflare Pages allows at most %d", n, s, maxHeaderLine)
		}
		b.WriteString(s + "\n")
		return nil
	}
	for i, r := range rules {
		if err := lineField(r.path); err != nil {
			return "", fmt.Errorf("_headers: rule path %q: %w", r.path, err)
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		if err := line(r.path); err != nil {
			return "", err
		}
		for _, name := range r.detach {
			if !headerName(name) {
				return "", fmt.Errorf("_headers: %s: %q is not a header name", r.path, name)
			}
			if err := line("  ! " + name); err != nil {
				return "", err
			}
		}
		for _, h := range r.set {
			if !headerName(h[0]) {
				return "", fmt.Errorf("_headers: %s: %q is not a header name", r.path, h[0])
			}
			if err := headerValue(h[1]); err != nil {
				return "", fmt.Errorf("_headers: %s: %s: %w", r.path, h[0], err)
			}
			if err := line("  " + h[0] + ": " + h[1]); err != nil {
				return "", err
			}
		}
	}
	return b.String(), nil
}

// redirectsFile writes _redirects: one "from to status" line per rule.
// The format splits on whitespace and ends a rule at a line break, so a
// field with either (or any other invisible character) is refused here,
// at generation time, not only by check: a rule can never become two.
func redirectsFile(icon string, aliases []content.Alias) (string, error) {
	var b strings.Builder
	rule := func(from, to string, status int) error {
		for _, f := range []string{from, to} {
			if err := lineField(f); err != nil {
				return fmt.Errorf("_redirects: %q -> %q: %w", from, to, err)
			}
		}
		if strings.HasPrefix(from, "#") {
			return fmt.Errorf("_redirects: %q would be read as a comment", from)
		}
		fmt.Fprintf(&b, "%s %s %d\n", from, to, status)
		return nil
	}
	// Browsers ask for /favicon.ico on pages that name no icon (feeds).
	if icon != "" {
		if err := rule("/favicon.ico", icon, 302); err != nil {
			return "", err
		}
	}
	for _, a := range aliases {
		if err := rule(a.From, a.To, a.Status); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// lineField refuses a field of a line-based file that is empty or holds a
// character that could split it or end its line.
func lineField(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	return siteurl.Visible(s)
}

// headerValue refuses a header value that could end its line: plain
// spaces are fine inside a value, every other invisible character is not.
func headerValue(v string) error {
	return siteurl.Visible(strings.ReplaceAll(v, " ", ""))
}

// headerName reports whether name is an HTTP token (RFC 9110), which
// has no space, colon or line break.
func headerName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// robots is robots.txt, a line-based file too: the base URL must not
// bring a line of its own (it is checked when site.yaml or --base-url is
// read; this holds for any other caller).
func (p *plan) robots() ([]byte, error) {
	base := p.site.Config.BaseURL
	if err := siteurl.Visible(base); err != nil {
		return nil, fmt.Errorf("robots.txt: base URL %q: %w", base, err)
	}
	return []byte("User-agent: *\nAllow: /\nDisallow: /admin/\n\nSitemap: " + base + "/sitemap.xml\n"), nil
}

func (p *plan) addMeta() {
	p.outputs = append(p.outputs,
		output{path: "sitemap.xml", render: p.sitemap},
		output{path: "robots.txt", render: func(context.Context) ([]byte, error) { return p.robots() }},
		output{path: "_headers", render: func(context.Context) ([]byte, error) {
			s, err := headersFile(headerRules())
			return []byte(s), err
		}},
		output{path: "_redirects", render: func(context.Context) ([]byte, error) {
			s, err := redirectsFile(p.assets.url("favicon.svg"), p.site.Config.Aliases)
			return []byte(s), err
		}},
	)
	for _, f := range p.assets.files {
		data := f.data
		p.outputs = append(p.outputs, output{path: f.url[1:], render: func(context.Context) ([]byte, error) { return data, nil }})
	}
}
