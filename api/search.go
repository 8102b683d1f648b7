package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/search"
	"github.com/labfront/labfront/templates"
)

// The admin server's search is the static site's index format and ranking
// (package search) over what the admin shows: its pages, and every node of
// the lab — private ones and real names included, since every admin route
// needs an identity — with each node's live status, plus the services,
// flows and decisions. The index lives in memory only: it is never
// written where the public site could pick it up. It is built when the
// server starts and again by the first search after the live data
// changed (the store's version moved), so a node that went down is found
// by "down" at once.

// adminSearch holds the current index and the store version it shows.
type adminSearch struct {
	mu      sync.Mutex
	version uint64
	built   bool
	reader  *search.Reader
}

// adminPages are the admin's own pages, found by what they are for.
var adminPages = []search.Document{
	{URL: "/admin/", Title: "Dashboard", Body: "Overview of the lab: every site and node with its live status, CPU, memory and disk, sources and their freshness."},
	{URL: "/admin/nodes", Title: "Nodes", Body: "Every node of the lab in one table, private nodes included, with status, type, site and live metrics."},
	{URL: "/admin/topology", Title: "Topology", Body: "The topology graph of the whole lab with live status: nodes, links, tunnels and networks."},
	{URL: "/admin/content", Title: "Content", Body: "The Substack inbox: imported articles, their analysis against the lab, and promotion into technical notes."},
	{URL: "/admin/deploys", Title: "Deploys", Body: "Deploy runs from git pushes, their logs, Cloudflare Pages deployments, rollback, deploy now and cache purge."},
	{URL: "/admin/audit", Title: "Audit log", Body: "Every admin action: who did what to which target, when, and the result."},
}

// searchReader returns the index of the store's current version, building
// it first when the live data changed since the last build.
func (s *Server) searchReader() (*search.Reader, error) {
	a := &s.search
	a.mu.Lock()
	defer a.mu.Unlock()
	v := s.store.Version()
	if a.built && a.version == v {
		return a.reader, nil
	}
	entries := make([]search.Entry, 0, len(adminPages)+len(s.lab.Nodes)+len(s.lab.Services))
	for _, d := range s.searchDocuments() {
		entries = append(entries, search.Analyze(d))
	}
	files, err := search.Build(entries)
	if err != nil {
		return nil, fmt.Errorf("admin search index: %w", err)
	}
	r, err := search.Open(func(name string) ([]byte, error) {
		b, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("admin search index: no file %s", name)
		}
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	a.reader, a.version, a.built = r, v, true
	return r, nil
}

// searchDocuments is what the admin index holds: the full lab, not the
// public view of it.
func (s *Server) searchDocuments() []search.Document {
	docs := make([]search.Document, 0, len(adminPages)+len(s.lab.Nodes)+len(s.lab.Services))
	for _, d := range adminPages {
		d.Kind = "page"
		docs = append(docs, d)
	}
	views := live.Nodes(s.lab, s.store.Sources())
	for i := range s.lab.Nodes {
		n := &s.lab.Nodes[i]
		nv := views[n.ID]
		d := s.detail(n, nv)
		parts := []string{"Status: " + nv.Status, d.TypeLabel, d.SiteName}
		if n.Alias != "" {
			parts = append(parts, "Shown publicly as "+n.Alias)
		}
		if !n.Public {
			parts = append(parts, "Private node")
		}
		if d.ParentName != "" {
			parts = append(parts, "Runs on "+d.ParentName)
		}
		parts = append(parts, d.Description)
		for _, st := range d.Specs {
			parts = append(parts, st.Value+" "+st.Label)
		}
		parts = append(parts, d.Networks...)
		if len(d.Services) > 0 {
			parts = append(parts, "Services: "+strings.Join(d.Services, ", "))
		}
		for _, c := range d.Connections {
			parts = append(parts, c.Type+" "+c.NodeName+" "+c.Label)
		}
		for _, r := range nv.Reports {
			parts = append(parts, r.Source+": "+r.Status+" "+r.Detail)
		}
		docs = append(docs, search.Document{URL: "/admin/nodes/" + n.ID, Title: n.Name, Kind: "node", Body: joinParts(parts)})
	}
	for _, sv := range s.lab.Services {
		url := "/admin/topology"
		host := ""
		if n := s.lab.Node(sv.Node); n != nil {
			url, host = "/admin/nodes/"+n.ID, "Runs on "+n.Name
		}
		docs = append(docs, search.Document{URL: url, Title: sv.Name, Kind: "lab", Body: joinParts([]string{sv.Category, sv.Description, sv.Tech, host, sv.URL})})
	}
	for _, f := range s.lab.Flows {
		parts := []string{f.Summary}
		for _, st := range f.Steps {
			parts = append(parts, st.Name+" "+st.Detail)
		}
		docs = append(docs, search.Document{URL: "/admin/topology", Title: f.Name, Kind: "lab", Body: joinParts(parts)})
	}
	for _, d := range s.lab.Decisions {
		docs = append(docs, search.Document{URL: "/admin/topology", Title: d.Title, Kind: "lab", Body: joinParts([]string{d.Body, d.Tradeoffs})})
	}
	return docs
}

// joinParts joins the non-empty parts as sentences.
func joinParts(parts []string) string {
	var b strings.Builder
	for _, p := range parts {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(". ")
		}
		b.WriteString(p)
	}
	return b.String()
}

