package markdown

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/dlclark/regexp2/v2/syntax"
)

// fastLexer tokenises exactly as a chroma RegexLexer does, with the same
// compiled rules, mutators and emitters, but skips the rules that cannot
// match at the current character.
//
// Why: chroma tries a state's rules in order at every position, and every
// try is a full regexp2 call, about 350 ns even when the rule fails on its
// first character. regexp2 knows each rule's possible first characters,
// but rules are anchored with \G and an anchored search never consults
// them. At 10,000 posts with one small Go block each, those failing tries
// were a third of the whole build. Here a rule is tried only when the
// character at the position is one it can start with; every other step is
// chroma's own Iterator, so the tokens are the same (a differential test
// runs chroma's lexer test corpus through both).
type fastLexer struct {
	*chroma.RegexLexer // a private instance: its compiled rules are ours to read

	once    sync.Once
	initErr error
	rules   chroma.CompiledRules // the instance's compiled rules, kept by captureRules
	first   map[*chroma.CompiledRule]*firstChars
}

// hookState names the state captureRules is placed in; no lexer includes it.
const hookState = "\x00labfront-capture"

// newFastLexer returns a fast lexer over the rules of lx, or nil when lx
// is not a plain RegexLexer.
func newFastLexer(lx chroma.Lexer) (*fastLexer, error) {
	orig, ok := lx.(*chroma.RegexLexer)
	if !ok {
		return nil, nil
	}
	raw, err := orig.Rules()
	if err != nil {
		return nil, err
	}
	f := &fastLexer{}
	rules := make(chroma.Rules, len(raw)+1)
	for state, rs := range raw {
		rules[state] = rs
	}
	rules[hookState] = []chroma.Rule{{Pattern: "", Mutator: captureRules{f}}}
	inst, err := chroma.NewLexer(orig.Config(), func() chroma.Rules { return rules })
	if err != nil {
		return nil, err
	}
	inst.SetRegistry(lexers.GlobalLexerRegistry)
	f.RegexLexer = inst
	return f, nil
}

// captureRules is a compile-time mutator: chroma hands it the lexer's
// compiled rules while compiling them; it keeps the map and removes its
// own state.
type captureRules struct{ f *fastLexer }

func (c captureRules) MutateLexer(rules chroma.CompiledRules, state string, _ int) error {
	c.f.rules = rules
	delete(rules, state)
	return nil
}

// Mutate never runs: the state holding this rule is gone before any text is
// tokenised.
func (captureRules) Mutate(*chroma.LexerState) error { return nil }

// init compiles the instance's rules (an empty Tokenise is the public way
// to make chroma do it) and computes each rule's first characters.
func (f *fastLexer) init() error {
	f.once.Do(func() {
		if _, err := f.RegexLexer.Tokenise(nil, ""); err != nil {
			f.initErr = err
			return
		}
		if f.rules == nil {
			f.initErr = fmt.Errorf("%s: chroma did not run the rule capture", f.Config().Name)
			return
		}
		f.first = make(map[*chroma.CompiledRule]*firstChars)
		for _, rs := range f.rules {
			for _, r := range rs {
				if _, done := f.first[r]; !done && r.Regexp != nil {
					f.first[r] = newFirstChars(r.Regexp.String())
				}
			}
		}
	})
	return f.initErr
}

// firstChars is the set of characters a rule's match can start with; nil
// means "any, or unknown": the rule is always tried.
type firstChars struct {
	ascii [2]uint64
	set   syntax.CharSet
}

func newFirstChars(pattern string) *firstChars {
	tree, err := syntax.Parse(pattern, syntax.ParseOptions{})
	if err != nil {
		return nil
	}
	code, err := syntax.Write(tree)
	// No prefix: the rule can match the empty string, or regexp2 could not
	// tell. A right-to-left rule reads backwards from the position.
	if err != nil || code.FcPrefix == nil || code.RightToLeft {
		return nil
	}
	fc := &firstChars{set: code.FcPrefix.PrefixSet}
	for c := range rune(128) {
		if fc.set.CharIn(c) {
			fc.ascii[c>>6] |= 1 << (c & 63)
		}
	}
	return fc
}

