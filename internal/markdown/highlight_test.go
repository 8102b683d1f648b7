package markdown

import (
	"bytes"
	"testing"

	"github.com/yuin/goldmark"
	highlighting "github.com/yuin/goldmark-highlighting/v2"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// TestCodeRendererMatchesExtension: the shared-formatter renderer writes
// exactly what goldmark-highlighting itself writes with the same options,
// for every kind of fenced block.
func TestCodeRendererMatchesExtension(t *testing.T) {
	ext := goldmark.New(goldmark.WithExtensions(highlighting.NewHighlighting(highlightOptions...)))
	tests := []struct{ name, src string }{
		{"go", "```go\nfunc main() {\n\tfmt.Println(\"hi <b>\")\n}\n```\n"},
		{"yaml", "```yaml\nkey: value # comment\nlist: [a, b]\n```\n"},
		{"upper-case language", "```Go\nvar x = 1\n```\n"},
		{"shell alias", "```sh\necho \"$HOME\" && ls -la\n```\n"},
		{"unknown language", "```no-such-lang\n<script>alert(1)</script>\n```\n"},
		{"no language", "```\nplain & simple\n```\n"},
		{"attributes", "```go {hl_lines=[2]}\na := 1\nb := 2\n```\n"},
		{"empty", "```go\n```\n"},
		{"tilde fence", "~~~python\ndef f():\n    return 1\n~~~\n"},
	}
	cr := newCodeRenderer()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want, got bytes.Buffer
			if err := ext.Convert([]byte(tc.src), &want); err != nil {
				t.Fatal(err)
			}
			md := goldmark.New(goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(cr, 100))))
			if err := md.Convert([]byte(tc.src), &got); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("output differs from goldmark-highlighting\n got: %q\nwant: %q", got.String(), want.String())
			}
		})
	}
}
