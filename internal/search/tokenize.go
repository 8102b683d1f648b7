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

// eachWord calls fn with every word of text as Words gives it, lower
// case in a buffer fn must not keep: the same words without allocating
// one string per word, for the index builder's hot loop.
func eachWord(text string, buf []byte, fn func(w []byte)) []byte {
	start := -1
	ascii := true
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := text[start:end]
		start = -1
		buf = buf[:0]
		if ascii {
			for i := 0; i < len(w); i++ {
				c := w[i]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				buf = append(buf, c)
			}
		} else {
			buf = append(buf, strings.ToLower(w)...)
		}
		if n := utf8.RuneCount(buf); n < 2 || n > maxWord || stopWords[string(buf)] {
			return
		}
		fn(buf)
	}
	for i, r := range text {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
				if start < 0 {
					start, ascii = i, true
				}
				continue
			}
		} else if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			ascii = false
			continue
		}
		flush(i)
	}
	flush(len(text))
	return buf
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
