package lab

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/sitefs"
	"github.com/labfront/labfront/internal/siteurl"
	"github.com/labfront/labfront/internal/yamldoc"
)

var validID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Keys lists the keys each kind of mapping in lab.yaml may have. The JSON
// Schema in content/lab.schema.json must say the same; a test checks it.
var Keys = map[string][]string{
	"lab":      {"title", "description", "sites", "nodes", "links", "services", "swarm", "flows", "decisions"},
	"site":     {"id", "name", "role", "description", "networks"},
	"network":  {"id", "name", "cidr"},
	"node":     {"id", "name", "type", "site", "parent", "alias", "public", "description", "networks", "specs", "services", "live"},
	"specs":    {"cores", "memory_gb", "storage_tb", "cpu", "os"},
	"link":     {"from", "to", "type", "label", "latency_ms"},
	"service":  {"id", "name", "category", "description", "tech", "node", "url", "public"},
	"swarm":    {"name", "description", "agents"},
	"agent":    {"id", "name", "role", "cores", "memory_gb", "host"},
	"flow":     {"name", "summary", "steps"},
	"step":     {"name", "detail", "latency"},
	"decision": {"title", "body", "tradeoffs"},
}

// Load reads a lab.yaml. A missing file is (nil, nil): a site need not
// describe a lab. Problems come back as a diag.List naming display.
func Load(path, display string) (*Lab, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return Parse(data, display)
}

// LoadSite reads content/lab.yaml of a site checkout through package
// sitefs: a lab.yaml that is a symlink out of the site is refused, not
// read. A missing file is (nil, nil), as for Load.
func LoadSite(files *sitefs.Site) (*Lab, error) {
	const name = "content/lab.yaml"
	data, err := files.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return Parse(data, files.Display(name))
}

// LoadDir is LoadSite for a site checkout given by its folder, for the
// commands that read one lab and nothing else of the site (import,
// promote): the same symlink and special-file rules as the build.
func LoadDir(src string) (*Lab, error) {
	files, err := sitefs.Open(src)
	if err != nil {
		return nil, err
	}
	l, err := LoadSite(files)
	if cerr := files.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return l, err
}

// Parse reads lab.yaml content.
func Parse(data []byte, display string) (*Lab, error) {
	var probs diag.List
	doc := &yamldoc.Doc{Path: display, Problems: &probs}
	root := doc.Parse(data)
	if root == nil {
		return nil, probs.Err()
	}
	r := reader{doc: doc}
	l := r.read(root)
	r.validate(l)
	l.sources = indexSources(root)
	l.file = display
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return l, nil
}

// reader keeps the line of every id it reads so validation can point at
// the reference that is wrong.
type reader struct {
	doc *yamldoc.Doc
	// where each reference and each id was written, for messages
	refs  []ref
	decls []ref
}

type ref struct {
	kind  string // what the id must name: node, site, network, service
	id    string
	line  int
	field string
}

func (r *reader) refer(kind, id string, f yamldoc.Fields, key, field string) {
	if id != "" {
		r.refs = append(r.refs, ref{kind: kind, id: id, line: f.Line(key), field: field})
	}
}

// id reads and declares the id of an item of kind.
func (r *reader) id(kind string, f yamldoc.Fields, field string) string {
	id := f.String("id")
	if id != "" {
		r.decls = append(r.decls, ref{kind: kind, id: id, line: f.Line("id"), field: field + ".id"})
	}
	if id != "" && !validID.MatchString(id) {
		r.doc.Errorf(f.Node("id"), field+".id", "%q is not a valid id: use lower-case letters, digits and '-'", id)
	}
	return id
}

