package labedit

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Value is a YAML value to write: a scalar, a mapping or a list of
// scalars (the shapes lab.yaml's nodes and links use).
type Value struct {
	// Scalar is a string, int, float64 or bool; nil when Map or List is set.
	Scalar any
	Map    []Field
	List   []string
	// isList tells an empty List from no list.
	isList bool
}

// Field is one key of a mapping, in the order it is written.
type Field struct {
	Key   string
	Value Value
}

// Str, Int, Num, Bool, Map and List build values.
func Str(s string) Value                  { return Value{Scalar: s} }
func Int(n int) Value                     { return Value{Scalar: n} }
func Num(f float64) Value                 { return Value{Scalar: f} }
func Bool(b bool) Value                   { return Value{Scalar: b} }
func Map(fields ...Field) Value           { return Value{Map: fields} }
func List(items ...string) Value          { return Value{List: items, isList: true} }
func F(key string, v Value) Field         { return Field{Key: key, Value: v} }
func (v Value) mapping() bool             { return v.Map != nil }
func (v Value) list() bool                { return v.isList || v.List != nil }
func (v Value) String() string            { return v.flow() }
func (f Field) String() string            { return f.Key + ": " + f.Value.flow() }
func (v Value) scalarText() string        { return scalarText(v.Scalar) }
func (v Value) equalScalar(s string) bool { return !v.mapping() && !v.list() && v.scalarText() == s }

// scalarText is the value as YAML would read it back, unquoted.
func scalarText(s any) string {
	switch x := s.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(s)
}

// encodeScalar writes a scalar as YAML source. Strings stay plain when
// YAML reads the plain form back as the same string (and, in flow
// context, it has no flow indicator); otherwise they are double-quoted,
// with JSON's escapes, which YAML's double-quoted style shares.
func encodeScalar(s any, flow bool) string {
	str, ok := s.(string)
	if !ok {
		return scalarText(s)
	}
	if plainSafe(str, flow) {
		return str
	}
	b, err := json.Marshal(str)
	if err != nil { // a string always marshals
		panic(err)
	}
	return string(b)
}

func plainSafe(s string, flow bool) bool {
	if s == "" || strings.ContainsAny(s, "\n\r\t\"'#") || strings.TrimSpace(s) != s {
		return false
	}
	if flow && strings.ContainsAny(s, ",[]{}") {
		return false
	}
	out, err := yaml.Marshal(s)
	return err == nil && string(out) == s+"\n"
}

// quoteAs writes a string in the quoting style of the scalar it replaces,
// so an update keeps the operator's choice where it can.
func quoteAs(s string, style yaml.Style, flow bool) string {
	switch {
	case style&yaml.SingleQuotedStyle != 0 && !strings.ContainsAny(s, "\n\r"):
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	case style&yaml.DoubleQuotedStyle != 0:
		b, err := json.Marshal(s)
		if err != nil {
			panic(err)
		}
		return string(b)
	}
	return encodeScalar(s, flow)
}

// flow is the value in flow style: {a: 1, b: [x, y]}.
func (v Value) flow() string {
	switch {
	case v.mapping():
		parts := make([]string, len(v.Map))
		for i, f := range v.Map {
			parts[i] = encodeScalar(f.Key, true) + ": " + f.Value.flow()
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case v.list():
		parts := make([]string, len(v.List))
		for i, s := range v.List {
			parts[i] = encodeScalar(s, true)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return encodeScalar(v.Scalar, true)
}
