package incident

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/atomicfile"
	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/yamldoc"
)

// An incident file is Markdown with YAML front matter, named <id>.md:
//
//	---
//	title: pve-io is down (2 more affected)
//	status: investigating | identified | monitoring | resolved
//	cause: pve-io
//	systems: [pve-io, jellyfin, nas-share]
//	started: 2026-12-03T07:00:00Z
//	resolved: 2026-12-03T07:40:00Z      # only once resolved
//	---
//	The summary paragraph.
//
//	## Updates
//
//	### 2026-12-03T07:10:00Z identified
//
//	Markdown of the update.
//
//	## Postmortem
//
//	Markdown of the postmortem.
//
// The updates are headings so the file reads well in git and in an
// editor; the admin appends to them and the loader reads them back.

type frontMatter struct {
	Title    string   `yaml:"title"`
	PublicID string   `yaml:"public_id,omitempty"`
	Status   Status   `yaml:"status"`
	Cause    string   `yaml:"cause"`
	Systems  []string `yaml:"systems,flow"`
	Started  string   `yaml:"started"`
	Resolved string   `yaml:"resolved,omitempty"`
}

const (
	updatesHeading    = "## Updates"
	postmortemHeading = "## Postmortem"
)

// Render is the incident's file.
func Render(inc Incident) ([]byte, error) {
	fm := frontMatter{Title: inc.Title, PublicID: inc.PublicID, Status: inc.Status, Cause: inc.Cause, Systems: inc.Systems,
		Started: inc.Started.UTC().Format(time.RFC3339)}
	if !inc.Resolved.IsZero() {
		fm.Resolved = inc.Resolved.UTC().Format(time.RFC3339)
	}
	head, err := yaml.Marshal(fm)
	if err != nil {
		return nil, fmt.Errorf("incident %s: %w", inc.ID, err)
	}
	var b bytes.Buffer
	b.WriteString("---\n")
	b.Write(head)
	b.WriteString("---\n")
	b.WriteString(strings.TrimSpace(inc.Summary))
	b.WriteString("\n")
	if len(inc.Updates) > 0 {
		b.WriteString("\n" + updatesHeading + "\n")
		for _, u := range inc.Updates {
			fmt.Fprintf(&b, "\n### %s %s\n", u.At.UTC().Format(time.RFC3339), u.Status)
			if t := strings.TrimSpace(u.Text); t != "" {
				b.WriteString("\n" + t + "\n")
			}
		}
	}
	if t := strings.TrimSpace(inc.Postmortem); t != "" {
		b.WriteString("\n" + postmortemHeading + "\n\n" + t + "\n")
	}
	return b.Bytes(), nil
}

