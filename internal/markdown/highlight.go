package markdown

import (
	"bytes"
	"sync"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
	highlighting "github.com/yuin/goldmark-highlighting/v2"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// codeRenderer renders fenced code blocks exactly as goldmark-highlighting
// does with our options, but shares one chroma formatter and one lexer
// lookup per language across every block of every page. The extension
// builds a formatter per block, and a new formatter compiles the whole
// style's CSS table again: at 10,000 posts that was 6 % of a build.
//
// Blocks it does not handle itself (an unknown language, attributes such as
// {hl_lines=[2]}, a lexer error) go to goldmark-highlighting's own renderer,
// so the output stays the extension's in every case.
type codeRenderer struct {
	fallback  renderer.NodeRendererFunc
	formatter *chromahtml.Formatter
	style     *chroma.Style
	lexers    sync.Map // language → chroma.Lexer, nil when chroma has none
}

// highlightOptions are the extension's options; the fast path below must
// match what they produce.
var highlightOptions = []highlighting.Option{
	highlighting.WithGuessLanguage(false),
	highlighting.WithFormatOptions(chromahtml.WithClasses(true)),
}

// The extension's default style: with classes it still decides which
// token types get a class.
const highlightStyle = "github"

func newCodeRenderer() *codeRenderer {
	var c capture
	highlighting.NewHTMLRenderer(highlightOptions...).RegisterFuncs(&c)
	if c.fenced == nil {
		// A property of the pinned module, checked by every test.
		panic("goldmark-highlighting registered no fenced code renderer")
	}
	return &codeRenderer{
		fallback:  c.fenced,
		formatter: chromahtml.New(chromahtml.WithClasses(true)),
		style:     styles.Get(highlightStyle),
	}
}

// capture takes goldmark-highlighting's render function for fenced code.
type capture struct{ fenced renderer.NodeRendererFunc }

func (c *capture) Register(kind ast.NodeKind, f renderer.NodeRendererFunc) {
	if kind == ast.KindFencedCodeBlock {
		c.fenced = f
	}
}

func (r *codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, r.render)
}

func (r *codeRenderer) lexer(lang string) chroma.Lexer {
	if l, ok := r.lexers.Load(lang); ok {
		lx, _ := l.(chroma.Lexer)
		return lx
	}
	var lx chroma.Lexer
	if found := lexers.Get(lang); found != nil {
		lx = found
		// A lexer the fast path cannot take (not a RegexLexer, or rules
		// that do not compile) is used as chroma gives it: its own
		// Tokenise reports any rule error, and the block falls back.
		if fast, err := newFastLexer(found); err == nil && fast != nil {
			lx = fast
		}
		lx = chroma.Coalesce(lx)
	}
	l, _ := r.lexers.LoadOrStore(lang, lx)
	lx, _ = l.(chroma.Lexer)
	return lx
}

func (r *codeRenderer) render(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.FencedCodeBlock)
	if !entering {
		return ast.WalkContinue, nil
	}
	if n.Info != nil && bytes.IndexByte(n.Info.Segment.Value(source), '{') >= 0 {
		return r.fallback(w, source, node, entering)
	}
	lang := n.Language(source)
	if lang == nil {
		return r.fallback(w, source, node, entering)
	}
	lx := r.lexer(string(lang))
	if lx == nil {
		return r.fallback(w, source, node, entering)
	}
	var code bytes.Buffer
	for i := range n.Lines().Len() {
		line := n.Lines().At(i)
		code.Write(line.Value(source))
	}
	it, err := lx.Tokenise(nil, code.String())
	if err != nil {
		return r.fallback(w, source, node, entering)
	}
	if err := r.formatter.Format(w, r.style, it); err != nil {
		return ast.WalkStop, err
	}
	return ast.WalkContinue, nil
}
