// Package discover merges what the lab's sources see with what lab.yaml
// says: it proposes lab.yaml edits (new nodes, missing keys on nodes it
// already has) and lists the drift between the two, for `labfront lab
// discover` and the admin server's drift page.
//
// The rules, in order of importance:
//   - an operator's value is never overwritten: a difference is drift,
//     with the update it would take, for the operator to choose;
//   - a new node starts public: false unless the source carries
//     labfront.public=true: nothing becomes public without the operator;
//   - a found thing is matched by its live: key first, then by name or
//     hostname, and only to a node that does not point elsewhere;
//   - a thing whose type the source cannot tell, or whose site nothing
//     names, is reported and not added: a guess would be written into
//     lab.yaml as if the operator had said it.
package discover

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/labedit"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/slug"
)

// DriftKind says how lab.yaml and the sources disagree.
type DriftKind string

const (
	// New is a live thing lab.yaml has no node for.
	New DriftKind = "new"
	// Unseen is a lab.yaml node that no source reporting its live: key saw.
	Unseen DriftKind = "unseen"
	// Differs is a value lab.yaml and a source both have, differently.
	Differs DriftKind = "differs"
)

// Drift is one disagreement, as the admin page shows it.
type Drift struct {
	Kind DriftKind
	// Node is the lab.yaml node id; for New, the id it would get ("" when
	// it cannot be added).
	Node string
	// Source is the source's name; LiveKey and LiveValue what it knows the
	// thing by.
	Source, LiveKey, LiveValue string
	// Field, Lab and Live are the differing key ("specs.cores") and both
	// values, for Differs.
	Field, Lab, Live string
	// Message says it in a sentence: "guest has 8 cores, lab.yaml says 4".
	Message string
	// Edits apply the fix: for New the node (and its links), added as
	// private; for Differs the update to the source's value. Nil when
	// there is nothing safe to apply.
	Edits []labedit.Edit
}

// Plan is the outcome of a merge.
type Plan struct {
	// Edits are what discovery proposes on its own: new nodes and keys
	// lab.yaml lacks. Differences are not in it; they wait in Drift.
	Edits []labedit.Edit
	// Added are the ids of the nodes Edits add.
	Added []string
	// Drift is every disagreement, new nodes included.
	Drift []Drift
}

// Input is what a merge needs besides lab.yaml.
type Input struct {
	Found []live.Found
	// Asked are the live keys whose sources all answered: a node with one
	// of these keys that nothing saw is Unseen. A key whose source failed
	// is left out, so an outage does not read as every node gone.
	Asked []string
	// Sites are the source's site: setting, by source name.
	Sites map[string]string
}

// planned is a node as the merge sees it: lab.yaml's, or one it adds.
type planned struct {
	id, name, site string
	live           map[string]string
	added          bool
	// matched are the live keys a found thing has been matched on.
	matched map[string]bool
	node    *lab.Node // nil for an added node
}

type merger struct {
	l     *lab.Lab
	in    Input
	nodes []*planned
	// byLive maps key\x00value to the node it names.
	byLive map[string]*planned
	plan   Plan
	links  [][2]string // planned links, to skip duplicates
}

// Merge compares found things with l. l must be a valid lab.
func Merge(l *lab.Lab, in Input) *Plan {
	m := &merger{l: l, in: in, byLive: map[string]*planned{}}
	for i := range l.Nodes {
		n := &l.Nodes[i]
		p := &planned{id: n.ID, name: n.Name, site: l.SiteOf(n.ID), live: map[string]string{}, matched: map[string]bool{}, node: n}
		for k, ref := range n.Live {
			p.live[k] = ref.Value
			m.byLive[k+"\x00"+ref.Value] = p
		}
		m.nodes = append(m.nodes, p)
	}
	for _, ln := range l.Links {
		m.links = append(m.links, [2]string{ln.From, ln.To}, [2]string{ln.To, ln.From})
	}
	found := order(in.Found)
	for i := range found {
		m.merge(&found[i])
	}
	for i := range found {
		m.link(&found[i])
	}
	m.unseen(found)
	return &m.plan
}

// order puts things that can become nodes (or are parents) first, and
// parents before their children, so a guest finds its host and a second source's view
// of a thing finds the node the first one added.
func order(found []live.Found) []live.Found {
	out := slices.Clone(found)
	depth := func(f live.Found) int {
		d := 0
		for p := f.Parent; p != "" && d < len(found); d++ {
			i := slices.IndexFunc(found, func(g live.Found) bool { return g.LiveKey == f.LiveKey && g.LiveValue == p })
			if i < 0 {
				break
			}
			p = found[i].Parent
		}
		return d
	}
	// An untyped thing that others run on (a Docker engine) is matched
	// early too: it is never added, but its children need its node.
	late := func(f live.Found) bool {
		return f.Type == "" && !slices.ContainsFunc(found, func(g live.Found) bool { return g.LiveKey == f.LiveKey && g.Parent == f.LiveValue })
	}
	slices.SortStableFunc(out, func(a, b live.Found) int {
		if late(a) != late(b) {
			if late(a) {
				return 1
			}
			return -1
		}
		return depth(a) - depth(b)
	})
	return out
}

