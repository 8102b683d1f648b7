package labedit

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// style is how a list's items are written, measured on the file.
type style struct {
	// flow is, per key, whether items write that key's mapping or list in
	// flow style; keys not seen are flow for lists, block for mappings.
	flow map[string]bool
	// step is how far a nested block mapping's keys are indented past
	// their parent key; seqStep the same for a block list's dashes.
	step, seqStep int
}

// measure reads the style of the items of a list.
func measure(items []*yaml.Node) style {
	st := style{flow: map[string]bool{}, step: 2, seqStep: 2}
	seenStep, seenSeq := false, false
	for _, it := range items {
		if it.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(it.Content); i += 2 {
			k, v := it.Content[i], it.Content[i+1]
			if v.Kind != yaml.MappingNode && v.Kind != yaml.SequenceNode {
				continue
			}
			flow := v.Style&yaml.FlowStyle != 0
			if _, ok := st.flow[k.Value]; !ok {
				st.flow[k.Value] = flow
			}
			if flow || it.Style&yaml.FlowStyle != 0 {
				continue
			}
			switch {
			case v.Kind == yaml.MappingNode && !seenStep && len(v.Content) > 0:
				st.step, seenStep = v.Column-k.Column, true
			case v.Kind == yaml.SequenceNode && !seenSeq && len(v.Content) > 0:
				// A block list's node sits at its first dash.
				st.seqStep, seenSeq = v.Column-k.Column, true
			}
		}
	}
	if st.step <= 0 {
		st.step = 2
	}
	if st.seqStep < 0 {
		st.seqStep = 0
	}
	return st
}

func (st style) flowFor(key string, v Value) bool {
	if f, ok := st.flow[key]; ok {
		return f
	}
	return v.list()
}

// block writes a field at indent in block style.
func (st style) block(b *strings.Builder, indent int, f Field, top bool) {
	pad := strings.Repeat(" ", indent)
	key := encodeScalar(f.Key, false)
	flow := !top || st.flowFor(f.Key, f.Value)
	switch {
	case f.Value.mapping() && !flow && len(f.Value.Map) > 0:
		fmt.Fprintf(b, "%s%s:\n", pad, key)
		for _, sub := range f.Value.Map {
			st.block(b, indent+st.step, sub, false)
		}
	case f.Value.list() && !flow && len(f.Value.List) > 0:
		fmt.Fprintf(b, "%s%s:\n", pad, key)
		for _, s := range f.Value.List {
			fmt.Fprintf(b, "%s- %s\n", strings.Repeat(" ", indent+st.seqStep), encodeScalar(s, false))
		}
	case f.Value.mapping() || f.Value.list():
		fmt.Fprintf(b, "%s%s: %s\n", pad, key, f.Value.flow())
	default:
		fmt.Fprintf(b, "%s%s: %s\n", pad, key, encodeScalar(f.Value.Scalar, false))
	}
}

// appendItem adds a mapping at the end of the top-level list key.
func (d *doc) appendItem(key string, item []Field) ([]byte, error) {
	if len(item) == 0 {
		return nil, fmt.Errorf("nothing to add to %s", key)
	}
	k, seq := get(d.root, key)
	if seq == nil {
		return nil, fmt.Errorf("lab.yaml has no %s: list", key)
	}
	if seq.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("line %d: %s is not a list", k.Line, key)
	}
	st := measure(seq.Content)
	if seq.Style&yaml.FlowStyle != 0 || len(seq.Content) == 0 {
		if seq.Style&yaml.FlowStyle == 0 {
			return nil, fmt.Errorf("line %d: %s is empty", k.Line, key)
		}
		return d.flowInsert(seq, Map(item...).flow())
	}
	last := seq.Content[len(seq.Content)-1]
	// The dash's column is the list's; the first key's is the item's.
	dash := seq.Column - 1
	lastLine := d.line(last.Line)
	gap := "- "
	if last.Line == d.firstDashLine(seq, last) && last.Column-1 > dash+1 && last.Column-1 <= len(lastLine) {
		gap = lastLine[dash : last.Column-1]
	}
	start := d.firstDashLine(seq, last)
	var end int
	if last.Kind == yaml.MappingNode && last.Style&yaml.FlowStyle == 0 {
		end = d.regionEnd(last.Line, last.Column-1)
	} else {
		end = d.regionEnd(start, dash+1)
	}
	var b strings.Builder
	if d.blankBefore(seq) {
		b.WriteString("\n")
	}
	if last.Kind == yaml.MappingNode && last.Style&yaml.FlowStyle != 0 {
		fmt.Fprintf(&b, "%s%s%s\n", strings.Repeat(" ", dash), gap, Map(item...).flow())
		return d.insertAfterLine(end, b.String()), nil
	}
	keyIndent := dash + len(gap)
	var body strings.Builder
	for _, f := range item {
		st.block(&body, keyIndent, f, true)
	}
	text := body.String()
	// The first key shares the dash's line.
	b.WriteString(strings.Repeat(" ", dash) + gap + text[keyIndent:])
	return d.insertAfterLine(end, b.String()), nil
}

