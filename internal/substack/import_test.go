package substack

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/lab"
)

var now = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

const seedFile = "testdata/seed-homelab-architecture.txt"

// readTree returns every file under dir/content/substack and
// dir/content/notes with its bytes.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, sub := range []string{"substack", "notes"} {
		entries, err := os.ReadDir(filepath.Join(dir, "content", sub))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(dir, "content", sub, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out[sub+"/"+e.Name()] = string(data)
		}
	}
	return out
}

func importFile(t *testing.T, src, file string, opts ImportOptions) []Result {
	t.Helper()
	opts.Now = now
	res, err := ImportFile(context.Background(), src, file, opts)
	if err != nil {
		t.Fatalf("import %s: %v", file, err)
	}
	return res
}

func actions(res []Result) []string {
	var out []string
	for _, r := range res {
		out = append(out, r.Action+" "+r.Article.Slug)
	}
	return out
}

// TestImportGolden imports the export (everything), the feed and the
// seed into a test site and compares each inbox file, front matter and
// Markdown, with testdata/golden/.
func TestImportGolden(t *testing.T) {
	src := testSite(t)
	importFile(t, src, exportZip, ImportOptions{Drafts: true, Paid: true})
	importFile(t, src, "testdata/feed.xml", ImportOptions{})
	importFile(t, src, seedFile, ImportOptions{})
	files := readTree(t, src)
	if len(files) != 8 {
		t.Errorf("got %d inbox files, want 5 from the export, 2 from the feed and the seed: %v", len(files), slices.Sorted(mapKeys(files)))
	}
	for name, data := range files {
		golden(t, strings.TrimPrefix(name, "substack/"), []byte(data))
	}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestImportSkipsDraftsAndPaidUnlessAsked(t *testing.T) {
	src := testSite(t)
	res := importFile(t, src, exportZip, ImportOptions{})
	want := []string{
		"new zero-inbound-ports-with-cloudflare-tunnel",
		"skipped notes-on-backups-draft",
		"skipped prometheus-alerting-that-wakes-me-for-the-right-things",
		"new homelab-radio-episode-1",
		"new why-i-write-about-my-homelab",
	}
	if got := actions(res); !slices.Equal(got, want) {
		t.Errorf("actions = %q, want %q", got, want)
	}
	if !strings.Contains(res[1].Note, "--drafts") || !strings.Contains(res[2].Note, "--paid") {
		t.Errorf("skips must say which flag imports them: %q, %q", res[1].Note, res[2].Note)
	}
	if !strings.Contains(res[3].Note, "podcast") || !strings.Contains(res[3].Line(), "podcast") {
		t.Errorf("the podcast must be noted: %q", res[3].Line())
	}
	res = importFile(t, src, exportZip, ImportOptions{Drafts: true, Paid: true})
	want = []string{
		"unchanged zero-inbound-ports-with-cloudflare-tunnel",
		"new notes-on-backups-draft",
		"new prometheus-alerting-that-wakes-me-for-the-right-things",
		"unchanged homelab-radio-episode-1",
		"unchanged why-i-write-about-my-homelab",
	}
	if got := actions(res); !slices.Equal(got, want) {
		t.Errorf("with --drafts --paid: actions = %q, want %q", got, want)
	}
	draft := readTree(t, src)["substack/2026-11-25-notes-on-backups-draft.md"]
	if !strings.Contains(draft, "date: 2026-11-25\n") {
		t.Errorf("an undated draft takes today's date:\n%s", draft)
	}
}

// TestImportIsIdempotent: importing the same sources again changes no
// byte and adds no file.
func TestImportIsIdempotent(t *testing.T) {
	src := testSite(t)
	sources := []string{exportZip, "testdata/feed.xml", seedFile}
	for _, f := range sources {
		importFile(t, src, f, ImportOptions{Drafts: true, Paid: true})
	}
	before := readTree(t, src)
	for _, f := range sources {
		for _, r := range importFile(t, src, f, ImportOptions{Drafts: true, Paid: true}) {
			if r.Action != ActionUnchanged {
				t.Errorf("second import of %s: %s", f, r.Line())
			}
		}
	}
	after := readTree(t, src)
	if len(after) != len(before) {
		t.Errorf("second import changed the file count from %d to %d", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("second import changed %s", k)
		}
	}
}

// TestReimportUpdatesByID: a post whose title, date and slug changed on
// Substack keeps one inbox file, renamed, found by its Substack id.
func TestReimportUpdatesByID(t *testing.T) {
	src := testSite(t)
	importFile(t, src, exportZip, ImportOptions{})
	dir := t.TempDir()
	sitetestCopy(t, exportDir, dir)
	csvPath := filepath.Join(dir, "posts.csv")
	csv, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(csv), "180000005.why-i-write-about-my-homelab,2026-01-10", "180000005.why-i-keep-writing,2026-01-11", 1)
	edited = strings.Replace(edited, "Why I write about my homelab,", "Why I keep writing,", 1)
	if err := os.WriteFile(csvPath, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "posts", "180000005.why-i-write-about-my-homelab.html"), filepath.Join(dir, "posts", "180000005.why-i-keep-writing.html")); err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(t.TempDir(), "export.zip")
	if err := os.WriteFile(zipPath, buildZip(t, dir), 0o644); err != nil {
		t.Fatal(err)
	}
	res := importFile(t, src, zipPath, ImportOptions{})
	if got := res[4].Action; got != ActionUpdated {
		t.Errorf("renamed post: %s, want updated", res[4].Line())
	}
	files := readTree(t, src)
	if _, ok := files["substack/2026-01-10-why-i-write-about-my-homelab.md"]; ok {
		t.Error("the old inbox file must go when the post's slug changes")
	}
	if f := files["substack/2026-01-11-why-i-keep-writing.md"]; !strings.Contains(f, "title: Why I keep writing\n") || !strings.Contains(f, `substack_id: "180000005"`) {
		t.Errorf("renamed inbox file:\n%s", f)
	}
	if len(files) != 3 {
		t.Errorf("%d inbox files, want 3: %v", len(files), slices.Sorted(mapKeys(files)))
	}
}

