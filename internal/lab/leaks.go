package lab

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/slug"
)

// Leaks reports every text of the public view that mentions a hidden
// node's name or id, or the real name (or real id) behind an alias: the
// public view drops those nodes, but text written elsewhere in the file
// would still carry them.
//
// The texts checked are not a list of fields: Leaks walks the value
// Public returns, every exported string reachable from it through
// structs, pointers, slices and maps (keys too), so whatever a public
// output can print from the view is checked, including fields added
// later. Only fields tagged public:"vocabulary" are skipped: the loader
// limits them to a closed set of words (node and link types), which are
// not the operator's text.
//
// A secret matches as a whole word, case-insensitively, where letters,
// digits, '_' and '-' are word characters: the node "nas" is found in
// "the nas." and "NAS, then", not in "nas-backup", "mynas" or "nas_1",
// since ids are made of such characters and a longer id is another name.
//
// Each problem names the lab.yaml line and field the text was read from
// (the path of the scalar in the file, e.g. sites[0].networks[1].cidr); a
// text the file does not hold verbatim (a lab built in code) is named by
// its place in the public view, without a line.
func (l *Lab) Leaks(display string) diag.List {
	var probs diag.List
	secrets := l.secrets()
	if len(secrets) == 0 {
		return probs
	}
	pats := make([]*regexp.Regexp, len(secrets))
	for i, s := range secrets {
		pats[i] = wordPattern(s)
	}
	seen := map[string]bool{}
	report := func(line int, field, secret string) {
		key := fmt.Sprintf("%d\x00%s\x00%s", line, field, strings.ToLower(secret))
		if seen[key] {
			return
		}
		seen[key] = true
		probs.Add(display, line, field, "mentions %q, which is private (public: false) or hidden behind an alias; public pages would show it", secret)
	}
	walkStrings(reflect.ValueOf(l.Public()), "", 0, func(path string, line int, text string) {
		for i, p := range pats {
			if !p.MatchString(text) {
				continue
			}
			srcs := l.sourcesOf(text, line)
			if len(srcs) == 0 {
				report(0, path, secrets[i])
			}
			for _, s := range srcs {
				report(s.line, s.path, secrets[i])
			}
		}
	})
	probs.Sort()
	return probs
}

// secrets are the names the public view must not show: the name and id of
// every hidden node, and the real name of every aliased node with its id
// too when the public id differs from it. Each appears once, whatever its
// case.
func (l *Lab) secrets() []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.ContainsFunc(out, func(o string) bool { return strings.EqualFold(o, s) }) {
			out = append(out, s)
		}
	}
	hidden := l.hiddenNodes()
	for _, n := range l.Nodes {
		if hidden[n.ID] {
			add(n.Name)
			add(n.ID)
		} else if n.Alias != "" && !strings.EqualFold(n.Alias, n.Name) {
			add(n.Name)
			if !strings.EqualFold(slug.Make(n.Alias), n.ID) {
				add(n.ID)
			}
		}
	}
	return out
}

// wordPattern matches s as a whole word; see Leaks.
func wordPattern(s string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)(^|[^\pL\pN_-])` + regexp.QuoteMeta(s) + `($|[^\pL\pN_-])`)
}

// walkStrings calls visit with every exported string reachable from v,
// with its place in the view (nodes[2].specs.cpu) and the Line of the
// innermost item that has one. The view is a tree of values: no cycles.
func walkStrings(v reflect.Value, path string, line int, visit func(path string, line int, text string)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, line, visit)
		}
	case reflect.Struct:
		if f := v.FieldByName("Line"); f.IsValid() && f.CanInt() && f.Int() > 0 {
			line = int(f.Int())
		}
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Tag.Get("public") == "vocabulary" {
				continue
			}
			walkStrings(v.Field(i), join(path, snakeCase(f.Name)), line, visit)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), fmt.Sprintf("%s[%d]", path, i), line, visit)
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		for _, k := range keys {
			at := fmt.Sprintf("%s[%v]", path, k)
			walkStrings(k, at, line, visit)
			walkStrings(v.MapIndex(k), at, line, visit)
		}
	case reflect.String:
		visit(path, line, v.String())
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// snakeCase spells a Go field name as lab.yaml keys are spelt: MemoryGB
// is memory_gb, CIDR is cidr.
func snakeCase(name string) string {
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

// source is one scalar value of lab.yaml with where it was written.
type source struct {
	value string
	line  int
	path  string // the scalar's place in the file: flows[1].steps[0].latency
	// within are the lines of the mappings that enclose the scalar, so a
	// text can be traced to the item it was read from.
	within []int
}

// indexSources lists every scalar value under root. Aliases are not
// followed (an alias bomb must not multiply the index): the anchored value
// is listed where it was written.
func indexSources(root *yaml.Node) []source {
	var out []source
	var walk func(n *yaml.Node, path string, within []int)
	walk = func(n *yaml.Node, path string, within []int) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path, within)
			}
		case yaml.MappingNode:
			within = append(slices.Clip(within), n.Line)
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], join(path, n.Content[i].Value), within)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i), within)
			}
		case yaml.ScalarNode:
			out = append(out, source{value: n.Value, line: n.Line, path: path, within: within})
		}
	}
	walk(root, "", nil)
	return out
}

// sourcesOf finds where the file wrote text: the scalars with that value,
// preferring those inside the item at line (a public item's Line) when
// the same text is written in several places.
func (l *Lab) sourcesOf(text string, line int) []source {
	var all, inside []source
	for _, s := range l.sources {
		if s.value != text {
			continue
		}
		all = append(all, s)
		if slices.Contains(s.within, line) {
			inside = append(inside, s)
		}
	}
	if len(inside) > 0 {
		return inside
	}
	return all
}
