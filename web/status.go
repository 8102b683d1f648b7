package web

import (
	"slices"

	"github.com/labfront/labfront/internal/snapshot"
	"github.com/labfront/labfront/internal/topology"
	"github.com/labfront/labfront/templates"
)

// statusAPI is where the status island and the topology island ask for
// the current status: the edge worker answers it, live or from a snapshot.
const statusAPI = "/api/v1/status"

// addStatus plans /status/, the public status page, rendered from the
// snapshot baked into the build (all unknown without --snapshot). Like the
// architecture page it exists only for a site with a lab.
func (p *plan) addStatus() {
	ls := p.lab
	if ls == nil {
		return
	}
	pub := ls.pub
	head := p.head("/status/", "Status", "The last known state of every public system of the lab, refreshed live from the edge.")
	if u := p.assets.url("status.css"); u != "" {
		head.PageStylesheets = append(head.PageStylesheets, u)
	}
	v := templates.StatusView{
		Head:       head,
		Title:      "Lab status",
		Intro:      "Every public system of the lab and how it was doing when last checked. The edge keeps answering from a snapshot when the lab itself is out of reach.",
		Script:     p.assets.url("status.js"),
		DataURL:    statusAPI,
		DetailsURL: "/architecture/#node-",
	}
	if ls.snap != nil && !ls.snap.GeneratedAt.IsZero() {
		v.AsOf = ls.snap.GeneratedAt.UTC().Format("2 Jan 2006 15:04 UTC")
		v.AsOfISO = ls.snap.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	groupOf := map[string]int{}
	for i, s := range pub.Sites {
		groupOf[s.ID] = i
		v.Groups = append(v.Groups, templates.StatusGroup{ID: s.ID, Title: s.Name, Role: s.Role})
	}
	groupOf[""] = len(v.Groups)
	v.Groups = append(v.Groups, templates.StatusGroup{ID: "cloud", Title: "Cloud and edge"})
	var hist *snapshot.History
	if ls.snap != nil {
		hist = ls.snap.History
	}
	counts := map[string]int{}
	for _, n := range pub.Nodes {
		st := ls.snap.Status(n.ID) // Unknown for every node without a snapshot
		sn := templates.StatusNode{ID: n.ID, Name: n.Name, TypeLabel: topology.TypeLabels[n.Type], Status: st.Status}
		if hist != nil {
			sn.Windows, sn.Bars = nodeHistory(n.Name, hist.Nodes[n.ID], hist.Days)
		}
		if !st.CheckedAt.IsZero() {
			sn.CheckedAt = st.CheckedAt.UTC().Format("2 Jan 2006 15:04 UTC")
			sn.CheckedAtISO = st.CheckedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		counts[st.Status]++
		// Validation guarantees every site exists; siteless nodes are cloud.
		g := &v.Groups[groupOf[n.Site]]
		g.Nodes = append(g.Nodes, sn)
	}
	v.Groups = slices.DeleteFunc(v.Groups, func(g templates.StatusGroup) bool { return len(g.Nodes) == 0 })
	for _, c := range []struct{ status, label string }{{snapshot.Up, "Up"}, {snapshot.Down, "Down"}, {snapshot.Unknown, "Unknown"}} {
		v.Counts = append(v.Counts, templates.StatusCount{Status: c.status, Label: c.label, Count: counts[c.status]})
	}
	if hist != nil {
		addStatusHistory(&v, hist, pub.Nodes)
	}
	p.addHTML("/status/", templates.Status(v))
}
