package substack

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/yamldoc"
)

// Promotion kinds for --as.
const (
	AsNote  = "note"
	AsPaper = "paper"
)

// PromoteOptions choose how an article is promoted.
type PromoteOptions struct {
	// As overrides the inbox decision: AsNote or AsPaper; "" follows it.
	As string
}

// Promotion is what Promote did.
type Promotion struct {
	Inbox    string // display path of the inbox file
	Note     string // display path of the note
	Decision string
	Linked   []Anchor // anchors linked in the body
	Unlinked []Anchor // anchors with no linkable mention
	Created  bool     // false when an earlier promotion was updated
	Changed  bool     // false when the note already said exactly this
}

// ResolveInbox finds the inbox file an operator named: as given, relative
// to the source dir, or by name inside content/substack/.
func ResolveInbox(src, name string) (file, display string, err error) {
	candidates := []string{name}
	if !filepath.IsAbs(name) {
		candidates = append(candidates, filepath.Join(src, name), filepath.Join(src, "content", InboxDir, filepath.Base(name)))
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c, displayFor(src, c), nil
		}
	}
	return "", "", fmt.Errorf("%s: no such inbox file (looked in . , %s and %s)", name, src, displayPath(src, "content/"+InboxDir))
}

// displayFor shows a file under src as src/content/…, the way every other
// message names content files.
func displayFor(src, file string) string {
	absSrc, err1 := filepath.Abs(src)
	absFile, err2 := filepath.Abs(file)
	if err1 == nil && err2 == nil {
		if rel, err := filepath.Rel(absSrc, absFile); err == nil && !strings.HasPrefix(rel, "..") {
			return displayPath(src, rel)
		}
	}
	return filepath.ToSlash(file)
}

// Promote turns an inbox article into content/notes/<slug>.md: canonical
// pointing at Substack (unless the inbox file sets canonical itself), the
// analysis in the front matter, and the first mention of each anchor in
// the body linked to its place on the architecture page. The inbox file is
// marked promoted. Promoting again rewrites the same note.
func Promote(src, name string, opts PromoteOptions) (*Promotion, error) {
	file, display, err := ResolveInbox(src, name)
	if err != nil {
		return nil, err
	}
	in, err := ReadInbox(file, display)
	if err != nil {
		return nil, err
	}
	decision, err := promotionDecision(in, opts.As)
	if err != nil {
		return nil, err
	}
	l, err := lab.LoadDir(src)
	if err != nil {
		return nil, err
	}
	ix := NewIndex(l)
	// The inbox's anchors are the reviewed list; their places on the
	// architecture page come from the lab as it is now.
	var probs diag.List
	anchors := make([]Anchor, 0, len(in.Anchors))
	for i, a := range in.Anchors {
		cur, ok := ix.Lookup(a.Kind, a.ID)
		if !ok {
			probs.Add(display, in.anchorLines[i], fmt.Sprintf("anchors[%d]", i), "no public %s %q in content/lab.yaml: remove the anchor or fix its id", a.Kind, a.ID)
			continue
		}
		cur.Count = a.Count
		anchors = append(anchors, cur)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	body, linked, unlinked := linkAnchors(in.Body, ix, anchors)

	noteName := in.Slug + ".md"
	notePath := filepath.Join(src, "content", "notes", noteName)
	noteDisplay := displayPath(src, "content/notes/"+noteName)
	created, err := checkNoteOwner(notePath, noteDisplay, in)
	if err != nil {
		return nil, err
	}
	canonical := in.Canonical
	if canonical == "" {
		canonical = in.SubstackURL
	}
	fm := newMapping()
	fm.str("title", in.Title)
	fm.set("date", dateNode(in.Date))
	fm.optional("summary", in.Subtitle)
	fm.optional("canonical", canonical)
	fm.optional("substack_url", in.SubstackURL)
	fm.optional("substack_id", in.SubstackID)
	fm.str("promoted_from", relToSrc(src, file))
	fm.set("structure", listNode(in.Structure, true))
	fm.str("decision", decision)
	fm.set("anchors", anchorsNode(anchors))
	data, err := render(fm, body)
	if err != nil {
		return nil, err
	}
	changed, err := writeIfChanged(notePath, data)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", noteDisplay, err)
	}
	if err := markPromoted(in, "content/notes/"+noteName); err != nil {
		return nil, fmt.Errorf("mark %s promoted: %w", display, err)
	}
	return &Promotion{Inbox: display, Note: noteDisplay, Decision: decision, Linked: linked, Unlinked: unlinked, Created: created, Changed: changed}, nil
}

