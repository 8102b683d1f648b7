package substack

import (
	"archive/zip"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/importlimit"
)

const csvHeader = "post_id,post_date,is_published,type,audience,title\n"

// entry is one file of a test export, written streaming: body writes the
// entry's bytes to w so that a 60 MiB entry is never in memory.
type entry struct {
	name string
	body func(w io.Writer) error
}

func literal(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// repeated writes n bytes made of chunk over and over.
func repeated(chunk string, n int) func(io.Writer) error {
	return func(w io.Writer) error {
		block := strings.Repeat(chunk, max(1, (64<<10)/len(chunk)))
		for n > 0 {
			k := min(n, len(block))
			if _, err := io.WriteString(w, block[:k]); err != nil {
				return err
			}
			n -= k
		}
		return nil
	}
}

// rows writes posts.csv with the header and n rows made by row(i).
func rows(n int, row func(i int) string) func(io.Writer) error {
	return func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		if _, err := bw.WriteString(csvHeader); err != nil {
			return err
		}
		for i := range n {
			if _, err := bw.WriteString(row(i) + "\n"); err != nil {
				return err
			}
		}
		return bw.Flush()
	}
}

// writeExport streams a zip of entries into dir/export.zip.
func writeExport(t *testing.T, dir string, entries ...entry) string {
	t.Helper()
	path := filepath.Join(dir, "export.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.body(w); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(zw.Close(), f.Close()); err != nil {
		t.Fatal(err)
	}
	return path
}

