package substack

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labfront/labfront/internal/markdown"
)

// Section labels, in the order the structure is shown.
const (
	LabelStory        = "Story"
	LabelProblem      = "Problem"
	LabelMethod       = "Method"
	LabelArchitecture = "Architecture"
	LabelRationale    = "Rationale"
	LabelPattern      = "Pattern"
	LabelResults      = "Results"
	LabelCallToAction = "Call to action"
)

// Labels is every section label in display order.
var Labels = []string{LabelStory, LabelProblem, LabelMethod, LabelArchitecture, LabelRationale, LabelPattern, LabelResults, LabelCallToAction}

// technical labels make an article note material; framing labels (story,
// pattern, call to action) are what every essay has too, so they are
// shown per section but left out of the structure when technical ones exist.
var technical = map[string]bool{LabelMethod: true, LabelArchitecture: true, LabelResults: true}

var framing = map[string]bool{LabelStory: true, LabelPattern: true, LabelCallToAction: true}

// Decisions.
const (
	DecisionNote   = "technical note"
	DecisionPaper  = "architecture paper"
	DecisionEssay  = "keep as essay"
	DecisionNotYet = "not yet"
)

// Decisions is every decision value, for validating hand edits.
var Decisions = []string{DecisionNote, DecisionPaper, DecisionEssay, DecisionNotYet}

// MinAnchors is how many lab components an article must mention to be
// promoted: fewer is an essay that happens to name a tool.
const MinAnchors = 3

// paperAnchors is how many components an architecture paper mentions at
// least: it describes a system, not one piece of it.
const paperAnchors = 5

// Section is one part of the article and the label its cues gave it.
type Section struct {
	Heading string   `yaml:"heading"`
	Label   string   `yaml:"label,omitempty"`
	Words   int      `yaml:"words"`
	Cues    []string `yaml:"cues,omitempty,flow"`
}

// Analysis is what the importer concludes about an article. Every part is
// derived from the text and the lab alone, and carries its reasons.
type Analysis struct {
	Sections  []Section
	Structure []string
	Anchors   []Anchor
	Decision  string
	Reasons   []string
}

// StructureText is the structure as the pipeline shows it: "Method · Architecture".
func (a *Analysis) StructureText() string { return strings.Join(a.Structure, " · ") }

// cues are the words that suggest a label, in a heading (strong) or in the
// section's prose (one point per distinct cue).
type cues struct {
	heading, body []string
}

