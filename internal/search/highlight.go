package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Segment is a run of text, marked when it is a word the query matched.
type Segment struct {
	Text  string
	Match bool
}

// Highlight splits text into segments, marking each word that one of
// terms (a Result's Terms) matches: the word's stem is a term, or the word
// begins with a term of three letters or more (a prefix the visitor was
// still typing). The island's marked() applies the same rule, so a server
// rendered result list looks like the island's.
func Highlight(text string, terms []string) []Segment {
	set := make(map[string]bool, len(terms))
	for _, t := range terms {
		set[t] = true
	}
	var out []Segment
	at := 0
	eachSpan(text, func(start, end int) {
		if !matches(text[start:end], set, terms) {
			return
		}
		if start > at {
			out = append(out, Segment{Text: text[at:start]})
		}
		out = append(out, Segment{Text: text[start:end], Match: true})
		at = end
	})
	if at < len(text) {
		out = append(out, Segment{Text: text[at:]})
	}
	return out
}

// Centre starts text near its first matched word when that is far in,
// so that the excerpt of a long document shows why it matched. It is the
// island's excerpt().
func Centre(text string, terms []string) string {
	set := make(map[string]bool, len(terms))
	for _, t := range terms {
		set[t] = true
	}
	first := -1
	eachSpan(text, func(start, end int) {
		if first < 0 && matches(text[start:end], set, terms) {
			first = start
		}
	})
	// The island counts UTF-16 units; the excerpts it sees are mostly
	// ASCII, and a few characters' difference moves only the cut.
	if first < 160 {
		return text
	}
	// lastIndexOf(" ", i) looks at i itself too.
	from := strings.LastIndexByte(text[:first-60+1], ' ')
	return "… " + text[from+1:]
}

func matches(word string, set map[string]bool, terms []string) bool {
	w := strings.ToLower(word)
	if set[Stem(w)] {
		return true
	}
	for _, t := range terms {
		if utf8.RuneCountInString(t) >= 3 && strings.HasPrefix(w, t) {
			return true
		}
	}
	return false
}

// eachSpan calls fn with the byte range of every run of letters and
// digits of text, the words of Words before they are filtered.
func eachSpan(text string, fn func(start, end int)) {
	start := -1
	for i, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			fn(start, i)
			start = -1
		}
	}
	if start >= 0 {
		fn(start, len(text))
	}
}