// inboxFiles lists everything under content/substack, hidden files and
// staging folders included: a refused import must leave none of its own.
func inboxFiles(t *testing.T, src string) []string {
	t.Helper()
	var out []string
	root := filepath.Join(src, "content", InboxDir)
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if p != root {
			out = append(out, strings.TrimPrefix(p, root+string(filepath.Separator)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func errText(err error) string {
	if l, ok := diag.As(err); ok {
		return l.Error()
	}
	return err.Error()
}

func published(i int) string {
	return fmt.Sprintf("%d.post-%d,2026-01-%02dT08:00:00.000Z,true,newsletter,everyone,Post %d", 100+i, i, 1+i%28, i)
}

func draft(i int) string {
	return fmt.Sprintf("%d.draft-%d,,false,newsletter,everyone,Draft %d", 100+i, i, i)
}

// TestImportBombsAreRefused builds the red team's archives in the test and
// checks each is refused with a message naming the file (and the csv line
// or entry), and that no inbox file — not even a staged one — is left.
// An import is all or nothing: everything is staged and moved into place
// only at the end, so a refusal found at the last article writes nothing.
func TestImportBombsAreRefused(t *testing.T) {
	small := importlimit.Default()
	small.ArchiveBytes = 1 << 20
	small.ArticleBytes = 512 << 10
	for _, tc := range []struct {
		name    string
		entries []entry
		opts    ImportOptions
		want    string
	}{
		{"one 60 MiB entry named 20 times", []entry{
			{"posts.csv", rows(20, func(int) string { return "1.big,2026-01-01T08:00:00.000Z,true,newsletter,everyone,Big" })},
			{"posts/1.big.html", repeated("\x00", 60<<20)},
		}, ImportOptions{}, `export.zip: posts.csv:3: post_id: "1.big" is listed again (first on line 2)`},
		{"one 60 MiB entry", []entry{
			{"posts.csv", rows(1, func(int) string { return "1.big,2026-01-01T08:00:00.000Z,true,newsletter,everyone,Big" })},
			{"posts/1.big.html", repeated("\x00", 60<<20)},
		}, ImportOptions{}, "export.zip: posts/1.big.html: larger than 8 MiB"},
		{"the archive decompresses past the limit", []entry{
			{"posts.csv", rows(3, published)},
			{"posts/100.post-0.html", repeated("<p>words and more words</p>", 400<<10)},
			{"posts/101.post-1.html", repeated("<p>words and more words</p>", 400<<10)},
			{"posts/102.post-2.html", repeated("<p>words and more words</p>", 400<<10)},
		}, ImportOptions{Limits: small}, "export.zip: posts/102.post-2.html: the archive holds more than 1 MiB once decompressed"},
		{"more rows than an import takes", []entry{
			{"posts.csv", rows(50_001, draft)},
		}, ImportOptions{}, "export.zip: posts.csv:50002: more than 50000 rows"},
		{"a posts.csv past its limit", []entry{
			{"posts.csv", rows(30_000, func(i int) string { return draft(i) + strings.Repeat("x", 3000) })},
		}, ImportOptions{}, "export.zip: posts.csv: larger than 64 MiB"},
		{"more files than an import writes", []entry{
			{"posts.csv", rows(10_001, draft)},
		}, ImportOptions{Drafts: true}, "10001 articles to write is more than one import writes (limit 10000); nothing was written"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := testSite(t)
			file := writeExport(t, t.TempDir(), tc.entries...)
			tc.opts.Now = now
			res, err := ImportFile(context.Background(), src, file, tc.opts)
			if err == nil {
				t.Fatalf("imported %d results, want a refusal", len(res))
			}
			if msg := errText(err); !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, file+":") {
				t.Errorf("error:\n%s\nwant it to contain %q", msg, tc.want)
			}
			if left := inboxFiles(t, src); len(left) > 0 {
				t.Errorf("a refused import left %q", left)
			}
		})
	}
}

// TestDraftRowsWithinLimitsAreSkippedCheaply: the same 10,001 draft rows
// without --drafts write nothing and are not refused.
func TestDraftRowsWithinLimitsAreSkippedCheaply(t *testing.T) {
	src := testSite(t)
	file := writeExport(t, t.TempDir(), entry{"posts.csv", rows(10_001, draft)})
	res, err := ImportFile(context.Background(), src, file, ImportOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 10_001 || res[0].Action != ActionSkipped {
		t.Fatalf("%d results, first %+v", len(res), res[0])
	}
	if left := inboxFiles(t, src); len(left) > 0 {
		t.Errorf("skipped drafts left %q", left)
	}
}

// cancelAfter is a context that reports itself cancelled after n calls to
// Err: Import checks it once before each article, so the import is
// interrupted after exactly n articles, with no timing involved.
type cancelAfter struct {
	context.Context
	n atomic.Int64
}

func (c *cancelAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestInterruptedImportWritesNothing: an import stopped after two of three
// articles (Ctrl-C, see cmd/labfront) leaves the inbox as it was — a file
// imported earlier is untouched, none of the new ones appears.
func TestInterruptedImportWritesNothing(t *testing.T) {
	src := testSite(t)
	importFile(t, src, seedFile, ImportOptions{})
	before := readTree(t, src)
	file := writeExport(t, t.TempDir(),
		entry{"posts.csv", rows(3, published)},
		entry{"posts/100.post-0.html", literal("<p>zero</p>")},
		entry{"posts/101.post-1.html", literal("<p>one</p>")},
		entry{"posts/102.post-2.html", literal("<p>two</p>")},
	)
	ctx := &cancelAfter{Context: context.Background()}
	ctx.n.Store(2)
	_, err := ImportFile(ctx, src, file, ImportOptions{Now: now})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped before "+file+": posts/102.post-2.html") || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("err = %v, want a cancellation naming the next article", err)
	}
	after := readTree(t, src)
	if len(after) != len(before) {
		t.Errorf("inbox changed: %d files before, %d after", len(before), len(after))
	}
	for name, data := range before {
		if after[name] != data {
			t.Errorf("%s changed", name)
		}
	}
	for _, f := range inboxFiles(t, src) {
		if strings.HasPrefix(f, ".") {
			t.Errorf("staging left behind: %s", f)
		}
	}
}

// TestFeedAndTextLimits: a feed file, one feed item and a pipeline file
// are bounded too, and a special file (endless) is refused.
func TestFeedAndTextLimits(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lim := importlimit.Default()
	lim.FeedBytes, lim.ArticleBytes, lim.Rows = 4<<10, 1<<10, 2
	item := func(slug, body string) string {
		return "<item><title>T</title><link>https://x.substack.com/p/" + slug + "</link><pubDate>Sun, 15 Nov 2026 08:00:00 GMT</pubDate><content:encoded><![CDATA[" + body + "]]></content:encoded></item>\n"
	}
	feed := func(items ...string) string {
		return `<rss xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>` + "\n" + strings.Join(items, "") + "</channel></rss>"
	}
	for _, tc := range []struct {
		name, file, want string
	}{
		{"feed file", write("big.xml", feed(item("a", strings.Repeat("<p>x</p>", 1000)))), "big.xml: larger than 4 KiB"},
		{"feed item", write("item.xml", feed(item("a", strings.Repeat("x", 2000)))), "item.xml:2: content:encoded: larger than 1 KiB"},
		{"feed items", write("items.xml", feed(item("a", "x"), item("b", "x"), item("c", "x"))), "items.xml:4: more than 2 items"},
		{"pipeline file", write("p.md", "# Name\nGenerated: 2026-01-01\n---\nTitle\n---\n"+strings.Repeat("word ", 400)), "p.md: larger than 1 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.file, Options{Publication: "https://x.substack.com", Limits: lim})
			if err == nil || !strings.Contains(errText(err), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := importlimit.ReadFile("/dev/zero", 1<<10); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("/dev/zero: %v", err)
	}
}
