// Package sitetest builds throwaway sites for tests from txtar archives, in
// the style of Hugo's integration tests: a whole site in one string, so a
// test shows its input next to its assertions.
package sitetest

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/tools/txtar"
)

// MinimalSiteYAML is a valid site.yaml for tests that care about other files.
const MinimalSiteYAML = "title: Test Lab\nbase_url: https://lab.test\n"

// Write extracts archive into a new temporary directory and returns it.
// Leading indentation common to all lines is not stripped: archives are
// written flush left.
func Write(t testing.TB, archive string) string {
	t.Helper()
	dir := t.TempDir()
	WriteInto(t, dir, archive)
	return dir
}

// WriteInto extracts archive into dir, overwriting files it names.
func WriteInto(t testing.TB, dir, archive string) {
	t.Helper()
	a := txtar.Parse([]byte(strings.TrimLeft(archive, "\n")))
	for _, f := range a.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// ReadFile returns a file of a built site as a string, failing the test if
// it is missing.
func ReadFile(t testing.TB, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	return string(b)
}

// Tree returns every file under dir with its contents, keyed by slash path.
func Tree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Executable parses an HTML document or fragment and describes everything in
// it that could run code: script-like elements, event-handler attributes and
// URL attributes whose scheme is not http, https, mailto or tel. allowScripts
// lists script src values that are the site's own.
func Executable(doc string, allowScripts ...string) []string {
	var found []string
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return found
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script":
			src := attr(tok, "src")
			if src == "" || !slices.Contains(allowScripts, src) {
				found = append(found, "<script src="+strconv.Quote(src)+">")
			}
		case "iframe", "object", "embed", "frame", "applet", "base", "form", "meta":
			if tok.Data == "meta" && attr(tok, "http-equiv") == "" {
				continue
			}
			// The site's own search forms: a GET (the default method,
			// which the minifier leaves out) to one of its paths sends
			// nothing anywhere else and runs nothing.
			if m, act := attr(tok, "method"), attr(tok, "action"); tok.Data == "form" && (m == "" || strings.EqualFold(m, "get")) &&
				strings.HasPrefix(act, "/") && !strings.HasPrefix(act, "//") && !strings.Contains(act, "\\") {
				continue
			}
			found = append(found, "<"+tok.Data+">")
		}
		for _, a := range tok.Attr {
			name := strings.ToLower(a.Key)
			if strings.HasPrefix(name, "on") {
				found = append(found, "<"+tok.Data+" "+a.Key+">")
			}
			switch name {
			case "href", "src", "action", "formaction", "xlink:href", "data", "srcset", "poster":
				if !safeScheme(a.Val) {
					found = append(found, "<"+tok.Data+" "+a.Key+"="+strconv.Quote(a.Val)+">")
				}
			}
		}
	}
}

func attr(t html.Token, name string) string {
	for _, a := range t.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// safeScheme mirrors how browsers read a URL's scheme: control characters
// and whitespace are dropped first. It is written apart from
// markdown.SafeURL on purpose: a test oracle that shares the code under
// test cannot catch its bugs.
func safeScheme(u string) bool {
	cleaned := strings.Map(func(r rune) rune {
		if r <= 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, u)
	colon := strings.IndexByte(cleaned, ':')
	if colon < 0 || strings.ContainsAny(cleaned[:colon], "/?#") {
		return true
	}
	switch strings.ToLower(cleaned[:colon]) {
	case "http", "https", "mailto", "tel":
		return true
	}
	return false
}

// Refs returns every href and src value in an HTML document.
func Refs(doc string) []string {
	var refs []string
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return refs
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		for _, a := range z.Token().Attr {
			if a.Key == "href" || a.Key == "src" {
				refs = append(refs, a.Val)
			}
		}
	}
}

// Reveals reports each file of tree (as Tree returns it) that shows one
// of secrets, as "path: secret". A secret matches as a whole word,
// case-insensitively, where letters, digits, '_' and '-' are word
// characters — the rule lab.Leaks documents, written apart from it on
// purpose so the check does not share the code it checks.
func Reveals(tree map[string]string, secrets ...string) []string {
	var found []string
	for _, s := range secrets {
		word := regexp.MustCompile(`(?i)(^|[^\pL\pN_-])` + regexp.QuoteMeta(s) + `($|[^\pL\pN_-])`)
		for p, body := range tree {
			if word.MatchString(body) {
				found = append(found, p+": "+s)
			}
		}
	}
	slices.Sort(found)
	return found
}