func (m *merger) merge(f *live.Found) {
	if p := m.match(f); p != nil {
		m.update(p, f)
		return
	}
	m.add(f)
}

// match finds the node a found thing is: by live key, else by name. A
// node that points at something else under the same key, or that another
// found thing already matched on that key, is not it.
func (m *merger) match(f *live.Found) *planned {
	if p := m.byLive[f.LiveKey+"\x00"+f.LiveValue]; p != nil {
		return p
	}
	var hits []*planned
	for _, p := range m.nodes {
		if p.live[f.LiveKey] != "" || p.matched[f.LiveKey] {
			continue
		}
		if sameName(p, f.Name) || sameName(p, f.Hostname) {
			hits = append(hits, p)
		}
	}
	if len(hits) != 1 {
		return nil // none, or ambiguous: adding is safer than guessing
	}
	return hits[0]
}

func sameName(p *planned, name string) bool {
	return name != "" && (strings.EqualFold(p.name, name) || p.id == slug.Make(name))
}

// update fills in what a matched node lacks and reports what differs.
func (m *merger) update(p *planned, f *live.Found) {
	p.matched[f.LiveKey] = true
	m.byLive[f.LiveKey+"\x00"+f.LiveValue] = p
	if p.live[f.LiveKey] == "" {
		p.live[f.LiveKey] = f.LiveValue
		m.set(p, []string{"live", f.LiveKey}, labedit.Str(f.LiveValue))
	}
	if p.added {
		return // its values came from the source that added it
	}
	n := p.node
	for _, s := range specFields(f.Specs) {
		have := s.get(n.Specs)
		switch {
		case have == 0:
			m.set(p, []string{"specs", s.key}, s.value(f.Specs))
		case !s.close(have, s.get(f.Specs)):
			m.differs(p, f, "specs."+s.key, s.text(have), s.text(s.get(f.Specs)),
				fmt.Sprintf("%s has %s, lab.yaml says %s", what(f), s.say(s.get(f.Specs)), s.say(have)), s.value(f.Specs))
		}
	}
	if parent := m.parentID(f); parent != "" {
		switch {
		case n.Parent == "":
			m.set(p, []string{"parent"}, labedit.Str(parent))
		case n.Parent != parent:
			m.differs(p, f, "parent", n.Parent, parent, fmt.Sprintf("%s runs on %s, lab.yaml says %s", what(f), parent, n.Parent), labedit.Str(parent))
		}
	}
	if alias := f.Labels[live.LabelAlias]; alias != "" {
		switch {
		case n.Alias == "":
			m.set(p, []string{"alias"}, labedit.Str(alias))
		case n.Alias != alias:
			m.differs(p, f, "alias", n.Alias, alias, fmt.Sprintf("%s asks for the alias %q, lab.yaml says %q", what(f), alias, n.Alias), labedit.Str(alias))
		}
	}
	if site := f.Labels[live.LabelSite]; site != "" && n.Site != "" && site != n.Site {
		m.differs(p, f, "site", n.Site, site, fmt.Sprintf("%s says it is at %s, lab.yaml says %s", what(f), site, n.Site), labedit.Str(site))
	}
	if len(n.Networks) == 0 {
		if nets := m.networks(f.Routes); len(nets) > 0 {
			m.set(p, []string{"networks"}, labedit.List(nets...))
		}
	}
}

func (m *merger) set(p *planned, path []string, v labedit.Value) {
	m.plan.Edits = append(m.plan.Edits, labedit.Edit{Op: labedit.Set, Node: p.id, Path: path, Value: v})
}

func (m *merger) differs(p *planned, f *live.Found, field, have, seen, msg string, v labedit.Value) {
	m.plan.Drift = append(m.plan.Drift, Drift{
		Kind: Differs, Node: p.id, Source: f.Source, LiveKey: f.LiveKey, LiveValue: f.LiveValue,
		Field: field, Lab: have, Live: seen, Message: msg,
		Edits: []labedit.Edit{{Op: labedit.Update, Node: p.id, Path: strings.Split(field, "."), Value: v}},
	})
}

// what names a found thing in a message.
func what(f *live.Found) string {
	name := f.Name
	if name == "" {
		name = f.LiveValue
	}
	return fmt.Sprintf("%s %s", f.Source, name)
}

