// Package slug makes URL path segments from names: tags, titles and node
// aliases all become slugs the same way.
package slug

import (
	"strings"
	"unicode"
)

// Make lower-cases s and turns each run of anything but letters and digits
// into one "-", trimmed at both ends: "Home Lab", "home-lab" and
// "HOME_LAB!" all give "home-lab".
func Make(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}
