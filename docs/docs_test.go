// Package docs holds labfront's documentation pages. Its test keeps them
// honest: the README's layout table lists exactly the folders that exist,
// its command list is the binary's, and every relative link of README.md,
// SECURITY.md and docs/*.md leads to a file of the repository (and to a
// heading of it, when it names one).
package docs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	goast "go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// root is the repository, seen from this package's folder.
const root = ".."

// layoutHeading is the README section whose table lists the layout.
const layoutHeading = "## Repository layout"

// pendingDocs are pages the README links that other branches add. A link
// to one of them is accepted while it does not exist; once it does, the
// test fails until its entry is removed here, so the list cannot go stale.
var pendingDocs = map[string]bool{}

// TestLayoutTable compares the README's layout table with the tree: every
// top-level folder, every internal/ package and every web/ or api/
// subfolder has a row, and every row names something that exists.
func TestLayoutTable(t *testing.T) {
	t.Parallel()
	rows, lastLine, err := layoutRows(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range layoutProblems(t, rows, lastLine) {
		t.Error(p)
	}
}

// layoutRow is one path of the layout table, with its line in README.md.
type layoutRow struct {
	path string // without a trailing slash
	line int
}

// tableCode is a code span in the first cell of a table row.
var tableCode = regexp.MustCompile("`([^`]+)`")

// layoutRows reads the paths of the table under layoutHeading, and the
// line of its last row.
func layoutRows(readme string) ([]layoutRow, int, error) {
	f, err := os.Open(readme)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	var rows []layoutRow
	in, last := false, 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case line == layoutHeading:
			in = true
		case !in:
		case strings.HasPrefix(line, "## "):
			in = false
		case strings.HasPrefix(line, "| --- ") || strings.HasPrefix(line, "| path "):
		case strings.HasPrefix(line, "|"):
			cells := strings.SplitN(line, "|", 3)
			if len(cells) < 3 {
				return nil, 0, fmt.Errorf("%s:%d: a layout row with one cell", readme, n)
			}
			found := tableCode.FindAllStringSubmatch(cells[1], -1)
			if len(found) == 0 {
				return nil, 0, fmt.Errorf("%s:%d: the first cell names no `path`", readme, n)
			}
			for _, m := range found {
				rows = append(rows, layoutRow{path: strings.TrimSuffix(m[1], "/"), line: n})
			}
			last = n
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, err
	}
	if len(rows) == 0 {
		return nil, 0, fmt.Errorf("%s: no table under %q", readme, layoutHeading)
	}
	return rows, last, nil
}

// layoutProblems lists what is wrong with rows: each message says which
// row to add or remove.
func layoutProblems(t *testing.T, rows []layoutRow, lastLine int) []string {
	t.Helper()
	var probs []string
	listed := map[string]bool{}
	for _, r := range rows {
		if listed[r.path] {
			probs = append(probs, fmt.Sprintf("README.md:%d: `%s` has two rows in the layout table: remove one", r.line, r.path))
		}
		listed[r.path] = true
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(r.path))); err != nil {
			probs = append(probs, fmt.Sprintf("README.md:%d: the layout table lists `%s`, which does not exist: remove the row or fix the path", r.line, r.path))
		}
	}
	missing := func(dir string) {
		probs = append(probs, fmt.Sprintf("README.md:%d: the layout table (its last row is here) has no row for %s: add\n| `%s` | %s |", lastLine, dir, dir, describe(t, dir)))
	}
	ignored := gitignored(t)
	for _, name := range subdirs(t, ".") {
		if name == ".git" || ignored(name) {
			continue
		}
		covered := slices.ContainsFunc(rows, func(r layoutRow) bool { return r.path == name || strings.HasPrefix(r.path, name+"/") })
		if !covered {
			missing(name)
		}
	}
	for _, parent := range []string{"internal", "web", "api"} {
		for _, name := range subdirs(t, parent) {
			if name == "testdata" {
				continue
			}
			if dir := parent + "/" + name; !listed[dir] {
				missing(dir)
			}
		}
	}
	return probs
}

