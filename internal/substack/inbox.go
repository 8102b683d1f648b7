package substack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/importlimit"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/sitefs"
	"github.com/labfront/labfront/internal/yamldoc"
)

// InboxDir is where imported articles wait for review, under content/.
// The site loader reads only posts/ and notes/, so nothing here is ever
// published.
const InboxDir = "substack"

// Inbox statuses.
const (
	StatusInbox    = "inbox"
	StatusPromoted = "promoted"
)

var inboxKeys = []string{"title", "subtitle", "date", "substack_url", "substack_id", "audience", "type", "status",
	"podcast_url", "canonical", "structure", "decision", "reasons", "anchors", "sections", "pipeline", "promoted_to"}

// Inbox is one file of content/substack/ as written by Import and perhaps
// edited by hand since.
type Inbox struct {
	File        string // on disk
	Path        string // for messages: content/substack/x.md under the source dir
	Slug        string
	Title       string
	Subtitle    string
	Date        time.Time
	SubstackURL string
	SubstackID  string
	Audience    string
	Type        string
	Status      string
	PodcastURL  string
	Canonical   string
	Structure   []string
	Decision    string
	Reasons     []string
	Anchors     []Anchor
	anchorLines []int
	PromotedTo  string
	Body        string
	front       mapping
}

// ReadInbox reads and validates an inbox file; problems name its lines.
func ReadInbox(file, display string) (*Inbox, error) {
	// The inbox is part of the site checkout, which the admin server reads
	// holding its secrets: the file itself must be a regular file, not a
	// symlink out of its folder nor a device that never ends (/dev/zero).
	files, err := sitefs.Open(filepath.Dir(file))
	if err != nil {
		return nil, err
	}
	data, err := files.ReadFile(filepath.Base(file))
	if cerr := files.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return parseInbox(data, file, display)
}

// parseInbox validates the bytes of the inbox file at file; problems name
// display.
func parseInbox(data []byte, file, display string) (*Inbox, error) {
	fm, body, ok := splitFile(data)
	if !ok {
		return nil, diag.List{{Path: display, Line: 1, Msg: "missing front matter: an inbox file starts with --- and the article's fields"}}
	}
	var probs diag.List
	doc := &yamldoc.Doc{Path: display, LineOffset: 1, Problems: &probs}
	root := doc.Parse(fm)
	if root == nil {
		return nil, probs.Err()
	}
	f := doc.Map(root, "", inboxKeys...)
	f.Require("title", "date", "status")
	in := &Inbox{
		File: file, Path: display, Slug: content.SlugFromFile(file), Body: body, front: mapping{root},
		Title: f.String("title"), Subtitle: f.String("subtitle"), Date: f.Date("date"),
		SubstackURL: f.String("substack_url"), SubstackID: f.String("substack_id"), Audience: f.String("audience"),
		Type: f.String("type"), Status: f.String("status"), PodcastURL: f.String("podcast_url"),
		Canonical: f.String("canonical"), Structure: f.Strings("structure"), Decision: f.String("decision"),
		Reasons: f.Strings("reasons"), PromotedTo: f.String("promoted_to"),
	}
	if in.Status != "" && in.Status != StatusInbox && in.Status != StatusPromoted {
		doc.Errorf(f.Node("status"), "status", "must be %s or %s, found %q", StatusInbox, StatusPromoted, in.Status)
	}
	for _, l := range in.Structure {
		if !slices.Contains(Labels, l) {
			doc.Errorf(f.Node("structure"), "structure", "unknown label %q (one of: %s)", l, strings.Join(Labels, ", "))
		}
	}
	if in.Decision != "" && !slices.Contains(Decisions, in.Decision) {
		doc.Errorf(f.Node("decision"), "decision", "must be one of: %s; found %q", strings.Join(Decisions, ", "), in.Decision)
	}
	for _, k := range []string{"substack_url", "canonical"} {
		if v := f.String(k); v != "" && !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
			doc.Errorf(f.Node(k), k, "must be an absolute http(s) URL, found %q", v)
		}
	}
	for i, n := range f.List("anchors") {
		name := fmt.Sprintf("anchors[%d]", i)
		af := doc.Map(n, name, "kind", "id", "name", "count", "url", "node")
		af.Require("kind", "id")
		a := Anchor{Kind: af.String("kind"), ID: af.String("id"), Name: af.String("name"), Count: af.Int("count", 0), URL: af.String("url"), Node: af.String("node")}
		switch a.Kind {
		case KindService, KindNode, KindSite, KindTechnology:
		default:
			doc.Errorf(af.Node("kind"), name+".kind", "must be service, node, site or technology, found %q", a.Kind)
		}
		in.Anchors = append(in.Anchors, a)
		in.anchorLines = append(in.anchorLines, doc.Line(n))
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return in, nil
}