func (fc *firstChars) may(c rune) bool {
	if fc == nil {
		return true
	}
	if c < 128 {
		return fc.ascii[c>>6]&(1<<(c&63)) != 0
	}
	return fc.set.CharIn(c)
}

// Tokenise is chroma's RegexLexer.Tokenise with the iterator below.
func (f *fastLexer) Tokenise(options *chroma.TokeniseOptions, text string) (chroma.Iterator, error) {
	if err := f.init(); err != nil {
		return nil, err
	}
	if options == nil {
		options = &chroma.TokeniseOptions{State: "root", EnsureLF: true}
	}
	if options.EnsureLF {
		text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	}
	newlineAdded := false
	if !options.Nested && f.Config().EnsureNL && !strings.HasSuffix(text, "\n") {
		text += "\n"
		newlineAdded = true
	}
	it := &iterator{
		f:       f,
		initial: options.State,
		state: &chroma.LexerState{
			Registry:       lexers.GlobalLexerRegistry,
			Lexer:          f.RegexLexer,
			Text:           []rune(text),
			Stack:          []string{options.State},
			Rules:          f.rules,
			MutatorContext: map[any]any{},
		},
	}
	it.end = len(it.state.Text)
	if newlineAdded {
		it.end--
	}
	return it.next, nil
}

// iterator is chroma's LexerState.Iterator, step for step, with the
// first-character check in match.
type iterator struct {
	f       *fastLexer
	state   *chroma.LexerState
	initial string // the state error recovery returns to
	end     int
	stack   []chroma.Iterator // emitters' pending tokens
}

func (it *iterator) pending() (chroma.Token, bool) {
	for len(it.stack) > 0 {
		n := len(it.stack) - 1
		t := it.stack[n]()
		if t.Type == chroma.Ignore {
			continue
		}
		if t == chroma.EOF {
			it.stack = it.stack[:n]
			continue
		}
		return t, true
	}
	return chroma.EOF, false
}

func (it *iterator) next() chroma.Token {
	l := it.state
	for l.Pos < it.end && len(l.Stack) > 0 {
		if t, ok := it.pending(); ok {
			return t
		}
		l.State = l.Stack[len(l.Stack)-1]
		rules, ok := l.Rules[l.State]
		if !ok {
			panic("unknown state " + l.State)
		}
		index, rule, groups, named := it.match(rules)
		if groups == nil {
			// chroma (after Pygments): an unmatched newline outside the
			// initial state resets the stack, anything else is an error.
			if l.Text[l.Pos] == '\n' && l.State != it.initial {
				l.Stack = []string{it.initial}
				continue
			}
			l.Pos++
			return chroma.Token{Type: chroma.Error, Value: string(l.Text[l.Pos-1 : l.Pos])}
		}
		l.Rule = index
		l.Groups = groups
		l.NamedGroups = named
		l.Pos += utf8.RuneCountInString(groups[0])
		if rule.Mutator != nil {
			if err := rule.Mutator.Mutate(l); err != nil {
				panic(err)
			}
		}
		if rule.Type != nil {
			it.stack = append(it.stack, rule.Type.Emit(l.Groups, l))
		}
	}
	if t, ok := it.pending(); ok {
		return t
	}
	if l.Pos != len(l.Text) && len(l.Stack) == 0 {
		value := string(l.Text[l.Pos:])
		l.Pos = len(l.Text)
		return chroma.Token{Type: chroma.Error, Value: value}
	}
	return chroma.EOF
}

// match is chroma's matchRules, trying only the rules that can start with
// the current character.
func (it *iterator) match(rules []*chroma.CompiledRule) (int, *chroma.CompiledRule, []string, map[string]string) {
	text, pos := it.state.Text, it.state.Pos
	c := text[pos]
	for i, rule := range rules {
		fc, known := it.f.first[rule]
		if known && !fc.may(c) {
			continue
		}
		m, err := rule.Regexp.FindRunesMatchStartingAt(text, pos)
		if m != nil && err == nil && m.RuneIndex == pos {
			groups := []string{}
			named := make(map[string]string)
			for _, g := range m.Groups() {
				named[g.Name] = g.String()
				groups = append(groups, g.String())
			}
			return i, rule, groups, named
		}
	}
	return 0, &chroma.CompiledRule{}, nil, nil
}
