package markdown

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"
)

// chromaTestdata is chroma's own corpus of lexer inputs, one file per
// lexer, from the module cache.
func chromaTestdata(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/alecthomas/chroma/v2").Output()
	if err != nil {
		t.Fatalf("go list chroma: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "lexers", "testdata")
}

func tokens(t testing.TB, lx chroma.Lexer, text string) []chroma.Token {
	t.Helper()
	it, err := lx.Tokenise(nil, text)
	if err != nil {
		t.Fatalf("%s: %v", lx.Config().Name, err)
	}
	return it.Tokens()
}

// TestFastLexerMatchesChroma runs chroma's lexer test inputs through each
// lexer and through fastLexer over the same rules: the token streams must
// be identical, token for token (before coalescing).
func TestFastLexerMatchesChroma(t *testing.T) {
	dir := chromaTestdata(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.actual"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("only %d chroma test inputs in %s", len(files), dir)
	}
	compared := 0
	for _, file := range files {
		name := strings.Split(strings.TrimSuffix(filepath.Base(file), ".actual"), ".")[0]
		lx := lexers.Get(name)
		if lx == nil {
			continue
		}
		fast, err := newFastLexer(lx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fast == nil {
			continue // not a RegexLexer: used as it is
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			want := tokens(t, lx, string(data))
			got := tokens(t, fast, string(data))
			if i := firstDifference(want, got); i >= 0 {
				t.Errorf("token %d differs (of %d/%d):\n got %v\nwant %v", i, len(got), len(want), at(got, i), at(want, i))
			}
		})
		compared++
	}
	if compared < 100 {
		t.Fatalf("compared only %d lexers", compared)
	}
}

func firstDifference(a, b []chroma.Token) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func at(ts []chroma.Token, i int) any {
	if i < len(ts) {
		return ts[i]
	}
	return "(end)"
}

// FuzzFastLexer: for any text, the fast Go, YAML, shell and Python lexers
// give chroma's tokens.
func FuzzFastLexer(f *testing.F) {
	for _, s := range []string{
		"func handler(w http.ResponseWriter) {\n\treturn\n}\n",
		"key: value # comment\nlist: [a, b]\n",
		"echo \"$HOME\" && ls -la\r\n",
		"def f():\n    return 'x'\n",
		"`raw {{.X}}`\n/* c */ 0x1F 1.5e3i",
		"é ü 日本",
	} {
		f.Add(s)
	}
	type pair struct{ ref, fast chroma.Lexer }
	var pairs []pair
	for _, name := range []string{"go", "yaml", "bash", "python"} {
		lx := lexers.Get(name)
		fast, err := newFastLexer(lx)
		if err != nil || fast == nil {
			f.Fatalf("%s: no fast lexer (%v)", name, err)
		}
		pairs = append(pairs, pair{lx, fast})
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, p := range pairs {
			want := tokens(t, p.ref, text)
			got := tokens(t, p.fast, text)
			if !slices.Equal(want, got) {
				t.Fatalf("%s: tokens differ for %q", p.ref.Config().Name, text)
			}
		}
	})
}

func BenchmarkLexGo(b *testing.B) {
	const code = "func handler(w http.ResponseWriter, r *http.Request) {\n\tif err := serve(w, r); err != nil {\n\t\thttp.Error(w, err.Error(), 500)\n\t}\n}\n"
	chromaGo := lexers.Get("go")
	fast, err := newFastLexer(chromaGo)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		lx   chroma.Lexer
	}{{"chroma", chromaGo}, {"fast", fast}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				tokens(b, bc.lx, code)
			}
		})
	}
}
