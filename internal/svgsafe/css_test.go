package svgsafe

import (
	"strings"
	"testing"
)

func TestStyleAttr(t *testing.T) {
	cases := []struct {
		in, want, err string
	}{
		{in: "fill:red; stroke : blue ;", want: "fill:red;stroke:blue"},
		{in: "fill:url(#g)", want: "fill:url(#g)"},
		{in: `fill:url( "#g" )`, want: `fill:url( "#g" )`},
		{in: "fill:/* note */red", want: "fill:red"},
		{in: "transform:translate(1px,2px) rotate(3deg);filter:drop-shadow(0 0 1px rgb(0 0 0 / 50%))", want: "transform:translate(1px,2px) rotate(3deg);filter:drop-shadow(0 0 1px rgb(0 0 0 / 50%))"},
		{in: "width:calc((100% - 2px) / 2)", want: "width:calc((100% - 2px) / 2)"},
		{in: "-inkscape-font-specification:'Sans';fill:red", want: "fill:red"},
		{in: "", want: ""},
		{in: "fill:url(x.svg#g)", err: "url(x.svg#g) is not allowed"},
		{in: "fill:url(#g x)", err: "only url(#id)"},
		{in: "fill:url(#)", err: "only url(#id)"},
		{in: "fill:URL(http://e.example/)", err: "url(http://e.example/) is not allowed"},
		{in: "fill:url('#g)", err: "only url(#id)"},
		{in: "background:image(x.png)", err: "image() is not allowed"},
		{in: "behavior:expression(alert(1))", err: "expression() is not allowed"},
		{in: "fill:e\\78pression(1)", err: "escapes"},
		{in: "fill:red;}rect{fill:blue", err: "'}' is not allowed"},
		{in: "fill:red /* open", err: "unterminated CSS comment"},
		{in: "@import 'x.css'", err: "at-rules"},
		{in: "fill red", err: "is not a CSS declaration"},
		{in: "fill:red\x01", err: "control character"},
	}
	for _, c := range cases {
		got, _, err := cleanStyleAttr(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("cleanStyleAttr(%q) = %q, %v; want error …%s…", c.in, got, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("cleanStyleAttr(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestStyleSheet(t *testing.T) {
	cases := []struct {
		in, want, err string
	}{
		{in: "\n .a{fill:red}\n .b:not(.c) > rect:nth-child(2n){stroke:url(#g)}\n", want: ".a{fill:red}\n .b:not(.c) > rect:nth-child(2n){stroke:url(#g)}"},
		{in: "/* a */.a{fill:red}", want: ".a{fill:red}"},
		{in: "@media (prefers-color-scheme: dark){.a{fill:#fff}}", err: "at-rules"},
		{in: ".a{fill:url(https://e.example/p#x)}", err: "is not allowed"},
		{in: ".a{background:-webkit-image-set(url(#x) 1x)}", err: "-webkit-image-set() is not allowed"},
		{in: ".a{fill:red}</style><script>", err: "'<' is not allowed"},
	}
	for _, c := range cases {
		got, err := cleanStyleSheet(c.in)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("cleanStyleSheet(%q) = %q, %v; want error …%s…", c.in, got, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("cleanStyleSheet(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