// subdirs lists the folders in dir (relative to the repository).
func subdirs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(root, dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// gitignored reports whether a top-level name is ignored by a rooted
// pattern of .gitignore (/dist/, /.dist.new-*): build output and caches
// are no part of the layout.
func gitignored(t *testing.T) func(name string) bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, ".gitignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, line := range strings.Split(string(data), "\n") {
		if p, ok := strings.CutPrefix(strings.TrimSpace(line), "/"); ok {
			patterns = append(patterns, strings.TrimSuffix(p, "/"))
		}
	}
	return func(name string) bool {
		return slices.ContainsFunc(patterns, func(p string) bool {
			ok, err := path.Match(p, name)
			return err == nil && ok
		})
	}
}

// describe is a first draft of a folder's description: the synopsis of
// its package comment, for a Go package.
func describe(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(dir), "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil || parsed.Doc == nil {
			continue
		}
		return new(doc.Package).Synopsis(parsed.Doc.Text()) + " (say what it holds)"
	}
	return "what it holds"
}

// TestLinks checks every link of README.md and docs/*.md: a relative one
// must name a file of the repository (and, with #anchor, a heading of a
// Markdown file); one outside the repository must be an https:// URL.
func TestLinks(t *testing.T) {
	t.Parallel()
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages = append([]string{filepath.Join(root, "README.md"), filepath.Join(root, "SECURITY.md")}, pages...)
	anchors := map[string]map[string]bool{} // by repository path
	for _, p := range pages {
		rel := repoPath(t, p)
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range links(src) {
			for _, prob := range checkLink(t, rel, l.dest, anchors) {
				t.Errorf("%s:%d: %s", rel, l.line, prob)
			}
		}
	}
	for p := range pendingDocs {
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err == nil {
			t.Errorf("%s exists now: remove it from pendingDocs in docs/docs_test.go", p)
		}
	}
}

// repoPath is a file's path in the repository, with slashes.
func repoPath(t *testing.T, p string) string {
	t.Helper()
	rel, err := filepath.Rel(root, p)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(rel)
}

// link is one link destination of a page, with the line it is on.
type link struct {
	dest string
	line int
}

// markdown parses like GitHub for what matters here: tables, so that a
// link's line is its row's.
var markdown = goldmark.New(goldmark.WithExtensions(extension.Table))

// links lists every link and image destination of a Markdown document
// (code blocks and code spans hold none).
func links(src []byte) []link {
	var out []link
	doc := markdown.Parser().Parse(text.NewReader(src))
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		var dest string
		switch n := n.(type) {
		case *ast.Link:
			dest = string(n.Destination)
		case *ast.Image:
			dest = string(n.Destination)
		case *ast.AutoLink:
			dest = string(n.URL(src))
		default:
			return ast.WalkContinue, nil
		}
		out = append(out, link{dest: dest, line: lineOf(src, n, dest)})
		return ast.WalkContinue, nil
	})
	return out
}

// lineOf finds the line of an inline node: the first mention of its
// destination from the start of the nearest block that knows its lines
// (a paragraph does; a table cell may not, and then the search starts
// further up).
func lineOf(src []byte, n ast.Node, dest string) int {
	start := 0
	for b := n.Parent(); b != nil; b = b.Parent() {
		if b.Type() == ast.TypeBlock && b.Lines().Len() > 0 {
			start = b.Lines().At(0).Start
			break
		}
	}
	if i := bytes.Index(src[start:], []byte(dest)); i >= 0 {
		start += i
	}
	return bytes.Count(src[:start], []byte("\n")) + 1
}

// checkLink says what is wrong with the link dest of page (a repository
// path); anchors caches the headings of the Markdown files read so far.
func checkLink(t *testing.T, page, dest string, anchors map[string]map[string]bool) []string {
	t.Helper()
	switch {
	case strings.HasPrefix(dest, "https://"):
		return nil
	case strings.Contains(dest, "://") || strings.HasPrefix(dest, "mailto:") || strings.HasPrefix(dest, "//"):
		return []string{fmt.Sprintf("%q: a link out of the repository must be an https:// URL of a public project", dest)}
	case strings.HasPrefix(dest, "/"):
		return []string{fmt.Sprintf("%q: write links relative to %s, as GitHub resolves a leading / elsewhere", dest, page)}
	}
	file, anchor, _ := strings.Cut(dest, "#")
	target := page
	if file != "" {
		target = path.Join(path.Dir(page), file)
		if target == ".." || strings.HasPrefix(target, "../") {
			return []string{fmt.Sprintf("%q leads out of the repository", dest)}
		}
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(target))); err != nil {
			if pendingDocs[target] {
				return nil
			}
			return []string{fmt.Sprintf("%q: %s is no file of the repository", dest, target)}
		}
	}
	if anchor == "" || !strings.HasSuffix(target, ".md") {
		return nil
	}
	if anchors[target] == nil {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(target)))
		if err != nil {
			t.Fatal(err)
		}
		anchors[target] = headingAnchors(src)
	}
	if !anchors[target][anchor] {
		return []string{fmt.Sprintf("%q: %s has no heading with the anchor #%s", dest, target, anchor)}
	}
	return nil
}