// add proposes a node for a found thing, or reports why it cannot.
func (m *merger) add(f *live.Found) {
	d := Drift{Kind: New, Source: f.Source, LiveKey: f.LiveKey, LiveValue: f.LiveValue}
	if f.Type == "" {
		d.Message = fmt.Sprintf("%s is in no lab.yaml node (%s: %s); the source cannot tell what it is, so it is not added", what(f), f.LiveKey, f.LiveValue)
		if f.Detail != "" {
			d.Message += " (" + f.Detail + ")"
		}
		m.plan.Drift = append(m.plan.Drift, d)
		return
	}
	parent := m.parentID(f)
	site, why := m.site(f, parent)
	if why != "" {
		d.Message = fmt.Sprintf("%s is in no lab.yaml node; not added: %s", what(f), why)
		m.plan.Drift = append(m.plan.Drift, d)
		return
	}
	id := m.newID(f)
	name := f.Name
	if name == "" {
		name = id
	}
	item := []labedit.Field{labedit.F("id", labedit.Str(id)), labedit.F("name", labedit.Str(name)), labedit.F("type", labedit.Str(f.Type))}
	if site != "" {
		item = append(item, labedit.F("site", labedit.Str(site)))
	}
	if parent != "" {
		item = append(item, labedit.F("parent", labedit.Str(parent)))
	}
	if alias := f.Labels[live.LabelAlias]; alias != "" {
		item = append(item, labedit.F("alias", labedit.Str(alias)))
	}
	public := f.Labels[live.LabelPublic] == "true"
	item = append(item, labedit.F("public", labedit.Bool(public)))
	if nets := m.networks(f.Routes); len(nets) > 0 {
		item = append(item, labedit.F("networks", labedit.List(nets...)))
	}
	var specs []labedit.Field
	for _, s := range specFields(f.Specs) {
		specs = append(specs, labedit.F(s.key, s.value(f.Specs)))
	}
	if f.Specs.OS != "" {
		specs = append(specs, labedit.F("os", labedit.Str(f.Specs.OS)))
	}
	if len(specs) > 0 {
		item = append(item, labedit.F("specs", labedit.Map(specs...)))
	}
	services, unknown := m.services(f.Labels[live.LabelService])
	if len(services) > 0 {
		item = append(item, labedit.F("services", labedit.List(services...)))
	}
	item = append(item, labedit.F("live", labedit.Map(labedit.F(f.LiveKey, labedit.Str(f.LiveValue)))))

	p := &planned{id: id, name: name, site: site, live: map[string]string{f.LiveKey: f.LiveValue}, added: true, matched: map[string]bool{f.LiveKey: true}}
	m.nodes = append(m.nodes, p)
	m.byLive[f.LiveKey+"\x00"+f.LiveValue] = p
	edit := labedit.Edit{Op: labedit.Append, List: "nodes", Item: item}
	m.plan.Edits = append(m.plan.Edits, edit)
	m.plan.Added = append(m.plan.Added, id)
	visibility := "private"
	if public {
		visibility = "public, as its " + live.LabelPublic + " label asks"
	}
	d.Node = id
	d.Message = fmt.Sprintf("%s is in no lab.yaml node: added as %s (%s)", what(f), id, visibility)
	if len(unknown) > 0 {
		d.Message += fmt.Sprintf("; %s names services lab.yaml does not have: %s", live.LabelService, strings.Join(unknown, ", "))
	}
	d.Edits = []labedit.Edit{edit}
	m.plan.Drift = append(m.plan.Drift, d)
}

// parentID is the node id of the thing f runs on, "" when it has none or
// the merge has no node for it.
func (m *merger) parentID(f *live.Found) string {
	if f.Parent == "" {
		return ""
	}
	if p := m.byLive[f.LiveKey+"\x00"+f.Parent]; p != nil {
		return p.id
	}
	return ""
}

// site is where a new node is: its labfront.site label, else its
// parent's site, else its source's site: setting. why says what is wrong
// when none of them gives a site lab.yaml has.
func (m *merger) site(f *live.Found, parent string) (site, why string) {
	switch {
	case f.Labels[live.LabelSite] != "":
		site = f.Labels[live.LabelSite]
	case parent != "":
		site = m.nodeSite(parent)
	default:
		site = m.in.Sites[f.Source]
	}
	if site == "" {
		if f.Type == "cloud" {
			return "", ""
		}
		return "", fmt.Sprintf("nothing says which site it is at (give it a %s label or the source a site:)", live.LabelSite)
	}
	if !slices.ContainsFunc(m.l.Sites, func(s lab.Site) bool { return s.ID == site }) {
		return "", fmt.Sprintf("its site %q is not in lab.yaml", site)
	}
	return site, ""
}

func (m *merger) nodeSite(id string) string {
	for _, p := range m.nodes {
		if p.id == id {
			return p.site
		}
	}
	return ""
}