// ListInbox reads every inbox file of the site, sorted by file name.
func ListInbox(src string) ([]*Inbox, error) {
	files, err := sitefs.Open(src)
	if err != nil {
		return nil, err
	}
	defer files.Close()
	dir := "content/" + InboxDir
	entries, err := files.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Inbox
	var probs diag.List
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".md") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		name := dir + "/" + e.Name()
		data, err := files.ReadFile(name)
		if l, ok := diag.As(err); ok {
			probs.Append(l)
			continue
		}
		if err != nil {
			return nil, err
		}
		in, err := parseInbox(data, filepath.Join(src, "content", InboxDir, e.Name()), files.Display(name))
		if err != nil {
			if l, ok := diag.As(err); ok {
				probs.Append(l)
				continue
			}
			return nil, err
		}
		out = append(out, in)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ImportOptions say what Import includes.
type ImportOptions struct {
	Drafts bool
	Paid   bool
	// Now dates drafts that have no date yet.
	Now time.Time
	// Limits bound what the import reads and writes; the zero value
	// means importlimit.Default.
	Limits importlimit.Limits
}

// Import actions, as printed.
const (
	ActionNew       = "new"
	ActionUpdated   = "updated"
	ActionUnchanged = "unchanged"
	ActionKept      = "kept"
	ActionSkipped   = "skipped"
)

// Result is what happened to one article of an import.
type Result struct {
	Action   string
	Path     string // the inbox file, for messages
	Article  *Article
	Analysis Analysis
	Note     string // why it was skipped or kept, or a remark (podcast)
}

// ImportFile reads file (export, feed or pipeline file) and imports its
// articles into src's inbox, analysed against src's lab. It stops at the
// next article once ctx is done, having written nothing.
func ImportFile(ctx context.Context, src, file string, opts ImportOptions) ([]Result, error) {
	cfg, err := content.LoadConfig(src)
	if err != nil {
		return nil, err
	}
	batch, err := Read(file, Options{Publication: cfg.Substack, Limits: opts.Limits})
	if err != nil {
		return nil, err
	}
	results, err := importBatch(ctx, src, file, batch, opts)
	if cerr := batch.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close %s: %w", file, cerr)
	}
	return results, err
}

