package substack

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/atomicfile"
)

// Files this package writes are YAML front matter between --- lines and a
// Markdown body. The front matter is built as a yaml.Node so the key order
// is fixed and lists of anchors stay one line per item: the files are meant
// to be read and edited by hand.

type mapping struct{ n *yaml.Node }

func newMapping() mapping { return mapping{&yaml.Node{Kind: yaml.MappingNode}} }

func (m mapping) set(key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.n.Content); i += 2 {
		if m.n.Content[i].Value == key {
			m.n.Content[i+1] = v
			return
		}
	}
	m.n.Content = append(m.n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

func (m mapping) get(key string) *yaml.Node {
	for i := 0; i+1 < len(m.n.Content); i += 2 {
		if m.n.Content[i].Value == key {
			return m.n.Content[i+1]
		}
	}
	return nil
}

func (m mapping) str(key, v string) {
	m.set(key, strNode(v))
}

// optional sets key only when v is not empty.
func (m mapping) optional(key, v string) {
	if v != "" {
		m.str(key, v)
	}
}

func strNode(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

// dateNode writes a date plain (date: 2026-02-19), as hand-written
// content does; a string node would be quoted.
func dateNode(t time.Time) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: t.Format(time.DateOnly)}
}

func intNode(v int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}
}

func listNode(items []string, flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	if flow {
		n.Style = yaml.FlowStyle
	}
	for _, s := range items {
		n.Content = append(n.Content, strNode(s))
	}
	return n
}

func anchorsNode(as []Anchor) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for _, a := range as {
		m := newMapping()
		m.n.Style = yaml.FlowStyle
		m.str("kind", a.Kind)
		m.str("id", a.ID)
		m.str("name", a.Name)
		m.set("count", intNode(a.Count))
		m.str("url", a.URL)
		m.optional("node", a.Node)
		n.Content = append(n.Content, m.n)
	}
	return n
}

func sectionsNode(ss []Section) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for _, s := range ss {
		m := newMapping()
		m.n.Style = yaml.FlowStyle
		m.str("heading", s.Heading)
		m.str("label", s.Label)
		m.set("words", intNode(s.Words))
		m.set("cues", listNode(s.Cues, true))
		n.Content = append(n.Content, m.n)
	}
	return n
}

// render writes front matter and body as one file.
func render(fm mapping, body string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("---\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(fm.n); err != nil {
		return nil, fmt.Errorf("encode front matter: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode front matter: %w", err)
	}
	b.WriteString("---\n\n")
	b.WriteString(strings.TrimLeft(body, "\n"))
	return b.Bytes(), nil
}

// splitFile separates front matter from the body. The front matter's first
// line is line 2 of the file.
func splitFile(data []byte) (fm []byte, body string, ok bool) {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	rest, found := strings.CutPrefix(s, "---\n")
	if !found {
		return nil, s, false
	}
	end := strings.Index(rest, "\n---\n")
	if end < 0 {
		if strings.HasSuffix(rest, "\n---") {
			return []byte(rest[:len(rest)-4]), "", true
		}
		return nil, s, false
	}
	return []byte(rest[:end+1]), strings.TrimLeft(rest[end+5:], "\n"), true
}

// writeIfChanged writes data unless path already holds it, and says
// whether it wrote.
func writeIfChanged(path string, data []byte) (bool, error) {
	old, err := os.ReadFile(path)
	if err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	return true, atomicfile.Write(path, data, 0o644)
}
