// Package labedit changes lab.yaml the way an operator would with an
// editor: each edit is a text splice at the place yaml.v3's node positions
// point to, so comments, blank lines, quoting, flow or block styles and
// indentation of everything else stay byte for byte as they were.
// Re-encoding the document would lose all of those.
//
// New list items and new keys are written in the style the file already
// uses: a list of flow mappings gets a flow mapping, a node whose specs
// are `{cores: 4}` elsewhere gets its specs that way, and indentation is
// measured, not assumed.
package labedit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/atomicfile"
	"github.com/labfront/labfront/internal/lab"
)

// Op is what an edit does.
type Op int

const (
	// Append adds Item at the end of the top-level list List.
	Append Op = iota
	// Set adds the missing key Path, under the node with id Node. It
	// refuses to change a value that is there: that is Update's job, and
	// only when the operator asks for it.
	Set
	// Update replaces the single-line value at Path under node Node.
	Update
)

// Edit is one change to lab.yaml.
type Edit struct {
	Op Op
	// List is the top-level list Append adds to ("nodes", "links").
	List string
	// Item is the mapping Append adds, its keys in the order written.
	Item []Field
	// Node is the id of the node Set and Update change.
	Node string
	// Path is the key under the node, one element per level
	// (["specs", "cores"], ["live", "proxmox"]).
	Path []string
	// Value is what Set and Update write.
	Value Value
}

func (e Edit) String() string {
	switch e.Op {
	case Append:
		return fmt.Sprintf("add to %s: %s", e.List, Map(e.Item...).flow())
	case Set:
		return fmt.Sprintf("set nodes[%s].%s = %s", e.Node, strings.Join(e.Path, "."), e.Value.flow())
	}
	return fmt.Sprintf("update nodes[%s].%s = %s", e.Node, strings.Join(e.Path, "."), e.Value.flow())
}

// Apply applies the edits in order and returns the new text. The input is
// not changed. Each edit works on the text the previous one produced, so
// later edits may refer to nodes earlier ones appended.
func Apply(src []byte, edits []Edit) ([]byte, error) {
	out := slices.Clone(src)
	for i, e := range edits {
		d, err := parse(out)
		if err != nil {
			return nil, err
		}
		if out, err = d.apply(e); err != nil {
			return nil, fmt.Errorf("edit %d (%s): %w", i+1, e, err)
		}
	}
	return out, nil
}

// WriteFile applies edits to the lab.yaml at path, checks that the result
// still loads as a lab (display names the file in messages), and replaces
// the file atomically. On any failure the file is left as it was. It
// returns the old and new text, for a diff.
func WriteFile(path, display string, edits []Edit) (old, updated []byte, err error) {
	old, err = os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	updated, err = Apply(old, edits)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", display, err)
	}
	if _, err := lab.Parse(updated, display); err != nil {
		return nil, nil, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if err := atomicfile.Write(path, updated, info.Mode().Perm()); err != nil {
		return nil, nil, fmt.Errorf("write %s: %w", display, err)
	}
	return old, updated, nil
}

// doc is one parse of the text being edited.
type doc struct {
	src   []byte
	lines []int // byte offset of each line's start; lines[0] is line 1
	root  *yaml.Node
}

func parse(src []byte) (*doc, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(src, &n); err != nil {
		return nil, fmt.Errorf("lab.yaml is not valid YAML: %w", err)
	}
	if len(n.Content) == 0 || n.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("lab.yaml is not a mapping")
	}
	d := &doc{src: src, root: n.Content[0], lines: []int{0}}
	for i, c := range src {
		if c == '\n' && i+1 < len(src) {
			d.lines = append(d.lines, i+1)
		}
	}
	return d, nil
}

func (d *doc) apply(e Edit) ([]byte, error) {
	switch e.Op {
	case Append:
		return d.appendItem(e.List, e.Item)
	case Set, Update:
		item := d.nodeItem(e.Node)
		if item == nil {
			return nil, fmt.Errorf("no node with id %q", e.Node)
		}
		if len(e.Path) == 0 {
			return nil, errors.New("no key to change")
		}
		return d.setPath(item, e)
	}
	return nil, fmt.Errorf("unknown edit op %d", e.Op)
}

