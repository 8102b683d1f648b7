package blogimport

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// meta is a post's front matter in labfront's terms, mapped from the
// source's keys by mapFrontMatter.
type meta struct {
	Title    string
	Date     string // YYYY-MM-DD or RFC 3339, as labfront reads them
	Updated  string
	Summary  string
	Tags     []string
	Draft    bool
	Slug     string // the source's slug: (or the last segment of url:)
	URL      string // the source's url: or permalink:, an old URL
	Aliases  []string
	Cover    string // as the source wrote it; resolved to a bundle file later
	CoverAlt string
	Author   string
	Series   string
	Extra    orderedMap
	// Lines of the mapped keys, for problems about them.
	Lines map[string]int
}

// The mapping table (README "Moving in from Hugo, Jekyll or Astro").
// Order matters where several source keys map to one labfront key: the
// first present wins and the others go to extra: so nothing is lost.
var (
	summaryKeys = []string{"description", "summary", "excerpt"}
	dateKeys    = []string{"date", "pubDate", "pubdate", "published", "publishDate", "publishdate", "pubDatetime"}
	updatedKeys = []string{"lastmod", "updatedDate", "updated", "lastMod", "modified", "modDatetime", "last_modified_at"}
	tagKeys     = []string{"tags", "categories", "category"}
	coverKeys   = []string{"cover", "heroImage", "image", "images", "featured_image", "featuredImage", "ogImage"}
	aliasKeys   = []string{"aliases", "redirect_from"}
)

// mapFrontMatter maps fields; problems that the import can still go on
// with (a date it cannot read) are added to rep for path.
func mapFrontMatter(fields []field, path string, rep *Report) meta {
	m := meta{Lines: map[string]int{}}
	used := map[string]bool{}
	take := func(f field, as string) {
		used[f.Key] = true
		if _, ok := m.Lines[as]; !ok {
			m.Lines[as] = f.Line
		}
	}
	byKey := map[string]field{}
	for _, f := range fields {
		byKey[f.Key] = f
	}
	first := func(keys []string) (field, bool) {
		for _, k := range keys {
			if f, ok := byKey[k]; ok && !empty(f.Value) {
				return f, true
			}
		}
		return field{}, false
	}
	if f, ok := byKey["title"]; ok {
		m.Title = strings.TrimSpace(scalar(f.Value))
		take(f, "title")
	}
	if f, ok := first(summaryKeys); ok {
		m.Summary = strings.TrimSpace(scalar(f.Value))
		take(f, "summary")
	}
	// published is a date on some themes and a publish flag on others.
	if f, ok := byKey["published"]; ok {
		if b, isBool := f.Value.(bool); isBool {
			m.Draft = !b
			take(f, "draft")
		}
	}
	for _, k := range dateKeys {
		f, ok := byKey[k]
		if !ok || used[k] || empty(f.Value) {
			continue
		}
		d, err := normalizeDate(scalar(f.Value))
		if err != nil {
			rep.look(path, f.Line, "%s: %v; kept under extra:", k, err)
			continue
		}
		m.Date = d
		take(f, "date")
		break
	}
	if f, ok := first(updatedKeys); ok {
		if d, err := normalizeDate(scalar(f.Value)); err == nil {
			m.Updated = d
			take(f, "updated")
		} else {
			rep.look(path, f.Line, "%s: %v; kept under extra:", f.Key, err)
		}
	}
	seen := map[string]bool{}
	for _, k := range tagKeys {
		f, ok := byKey[k]
		if !ok {
			continue
		}
		for _, t := range stringList(f.Value) {
			t = strings.TrimSpace(t)
			if t == "" || seen[strings.ToLower(t)] {
				continue
			}
			seen[strings.ToLower(t)] = true
			m.Tags = append(m.Tags, t)
		}
		take(f, "tags")
	}
	if f, ok := byKey["draft"]; ok {
		if b, isBool := f.Value.(bool); isBool {
			m.Draft = m.Draft || b
			take(f, "draft")
		} else if s := scalar(f.Value); s == "true" || s == "false" {
			m.Draft = m.Draft || s == "true"
			take(f, "draft")
		}
	}
	for _, k := range aliasKeys {
		if f, ok := byKey[k]; ok {
			m.Aliases = append(m.Aliases, stringList(f.Value)...)
			take(f, "aliases")
		}
	}
	if f, ok := byKey["slug"]; ok && scalar(f.Value) != "" {
		m.Slug = scalar(f.Value)
		take(f, "slug")
	}
	for _, k := range []string{"url", "permalink"} {
		if f, ok := byKey[k]; ok && scalar(f.Value) != "" {
			m.URL = scalar(f.Value)
			take(f, "url")
			break
		}
	}
	for _, k := range coverKeys {
		f, ok := byKey[k]
		if !ok || empty(f.Value) {
			continue
		}
		src, alt := coverOf(f.Value)
		if src == "" {
			continue
		}
		m.Cover, m.CoverAlt = src, alt
		take(f, "cover")
		break
	}
	for _, k := range []string{"heroImageAlt", "coverAlt", "cover_alt", "imageAlt"} {
		if f, ok := byKey[k]; ok && m.Cover != "" && scalar(f.Value) != "" {
			m.CoverAlt = scalar(f.Value)
			take(f, "cover_alt")
		}
	}
	for _, k := range []string{"author", "authors"} {
		f, ok := byKey[k]
		if !ok {
			continue
		}
		if a := authorOf(f.Value); a != "" {
			m.Author = a
			take(f, "author")
			break
		}
	}
	if f, ok := byKey["series"]; ok {
		if s := stringList(f.Value); len(s) == 1 {
			m.Series = s[0]
			take(f, "series")
		}
	}
	for _, f := range fields {
		if !used[f.Key] && f.Value != nil {
			m.Extra = append(m.Extra, field{Key: f.Key, Value: f.Value, Line: f.Line})
		}
	}
	return m
}