func (r *reader) read(root *yaml.Node) *Lab {
	d := r.doc
	top := d.Map(root, "", Keys["lab"]...)
	top.Require("sites", "nodes", "links")
	l := &Lab{Title: top.String("title"), Description: top.String("description")}
	for i, n := range top.List("sites") {
		name := fmt.Sprintf("sites[%d]", i)
		f := d.Map(n, name, Keys["site"]...)
		f.Require("id", "name")
		s := Site{ID: r.id("site", f, name), Name: f.String("name"), Role: f.String("role"), Description: f.String("description"), Line: d.Line(n)}
		for j, nn := range f.List("networks") {
			nname := fmt.Sprintf("%s.networks[%d]", name, j)
			nf := d.Map(nn, nname, Keys["network"]...)
			nf.Require("id", "name")
			s.Networks = append(s.Networks, Network{ID: r.id("network", nf, nname), Name: nf.String("name"), CIDR: nf.String("cidr"), Line: d.Line(nn)})
		}
		l.Sites = append(l.Sites, s)
	}
	for i, n := range top.List("nodes") {
		name := fmt.Sprintf("nodes[%d]", i)
		f := d.Map(n, name, Keys["node"]...)
		f.Require("id", "name", "type")
		node := Node{
			ID: r.id("node", f, name), Name: f.String("name"), Type: f.String("type"), Site: f.String("site"),
			Parent: f.String("parent"), Alias: f.String("alias"), Description: f.String("description"),
			Public: true, Networks: f.Strings("networks"), Services: f.Strings("services"), Line: d.Line(n),
		}
		if f.Has("public") {
			node.Public = f.Bool("public")
		}
		if node.Type != "" && !slices.Contains(NodeTypes, node.Type) {
			d.Errorf(f.Node("type"), name+".type", "unknown node type %q (one of: %s)", node.Type, strings.Join(NodeTypes, ", "))
		}
		if node.Site == "" && node.Type != "cloud" && node.Type != "" {
			d.Errorf(n, name+".site", "required for a %s node (only cloud nodes may have no site)", node.Type)
		}
		r.refer("site", node.Site, f, "site", name+".site")
		r.refer("node", node.Parent, f, "parent", name+".parent")
		for j, id := range node.Networks {
			r.refer("network", id, f, "networks", fmt.Sprintf("%s.networks[%d]", name, j))
		}
		for j, id := range node.Services {
			r.refer("service", id, f, "services", fmt.Sprintf("%s.services[%d]", name, j))
		}
		if f.Has("specs") {
			s := f.Sub("specs", Keys["specs"]...)
			node.Specs = Specs{Cores: s.Int("cores", 0), MemoryGB: s.Float("memory_gb", 0), StorageTB: s.Float("storage_tb", 0), CPU: s.String("cpu"), OS: s.String("os")}
			r.nonNegative(s, name+".specs", "cores", float64(node.Specs.Cores))
			r.nonNegative(s, name+".specs", "memory_gb", node.Specs.MemoryGB)
			r.nonNegative(s, name+".specs", "storage_tb", node.Specs.StorageTB)
		}
		if f.Has("live") {
			s := d.Open(f.Node("live"), name+".live")
			for _, k := range s.Keys() {
				if v := s.String(k); v != "" {
					if node.Live == nil {
						node.Live = Live{}
					}
					node.Live[k] = LiveRef{Value: v, Line: s.Line(k)}
				}
			}
		}
		l.Nodes = append(l.Nodes, node)
	}
	for i, n := range top.List("links") {
		name := fmt.Sprintf("links[%d]", i)
		f := d.Map(n, name, Keys["link"]...)
		f.Require("from", "to", "type")
		link := Link{From: f.String("from"), To: f.String("to"), Type: f.String("type"), Label: f.String("label"), LatencyMS: f.Float("latency_ms", 0), Line: d.Line(n)}
		if link.Type != "" && !slices.Contains(LinkTypes, link.Type) {
			d.Errorf(f.Node("type"), name+".type", "unknown link type %q (one of: %s)", link.Type, strings.Join(LinkTypes, ", "))
		}
		if link.From != "" && link.From == link.To {
			d.Errorf(f.Node("to"), name+".to", "a link cannot connect %q to itself", link.From)
		}
		r.nonNegative(f, name, "latency_ms", link.LatencyMS)
		r.refer("node", link.From, f, "from", name+".from")
		r.refer("node", link.To, f, "to", name+".to")
		l.Links = append(l.Links, link)
	}
	for i, n := range top.List("services") {
		name := fmt.Sprintf("services[%d]", i)
		f := d.Map(n, name, Keys["service"]...)
		f.Require("id", "name", "category", "description", "tech")
		s := Service{ID: r.id("service", f, name), Name: f.String("name"), Category: f.String("category"), Description: f.String("description"),
			Tech: f.String("tech"), Node: f.String("node"), URL: f.String("url"), Public: true, Line: d.Line(n)}
		if f.Has("public") {
			s.Public = f.Bool("public")
		}
		r.refer("node", s.Node, f, "node", name+".node")
		// A service's URL is public text that a page or the search index
		// may turn into a link: the same rules as site.yaml's links.
		if s.URL != "" {
			if err := siteurl.Check(s.URL, siteurl.Target); err != nil {
				d.Errorf(f.Node("url"), name+".url", "%v", err)
			}
		}
		l.Services = append(l.Services, s)
	}
	if top.Has("swarm") {
		f := top.Sub("swarm", Keys["swarm"]...)
		f.Require("name", "agents")
		sw := &Swarm{Name: f.String("name"), Description: f.String("description"), Line: d.Line(top.Node("swarm"))}
		for i, n := range f.List("agents") {
			name := fmt.Sprintf("swarm.agents[%d]", i)
			af := d.Map(n, name, Keys["agent"]...)
			af.Require("id", "name", "role", "cores", "memory_gb", "host")
			a := Agent{ID: r.id("agent", af, name), Name: af.String("name"), Role: af.String("role"), Cores: af.Int("cores", 0), MemoryGB: af.Float("memory_gb", 0), Host: af.String("host"), Line: d.Line(n)}
			r.nonNegative(af, name, "cores", float64(a.Cores))
			r.refer("node", a.Host, af, "host", name+".host")
			sw.Agents = append(sw.Agents, a)
		}
		l.Swarm = sw
	}
	for i, n := range top.List("flows") {
		name := fmt.Sprintf("flows[%d]", i)
		f := d.Map(n, name, Keys["flow"]...)
		f.Require("name", "steps")
		fl := Flow{Name: f.String("name"), Summary: f.String("summary"), Line: d.Line(n)}
		for j, sn := range f.List("steps") {
			sf := d.Map(sn, fmt.Sprintf("%s.steps[%d]", name, j), Keys["step"]...)
			sf.Require("name")
			fl.Steps = append(fl.Steps, Step{Name: sf.String("name"), Detail: sf.String("detail"), Latency: sf.String("latency"), Line: d.Line(sn)})
		}
		l.Flows = append(l.Flows, fl)
	}
	for i, n := range top.List("decisions") {
		f := d.Map(n, fmt.Sprintf("decisions[%d]", i), Keys["decision"]...)
		f.Require("title", "body")
		l.Decisions = append(l.Decisions, Decision{Title: f.String("title"), Body: f.String("body"), Tradeoffs: f.String("tradeoffs"), Line: d.Line(n)})
	}
	return l
}

