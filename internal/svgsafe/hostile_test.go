package svgsafe

import (
	"errors"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/diag"
)

// A hostile case is an SVG from the XSS-in-SVG cheat sheets. HITJS in it
// becomes script that tells the test server it ran, HITURL a URL on that
// server, so the browser test can see whether a payload worked.
type hostile struct {
	name string
	svg  string
	// line and msg describe the refusal; line 0 means the file is
	// sanitised instead, and then none of gone may be in the output.
	line int
	msg  string
	gone []string
	// live says the unsanitised file runs its payload in Chromium when
	// opened as a page, which the browser test confirms: proof that the
	// harness would see a payload that got through.
	live bool
}

const head = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100">`

var hostiles = []hostile{
	{name: "script", svg: head + "\n<script>HITJS</script>\n</svg>", line: 2, msg: "<script> is not allowed", live: true},
	{name: "script-cdata", svg: head + "\n<script><![CDATA[HITJS]]></script></svg>", line: 2, msg: "<script> is not allowed", live: true},
	{name: "script-type-ecmascript", svg: head + "\n\n<script type=\"application/ecmascript\">HITJS</script></svg>", line: 3, msg: "<script>", live: true},
	{name: "svg-prefixed-script", svg: `<svg:svg xmlns:svg="http://www.w3.org/2000/svg">` + "\n<svg:script>HITJS</svg:script></svg:svg>", line: 2, msg: "<script> is not allowed", live: true},
	{name: "xhtml-script", svg: head + "\n" + `<html:script xmlns:html="http://www.w3.org/1999/xhtml">HITJS</html:script></svg>`, line: 2, msg: "only SVG elements", live: true},
	{name: "uppercase-script", svg: head + "\n<SCRIPT>HITJS</SCRIPT></svg>", line: 2, msg: "<SCRIPT> is not an SVG element"},
	{name: "mixed-case-script", svg: head + "\n<ScRiPt>HITJS</ScRiPt></svg>", line: 2, msg: "<ScRiPt> is not an SVG element"},
	{name: "onload-root", svg: `<svg xmlns="http://www.w3.org/2000/svg" onload="HITJS"/>`, line: 1, msg: "event handler", live: true},
	{name: "onload-own-line", svg: "<svg xmlns=\"http://www.w3.org/2000/svg\"\n   width=\"10\"\n   onload=\"HITJS\"\n   height=\"10\"/>", line: 3, msg: "<svg> onload: event handler", live: true},
	{name: "onload-uppercase", svg: head + "\n<rect width=\"10\" height=\"10\" ONLOAD=\"HITJS\"/></svg>", line: 2, msg: "event handler"},
	{name: "onload-namespaced", svg: head + "\n" + `<rect xmlns:x="urn:x" x:onload="HITJS"/></svg>`, line: 2, msg: "event handler"},
	{name: "onerror-image", svg: head + "\n" + `<image href="nothing-here.png" onerror="HITJS"/></svg>`, line: 2, msg: "event handler", live: true},
	{name: "onbegin-animatetransform", svg: head + "\n" + `<animateTransform onbegin="HITJS" attributeName="transform" type="scale" from="1" to="1" dur="1s"/></svg>`, line: 2, msg: "event handler", live: true},
	{name: "onbegin-animate", svg: head + "\n" + `<rect width="10" height="10"><animate onbegin="HITJS" attributeName="x" from="0" to="1" dur="1s"/></rect></svg>`, line: 2, msg: "event handler", live: true},
	{name: "set-onbegin", svg: head + "\n" + `<set attributeName="fill" to="red" onbegin="HITJS"/></svg>`, line: 2, msg: "event handler", live: true},
	{name: "a-javascript", svg: head + "\n" + `<a xlink:href="javascript:HITJS"><rect width="100" height="100"/></a></svg>`, line: 2, msg: "<a> is not allowed"},
	{name: "a-href", svg: head + "\n" + `<a href="https://example.com/"><text>x</text></a></svg>`, line: 2, msg: "<a> is not allowed"},
	{name: "use-javascript", svg: head + "\n" + `<use xlink:href="javascript:alert(1)"/></svg>`, line: 2, msg: "javascript:"},
	{name: "use-javascript-tab-entity", svg: head + "\n" + `<use href="java&#x09;script:alert(1)"/></svg>`, line: 2, msg: "javascript:"},
	{name: "use-javascript-newline-case", svg: head + "\n" + `<use href=" JaVa&#10;ScRiPt&#x3A;alert(1)"/></svg>`, line: 2, msg: "javascript:"},
	{name: "use-javascript-zero-width", svg: head + "\n" + "<use href=\"jav\u200bascript:alert(1)\"/></svg>", line: 2, msg: "javascript:"},
	{name: "use-data-svg", svg: head + "\n" + `<use href="data:image/svg+xml;base64,PHN2ZyBpZD0ieCIgeG1sbnM9Imh0dHA6Ly93d3cudzMub3JnLzIwMDAvc3ZnIj48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+#x"/></svg>`, line: 2, msg: "data: URL"},
	{name: "use-external", svg: head + "\n" + `<use href="HITURL#a"/></svg>`, line: 2, msg: "points outside the SVG", live: true},
	{name: "use-external-xlink", svg: head + "\n" + `<use xlink:href="https://evil.example/sprite.svg#a"/></svg>`, line: 2, msg: "<use> xlink:href"},
	{name: "image-external", svg: head + "\n" + `<image href="HITURL" width="10" height="10"/></svg>`, line: 2, msg: "points outside the SVG", live: true},
	{name: "image-data-html", svg: head + "\n" + `<image href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="/></svg>`, line: 2, msg: "data: URL"},
	{name: "feimage-external", svg: head + "\n" + `<filter id="f"><feImage href="https://evil.example/x.png"/></filter></svg>`, line: 2, msg: "points outside"},
	{name: "foreignobject-iframe", svg: head + "\n" + `<foreignObject width="100" height="100"><iframe xmlns="http://www.w3.org/1999/xhtml" src="javascript:HITJS"/></foreignObject></svg>`, line: 2, msg: "<foreignObject> is not allowed", live: true},
	{name: "foreignobject-script", svg: head + "\n" + `<foreignObject width="100" height="100"><body xmlns="http://www.w3.org/1999/xhtml"><script>HITJS</script></body></foreignObject></svg>`, line: 2, msg: "<foreignObject> is not allowed", live: true},
	{name: "drawio-html-labels", svg: head + "\n" + `<switch><foreignObject requiredFeatures="http://www.w3.org/TR/SVG11/feature#Extensibility" width="80" height="20"><div xmlns="http://www.w3.org/1999/xhtml">Router</div></foreignObject><text x="10" y="10">Router</text></switch></svg>`, line: 2, msg: "plain-text labels"},
	{name: "iframe", svg: head + "\n" + `<iframe src="javascript:HITJS"/></svg>`, line: 2, msg: "<iframe> is not an SVG element"},
	{name: "embed", svg: head + "\n" + `<embed src="HITURL"/></svg>`, line: 2, msg: "<embed> is not an SVG element"},
	{name: "object", svg: head + "\n" + `<object data="HITURL"/></svg>`, line: 2, msg: "<object> is not an SVG element"},
	{name: "handler-tiny", svg: head + "\n" + `<handler type="application/ecmascript" ev:event="load" xmlns:ev="http://www.w3.org/2001/xml-events">HITJS</handler></svg>`, line: 2, msg: "<handler> is not an SVG element"},
	{name: "animate-href", svg: head + "\n" + `<use href="#r"><animate attributeName="href" values="#x" dur="1s"/></use></svg>`, line: 2, msg: "an animation may change presentation and geometry attributes only"},
	{name: "animate-href-javascript", svg: head + "\n" + `<animate attributeName="href" values="javascript:alert(1)"/></svg>`, line: 2, msg: "<animate>"},
	{name: "animate-xlink-href", svg: head + "\n" + `<animate attributeName="xlink:href" values=";javascript:alert(1)" begin="0s" fill="freeze"/></svg>`, line: 2, msg: "<animate>"},
	{name: "set-onmouseover", svg: head + "\n" + `<set attributeName="onmouseover" to="alert(1)"/></svg>`, line: 2, msg: `not "onmouseover"`},
	{name: "set-style", svg: head + "\n" + `<rect><set attributeName="style" to="fill:url(https://evil.example/#p)"/></rect></svg>`, line: 2, msg: `not "style"`},
	{name: "set-to-external-paint", svg: head + "\n" + `<rect><set attributeName="fill" to="url(https://evil.example/p.svg#p)"/></rect></svg>`, line: 2, msg: "url(https://evil.example/p.svg#p) is not allowed"},
	{name: "css-url-javascript", svg: head + "\n" + `<rect style="fill:url(javascript:alert(1))"/></svg>`, line: 2, msg: "javascript:"},
	{name: "css-url-external", svg: head + "\n" + `<rect style="fill: url( 'HITURL#p' )"/></svg>`, line: 2, msg: "is not allowed: only url(#id)", live: true},
	{name: "attr-url-external", svg: head + "\n" + `<rect width="10" height="10" fill="url(HITURL#p)"/></svg>`, line: 2, msg: "<rect> fill: url(", live: true},
	{name: "cursor-url", svg: head + "\n" + `<rect cursor="url(HITURL), auto"/></svg>`, line: 2, msg: "<rect> cursor", live: true},
	{name: "css-expression", svg: head + "\n" + `<rect style="width:expression(alert(1))"/></svg>`, line: 2, msg: "expression() is not allowed"},
	{name: "css-image-set", svg: head + "\n" + `<rect style="fill:image-set('HITURL' 1x)"/></svg>`, line: 2, msg: "image-set() is not allowed"},
	{name: "css-escape", svg: head + "\n" + `<rect style="fill:u\72l(HITURL)"/></svg>`, line: 2, msg: "escapes"},
	{name: "css-comment-split", svg: head + "\n" + `<rect style="fill:ur/**/l(HITURL)"/></svg>`, line: 2, msg: "l() is not allowed"},
	{name: "style-import", svg: head + "\n<style>@import url(HITURL);</style></svg>", line: 2, msg: "at-rules", live: true},
	{name: "style-font-face", svg: head + "\n<style>@font-face{font-family:x;src:url(HITURL)}</style><text style=\"font-family:x\">a</text></svg>", line: 2, msg: "at-rules", live: true},
	{name: "style-url", svg: head + "\n<style>rect{fill:url(HITURL#p)}</style><rect width=\"10\" height=\"10\"/></svg>", line: 2, msg: "<style>: url(", live: true},
	{name: "style-background-image", svg: head + "\n<style>svg{background-image:url(HITURL)}</style></svg>", line: 2, msg: "<style>: url(", live: true},
	{name: "style-breakout", svg: head + "\n<style>&lt;/style&gt;&lt;script&gt;HITJS&lt;/script&gt;</style></svg>", line: 2, msg: "'<' is not allowed in CSS"},
	{name: "style-child-element", svg: head + "\n<style><script>HITJS</script></style></svg>", line: 2, msg: "inside <style>"},
	{name: "style-type-js", svg: head + "\n" + `<style type="text/javascript">rect{}</style></svg>`, line: 2, msg: "only text/css"},
	{name: "doctype-entities", svg: `<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&c;</text></svg>`, line: 2, msg: "<!DOCTYPE> is not allowed"},
	{name: "xxe-system", svg: `<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>`, line: 1, msg: "<!DOCTYPE> is not allowed"},
	{name: "doctype-public", svg: `<?xml version="1.0"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg"/>`, line: 2, msg: "delete it"},
	{name: "undefined-entity", svg: head + "\n<text>&nbsp;&xxe;</text></svg>", line: 2, msg: "not well-formed XML"},
	{name: "xml-stylesheet", svg: `<?xml version="1.0"?>
<?xml-stylesheet type="text/xsl" href="HITURL"?>
<svg xmlns="http://www.w3.org/2000/svg"/>`, line: 2, msg: "<?xml-stylesheet?> is not allowed", live: true},
	{name: "late-xml-declaration", svg: head + "\n<?xml version=\"1.0\"?></svg>", line: 2, msg: "processing instruction"},
	{name: "encoding-utf7", svg: `<?xml version="1.0" encoding="UTF-7"?><svg xmlns="http://www.w3.org/2000/svg"/>`, line: 1, msg: `the encoding "UTF-7" is not supported: save the SVG as UTF-8`},
	{name: "duplicate-attribute", svg: head + "\n" + `<use href="#a" href="javascript:alert(1)"/></svg>`, line: 2, msg: "appears twice"},
	{name: "second-root", svg: head + "</svg>\n<script xmlns=\"http://www.w3.org/2000/svg\">HITJS</script>", line: 2, msg: "one root element"},
	{name: "not-svg-root", svg: `<html xmlns="http://www.w3.org/2000/svg"><script>HITJS</script></html>`, line: 1, msg: "<html> is not an SVG element", live: true},
	{name: "depth-bomb", svg: head + strings.Repeat("<g>", MaxDepth+1) + strings.Repeat("</g>", MaxDepth+1) + "</svg>", line: 1, msg: "nested more than"},
	{name: "depth-bomb-in-metadata", svg: head + "<metadata>" + strings.Repeat("<x>", MaxDepth+1) + strings.Repeat("</x>", MaxDepth+1) + "</metadata></svg>", line: 1, msg: "nested more than"},
	{name: "unclosed", svg: head + "\n<g>", line: 2, msg: "not well-formed"},

	// Rendered harmless: the dangerous part is gone, the rest is kept.
	{name: "script-in-metadata", svg: head + "\n<metadata><script>HITJS</script></metadata><rect width=\"1\" height=\"1\"/></svg>", gone: []string{"script", "metadata", "hit"}, live: true},
	{name: "script-in-editor-namespace", svg: `<svg xmlns="http://www.w3.org/2000/svg" xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" sodipodi:docname="x.svg">
<sodipodi:namedview><script>HITJS</script></sodipodi:namedview></svg>`, gone: []string{"script", "sodipodi", "hit"}, live: true},
	{name: "script-in-comment", svg: head + "\n<!-- <script>HITJS</script> --></svg>", gone: []string{"script", "hit"}},
	{name: "cdata-in-text", svg: head + "\n<text><![CDATA[</text><script>HITJS</script>]]></text></svg>", gone: []string{"<script"}},
	{name: "escaped-in-text", svg: head + "\n<text>&lt;script&gt;HITJS&lt;/script&gt;</text></svg>", gone: []string{"<script"}},
	{name: "xml-base", svg: head + "\n" + `<g xml:base="https://evil.example/"><use href="#r"/></g></svg>`, gone: []string{"xml:base", "evil"}},
	{name: "foreign-namespace-attribute", svg: head + "\n" + `<rect xmlns:h="http://www.w3.org/1999/xhtml" h:style="x" h:src="HITURL"/></svg>`, gone: []string{"style", "src", "hit"}},
	{name: "xlink-extras", svg: head + "\n" + `<use xlink:href="#r" xlink:show="new" xlink:actuate="onLoad"/></svg>`, gone: []string{"show", "actuate", "xlink"}},
	{name: "unknown-attributes", svg: head + "\n" + `<rect src="HITURL" formaction="HITURL" data-x="1" width="1"/></svg>`, gone: []string{"src", "formaction", "data-x", "hit"}},
}

