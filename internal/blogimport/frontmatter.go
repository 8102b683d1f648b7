package blogimport

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"
)

// field is one front-matter key as the source wrote it, in source order.
type field struct {
	Key   string
	Value any // string, bool, int64, float64, time.Time, []any, map[string]any
	Line  int // 1-based line in the source file
}

// frontMatter is a source file split into its front matter and body.
type frontMatter struct {
	Fields   []field
	Body     string
	BodyLine int // the line of the source file the body starts on
}

func (fm *frontMatter) get(key string) (field, bool) {
	for _, f := range fm.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return field{}, false
}

// splitFrontMatter reads YAML (---), TOML (+++) or JSON ({ … }) front
// matter, the three forms Hugo accepts; Jekyll and Astro use YAML. A file
// without front matter has none and is all body.
func splitFrontMatter(src []byte) (*frontMatter, error) {
	src = bytes.TrimPrefix(src, []byte("\ufeff"))
	text := strings.ReplaceAll(string(src), "\r\n", "\n")
	first, _, _ := strings.Cut(text, "\n")
	switch strings.TrimRight(first, " \t") {
	case "---":
		head, body, line, err := fenced(text, "---")
		if err != nil {
			return nil, err
		}
		fields, err := yamlFields(head, 2)
		if err != nil {
			return nil, err
		}
		return &frontMatter{Fields: fields, Body: body, BodyLine: line}, nil
	case "+++":
		head, body, line, err := fenced(text, "+++")
		if err != nil {
			return nil, err
		}
		fields, err := tomlFields(head, 2)
		if err != nil {
			return nil, err
		}
		return &frontMatter{Fields: fields, Body: body, BodyLine: line}, nil
	}
	if strings.HasPrefix(text, "{") {
		dec := json.NewDecoder(strings.NewReader(text))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("line 1: JSON front matter: %v", err)
		}
		end := int(dec.InputOffset())
		// JSON is YAML: reading it as YAML keeps key order and lines.
		fields, err := yamlFields(string(raw), 1)
		if err != nil {
			return nil, err
		}
		body := text[end:]
		line := 1 + strings.Count(text[:end], "\n")
		if rest, ok := strings.CutPrefix(body, "\n"); ok {
			body, line = rest, line+1
		}
		return &frontMatter{Fields: fields, Body: body, BodyLine: line}, nil
	}
	return &frontMatter{Body: text, BodyLine: 1}, nil
}

// fenced splits text that starts with a fence line into the part up to
// the closing fence and the body after it.
func fenced(text, fence string) (head, body string, bodyLine int, err error) {
	lines := strings.SplitAfter(text, "\n")
	for i := 1; i < len(lines); i++ {
		if strings.TrimRight(lines[i], " \t\n") == fence {
			return strings.Join(lines[1:i], ""), strings.Join(lines[i+1:], ""), i + 2, nil
		}
	}
	return "", "", 0, fmt.Errorf("line 1: front matter opened with %s is never closed", fence)
}

func yamlFields(head string, firstLine int) ([]field, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(head), &doc); err != nil {
		return nil, fmt.Errorf("front matter: %v", shiftYAMLError(err, firstLine-1))
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: front matter is not a map of keys", firstLine+m.Line-1)
	}
	var out []field
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		out = append(out, field{Key: k.Value, Value: yamlValue(v), Line: firstLine + k.Line - 1})
	}
	return out, nil
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// shiftYAMLError makes yaml.v3's "line N" count from the file's start.
func shiftYAMLError(err error, by int) string {
	return yamlLine.ReplaceAllStringFunc(err.Error(), func(s string) string {
		var n int
		fmt.Sscanf(s, "line %d", &n)
		return fmt.Sprintf("line %d", n+by)
	})
}

// yamlValue turns a node into plain Go values. Scalars stay strings,
// booleans and numbers aside, so that a date is kept exactly as written.
func yamlValue(n *yaml.Node) any {
	switch n.Kind {
	case yaml.AliasNode:
		return yamlValue(n.Alias)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, yamlValue(c))
		}
		return out
	case yaml.MappingNode:
		out := orderedMap{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			out = append(out, field{Key: n.Content[i].Value, Value: yamlValue(n.Content[i+1]), Line: n.Content[i].Line})
		}
		return out
	}
	switch n.Tag {
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return i
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
	case "!!null":
		return nil
	}
	return n.Value
}

// orderedMap is a map value that keeps the source's key order, so extra:
// reads like the original.
type orderedMap []field

func (m orderedMap) get(key string) (any, bool) {
	for _, f := range m {
		if f.Key == key {
			return f.Value, true
		}
	}
	return nil, false
}

var tomlKey = regexp.MustCompile(`^\s*("?)([A-Za-z0-9_.-]+)("?)\s*=`)
var tomlTable = regexp.MustCompile(`^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]`)

func tomlFields(head string, firstLine int) ([]field, error) {
	var raw map[string]any
	md, err := toml.Decode(head, &raw)
	if err != nil {
		return nil, fmt.Errorf("front matter: %v", shiftTOMLError(err, firstLine-1))
	}
	// The decoder forgets lines and order; the top-level keys are found
	// again in the text for both.
	lines := map[string]int{}
	var order []string
	sc := bufio.NewScanner(strings.NewReader(head))
	inTable := false
	for n := 0; sc.Scan(); n++ {
		l := sc.Text()
		if m := tomlTable.FindStringSubmatch(l); m != nil {
			inTable = true
			key, _, _ := strings.Cut(m[1], ".")
			if _, ok := lines[key]; !ok {
				lines[key] = firstLine + n
				order = append(order, key)
			}
			continue
		}
		if m := tomlKey.FindStringSubmatch(l); m != nil && !inTable {
			if _, ok := lines[m[2]]; !ok {
				lines[m[2]] = firstLine + n
				order = append(order, m[2])
			}
		}
	}
	seen := map[string]bool{}
	var out []field
	add := func(k string) {
		v, ok := raw[k]
		if !ok || seen[k] {
			return
		}
		seen[k] = true
		out = append(out, field{Key: k, Value: tomlValue(v), Line: lines[k]})
	}
	for _, k := range order {
		add(k)
	}
	for _, k := range md.Keys() {
		add(k[0])
	}
	return out, nil
}

func shiftTOMLError(err error, by int) string {
	var pe toml.ParseError
	if e, ok := err.(toml.ParseError); ok {
		pe = e
		return fmt.Sprintf("line %d: %s", pe.Position.Line+by, pe.Message)
	}
	return err.Error()
}

func tomlValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := orderedMap{}
		for _, k := range sortedKeys(v) {
			out = append(out, field{Key: k, Value: tomlValue(v[k])})
		}
		return out
	case []map[string]any:
		out := make([]any, 0, len(v))
		for _, m := range v {
			out = append(out, tomlValue(m))
		}
		return out
	case []any:
		out := make([]any, 0, len(v))
		for _, x := range v {
			out = append(out, tomlValue(x))
		}
		return out
	case time.Time:
		// The decoder marks local dates and times with named zones.
		switch v.Location().String() {
		case "date-local":
			return v.Format(time.DateOnly)
		case "datetime-local":
			return v.Format("2006-01-02T15:04:05")
		case "time-local":
			return v.Format("15:04:05")
		}
		return v.Format(time.RFC3339)
	}
	return v
}
