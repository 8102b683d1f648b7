package web

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/live"
)

// LabField is one string field of lab.yaml, found by reflection over
// lab.Lab so a field added to the model is planted without anyone listing
// it.
type LabField struct {
	Kind string // the item kind, as lab.Keys names it: node, specs, …
	Key  string // the field's key in that item: cpu
	// Path leads from the top of the file to the item: each step is a key
	// and the kind of item under it; a list step means a fresh item
	// appended to that list.
	Path []LabStep
	List bool // a []string field, planted as a one-item list
}

// LabStep is one key on the way to a field.
type LabStep struct {
	Key, Kind string
	List      bool
}

func (f LabField) String() string {
	var b strings.Builder
	for _, s := range f.Path {
		b.WriteString(s.Key)
		if s.List {
			b.WriteString("[+]")
		}
		b.WriteByte('.')
	}
	return b.String() + f.Key
}

// LabFields lists every string and []string field reachable from lab.Lab.
func LabFields() []LabField {
	var out []LabField
	var walk func(t reflect.Type, kind string, path []LabStep)
	walk = func(t reflect.Type, kind string, path []LabStep) {
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			key := yamlKey(f.Name)
			ft := f.Type
			list := false
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				list = list || ft.Kind() == reflect.Slice
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.String:
				out = append(out, LabField{Kind: kind, Key: key, Path: path, List: list})
			case reflect.Map:
				// live: is open in lab; its keys are the collector
				// registry's, so they are planted from there.
				if ft == reflect.TypeFor[lab.Live]() {
					sub := append(append([]LabStep{}, path...), LabStep{Key: key, Kind: "live"})
					for _, k := range live.Builtin().LiveKeys() {
						out = append(out, LabField{Kind: "live", Key: k, Path: sub})
					}
				}
			case reflect.Struct:
				sub := append(append([]LabStep{}, path...), LabStep{Key: key, Kind: strings.ToLower(ft.Name()), List: list})
				walk(ft, strings.ToLower(ft.Name()), sub)
			}
		}
	}
	walk(reflect.TypeFor[lab.Lab](), "lab", nil)
	return out
}

// yamlKey spells a Go field name as a lab.yaml key (MemoryGB: memory_gb).
// It is lab's rule written again, so the test does not trust the code it
// tests.
func yamlKey(name string) string {
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Planted is a lab.yaml with one value planted, and where it went.
type Planted struct {
	YAML  []byte
	Line  int    // the line of the planted scalar
	Field string // its path in the file, as problems name it: sites[2].networks[0].cidr
}

// PlantLab writes value into field f of a fresh item appended to base (a
// lab.yaml), creating each item on the way from fresh, the YAML of a
// minimal valid item of each kind (fresh["site"] = "{id: s, name: S}").
// Mappings that are not lists (swarm, specs) are reused when base has
// them.
func PlantLab(base []byte, f LabField, value string, fresh map[string]string) (Planted, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(base, &doc); err != nil || len(doc.Content) == 0 {
		return Planted{}, fmt.Errorf("base lab: %v", err)
	}
	cur := doc.Content[0]
	var field []string
	for _, s := range f.Path {
		item, err := freshItem(fresh, s.Kind)
		if err != nil {
			return Planted{}, err
		}
		v := mapValue(cur, s.Key)
		switch {
		case s.List:
			if v == nil {
				v = &yaml.Node{Kind: yaml.SequenceNode}
				setKey(cur, s.Key, v)
			}
			field = append(field, fmt.Sprintf("%s[%d]", s.Key, len(v.Content)))
			v.Content = append(v.Content, item)
			cur = item
		case v != nil:
			field = append(field, s.Key)
			cur = v
		default:
			field = append(field, s.Key)
			setKey(cur, s.Key, item)
			cur = item
		}
	}
	val := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, Style: yaml.DoubleQuotedStyle}
	fieldPath := strings.Join(append(field, f.Key), ".")
	if f.List {
		val = &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: []*yaml.Node{val}}
		fieldPath += "[0]"
	}
	setKey(cur, f.Key, val)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return Planted{}, err
	}
	if err := enc.Close(); err != nil {
		return Planted{}, err
	}
	// Lines are only known once the file is written out: read it back
	// and find the scalar by its path.
	var again yaml.Node
	if err := yaml.Unmarshal(buf.Bytes(), &again); err != nil {
		return Planted{}, err
	}
	line := lineOf(again.Content[0], fieldPath)
	if line == 0 {
		return Planted{}, fmt.Errorf("planted %s but cannot find it again", fieldPath)
	}
	return Planted{YAML: buf.Bytes(), Line: line, Field: fieldPath}, nil
}

// MergeLab appends the items of every list in extra to the same list in
// base, descending into mappings present in both (swarm: agents:).
func MergeLab(base, extra []byte) ([]byte, error) {
	var b, e yaml.Node
	if err := yaml.Unmarshal(base, &b); err != nil {
		return nil, fmt.Errorf("base lab: %w", err)
	}
	if err := yaml.Unmarshal(extra, &e); err != nil {
		return nil, fmt.Errorf("extra lab: %w", err)
	}
	var merge func(dst, src *yaml.Node)
	merge = func(dst, src *yaml.Node) {
		for i := 0; i+1 < len(src.Content); i += 2 {
			k, v := src.Content[i].Value, src.Content[i+1]
			d := mapValue(dst, k)
			switch {
			case d == nil:
				setKey(dst, k, v)
			case d.Kind == yaml.SequenceNode && v.Kind == yaml.SequenceNode:
				d.Content = append(d.Content, v.Content...)
			case d.Kind == yaml.MappingNode && v.Kind == yaml.MappingNode:
				merge(d, v)
			default:
				setKey(dst, k, v)
			}
		}
	}
	merge(b.Content[0], e.Content[0])
	return yaml.Marshal(&b)
}

func freshItem(fresh map[string]string, kind string) (*yaml.Node, error) {
	src, ok := fresh[kind]
	if !ok {
		return nil, fmt.Errorf("no fresh item for kind %q: add one to the test", kind)
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil || len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("fresh %s %q is not a mapping: %v", kind, src, err)
	}
	item := n.Content[0]
	item.Style = 0 // block style, so every key has its own line
	return item, nil
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func setKey(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// lineOf follows a path like nodes[3].specs.cpu or nodes[3].networks[0]
// from m and returns the line of the scalar there.
func lineOf(m *yaml.Node, path string) int {
	cur := m
	for _, part := range strings.Split(path, ".") {
		key, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 {
			key = part[:i]
			if _, err := fmt.Sscanf(part[i:], "[%d]", &idx); err != nil {
				return 0
			}
		}
		cur = mapValue(cur, key)
		if cur == nil {
			return 0
		}
		if idx >= 0 {
			if cur.Kind != yaml.SequenceNode || idx >= len(cur.Content) {
				return 0
			}
			cur = cur.Content[idx]
		}
	}
	return cur.Line
}