var labelCues = map[string]cues{
	LabelStory: {
		heading: []string{"story", "journey", "how it started", "how it began", "background", "origin", "origins", "confession", "the night", "the day"},
		body:    []string{"i realized", "i realised", "it started", "i remember", "that night", "one night", "last night", "tonight", "years ago", "months ago", "i noticed", "before i knew it", "i drew", "i had", "i was", "back then"},
	},
	LabelProblem: {
		heading: []string{"problem", "problems", "challenge", "challenges", "pain", "pain points", "what broke", "what went wrong", "issue", "issues", "failure", "failures", "bottleneck", "mess", "incident", "outage", "symptoms"},
		body:    []string{"broke", "broken", "failed", "fails", "failure", "problem", "problems", "painful", "didn't work", "doesn't work", "crash", "crashed", "crashes", "stuck", "hope", "mess", "outage", "bug", "went wrong", "scattered"},
	},
	LabelMethod: {
		heading: []string{"what changed", "how", "how to", "setup", "set up", "setting up", "step", "steps", "implementation", "implementing", "migration", "migrating", "approach", "method", "building", "installing", "configuring", "configuration", "guide", "walkthrough", "the fix", "solution", "tooling"},
		body:    []string{"instead of", "replaced", "migrated", "install", "installed", "configure", "configured", "deploy", "deployed", "retry", "retries", "restarts", "are now", "is now", "step", "steps", "set up", "switched", "moved to", "command", "manifest", "helm", "systemd", "backoff", "dependencies"},
	},
	LabelArchitecture: {
		heading: []string{"architecture", "design", "topology", "infrastructure", "system", "systems", "stack", "components", "layout", "network", "networking", "platform", "overview", "diagram", "how it fits"},
		body:    []string{"infrastructure", "node", "nodes", "cluster", "mesh", "storage", "network", "networks", "endpoint", "endpoints", "load balancing", "replicated", "replication", "database", "databases", "primitives", "distributed system", "distributed systems", "control plane", "topology", "capacity", "inference", "coordination", "observability", "subnet", "vlan", "gateway", "proxy", "tunnel", "architecture", "failover", "redundancy", "high availability", "backed up"},
	},
	LabelRationale: {
		heading: []string{"why", "rationale", "reasons", "reasoning", "trade-offs", "tradeoffs", "trade-off", "decision", "decisions", "matters", "motivation", "choosing", "why not"},
		body:    []string{"because", "the reason", "that's why", "trade-off", "tradeoff", "trade-offs", "so that", "rather than", "the point", "worth it"},
	},
	LabelPattern: {
		heading: []string{"pattern", "patterns", "lesson", "lessons", "takeaway", "takeaways", "principle", "principles", "what i learned", "rule of thumb"},
		body:    []string{"every project", "always", "happens to", "eventually", "pattern", "the question isn't", "every time", "sooner or later", "rule of thumb", "lesson"},
	},
	LabelResults: {
		heading: []string{"results", "result", "outcome", "outcomes", "numbers", "benchmark", "benchmarks", "performance", "before and after", "impact", "measurements"},
		body:    []string{"faster", "slower", "reduced", "improved", "dropped from", "went from", "throughput", "benchmark", "percent", "uptime", "p99", "p95"},
	},
	LabelCallToAction: {
		heading: []string{"your turn", "what's your", "subscribe", "get involved", "try it", "over to you", "let me know"},
		body:    []string{"reply", "tell me", "comment", "comments", "subscribe", "share this", "let me know", "what's your", "are you", "leave a comment"},
	},
}

var (
	timeOfDay    = regexp.MustCompile(`\b\d{1,2}(:\d{2})?\s?(am|pm)\b`)
	measurement  = regexp.MustCompile(`\b\d+(\.\d+)?\s?(%|ms\b|µs\b|gb/s\b|mb/s\b|x faster\b|times faster\b|req/s\b)`)
	toolFor      = regexp.MustCompile(`^\S.{0,40}\sfor\s\S`)
	readerAsking = regexp.MustCompile(`[^.!?]*\b(you|your)\b[^.!?]*\?`)
)

// Analyze labels the article's sections, finds its anchors in ix and
// decides what to do with it.
func Analyze(a *Article, ix *Index) Analysis {
	s := scan(a.Body)
	var an Analysis
	an.Sections = sections(s)
	an.Anchors = countAnchors(s, ix)
	an.Structure = structure(an.Sections)
	an.Decision, an.Reasons = decide(a, &an)
	return an
}

type sectionParts struct {
	heading     string
	subheadings []string
	prose       []string
	code        []block
	defs        int
}

// sections splits the body at its top-level headings and at rules, and
// labels each part by its cues.
func sections(s *scanned) []Section {
	top := 0
	for _, b := range s.blocks {
		if b.kind == blockHeading && (top == 0 || b.level < top) {
			top = b.level
		}
	}
	var parts []*sectionParts
	cur := &sectionParts{}
	flush := func() {
		if cur.heading != "" || len(cur.prose) > 0 || len(cur.code) > 0 || len(cur.subheadings) > 0 {
			parts = append(parts, cur)
		}
		cur = &sectionParts{}
	}
	for _, b := range s.blocks {
		switch {
		case b.kind == blockHeading && b.level == top:
			flush()
			cur.heading = b.text
		case b.kind == blockHeading:
			cur.subheadings = append(cur.subheadings, b.text)
		case b.kind == blockRule:
			flush()
		case b.kind == blockCode:
			cur.code = append(cur.code, b)
		default:
			cur.prose = append(cur.prose, b.text)
			if b.defItem {
				cur.defs++
			}
		}
	}
	flush()
	out := make([]Section, 0, len(parts))
	for _, p := range parts {
		out = append(out, label(p))
	}
	return out
}

