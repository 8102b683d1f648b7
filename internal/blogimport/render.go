package blogimport

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// renderPage writes a post's index.md: the mapped keys in a fixed order
// (so a re-import gives the same bytes), the keys labfront has no use
// for under extra:, then the body.
func renderPage(p *post, aliases []string, body string) []byte {
	m := &yaml.Node{Kind: yaml.MappingNode}
	add := func(k string, v *yaml.Node) { m.Content = append(m.Content, str(k), v) }
	add("title", str(p.meta.Title))
	add("date", plain(p.meta.Date))
	if p.meta.Updated != "" && p.meta.Updated != p.meta.Date {
		add("updated", plain(p.meta.Updated))
	}
	if p.meta.Summary != "" {
		add("summary", str(p.meta.Summary))
	}
	if len(p.meta.Tags) > 0 {
		add("tags", strList(p.meta.Tags, true))
	}
	if p.meta.Draft {
		add("draft", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	if p.meta.Author != "" {
		add("author", str(p.meta.Author))
	}
	if p.meta.Series != "" {
		add("series", str(p.meta.Series))
	}
	if p.meta.Cover != "" {
		add("cover", str(p.meta.Cover))
		if p.meta.CoverAlt != "" {
			add("cover_alt", str(p.meta.CoverAlt))
		}
	}
	if len(aliases) > 0 {
		add("aliases", strList(aliases, false))
	}
	if len(p.meta.Extra) > 0 {
		add("extra", nodeOf(p.meta.Extra))
	}
	return page(m, body)
}

// renderTranslation writes a translation: its own title and summary, the
// post it translates, and the rest of its keys under extra: so the file
// keeps everything the source had.
func renderTranslation(t *translation, p *post, body string) []byte {
	m := &yaml.Node{Kind: yaml.MappingNode}
	add := func(k string, v *yaml.Node) { m.Content = append(m.Content, str(k), v) }
	title := t.meta.Title
	if title == "" {
		title = p.meta.Title
	}
	add("title", str(title))
	date := t.meta.Date
	if date == "" {
		date = p.meta.Date
	}
	add("date", plain(date))
	if t.meta.Summary != "" {
		add("summary", str(t.meta.Summary))
	}
	add("language", str(t.lang))
	add("translation_of", str(p.newURL()))
	if len(t.meta.Extra) > 0 {
		add("extra", nodeOf(t.meta.Extra))
	}
	return page(m, body)
}

func page(m *yaml.Node, body string) []byte {
	var b bytes.Buffer
	b.WriteString("---\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		// Every node is built here from strings, numbers and lists; an
		// encoder error is a bug, not input.
		panic(fmt.Sprintf("blogimport: encode front matter: %v", err))
	}
	b.WriteString("---\n\n")
	body = strings.Trim(body, "\n")
	if body != "" {
		b.WriteString(body)
		b.WriteString("\n")
	}
	return b.Bytes()
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// plain writes a date unquoted, as people write them.
func plain(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: s}
}

func strList(list []string, flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	if flow {
		n.Style = yaml.FlowStyle
	}
	for _, s := range list {
		n.Content = append(n.Content, str(s))
	}
	return n
}

func nodeOf(v any) *yaml.Node {
	switch v := v.(type) {
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case string:
		return str(v)
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)}
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}
	case float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(v, 'g', -1, 64)}
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		flow := true
		for _, x := range v {
			c := nodeOf(x)
			if c.Kind != yaml.ScalarNode || len(c.Value) > 40 {
				flow = false
			}
			n.Content = append(n.Content, c)
		}
		if flow {
			n.Style = yaml.FlowStyle
		}
		return n
	case orderedMap:
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, f := range v {
			n.Content = append(n.Content, str(f.Key), nodeOf(f.Value))
		}
		return n
	}
	return str(fmt.Sprint(v))
}

// yamlScalar writes s as a YAML scalar, quoted where YAML needs it.
func yamlScalar(s string) string {
	out, err := yaml.Marshal(str(s))
	if err != nil {
		panic(fmt.Sprintf("blogimport: encode %q: %v", s, err))
	}
	return strings.TrimSuffix(string(out), "\n")
}
