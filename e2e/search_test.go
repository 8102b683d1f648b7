package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/evanw/esbuild/pkg/api"

	"github.com/labfront/labfront/internal/search"
)

// goSearch answers a query with internal/search's Reader over the built
// index: what the island must show, in the same order.
func goSearch(t *testing.T, dist string, q search.Query) []string {
	t.Helper()
	r, err := search.Open(func(name string) ([]byte, error) {
		return os.ReadFile(filepath.Join(dist, "search", filepath.FromSlash(name)))
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Search(q)
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, h := range res.Hits {
		urls = append(urls, h.URL)
	}
	return urls
}

func shownResults(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return js[[]string](t, ctx, `[...document.querySelectorAll('#search-results li a')].map(a => a.getAttribute('href'))`)
}

// TestSearchTyping: typing a query shows highlighted results, the same
// ones in the same order as the Go reader, announces their number, and the
// keyboard moves through them and opens one.
func TestSearchTyping(t *testing.T) {
	dist := buildExample(t)
	srv := pagesServer(t, dist)
	ctx := browser(t)
	console := watchConsole(ctx)
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/search/"),
		chromedp.WaitVisible(chromedp.CSS("#search-q")),
		chromedp.Click(chromedp.CSS("#search-q")),
		chromedp.SendKeys(chromedp.CSS("#search-q"), "proxmox back"),
	)
	waitJS(t, ctx, `document.getElementById('search-status').textContent.includes('“proxmox back”')`, "results for the typed query")
	got := shownResults(t, ctx)
	want := goSearch(t, dist, search.Query{Text: "proxmox back", Typing: true})
	if len(got) == 0 || !slices.Equal(got, want) {
		t.Fatalf("island shows %q, Go reader %q", got, want)
	}
	marks := js[[]string](t, ctx, `[...document.querySelectorAll('#search-results mark')].map(m => m.textContent.toLowerCase())`)
	if !slices.ContainsFunc(marks, func(m string) bool { return strings.HasPrefix(m, "back") }) || !slices.Contains(marks, "proxmox") {
		t.Errorf("highlighted %q, want proxmox and back… marked", marks)
	}
	status := js[string](t, ctx, `document.getElementById('search-status').textContent`)
	if !strings.Contains(status, "result") || js[string](t, ctx, `document.getElementById('search-status').getAttribute('aria-live')`) != "polite" {
		t.Errorf("live region says %q", status)
	}
	if u := js[string](t, ctx, `location.search`); u != "?q=proxmox+back" {
		t.Errorf("the URL is %q: it should share the query", u)
	}

	// ↓ to the first result, ↓ to the second, ↑ ↑ back to the box, then
	// ↓ and Enter opens the first.
	active := func() string {
		return js[string](t, ctx, `document.activeElement.id || document.activeElement.getAttribute('href') || ''`)
	}
	do(t, ctx, chromedp.KeyEvent(kb.ArrowDown))
	if a := active(); a != got[0] {
		t.Fatalf("↓ from the box focused %q, want %q", a, got[0])
	}
	if len(got) > 1 {
		do(t, ctx, chromedp.KeyEvent(kb.ArrowDown))
		if a := active(); a != got[1] {
			t.Errorf("↓ focused %q, want %q", a, got[1])
		}
		do(t, ctx, chromedp.KeyEvent(kb.ArrowUp))
	}
	do(t, ctx, chromedp.KeyEvent(kb.ArrowUp))
	if a := active(); a != "search-q" {
		t.Errorf("↑ from the first result focused %q, want the box", a)
	}
	do(t, ctx, chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter))
	waitJS(t, ctx, `location.pathname + location.hash === `+jsString(got[0]), "the first result to open")
	console.check(t)
}

