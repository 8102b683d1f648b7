package search

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Match factors: an exact stem counts fully; a term the last word may be
// the beginning of (the query is being typed) or a near miss counts less,
// so that an exact match ranks first.
const (
	factorPrefix = 0.7
	factorTypo1  = 0.5
	factorTypo2  = 0.3
	// saturation is k in w(k+1)/(w+k): how soon more weight stops
	// helping. It leaves a title (weight 20) ahead of ten mentions in
	// the body (weight 10).
	saturation = 5
	// typo tolerance starts at this many letters, and allows two edits
	// from typo2Len on.
	typo1Len = 5
	typo2Len = 9
)

// Reader answers queries from index files, fetching each file once and
// only when a query needs it: what the browser island does, in Go, for
// the admin server and for tests. web/ts/search.ts must rank the same way.
type Reader struct {
	get  func(name string) ([]byte, error)
	meta Meta

	mu      sync.Mutex
	shards  map[string]map[string][]int
	docs    map[int][][]json.RawMessage
	words   map[string][]string
	fetched []string
}

// Open reads meta.json through get, which returns a file of the index by
// its name (e.g. "t/ab.json"; the browser adds ?h=hash).
func Open(get func(name string) ([]byte, error)) (*Reader, error) {
	b, err := get("meta.json")
	if err != nil {
		return nil, err
	}
	r := &Reader{get: get, shards: map[string]map[string][]int{}, docs: map[int][][]json.RawMessage{}, words: map[string][]string{}}
	if err := json.Unmarshal(b, &r.meta); err != nil {
		return nil, fmt.Errorf("search index meta.json: %w", err)
	}
	if r.meta.Format != Format {
		return nil, fmt.Errorf("search index meta.json: format %d, want %d", r.meta.Format, Format)
	}
	return r, nil
}

// Meta is the index's meta.json.
func (r *Reader) Meta() Meta { return r.meta }

// Fetched lists the files read so far, in order (meta.json excepted).
func (r *Reader) Fetched() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.fetched)
}

// Query is what a search asks.
type Query struct {
	Text string
	// Typing says the last word may be unfinished: it also matches the
	// terms it begins.
	Typing bool
	Kind   string // "" for all
	Tag    string // a tag slug, "" for all
	Limit  int    // hits to describe; 0 means 10
}

// Hit is one result.
type Hit struct {
	ID                     int
	Score                  float64
	URL, Title, Kind, Date string
	Tags                   []string
	Excerpt                string
}

// Result is a query's answer: how many documents match, the best Limit
// of them, and the index terms that matched (for highlighting).
type Result struct {
	Total int
	Hits  []Hit
	Terms []string
}

// candidate is an index term one query word matches, and how well.
type candidate struct {
	term   string
	factor float64
}

