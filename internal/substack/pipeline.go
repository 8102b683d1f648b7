package substack

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/slug"
)

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// trailerLabels are the fields the content pipeline appends after the
// body, each on its own line followed by its value ("Label: value" on one
// line is accepted too).
var trailerLabels = map[string]string{
	"promotion decision": "decision",
	"source anchor":      "source_anchor",
	"detected structure": "structure",
}

// ReadPipeline reads the content pipeline's text format:
//
//	optional preamble (name, excerpt, edition)
//	# Name
//	Generated: 2026-02-19 00:05 EST
//	Source: Technical Snippet
//	---
//	Title
//	Subtitle
//	---
//	body, sections separated by --- lines
//	Promotion Decision / Source Anchor / Detected Structure, label then value
//
// The body is Markdown; when it has no blank lines at all it is the
// pipeline's plain text, one paragraph per line, and headings, diagrams
// and definition lists are recovered from its layout (see plainToMarkdown).
func ReadPipeline(data []byte, display string, opts Options) (*Article, error) {
	if !utf8.Valid(data) {
		return nil, diag.List{{Path: display, Msg: "not UTF-8 text"}}
	}
	text := strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(text, "\n")
	var probs diag.List
	add := func(i int, field, format string, args ...any) { probs.Add(display, i+1, field, format, args...) }

	head := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "# ") {
			head = i
			break
		}
	}
	if head < 0 {
		return nil, diag.List{{Path: display, Msg: `no "# " line: a pipeline file starts its record with "# <name>", then Generated: and Source: lines`}}
	}
	rec := &PipelineRecord{Name: strings.TrimSpace(lines[head][2:])}
	var preamble []string
	for _, l := range lines[:head] {
		if s := strings.TrimSpace(l); s != "" {
			preamble = append(preamble, s)
		}
	}
	i := head + 1
	generatedLine := -1
	for ; i < len(lines) && !isRule(lines[i]); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		key, val, ok := strings.Cut(l, ":")
		if !ok {
			add(i, "", "expected a header field (Generated: or Source:) or a --- line, found %q", l)
			continue
		}
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "generated":
			rec.Generated, generatedLine = strings.TrimSpace(val), i
		case "source":
			rec.Source = strings.TrimSpace(val)
		default:
			add(i, strings.TrimSpace(key), "unknown header field (known: Generated, Source)")
		}
	}
	if i >= len(lines) {
		add(len(lines)-1, "", "no --- line after the header: the title block must follow it")
		return nil, probs.Err()
	}
	var date time.Time
	if generatedLine < 0 {
		add(head, "Generated", "required: the article's date, e.g. Generated: 2026-02-19 00:05 EST")
	} else {
		var err error
		if date, err = parseGenerated(rec.Generated); err != nil {
			add(generatedLine, "Generated", "%v", err)
		}
	}
	// Title block: title, optional subtitle, closed by ---.
	i++
	var block []string
	blockStart := i
	for ; i < len(lines) && !isRule(lines[i]); i++ {
		if s := strings.TrimSpace(lines[i]); s != "" {
			block = append(block, s)
		}
	}
	title, subtitle := "", ""
	switch {
	case len(block) == 0:
		add(blockStart, "title", "required: the line after the header's --- is the article's title")
	case len(block) > 2:
		add(blockStart, "title", "the title block holds a title and an optional subtitle, found %d lines; close it with ---", len(block))
	default:
		title = strings.TrimPrefix(block[0], "# ")
		if len(block) == 2 {
			subtitle = block[1]
		}
	}
	if i >= len(lines) {
		add(blockStart, "", "no --- line closes the title block")
		return nil, probs.Err()
	}
	body := lines[i+1:]
	body, trailer, trailerProbs := splitTrailer(body, i+1, display)
	probs.Append(trailerProbs)
	rec.Decision, rec.SourceAnchor, rec.Structure = trailer["decision"], trailer["source_anchor"], trailer["structure"]
	if err := probs.Err(); err != nil {
		return nil, err
	}
	s := slug.Make(title)
	if s == "" {
		return nil, diag.List{{Path: display, Line: blockStart + 1, Field: "title", Msg: fmt.Sprintf("%q has no letters or digits to make a slug from", title)}}
	}
	a := &Article{
		Slug: s, Title: title, Subtitle: subtitle, Date: date, Type: TypeNewsletter, Audience: AudienceEveryone,
		Published: true, Pipeline: rec, Source: display, URL: postURL(opts.Publication, s),
	}
	for _, p := range preamble {
		if strings.Contains(strings.ToLower(p), "paid") {
			a.Audience = AudiencePaid
		}
	}
	a.ID = "pipeline:" + s
	if rec.SourceAnchor != "" {
		a.ID = "pipeline:" + rec.SourceAnchor
	}
	a.Body = bodyToMarkdown(body)
	return a, nil
}