func (r *reader) nonNegative(f yamldoc.Fields, prefix, key string, v float64) {
	if v < 0 {
		r.doc.Errorf(f.Node(key), prefix+"."+key, "must not be negative")
	}
}

// validate checks what needs the whole file: unique ids, references and
// parent cycles.
func (r *reader) validate(l *Lab) {
	ids := map[string]map[string]bool{"site": {}, "network": {}, "node": {}, "service": {}, "agent": {}}
	for _, d := range r.decls {
		if ids[d.kind][d.id] {
			r.doc.Problems.Add(r.doc.Path, d.line, d.field, "duplicate %s id %q", d.kind, d.id)
		}
		ids[d.kind][d.id] = true
	}
	for _, ref := range r.refs {
		if !ids[ref.kind][ref.id] {
			r.doc.Problems.Add(r.doc.Path, ref.line, ref.field, "unknown %s %q", ref.kind, ref.id)
		}
	}
	// A node is on a parent cycle when walking up its parents leads back
	// to it; the walk stops at a repeat so a cycle above it ends it too.
	for i, n := range l.Nodes {
		seen := map[string]bool{}
		for id := n.Parent; id != "" && !seen[id]; {
			if id == n.ID {
				r.doc.Problems.Add(r.doc.Path, n.Line, fmt.Sprintf("nodes[%d].parent", i), "parent cycle: %q is its own ancestor", n.ID)
				break
			}
			seen[id] = true
			p := l.Node(id)
			if p == nil {
				break
			}
			id = p.Parent
		}
	}
}
