package content

import (
	"strings"
	"testing"
)

// TestSiteURLsAreChecked covers every URL site.yaml carries (base_url,
// substack, nav urls, alias from and to), the author's address, and a
// post's canonical: each refusal names content/site.yaml (or the post),
// the line and the field. Before these checks an alias to: with a line
// break added its own _redirects rule and javascript: nav links went into
// every page.
func TestSiteURLsAreChecked(t *testing.T) {
	const head = "-- content/site.yaml --\ntitle: T\n"
	for _, tc := range []struct {
		name string
		yaml string // after the title line (line 2 on)
		want []string
	}{
		{"all accepted", `base_url: https://lab.test/
substack: https://lab.substack.com/
author: {name: Op, email: op@lab.test}
nav:
  - {title: Blog, url: /blog/}
  - {title: Code, url: "https://git.lab.test/op"}
  - {title: Mail, url: "mailto:op@lab.test"}
aliases:
  - {from: /old/*, to: "/new/:splat"}
  - {from: /gh, to: "https://github.com/op", status: 302}
`, nil},
		{"newline in alias to", `base_url: https://lab.test
aliases:
  - from: /x
    to: "https://lab.test/\n/* https://evil.example/ 302"
`, []string{`content/site.yaml:5: aliases[0].to: contains a line break (U+000A), found "https://lab.test/\n/* https://evil.example/ 302"`}},
		{"literal block alias to", "base_url: https://lab.test\naliases:\n  - from: /x\n    to: |\n      /y\n      /* https://evil.example/ 302\n",
			[]string{`content/site.yaml:5: aliases[0].to: contains a line break (U+000A), found "/y\n/* https://evil.example/ 302\n"`}},
		{"unsafe nav schemes", `base_url: https://lab.test
nav:
  - {title: A, url: "javascript:alert(1)"}
  - {title: B, url: "data:text/html,<script>alert(1)</script>"}
  - {title: C, url: "vbscript:msgbox(1)"}
  - {title: D, url: "java\tscript:alert(1)"}
  - {title: E, url: "//evil.example"}
  - {title: F, url: "/\\evil.example"}
  - {title: G, url: "https://lab.test@evil.example/"}
  - {title: H, url: "/\u202Egnp.exe"}
`, []string{
			`content/site.yaml:4: nav[0].url: the scheme javascript: can run code or load another document; use a path starting with /, an absolute http(s) URL, or a mailto:/tel: link, found "javascript:alert(1)"`,
			`content/site.yaml:5: nav[1].url: the scheme data: can run code or load another document; use a path starting with /, an absolute http(s) URL, or a mailto:/tel: link, found "data:text/html,<script>alert(1)</script>"`,
			`content/site.yaml:6: nav[2].url: the scheme vbscript: can run code or load another document; use a path starting with /, an absolute http(s) URL, or a mailto:/tel: link, found "vbscript:msgbox(1)"`,
			`content/site.yaml:7: nav[3].url: contains a tab (U+0009), found "java\tscript:alert(1)"`,
			`content/site.yaml:8: nav[4].url: protocol-relative URL: write https://evil.example for another site, or a path starting with /, an absolute http(s) URL, or a mailto:/tel: link, found "//evil.example"`,
			`content/site.yaml:9: nav[5].url: must not contain a backslash (browsers read it as /, and /\host as another site), found "/\\evil.example"`,
			`content/site.yaml:10: nav[6].url: must not carry a user name or password (browsers go to the host after @), found "https://lab.test@evil.example/"`,
			`content/site.yaml:11: nav[7].url: contains a bidirectional control (U+202E), found "/\u202egnp.exe"`,
		}},
		{"aliases", `base_url: https://lab.test
aliases:
  - {from: "https://lab.test/x", to: /y}
  - {from: "/a b", to: /y}
  - {from: /z, to: "mailto:op@lab.test"}
  - {from: /w, to: "/y\u2028/* https://evil.example/ 302"}
  - {from: /v, to: "/y\x7f"}
`, []string{
			`content/site.yaml:4: aliases[0].from: must be a path on this site starting with / (e.g. /about/), found "https://lab.test/x"`,
			`content/site.yaml:5: aliases[1].from: contains a space (U+0020), found "/a b"`,
			`content/site.yaml:6: aliases[2].to: must be a path starting with / or an absolute http(s) URL, found "mailto:op@lab.test"`,
			`content/site.yaml:7: aliases[3].to: contains a line break (U+2028), found "/y\u2028/* https://evil.example/ 302"`,
			`content/site.yaml:8: aliases[4].to: contains a control character (U+007F), found "/y\x7f"`,
		}},
		{"base_url, substack and author", `base_url: "https://lab.test\nDisallow: /"
substack: "javascript:alert(1)"
author:
  name: Op
  email: "op@lab.test\nBcc: all@lab.test"
`, []string{
			`content/site.yaml:2: base_url: contains a line break (U+000A), found "https://lab.test\nDisallow: /"`,
			`content/site.yaml:3: substack: the scheme javascript: can run code or load another document; use an absolute http(s) URL, found "javascript:alert(1)"`,
			`content/site.yaml:6: author.email: contains a line break (U+000A), found "op@lab.test\nBcc: all@lab.test"`,
		}},
		{"author with a display name", "base_url: https://lab.test\nauthor: {name: Op, email: \"<op@lab.test>\"}\n",
			[]string{`content/site.yaml:3: author.email: must be one bare address such as you@example.com, found "<op@lab.test>"`}},
		{"canonical of a post", "base_url: https://lab.test\n-- content/posts/p.md --\n---\ntitle: P\ndate: 2026-01-01\ncanonical: \"javascript:alert(1)\"\n---\n",
			[]string{`content/posts/p.md:4: canonical: the scheme javascript: can run code or load another document; use an absolute http(s) URL, found "javascript:alert(1)"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(t, head+tc.yaml)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("problems:\n got: %q\nwant: %q", got, tc.want)
			}
		})
	}
}
