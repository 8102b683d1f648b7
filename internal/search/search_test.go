package search

import (
	"bufio"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// stemTable reads testdata/stems.txt, which the island's test reads too.
func stemTable(t *testing.T) [][2]string {
	t.Helper()
	f, err := os.Open("testdata/stems.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		w, s, ok := strings.Cut(text, " ")
		if !ok {
			t.Fatalf("testdata/stems.txt:%d: want \"word stem\", got %q", line, text)
		}
		out = append(out, [2]string{w, s})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 100 {
		t.Fatalf("only %d stems in the table", len(out))
	}
	return out
}

func TestStemTable(t *testing.T) {
	t.Parallel()
	for _, c := range stemTable(t) {
		if got := Stem(c[0]); got != c[1] {
			t.Errorf("Stem(%q) = %q, want %q", c[0], got, c[1])
		}
	}
}

func TestWords(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"The Proxmox VE cluster, and its K3s nodes!", []string{"proxmox", "ve", "cluster", "k3s", "nodes"}},
		{"don't a b cd", []string{"don", "cd"}},
		{"Ollama — café", []string{"ollama", "café"}},
		{strings.Repeat("x", 33) + " ok", []string{"ok"}},
	} {
		if got := Words(c.in); !slices.Equal(got, c.want) {
			t.Errorf("Words(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b      string
		max, want int
	}{
		{"ollama", "olama", 1, 1}, {"proxmox", "proxmix", 1, 1}, {"kitten", "sitting", 3, 3},
		{"kitten", "sitting", 2, 3}, {"kitten", "sitting", 1, 2}, {"abc", "abc", 2, 0}, {"abcdef", "ab", 2, 3},
	} {
		if got := EditDistance(c.a, c.b, c.max); got != c.want {
			t.Errorf("EditDistance(%q, %q, %d) = %d, want %d", c.a, c.b, c.max, got, c.want)
		}
	}
}

// sample is a small site: the ranking cases below are about it.
var sample = []Document{
	{URL: "/blog/gpu/", Title: "A GPU box for local models", Kind: "post", Date: "2026-01-02", Tags: []Tag{{"AI", "ai"}},
		Body: "The box runs ollama behind the tunnel. Models load from the NAS. ollama ollama ollama."},
	{URL: "/blog/ollama/", Title: "Ollama on Proxmox", Kind: "post", Date: "2026-02-01", Tags: []Tag{{"AI", "ai"}, {"Proxmox", "proxmox"}},
		Body: "Running models in an LXC container.", Headings: []string{"Passing the GPU through"}},
	{URL: "/notes/backups/", Title: "Backups that restore", Kind: "note", Date: "2026-03-01", Tags: []Tag{{"Storage", "storage"}},
		Body: "Proxmox Backup Server keeps nightly snapshots of every container; restores are tested weekly."},
	{URL: "/blog/tunnel/", Title: "Zero inbound ports", Kind: "post", Date: "2026-04-01", Tags: []Tag{{"Cloudflare", "cloudflare"}},
		Body: "cloudflared opens the tunnel outwards; configuration lives in git. Configuring it took an afternoon."},
	{URL: "/tags/proxmox/", Title: "Proxmox", Kind: "tag", Body: "Ollama on Proxmox"},
	{URL: "/architecture/#node-gpu", Title: "gpu-01", Kind: "lab", Body: "GPU server. Services: Ollama, Open WebUI."},
	{URL: "/architecture/#service-pbs", Title: "Proxmox Backup Server", Kind: "lab", Body: "Backups of every guest."},
}

func sampleReader(t *testing.T) (*Reader, Files) {
	t.Helper()
	var entries []Entry
	for _, d := range sample {
		entries = append(entries, Analyze(d))
	}
	files, err := Build(entries)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(filesGet(files))
	if err != nil {
		t.Fatal(err)
	}
	return r, files
}

func filesGet(files Files) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		b, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
		}
		return b, nil
	}
}

