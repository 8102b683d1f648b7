package web

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/sitefs"
	"github.com/labfront/labfront/internal/snapshot"
	"github.com/labfront/labfront/internal/topology"
	"github.com/labfront/labfront/templates"
)

// labSection is the public lab, drawn once per build and shared by the
// architecture page, the home summary, topology.json and snapshot.json.
type labSection struct {
	pub     *lab.Lab
	snap    *snapshot.Snapshot // public ids; nil without --snapshot
	drawing *topology.Drawing
}

// loadLab reads content/lab.yaml (optional) and the snapshot (optional).
// lab.yaml comes from the site, through sitefs; the snapshot is the
// operator's own file, named on the command line.
func loadLab(opts Options, files *sitefs.Site) (*labSection, error) {
	const name = "content/lab.yaml"
	display := files.Display(name)
	data, err := files.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var snapData []byte
	if opts.Snapshot != "" {
		if snapData, err = os.ReadFile(opts.Snapshot); err != nil {
			return nil, err
		}
	}
	key := labKey(data, snapData)
	if ls := opts.Cache.lab(key); ls != nil {
		return ls, nil
	}
	l, err := lab.Parse(data, display)
	if err != nil {
		return nil, err
	}
	if leaks := l.Leaks(display); len(leaks) > 0 {
		return nil, leaks.Err()
	}
	if opts.CheckLab != nil {
		if err := opts.CheckLab(l); err != nil {
			return nil, err
		}
	}
	var snap *snapshot.Snapshot
	if opts.Snapshot != "" {
		raw, err := snapshot.Parse(snapData, opts.Snapshot)
		if err != nil {
			return nil, err
		}
		snap = snapshot.Public(raw, l)
	}
	pub := l.Public()
	ls := &labSection{pub: pub, snap: snap, drawing: topology.Draw(pub)}
	opts.Cache.putLab(key, ls)
	return ls, nil
}

// heroStats are the numbers shown on the home page and the architecture
// page, as text in the HTML.
func (ls *labSection) heroStats() []templates.Stat {
	s := ls.pub.Stats()
	return []templates.Stat{
		{Value: strconv.Itoa(s.PhysicalCores), Label: "Physical cores"},
		{Value: strconv.Itoa(s.Systems), Label: "Systems"},
		{Value: s.StorageLabel(), Label: "Storage"},
		{Value: strconv.Itoa(s.Sites), Label: "Sites"},
		{Value: strconv.Itoa(s.VPNNodes), Label: "VPN nodes"},
		{Value: strconv.Itoa(s.Connections), Label: "Connections"},
	}
}