// firstDashLine is the line of item's dash: the item's own line unless the
// dash stands alone on the line above.
func (d *doc) firstDashLine(seq, item *yaml.Node) int {
	s := d.line(item.Line)
	dash := seq.Column - 1
	if dash < len(s) && s[dash] == '-' {
		return item.Line
	}
	for n := item.Line - 1; n > 0; n-- {
		if t := strings.TrimSpace(d.line(n)); t == "-" {
			return n
		}
		if !blank(d.line(n)) {
			break
		}
	}
	return item.Line
}

// blankBefore reports whether the list separates its items with a blank
// line: true when the last two items have one between them.
func (d *doc) blankBefore(seq *yaml.Node) bool {
	n := len(seq.Content)
	if n < 2 {
		return false
	}
	prev, last := seq.Content[n-2], seq.Content[n-1]
	for l := last.Line - 1; l > prev.Line; l-- {
		if blank(d.line(l)) {
			return true
		}
	}
	return false
}

// setPath walks e.Path under item, adding the first missing key (Set) or
// replacing the value at its end (Update).
func (d *doc) setPath(item *yaml.Node, e Edit) ([]byte, error) {
	m := item
	flow := item.Style&yaml.FlowStyle != 0
	for i, key := range e.Path {
		_, v := get(m, key)
		if v == nil {
			if e.Op == Update {
				return nil, fmt.Errorf("%s is not set", strings.Join(e.Path[:i+1], "."))
			}
			val := e.Value
			for j := len(e.Path) - 1; j > i; j-- {
				val = Map(F(e.Path[j], val))
			}
			return d.insertKey(m, F(key, val), flow, i == 0)
		}
		if i == len(e.Path)-1 {
			return d.replace(v, e, flow)
		}
		if v.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: %s is not a mapping", v.Line, strings.Join(e.Path[:i+1], "."))
		}
		m = v
		flow = flow || v.Style&yaml.FlowStyle != 0
	}
	panic("unreachable")
}

// insertKey adds f as the last key of mapping m (top: m is the node item).
func (d *doc) insertKey(m *yaml.Node, f Field, flow, top bool) ([]byte, error) {
	if flow {
		return d.flowInsert(m, encodeScalar(f.Key, true)+": "+f.Value.flow())
	}
	_, nodes := get(d.root, "nodes")
	st := measure(nodes.Content)
	if !top {
		// Below the node's own keys, follow the mapping being extended.
		st.flow = map[string]bool{}
	}
	indent := m.Column - 1
	end := d.regionEnd(m.Line, indent)
	var b strings.Builder
	st.block(&b, indent, f, top)
	return d.insertAfterLine(end, b.String()), nil
}

// replace writes e.Value over the single-line scalar v.
func (d *doc) replace(v *yaml.Node, e Edit, flow bool) ([]byte, error) {
	path := strings.Join(e.Path, ".")
	if v.Kind != yaml.ScalarNode || e.Value.mapping() || e.Value.list() {
		return nil, fmt.Errorf("line %d: %s: only single values are changed in place", v.Line, path)
	}
	if e.Op == Set {
		if e.Value.equalScalar(v.Value) {
			return d.src, nil
		}
		return nil, fmt.Errorf("line %d: %s is already %q: an operator's value is only changed by an update", v.Line, path, v.Value)
	}
	if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return nil, fmt.Errorf("line %d: %s is a block of text: edit it by hand", v.Line, path)
	}
	start := d.offset(v.Line, v.Column)
	end, err := d.scalarEnd(start, v, flow)
	if err != nil {
		return nil, fmt.Errorf("line %d: %s: %w", v.Line, path, err)
	}
	text := e.Value.scalarText()
	if _, isStr := e.Value.Scalar.(string); isStr {
		text = quoteAs(text, v.Style, flow)
	}
	return d.splice(start, end, text), nil
}

// scalarEnd is the offset just past the scalar v that starts at start. It
// refuses a scalar that goes on over more than one line.
func (d *doc) scalarEnd(start int, v *yaml.Node, flow bool) (int, error) {
	lineEnd := d.lineEnd(v.Line)
	rest := string(d.src[start:lineEnd])
	switch {
	case v.Style&yaml.DoubleQuotedStyle != 0:
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case '\\':
				i++
			case '"':
				return start + i + 1, nil
			}
		}
	case v.Style&yaml.SingleQuotedStyle != 0:
		for i := 1; i < len(rest); i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					i++
					continue
				}
				return start + i + 1, nil
			}
		}
	default:
		stop := len(strings.TrimRight(rest, "\r\n"))
		if i := strings.Index(rest, " #"); i >= 0 && i < stop {
			stop = i
		}
		if flow {
			if i := strings.IndexAny(rest, ",}]"); i >= 0 && i < stop {
				stop = i
			}
		}
		plain := strings.TrimRight(rest[:stop], " \t")
		if plain != v.Value {
			return 0, fmt.Errorf("the value goes on past its line: edit it by hand")
		}
		return start + len(plain), nil
	}
	return 0, fmt.Errorf("the quoted value goes on past its line: edit it by hand")
}