// payload fills in a case's placeholders; base is the test server's URL
// ("" in the unit tests).
func payload(c hostile, base string) string {
	url := base + "/hit/" + c.name
	js := "var x=new XMLHttpRequest();x.open('GET','" + url + "',false);x.send()"
	return strings.NewReplacer("HITJS", js, "HITURL", url).Replace(c.svg)
}

func TestHostile(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range hostiles {
		t.Run(c.name, func(t *testing.T) {
			if seen[c.name] {
				t.Fatal("duplicate case name")
			}
			seen[c.name] = true
			res, err := Sanitize("img/x.svg", []byte(payload(c, "")))
			if c.line != 0 {
				var p diag.Problem
				if !errors.As(err, &p) {
					t.Fatalf("want a refusal at line %d, got %v (output %s)", c.line, err, res.SVG)
				}
				if p.Path != "img/x.svg" || p.Line != c.line || !strings.Contains(p.Error(), c.msg) {
					t.Fatalf("got %q, want img/x.svg:%d: …%s…", p.Error(), c.line, c.msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("want it sanitised, got %v", err)
			}
			low := strings.ToLower(string(res.SVG))
			for _, g := range c.gone {
				if strings.Contains(low, strings.ToLower(g)) {
					t.Errorf("output still has %q: %s", g, res.SVG)
				}
			}
			if err := checkSafe(res.SVG); err != nil {
				t.Errorf("output breaks the allowlist: %v\n%s", err, res.SVG)
			}
		})
	}
}