// adminKinds are the kind filter's choices.
var adminKinds = []templates.SearchOption{
	{Value: "", Label: "Everything"}, {Value: "node", Label: "Nodes"}, {Value: "page", Label: "Admin pages"}, {Value: "lab", Label: "Services, flows and decisions"},
}

var adminKindLabels = map[string]string{"node": "Node", "page": "Admin page", "lab": "Lab"}

// searchPage is /admin/search?q=…&kind=…: the results rendered on the
// server, so the page needs no JavaScript.
func (s *Server) searchPage(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	kind := c.QueryParam("kind")
	if _, ok := adminKindLabels[kind]; !ok {
		kind = ""
	}
	v := templates.AdminSearchView{Head: s.head(c, "Search", "/admin/search"), Query: q, Kind: kind, Kinds: adminKinds}
	if u := s.assets.URL("search.css"); u != "" {
		v.Head.Stylesheets = append(v.Head.Stylesheets, u)
	}
	if len(search.Words(q)) == 0 {
		if q != "" {
			v.Status = "Type a longer word: one-letter words and words such as “the” are not searched."
		}
		return render(c, http.StatusOK, templates.AdminSearch(v))
	}
	r, err := s.searchReader()
	if err != nil {
		return err
	}
	res, err := r.Search(search.Query{Text: q, Kind: kind, Limit: 50})
	if err != nil {
		return fmt.Errorf("admin search: %w", err)
	}
	views := live.Nodes(s.lab, s.store.Sources())
	for _, h := range res.Hits {
		meta := adminKindLabels[h.Kind]
		if h.Kind == "node" {
			if nv, ok := views[strings.TrimPrefix(h.URL, "/admin/nodes/")]; ok {
				meta += " · " + nv.Status
			}
		}
		v.Hits = append(v.Hits, templates.AdminSearchHit{
			URL: h.URL, Title: textParts(search.Highlight(h.Title, res.Terms)), Meta: meta,
			Excerpt: textParts(search.Highlight(search.Centre(h.Excerpt, res.Terms), res.Terms)),
		})
	}
	v.Status = resultCount(res.Total, len(res.Hits), q)
	return render(c, http.StatusOK, templates.AdminSearch(v))
}

func textParts(segs []search.Segment) []templates.TextPart {
	out := make([]templates.TextPart, len(segs))
	for i, sg := range segs {
		out[i] = templates.TextPart{Text: sg.Text, Mark: sg.Match}
	}
	return out
}

// resultCount is the status line, worded as the island words it.
func resultCount(total, shown int, q string) string {
	var s string
	switch total {
	case 0:
		s = "No results"
	case 1:
		s = "1 result"
	default:
		s = strconv.Itoa(total) + " results"
	}
	s += " for “" + q + "”"
	if total > shown {
		s += ", showing the first " + strconv.Itoa(shown)
	}
	return s + "."
}
