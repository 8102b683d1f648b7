package web

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/diag"
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
			s, err := redirectsFile(p.assets.url("favicon.svg"), p.redirects())
			return []byte(s), err
		}},
	)
	for _, f := range p.assets.files {
		data := f.data
		// Keyed by its bytes: an unchanged asset is linked, not rewritten.
		p.outputs = append(p.outputs, output{path: f.url[1:], render: func(context.Context) ([]byte, error) { return data, nil },
			key: func() ([32]byte, error) { return sha256.Sum256(data), nil }})
	}
}

// Cloudflare Pages reads at most this many _redirects rules; the rest are
// ignored, silently, so check refuses a site past them.
const (
	maxStaticRedirects  = 2000
	maxDynamicRedirects = 100
	maxRedirectLine     = 1000
)

// pageAlias is one old path of a published page.
type pageAlias struct {
	page *content.Page
	from string
	line int
}

// pageAliases lists the aliases: of the published pages, sorted by path.
func (p *plan) pageAliases() []pageAlias {
	var out []pageAlias
	for _, pages := range [][]*content.Page{p.site.Posts, p.site.Notes} {
		for _, pg := range pages {
			for _, a := range pg.Aliases {
				out = append(out, pageAlias{page: pg, from: a.Path, line: a.Line})
			}
		}
	}
	slices.SortFunc(out, func(a, b pageAlias) int { return strings.Compare(a.from, b.from) })
	return out
}

// redirects are the rules of _redirects after the favicon's: the pages'
// old paths first, because Pages applies the first rule that matches and
// an exact old path must win over a site.yaml wildcard such as /posts/*.
func (p *plan) redirects() []content.Alias {
	var out []content.Alias
	for _, a := range p.pageAliases() {
		out = append(out, content.Alias{From: a.from, To: a.page.URL(), Status: 301, Line: a.line})
	}
	return append(out, p.site.Config.Aliases...)
}

// dynamicRule reports whether Pages counts a rule's source as dynamic:
// one with a splat or a :placeholder.
func dynamicRule(from string) bool {
	return strings.Contains(from, "*") || strings.Contains(from, "/:")
}

// checkAliases refuses an old path that would hide a page of the site
// (Pages applies _redirects before it serves a file) and a _redirects
// past Pages' limits. Duplicates are found by the load (content).
func (p *plan) checkAliases() error {
	files := make(map[string]bool, len(p.outputs))
	for _, o := range p.outputs {
		files["/"+o.path] = true
	}
	var probs diag.List
	for _, a := range p.pageAliases() {
		if resolves(files, a.from) {
			probs.Add(a.page.Path, a.line, "aliases", "%s is a page or file of this site; a redirect there would hide it (Pages applies _redirects first): remove the alias", a.from)
		}
		if n := len(a.from) + len(a.page.URL()) + len(" 301 "); n > maxRedirectLine {
			probs.Add(a.page.Path, a.line, "aliases", "the rule for %s is %d characters long; Cloudflare Pages ignores _redirects rules over %d", a.from, n, maxRedirectLine)
		}
	}
	static, dynamic := 0, 0
	if p.assets.url("favicon.svg") != "" {
		static++
	}
	for _, a := range p.redirects() {
		if dynamicRule(a.From) {
			dynamic++
		} else {
			static++
		}
	}
	fromPages := len(p.pageAliases())
	siteYAML := p.files.Display("content/site.yaml")
	if static > maxStaticRedirects {
		probs.Add(siteYAML, 0, "aliases", "_redirects would have %d static rules (%d from the aliases: of posts and notes); Cloudflare Pages reads at most %d and ignores the rest: drop the aliases of old paths nobody visits any more, or cover a whole old section with one site.yaml alias such as {from: /posts/*, to: /blog/:splat}, which counts as one dynamic rule",
			static, fromPages, maxStaticRedirects)
	}
	if dynamic > maxDynamicRedirects {
		probs.Add(siteYAML, 0, "aliases", "_redirects would have %d dynamic rules (with * or :placeholder); Cloudflare Pages reads at most %d: merge rules that share a prefix, or list the old paths as exact aliases (up to %d static rules)",
			dynamic, maxDynamicRedirects, maxStaticRedirects)
	}
	return probs.Err()
}