// headingAnchors are the ids GitHub gives a document's headings: the text
// in lower case, without punctuation, spaces as hyphens, and -1, -2 … on
// repeats.
func headingAnchors(src []byte) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	doc := markdown.Parser().Parse(text.NewReader(src))
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		h, ok := n.(*ast.Heading)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		id := slugify(inlineText(h, src))
		if k := seen[id]; k > 0 {
			out[fmt.Sprintf("%s-%d", id, k)] = true
		} else {
			out[id] = true
		}
		seen[id]++
		return ast.WalkSkipChildren, nil
	})
	return out
}

// inlineText is the text of n's inline children, code spans included.
func inlineText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering {
			b.Write(t.Segment.Value(src))
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

func slugify(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestCommandList keeps the README's command list in step with the
// binary's usage text (cmd/labfront/run.go): the same commands, each
// with the same subcommands.
func TestCommandList(t *testing.T) {
	t.Parallel()
	usage := usageCommands(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Commands\n")
	if !ok {
		t.Fatal("README.md has no ## Commands section")
	}
	block, ok := codeBlock(section)
	if !ok {
		t.Fatal("README.md's ## Commands section has no code block")
	}
	listed := commandNames(block)
	for _, c := range usage {
		if !slices.Contains(listed, c) {
			t.Errorf("README.md: ## Commands does not list `%s`, which the usage text in cmd/labfront/run.go has", c)
		}
	}
	for _, c := range listed {
		if !slices.Contains(usage, c) {
			t.Errorf("README.md: ## Commands lists `%s`, which the usage text in cmd/labfront/run.go does not have", c)
		}
	}
}

// usageCommands reads the usageText constant of cmd/labfront/run.go.
func usageCommands(t *testing.T) []string {
	t.Helper()
	file := filepath.Join(root, "cmd", "labfront", "run.go")
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, decl := range f.Decls {
		gd, ok := decl.(*goast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*goast.ValueSpec)
			if len(vs.Names) != 1 || vs.Names[0].Name != "usageText" || len(vs.Values) != 1 {
				continue
			}
			lit, ok := vs.Values[0].(*goast.BasicLit)
			if !ok {
				t.Fatalf("%s: usageText is not a literal", file)
			}
			text, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			return commandNames(text)
		}
	}
	t.Fatalf("%s: no const usageText", file)
	return nil
}

// codeBlock is the first fenced code block of s.
func codeBlock(s string) (string, bool) {
	_, rest, ok := strings.Cut(s, "```")
	if !ok {
		return "", false
	}
	_, rest, _ = strings.Cut(rest, "\n") // the fence's info string
	body, _, ok := strings.Cut(rest, "```")
	return body, ok
}

var (
	commandWord     = regexp.MustCompile(`^[a-z]+$`)
	subcommandWords = regexp.MustCompile(`^[a-z]+(\|[a-z]+)*$`)
)

// commandNames lists the commands of the lines that start with
// "labfront": the command, and the subcommand when the next word names
// one or several ("tunnel config", "import hugo|jekyll|astro" is three),
// sorted, once each.
func commandNames(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		words := strings.Fields(line)
		if len(words) < 2 || words[0] != "labfront" || !commandWord.MatchString(words[1]) {
			continue
		}
		subs := []string{""}
		if len(words) > 2 && subcommandWords.MatchString(words[2]) {
			subs = strings.Split(words[2], "|")
		}
		for _, sub := range subs {
			name := strings.TrimSpace(words[1] + " " + sub)
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}