func sitetestCopy(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSeedAnalysis(t *testing.T) {
	data, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ReadPipeline(data, seedFile, Options{Publication: "https://example.substack.com"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Title != "From Cron Spaghetti to Container Orchestra" || a.Subtitle != "On the moment a homelab becomes a platform" ||
		a.Date.Format(time.DateOnly) != "2026-02-19" || a.URL != "https://example.substack.com/p/from-cron-spaghetti-to-container-orchestra" {
		t.Errorf("header: %q / %q / %s / %s", a.Title, a.Subtitle, a.Date, a.URL)
	}
	p := a.Pipeline
	if p.Structure != "Method · Architecture" || p.SourceAnchor != "content-pipeline/substack/2026-02-19-homelab-architecture.md" ||
		!strings.HasPrefix(p.Decision, "Promote into a technical note") || p.Source != "Technical Snippet" {
		t.Errorf("pipeline record: %+v", p)
	}
	if strings.Contains(a.Body, "Promotion Decision") || strings.Contains(a.Body, "Generated:") {
		t.Errorf("the pipeline's fields leaked into the body:\n%s", a.Body)
	}
	l, err := lab.Load("testdata/site/content/lab.yaml", "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	an := Analyze(a, NewIndex(l))
	if got := an.StructureText(); got != "Method · Architecture" {
		t.Errorf("structure = %q, want the pipeline's Method · Architecture; sections: %+v", got, an.Sections)
	}
	found := map[string]bool{}
	for _, x := range an.Anchors {
		found[x.Name] = true
		if x.Count < 1 || !strings.HasPrefix(x.URL, "/architecture/#") {
			t.Errorf("anchor %+v", x)
		}
	}
	for _, want := range []string{"K3s", "Prefect", "Tailscale", "Prometheus", "Postgres", "Ollama"} {
		if !found[want] {
			t.Errorf("anchor %s not found; anchors: %+v", want, an.Anchors)
		}
	}
	if an.Decision != DecisionNote && an.Decision != DecisionPaper {
		t.Errorf("decision = %q (%q), want a promotion as the pipeline decided", an.Decision, an.Reasons)
	}

	// Without those services in the lab, the same article is not yet
	// note material: the decision follows the lab, not the text alone.
	bare, err := lab.Parse([]byte("sites: [{id: home, name: Home}]\nnodes: [{id: box, name: box, type: hypervisor, site: home}]\nlinks: []\n"), "bare.yaml")
	if err != nil {
		t.Fatal(err)
	}
	an = Analyze(a, NewIndex(bare))
	if an.Decision != DecisionNotYet || len(an.Anchors) != 0 {
		t.Errorf("with a lab that has none of its services: %q, anchors %+v", an.Decision, an.Anchors)
	}
}

func TestAnchorMatching(t *testing.T) {
	l, err := lab.Load("testdata/site/content/lab.yaml", "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ix := NewIndex(l)
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"K3s, k3s and K3S", []string{"K3s", "K3s", "K3s"}},
		{"k3s-srv runs K3s", []string{"k3s-srv", "K3s"}},
		{"K3sX and XK3s are not K3s", []string{"K3s"}},
		{"the Kronos\nNAS at Kronos", []string{"Kronos NAS", "Kronos"}},
		{"lindqvist-family-nas and vault stay private", nil},
		{"Kubernetes, kubernetes and PostgreSQL", []string{"Kubernetes", "PostgreSQL"}},
		{"custom metrics in Go", nil},
		{"Python runs Prefect", []string{"Python", "Prefect"}},
	} {
		var got []string
		for _, m := range ix.find(tc.text) {
			got = append(got, ix.entries[m.entry].Name)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("find(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	if a, ok := ix.Lookup(KindTechnology, "python"); !ok || a.URL != "/architecture/#services-title" {
		t.Errorf("a technology of several services links to the service list: %+v", a)
	}
	if a, ok := ix.Lookup(KindNode, "kronos-nas"); !ok || a.URL != "/architecture/#node-kronos-nas" || a.Name != "Kronos NAS" {
		t.Errorf("aliased node: %+v", a)
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badCSV := filepath.Join(dir, "bad.zip")
	src := filepath.Join(dir, "bad")
	if err := os.MkdirAll(filepath.Join(src, "posts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "posts.csv"), []byte("post_id,post_date,is_published,type,audience,title\n1.ok,2026-01-01T00:00:00Z,true,newsletter,everyone,OK\nnot-an-id,2026-01-01T00:00:00Z,yes,newsletter,everyone,Bad\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "posts", "1.ok.html"), []byte("<p>ok</p>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(badCSV, buildZip(t, src), 0o644); err != nil {
		t.Fatal(err)
	}
	noCols := filepath.Join(dir, "nocols.zip")
	if err := os.WriteFile(filepath.Join(src, "posts.csv"), []byte("id,title\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(noCols, buildZip(t, src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		{"bad rows", badCSV, []string{badCSV + ": posts.csv:3: post_id: \"not-an-id\" is not a Substack post id", badCSV + ": posts.csv:3: is_published: expected true or false"}},
		{"missing columns", noCols, []string{noCols + ": posts.csv:1: post_id: missing column"}},
		{"not a zip", write("x.zip", "hello"), []string{"not a readable zip archive"}},
		{"not rss", write("atom.xml", "<?xml version=\"1.0\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"></feed>"), []string{"atom.xml:2: this is an Atom feed"}},
		{"broken xml", write("broken.xml", "<rss>\n<channel>\n<item><title>x</item>"), []string{"broken.xml:3: invalid XML"}},
		{"feed item without link", write("nolink.xml", "<rss><channel>\n<item><title>T</title><pubDate>Sun, 15 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>"), []string{"nolink.xml:2: item: link:"}},
		{"pipeline without header", write("p1.txt", "Just text\n"), []string{`p1.txt: no "# " line`}},
		{"pipeline without date", write("p2.md", "# Name\nSource: X\n---\nTitle\n---\nBody\n"), []string{"p2.md:1: Generated: required"}},
		{"pipeline bad date", write("p3.md", "# Name\nGenerated: Tuesday\n---\nTitle\n---\nBody\n"), []string{`p3.md:2: Generated: "Tuesday" does not start with a date`}},
		{"pipeline trailer junk", write("p4.md", "# Name\nGenerated: 2026-01-01\n---\nTitle\n---\nBody\n---\nSource Anchor\nx.md\nstray line\nDetected Structure\n"), []string{"p4.md:10: unexpected line", "p4.md:11: structure: has no value"}},
		{"unknown type", write("x.docx", ""), []string{"not a Substack export"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.file, Options{Publication: "https://example.substack.com"})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if l, ok := diag.As(err); ok {
				msg = l.Error()
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
		})
	}
}

func TestImportNeedsPublicationForExports(t *testing.T) {
	src := testSite(t)
	if err := os.WriteFile(filepath.Join(src, "content", "site.yaml"), []byte("title: T\nbase_url: https://lab.test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ImportFile(context.Background(), src, exportZip, ImportOptions{Now: now})
	if err == nil || !strings.Contains(err.Error(), "content/site.yaml: substack: required") {
		t.Errorf("err = %v", err)
	}
	// A feed carries its own links and needs no publication URL.
	if _, err := ImportFile(context.Background(), src, "testdata/feed.xml", ImportOptions{Now: now}); err != nil {
		t.Errorf("feed import without site.yaml substack: %v", err)
	}
}
