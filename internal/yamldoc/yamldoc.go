// Package yamldoc reads YAML documents field by field, reporting every
// problem (syntax, unknown key, wrong type, missing value) with its file and
// line instead of stopping at the first one, as yaml.Unmarshal would.
package yamldoc

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/diag"
)

// Doc is one YAML document being read. LineOffset is added to every line,
// for YAML embedded in a larger file (front matter starts on line 2).
type Doc struct {
	Path       string
	LineOffset int
	Problems   *diag.List
}

var syntaxLine = regexp.MustCompile(`line (\d+):\s*`)

// Parse parses data and returns its top-level mapping, or nil after
// reporting why it could not. Empty input yields an empty mapping.
func (d *Doc) Parse(data []byte) *yaml.Node {
	var root yaml.Node
	return d.Root(&root, yaml.Unmarshal(data, &root))
}

// Root returns the top-level mapping of an already decoded document, or nil
// after reporting err or a document that is not a mapping.
func (d *Doc) Root(root *yaml.Node, err error) *yaml.Node {
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := 0
		if m := syntaxLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1]) // the regexp only matches digits
			msg = strings.Replace(msg, m[0], "", 1)
		}
		d.add(line, "", "invalid YAML: %s", msg)
		return nil
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return &yaml.Node{Kind: yaml.MappingNode, Line: 1}
	}
	n := root.Content[0]
	if n.Kind != yaml.MappingNode {
		d.add(n.Line, "", "expected a mapping of keys to values, found %s", kindName(n))
		return nil
	}
	return n
}

func (d *Doc) add(line int, field, format string, args ...any) {
	if line > 0 {
		line += d.LineOffset
	}
	d.Problems.Add(d.Path, line, field, format, args...)
}

// Errorf reports a problem at node n.
func (d *Doc) Errorf(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.add(line, field, format, args...)
}

// Line is the file line of n, offset applied.
func (d *Doc) Line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line + d.LineOffset
}

// Fields is a mapping whose keys have been checked against an allowed set.
type Fields struct {
	doc    *Doc
	node   *yaml.Node
	prefix string
	vals   map[string]*yaml.Node
	// order is the keys in the order the document gives them.
	order []string
}

// Map checks that n is a mapping with only the allowed keys (each at most
// once). prefix names the mapping in messages ("author", "nodes[2]").
func (d *Doc) Map(n *yaml.Node, prefix string, allowed ...string) Fields {
	return d.mapping(n, prefix, func(key string) bool { return slices.Contains(allowed, key) }, allowed)
}

// Open reads a mapping whose keys this reader does not know: another part
// of the program checks them (lab.yaml's live: keys belong to the
// collector registry). Duplicate keys are still reported; Keys lists them.
func (d *Doc) Open(n *yaml.Node, prefix string) Fields {
	return d.mapping(n, prefix, func(string) bool { return true }, nil)
}

func (d *Doc) mapping(n *yaml.Node, prefix string, ok func(string) bool, allowed []string) Fields {
	f := Fields{doc: d, node: n, prefix: prefix, vals: map[string]*yaml.Node{}}
	if n == nil {
		return f
	}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, prefix, "expected a mapping, found %s", kindName(n))
		return f
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := f.name(k.Value)
		switch {
		case !ok(k.Value):
			d.Errorf(k, name, "unknown key (allowed: %s)", strings.Join(allowed, ", "))
		case f.vals[k.Value] != nil:
			d.Errorf(k, name, "duplicate key")
		default:
			f.vals[k.Value] = v
			f.order = append(f.order, k.Value)
		}
	}
	return f
}

// Keys are the mapping's accepted keys in document order.
func (f Fields) Keys() []string { return slices.Clone(f.order) }

func (f Fields) name(key string) string {
	if f.prefix == "" {
		return key
	}
	return f.prefix + "." + key
}

// Node returns the raw value of key, or nil.
func (f Fields) Node(key string) *yaml.Node { return f.vals[key] }

// Has reports whether key is present.
func (f Fields) Has(key string) bool { return f.vals[key] != nil }

// Line is the line of key's value, or of the mapping when key is absent.
func (f Fields) Line(key string) int {
	if n := f.vals[key]; n != nil {
		return f.doc.Line(n)
	}
	return f.doc.Line(f.node)
}

// Require reports each missing key.
func (f Fields) Require(keys ...string) {
	for _, k := range keys {
		if n := f.vals[k]; n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
			f.doc.Errorf(f.node, f.name(k), "required")
		}
	}
}

func (f Fields) scalar(key string) *yaml.Node {
	n := f.vals[key]
	if n == nil || n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		f.doc.Errorf(n, f.name(key), "expected a single value, found %s", kindName(n))
		return nil
	}
	return n
}

// String returns key's value as text ("" when absent).
func (f Fields) String(key string) string {
	if n := f.scalar(key); n != nil {
		return n.Value
	}
	return ""
}

// Bool returns key's value as a boolean.
func (f Fields) Bool(key string) bool {
	n := f.scalar(key)
	if n == nil {
		return false
	}
	var b bool
	if err := n.Decode(&b); err != nil || n.Tag != "!!bool" {
		f.doc.Errorf(n, f.name(key), "expected true or false, found %q", n.Value)
		return false
	}
	return b
}

// Int returns key's value as an integer, def when absent.
func (f Fields) Int(key string, def int) int {
	n := f.scalar(key)
	if n == nil {
		return def
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		f.doc.Errorf(n, f.name(key), "expected a whole number, found %q", n.Value)
		return def
	}
	return v
}

// Float returns key's value as a number, def when absent.
func (f Fields) Float(key string, def float64) float64 {
	n := f.scalar(key)
	if n == nil {
		return def
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil {
		f.doc.Errorf(n, f.name(key), "expected a number, found %q", n.Value)
		return def
	}
	return v
}

// Date returns key's value as a time. Accepted: YYYY-MM-DD (midnight UTC)
// and RFC 3339.
func (f Fields) Date(key string) time.Time {
	n := f.scalar(key)
	if n == nil {
		return time.Time{}
	}
	t, err := ParseDate(n.Value)
	if err != nil {
		f.doc.Errorf(n, f.name(key), "%v", err)
	}
	return t
}

// ParseDate accepts the two date forms content may use.
func ParseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("expected a date as YYYY-MM-DD or RFC 3339, found %q", s)
}

// Strings returns key's value as a list of strings; a single scalar is
// accepted as a one-element list because people write `tags: go`.
func (f Fields) Strings(key string) []string {
	n := f.vals[key]
	if n == nil || n.Tag == "!!null" {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for i, e := range n.Content {
			if e.Kind != yaml.ScalarNode {
				f.doc.Errorf(e, fmt.Sprintf("%s[%d]", f.name(key), i), "expected text, found %s", kindName(e))
				continue
			}
			out = append(out, e.Value)
		}
		return out
	}
	f.doc.Errorf(n, f.name(key), "expected a list, found %s", kindName(n))
	return nil
}

// List returns the elements of a sequence value, reporting anything else.
func (f Fields) List(key string) []*yaml.Node {
	n := f.vals[key]
	if n == nil || n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		f.doc.Errorf(n, f.name(key), "expected a list, found %s", kindName(n))
		return nil
	}
	return n.Content
}

// Sub reads the mapping under key with its own allowed keys.
func (f Fields) Sub(key string, allowed ...string) Fields {
	return f.doc.Map(f.vals[key], f.name(key), allowed...)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}
