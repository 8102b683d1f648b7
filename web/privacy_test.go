package web

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/search"
	"github.com/labfront/labfront/internal/snapshot"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
)

// privateLab is added to the example lab: a private node and a child of
// it with every key filled, services attached to them in each way
// lab.yaml allows, links and a swarm agent on them. None of its names,
// ids or texts may reach a public output.
const privateLab = `
nodes:
  - id: hidden-box
    name: Hidden Box Realname
    alias: Hidden Alias Shown Nowhere
    type: nas
    site: jove
    public: false
    description: zqx-private-marker text of the private node
    networks: [jove-servers]
    specs: {cores: 2, memory_gb: 4, storage_tb: 1, cpu: "zqx-private-marker cpu", os: "zqx-private-marker os"}
    services: [hidden-listed]
    live: {proxmox: "pve-io/lxc/999", prometheus: "10.99.0.9:9100", probe: "tcp://10.99.0.9:1", tailscale: hidden-box}
  - id: hidden-child
    name: Hidden Child Name
    type: container
    site: jove
    parent: hidden-box
    description: zqx-private-marker child
    services: [hidden-child-listed]
links:
  - {from: pve-io, to: hidden-box, type: lan, label: zqx-private-marker link, latency_ms: 1}
  - {from: hidden-child, to: pve-io, type: backup, label: zqx-private-marker backup}
services:
  - {id: hidden-named, name: Hidden Named Service, category: zqx-private-marker category, description: zqx-private-marker, tech: zqx-private-marker, node: hidden-box, url: "https://zqx-private-marker.example/"}
  - {id: hidden-listed, name: Hidden Listed Service, category: zqx-private-marker category, description: zqx-private-marker, tech: zqx-private-marker}
  - {id: hidden-child-listed, name: Hidden Child Service, category: zqx-private-marker category, description: zqx-private-marker, tech: zqx-private-marker}
  - {id: hidden-off, name: Hidden Off Service, category: zqx-private-marker category, description: zqx-private-marker, tech: zqx-private-marker, node: pve-io, public: false}
swarm:
  agents:
    - {id: hidden-agent, name: zqx-private-marker agent, role: zqx-private-marker, cores: 3, memory_gb: 1, host: hidden-child}
`

// privateSecrets are what privateLab hides; the example's own private
// node and real names behind aliases are added from the file.
var privateSecrets = []string{
	"hidden-box", "Hidden Box Realname", "Hidden Alias Shown Nowhere", "hidden-child", "Hidden Child Name",
	"zqx-private-marker", "10.99.0.9", "hidden-named", "Hidden Named Service", "hidden-listed", "Hidden Listed Service",
	"hidden-child-listed", "Hidden Child Service", "hidden-off", "Hidden Off Service", "hidden-agent",
}

// freshItems are minimal valid items of each kind, for PlantLab to plant
// a field into without disturbing what the example already holds.
var freshItems = map[string]string{
	"site":     "{id: plant-site, name: Plant Site}",
	"network":  "{id: plant-net, name: Plant Net}",
	"node":     "{id: plant-node, name: Plant Node, type: cloud}",
	"specs":    "{cores: 1}",
	"live":     "{}",
	"link":     "{from: pve-io, to: mon-io, type: lan}",
	"service":  "{id: plant-svc, name: Plant Service, category: Plant, description: Plant, tech: Plant}",
	"swarm":    "{name: Plant Swarm, agents: []}",
	"agent":    "{id: plant-agent, name: Plant Agent, role: Plant, cores: 1, memory_gb: 1, host: pve-io}",
	"flow":     "{name: Plant Flow, steps: [{name: Plant Step}]}",
	"step":     "{name: Plant Step}",
	"decision": "{title: Plant, body: Plant}",
}

