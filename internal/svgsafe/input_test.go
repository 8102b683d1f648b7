package svgsafe

import (
	"strings"
	"testing"
)

func TestLimits(t *testing.T) {
	big := head + "<text>" + strings.Repeat("a", MaxSize) + "</text></svg>"
	if _, err := Sanitize("big.svg", []byte(big)); err == nil || !strings.Contains(err.Error(), "big.svg: the SVG is") {
		t.Errorf("an SVG over MaxSize: %v", err)
	}
	deep := head + strings.Repeat("<g>", MaxDepth-1) + strings.Repeat("</g>", MaxDepth-1) + "</svg>"
	if _, err := Sanitize("deep.svg", []byte(deep)); err != nil {
		t.Errorf("nesting at the limit is refused: %v", err)
	}
}

func TestInputForms(t *testing.T) {
	cases := []struct {
		name, in, want, err string
	}{
		{name: "bom", in: "\xef\xbb\xbf" + `<?xml version="1.0" encoding="UTF-8"?><svg xmlns="http://www.w3.org/2000/svg"/>`, want: `<svg xmlns="http://www.w3.org/2000/svg"/>`},
		{name: "no-namespace-becomes-svg", in: `<svg width="1"><rect/></svg>`, want: `<svg xmlns="http://www.w3.org/2000/svg" width="1"><rect/></svg>`},
		{name: "empty", in: ``, err: "e.svg: no <svg> element"},
		{name: "only-comment", in: `<!-- x -->`, err: "e.svg: no <svg> element"},
		{name: "root-not-svg", in: `<g xmlns="http://www.w3.org/2000/svg"/>`, err: "e.svg:1: the root element is <g>, not <svg>"},
		{name: "entity-declaration", in: "<svg xmlns=\"http://www.w3.org/2000/svg\">\n\n<!ENTITY x \"y\"></svg>", err: "e.svg:3: <!ENTITY> is not allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Sanitize("e.svg", []byte(c.in))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %s, %v; want error …%s…", res.SVG, err, c.err)
				}
				return
			}
			if err != nil || string(res.SVG) != c.want {
				t.Errorf("got %s, %v; want %s", res.SVG, err, c.want)
			}
		})
	}
}