func (p *plan) addArchitecture() error {
	ls := p.lab
	if ls == nil {
		return nil
	}
	pub := ls.pub
	title := pub.Title
	if title == "" {
		title = "Architecture"
	}
	head := p.head("/architecture/", title, firstSentence(pub.Description))
	img, err := p.addTopologyCard(title)
	if err != nil {
		return err
	}
	head.Image = img
	for _, css := range []string{"architecture.css", "topology.css"} {
		if u := p.assets.url(css); u != "" {
			head.PageStylesheets = append(head.PageStylesheets, u)
		}
	}
	v := templates.ArchitectureView{
		Head:    head,
		Title:   title,
		Intro:   pub.Description,
		Stats:   ls.heroStats(),
		Graph:   TopologyGraph(ls.drawing, pub, ls.snap),
		Narrow:  NarrowGraph(ls.drawing, pub, ls.snap),
		Script:  p.assets.url("topology.js"),
		DataURL: "/topology.json",
	}
	siteNames := map[string]string{}
	for _, s := range pub.Sites {
		siteNames[s.ID] = s.Name
		sv := templates.SiteView{ID: s.ID, Name: s.Name, Role: s.Role}
		for _, n := range s.Networks {
			sv.Networks = append(sv.Networks, templates.NetworkView{ID: n.ID, Name: n.Name, CIDR: n.CIDR})
		}
		v.Sites = append(v.Sites, sv)
	}
	v.NodeTypes, v.LinkTypes = Legend(pub)
	groupOf := map[string]int{}
	for i, s := range pub.Sites {
		groupOf[s.ID] = i
		v.NodeGroups = append(v.NodeGroups, templates.NodeGroup{ID: "site-" + s.ID, Title: s.Name, Role: s.Role})
	}
	groupOf[""] = len(v.NodeGroups)
	v.NodeGroups = append(v.NodeGroups, templates.NodeGroup{ID: "cloud", Title: "Cloud and edge"})
	nodeNames := map[string]string{}
	for _, n := range pub.Nodes {
		nodeNames[n.ID] = n.Name
	}
	for i, d := range NodeDetails(pub) {
		n := pub.Nodes[i]
		if ls.snap != nil {
			st := ls.snap.Status(n.ID)
			d.Status = st.Status
			if !st.CheckedAt.IsZero() {
				d.CheckedAt = st.CheckedAt.UTC().Format("2 Jan 2006 15:04 UTC")
			}
		}
		// Validation guarantees every site exists; siteless nodes are cloud.
		i := groupOf[n.Site]
		v.NodeGroups[i].Nodes = append(v.NodeGroups[i].Nodes, d)
	}
	v.NodeGroups = slices.DeleteFunc(v.NodeGroups, func(g templates.NodeGroup) bool { return len(g.Nodes) == 0 })
	for _, f := range pub.Flows {
		fv := templates.FlowView{Name: f.Name, Summary: f.Summary}
		for _, s := range f.Steps {
			fv.Steps = append(fv.Steps, templates.StepView{Name: s.Name, Detail: s.Detail, Latency: s.Latency})
		}
		v.Flows = append(v.Flows, fv)
	}
	for _, s := range pub.Services {
		i := slices.IndexFunc(v.ServiceGroups, func(g templates.ServiceGroup) bool { return g.Category == s.Category })
		if i < 0 {
			v.ServiceGroups = append(v.ServiceGroups, templates.ServiceGroup{Category: s.Category})
			i = len(v.ServiceGroups) - 1
		}
		v.ServiceGroups[i].Services = append(v.ServiceGroups[i].Services, templates.ServiceView{
			ID: s.ID, Name: s.Name, Description: s.Description, Tech: s.Tech, URL: s.URL, NodeID: s.Node, NodeName: nodeNames[s.Node],
		})
	}
	if sw := pub.Swarm; sw != nil && len(sw.Agents) > 0 {
		st := pub.Stats()
		sv := &templates.SwarmView{Name: sw.Name, Description: sw.Description, Stats: []templates.Stat{
			{Value: strconv.Itoa(st.SwarmCores), Label: "Allocated cores"},
			{Value: strconv.Itoa(st.SwarmAgents), Label: "Build agents"},
			{Value: strconv.Itoa(st.SwarmSites), Label: "Network sites"},
		}}
		for _, a := range sw.Agents {
			sv.Agents = append(sv.Agents, templates.AgentView{
				Name: a.Name, Role: a.Role, Cores: strconv.Itoa(a.Cores), Memory: trimFloat(a.MemoryGB) + " GB",
				HostID: a.Host, HostName: nodeNames[a.Host], Site: siteNames[pub.SiteOf(a.Host)],
			})
		}
		v.Swarm = sv
	}
	for _, d := range pub.Decisions {
		v.Decisions = append(v.Decisions, templates.DecisionView{Title: d.Title, Body: d.Body, Tradeoffs: d.Tradeoffs})
	}
	p.addHTML("/architecture/", templates.Architecture(v))
	p.outputs = append(p.outputs,
		output{path: "topology.json", render: func(context.Context) ([]byte, error) { return ls.drawing.JSON(pub, ls.snap) }},
		output{path: "snapshot.json", render: func(context.Context) ([]byte, error) {
			snap := ls.snap
			if snap == nil {
				snap = snapshot.Public(nil, pub)
			}
			return snap.Marshal()
		}},
	)
	return nil
}

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// firstSentence makes a meta description from a paragraph.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}

// labSummary is the home page's slot for the lab.
func (p *plan) labSummary() *templates.LabSummary {
	if p.lab == nil {
		return nil
	}
	return &templates.LabSummary{Stats: p.lab.heroStats(), URL: "/architecture/"}
}