func label(p *sectionParts) Section {
	prose := strings.Join(p.prose, " ")
	sec := Section{Heading: p.heading, Words: markdown.CountWords([]byte(prose)) + markdown.CountWords([]byte(strings.Join(p.subheadings, " ")))}
	heading := normalise(p.heading)
	body := normalise(prose + " " + strings.Join(p.subheadings, " "))
	type score struct {
		points     int
		headingCue bool
		cues       []string
	}
	scores := map[string]*score{}
	for _, l := range Labels {
		sc := &score{}
		scores[l] = sc
		c := labelCues[l]
		for _, w := range c.heading {
			if heading != "" && hasPhrase(heading, w) {
				sc.points += 3
				sc.headingCue = true
				sc.cues = append(sc.cues, fmt.Sprintf("heading %q", w))
				break
			}
		}
		for _, w := range c.body {
			if hasPhrase(body, w) {
				sc.points++
				sc.cues = append(sc.cues, w)
			}
		}
	}
	add := func(l string, points int, cue string) {
		scores[l].points += points
		scores[l].cues = append(scores[l].cues, cue)
	}
	if timeOfDay.MatchString(body) {
		add(LabelStory, 1, "time of day")
	}
	if n := len(measurement.FindAllString(body, -1)); n > 0 {
		add(LabelResults, min(n, 3), fmt.Sprintf("%d %s", n, plural(n, "measurement", "measurements")))
	}
	if n := len(readerAsking.FindAllString(body, -1)); n > 0 {
		add(LabelCallToAction, 2*min(n, 2), fmt.Sprintf("%d %s to the reader", n, plural(n, "question", "questions")))
	}
	tools := 0
	for _, h := range p.subheadings {
		if toolFor.MatchString(h) {
			tools++
		}
	}
	if tools > 0 {
		add(LabelMethod, tools, fmt.Sprintf("%d \"tool for purpose\" %s", tools, plural(tools, "subheading", "subheadings")))
	}
	code, diagrams := 0, 0
	for _, c := range p.code {
		if c.info == "text" || diagramLine(c.code) {
			diagrams++
		} else {
			code++
		}
	}
	if code > 0 {
		add(LabelMethod, min(code, 3), fmt.Sprintf("%d code %s", code, plural(code, "block", "blocks")))
	}
	if diagrams > 0 {
		add(LabelArchitecture, 2*min(diagrams, 2), fmt.Sprintf("%d %s", diagrams, plural(diagrams, "diagram", "diagrams")))
	}
	if p.defs >= 2 {
		add(LabelArchitecture, p.defs, fmt.Sprintf("%d-part component list", p.defs))
	}
	best := ""
	for _, l := range Labels {
		sc, b := scores[l], scores[best]
		if sc.points < 2 {
			continue
		}
		if best == "" || sc.points > b.points || sc.points == b.points && sc.headingCue && !b.headingCue {
			best = l
		}
	}
	if best != "" {
		sec.Label = best
		sec.Cues = scores[best].cues
	}
	return sec
}

// structure is the distinct section labels in display order; framing
// labels are dropped when the article has technical sections, as the
// content pipeline shows it ("Method · Architecture").
func structure(secs []Section) []string {
	has := map[string]bool{}
	tech := false
	for _, s := range secs {
		if s.Label != "" {
			has[s.Label] = true
			tech = tech || technical[s.Label]
		}
	}
	var out []string
	for _, l := range Labels {
		if has[l] && !(tech && framing[l]) {
			out = append(out, l)
		}
	}
	return out
}

