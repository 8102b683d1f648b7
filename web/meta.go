package web

import (
	"context"
	"fmt"
	"strings"
)

// The security policy of every page. Pages carry no inline script or style,
// so the policy can forbid both; 'self' covers the fingerprinted assets.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; upgrade-insecure-requests"

// xmlPolicy is the policy of the feed and the sitemap.
const xmlPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'"

// headersFile is Cloudflare Pages' _headers. Rules that match the same path
// are merged with their values joined, so the asset rule first detaches
// ("! Cache-Control") the short HTML caching of the catch-all rule.
func headersFile() string {
	var b strings.Builder
	b.WriteString("/*\n")
	for _, h := range [][2]string{
		{"Content-Security-Policy", contentSecurityPolicy},
		{"Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"},
		{"X-Content-Type-Options", "nosniff"},
		{"Referrer-Policy", "strict-origin-when-cross-origin"},
		{"X-Frame-Options", "DENY"},
		{"Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"},
		{"Cross-Origin-Opener-Policy", "same-origin"},
		{"Cache-Control", "public, max-age=60, must-revalidate"},
	} {
		fmt.Fprintf(&b, "  %s: %s\n", h[0], h[1])
	}
	b.WriteString("\n/assets/*\n  ! Cache-Control\n  Cache-Control: public, max-age=31536000, immutable\n")
	// Browsers show XML with a built-in viewer that styles itself inline,
	// which the page policy would block; these documents run nothing.
	for _, xmlDoc := range []string{"/feed.xml", "/sitemap.xml"} {
		fmt.Fprintf(&b, "\n%s\n  ! Content-Security-Policy\n  Content-Security-Policy: %s\n", xmlDoc, xmlPolicy)
	}
	b.WriteString("\n/feed.xml\n  Content-Type: application/atom+xml; charset=utf-8\n")
	b.WriteString("\n/feed.json\n  Content-Type: application/feed+json; charset=utf-8\n")
	return b.String()
}

func (p *plan) redirectsFile() string {
	var b strings.Builder
	// Browsers ask for /favicon.ico on pages that name no icon (feeds).
	if icon := p.assets.url("favicon.svg"); icon != "" {
		fmt.Fprintf(&b, "/favicon.ico %s 302\n", icon)
	}
	for _, a := range p.site.Config.Aliases {
		fmt.Fprintf(&b, "%s %s %d\n", a.From, a.To, a.Status)
	}
	return b.String()
}

func (p *plan) robots() string {
	return "User-agent: *\nAllow: /\nDisallow: /admin/\n\nSitemap: " + p.site.Config.BaseURL + "/sitemap.xml\n"
}

func constant(s string) func(context.Context) ([]byte, error) {
	return func(context.Context) ([]byte, error) { return []byte(s), nil }
}

func (p *plan) addMeta() {
	p.outputs = append(p.outputs,
		output{path: "sitemap.xml", render: p.sitemap},
		output{path: "robots.txt", render: constant(p.robots())},
		output{path: "_headers", render: constant(headersFile())},
		output{path: "_redirects", render: constant(p.redirectsFile())},
	)
	for _, f := range p.assets.files {
		data := f.data
		p.outputs = append(p.outputs, output{path: f.url[1:], render: func(context.Context) ([]byte, error) { return data, nil }})
	}
}