// get returns the value of key in mapping m, and its key node.
func get(m *yaml.Node, key string) (k, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func (d *doc) nodeItem(id string) *yaml.Node {
	_, nodes := get(d.root, "nodes")
	if nodes == nil || nodes.Kind != yaml.SequenceNode {
		return nil
	}
	for _, it := range nodes.Content {
		if it.Kind != yaml.MappingNode {
			continue
		}
		if _, v := get(it, "id"); v != nil && v.Value == id {
			return it
		}
	}
	return nil
}

// line returns line n (1-based) without its newline.
func (d *doc) line(n int) string {
	if n < 1 || n > len(d.lines) {
		return ""
	}
	end := len(d.src)
	if n < len(d.lines) {
		end = d.lines[n] - 1
	}
	return strings.TrimSuffix(string(d.src[d.lines[n-1]:end]), "\r")
}

// offset is the byte offset of a yaml.v3 position; its columns count
// characters, not bytes.
func (d *doc) offset(line, col int) int {
	off := d.lines[line-1]
	for range col - 1 {
		_, size := utf8.DecodeRune(d.src[off:])
		off += size
	}
	return off
}

// lineEnd is the offset just past line n's newline (or the text's end).
func (d *doc) lineEnd(n int) int {
	if n < len(d.lines) {
		return d.lines[n]
	}
	return len(d.src)
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func indentOf(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

// regionEnd is the last non-blank line of the block that starts on line
// start and goes on while lines are blank or indented at least min: a
// block mapping's keys, a block scalar's text, a flow value's wrapped
// lines.
func (d *doc) regionEnd(start, min int) int {
	end := start
	for n := start + 1; n <= len(d.lines); n++ {
		s := d.line(n)
		if blank(s) {
			continue
		}
		if indentOf(s) < min {
			break
		}
		end = n
	}
	return end
}

// insertAfterLine splices text (whole lines, each ending in \n) after
// line n.
func (d *doc) insertAfterLine(n int, text string) []byte {
	at := d.lineEnd(n)
	var b bytes.Buffer
	b.Write(d.src[:at])
	if at == len(d.src) && len(d.src) > 0 && d.src[len(d.src)-1] != '\n' {
		b.WriteByte('\n')
	}
	b.WriteString(text)
	b.Write(d.src[at:])
	return b.Bytes()
}

func (d *doc) splice(start, end int, text string) []byte {
	var b bytes.Buffer
	b.Write(d.src[:start])
	b.WriteString(text)
	b.Write(d.src[end:])
	return b.Bytes()
}

// flowClose is the offset of the bracket that closes the flow collection
// opening at off, skipping quoted text, comments and nested collections.
func (d *doc) flowClose(off int) (int, error) {
	depth := 0
	for i := off; i < len(d.src); i++ {
		switch c := d.src[i]; c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i, nil
			}
		case '"':
			for i++; i < len(d.src) && d.src[i] != '"'; i++ {
				if d.src[i] == '\\' {
					i++
				}
			}
		case '\'':
			for i++; i < len(d.src); i++ {
				if d.src[i] == '\'' {
					if i+1 < len(d.src) && d.src[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
		case '#':
			if i > 0 && (d.src[i-1] == ' ' || d.src[i-1] == '\t') {
				for i < len(d.src) && d.src[i] != '\n' {
					i++
				}
			}
		}
	}
	return 0, errors.New("unclosed flow collection")
}

// flowInsert adds text as the last entry of the flow collection n.
func (d *doc) flowInsert(n *yaml.Node, text string) ([]byte, error) {
	open := d.offset(n.Line, n.Column)
	if open >= len(d.src) || (d.src[open] != '{' && d.src[open] != '[') {
		return nil, fmt.Errorf("line %d: expected a flow collection", n.Line)
	}
	end, err := d.flowClose(open)
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", n.Line, err)
	}
	// Insert after the last entry, before any space or trailing comma.
	at := end
	for at > open+1 && strings.ContainsRune(" \t\r\n", rune(d.src[at-1])) {
		at--
	}
	sep := ", "
	switch {
	case len(n.Content) == 0:
		sep = ""
	case d.src[at-1] == ',':
		sep = " "
	}
	return d.splice(at, at, sep+text), nil
}
