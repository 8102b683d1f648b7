// Package search builds the static site's search index and answers
// queries over it.
//
// The index is a set of small JSON files meant to be fetched by a browser
// (web/ts/search.ts) or read by Go (Reader), so that a query downloads
// only what it needs:
//
//	meta.json      counts, each document's kind, the tags, and the name and
//	               content hash of every other file (the hash goes in the
//	               URL, so a browser never mixes files of two builds)
//	t/<key>.json   a term shard: every term from <key> up to the next
//	               shard's key, each with its posting list
//	d/<n>.json     document shard n: url, title, kind, date, tags and
//	               excerpt of documents n*DocsPerShard onwards
//	w/<c>.json     the terms starting with c, for typo tolerance only
//
// Terms are Porter2 stems (see Stem) of the words of each field. A
// posting is a document id and a weight: the field-weighted count of the
// term in that document (title, tags and headings count more than the
// body). Weights depend on the document alone, never on the rest of the
// site, and term shards split at prefixes (see shardTerms), so editing
// one page changes only the shards of the terms it gains, loses or
// counts differently, its document shard and meta.json. The bytes depend
// on the documents only: the same site gives the same files.
package search

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format is the index's format version, in meta.json.
const Format = 1

// Field weights: a word in a title says much more about a page than one
// in its body. TestRanking holds the order they give.
const (
	weightTitle   = 20
	weightTag     = 12
	weightHeading = 8
	weightBody    = 1
	// A field's count is capped so that repeating a word does not buy
	// a page its rank.
	maxCount = 10
)

// DocsPerShard is how many documents a document shard holds. It is fixed,
// not derived from the site's size, so that adding a page at the end
// leaves every earlier shard's bytes alone.
const DocsPerShard = 20

// ExcerptChars bounds the text kept per document for its excerpt.
const ExcerptChars = 360

// shardBytes is the size a term shard is split at (see shardTerms).
const shardBytes = 24 << 10

// Kind codes, one character per document in meta.json.
var kindCodes = map[string]byte{"post": 'p', "note": 'n', "tag": 't', "lab": 'l', "page": 'a', "node": 'o'}

// Tag is a tag as a page shows it and as filters name it.
type Tag struct{ Name, Slug string }

// Document is one searchable page, or one part of a page (a node of the
// architecture page has its own entry and anchor).
type Document struct {
	URL      string
	Title    string
	Kind     string // post, note, tag or lab on the site; page or node in the admin
	Date     string // YYYY-MM-DD, or ""
	Tags     []Tag
	Headings []string
	Body     string // plain text
}

// Entry is an analysed Document: all the index keeps of it. It is what a
// build caches per page, so an unchanged page is not analysed again.
type Entry struct {
	URL, Title, Kind, Date string
	Tags                   []string // display names
	TagSlugs               []string
	Excerpt                string
	Terms                  []TermWeight // sorted by term
}

// TermWeight is one term of a document and its weight there.
type TermWeight struct {
	Term   string
	Weight uint32
}

// Body is an analysed body text: its excerpt and how often each term
// occurs in it. It depends on the text alone, so a build caches it by the
// page's source and does not convert an unchanged page again.
type Body struct {
	Excerpt string
	Counts  []TermWeight // sorted by term
}

// Analyzer analyses documents, remembering each word's stem: the pages
// of a site share most of their words, so each is stemmed once. It is
// not safe for concurrent use; give each goroutine its own.
type Analyzer struct {
	stems map[string]string
	buf   []byte
}

// NewAnalyzer returns an Analyzer with nothing remembered.
func NewAnalyzer() *Analyzer { return &Analyzer{stems: map[string]string{}} }

// counts adds each term of text to counts.
func (a *Analyzer) counts(text string, counts map[string]int) {
	a.buf = eachWord(text, a.buf, func(w []byte) {
		st, ok := a.stems[string(w)]
		if !ok {
			word := string(w)
			st = Stem(word)
			a.stems[word] = st
		}
		counts[st]++
	})
}

// AnalyzeBody analyses a body text.
func AnalyzeBody(text string) Body { return NewAnalyzer().Body(text) }

