package adminconfig

import (
	"os"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/history"
	"github.com/labfront/labfront/internal/incident"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/maintenance"
	"github.com/labfront/labfront/internal/notify"
	"github.com/labfront/labfront/internal/yamldoc"
)

// statusKeys are the admin config's top-level keys this file reads.
func statusKeys() []string { return []string{"history", "incidents", "notify", "maintenance"} }

// parseStatus is the section of the status keys.
func parseStatus(r reader, cfg *Config) { cfg.Status = parseStatusConfig(r.doc, r.f, r.getenv) }

// StatusConfig is the admin config's history:, incidents:, notify: and
// maintenance: keys: what the server records, when it opens incidents,
// whom it tells, and the declared maintenance windows. Each key is parsed
// by its own package; this only holds them together.
//
// The zero value, in a config not read from a file, records nothing: a
// Config built in code (tests, `labfront serve`) does not get a history
// database or incident files unless it asks.
type StatusConfig struct {
	On          bool
	History     history.Config
	Incidents   incident.Config
	Notify      []notify.Config
	Maintenance maintenance.Windows

	// What Parse read, kept so New can check the system ids
	// against lab.yaml (which Parse does not read) with the config
	// file's lines.
	path  string
	nodes map[string]*yaml.Node
	env   notify.Env
}

// parseStatusConfig reads the status keys of the admin config's root
// mapping. Ids of lab nodes are not checked here (CheckLab does that
// once the lab is loaded); everything else is, at its line.
func parseStatusConfig(doc *yamldoc.Doc, f yamldoc.Fields, getenv func(string) string) StatusConfig {
	sc := StatusConfig{On: true, path: doc.Path, nodes: map[string]*yaml.Node{}, env: notify.Env{Getenv: getenv, ReadFile: os.ReadFile}}
	for _, k := range statusKeys() {
		// An empty key (history: with nothing after it) is the defaults.
		if n := f.Node(k); n != nil && n.Tag != "!!null" {
			sc.nodes[k] = n
		}
	}
	sc.read(doc, nil)
	return sc
}

// read parses the kept nodes into sc; known checks lab ids (nil: any).
func (sc *StatusConfig) read(doc *yamldoc.Doc, known func(string) bool) {
	sc.History = history.ParseConfig(doc, sc.nodes["history"])
	sc.Incidents = incident.ParseConfig(doc, sc.nodes["incidents"], known)
	sc.Notify = notify.Builtin().Parse(doc, list(doc, sc.nodes["notify"], "notify"), sc.env, known)
	sc.Maintenance = maintenance.Parse(doc, list(doc, sc.nodes["maintenance"], "maintenance"), known, sc.History.Location)
}

// CheckLab reads the status keys again, now knowing the lab's node ids,
// and reports every id lab.yaml does not have as file:line: field.
func (sc *StatusConfig) CheckLab(l *lab.Lab) error {
	if !sc.On || sc.nodes == nil {
		return nil
	}
	var probs diag.List
	doc := &yamldoc.Doc{Path: sc.path, Problems: &probs}
	sc.read(doc, func(id string) bool { return l.Node(id) != nil })
	return probs.Err()
}

// list is a sequence node's items; anything else is reported.
func list(doc *yamldoc.Doc, n *yaml.Node, field string) []*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		doc.Errorf(n, field, "expected a list of mappings")
		return nil
	}
	return n.Content
}