// Search runs a query.
func (r *Reader) Search(q Query) (Result, error) {
	words := Words(q.Text)
	if len(words) == 0 {
		return Result{}, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	var scores map[int]float64
	var matched []string
	for i, w := range words {
		cands, err := r.candidates(w, q.Typing && i == len(words)-1)
		if err != nil {
			return Result{}, err
		}
		best := map[int]float64{}
		for _, c := range cands {
			p, err := r.postings(c.term)
			if err != nil {
				return Result{}, err
			}
			if len(p) == 0 {
				continue
			}
			matched = append(matched, c.term)
			idf := idf(r.meta.Docs, len(p)/2)
			for j := 0; j < len(p); j += 2 {
				wt := float64(p[j+1])
				s := c.factor * idf * wt * (saturation + 1) / (wt + saturation)
				if s > best[p[j]] {
					best[p[j]] = s
				}
			}
		}
		if scores == nil {
			scores = best
			continue
		}
		for id, s := range scores {
			if b, ok := best[id]; ok {
				scores[id] = s + b
			} else {
				delete(scores, id)
			}
		}
	}
	var allow map[int]bool
	if q.Tag != "" {
		p, err := r.postings(tagTerm(q.Tag))
		if err != nil {
			return Result{}, err
		}
		allow = map[int]bool{}
		for j := 0; j < len(p); j += 2 {
			allow[p[j]] = true
		}
	}
	var code byte
	if q.Kind != "" {
		code = kindCodes[q.Kind]
	}
	type scored struct {
		id int
		s  float64
	}
	var list []scored
	for id, s := range scores {
		if code != 0 && (id >= len(r.meta.Kinds) || r.meta.Kinds[id] != code) || allow != nil && !allow[id] {
			continue
		}
		list = append(list, scored{id, s})
	}
	// Best first; among equals the newer page (pages are numbered
	// oldest first).
	sort.Slice(list, func(a, b int) bool {
		if list[a].s != list[b].s {
			return list[a].s > list[b].s
		}
		return list[a].id > list[b].id
	})
	res := Result{Total: len(list), Terms: matched}
	for _, sc := range list[:min(limit, len(list))] {
		h, err := r.doc(sc.id)
		if err != nil {
			return Result{}, err
		}
		h.Score = sc.s
		res.Hits = append(res.Hits, h)
	}
	return res, nil
}

func idf(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// candidates lists the index terms word matches: its stem; when it is
// being typed, the terms its stem begins and the stems it may be
// unfinished for; and when none of those is in the index and the word is
// long enough, the terms one or two edits away.
func (r *Reader) candidates(word string, typing bool) ([]candidate, error) {
	stem := Stem(word)
	out := []candidate{{stem, 1}}
	if typing {
		lo, hi := PrefixRange(word, stem)
		terms, err := r.termsIn(lo, hi)
		if err != nil {
			return nil, err
		}
		for _, t := range terms {
			if t != stem && IsPrefixMatch(word, stem, t) {
				out = append(out, candidate{t, factorPrefix})
			}
		}
	}
	for _, c := range out {
		p, err := r.postings(c.term)
		if err != nil {
			return nil, err
		}
		if len(p) > 0 {
			return out, nil
		}
	}
	n := utf8.RuneCountInString(stem)
	if n < typo1Len {
		return out, nil
	}
	maxEdits := 1
	if n >= typo2Len {
		maxEdits = 2
	}
	list, err := r.wordList(stem)
	if err != nil {
		return nil, err
	}
	for _, t := range list {
		if d := EditDistance(stem, t, maxEdits); d > 0 && d <= maxEdits {
			f := factorTypo1
			if d == 2 {
				f = factorTypo2
			}
			out = append(out, candidate{t, f})
		}
	}
	return out, nil
}

// PrefixRange is the key range [lo, hi) of the terms a word being typed
// may match: those its stem begins, and the stems at most two letters
// shorter than the word that it begins with ("configura" is on its way to
// "configur"). hi is the first key past every term starting with the
// range's last prefix.
func PrefixRange(word, stem string) (string, string) {
	lo := min(stem, word[:shortest(word)])
	return lo, max(stem, word) + "\U0010FFFF"
}

// shortest is the byte length of the shortest stem a typed word may be
// unfinished for: two runes fewer, at least three.
func shortest(word string) int {
	n := utf8.RuneCountInString(word)
	keep := max(3, n-2)
	if keep >= n {
		return len(word)
	}
	i := 0
	for range keep {
		_, size := utf8.DecodeRuneInString(word[i:])
		i += size
	}
	return i
}

// IsPrefixMatch reports whether term is a prefix match for a word being
// typed: it starts with the word's stem, or the word starts with it and
// it is at most two letters shorter (and at least three long).
func IsPrefixMatch(word, stem, term string) bool {
	if strings.HasPrefix(term, stem) {
		return true
	}
	return strings.HasPrefix(word, term) && len(term) >= shortest(word)
}

// EditDistance is the Levenshtein distance between a and b, or max+1 once
// it is sure to exceed max.
func EditDistance(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > max || -d > max {
		return max + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		low := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			low = min(low, cur[j])
		}
		if low > max {
			return max + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// shardFor is the index of the shard that holds key: the last one whose
// start is not after it.
func (r *Reader) shardFor(key string) int {
	i := sort.Search(len(r.meta.Terms), func(i int) bool { return r.meta.Terms[i][0] > key })
	return i - 1
}

func (r *Reader) loadShard(i int) (map[string][]int, error) {
	key := r.meta.Terms[i][0]
	r.mu.Lock()
	sh, ok := r.shards[key]
	r.mu.Unlock()
	if ok {
		return sh, nil
	}
	name := "t/" + fileKey(key) + ".json"
	b, err := r.fetch(name)
	if err != nil {
		return nil, err
	}
	var raw map[string][]int
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("search index %s: %w", name, err)
	}
	for t, p := range raw {
		id := 0
		for j := 0; j+1 < len(p); j += 2 {
			id += p[j]
			p[j] = id
		}
		raw[t] = p
	}
	r.mu.Lock()
	r.shards[key] = raw
	r.mu.Unlock()
	return raw, nil
}

func (r *Reader) fetch(name string) ([]byte, error) {
	r.mu.Lock()
	r.fetched = append(r.fetched, name)
	r.mu.Unlock()
	return r.get(name)
}

// postings returns a term's ids and weights, ids absolute.
func (r *Reader) postings(term string) ([]int, error) {
	i := r.shardFor(term)
	if i < 0 {
		return nil, nil
	}
	sh, err := r.loadShard(i)
	if err != nil {
		return nil, err
	}
	return sh[term], nil
}

// termsIn lists the index terms in [lo, hi), sorted.
func (r *Reader) termsIn(lo, hi string) ([]string, error) {
	var out []string
	for i := max(0, r.shardFor(lo)); i < len(r.meta.Terms) && r.meta.Terms[i][0] < hi; i++ {
		sh, err := r.loadShard(i)
		if err != nil {
			return nil, err
		}
		for t := range sh {
			if t >= lo && t < hi {
				out = append(out, t)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// wordList is the typo list of the stem's first character.
func (r *Reader) wordList(stem string) ([]string, error) {
	_, n := utf8.DecodeRuneInString(stem)
	first := stem[:n]
	if !slices.ContainsFunc(r.meta.Words, func(w [2]string) bool { return w[0] == first }) {
		return nil, nil
	}
	r.mu.Lock()
	l, ok := r.words[first]
	r.mu.Unlock()
	if ok {
		return l, nil
	}
	b, err := r.fetch("w/" + fileKey(first) + ".json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("search index word list %q: %w", first, err)
	}
	r.mu.Lock()
	r.words[first] = l
	r.mu.Unlock()
	return l, nil
}

// doc describes document id from its shard.
func (r *Reader) doc(id int) (Hit, error) {
	n := id / r.meta.DocsPerShard
	r.mu.Lock()
	recs, ok := r.docs[n]
	r.mu.Unlock()
	if !ok {
		name := "d/" + strconv.Itoa(n) + ".json"
		b, err := r.fetch(name)
		if err != nil {
			return Hit{}, err
		}
		if err := json.Unmarshal(b, &recs); err != nil {
			return Hit{}, fmt.Errorf("search index %s: %w", name, err)
		}
		r.mu.Lock()
		r.docs[n] = recs
		r.mu.Unlock()
	}
	i := id % r.meta.DocsPerShard
	if i >= len(recs) || len(recs[i]) != 6 {
		return Hit{}, fmt.Errorf("search index: no document %d", id)
	}
	h := Hit{ID: id}
	for k, dst := range []any{&h.URL, &h.Title, &h.Kind, &h.Date, &h.Tags, &h.Excerpt} {
		if err := json.Unmarshal(recs[i][k], dst); err != nil {
			return Hit{}, fmt.Errorf("search index: document %d: %w", id, err)
		}
	}
	return h, nil
}
