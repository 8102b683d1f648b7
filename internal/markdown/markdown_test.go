package markdown

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestGolden(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "features.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := New().Convert(src)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "features.html")
	if *update {
		if err := os.WriteFile(golden, doc.HTML, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(doc.HTML) != string(want) {
		t.Errorf("HTML differs from %s (run go test -update to accept):\n%s", golden, doc.HTML)
	}
	var heads []string
	for _, h := range doc.Headings {
		heads = append(heads, h.ID+"="+h.Text)
	}
	if got := strings.Join(heads, "|"); got != "title=Title|table-of-things=Table of things|lists-and-tasks=Lists and tasks|code-quoted=Code “quoted”" {
		t.Errorf("headings = %q", got)
	}
	if len(doc.Links) != 1 || doc.Links[0].Dest != "/blog/x/" || doc.Links[0].Line != 7 {
		t.Errorf("links = %+v, want /blog/x/ on line 7", doc.Links)
	}
	if doc.FrontMatter == nil || doc.FrontMatterErr != nil {
		t.Errorf("front matter = %v, %v", doc.FrontMatter, doc.FrontMatterErr)
	}
	if doc.Words < 30 {
		t.Errorf("words = %d, want the body counted", doc.Words)
	}
}

// TestUnsafeInput feeds attacks and checks nothing executable survives.
func TestUnsafeInput(t *testing.T) {
	for _, tc := range []struct{ name, md string }{
		{"script tag", "<script>alert(1)</script>"},
		{"inline script", "hello <script>alert(1)</script> world"},
		{"img onerror", `<img src=x onerror="alert(1)">`},
		{"event handler in block", "<div onclick=\"alert(1)\">x</div>"},
		{"javascript link", "[x](javascript:alert(1))"},
		{"javascript link upper", "[x](JavaScript:alert(1))"},
		{"entity-encoded tab", "[x](java&#9;script:alert(1))"},
		{"entity-encoded colon", "[x](javascript&#58;alert(1))"},
		{"vbscript", "[x](vbscript:msgbox)"},
		{"data html", "[x](data:text/html;base64,PHNjcmlwdD4=)"},
		{"image javascript", "![x](javascript:alert(1))"},
		{"autolink", "<javascript:alert(1)>"},
		{"reference link", "[x][r]\n\n[r]: javascript:alert(1)"},
		{"iframe", "<iframe src=\"https://evil.test\"></iframe>"},
		{"object", "<object data=\"x.swf\"></object>"},
		{"svg onload", "<svg onload=alert(1)>"},
		{"html in link text", "[<img src=x onerror=alert(1)>](/ok)"},
		{"html comment trick", "<!-- --><script>alert(1)</script>"},
		{"attribute breakout in title", `[x](/ok "a\" onmouseover=\"alert(1)")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := New().Convert([]byte(tc.md))
			if err != nil {
				t.Fatal(err)
			}
			if found := sitetest.Executable(string(doc.HTML)); len(found) > 0 {
				t.Errorf("executable markup %q in:\n%s", found, doc.HTML)
			}
		})
	}
}

func TestSafeURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		safe bool
	}{
		{"/blog/x/", true},
		{"../x/", true},
		{"#section", true},
		{"https://example.com/a:b", true},
		{"mailto:ops@example.dev", true},
		{"/path/with:colon", true},
		{"?q=a:b", true},
		{"javascript:alert(1)", false},
		{" javascript:alert(1)", false},
		{"java\tscript:alert(1)", false},
		{"java&#10;script:alert(1)", false},
		{"data:image/png;base64,AAAA", false},
		{"file:///etc/passwd", false},
	} {
		if got := SafeURL(tc.in); got != tc.safe {
			t.Errorf("SafeURL(%q) = %v, want %v", tc.in, got, tc.safe)
		}
	}
}

// TestImageAlt: an image's alt text is recorded as plain text (emphasis
// and all), an empty one as empty, so the build can refuse it by line.
func TestImageAlt(t *testing.T) {
	src := "![A *rack*, front](a.png)\n\n![](b.png)\n\n[not an image](c.png)\n"
	doc, err := New().Convert([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Link{
		{Dest: "a.png", Line: 1, Image: true, Alt: "A rack, front"},
		{Dest: "b.png", Line: 3, Image: true, Alt: ""},
		{Dest: "c.png", Line: 5},
	}
	if len(doc.Links) != len(want) {
		t.Fatalf("links = %+v, want %+v", doc.Links, want)
	}
	for i, w := range want {
		if doc.Links[i] != w {
			t.Errorf("link %d = %+v, want %+v", i, doc.Links[i], w)
		}
	}
}

// TestAccessibleBlocks checks what axe asked of rendered Markdown: every
// scrolling block takes keyboard focus and is named, and no header cell is
// empty.
func TestAccessibleBlocks(t *testing.T) {
	src := "| | a |\n|:-|--|\n| x | 1 |\n\n```go\nx := 1\n```\n\n```\nplain\n```\n\n    indented\n\n```nosuchlang\ny\n```\n"
	doc, err := New().Convert([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	html := string(doc.HTML)
	if n := strings.Count(html, "<pre"); n != 4 {
		t.Fatalf("%d <pre> blocks, want 4:\n%s", n, html)
	}
	// Named apart: axe wants landmarks of one role distinguishable.
	for i := 1; i <= 4; i++ {
		if !strings.Contains(html, fmt.Sprintf(`tabindex="0" role="region" aria-label="Code block %d">`, i)) {
			t.Errorf("code block %d is not focusable and named:\n%s", i, html)
		}
	}
	if !strings.Contains(html, `<div class="table-wrap" tabindex="0" role="region" aria-label="Table 1"><table>`) {
		t.Errorf("table wrapper not focusable and named:\n%s", html)
	}
	if strings.Contains(html, "></th>") {
		t.Errorf("an empty <th> is left:\n%s", html)
	}
	if !strings.Contains(html, `<td align="left"></td>`) {
		t.Errorf("the empty header cell is not a data cell keeping its alignment:\n%s", html)
	}
}

// TestRefusedLinkIsText checks a link whose scheme is refused keeps its
// words as plain text instead of becoming a link to the page itself.
func TestRefusedLinkIsText(t *testing.T) {
	for _, md := range []string{
		"see [the *docs*](javascript:alert(1)) now",
		"see [the *docs*][r] now\n\n[r]: vbscript:msgbox",
		"see [the *docs*](java&#9;script:alert(1)) now",
	} {
		doc, err := New().Convert([]byte(md))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.TrimSpace(string(doc.HTML)), "<p>see the <em>docs</em> now</p>"; got != want {
			t.Errorf("%q rendered %s, want %s", md, got, want)
		}
	}
}
