package blogimport

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/labfront/labfront/internal/diag"
)

// Report is what an import did, or with DryRun would do.
type Report struct {
	Generator string // hugo, jekyll, astro
	Source    string // the source directory as given
	DryRun    bool
	Posts     []PostResult
	// Files counts the bundle files (images and others) the posts carry;
	// Images is how many of them are pictures.
	Files, Images int
	// Converted counts the generator syntax turned into Markdown, by name
	// (a shortcode, a Liquid tag, front-matter keys mapped).
	Converted map[string]int
	Redirects int // old URLs recorded as aliases: (301s)
	// Translations are kept beside the posts, not published.
	Translations []Kept
	// Headless are Hugo's headless bundles, whose files went to
	// content/media/.
	Headless []MediaBundle
	SiteYAML string // the site.yaml this import wrote, "" when one existed
	// Look lists what a person should look at, with path:line of the
	// source (or of the written file when that says more).
	Look diag.List
}

// PostResult is one post of the import.
type PostResult struct {
	// Status is new, updated, unchanged, or kept: a file of the post was
	// edited since the last import, so none of the post was written.
	Status string
	Path   string // the written index.md, relative to the destination
	From   string // the source file, under the source directory as given
	Draft  bool
}

// MediaBundle is a folder of shared files (a Hugo headless bundle)
// imported into content/media/.
type MediaBundle struct {
	Path, From string
	Files      int
}

// Kept is a file written beside the site without being published.
type Kept struct {
	Lang, Path, From string
}

func newReport(gen, src string) *Report {
	return &Report{Generator: gen, Source: src, Converted: map[string]int{}}
}

func (r *Report) look(path string, line int, format string, args ...any) {
	r.Look.Add(path, line, "", format, args...)
}

func (r *Report) converted(name string) { r.Converted[name]++ }

// Print writes the report for a terminal: the counts, one line per post,
// then what to look at.
func (r *Report) Print(w io.Writer) error {
	var b strings.Builder
	verb := "imported"
	if r.DryRun {
		verb = "would import (dry run, nothing written)"
	}
	drafts := 0
	count := map[string]int{}
	for _, p := range r.Posts {
		count[p.Status]++
		if p.Draft {
			drafts++
		}
	}
	fmt.Fprintf(&b, "%s %d %s (%d %s) with %d %s (%d %s) from %s %s\n", verb,
		len(r.Posts), plural(len(r.Posts), "post", "posts"), drafts, plural(drafts, "draft", "drafts"),
		r.Files, plural(r.Files, "file", "files"), r.Images, plural(r.Images, "image", "images"), r.Generator, r.Source)
	for _, p := range r.Posts {
		draft := ""
		if p.Draft {
			draft = " (draft)"
		}
		fmt.Fprintf(&b, "  %-9s %s <- %s%s\n", p.Status, p.Path, p.From, draft)
	}
	if n := count["kept"]; n > 0 {
		fmt.Fprintf(&b, "kept %d edited %s as %s (not overwritten, listed under look at)\n", n, plural(n, "post", "posts"), plural(n, "it is", "they are"))
	}
	if len(r.Converted) > 0 {
		var parts []string
		for _, k := range sortedKeys(r.Converted) {
			parts = append(parts, fmt.Sprintf("%s %d", k, r.Converted[k]))
		}
		fmt.Fprintf(&b, "converted: %s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, "redirects: %d old %s kept as aliases: (301s in _redirects; Cloudflare Pages applies up to 2000)\n", r.Redirects, plural(r.Redirects, "URL", "URLs"))
	for _, t := range r.Translations {
		fmt.Fprintf(&b, "translation kept, not published: %s (%s) <- %s\n", t.Path, t.Lang, t.From)
	}
	for _, m := range r.Headless {
		fmt.Fprintf(&b, "headless bundle %s -> %s (%d %s, published at /%s)\n", m.From, m.Path, m.Files, plural(m.Files, "file", "files"), strings.TrimPrefix(m.Path, "content/"))
	}
	if r.SiteYAML != "" {
		fmt.Fprintf(&b, "wrote %s from the source's configuration\n", r.SiteYAML)
	}
	if len(r.Look) > 0 {
		sort.SliceStable(r.Look, func(i, j int) bool {
			if r.Look[i].Path != r.Look[j].Path {
				return r.Look[i].Path < r.Look[j].Path
			}
			return r.Look[i].Line < r.Look[j].Line
		})
		fmt.Fprintf(&b, "look at (%d):\n", len(r.Look))
		for _, p := range r.Look {
			fmt.Fprintf(&b, "  %s\n", p.Error())
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
