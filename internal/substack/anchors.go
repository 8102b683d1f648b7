package substack

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/slug"
)

// Anchor kinds: what in the lab an article mentions.
const (
	KindService    = "service"
	KindNode       = "node"
	KindSite       = "site"
	KindTechnology = "technology"
)

// ArchitecturePath is where anchors link to.
const ArchitecturePath = "/architecture/"

// Anchor is one lab component an article mentions, with how often.
type Anchor struct {
	Kind  string `yaml:"kind"`
	ID    string `yaml:"id"` // the public id
	Name  string `yaml:"name"`
	Count int    `yaml:"count"`
	// URL is the component's place on the architecture page.
	URL string `yaml:"url"`
	// Node is the public node whose status stands for the component:
	// the node itself, or the node a service runs on.
	Node string `yaml:"node,omitempty"`
}

// Component reports whether the anchor is a part of the lab (service,
// node, site) rather than a technology it uses.
func (a Anchor) Component() bool { return a.Kind != KindTechnology }

// genericTech are service "tech" values that name no technology a reader
// would mention ("Custom" appears in prose as an ordinary word).
var genericTech = map[string]bool{"custom": true, "other": true, "none": true, "n/a": true, "various": true, "mixed": true}

// minTermRunes keeps two-letter names ("Go") from matching everyday words.
const minTermRunes = 3

type term struct {
	text string
	// exact terms match with their case as written: technology names
	// have one spelling, and case keeps "Docker" the tool apart from
	// words that happen to share letters with a tech value.
	exact bool
	entry int
}

// Index finds mentions of a lab's public components in text. Build one
// per lab with NewIndex; it is read-only afterwards.
type Index struct {
	entries []Anchor
	terms   []term // longest first, so "k3s-srv" wins over "K3s"
}

// NewIndex indexes the public view of l: services, nodes (by alias where
// they have one), sites, and the technologies services name. Hidden nodes
// are never anchors: the note is public. l may be nil (no lab).
func NewIndex(l *lab.Lab) *Index {
	ix := &Index{}
	if l == nil {
		return ix
	}
	pub := l.Public()
	seen := map[string]bool{}
	addTerm := func(text string, exact bool, entry int) {
		text = strings.Join(strings.Fields(text), " ")
		key := strings.ToLower(text)
		if utf8.RuneCountInString(text) < minTermRunes || seen[key] || strings.ContainsAny(text, "[]()<>`*_\\") {
			return
		}
		seen[key] = true
		ix.terms = append(ix.terms, term{text: text, exact: exact, entry: entry})
	}
	add := func(a Anchor, names ...string) {
		ix.entries = append(ix.entries, a)
		for _, n := range names {
			addTerm(n, false, len(ix.entries)-1)
		}
	}
	for _, s := range pub.Services {
		add(Anchor{Kind: KindService, ID: s.ID, Name: s.Name, URL: ArchitecturePath + "#service-" + s.ID, Node: s.Node}, s.Name, s.ID)
	}
	for _, n := range pub.Nodes {
		add(Anchor{Kind: KindNode, ID: n.ID, Name: n.Name, URL: ArchitecturePath + "#node-" + n.ID, Node: n.ID}, n.Name, n.ID)
	}
	hasNodes := map[string]bool{}
	for _, n := range pub.Nodes {
		hasNodes[n.Site] = true
	}
	for _, s := range pub.Sites {
		// The architecture page groups nodes by site under the id
		// group-site-<id>; a site without public nodes has no group.
		u := ArchitecturePath
		if hasNodes[s.ID] {
			u += "#group-site-" + s.ID
		}
		add(Anchor{Kind: KindSite, ID: s.ID, Name: s.Name, URL: u}, s.Name, s.ID)
	}
	users := map[string][]string{}
	var techs []string
	for _, s := range pub.Services {
		t := strings.TrimSpace(s.Tech)
		if t == "" || genericTech[strings.ToLower(t)] {
			continue
		}
		if users[t] == nil {
			techs = append(techs, t)
		}
		users[t] = append(users[t], s.ID)
	}
	for _, t := range techs {
		// A technology used by one service links to it; one used by
		// several links to the service ecosystem section.
		u := ArchitecturePath + "#services-title"
		if len(users[t]) == 1 {
			u = ArchitecturePath + "#service-" + users[t][0]
		}
		ix.entries = append(ix.entries, Anchor{Kind: KindTechnology, ID: slug.Make(t), Name: t, URL: u})
		addTerm(t, true, len(ix.entries)-1)
	}
	slices.SortStableFunc(ix.terms, func(a, b term) int { return cmp.Compare(len(b.text), len(a.text)) })
	return ix
}

// Lookup returns the anchor of a kind and id as the lab has it now.
func (ix *Index) Lookup(kind, id string) (Anchor, bool) {
	for _, a := range ix.entries {
		if a.Kind == kind && a.ID == id {
			return a, true
		}
	}
	return Anchor{}, false
}

// mention is one match of a term in a text: byte offsets and the entry.
type mention struct {
	start, end int
	entry      int
}

// find returns the non-overlapping mentions in s, left to right, taking the
// longest term at each word start. Matching ignores case (except for
// technologies) and treats any run of whitespace as a space, and a match
// must be a whole word: letters and digits may not touch either end.
func (ix *Index) find(s string) []mention {
	var out []mention
	prev := rune(' ')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if isWordRune(prev) || !isWordRune(r) && !startsTerm(r) {
			prev = r
			i += size
			continue
		}
		matched := false
		for _, t := range ix.terms {
			n := matchTerm(s[i:], t)
			if n == 0 {
				continue
			}
			next, _ := utf8.DecodeRuneInString(s[i+n:])
			if i+n < len(s) && isWordRune(next) {
				continue
			}
			out = append(out, mention{start: i, end: i + n, entry: t.entry})
			last, _ := utf8.DecodeLastRuneInString(s[:i+n])
			prev = last
			i += n
			matched = true
			break
		}
		if !matched {
			prev = r
			i += size
		}
	}
	return out
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// startsTerm lets a term that begins with punctuation (".NET") match.
func startsTerm(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }

// matchTerm returns how many bytes of s, from its start, match t, or 0.
func matchTerm(s string, t term) int {
	i := 0
	for _, tr := range t.text {
		if i >= len(s) {
			return 0
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if tr == ' ' {
			if !unicode.IsSpace(r) {
				return 0
			}
			for i < len(s) {
				r, size = utf8.DecodeRuneInString(s[i:])
				if !unicode.IsSpace(r) {
					break
				}
				i += size
			}
			continue
		}
		if r != tr && (t.exact || unicode.ToLower(r) != unicode.ToLower(tr)) {
			return 0
		}
		i += size
	}
	return i
}