func isRule(l string) bool {
	l = strings.TrimSpace(l)
	return l == "---" || l == "***" || l == "___"
}

// parseGenerated takes the date from "2026-02-19 00:05 EST": the day is
// what the site shows, and zone abbreviations are ambiguous anyway.
func parseGenerated(s string) (time.Time, error) {
	f := strings.Fields(s)
	if len(f) > 0 {
		if t, err := time.Parse(time.DateOnly, f[0]); err == nil {
			return t, nil
		}
		if t, err := time.Parse(time.RFC3339, f[0]); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q does not start with a date (YYYY-MM-DD)", s)
}

// splitTrailer separates the pipeline's fields from the end of the body.
// They start at the first known label after the body's last --- rule.
func splitTrailer(body []string, offset int, display string) ([]string, map[string]string, diag.List) {
	fields := map[string]string{}
	var probs diag.List
	from := 0
	for j := len(body) - 1; j >= 0; j-- {
		if isRule(body[j]) {
			from = j + 1
			break
		}
	}
	start := -1
	for j := from; j < len(body); j++ {
		if _, _, ok := trailerLabel(body[j]); ok {
			start = j
			break
		}
	}
	if start < 0 {
		return body, fields, nil
	}
	for j := start; j < len(body); j++ {
		l := strings.TrimSpace(body[j])
		if l == "" {
			continue
		}
		key, inline, ok := trailerLabel(l)
		if !ok {
			probs.Add(display, offset+j+1, "", "unexpected line %q among the pipeline's fields (Promotion Decision, Source Anchor, Detected Structure)", l)
			continue
		}
		if _, dup := fields[key]; dup {
			probs.Add(display, offset+j+1, key, "given twice")
		}
		val := inline
		if val == "" {
			// The value is on the next non-empty line that is no label.
			for k := j + 1; k < len(body); k++ {
				v := strings.TrimSpace(body[k])
				if v == "" {
					continue
				}
				if _, _, isLabel := trailerLabel(v); isLabel {
					break
				}
				val, j = v, k
				break
			}
		}
		if val == "" {
			probs.Add(display, offset+j+1, key, "has no value")
		}
		fields[key] = val
	}
	return body[:start], fields, probs
}

func trailerLabel(l string) (key, value string, ok bool) {
	l = strings.TrimSpace(l)
	name, val, _ := strings.Cut(l, ":")
	key, ok = trailerLabels[strings.ToLower(strings.TrimSpace(name))]
	return key, strings.TrimSpace(val), ok
}

// bodyToMarkdown keeps a Markdown body as it is and converts the
// pipeline's plain text (no blank lines) to Markdown.
func bodyToMarkdown(body []string) string {
	for len(body) > 0 && strings.TrimSpace(body[0]) == "" {
		body = body[1:]
	}
	for len(body) > 0 && strings.TrimSpace(body[len(body)-1]) == "" {
		body = body[:len(body)-1]
	}
	plain := true
	for _, l := range body {
		if strings.TrimSpace(l) == "" {
			plain = false
			break
		}
	}
	if !plain {
		// A rule directly under a paragraph line would make it a setext
		// heading; the pipeline means a section break.
		var out []string
		for _, l := range body {
			if isRule(l) {
				out = append(out, "", "---", "")
				continue
			}
			out = append(out, strings.TrimRight(l, " \t"))
		}
		return collapseBlank(strings.Join(out, "\n")) + "\n"
	}
	return plainToMarkdown(body)
}

func collapseBlank(s string) string {
	for strings.Contains(s, "\n\n\n") {
		s = strings.ReplaceAll(s, "\n\n\n", "\n\n")
	}
	return strings.TrimSpace(s)
}

var definitionLine = regexp.MustCompile(`^([A-Z][\p{L}\p{N} /&+'’-]{1,40}):\s+(\S.*)$`)

// plainToMarkdown recovers structure from text that has one paragraph per
// line and --- between sections:
//   - a section's first line that reads like a title (short, capitalised,
//     no closing punctuation) is a heading (##); such a line followed by a
//     paragraph inside a section is a subheading (###);
//   - a line drawn with arrows or box characters, with the label lines
//     that follow it, is a diagram and becomes a text code block;
//   - two or more "Term: explanation" lines become a list;
//   - Markdown already in a line (backticks, emphasis, links) is kept.
func plainToMarkdown(body []string) string {
	var sections [][]string
	cur := []string{}
	for _, l := range body {
		if isRule(l) {
			sections = append(sections, cur)
			cur = []string{}
			continue
		}
		cur = append(cur, strings.TrimSpace(l))
	}
	sections = append(sections, cur)
	var out []string
	for si, sec := range sections {
		if len(sec) == 0 {
			continue
		}
		j := 0
		if len(sec) > 1 && headingLike(sec[0]) {
			out = append(out, "## "+sec[0])
			j = 1
		} else if si > 0 && len(out) > 0 {
			out = append(out, "---")
		}
		for j < len(sec) {
			l := sec[j]
			switch {
			case fenced(l):
				k := j + 1
				for k < len(sec) && !fenced(sec[k]) {
					k++
				}
				end := min(k+1, len(sec))
				out = append(out, strings.Join(sec[j:end], "\n"))
				j = end
			case diagramLine(l):
				k := j + 1
				for k < len(sec) && !endsSentence(sec[k]) && !diagramLine(sec[k]) && !markdownLine(sec[k]) && len([]rune(sec[k])) <= 100 {
					k++
				}
				out = append(out, "```text\n"+strings.Join(sec[j:k], "\n")+"\n```")
				j = k
			case definitionLine.MatchString(l) && j+1 < len(sec) && definitionLine.MatchString(sec[j+1]):
				var items []string
				for j < len(sec) && definitionLine.MatchString(sec[j]) {
					m := definitionLine.FindStringSubmatch(sec[j])
					items = append(items, "- **"+m[1]+":** "+m[2])
					j++
				}
				out = append(out, strings.Join(items, "\n"))
			case headingLike(l) && j+1 < len(sec) && !headingLike(sec[j+1]):
				out = append(out, "### "+l)
				j++
			default:
				out = append(out, l)
				j++
			}
		}
	}
	return strings.Join(out, "\n\n") + "\n"
}

func fenced(l string) bool { return strings.HasPrefix(l, "```") || strings.HasPrefix(l, "~~~") }

// markdownLine is a line that already says what it is in Markdown.
func markdownLine(l string) bool {
	for _, p := range []string{"#", "- ", "* ", "+ ", "> ", "|", "```", "~~~"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return orderedItem.MatchString(l)
}

var orderedItem = regexp.MustCompile(`^\d{1,9}[.)] `)

func headingLike(l string) bool {
	if l == "" || markdownLine(l) || diagramLine(l) || definitionLine.MatchString(l) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(l)
	if !unicode.IsUpper(r) && !unicode.IsDigit(r) {
		return false
	}
	if utf8.RuneCountInString(l) > 80 || len(strings.Fields(l)) > 10 {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(l)
	return !strings.ContainsRune(".!?:;,…\"”'’*_`", last)
}

func endsSentence(l string) bool {
	last, _ := utf8.DecodeLastRuneInString(strings.TrimSpace(l))
	return strings.ContainsRune(".!?:…\"”", last)
}

// diagramLine is drawn rather than written: arrows or box-drawing runes.
func diagramLine(l string) bool {
	return strings.ContainsAny(l, "←→↔⇄⇆│┌┐└┘├┤┬┴┼─═║")
}
