package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxWord is the longest word indexed: longer runs are hashes, keys and
// base64, which nobody types and which would bloat the term shards.
const maxWord = 32

// Words splits text into lower-case words: runs of letters and digits.
// Apostrophes end a word ("don't" is "don" and "t"), and one-letter words
// and the stop words below are dropped, as the island drops them from a
// query. The island's words() is the same rule.
func Words(text string) []string {
	var out []string
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := strings.ToLower(text[start:end])
		start = -1
		if n := utf8.RuneCountInString(w); n < 2 || n > maxWord || stopWords[w] {
			return
		}
		out = append(out, w)
	}
	for i, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(text))
	return out
}

// stopWords are too common to tell pages apart; leaving them out keeps
// their huge posting lists out of the index.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(stopList) {
		stopWords[w] = true
	}
}

// stopList is also in web/ts/search.ts; TestIslandStopWords keeps them equal.
const stopList = "an and are as at be but by for from has have if in into is it its of on or that the their then there these this to was were will with"
