package search

import "strings"

// Stem reduces a lower-case English word to its stem with the Porter2
// ("Snowball English") algorithm, so that "backups", "backed" and
// "backing" all find "backup"'s posts. The browser island runs the same
// algorithm (web/ts/search.ts); TestStemTable holds both to one table.
//
// Words of two letters or fewer are returned as they are, as the
// algorithm says.
func Stem(word string) string {
	if len(word) <= 2 || !isASCIILower(word) {
		return word
	}
	if s, ok := stemExceptions[word]; ok {
		return s
	}
	w := []byte(strings.TrimPrefix(word, "'"))
	// y as a consonant is Y: at the start and after a vowel.
	for i := range w {
		if w[i] == 'y' && (i == 0 || isVowel(w[i-1])) {
			w[i] = 'Y'
		}
	}
	r1, r2 := regions(w)
	w = step0(w)
	w = step1a(w)
	if invariant1a[string(w)] {
		return restoreY(w)
	}
	w = step1b(w, r1)
	w = step1c(w)
	w = step2(w, r1)
	w = step3(w, r1, r2)
	w = step4(w, r2)
	w = step5(w, r1, r2)
	return restoreY(w)
}

func isASCIILower(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && c != '\'' {
			return false
		}
	}
	return true
}

// stemExceptions are the algorithm's special words, stemmed by list.
var stemExceptions = map[string]string{
	"skis": "ski", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie",
	"idly": "idl", "gently": "gentl", "ugly": "ugli", "early": "earli", "only": "onli", "singly": "singl",
	"sky": "sky", "news": "news", "howe": "howe", "atlas": "atlas", "cosmos": "cosmos", "bias": "bias", "andes": "andes",
}