func empty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(v) == ""
	case []any:
		return len(v) == 0
	case orderedMap:
		return len(v) == 0
	}
	return false
}

func scalar(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []any:
		if len(v) > 0 {
			return scalar(v[0])
		}
		return ""
	}
	return fmt.Sprint(v)
}

// stringList reads a list of strings, or one string (a Jekyll
// "categories: homelab linux" is a space-separated list).
func stringList(v any) []string {
	switch v := v.(type) {
	case []any:
		var out []string
		for _, x := range v {
			if s := scalar(x); s != "" {
				out = append(out, s)
			}
		}
		return out
	case string:
		if v == "" {
			return nil
		}
		return []string{v}
	case nil:
		return nil
	}
	return []string{fmt.Sprint(v)}
}

// coverOf reads cover: photo.jpg, cover: {image, alt}, heroImage: {src,
// alt} (an Astro image() after a build has neither) and images: [a, b].
func coverOf(v any) (src, alt string) {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v), ""
	case []any:
		if len(v) > 0 {
			return coverOf(v[0])
		}
	case orderedMap:
		for _, k := range []string{"image", "src", "url", "path"} {
			if s, ok := v.get(k); ok && scalar(s) != "" {
				src = scalar(s)
				break
			}
		}
		if a, ok := v.get("alt"); ok {
			alt = scalar(a)
		}
		return src, alt
	}
	return "", ""
}

func authorOf(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case []any:
		if len(v) == 1 {
			return authorOf(v[0])
		}
	case orderedMap:
		if n, ok := v.get("name"); ok {
			return strings.TrimSpace(scalar(n))
		}
	}
	return ""
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 -07:00",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04 -0700",
	"2006-01-02 15:04",
	"2006-01-02T15:04:05.000Z",
	"Jan 2 2006",
	"Jan 2, 2006",
	"January 2, 2006",
	"January 2 2006",
	"2 January 2006",
	"2 Jan 2006",
	"Mon, 02 Jan 2006 15:04:05 -0700",
	"2006/01/02",
	// 2025.12.20: JavaScript's Date reads it, so Astro schemas that
	// coerce dates accept it.
	"2006.01.02",
}

var looseZone = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?)\s*([+-])\s*(\d{1,2}):?(\d{2})$`)

// normalizeDate reads the date forms the three generators accept and
// writes one labfront reads: YYYY-MM-DD for a bare date, RFC 3339 for a
// time (a time without a zone is taken as UTC, as Hugo does by default).
func normalizeDate(s string) (string, error) {
	s = strings.TrimSpace(s)

	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Format(time.DateOnly), nil
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if !strings.Contains(l, "15:04") {
				return t.Format(time.DateOnly), nil
			}
			return t.Format(time.RFC3339), nil
		}
	}
	// "2022-06-14 17:00:00 - 500": a zone offset with a stray space and
	// a dropped zero, which Jekyll's Time.parse reads all the same.
	if m := looseZone.FindStringSubmatch(s); m != nil {
		hm := m[3] + m[4]
		if fixed := m[1] + " " + m[2] + strings.Repeat("0", 4-len(hm)) + hm; fixed != s {
			return normalizeDate(fixed)
		}
	}
	return "", fmt.Errorf("%q is not a date labfront can read", s)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// dayOf is the YYYY-MM-DD part of a normalized date.
func dayOf(date string) string {
	if len(date) >= 10 {
		return date[:10]
	}
	return date
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}