func TestRanking(t *testing.T) {
	t.Parallel()
	r, _ := sampleReader(t)
	for _, c := range []struct {
		name string
		q    Query
		want []string // URLs, best first
	}{
		// The title match beats four mentions in a body, which beat one;
		// the node that runs it and the tag page are found too (equal
		// scores: the later document first).
		{"title over body", Query{Text: "ollama"}, []string{"/blog/ollama/", "/blog/gpu/", "/architecture/#node-gpu", "/tags/proxmox/"}},
		// Stemming: "backup" finds "Backups" and "Backup".
		{"stemmed", Query{Text: "backup"}, []string{"/architecture/#service-pbs", "/notes/backups/"}},
		// Every word must match.
		{"and", Query{Text: "proxmox backups"}, []string{"/architecture/#service-pbs", "/notes/backups/"}},
		{"kind filter", Query{Text: "proxmox", Kind: "note"}, []string{"/notes/backups/"}},
		{"tag filter", Query{Text: "models", Tag: "proxmox"}, []string{"/blog/ollama/"}},
		// Titles first (the node's has the word in its body too), then a
		// heading.
		{"title, then heading", Query{Text: "gpu"}, []string{"/architecture/#node-gpu", "/blog/gpu/", "/blog/ollama/"}},
		{"heading over body", Query{Text: "passing"}, []string{"/blog/ollama/"}},
		// Typing: "prox" is on its way to proxmox; "configura" to configuration.
		{"prefix", Query{Text: "zero prox", Typing: true}, nil},
		{"prefix stem", Query{Text: "configura", Typing: true}, []string{"/blog/tunnel/"}},
		// Finished, "configura" is two edits from configur.
		{"typo, not prefix, when done", Query{Text: "configura"}, []string{"/blog/tunnel/"}},
		// Typos: one edit from five letters, two from nine.
		{"typo 1", Query{Text: "olama"}, []string{"/blog/ollama/", "/blog/gpu/", "/architecture/#node-gpu", "/tags/proxmox/"}},
		{"typo too short", Query{Text: "tunel"}, []string{"/blog/tunnel/", "/blog/gpu/"}},
		{"typo 2", Query{Text: "cloudflaerd"}, []string{"/blog/tunnel/"}},
		{"nothing", Query{Text: "kubernetes"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := r.Search(c.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range res.Hits {
				got = append(got, h.URL)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%+v: got %q, want %q", c.q, got, c.want)
			}
			if res.Total != len(c.want) {
				t.Errorf("total %d, want %d", res.Total, len(c.want))
			}
		})
	}
}

// TestFetchesOnlyWhatItNeeds: a query reads the shards of its terms and
// the document shards of its hits, not the whole index.
func TestFetchesOnlyWhatItNeeds(t *testing.T) {
	t.Parallel()
	var docs []Entry
	for i := range 2000 {
		docs = append(docs, Analyze(Document{URL: fmt.Sprintf("/blog/p%d/", i), Title: fmt.Sprintf("Post %d about w%dx", i, i%300), Kind: "post",
			Body: fmt.Sprintf("common words here and term%d and topic%d", i, i%37)}))
	}
	files, err := Build(docs)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(filesGet(files))
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Search(Query{Text: "topic5 common"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 54 { // i%37 == 5 for i < 2000
		t.Errorf("total %d", res.Total)
	}
	var termFiles int
	for _, f := range r.Fetched() {
		if strings.HasPrefix(f, "t/") {
			termFiles++
		}
	}
	if termFiles > 2 || len(r.Fetched()) > 12 {
		t.Errorf("fetched %d files of %d: %q", len(r.Fetched()), len(files), r.Fetched())
	}
	if len(files) < 50 {
		t.Errorf("only %d files: the index is not chunked", len(files))
	}
}

// TestEditTouchesFewFiles: editing a word of one page changes the shard
// of that word, the page's document shard and meta.json, and nothing
// else; adding a page at the end leaves earlier document shards alone.
func TestEditTouchesFewFiles(t *testing.T) {
	t.Parallel()
	var docs []Document
	for i := range 500 {
		docs = append(docs, Document{URL: fmt.Sprintf("/blog/p%d/", i), Title: fmt.Sprintf("Post %d", i), Kind: "post",
			Body: fmt.Sprintf("alpha%d beta%d gamma%d delta%d words shared by all", i, i%7, i%11, i%13)})
	}
	build := func(docs []Document) Files {
		var es []Entry
		for _, d := range docs {
			es = append(es, Analyze(d))
		}
		f, err := Build(es)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	before := build(docs)
	again := build(docs)
	if !maps.EqualFunc(before, again, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatal("two builds of the same documents differ")
	}
	edited := slices.Clone(docs)
	edited[250].Body = strings.Replace(edited[250].Body, "alpha250", "zulu", 1)
	after := build(edited)
	changed := changedFiles(before, after)
	slices.Sort(changed)
	// The shards of the word lost and the word gained, their typo lists,
	// the page's document shard and meta.json.
	want := []string{"d/12.json", "meta.json", shardOf(t, before, "alpha250"), shardOf(t, after, "zulu"), "w/a.json", "w/z.json"}
	slices.Sort(want)
	want = slices.Compact(want)
	if !slices.Equal(changed, want) {
		t.Errorf("a one-word edit changed %q of %d files, want %q", changed, len(before), want)
	}
	added := append(slices.Clone(docs), Document{URL: "/blog/new/", Title: "New", Kind: "post", Body: "alpha9999 words"})
	for _, name := range changedFiles(before, build(added)) {
		if strings.HasPrefix(name, "d/") && name != "d/24.json" && name != "d/25.json" {
			t.Errorf("adding a page at the end changed %s", name)
		}
	}
}

// shardOf names the term shard that holds term.
func shardOf(t *testing.T, files Files, term string) string {
	t.Helper()
	r, err := Open(filesGet(files))
	if err != nil {
		t.Fatal(err)
	}
	i := r.shardFor(term)
	if p, _ := r.postings(term); i < 0 || len(p) == 0 {
		t.Fatalf("no shard holds %q", term)
	}
	return "t/" + fileKey(r.meta.Terms[i][0]) + ".json"
}

func changedFiles(a, b Files) []string {
	var out []string
	for name, data := range b {
		if string(a[name]) != string(data) {
			out = append(out, name)
		}
	}
	for name := range a {
		if _, ok := b[name]; !ok {
			out = append(out, name)
		}
	}
	return out
}

// TestEachWordIsWords: the builder's allocation-free word loop gives
// exactly Words.
func TestEachWordIsWords(t *testing.T) {
	t.Parallel()
	for _, text := range []string{"The Proxmox VE cluster, and its K3s nodes!", "don't a b cd", "Ollama — Café ÉTÉ x", strings.Repeat("y", 33) + " ok  ", "", "ÅÄÖ abc"} {
		var got []string
		eachWord(text, nil, func(w []byte) { got = append(got, string(w)) })
		if want := Words(text); !slices.Equal(got, want) {
			t.Errorf("eachWord(%q) = %q, Words %q", text, got, want)
		}
	}
}

// The excerpt folds whitespace and cuts at a word; it reads only the
// start of the body, and must give what folding the whole body gives.
func TestExcerpt(t *testing.T) {
	long := strings.Repeat("proxmox  backup\n\tnode ", 100)
	naive := func(body string) string {
		s := strings.Join(strings.Fields(body), " ")
		if len(s) <= ExcerptChars {
			return s
		}
		cut := strings.LastIndexByte(s[:ExcerptChars], ' ')
		return s[:cut] + " …"
	}
	for _, tc := range []struct{ name, body, want string }{
		{"empty", "", ""},
		{"spaces only", " \n\t ", ""},
		{"short, folded", "  a\n\nb\t c  ", "a b c"},
		{"exactly the limit", strings.Repeat("x", ExcerptChars), strings.Repeat("x", ExcerptChars)},
		{"the limit, then a word", strings.Repeat("x", ExcerptChars) + " more", strings.Repeat("x", ExcerptChars) + " …"},
		{"one byte over, one word", strings.Repeat("x", ExcerptChars+1), strings.Repeat("x", ExcerptChars) + " …"},
		{"long, cut at a word", long, naive(long)},
		{"multibyte at the cut", strings.Repeat("é", ExcerptChars), strings.Repeat("é", ExcerptChars/2) + " …"},
	} {
		if got := excerpt(tc.body); got != tc.want {
			t.Errorf("%s: excerpt = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := excerpt(long); !strings.HasPrefix(got, "proxmox backup node proxmox") || len(got) > ExcerptChars+len(" …") {
		t.Errorf("long excerpt %q", got)
	}
}