func promotionDecision(in *Inbox, as string) (string, error) {
	switch as {
	case AsNote:
		return DecisionNote, nil
	case AsPaper:
		return DecisionPaper, nil
	case "":
	default:
		return "", fmt.Errorf("--as %q: promote as note or paper", as)
	}
	switch in.Decision {
	case DecisionNote, DecisionPaper:
		return in.Decision, nil
	}
	return "", diag.List{{Path: in.Path, Field: "decision", Msg: fmt.Sprintf(
		"%q: only technical notes and architecture papers are promoted; edit the decision after review or choose with --as note|paper", in.Decision)}}
}

// checkNoteOwner refuses to overwrite a note that did not come from this
// article, and reports whether the note is new.
func checkNoteOwner(path, display string, in *Inbox) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	fm, _, ok := splitFile(data)
	if ok {
		var probs diag.List
		doc := &yamldoc.Doc{Path: display, LineOffset: 1, Problems: &probs}
		if root := doc.Parse(fm); root != nil {
			m := mapping{root}
			from, id := scalar(m.get("promoted_from")), scalar(m.get("substack_id"))
			if from != "" && filepath.Base(from) == filepath.Base(in.File) || id != "" && id == in.SubstackID {
				return false, nil
			}
		}
	}
	return false, diag.List{{Path: display, Msg: fmt.Sprintf("exists and was not promoted from %s; rename one of them (the slug comes from the inbox file name)", in.Path)}}
}

func scalar(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	return n.Value
}

// markPromoted sets status and promoted_to in the inbox file, keeping
// everything else, hand edits included, as it is.
func markPromoted(in *Inbox, notePath string) error {
	in.front.set("status", strNode(StatusPromoted))
	in.front.set("promoted_to", strNode(notePath))
	data, err := render(in.front, in.Body)
	if err != nil {
		return err
	}
	_, err = writeIfChanged(in.File, data)
	return err
}

func relToSrc(src, file string) string {
	absSrc, err1 := filepath.Abs(src)
	absFile, err2 := filepath.Abs(file)
	if err1 == nil && err2 == nil {
		if rel, err := filepath.Rel(absSrc, absFile); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(file)
}

// linkAnchors links the first prose mention of each anchor (not in a
// heading, code, an image or an existing link) to its URL. Anchors with no
// such mention are returned as unlinked.
func linkAnchors(body string, ix *Index, anchors []Anchor) (string, []Anchor, []Anchor) {
	s := scan(body)
	want := map[int]int{} // index entry -> position in anchors
	for i, a := range anchors {
		for e, x := range ix.entries {
			if x.Kind == a.Kind && x.ID == a.ID {
				want[e] = i
			}
		}
	}
	done := map[int]bool{}
	var edits []mention
	for _, m := range s.mentions(ix) {
		i, ok := want[m.entry]
		if !ok || !m.linkable || done[i] {
			continue
		}
		// "!" before "[" would make an image, "\" would escape the "[".
		if m.start > 0 && (body[m.start-1] == '!' || body[m.start-1] == '\\') {
			continue
		}
		done[i] = true
		edits = append(edits, m.mention)
	}
	out := []byte(body)
	// Apply from the end so earlier offsets stay valid.
	slices.SortFunc(edits, func(a, b mention) int { return b.start - a.start })
	for _, m := range edits {
		a := anchors[want[m.entry]]
		text := string(out[m.start:m.end])
		link := "[" + text + "](" + a.URL + ")"
		out = append(out[:m.start], append([]byte(link), out[m.end:]...)...)
	}
	var linked, unlinked []Anchor
	for i, a := range anchors {
		if done[i] {
			linked = append(linked, a)
		} else {
			unlinked = append(unlinked, a)
		}
	}
	return string(out), linked, unlinked
}