// Write stores the incident as dir/<id>.md, atomically (dir is created).
func Write(dir string, inc Incident) (string, error) {
	if inc.ID == "" || strings.ContainsAny(inc.ID, `/\`) || strings.HasPrefix(inc.ID, ".") {
		return "", fmt.Errorf("incident id %q is not a file name", inc.ID)
	}
	data, err := Render(inc)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, inc.ID+".md")
	if err := atomicfile.Write(path, data, 0o644); err != nil {
		return "", fmt.Errorf("write incident %s: %w", path, err)
	}
	return path, nil
}

// Load reads every incident file in dir (none when dir does not exist),
// sorted by start. Problems name the file, line and field.
func Load(dir string) ([]Incident, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Incident
	var probs diag.List
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".md") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		inc, err := Parse(data, path)
		if p, ok := diag.As(err); ok {
			probs.Append(p)
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, inc)
	}
	slices.SortFunc(out, byStart)
	return out, probs.Err()
}

// Parse reads one incident file; display is its path, whose base name
// without .md is the incident's id.
func Parse(data []byte, display string) (Incident, error) {
	var probs diag.List
	inc := Incident{ID: strings.TrimSuffix(filepath.Base(display), ".md")}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	rest, ok := strings.CutPrefix(text, "---\n")
	head, body, closed := strings.Cut(rest, "\n---\n")
	if !ok || !closed {
		probs.Add(display, 1, "", "expected front matter between --- lines")
		return inc, probs.Err()
	}
	doc := &yamldoc.Doc{Path: display, LineOffset: 1, Problems: &probs}
	if root := doc.Parse([]byte(head)); root != nil {
		f := doc.Map(root, "", "title", "public_id", "status", "cause", "systems", "started", "resolved")
		f.Require("title", "status", "started")
		inc.Title, inc.Cause, inc.Systems = f.String("title"), f.String("cause"), f.Strings("systems")
		inc.PublicID = f.String("public_id")
		inc.Status = Status(f.String("status"))
		if inc.Status != "" && !slices.Contains(Statuses, inc.Status) {
			doc.Errorf(f.Node("status"), "status", "must be one of %s, found %q", joinStatuses(), inc.Status)
		}
		inc.Started = timeField(doc, f, "started")
		inc.Resolved = timeField(doc, f, "resolved")
		if inc.Status == Resolved && inc.Resolved.IsZero() {
			doc.Errorf(f.Node("status"), "resolved", "required when status is resolved")
		}
	}
	// The body starts after the opening ---, the front matter's lines
	// and the closing ---.
	first := strings.Count(head, "\n") + 4
	parseBody(&inc, body, first, display, &probs)
	return inc, probs.Err()
}

func timeField(doc *yamldoc.Doc, f yamldoc.Fields, key string) time.Time {
	s := f.String(key)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		doc.Errorf(f.Node(key), key, "expected an RFC 3339 time like 2026-12-03T07:00:00Z, found %q", s)
	}
	return t
}

func parseBody(inc *Incident, body string, firstLine int, display string, probs *diag.List) {
	section := "summary"
	var summary, postmortem []string
	var cur *Update
	var text []string
	endUpdate := func() {
		if cur != nil {
			cur.Text = strings.TrimSpace(strings.Join(text, "\n"))
			inc.Updates = append(inc.Updates, *cur)
			cur, text = nil, nil
		}
	}
	for i, line := range strings.Split(body, "\n") {
		switch {
		case line == updatesHeading:
			endUpdate()
			section = "updates"
			continue
		case line == postmortemHeading:
			endUpdate()
			section = "postmortem"
			continue
		case section == "updates" && strings.HasPrefix(line, "### "):
			endUpdate()
			at, st, _ := strings.Cut(strings.TrimPrefix(line, "### "), " ")
			t, err := time.Parse(time.RFC3339, at)
			status := Status(strings.TrimSpace(st))
			if err != nil || !slices.Contains(Statuses, status) {
				probs.Add(display, firstLine+i, "updates", "an update heading is ### <RFC 3339 time> <%s>, found %q", joinStatuses(), line)
			}
			cur = &Update{At: t, Status: status}
			continue
		}
		switch section {
		case "summary":
			summary = append(summary, line)
		case "updates":
			if cur == nil {
				if strings.TrimSpace(line) != "" {
					probs.Add(display, firstLine+i, "updates", "text before the first ### update heading")
				}
				continue
			}
			text = append(text, line)
		case "postmortem":
			postmortem = append(postmortem, line)
		}
	}
	endUpdate()
	inc.Summary = strings.TrimSpace(strings.Join(summary, "\n"))
	inc.Postmortem = strings.TrimSpace(strings.Join(postmortem, "\n"))
}

// Edit changes the incident stored as dir/<id>.md and writes it back
// atomically: the admin's updates and postmortem.
func Edit(dir, id string, change func(*Incident) error) (Incident, error) {
	path := filepath.Join(dir, id+".md")
	data, err := os.ReadFile(path)
	if err != nil {
		return Incident{}, err
	}
	inc, err := Parse(data, path)
	if err != nil {
		return Incident{}, err
	}
	if err := change(&inc); err != nil {
		return Incident{}, err
	}
	_, err = Write(dir, inc)
	return inc, err
}

// Publish is the copy of an incident that public pages and
// content/incidents/ may show: systems under their public ids, hidden
// ones left out, and the wording redone with public names. pub maps a
// node id to its public id and shown name, both "" for a hidden node.
func Publish(inc Incident, pub func(id string) (publicID, name string)) Incident {
	out := inc
	// The copy is named by its public id; with none (an incident made by
	// hand), by the date and the cause's public id.
	out.ID, out.PublicID = inc.PublicID, ""
	if out.ID == "" {
		c, _ := pub(inc.Cause)
		if c == "" {
			c = "internal"
		}
		out.ID = inc.Started.UTC().Format(time.DateOnly) + "-" + c
	}
	out.Systems = nil
	names := map[string]string{}
	for _, s := range inc.Systems {
		if id, name := pub(s); id != "" {
			out.Systems = append(out.Systems, id)
			names[s] = name
		}
	}
	out.Cause, _ = pub(inc.Cause)
	var others []string
	if len(inc.Systems) > 1 {
		others = inc.Systems[1:]
	}
	out.Title, out.Summary = Describe(inc.Cause, others, func(id string) string { return names[id] })
	// Update texts are the operator's; the automatic ones name the cause.
	out.Updates = slices.Clone(inc.Updates)
	for i, u := range out.Updates {
		if u.Text == fmt.Sprintf("%s is up again.", inc.Cause) {
			c := names[inc.Cause]
			if c == "" {
				c = "The internal system"
			}
			out.Updates[i].Text = c + " is up again."
		}
	}
	return out
}

// Files keeps incidents on disk: the admin's complete record, with lab
// ids, in Dir (under state_dir), and the public copy of each incident
// that affects a public system in PublicDir (content/incidents/), so it
// lives in git like posts.
type Files struct {
	Dir, PublicDir string
	// Pub maps a node id to its public id and shown name ("" for a hidden
	// node), as for Publish.
	Pub func(id string) (publicID, name string)
}

// Save writes the incident's record and, when it affects a public system
// (one Pub gives a public id), its public copy; each write is atomic.
func (fs Files) Save(inc Incident) error {
	if _, err := Write(fs.Dir, inc); err != nil {
		return err
	}
	if fs.PublicDir == "" || fs.Pub == nil || !slices.ContainsFunc(inc.Systems, func(s string) bool { id, _ := fs.Pub(s); return id != "" }) {
		return nil
	}
	_, err := Write(fs.PublicDir, Publish(inc, fs.Pub))
	return err
}

// Load reads the admin's records back (for Tracker.Restore).
func (fs Files) Load() ([]Incident, error) { return Load(fs.Dir) }

// SetPostmortem stores the operator's postmortem (Markdown) on an
// incident, open or resolved, in the record and the public copy.
func (fs Files) SetPostmortem(id, text string) (Incident, error) {
	inc, err := Edit(fs.Dir, id, func(i *Incident) error { i.Postmortem = text; return nil })
	if err != nil {
		return inc, err
	}
	return inc, fs.Save(inc)
}
