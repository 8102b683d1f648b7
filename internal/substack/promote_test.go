package substack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/lab"
)

const seedInbox = "2026-02-19-from-cron-spaghetti-to-container-orchestra.md"

func TestPromoteSeed(t *testing.T) {
	src := testSite(t)
	importFile(t, src, seedFile, ImportOptions{})
	p, err := Promote(src, filepath.Join(src, "content", InboxDir, seedInbox), PromoteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Created || !p.Changed {
		t.Errorf("first promotion: %+v", p)
	}
	files := readTree(t, src)
	note := files["notes/from-cron-spaghetti-to-container-orchestra.md"]
	golden(t, "note-from-cron-spaghetti-to-container-orchestra.md", []byte(note))
	for _, want := range []string{
		"canonical: https://example.substack.com/p/from-cron-spaghetti-to-container-orchestra\n",
		"promoted_from: content/substack/" + seedInbox + "\n",
		"structure: [Method, Architecture]\n",
		"A [Tailscale](/architecture/#service-tailscale) mesh network",
		"[Prefect](/architecture/#service-prefect) managing workflows",
		"[Postgres](/architecture/#service-postgres) containers",
		"[Ollama](/architecture/#service-ollama) on Mac4",
	} {
		if !strings.Contains(note, want) {
			t.Errorf("note lacks %q", want)
		}
	}
	// Only the first mention is linked, and headings and code stay as
	// they are.
	if n := strings.Count(note, "](/architecture/#service-tailscale)"); n != 1 {
		t.Errorf("Tailscale linked %d times, want once", n)
	}
	if !strings.Contains(note, "### Tailscale for Networking\n") || !strings.Contains(note, "Mac1 (Control Plane) ←Tailscale→") {
		t.Error("a heading or the diagram was changed")
	}
	inbox := files["substack/"+seedInbox]
	if !strings.Contains(inbox, "status: promoted\n") || !strings.Contains(inbox, "promoted_to: content/notes/from-cron-spaghetti-to-container-orchestra.md\n") {
		t.Errorf("inbox not marked promoted:\n%s", inbox)
	}

	// The note is a valid page of the site, with the promotion fields.
	site, err := content.Load(src, content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(site.Notes) != 1 || site.Notes[0].Promoted == nil {
		t.Fatalf("notes: %+v", site.Notes)
	}
	pr := site.Notes[0].Promoted
	if pr.From != "content/substack/"+seedInbox || pr.Decision != p.Decision || strings.Join(pr.Structure, " · ") != "Method · Architecture" ||
		len(pr.Anchors) < 6 || pr.SubstackURL != site.Notes[0].Canonical {
		t.Errorf("promoted fields: %+v", pr)
	}
	if len(site.Posts) != 0 {
		t.Errorf("the inbox must never be published, got posts %+v", site.Posts)
	}
}

func TestPromoteIsIdempotent(t *testing.T) {
	src := testSite(t)
	importFile(t, src, seedFile, ImportOptions{})
	if _, err := Promote(src, seedInbox, PromoteOptions{}); err != nil {
		t.Fatal(err)
	}
	before := readTree(t, src)
	p, err := Promote(src, "content/substack/"+seedInbox, PromoteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Created || p.Changed {
		t.Errorf("second promotion: %+v", p)
	}
	after := readTree(t, src)
	if len(after) != len(before) {
		t.Errorf("files %d -> %d", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("second promotion changed %s", k)
		}
	}
	// Promoting as the other kind updates the same note.
	p, err = Promote(src, seedInbox, PromoteOptions{As: AsNote})
	if err != nil {
		t.Fatal(err)
	}
	if p.Created || !p.Changed || p.Decision != DecisionNote {
		t.Errorf("--as note: %+v", p)
	}
	if n := len(readTree(t, src)); n != len(before) {
		t.Errorf("--as note added files: %d, want %d", n, len(before))
	}

	// Re-importing leaves the promoted article and its note alone.
	before = readTree(t, src)
	res := importFile(t, src, seedFile, ImportOptions{})
	if res[0].Action != ActionKept {
		t.Errorf("re-import of a promoted article: %s", res[0].Line())
	}
	after = readTree(t, src)
	for k, v := range before {
		if after[k] != v {
			t.Errorf("re-import touched %s", k)
		}
	}
}

func TestPromoteRefusals(t *testing.T) {
	src := testSite(t)
	importFile(t, src, exportZip, ImportOptions{})
	essay := "2026-01-10-why-i-write-about-my-homelab.md"
	_, err := Promote(src, essay, PromoteOptions{})
	if err == nil || !strings.Contains(err.Error(), `decision: "keep as essay"`) || !strings.Contains(err.Error(), "--as note|paper") {
		t.Errorf("promoting an essay: %v", err)
	}
	if p, err := Promote(src, essay, PromoteOptions{As: AsNote}); err != nil || p.Decision != DecisionNote {
		t.Errorf("--as note overrides the decision: %+v, %v", p, err)
	}

	// A note of the same slug that came from elsewhere is not overwritten.
	other := filepath.Join(src, "content", "notes", "zero-inbound-ports-with-cloudflare-tunnel.md")
	if err := os.WriteFile(other, []byte("---\ntitle: Mine\ndate: 2026-01-01\n---\nHand written.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Promote(src, "2026-03-14-zero-inbound-ports-with-cloudflare-tunnel.md", PromoteOptions{})
	if err == nil || !strings.Contains(err.Error(), "exists and was not promoted from") {
		t.Errorf("overwriting a hand-written note: %v", err)
	}
	if data, _ := os.ReadFile(other); string(data) != "---\ntitle: Mine\ndate: 2026-01-01\n---\nHand written.\n" {
		t.Error("the hand-written note was changed")
	}

	// Hand edits are validated with their line.
	inbox := filepath.Join(src, "content", InboxDir, "2026-05-02-homelab-radio-episode-1.md")
	data, err := os.ReadFile(inbox)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "decision: technical note", "decision: maybe later", 1)
	edited = strings.Replace(edited, "kind: site, id: jove,", "kind: site, id: mars,", 1)
	if err := os.WriteFile(inbox, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Promote(src, inbox, PromoteOptions{})
	if err == nil || !strings.Contains(err.Error(), "2026-05-02-homelab-radio-episode-1.md:12: decision: must be one of") {
		t.Errorf("bad decision: %v", err)
	}
	edited = strings.Replace(edited, "decision: maybe later", "decision: technical note", 1)
	if err := os.WriteFile(inbox, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Promote(src, inbox, PromoteOptions{})
	if err == nil || !strings.Contains(err.Error(), `anchors[`) || !strings.Contains(err.Error(), `no public site "mars"`) {
		t.Errorf("unknown anchor: %v", err)
	}
	if _, err := Promote(src, "nope.md", PromoteOptions{}); err == nil || !strings.Contains(err.Error(), "no such inbox file") {
		t.Errorf("missing file: %v", err)
	}
}

func TestContentNeverPublishesInbox(t *testing.T) {
	src := testSite(t)
	importFile(t, src, exportZip, ImportOptions{Drafts: true, Paid: true})
	site, err := content.Load(src, content.Options{Drafts: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(site.Posts)+len(site.Notes) != 0 {
		t.Errorf("inbox files became pages: %d posts, %d notes", len(site.Posts), len(site.Notes))
	}
}

func TestLinkAnchors(t *testing.T) {
	l, err := lab.Load("testdata/site/content/lab.yaml", "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ix := NewIndex(l)
	pg, _ := ix.Lookup(KindService, "postgres")
	ts, _ := ix.Lookup(KindService, "tailscale")
	for _, tc := range []struct{ name, body, want string }{
		{"first prose mention", "Postgres here, Postgres there.\n", "[Postgres](/architecture/#service-postgres) here, Postgres there.\n"},
		{"not in headings, code or links", "## Postgres\n\n`Postgres` and [Postgres](https://x.example/)\n\n```\nPostgres\n```\n\nthen postgres.\n",
			"## Postgres\n\n`Postgres` and [Postgres](https://x.example/)\n\n```\nPostgres\n```\n\nthen [postgres](/architecture/#service-postgres).\n"},
		{"no image or escape", "Wow!Postgres and \\Postgres and Postgres\n", "Wow!Postgres and \\Postgres and [Postgres](/architecture/#service-postgres)\n"},
		{"inside emphasis and lists", "- **Tailscale** and *Postgres*\n", "- **[Tailscale](/architecture/#service-tailscale)** and *[Postgres](/architecture/#service-postgres)*\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, _ := linkAnchors(tc.body, ix, []Anchor{pg, ts})
			if got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestInboxLinksOut: the admin server lists and reads the inbox of the
// site checkout holding its secrets, so an inbox entry that is a symlink
// out of the site, or to a device that never ends, is reported with its
// path, never read.
func TestInboxLinksOut(t *testing.T) {
	for _, tc := range []struct{ name, target, want string }{
		{"proc environ", "/proc/self/environ", "symlink outside the site"},
		{"dev zero", "/dev/zero", "symlink outside the site"},
		{"relative way out", "../../../secret.md", "symlink outside the site"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := testSite(t)
			importFile(t, src, seedFile, ImportOptions{})
			link := filepath.Join(src, "content", InboxDir, "2026-03-01-leak.md")
			if err := os.Symlink(tc.target, link); err != nil {
				t.Fatal(err)
			}
			want := filepath.ToSlash(filepath.Join(src, "content", InboxDir, "2026-03-01-leak.md")) + ": " + tc.want
			if _, err := ListInbox(src); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("ListInbox: %v, want %q", err, want)
			}
			if _, err := ReadInbox(link, "leak.md"); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadInbox: %v, want %q", err, tc.want)
			}
		})
	}
}

// TestImportRefusesLinkedInbox: an import writes only into a real inbox
// folder of the site, never through a symlink to somewhere else.
func TestImportRefusesLinkedInbox(t *testing.T) {
	src := testSite(t)
	elsewhere := t.TempDir()
	inbox := filepath.Join(src, "content", InboxDir)
	if err := os.RemoveAll(inbox); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, inbox); err != nil {
		t.Fatal(err)
	}
	_, err := ImportFile(t.Context(), src, seedFile, ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "content/substack: symlink outside the site") {
		t.Fatalf("import through a linked inbox: %v", err)
	}
	if entries, err := os.ReadDir(elsewhere); err != nil || len(entries) != 0 {
		t.Errorf("the import wrote through the link: %v %v", entries, err)
	}
}

// TestStagingRefusesLinkedInbox: even a symlink that stays inside the
// site is not where an import writes.
func TestStagingRefusesLinkedInbox(t *testing.T) {
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "content", "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	inbox := filepath.Join(src, "content", InboxDir)
	if err := os.Symlink("real", inbox); err != nil {
		t.Fatal(err)
	}
	if _, err := newStaging(inbox); err == nil || !strings.Contains(err.Error(), "a symlink: the inbox must be a real folder of the site") {
		t.Fatalf("staging in a linked inbox: %v", err)
	}
}
