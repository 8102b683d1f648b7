package svgsafe

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkSafe is the property every output must have, checked on the output
// alone: one SVG-namespace document of allowlisted elements and
// attributes, no declarations, instructions or comments, no event
// handler, and every href a #id (or a raster data: URL on <image>).
func checkSafe(out []byte) error {
	if bytes.Contains(out, []byte("<!")) || bytes.Contains(out, []byte("<?")) {
		return errors.New("a declaration, CDATA section, comment or instruction")
	}
	dec := xml.NewDecoder(bytes.NewReader(out))
	depth, roots := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("output does not parse: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
			if t.Name.Space != svgNS || !allowedElements[t.Name.Local] || activeElements[t.Name.Local] {
				return fmt.Errorf("element {%s}%s", t.Name.Space, t.Name.Local)
			}
			for _, a := range t.Attr {
				if err := checkSafeAttr(t.Name.Local, a, depth == 1); err != nil {
					return err
				}
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 {
				return errors.New("text outside the root")
			}
		default:
			return fmt.Errorf("token %T", tok)
		}
	}
	if roots != 1 {
		return fmt.Errorf("%d root elements", roots)
	}
	return nil
}

// activeElements must never come out, whatever the allowlist says: the
// property holds even if someone adds one to it by mistake.
var activeElements = set(`script foreignObject a iframe embed object handler listener discard`)

func checkSafeAttr(el string, a xml.Attr, root bool) error {
	n := a.Name
	switch {
	case strings.HasPrefix(strings.ToLower(n.Local), "on"):
		return fmt.Errorf("event handler %s", n.Local)
	case root && n.Space == "" && n.Local == "xmlns":
		if a.Value != svgNS {
			return fmt.Errorf("xmlns=%q", a.Value)
		}
		return nil
	case n.Space == xmlNS && (n.Local == "space" || n.Local == "lang"):
		return nil
	case n.Space != "":
		return fmt.Errorf("attribute {%s}%s", n.Space, n.Local)
	case n.Local == "href":
		if isFragment(a.Value) {
			return nil
		}
		if rasterHrefElements[el] {
			if u, ok := rasterDataURL(a.Value); ok && u == a.Value {
				return nil
			}
		}
		return fmt.Errorf("<%s href=%q>", el, a.Value)
	case n.Local == "attributeName" && animationElements[el]:
		if !animatableAttrs[strings.TrimSpace(a.Value)] {
			return fmt.Errorf("animation of %q", a.Value)
		}
		return nil
	case n.Local == "style" || isTextAttr(n.Local):
		return nil
	case presentationAttrs[n.Local] || geometryAttrs[n.Local] || animationAttrs[n.Local]:
		if strings.Contains(strings.ToLower(a.Value), "url(") && !strings.Contains(a.Value, "url(#") {
			return fmt.Errorf("%s=%q", n.Local, a.Value)
		}
		return nil
	}
	return fmt.Errorf("attribute %s", n.Local)
}

// FuzzSanitize: whatever the input, an accepted SVG comes out inside the
// allowlist, and sanitising the output again changes nothing.
func FuzzSanitize(f *testing.F) {
	for _, c := range hostiles {
		f.Add([]byte(payload(c, "")))
	}
	files, err := filepath.Glob(filepath.Join("testdata", "benign", "*.svg"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		if strings.HasSuffix(p, ".golden.svg") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		res, err := Sanitize("f.svg", src)
		if err != nil {
			return
		}
		if err := checkSafe(res.SVG); err != nil {
			t.Fatalf("unsafe output: %v\ninput %q\noutput %q", err, src, res.SVG)
		}
		again, err := Sanitize("f.svg", res.SVG)
		if err != nil {
			t.Fatalf("the output is refused: %v\ninput %q\noutput %q", err, src, res.SVG)
		}
		if !bytes.Equal(again.SVG, res.SVG) {
			t.Fatalf("not idempotent:\ninput  %q\nonce   %q\ntwice  %q", src, res.SVG, again.SVG)
		}
	})
}