func importBatch(ctx context.Context, src, file string, batch *Batch, opts ImportOptions) ([]Result, error) {
	for _, a := range batch.Articles {
		if a.URL == "" {
			return nil, diag.List{{Path: displayPath(src, "content/site.yaml"), Field: "substack",
				Msg: fmt.Sprintf("required to import %s: the publication's URL (e.g. https://you.substack.com) gives each article its substack_url", filepath.Base(file))}}
		}
	}
	l, err := lab.LoadDir(src)
	if err != nil {
		return nil, err
	}
	res, err := Import(ctx, src, batch.Articles, NewIndex(l), opts)
	if tm := (*tooManyFiles)(nil); errors.As(err, &tm) {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return res, err
}

// tooManyFiles refuses an import that would write more than Limits.Files.
type tooManyFiles struct{ n, limit int }

func (e *tooManyFiles) Error() string {
	return fmt.Sprintf("%d articles to write is more than one import writes (limit %d); nothing was written: import drafts or paid posts separately, or split the export", e.n, e.limit)
}

// planned is one article Import will write, decided before any body is
// read.
type planned struct {
	r    *Result
	name string    // file name in the inbox
	date time.Time // the article's date, or the import's for an undated draft
	old  *Inbox    // the inbox file it updates, if any
}

// Import writes each article to content/substack/<date>-<slug>.md. An
// article already in the inbox (same substack_id, or same substack_url)
// is updated in place, renamed if its date or slug changed; a promoted one
// is left alone. Drafts and paid-only posts are skipped unless asked for.
//
// An import is all or nothing. Every decision that can refuse it (name
// collisions, the number of files) is made first, from the articles'
// metadata; then the bodies are read, converted and written one at a time
// into a hidden staging folder of the inbox; only when every article has
// been written are the files renamed into place. A refused, failed or
// interrupted (ctx) import removes the staging folder and leaves the inbox
// as it was.
func Import(ctx context.Context, src string, articles []*Article, ix *Index, opts ImportOptions) (_ []Result, err error) {
	lim := opts.Limits.OrDefault()
	existing, err := ListInbox(src)
	if err != nil {
		return nil, err
	}
	byID, byURL := map[string]*Inbox{}, map[string]*Inbox{}
	byPath := map[string]*Inbox{}
	for _, in := range existing {
		if in.SubstackID != "" {
			byID[in.SubstackID] = in
		}
		if in.SubstackURL != "" {
			byURL[in.SubstackURL] = in
		}
		byPath[filepath.Base(in.File)] = in
	}
	results := make([]Result, len(articles))
	var plan []planned
	names := map[string]string{} // file name -> substack id, within this run
	for i, a := range articles {
		r := &results[i]
		r.Article = a
		switch {
		case !a.Published && !opts.Drafts:
			r.Action, r.Note = ActionSkipped, "unpublished draft (use --drafts to import it)"
			continue
		case a.Audience == AudiencePaid && !opts.Paid:
			r.Action, r.Note = ActionSkipped, "paid-only (use --paid to import it)"
			continue
		}
		if a.Type == TypePodcast {
			r.Note = "podcast: show notes only, the audio stays on Substack"
		}
		date := a.Date
		if date.IsZero() {
			date = opts.Now
		}
		name := date.Format(time.DateOnly) + "-" + a.Slug + ".md"
		r.Path = displayPath(src, "content/"+InboxDir+"/"+name)
		old := byID[a.ID]
		if old == nil && a.URL != "" {
			old = byURL[a.URL]
		}
		if other, ok := names[name]; ok && other != a.ID {
			return nil, fmt.Errorf("%s: two articles in this import map to the same file (%s and %s)", r.Path, other, a.ID)
		}
		if holder := byPath[name]; holder != nil && holder != old {
			return nil, diag.List{{Path: r.Path, Msg: fmt.Sprintf("holds another article (substack_id %q); cannot import %q (substack_id %q) over it", holder.SubstackID, a.Title, a.ID)}}
		}
		if old != nil && old.Status == StatusPromoted {
			r.Action, r.Path = ActionKept, old.Path
			r.Note = "promoted to " + old.PromotedTo + "; not touched"
			continue
		}
		names[name] = a.ID
		plan = append(plan, planned{r: r, name: name, date: date, old: old})
	}
	if len(plan) > lim.Files {
		return nil, &tooManyFiles{n: len(plan), limit: lim.Files}
	}
	if len(plan) == 0 {
		return results, nil
	}
	inbox := filepath.Join(src, "content", InboxDir)
	st, err := newStaging(inbox)
	if err != nil {
		return nil, err
	}
	defer func() {
		// The import's own error, if any, says more than a cleanup's.
		if derr := st.discard(); err == nil {
			err = derr
		}
	}()
	for _, p := range plan {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("stopped before %s (%w); nothing was written", p.r.Article.Source, context.Cause(ctx))
		}
		if err := stageArticle(st, inbox, p, ix); err != nil {
			return nil, err
		}
	}
	if err := st.commit(plan); err != nil {
		return nil, err
	}
	return results, nil
}