func countAnchors(s *scanned, ix *Index) []Anchor {
	counts := map[int]int{}
	for _, m := range s.mentions(ix) {
		counts[m.entry]++
	}
	out := make([]Anchor, 0, len(counts))
	for e, n := range counts {
		a := ix.entries[e]
		a.Count = n
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Anchor) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return cmp.Compare(a.Kind, b.Kind)
	})
	return out
}

func decide(a *Article, an *Analysis) (string, []string) {
	var reasons []string
	words := map[string]int{}
	var labelled []string
	for _, s := range an.Sections {
		if s.Label == "" {
			continue
		}
		words[s.Label] += s.Words
		h := s.Heading
		if h == "" {
			h = "untitled section"
		}
		labelled = append(labelled, fmt.Sprintf("%s (%s)", s.Label, h))
	}
	if len(labelled) > 0 {
		reasons = append(reasons, "sections: "+strings.Join(labelled, ", "))
	}
	var comps, techs []string
	mentions := 0
	for _, x := range an.Anchors {
		if x.Component() {
			comps = append(comps, fmt.Sprintf("%s ×%d", x.Name, x.Count))
			mentions += x.Count
		} else {
			techs = append(techs, fmt.Sprintf("%s ×%d", x.Name, x.Count))
		}
	}
	if len(comps) > 0 {
		reasons = append(reasons, fmt.Sprintf("%d lab %s mentioned %d %s: %s", len(comps), plural(len(comps), "component", "components"),
			mentions, plural(mentions, "time", "times"), strings.Join(comps, ", ")))
	} else {
		reasons = append(reasons, "no lab component is mentioned")
	}
	if len(techs) > 0 {
		reasons = append(reasons, "technologies: "+strings.Join(techs, ", "))
	}
	switch a.Type {
	case TypePodcast:
		reasons = append(reasons, "podcast: only the show notes are imported, not the audio")
	case TypeThread:
		reasons = append(reasons, "thread: a short post, rarely note material")
	}
	if a.Audience == AudiencePaid {
		reasons = append(reasons, "paid-only: the export holds the text up to the paywall")
	}
	hasTech := false
	for _, l := range an.Structure {
		hasTech = hasTech || technical[l]
	}
	switch {
	case !hasTech:
		narrative := "no section reads as technical"
		if len(an.Structure) > 0 {
			narrative = "the article is narrative (" + an.StructureText() + ")"
		}
		return DecisionEssay, append(reasons, "no Method, Architecture or Results section: "+narrative)
	case len(comps) < MinAnchors:
		return DecisionNotYet, append(reasons, fmt.Sprintf("only %d implementation %s; promotion needs at least %d lab components the note can link to",
			len(comps), plural(len(comps), "anchor", "anchors"), MinAnchors))
	}
	how := words[LabelMethod] + words[LabelResults]
	arch := words[LabelArchitecture]
	if arch > how && len(comps) >= paperAnchors {
		return DecisionPaper, append(reasons, fmt.Sprintf("Architecture sections hold %d words against %d of Method and Results, over %d components: it describes the system",
			arch, how, len(comps)))
	}
	return DecisionNote, append(reasons, fmt.Sprintf("%s with %d implementation anchors: Method and Results hold %d words, Architecture %d, so it reads as a how-to",
		an.StructureText(), len(comps), how, arch))
}

// normalise lower-cases text and straightens quotes so cues match.
func normalise(s string) string {
	s = strings.ToLower(s)
	return strings.NewReplacer("’", "'", "‘", "'", "“", `"`, "”", `"`).Replace(s)
}

// hasPhrase reports whether phrase occurs in s as whole words.
func hasPhrase(s, phrase string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], phrase)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(phrase)
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if (start == 0 || !isWordRune(before)) && (end == len(s) || !isWordRune(after)) {
			return true
		}
		i = start + 1
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