// newID is a node id from the thing's name, unique in the lab.
func (m *merger) newID(f *live.Found) string {
	base := slug.Make(f.Name)
	if base == "" {
		base = slug.Make(f.LiveValue)
	}
	if base == "" {
		base = "node"
	}
	id := base
	for i := 2; slices.ContainsFunc(m.nodes, func(p *planned) bool { return p.id == id }); i++ {
		id = base + "-" + strconv.Itoa(i)
	}
	return id
}

// networks are the lab.yaml networks whose cidr is one of routes.
func (m *merger) networks(routes []string) []string {
	var out []string
	for _, s := range m.l.Sites {
		for _, n := range s.Networks {
			if n.CIDR != "" && slices.Contains(routes, n.CIDR) {
				out = append(out, n.ID)
			}
		}
	}
	return out
}

// services splits a labfront.service label into the ids lab.yaml has and
// those it does not.
func (m *merger) services(label string) (known, unknown []string) {
	for s := range strings.SplitSeq(label, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if slices.ContainsFunc(m.l.Services, func(x lab.Service) bool { return x.ID == s }) {
			known = append(known, s)
		} else {
			unknown = append(unknown, s)
		}
	}
	return known, unknown
}

// link adds the connections a source knows of between two nodes lab.yaml
// has (or the merge adds), unless the two are linked already.
func (m *merger) link(f *live.Found) {
	from := m.byLive[f.LiveKey+"\x00"+f.LiveValue]
	if from == nil {
		return
	}
	for _, fl := range f.Links {
		to := m.byLive[f.LiveKey+"\x00"+fl.To]
		if to == nil || to == from || slices.Contains(m.links, [2]string{from.id, to.id}) {
			continue
		}
		m.links = append(m.links, [2]string{from.id, to.id}, [2]string{to.id, from.id})
		item := []labedit.Field{labedit.F("from", labedit.Str(from.id)), labedit.F("to", labedit.Str(to.id)), labedit.F("type", labedit.Str(fl.Type))}
		if fl.Label != "" {
			item = append(item, labedit.F("label", labedit.Str(fl.Label)))
		}
		edit := labedit.Edit{Op: labedit.Append, List: "links", Item: item}
		m.plan.Edits = append(m.plan.Edits, edit)
		m.plan.Drift = append(m.plan.Drift, Drift{
			Kind: New, Node: from.id, Source: f.Source, LiveKey: f.LiveKey, LiveValue: f.LiveValue,
			Message: fmt.Sprintf("%s links %s and %s (%s): added", f.Source, from.id, to.id, fl.Type), Edits: []labedit.Edit{edit},
		})
	}
}

// unseen reports lab.yaml nodes with a live key every source of which
// answered, but none saw.
func (m *merger) unseen(found []live.Found) {
	for _, n := range m.l.Nodes {
		for _, key := range slices.Sorted(func(yield func(string) bool) {
			for k := range n.Live {
				if !yield(k) {
					return
				}
			}
		}) {
			if !slices.Contains(m.in.Asked, key) {
				continue
			}
			v := n.Live.Get(key)
			if slices.ContainsFunc(found, func(f live.Found) bool { return f.LiveKey == key && f.LiveValue == v }) {
				continue
			}
			m.plan.Drift = append(m.plan.Drift, Drift{
				Kind: Unseen, Node: n.ID, LiveKey: key, LiveValue: v,
				Message: fmt.Sprintf("%s (live.%s: %s) was seen by no %s source", n.ID, key, v, key),
			})
		}
	}
}

// spec is one of the numeric specs discovery fills in and compares.
type spec struct {
	key string
	get func(lab.Specs) float64
	// tolerance is the relative difference that still counts as equal:
	// memory and disks are reported in binary units and rounded by people.
	tolerance float64
	whole     bool
	unit      string
}

var specs = []spec{
	{key: "cores", get: func(s lab.Specs) float64 { return float64(s.Cores) }, whole: true, unit: "cores"},
	{key: "memory_gb", get: func(s lab.Specs) float64 { return s.MemoryGB }, tolerance: 0.05, unit: "GB of memory"},
	{key: "storage_tb", get: func(s lab.Specs) float64 { return s.StorageTB }, tolerance: 0.10, unit: "TB of storage"},
}

// specFields are the specs s reports.
func specFields(s lab.Specs) []spec {
	var out []spec
	for _, sp := range specs {
		if sp.get(s) > 0 {
			out = append(out, sp)
		}
	}
	return out
}

func (s spec) close(a, b float64) bool {
	if s.whole {
		return a == b
	}
	return math.Abs(a-b) <= s.tolerance*math.Max(a, b)
}

func (s spec) text(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func (s spec) say(v float64) string { return s.text(v) + " " + s.unit }

func (s spec) value(sp lab.Specs) labedit.Value {
	v := s.get(sp)
	if s.whole || v == math.Trunc(v) {
		return labedit.Int(int(v))
	}
	return labedit.Num(v)
}