// TestSearchQueryOnLoad: /search/?q=… with filters is a shareable URL
// that shows its results on load, filtered, and the / shortcut on any page
// focuses the header's box, whose form leads there.
func TestSearchQueryOnLoad(t *testing.T) {
	dist := buildExample(t)
	srv := pagesServer(t, dist)
	ctx := browser(t)
	console := watchConsole(ctx)
	do(t, ctx, chromedp.Navigate(srv.URL+"/search/?q=cloudflare&kind=post"), chromedp.WaitVisible(chromedp.CSS("#search-q")))
	waitJS(t, ctx, `document.querySelectorAll('#search-results li').length > 0`, "results on load")
	got := shownResults(t, ctx)
	if want := goSearch(t, dist, search.Query{Text: "cloudflare", Kind: "post"}); !slices.Equal(got, want) {
		t.Errorf("?q=cloudflare&kind=post shows %q, Go reader %q", got, want)
	}
	for _, u := range got {
		if !strings.HasPrefix(u, "/blog/") {
			t.Errorf("kind=post shows %s", u)
		}
	}
	if v := js[string](t, ctx, `document.getElementById('search-kind').value + ' ' + document.getElementById('search-q').value`); v != "post cloudflare" {
		t.Errorf("the form shows %q, want the URL's query", v)
	}

	do(t, ctx, chromedp.Navigate(srv.URL+"/blog/"), chromedp.WaitVisible(chromedp.CSS("#site-search-q")))
	do(t, ctx, chromedp.KeyEvent("/"))
	if a := js[string](t, ctx, `document.activeElement.id`); a != "site-search-q" {
		t.Fatalf("/ focused %q, want the header's search box", a)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#site-search-q"), "tunnel"+kb.Enter))
	waitJS(t, ctx, `location.pathname === '/search/' && document.querySelectorAll('#search-results li').length > 0`, "the header search to show results")
	if got, want := shownResults(t, ctx), goSearch(t, dist, search.Query{Text: "tunnel"}); !slices.Equal(got, want) {
		t.Errorf("header search shows %q, Go reader %q", got, want)
	}
	console.check(t)
}

// TestSearchWithoutJavaScript: the page is a working GET form that says
// results need JavaScript.
func TestSearchWithoutJavaScript(t *testing.T) {
	srv := pagesServer(t, buildExample(t))
	ctx := browser(t)
	disableScripts(t, ctx)
	do(t, ctx, chromedp.Navigate(srv.URL+"/search/?q=ollama"), chromedp.WaitVisible(chromedp.CSS("#search-q")))
	if help := js[string](t, ctx, `document.getElementById('search-help').textContent`); !strings.Contains(help, "needs JavaScript") {
		t.Errorf("without JavaScript the page says %q", help)
	}
	if n := js[int](t, ctx, `document.querySelectorAll('#search-results li').length`); n != 0 {
		t.Errorf("%d results without JavaScript", n)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#search-q"), "backup"))
	// Submitting navigates, which ends the key action early: its error
	// says so, and the new location is what counts.
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil && !strings.Contains(err.Error(), "navigated") {
		t.Fatal(err)
	}
	waitJS(t, ctx, `location.pathname === '/search/' && new URLSearchParams(location.search).get('q') === 'backup'`, "the form to submit as GET")
}

// TestIslandMatchesGo runs the island's own stem() over the stemming
// table and its Index over a set of queries, in Chromium, against
// internal/search: the two implementations must agree exactly.
func TestIslandMatchesGo(t *testing.T) {
	dist := buildExample(t)
	srv := pagesServer(t, dist)
	src, err := os.ReadFile("../web/ts/search.ts")
	if err != nil {
		t.Fatal(err)
	}
	res := api.Build(api.BuildOptions{
		Stdin:      &api.StdinOptions{Contents: string(src), Sourcefile: "search.ts", Loader: api.LoaderTS},
		Bundle:     true,
		Format:     api.FormatIIFE,
		GlobalName: "labsearch",
		Target:     api.ES2020,
	})
	if len(res.Errors) > 0 || len(res.OutputFiles) != 1 {
		t.Fatalf("bundle: %v", res.Errors)
	}
	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(srv.URL+"/404.html"), chromedp.WaitReady(chromedp.CSS("main")))
	js[any](t, ctx, string(res.OutputFiles[0].Contents)+";0")

	f, err := os.Open("../internal/search/testdata/stems.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var words []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if w, _, ok := strings.Cut(sc.Text(), " "); ok && !strings.HasPrefix(w, "#") {
			words = append(words, w)
		}
	}
	// Every word of the example's posts too, for cases the table lacks.
	for _, name := range []string{"../content/posts", "../content/notes"} {
		err := filepath.WalkDir(name, func(p string, d os.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(p, ".md") {
				b, rerr := os.ReadFile(p)
				if rerr != nil {
					return rerr
				}
				words = append(words, search.Words(string(b))...)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(words)
	words = slices.Compact(words)
	in, err := json.Marshal(words)
	if err != nil {
		t.Fatal(err)
	}
	stems := js[[]string](t, ctx, `(`+string(in)+`).map(w => labsearch.stem(w))`)
	for i, w := range words {
		if want := search.Stem(w); stems[i] != want {
			t.Errorf("island stem(%q) = %q, Go %q", w, stems[i], want)
		}
	}
	if len(words) < 500 {
		t.Errorf("only %d words compared", len(words))
	}
	for _, q := range []search.Query{
		{Text: "ollama"}, {Text: "proxmox backups"}, {Text: "prox", Typing: true}, {Text: "configura", Typing: true},
		{Text: "tailscal mesh"}, {Text: "cloudflared tunnel", Kind: "note"}, {Text: "prometheus", Tag: "observability"},
		{Text: "promethues"}, {Text: "the gpu"}, {Text: "k3s"}, {Text: "nothingmatcheshere"},
	} {
		arg, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		got := get(t, ctx, chromedp.Evaluate[[]string](`(async () => { const q = `+string(arg)+`; const ix = new labsearch.Index('/search/'); await ix.open();
			const r = await ix.search(q.Text, q.Typing, q.Kind, q.Tag, 10); return r.hits.map(h => h.doc[0]); })()`, chromedp.EvalAwaitPromise))
		if want := goSearch(t, dist, q); !slices.Equal(got, want) {
			t.Errorf("%+v: island %q, Go %q", q, got, want)
		}
	}
}
