package substack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/labfront/labfront/internal/markdown"
)

// executable reports what in a rendered page could run code or load
// another document: elements, event-handler attributes, and link or
// source URLs with a scheme other than http, https, mailto and tel. The
// URL check undoes what browsers undo (entities, control characters,
// whitespace) before looking at the scheme.
func executable(page []byte) []string {
	doc, err := html.Parse(strings.NewReader(string(page)))
	if err != nil {
		return []string{"unparseable HTML: " + err.Error()}
	}
	var found []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch strings.ToLower(n.Data) {
			case "script", "style", "iframe", "object", "embed", "applet", "frame", "frameset", "form",
				"input", "button", "svg", "math", "link", "meta", "base", "template", "portal", "textarea":
				found = append(found, "<"+n.Data+">")
			}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				switch {
				case strings.HasPrefix(key, "on"):
					found = append(found, n.Data+" "+a.Key+"="+a.Val)
				case key == "style" || key == "srcdoc" || key == "formaction":
					found = append(found, n.Data+" "+a.Key+"="+a.Val)
				case key == "href" || key == "src" || key == "action" || key == "data" || key == "xlink:href" || key == "poster" || key == "background":
					if !markdown.SafeURL(a.Val) {
						found = append(found, n.Data+" "+a.Key+"="+a.Val)
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return found
}

// renderSafe converts HTML the way an import does and renders the result
// with the site's Markdown renderer, failing on anything executable.
func renderSafe(t testing.TB, conv *markdown.Converter, src string) string {
	md, err := ToMarkdown(src, "https://example.substack.com")
	if err != nil {
		// Unparseable input is rejected, which is safe.
		return ""
	}
	doc, err := conv.Convert([]byte(md))
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	if bad := executable(doc.HTML); len(bad) > 0 {
		t.Fatalf("executable content survived: %q\ninput:\n%s\nmarkdown:\n%s\nhtml:\n%s", bad, src, md, doc.HTML)
	}
	return md
}

var attacks = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`<a href="javascript:alert(1)">x</a>`,
	`<a href="jav&#x09;ascript:alert(1)">x</a>`,
	`<a href="&#106;avascript:alert(1)">x</a>`,
	`<a href="JaVaScRiPt&colon;alert(1)">x</a>`,
	"<a href=\"java\nscript:alert(1)\">x</a>",
	`<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>`,
	`<a href="vbscript:msgbox(1)">x</a>`,
	`<a href="  javascript:alert(1)">x</a>`,
	`<a href="&#0000106&#0000097vascript:alert(1)">x</a>`,
	`<iframe src="javascript:alert(1)"></iframe>`,
	`<iframe srcdoc="<script>alert(1)</script>"></iframe>`,
	`<object data="x.swf"></object><embed src="x.swf">`,
	`<svg onload=alert(1)><script>alert(1)</script></svg>`,
	`<math><mi xlink:href="javascript:alert(1)">x</mi></math>`,
	`<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">x</button></form>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<p>[x](javascript:alert(1)) and <javascript:alert(1)> as text</p>`,
	`<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>`,
	`<pre><code>&lt;/code&gt;&lt;script&gt;alert(1)&lt;/script&gt;</code></pre>`,
	`<a href="https://ok.example/">[inner](javascript:alert(1))</a>`,
	`<img src="https://ok.example/a.png" alt="](javascript:alert(1))">`,
	`<div class="tweet" data-attrs="{&quot;url&quot;:&quot;javascript:alert(1)&quot;,&quot;full_text&quot;:&quot;<script>alert(1)</script>&quot;}"></div>`,
	`<div class="youtube-wrap" data-attrs="{&quot;videoId&quot;:&quot;x\&quot;><script>&quot;}"><iframe src="https://www.youtube.com/embed/abcdefgh"></iframe></div>`,
	`<p>` + string(fnOpen) + `1](javascript:alert(1))` + string(fnClose) + `</p>`,
	`<base href="javascript:/"><a href="/x">x</a>`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>"></p></noscript>`,
	`<a href="mailto:ops@example.dev">mail</a><a href="https://x.example/?q=<script>">q</a>`,
}

func TestNothingExecutableSurvives(t *testing.T) {
	conv := markdown.New()
	for _, a := range attacks {
		t.Run(a, func(t *testing.T) { renderSafe(t, conv, a) })
	}
	entries, err := os.ReadDir(filepath.Join(exportDir, "posts"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".html") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(exportDir, "posts", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(e.Name(), func(t *testing.T) { renderSafe(t, conv, string(data)) })
	}
}

// FuzzImportHTML feeds arbitrary post HTML through the importer and the
// site's renderer. Its seed corpus (the attacks above and the fixture's
// posts) runs with every plain go test; go test -fuzz FuzzImportHTML
// searches further.
func FuzzImportHTML(f *testing.F) {
	for _, a := range attacks {
		f.Add(a)
	}
	entries, err := os.ReadDir(filepath.Join(exportDir, "posts"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".html") {
			data, err := os.ReadFile(filepath.Join(exportDir, "posts", e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(string(data))
		}
	}
	conv := markdown.New()
	f.Fuzz(func(t *testing.T, src string) {
		renderSafe(t, conv, src)
	})
}

// FuzzImportPipeline does the same for pipeline text files, whose body is
// Markdown written elsewhere.
func FuzzImportPipeline(f *testing.F) {
	seed, err := os.ReadFile("testdata/seed-homelab-architecture.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(seed))
	head := "# X\nGenerated: 2026-01-01\n---\nTitle\n---\n"
	for _, a := range []string{
		"<script>alert(1)</script>",
		"[x](javascript:alert(1))",
		"[x](jav&#x09;ascript:alert(1))",
		"<img src=x onerror=alert(1)>",
		"![x](data:image/svg+xml;base64,PHN2Zz4=)",
		"<javascript:alert(1)>",
		"Term: <iframe src=x>\nOther: <b onclick=x>y</b>",
		"[^1]\n\n[^1]: <script>x</script>",
	} {
		f.Add(head + a + "\n")
	}
	conv := markdown.New()
	ix := NewIndex(nil)
	f.Fuzz(func(t *testing.T, src string) {
		a, err := ReadPipeline([]byte(src), "fuzz.txt", Options{Publication: "https://example.substack.com"})
		if err != nil {
			return
		}
		Analyze(a, ix)
		doc, err := conv.Convert([]byte(a.Body))
		if err != nil {
			t.Fatalf("render: %v", err)
		}
		if bad := executable(doc.HTML); len(bad) > 0 {
			t.Fatalf("executable content survived: %q\nbody:\n%s\nhtml:\n%s", bad, a.Body, doc.HTML)
		}
	})
}

func TestSafeURL(t *testing.T) {
	site := "https://example.substack.com"
	for _, tc := range []struct{ in, want string }{
		{"https://a.example/x", "https://a.example/x"},
		{"HTTPS://a.example/x", "https://a.example/x"},
		{"//cdn.example/i.png", "https://cdn.example/i.png"},
		{"/p/other-post", "https://example.substack.com/p/other-post"},
		{"mailto:ops@example.dev", "mailto:ops@example.dev"},
		{"javascript:alert(1)", ""},
		{" JaVaScRiPt:alert(1)", ""},
		{"java\tscript:alert(1)", ""},
		{"java\nscript:alert(1)", ""},
		{"jav&#x09;ascript:alert(1)", ""},
		{"&#106;avascript:alert(1)", ""},
		{"data:text/html,<script>", ""},
		{"vbscript:msgbox", ""},
		{"#footnote-1", ""},
		{"https:", ""},
		{"", ""},
	} {
		if got := safeHref(tc.in, site); got != tc.want {
			t.Errorf("safeHref(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := safeImage("mailto:x@y", site); got != "" {
		t.Errorf("an image may not be a mailto link, got %q", got)
	}
}

// TestExecutableDetects proves the checker the safety tests rely on finds
// what it must, so a passing safety test means something.
func TestExecutableDetects(t *testing.T) {
	for _, page := range []string{
		`<script>x</script>`,
		`<p onclick="x">p</p>`,
		`<a href="javascript:x">a</a>`,
		`<a href="jav&#x09;ascript:x">a</a>`,
		`<img src="data:image/png;base64,AAAA">`,
		`<iframe src="https://x.example/"></iframe>`,
		`<div style="x">d</div>`,
	} {
		if len(executable([]byte(page))) == 0 {
			t.Errorf("executable(%q) found nothing", page)
		}
	}
	if bad := executable([]byte(`<p><a href="https://x.example/">a</a> <img src="/i.png" alt="i"> <a href="mailto:a@b">m</a></p>`)); len(bad) > 0 {
		t.Errorf("safe page flagged: %q", bad)
	}
}
