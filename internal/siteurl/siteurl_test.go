package siteurl

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		kind Kind
		want string // substring of the error; "" to accept
	}{
		{"/", Path, ""},
		{"/blog/", Path, ""},
		{"/old/*", Path, ""},
		{"/a:b/", Path, ""},
		{"/new/:splat", Target, ""},
		{"https://lab.test", Absolute, ""},
		{"HTTPS://lab.test/x?y=1#z", Absolute, ""},
		{"https://lab.test/", Target, ""},
		{"mailto:me@lab.test", Link, ""},
		{"tel:+15555550100", Link, ""},
		{"/about/", Link, ""},

		{"", Link, "empty"},
		{"/ok\n/* https://evil.example/ 302", Target, "a line break (U+000A)"},
		{"https://evil.example/\r\n", Target, "a line break (U+000D)"},
		{"/a\u2028b", Target, "a line break (U+2028)"},
		{"/a\u2029b", Target, "a line break (U+2029)"},
		{"/a\u0085b", Target, "a line break (U+0085)"},
		{"java\tscript:alert(1)", Link, "a tab (U+0009)"},
		{"/a b", Path, "a space (U+0020)"},
		{"/a\u00a0b", Path, "a space (U+00A0)"},
		{"/a\x7fb", Path, "a control character (U+007F)"},
		{"/a\x00b", Path, "a control character (U+0000)"},
		{"/a\u009bb", Path, "a control character (U+009B)"},
		{"/\u202egnp.exe", Link, "a bidirectional control (U+202E)"},
		{"/a\u2066b", Link, "a bidirectional control (U+2066)"},
		{"/a\u200bb", Link, "an invisible character (U+200B)"},
		{"\ufeff/a", Link, "an invisible character (U+FEFF)"},
		{"/a\xffb", Link, "invalid UTF-8"},
		{"javascript:alert(1)", Link, "the scheme javascript:"},
		{"JaVaScRiPt:alert(1)", Link, "the scheme javascript:"},
		{"&#106;avascript:alert(1)", Link, "can run code"},
		{"data:text/html,<script>alert(1)</script>", Link, "the scheme data:"},
		{"vbscript:msgbox(1)", Link, "the scheme vbscript:"},
		{"file:///etc/passwd", Target, "the scheme file:"},
		{"//evil.example", Link, "protocol-relative"},
		{"//evil.example/x", Target, "protocol-relative"},
		{`/\evil.example`, Target, "backslash"},
		{`https://lab.test\@evil.example`, Target, "backslash"},
		{`https://lab.test/\x`, Target, "backslash"},
		{"https://lab.test@evil.example/", Link, "user name or password"},
		{"https:evil.example", Link, "with a host"},
		{"https://", Absolute, "with a host"},
		{"blog/", Link, "must be a path starting with /"},
		{"#top", Link, "must be a path starting with /"},
		{"lab.test", Absolute, `must be an absolute http(s) URL, found "lab.test"`},
		{"/blog/", Absolute, "must be an absolute http(s) URL"},
		{"https://lab.test/", Path, "must be a path on this site"},
		{"mailto:me@lab.test", Target, "must be a path starting with / or an absolute http(s) URL"},
		{"ftp://lab.test/", Link, "the scheme ftp:"},
	} {
		err := Check(tc.raw, tc.kind)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Check(%q, %d) = %v, want accepted", tc.raw, tc.kind, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("Check(%q, %d) = %v, want an error containing %q", tc.raw, tc.kind, err, tc.want)
		}
	}
}

// TestMessagesShowHiddenCharacters: a refused value is quoted with
// escapes, so the operator sees the line break they cannot see in YAML.
func TestMessagesShowHiddenCharacters(t *testing.T) {
	err := Check("/x\n/y", Target)
	if err == nil || !strings.Contains(err.Error(), `found "/x\n/y"`) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Check = %v, want the value quoted on one line", err)
	}
}
