package substack

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/lab"
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
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
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
	dir := filepath.Join(src, "content", InboxDir)
	entries, err := os.ReadDir(dir)
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
		in, err := ReadInbox(filepath.Join(dir, e.Name()), displayPath(src, "content/"+InboxDir+"/"+e.Name()))
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
// articles into src's inbox, analysed against src's lab.
func ImportFile(src, file string, opts ImportOptions) ([]Result, error) {
	cfg, err := content.LoadConfig(src)
	if err != nil {
		return nil, err
	}
	articles, err := Read(file, Options{Publication: cfg.Substack})
	if err != nil {
		return nil, err
	}
	for _, a := range articles {
		if a.URL == "" {
			return nil, diag.List{{Path: displayPath(src, "content/site.yaml"), Field: "substack",
				Msg: fmt.Sprintf("required to import %s: the publication's URL (e.g. https://you.substack.com) gives each article its substack_url", filepath.Base(file))}}
		}
	}
	l, err := lab.Load(filepath.Join(src, "content", "lab.yaml"), displayPath(src, "content/lab.yaml"))
	if err != nil {
		return nil, err
	}
	return Import(src, articles, NewIndex(l), opts)
}

// Import writes each article to content/substack/<date>-<slug>.md. An
// article already in the inbox (same substack_id, or same substack_url)
// is updated in place, renamed if its date or slug changed; a promoted one
// is left alone. Drafts and paid-only posts are skipped unless asked for.
func Import(src string, articles []*Article, ix *Index, opts ImportOptions) ([]Result, error) {
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
	var results []Result
	written := map[string]string{} // file name -> substack id, within this run
	for _, a := range articles {
		r := Result{Article: a}
		switch {
		case !a.Published && !opts.Drafts:
			r.Action, r.Note = ActionSkipped, "unpublished draft (use --drafts to import it)"
			results = append(results, r)
			continue
		case a.Audience == AudiencePaid && !opts.Paid:
			r.Action, r.Note = ActionSkipped, "paid-only (use --paid to import it)"
			results = append(results, r)
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
		path := filepath.Join(src, "content", InboxDir, name)
		r.Path = displayPath(src, "content/"+InboxDir+"/"+name)
		old := byID[a.ID]
		if old == nil && a.URL != "" {
			old = byURL[a.URL]
		}
		if other, ok := written[name]; ok && other != a.ID {
			return results, fmt.Errorf("%s: two articles in this import map to the same file (%s and %s)", r.Path, other, a.ID)
		}
		if holder := byPath[name]; holder != nil && holder != old {
			return results, diag.List{{Path: r.Path, Msg: fmt.Sprintf("holds another article (substack_id %q); cannot import %q (substack_id %q) over it", holder.SubstackID, a.Title, a.ID)}}
		}
		if old != nil && old.Status == StatusPromoted {
			r.Action, r.Path = ActionKept, old.Path
			r.Note = "promoted to " + old.PromotedTo + "; not touched"
			results = append(results, r)
			continue
		}
		r.Analysis = Analyze(a, ix)
		data, err := render(inboxFrontMatter(a, date, &r.Analysis), a.Body)
		if err != nil {
			return results, err
		}
		changed, err := writeIfChanged(path, data)
		if err != nil {
			return results, fmt.Errorf("write %s: %w", r.Path, err)
		}
		written[name] = a.ID
		switch {
		case old == nil:
			r.Action = ActionNew
		case old.File != path:
			// The post's date or slug changed on Substack: one file
			// per article, so the old name goes.
			if err := os.Remove(old.File); err != nil {
				return results, fmt.Errorf("remove the old inbox file %s: %w", old.Path, err)
			}
			r.Action = ActionUpdated
		case changed:
			r.Action = ActionUpdated
		default:
			r.Action = ActionUnchanged
		}
		results = append(results, r)
	}
	return results, nil
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