// Body analyses a body text.
func (a *Analyzer) Body(text string) Body {
	counts := map[string]int{}
	a.counts(text, counts)
	b := Body{Excerpt: excerpt(text), Counts: make([]TermWeight, 0, len(counts))}
	for term, n := range counts {
		b.Counts = append(b.Counts, TermWeight{Term: term, Weight: uint32(n)})
	}
	slices.SortFunc(b.Counts, func(a, b TermWeight) int { return strings.Compare(a.Term, b.Term) })
	return b
}

// Analyze turns a document into its index entry.
func Analyze(d Document) Entry { return AnalyzeWith(d, AnalyzeBody(d.Body)) }

// AnalyzeWith turns a document into its index entry with its body
// analysed already (d.Body is not read).
func AnalyzeWith(d Document, body Body) Entry { return NewAnalyzer().Entry(d, body) }

// Entry turns a document into its index entry with its body analysed
// already (d.Body is not read).
func (a *Analyzer) Entry(d Document, body Body) Entry {
	// The title, tags and headings are a few words; the body's hundreds
	// of terms are sorted already. So the few go through a map and are
	// merged into the body's list, rather than every term of every page
	// through a map and a sort: an incremental build redoes this for
	// every page, changed or not.
	weights := map[string]int{}
	add := func(weight int, text string) {
		counts := map[string]int{}
		a.counts(text, counts)
		for term, n := range counts {
			weights[term] += weight * min(n, maxCount)
		}
	}
	add(weightTitle, d.Title)
	var tags []string
	for _, t := range d.Tags {
		tags = append(tags, t.Name)
	}
	add(weightTag, strings.Join(tags, " "))
	add(weightHeading, strings.Join(d.Headings, " "))
	few := make([]TermWeight, 0, len(weights))
	for term, w := range weights {
		few = append(few, TermWeight{Term: term, Weight: uint32(w)})
	}
	byTerm := func(a, b TermWeight) int { return strings.Compare(a.Term, b.Term) }
	slices.SortFunc(few, byTerm)
	e := Entry{URL: d.URL, Title: d.Title, Kind: d.Kind, Date: d.Date, Excerpt: body.Excerpt, Tags: tags}
	for _, t := range d.Tags {
		e.TagSlugs = append(e.TagSlugs, t.Slug)
	}
	e.Terms = make([]TermWeight, 0, len(body.Counts)+len(few))
	i := 0
	for _, c := range body.Counts {
		for i < len(few) && few[i].Term < c.Term {
			e.Terms = append(e.Terms, few[i])
			i++
		}
		w := uint32(weightBody * min(int(c.Weight), maxCount))
		if i < len(few) && few[i].Term == c.Term {
			w += few[i].Weight
			i++
		}
		e.Terms = append(e.Terms, TermWeight{Term: c.Term, Weight: w})
	}
	e.Terms = append(e.Terms, few[i:]...)
	return e
}

// excerpt is the start of the body, whitespace folded, cut at a word.
func excerpt(body string) string {
	// Only the start is folded: the cut below never looks past byte
	// ExcerptChars, and folding a whole 900-word body per page was a
	// copy of every body alive at once during a large build.
	var b strings.Builder
	for w := range strings.FieldsSeq(body) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
		if b.Len() > ExcerptChars {
			break
		}
	}
	s := b.String()
	if len(s) <= ExcerptChars {
		return s
	}
	cut := ExcerptChars
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if i := strings.LastIndexByte(s[:cut], ' '); i > ExcerptChars/2 {
		cut = i
	}
	return s[:cut] + " …"
}

// tagTerm is the term a tag filter looks up: no word has a '#'.
func tagTerm(slug string) string { return "#" + slug }

// Files is a built index: file name (relative to the index's folder) to
// bytes.
type Files map[string][]byte

// Meta is meta.json.
type Meta struct {
	Format int `json:"format"`
	// Docs is the number of documents; Kinds has one kind code per
	// document (see kindCodes), in id order.
	Docs         int    `json:"docs"`
	DocsPerShard int    `json:"perShard"`
	Kinds        string `json:"kinds"`
	// Terms are the term shards: start key and content hash, sorted.
	Terms [][2]string `json:"terms"`
	// DocShards are the document shards' content hashes, by number.
	DocShards []string `json:"docShards"`
	// Words are the typo lists: first character and content hash.
	Words [][2]string `json:"words"`
	// Tags lists every tag: slug, name and number of documents, by
	// count and then name.
	Tags []TagCount `json:"tags"`
}