// invariant1a are left as they are once step 1a is done.
var invariant1a = map[string]bool{
	"inning": true, "outing": true, "canning": true, "herring": true, "earring": true,
	"proceed": true, "exceed": true, "succeed": true,
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

func isDouble(w []byte) bool {
	n := len(w)
	if n < 2 || w[n-1] != w[n-2] {
		return false
	}
	switch w[n-1] {
	case 'b', 'd', 'f', 'g', 'm', 'n', 'p', 'r', 't':
		return true
	}
	return false
}

func isLiEnding(c byte) bool { return strings.IndexByte("cdeghkmnrt", c) >= 0 }

// regions returns where R1 and R2 start: R1 after the first non-vowel
// that follows a vowel (after gener, commun or arsen for words starting
// so), R2 the same within R1.
func regions(w []byte) (int, int) {
	r1 := len(w)
	s := string(w)
	switch {
	case strings.HasPrefix(s, "gener"), strings.HasPrefix(s, "arsen"):
		r1 = 5
	case strings.HasPrefix(s, "commun"):
		r1 = 6
	default:
		r1 = regionAfter(w, 0)
	}
	return r1, regionAfter(w, r1)
}

func regionAfter(w []byte, from int) int {
	for i := from + 1; i < len(w); i++ {
		if !isVowel(w[i]) && isVowel(w[i-1]) {
			return i + 1
		}
	}
	return len(w)
}

// endsShortSyllable reports whether w ends in a short syllable: a
// non-vowel, a vowel, then a non-vowel other than w, x or Y; or, for a
// two-letter word, a vowel then a non-vowel.
func endsShortSyllable(w []byte) bool {
	n := len(w)
	if n == 2 {
		return isVowel(w[0]) && !isVowel(w[1])
	}
	if n < 3 {
		return false
	}
	c := w[n-1]
	return !isVowel(w[n-3]) && isVowel(w[n-2]) && !isVowel(c) && c != 'w' && c != 'x' && c != 'Y'
}

func hasSuffix(w []byte, s string) bool {
	return len(w) >= len(s) && string(w[len(w)-len(s):]) == s
}

// longest returns the longest of suffixes w ends with, or "".
func longest(w []byte, suffixes []string) string {
	best := ""
	for _, s := range suffixes {
		if len(s) > len(best) && hasSuffix(w, s) {
			best = s
		}
	}
	return best
}

func hasVowel(w []byte) bool {
	for _, c := range w {
		if isVowel(c) {
			return true
		}
	}
	return false
}

func step0(w []byte) []byte {
	if s := longest(w, []string{"'s'", "'s", "'"}); s != "" {
		return w[:len(w)-len(s)]
	}
	return w
}

func step1a(w []byte) []byte {
	switch longest(w, []string{"sses", "ied", "ies", "us", "ss", "s"}) {
	case "sses":
		return w[:len(w)-2]
	case "ied", "ies":
		if len(w) > 4 {
			return append(w[:len(w)-3], 'i')
		}
		return append(w[:len(w)-3], 'i', 'e')
	case "s":
		// Deleted when a vowel comes before the letter before the s.
		if len(w) > 2 && hasVowel(w[:len(w)-2]) {
			return w[:len(w)-1]
		}
	}
	return w
}

func step1b(w []byte, r1 int) []byte {
	s := longest(w, []string{"eed", "eedly", "ed", "edly", "ing", "ingly"})
	switch s {
	case "":
		return w
	case "eed", "eedly":
		if len(w)-len(s) >= r1 {
			return append(w[:len(w)-len(s)], 'e', 'e')
		}
		return w
	}
	stem := w[:len(w)-len(s)]
	if !hasVowel(stem) {
		return w
	}
	w = stem
	switch {
	case hasSuffix(w, "at"), hasSuffix(w, "bl"), hasSuffix(w, "iz"):
		return append(w, 'e')
	case isDouble(w):
		return w[:len(w)-1]
	case r1 >= len(w) && endsShortSyllable(w):
		return append(w, 'e')
	}
	return w
}

func step1c(w []byte) []byte {
	n := len(w)
	if n > 2 && (w[n-1] == 'y' || w[n-1] == 'Y') && !isVowel(w[n-2]) {
		w[n-1] = 'i'
	}
	return w
}

var step2Suffixes = []string{
	"tional", "enci", "anci", "abli", "entli", "izer", "ization", "ational", "ation", "ator",
	"alism", "aliti", "alli", "fulness", "ousli", "ousness", "iveness", "iviti", "biliti", "bli",
	"ogi", "fulli", "lessli", "li",
}

var step2Replace = map[string]string{
	"tional": "tion", "enci": "ence", "anci": "ance", "abli": "able", "entli": "ent",
	"izer": "ize", "ization": "ize", "ational": "ate", "ation": "ate", "ator": "ate",
	"alism": "al", "aliti": "al", "alli": "al", "fulness": "ful", "ousli": "ous", "ousness": "ous",
	"iveness": "ive", "iviti": "ive", "biliti": "ble", "bli": "ble", "ogi": "og", "fulli": "ful",
	"lessli": "less", "li": "",
}

func step2(w []byte, r1 int) []byte {
	s := longest(w, step2Suffixes)
	if s == "" || len(w)-len(s) < r1 {
		return w
	}
	stem := w[:len(w)-len(s)]
	switch s {
	case "ogi":
		if !hasSuffix(stem, "l") {
			return w
		}
	case "li":
		if len(stem) == 0 || !isLiEnding(stem[len(stem)-1]) {
			return w
		}
	}
	return append(stem, step2Replace[s]...)
}

var step3Suffixes = []string{"tional", "ational", "alize", "icate", "iciti", "ative", "ical", "ness", "ful"}

var step3Replace = map[string]string{
	"tional": "tion", "ational": "ate", "alize": "al", "icate": "ic", "iciti": "ic", "ical": "ic",
	"ful": "", "ness": "", "ative": "",
}

func step3(w []byte, r1, r2 int) []byte {
	s := longest(w, step3Suffixes)
	if s == "" || len(w)-len(s) < r1 {
		return w
	}
	if s == "ative" && len(w)-len(s) < r2 {
		return w
	}
	return append(w[:len(w)-len(s)], step3Replace[s]...)
}

var step4Suffixes = []string{
	"al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent",
	"ism", "ate", "iti", "ous", "ive", "ize", "ion",
}

func step4(w []byte, r2 int) []byte {
	s := longest(w, step4Suffixes)
	if s == "" || len(w)-len(s) < r2 {
		return w
	}
	stem := w[:len(w)-len(s)]
	if s == "ion" && !hasSuffix(stem, "s") && !hasSuffix(stem, "t") {
		return w
	}
	return stem
}

func step5(w []byte, r1, r2 int) []byte {
	n := len(w)
	switch {
	case n == 0:
		return w
	case w[n-1] == 'e':
		if n-1 >= r2 || n-1 >= r1 && !endsShortSyllable(w[:n-1]) {
			return w[:n-1]
		}
	case w[n-1] == 'l':
		if n-1 >= r2 && hasSuffix(w[:n-1], "l") {
			return w[:n-1]
		}
	}
	return w
}

func restoreY(w []byte) string {
	for i := range w {
		if w[i] == 'Y' {
			w[i] = 'y'
		}
	}
	return string(w)
}