// stageArticle reads, analyses and renders one planned article and stages
// its file unless the inbox already holds exactly these bytes.
func stageArticle(st *staging, inbox string, p planned, ix *Index) error {
	a, r := p.r.Article, p.r
	loaded, err := a.readBody()
	if err != nil {
		return err
	}
	if loaded {
		// Only this article's body is held at a time.
		defer func() { a.Body = "" }()
	}
	r.Analysis = Analyze(a, ix)
	data, err := render(inboxFrontMatter(a, p.date, &r.Analysis), a.Body)
	if err != nil {
		return fmt.Errorf("%s: %w", r.Path, err)
	}
	final := filepath.Join(inbox, p.name)
	switch {
	case p.old == nil:
		r.Action = ActionNew
	case p.old.File != final:
		// The post's date or slug changed on Substack: one file per
		// article, so the old name goes (at commit).
		r.Action = ActionUpdated
	default:
		r.Action = ActionUpdated
		same, err := sameContent(final, data)
		if err != nil {
			return fmt.Errorf("read %s: %w", r.Path, err)
		}
		if same {
			r.Action = ActionUnchanged
			return nil
		}
	}
	if err := st.write(p.name, data); err != nil {
		return fmt.Errorf("write %s: %w", r.Path, err)
	}
	return nil
}

func inboxFrontMatter(a *Article, date time.Time, an *Analysis) mapping {
	m := newMapping()
	m.str("title", a.Title)
	m.optional("subtitle", a.Subtitle)
	m.set("date", dateNode(date))
	m.str("substack_url", a.URL)
	m.str("substack_id", a.ID)
	m.str("audience", a.Audience)
	m.str("type", a.Type)
	m.str("status", StatusInbox)
	m.optional("podcast_url", a.PodcastURL)
	m.set("structure", listNode(an.Structure, true))
	m.str("decision", an.Decision)
	m.set("reasons", listNode(an.Reasons, false))
	m.set("anchors", anchorsNode(an.Anchors))
	m.set("sections", sectionsNode(an.Sections))
	if p := a.Pipeline; p != nil {
		pm := newMapping()
		pm.optional("name", p.Name)
		pm.optional("generated", p.Generated)
		pm.optional("source", p.Source)
		pm.optional("source_anchor", p.SourceAnchor)
		pm.optional("decision", p.Decision)
		pm.optional("structure", p.Structure)
		m.set("pipeline", pm.n)
	}
	return m
}

// Line is the one-line summary of a result the CLI prints.
func (r Result) Line() string {
	title := fmt.Sprintf("%q", r.Article.Title)
	switch r.Action {
	case ActionSkipped:
		return fmt.Sprintf("%-9s %s: %s", r.Action, title, r.Note)
	case ActionKept:
		return fmt.Sprintf("%-9s %s %s: %s", r.Action, r.Path, title, r.Note)
	}
	an := &r.Analysis
	structure := an.StructureText()
	if structure == "" {
		structure = "no structure"
	}
	var anchors []string
	for _, a := range an.Anchors {
		anchors = append(anchors, fmt.Sprintf("%s×%d", a.Name, a.Count))
	}
	anchorText := "no anchors"
	if len(anchors) > 0 {
		anchorText = "anchors " + strings.Join(anchors, ", ")
	}
	line := fmt.Sprintf("%-9s %s %s | %s | %s | %s", r.Action, r.Path, title, structure, anchorText, an.Decision)
	if r.Note != "" {
		line += " (" + r.Note + ")"
	}
	return line
}

func displayPath(src, rel string) string {
	return filepath.ToSlash(filepath.Join(src, rel))
}