// TagCount is a tag with how many documents carry it.
type TagCount struct {
	Slug  string `json:"slug"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Builder makes the index one entry at a time, so that a large site's
// analysed terms are never all held at once: each entry's terms become
// postings when it is added, and only what a result shows is kept of it.
// Entries must be added in id order (the order of the documents).
type Builder struct {
	docs     []Entry // without their Terms
	kinds    []byte
	postings map[string][]uint32 // term -> id, weight, id, weight …
	tags     map[string]*TagCount
}

// NewBuilder returns a Builder with no entries.
func NewBuilder() *Builder {
	return &Builder{postings: map[string][]uint32{}, tags: map[string]*TagCount{}}
}

// Add adds the next entry; its id is the number of entries before it.
func (bd *Builder) Add(e Entry) error {
	code, ok := kindCodes[e.Kind]
	if !ok {
		return fmt.Errorf("search: %s: unknown kind %q", e.URL, e.Kind)
	}
	id := uint32(len(bd.docs))
	bd.kinds = append(bd.kinds, code)
	for _, t := range e.Terms {
		bd.postings[t.Term] = append(bd.postings[t.Term], id, t.Weight)
	}
	for i, slug := range e.TagSlugs {
		term := tagTerm(slug)
		if p := bd.postings[term]; len(p) == 0 || p[len(p)-2] != id {
			bd.postings[term] = append(bd.postings[term], id, 0)
		}
		tc := bd.tags[slug]
		if tc == nil {
			tc = &TagCount{Slug: slug, Name: e.Tags[i]}
			bd.tags[slug] = tc
		}
		tc.Count++
	}
	e.Terms = nil
	bd.docs = append(bd.docs, e)
	return nil
}

// Build makes the index files from entries, whose order is their ids.
// The caller orders them so that a new page lands at the end (oldest
// first): ids, and so the postings of other pages, then stay put.
func Build(entries []Entry) (Files, error) {
	b := NewBuilder()
	for _, e := range entries {
		if err := b.Add(e); err != nil {
			return nil, err
		}
	}
	return b.Files()
}

// Files encodes the index of the entries added so far.
func (bd *Builder) Files() (Files, error) {
	files := Files{}
	entries, kinds, postings, tags := bd.docs, bd.kinds, bd.postings, bd.tags
	meta := Meta{Format: Format, Docs: len(entries), DocsPerShard: DocsPerShard}
	meta.Kinds = string(kinds)
	terms := make([]string, 0, len(postings))
	for t := range postings {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	encoded := make([][]byte, len(terms))
	for i, t := range terms {
		encoded[i] = encodePostings(t, postings[t])
	}
	for _, sh := range shardTerms(terms, encoded, "", shardBytes) {
		var b bytes.Buffer
		b.WriteByte('{')
		for i := sh.from; i < sh.to; i++ {
			if i > sh.from {
				b.WriteByte(',')
			}
			b.Write(encoded[i])
		}
		b.WriteByte('}')
		name := "t/" + fileKey(sh.key) + ".json"
		files[name] = b.Bytes()
		meta.Terms = append(meta.Terms, [2]string{sh.key, contentHash(b.Bytes())})
	}
	for n := 0; n*DocsPerShard < len(entries); n++ {
		b, err := encodeDocs(entries[n*DocsPerShard : min(len(entries), (n+1)*DocsPerShard)])
		if err != nil {
			return nil, err
		}
		files["d/"+strconv.Itoa(n)+".json"] = b
		meta.DocShards = append(meta.DocShards, contentHash(b))
	}
	for _, wl := range wordLists(terms) {
		b, err := json.Marshal(wl.terms)
		if err != nil {
			return nil, err
		}
		files["w/"+fileKey(wl.first)+".json"] = b
		meta.Words = append(meta.Words, [2]string{wl.first, contentHash(b)})
	}
	for _, tc := range tags {
		meta.Tags = append(meta.Tags, *tc)
	}
	slices.SortFunc(meta.Tags, func(a, b TagCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Slug, b.Slug)
	})
	if meta.Terms == nil {
		meta.Terms = [][2]string{}
	}
	if meta.DocShards == nil {
		meta.DocShards = []string{}
	}
	if meta.Words == nil {
		meta.Words = [][2]string{}
	}
	if meta.Tags == nil {
		meta.Tags = []TagCount{}
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	files["meta.json"] = b
	return files, nil
}

// encodePostings writes `"term":[id,weight,…]` with ids as differences
// from the previous one: small numbers, few bytes.
func encodePostings(term string, p []uint32) []byte {
	var b bytes.Buffer
	k, _ := json.Marshal(term) // a string always marshals
	b.Write(k)
	b.WriteString(":[")
	prev := uint32(0)
	for i := 0; i < len(p); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(p[i]-prev), 10))
		b.WriteByte(',')
		b.WriteString(strconv.FormatUint(uint64(p[i+1]), 10))
		prev = p[i]
	}
	b.WriteByte(']')
	return b.Bytes()
}

// docRecord is a document as a document shard holds it: an array, to
// keep key names out of every record.
func encodeDocs(entries []Entry) ([]byte, error) {
	recs := make([][]any, len(entries))
	for i, e := range entries {
		tags := e.Tags
		if tags == nil {
			tags = []string{}
		}
		recs[i] = []any{e.URL, e.Title, e.Kind, e.Date, tags, e.Excerpt}
	}
	return json.Marshal(recs)
}

// shard is a run of terms [from, to) starting at key.
type shard struct {
	key      string
	from, to int
}

// shardTerms splits the sorted terms that start with prefix into shards
// of about limit bytes. A prefix that fits is one shard; one that does
// not is split by its next character, and neighbouring small groups are
// packed together again. Boundaries are prefixes, so a changed posting
// list moves a boundary only when it makes its own group cross the
// limit, and the shards elsewhere keep their bytes.
func shardTerms(terms []string, encoded [][]byte, prefix string, limit int) []shard {
	size := func(from, to int) int {
		n := 0
		for i := from; i < to; i++ {
			n += len(encoded[i]) + 1
		}
		return n
	}
	if len(terms) == 0 {
		return nil
	}
	if size(0, len(terms)) <= limit {
		return []shard{{key: prefix, from: 0, to: len(terms)}}
	}
	// Groups by the character after prefix; a term equal to prefix is a
	// group of its own, first.
	type group struct {
		key      string
		from, to int
	}
	var groups []group
	for i := 0; i < len(terms); {
		key := prefix
		if rest := terms[i][len(prefix):]; rest != "" {
			_, n := utf8.DecodeRuneInString(rest)
			key = prefix + rest[:n]
		}
		j := i + 1
		for j < len(terms) && (key == prefix && terms[j] == prefix || key != prefix && strings.HasPrefix(terms[j], key)) {
			j++
		}
		groups = append(groups, group{key, i, j})
		i = j
	}
	var out []shard
	var cur *shard
	for _, g := range groups {
		if g.key != prefix && size(g.from, g.to) > limit {
			cur = nil
			for _, s := range shardTerms(terms[g.from:g.to], encoded[g.from:g.to], g.key, limit) {
				out = append(out, shard{key: s.key, from: s.from + g.from, to: s.to + g.from})
			}
			continue
		}
		if cur != nil && size(cur.from, g.to) <= limit {
			cur.to = g.to
			continue
		}
		out = append(out, shard{key: g.key, from: g.from, to: g.to})
		cur = &out[len(out)-1]
	}
	return out
}

type wordList struct {
	first string
	terms []string
}

// wordLists groups the terms (not the tag filters) by first character.
func wordLists(terms []string) []wordList {
	var out []wordList
	for _, t := range terms {
		if strings.HasPrefix(t, "#") {
			continue
		}
		r, n := utf8.DecodeRuneInString(t)
		if r == utf8.RuneError {
			continue
		}
		first := t[:n]
		if len(out) == 0 || out[len(out)-1].first != first {
			out = append(out, wordList{first: first})
		}
		out[len(out)-1].terms = append(out[len(out)-1].terms, t)
	}
	return out
}

// fileKey is a shard key as a file name: itself when it is plain
// lower-case ASCII letters and digits, "_" when empty, else "~" and hex.
func fileKey(key string) string {
	if key == "" {
		return "_"
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return "~" + hex.EncodeToString([]byte(key))
		}
	}
	return key
}

// FileKey is fileKey, for readers of the index.
func FileKey(key string) string { return fileKey(key) }

func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:5])
}