// TestPrivacySweep builds the example site with privateLab added, then
// once for every string field of the lab model (found by reflection, so a
// new field is covered without being listed here) with a private id, a
// private name and a real name behind an alias planted in a fresh public
// item. Each plant must either be refused by check and build with the
// planted field's path:line, or leave every file of dist/ — pages, feeds,
// sitemap, topology.json, snapshot.json — without any private name.
func TestPrivacySweep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example site once per lab field")
	}
	example, err := os.ReadFile("../content/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base, err := MergeLab(example, []byte(privateLab))
	if err != nil {
		t.Fatal(err)
	}
	exampleLab, err := lab.Parse(example, "content/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	secrets := slices.Clone(privateSecrets)
	for _, n := range exampleLab.Nodes {
		switch {
		case !n.Public:
			secrets = append(secrets, n.ID, n.Name)
		case n.Alias != "":
			secrets = append(secrets, n.Name)
		}
	}
	if len(secrets) < len(privateSecrets)+3 {
		t.Fatalf("the example lab should have a private node and an alias; secrets %q", secrets)
	}
	src := t.TempDir()
	if err := os.CopyFS(filepath.Join(src, "content"), os.DirFS("../content")); err != nil {
		t.Fatal(err)
	}
	labPath := filepath.Join(src, "content", "lab.yaml")
	cache := NewCache()
	opts := func(out string) Options {
		return Options{Src: src, Out: out, Cache: cache, Static: static.FS(), Islands: Islands(), CheckLab: live.Builtin().CheckLab}
	}
	sweep := func(t *testing.T, out string) {
		t.Helper()
		tree := sitetest.Tree(t, out)
		for _, p := range []string{"index.html", "architecture/index.html", "status/index.html", "topology.json", "snapshot.json", "feed.xml", "feed.json", "sitemap.xml", "search/meta.json"} {
			if _, ok := tree[p]; !ok {
				t.Errorf("no %s in the build: the sweep would miss it", p)
			}
		}
		if found := sitetest.Reveals(tree, secrets...); len(found) > 0 {
			t.Errorf("private names in dist/: %q", found)
		}
		if found := searchLeaks(tree, secrets); len(found) > 0 {
			t.Errorf("the search index holds terms of private names: %q", found)
		}
	}

	t.Run("private lab", func(t *testing.T) {
		if err := os.WriteFile(labPath, base, 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "dist")
		if _, err := Build(context.Background(), opts(out)); err != nil {
			t.Fatal(err)
		}
		sweep(t, out)
	})

	// The status history of the admin's snapshot names hidden systems
	// everywhere it can: bars, an incident they caused and one they only
	// joined, an incident of hidden systems alone, and maintenance.
	t.Run("private lab with history", func(t *testing.T) {
		if err := os.WriteFile(labPath, base, 0o644); err != nil {
			t.Fatal(err)
		}
		snap := filepath.Join(t.TempDir(), "snapshot.json")
		if err := os.WriteFile(snap, historySnapshot(t), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "dist")
		o := opts(out)
		o.Snapshot = snap
		if _, err := Build(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		sweep(t, out)
		page := sitetest.Tree(t, out)["status/index.html"]
		for _, want := range []string{"an internal system", "pve-io, last 90 days", "kernel upgrade"} {
			if !strings.Contains(page, want) {
				t.Errorf("/status/ lacks %q: the sweep saw no history", want)
			}
		}
	})

	fields := LabFields()
	if len(fields) < 40 {
		t.Fatalf("only %d lab fields found by reflection", len(fields))
	}
	planted := []string{"hidden-box", "beside Hidden Box Realname here", "lindqvist-family-nas"}
	for _, f := range fields {
		if !slices.Contains(lab.Keys[f.Kind], f.Key) && (f.Kind != "live" || !slices.Contains(live.Builtin().LiveKeys(), f.Key)) {
			t.Errorf("lab field %s has no lab.yaml key %q in lab.Keys[%q]: the sweep cannot plant it", f, f.Key, f.Kind)
			continue
		}
		for _, value := range planted {
			t.Run(f.String()+"="+value, func(t *testing.T) {
				p, err := PlantLab(base, f, value, freshItems)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(labPath, p.YAML, 0o644); err != nil {
					t.Fatal(err)
				}
				out := filepath.Join(t.TempDir(), "dist")
				checkErr := checkOnly(opts(out))
				_, buildErr := Build(context.Background(), opts(out))
				if checkErr == nil {
					if buildErr != nil {
						t.Fatalf("check passed, build failed: %v", buildErr)
					}
					sweep(t, out)
					return
				}
				for what, err := range map[string]error{"check": checkErr, "build": buildErr} {
					probs, ok := diag.As(err)
					if !ok {
						t.Fatalf("%s: not an input error: %v", what, err)
					}
					if !slices.ContainsFunc(probs, func(pr diag.Problem) bool {
						return strings.HasSuffix(pr.Path, "content/lab.yaml") && pr.Line == p.Line && strings.HasPrefix(pr.Field, p.Field)
					}) {
						t.Errorf("%s refused the plant but not at content/lab.yaml:%d: %s:\n%v", what, p.Line, p.Field, err)
					}
				}
			})
		}
	}
}

// historySnapshot is an admin snapshot whose history involves the
// private nodes of privateLab.
func historySnapshot(t *testing.T) []byte {
	t.Helper()
	at := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	day := snapshot.Day{Date: "2026-12-03", Status: "partial", Up: 3600, Down: 600}
	nh := snapshot.NodeHistory{Windows: []snapshot.Window{{Name: "24h"}}, Days: []snapshot.Day{day}}
	s := &snapshot.Snapshot{Version: snapshot.Version, GeneratedAt: at.Add(time.Hour),
		Nodes: map[string]snapshot.NodeStatus{"pve-io": {Status: "up"}, "hidden-box": {Status: "down", Detail: "zqx-private-marker"}},
		History: &snapshot.History{Days: 90,
			Nodes: map[string]snapshot.NodeHistory{"pve-io": nh, "hidden-box": nh, "hidden-child": nh},
			Incidents: []snapshot.Incident{
				{ID: "2026-12-03-hidden-box", PublicID: "2026-12-03-internal", Title: "hidden-box is down (2 more affected)", Status: "resolved",
					Cause: "hidden-box", Systems: []string{"hidden-box", "hidden-child", "pve-io"}, Summary: "Hidden Box Realname is down.",
					Started: at, Resolved: at.Add(10 * time.Minute), Updates: []snapshot.Update{{At: at.Add(10 * time.Minute), Status: "resolved", Text: "hidden-box is up again."}}},
				{ID: "2026-12-03-hidden-child", PublicID: "2026-12-03-internal-2", Title: "Hidden Child Name is down", Status: "investigating",
					Cause: "hidden-child", Systems: []string{"hidden-child"}, Summary: "hidden-child is down.", Started: at},
			},
			Maintenance: []snapshot.Maintenance{
				{Systems: []string{"hidden-box", "pve-io"}, From: at.Add(48 * time.Hour), To: at.Add(50 * time.Hour), Reason: "kernel upgrade"},
				{Systems: []string{"hidden-child"}, From: at.Add(48 * time.Hour), To: at.Add(50 * time.Hour), Reason: "zqx-private-marker"},
			}}}
	data, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// searchLeaks returns the terms of the search index (search/t/*.json)
// that are stems of a word of a secret and of no word the public pages
// show. The index holds stems, not the text, so a leaked "Realname" is
// "realnam" there and the plain sweep cannot see it.
func searchLeaks(tree map[string]string, secrets []string) []string {
	public := map[string]bool{}
	secret := map[string]bool{}
	for p, body := range tree {
		if strings.HasPrefix(p, "search/") && p != "search/index.html" {
			continue
		}
		for _, w := range search.Words(body) {
			public[search.Stem(w)] = true
		}
	}
	for _, s := range secrets {
		for _, w := range search.Words(s) {
			if st := search.Stem(w); !public[st] {
				secret[st] = true
			}
		}
	}
	var found []string
	for p, body := range tree {
		if !strings.HasPrefix(p, "search/t/") {
			continue
		}
		var shard map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &shard); err != nil {
			return []string{p + ": " + err.Error()}
		}
		for term := range shard {
			if secret[term] {
				found = append(found, p+": "+term)
			}
		}
	}
	slices.Sort(found)
	return found
}
