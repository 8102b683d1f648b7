package lab

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/sitefs"
)

// base is a small valid lab; tests append to or edit it.
const base = `sites:
  - id: jove
    name: Jove
    networks: [{id: jove-lan, name: LAN, cidr: 10.10.0.0/24}]
  - id: kronos
    name: Kronos
    networks: [{id: kronos-lan, name: LAN}]
nodes:
  - {id: pve-io, name: pve-io, type: hypervisor, site: jove, specs: {cores: 32, memory_gb: 128, storage_tb: 4.5}}
  - {id: pve-titan, name: pve-titan, type: hypervisor, site: kronos, specs: {cores: 24, storage_tb: 2}}
  - {id: nas, name: tank, alias: Storage, type: nas, site: kronos, specs: {cores: 4, storage_tb: 40.9}}
  - {id: vault, name: secret-vault, type: vm, site: kronos, parent: pve-titan, public: false}
  - {id: ct-200, name: orch-io, type: orchestrator, site: jove, parent: pve-io, specs: {cores: 12}}
  - {id: cf, name: Cloudflare Edge, type: cloud}
links:
  - {from: pve-io, to: pve-titan, type: tailscale, latency_ms: 38}
  - {from: pve-titan, to: nas, type: backup}
  - {from: pve-titan, to: vault, type: lan}
  - {from: ct-200, to: cf, type: tunnel}
services:
  - {id: pve, name: Proxmox VE, category: Core, description: Hypervisor, tech: KVM, node: pve-io}
  - {id: vaultwarden, name: Vaultwarden, category: Core, description: Passwords, tech: Rust, node: vault}
swarm:
  name: Build Swarm
  agents:
    - {id: a1, name: orch-io, role: Orchestrator, cores: 12, memory_gb: 8, host: ct-200}
    - {id: a2, name: hidden, role: Drone, cores: 16, memory_gb: 8, host: vault}
`

func problems(t *testing.T, src string) []string {
	t.Helper()
	_, err := Parse([]byte(src), "lab.yaml")
	if err == nil {
		return nil
	}
	list, ok := diag.As(err)
	if !ok {
		t.Fatalf("not an input error: %v", err)
	}
	var out []string
	for _, p := range list {
		out = append(out, p.Error())
	}
	return out
}

func TestValidation(t *testing.T) {
	if got := problems(t, base); got != nil {
		t.Fatalf("base lab is invalid: %q", got)
	}
	for _, tc := range []struct {
		name, old, new string
		want           []string
	}{
		{"unknown link target", "{from: pve-titan, to: nas, type: backup}", "{from: pve-titan, to: nope, type: backup}",
			[]string{`lab.yaml:17: links[1].to: unknown node "nope"`}},
		{"unknown parent", "parent: pve-io, specs", "parent: pve-zz, specs",
			[]string{`lab.yaml:13: nodes[4].parent: unknown node "pve-zz"`}},
		{"unknown service node", "tech: KVM, node: pve-io}", "tech: KVM, node: ghost}",
			[]string{`lab.yaml:21: services[0].node: unknown node "ghost"`}},
		{"unknown swarm host", "memory_gb: 8, host: ct-200}", "memory_gb: 8, host: ct-999}",
			[]string{`lab.yaml:26: swarm.agents[0].host: unknown node "ct-999"`}},
		{"unknown site", "type: nas, site: kronos", "type: nas, site: mars",
			[]string{`lab.yaml:11: nodes[2].site: unknown site "mars"`}},
		{"duplicate node id", "{id: cf, name: Cloudflare Edge", "{id: nas, name: Cloudflare Edge",
			[]string{`lab.yaml:14: nodes[5].id: duplicate node id "nas"`, `lab.yaml:19: links[3].to: unknown node "cf"`}},
		{"duplicate network id", "networks: [{id: kronos-lan, name: LAN}]", "networks: [{id: jove-lan, name: LAN}]",
			[]string{`lab.yaml:7: sites[1].networks[0].id: duplicate network id "jove-lan"`}},
		{"unknown node type", "type: nas, site", "type: toaster, site",
			[]string{`lab.yaml:11: nodes[2].type: unknown node type "toaster" (one of: network, hypervisor, orchestrator, drone, gateway, workstation, nas, media, container, vm, cloud, vpn)`}},
		{"unknown link type", "type: tunnel}", "type: wormhole}",
			[]string{`lab.yaml:19: links[3].type: unknown link type "wormhole" (one of: lan, tailscale, tunnel, backup, service, dataflow, uplink)`}},
		{"non-cloud node without site", "{id: cf, name: Cloudflare Edge, type: cloud}", "{id: cf, name: Cloudflare Edge, type: vm}",
			[]string{`lab.yaml:14: nodes[5].site: required for a vm node (only cloud nodes may have no site)`}},
		{"parent cycle", "type: hypervisor, site: jove, specs: {cores: 32", "type: hypervisor, site: jove, parent: ct-200, specs: {cores: 32",
			[]string{
				`lab.yaml:9: nodes[0].parent: parent cycle: "pve-io" is its own ancestor`,
				`lab.yaml:13: nodes[4].parent: parent cycle: "ct-200" is its own ancestor`,
			}},
		{"unknown key", "  name: Build Swarm\n", "  name: Build Swarm\n  colour: red\n",
			[]string{`lab.yaml:25: swarm.colour: unknown key (allowed: name, description, agents)`}},
		{"missing required", "{id: pve, name: Proxmox VE, category: Core, description: Hypervisor, tech: KVM, node: pve-io}", "{id: pve, name: Proxmox VE, node: pve-io}",
			[]string{`lab.yaml:21: services[0].category: required`, `lab.yaml:21: services[0].description: required`, `lab.yaml:21: services[0].tech: required`}},
		{"bad id", "{id: ct-200, name", "{id: CT_200, name",
			[]string{`lab.yaml:13: nodes[4].id: "CT_200" is not a valid id: use lower-case letters, digits and '-'`, `lab.yaml:19: links[3].from: unknown node "ct-200"`, `lab.yaml:26: swarm.agents[0].host: unknown node "ct-200"`}},
		{"self link", "{from: ct-200, to: cf, type: tunnel}", "{from: cf, to: cf, type: tunnel}",
			[]string{`lab.yaml:19: links[3].to: a link cannot connect "cf" to itself`}},
		{"script service url", "tech: KVM, node: pve-io}", "tech: KVM, node: pve-io, url: 'javascript:alert(1)'}",
			[]string{`lab.yaml:21: services[0].url: the scheme javascript: can run code or load another document; use a path starting with / or an absolute http(s) URL, found "javascript:alert(1)"`}},
		{"service url with a line break", "tech: KVM, node: pve-io}", "tech: KVM, node: pve-io, url: \"https://pve.example/\\nx\"}",
			[]string{`lab.yaml:21: services[0].url: contains a line break (U+000A), found "https://pve.example/\nx"`}},
		{"negative cores", "specs: {cores: 12}", "specs: {cores: -12}",
			[]string{`lab.yaml:13: nodes[4].specs.cores: must not be negative`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(base, tc.old, tc.new, 1)
			if src == base {
				t.Fatalf("edit %q not found in base", tc.old)
			}
			got := problems(t, src)
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func mustParse(t *testing.T, src string) *Lab {
	t.Helper()
	l, err := Parse([]byte(src), "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestStats(t *testing.T) {
	l := mustParse(t, base)
	for _, tc := range []struct {
		name      string
		lab       *Lab
		want      Stats
		wantStore string
	}{
		// All: physical = pve-io, pve-titan, nas (vault is a vm with a parent, ct-200 has a parent, cf is cloud).
		{"full lab", l, Stats{PhysicalCores: 60, Systems: 5, StorageTB: 47.4, Sites: 2, VPNNodes: 2, Connections: 4, SwarmCores: 28, SwarmAgents: 2, SwarmSites: 2}, "47 TB+"},
		// Public: vault, its link, its service and its agent are gone.
		{"public view", l.Public(), Stats{PhysicalCores: 60, Systems: 4, StorageTB: 47.4, Sites: 2, VPNNodes: 2, Connections: 3, SwarmCores: 12, SwarmAgents: 1, SwarmSites: 1}, "47 TB+"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.lab.Stats()
			got.StorageTB = float64(int(got.StorageTB*10+0.5)) / 10
			if got != tc.want {
				t.Errorf("stats\n got %+v\nwant %+v", got, tc.want)
			}
			if s := tc.lab.Stats().StorageLabel(); s != tc.wantStore {
				t.Errorf("storage label %q, want %q", s, tc.wantStore)
			}
		})
	}
}

func TestStatEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name  string
		nodes string
		links string
		check func(Stats) bool
	}{
		{"containers and vms are not physical", "  - {id: h, name: h, type: hypervisor, site: s, specs: {cores: 8}}\n  - {id: c, name: c, type: container, site: s, specs: {cores: 4}}\n  - {id: v, name: v, type: vm, site: s, specs: {cores: 2}}\n", "",
			func(s Stats) bool { return s.PhysicalCores == 8 && s.Systems == 3 }},
		{"a child of any type is not physical", "  - {id: h, name: h, type: hypervisor, site: s, specs: {cores: 8}}\n  - {id: n, name: n, type: nas, site: s, parent: h, specs: {cores: 4, storage_tb: 9}}\n", "",
			func(s Stats) bool { return s.PhysicalCores == 8 && s.StorageTB == 0 }},
		{"cloud is not a system", "  - {id: a, name: a, type: cloud}\n  - {id: b, name: b, type: workstation, site: s}\n", "",
			func(s Stats) bool { return s.Systems == 1 }},
		{"vpn nodes end tailscale links only", "  - {id: a, name: a, type: vpn, site: s}\n  - {id: b, name: b, type: vpn, site: s}\n  - {id: c, name: c, type: vpn, site: s}\n",
			"  - {from: a, to: b, type: tailscale}\n  - {from: b, to: c, type: lan}\n",
			func(s Stats) bool { return s.VPNNodes == 2 && s.Connections == 2 }},
		{"storage rounds down", "  - {id: a, name: a, type: nas, site: s, specs: {storage_tb: 11.99}}\n", "",
			func(s Stats) bool { return s.StorageLabel() == "11 TB+" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "sites: [{id: s, name: S}]\nnodes:\n" + tc.nodes + "links:\n" + tc.links
			if tc.links == "" {
				src = "sites: [{id: s, name: S}]\nnodes:\n" + tc.nodes + "links: []\n"
			}
			s := mustParse(t, src).Stats()
			if !tc.check(s) {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestPublicView(t *testing.T) {
	pub := mustParse(t, base).Public()
	var ids, names []string
	for _, n := range pub.Nodes {
		ids = append(ids, n.ID)
		names = append(names, n.Name)
	}
	if !slices.Equal(ids, []string{"pve-io", "pve-titan", "storage", "ct-200", "cf"}) {
		t.Errorf("public ids %q", ids)
	}
	if slices.Contains(names, "tank") || !slices.Contains(names, "Storage") {
		t.Errorf("alias not applied: %q", names)
	}
	for _, k := range pub.Links {
		if k.From == "vault" || k.To == "vault" || k.From == "nas" || k.To == "nas" {
			t.Errorf("link %+v leaks a private node or a real id", k)
		}
	}
	if len(pub.Services) != 1 || pub.Services[0].ID != "pve" {
		t.Errorf("services %+v", pub.Services)
	}
	if n := pub.Node("pve-io"); n == nil || !slices.Equal(n.Services, []string{"pve"}) || n.Live != nil {
		t.Errorf("pve-io public node %+v", n)
	}
}

// TestLeaks plants the name or id of a hidden node, or the real name
// behind an alias, in one field of the base lab at a time: every field the
// public view carries must be reported at its line, whichever struct it
// lives in, and text the public view drops or that only contains a secret
// as part of a longer word must not be.
func TestLeaks(t *testing.T) {
	const flows = "flows:\n  - name: F\n    steps:\n      - {name: Browser, latency: via nas}\n"
	for _, tc := range []struct {
		name, old, new string
		want           []string // path:line: field: "secret"
	}{
		{"link label", "{from: ct-200, to: cf, type: tunnel}", "{from: ct-200, to: cf, type: tunnel, label: backs up to secret-vault}",
			[]string{`lab.yaml:19: links[3].label: "secret-vault"`}},
		{"decision body", "", "decisions:\n  - {title: Storage, body: \"Everything lands on tank first.\"}\n",
			[]string{`lab.yaml:29: decisions[0].body: "tank"`}},
		{"lab description", "", "description: A lab with a vault.\n",
			[]string{`lab.yaml:28: description: "vault"`}},
		{"site name", "    name: Kronos\n", "    name: Kronos and tank\n",
			[]string{`lab.yaml:6: sites[1].name: "tank"`}},
		{"site role", "    name: Kronos\n", "    name: Kronos\n    role: backups for secret-vault\n",
			[]string{`lab.yaml:7: sites[1].role: "secret-vault"`}},
		{"network name", "{id: kronos-lan, name: LAN}", "{id: kronos-lan, name: vault LAN}",
			[]string{`lab.yaml:7: sites[1].networks[0].name: "vault"`}},
		{"network cidr", "cidr: 10.10.0.0/24", `cidr: "10.10.0.0/24 (vault)"`,
			[]string{`lab.yaml:4: sites[0].networks[0].cidr: "vault"`}},
		{"specs cpu", "specs: {cores: 32,", `specs: {cpu: "same box as tank", cores: 32,`,
			[]string{`lab.yaml:9: nodes[0].specs.cpu: "tank"`}},
		{"specs os", "specs: {cores: 24,", "specs: {os: secret-vault OS, cores: 24,",
			[]string{`lab.yaml:10: nodes[1].specs.os: "secret-vault"`}},
		{"node description", "type: hypervisor, site: jove,", "type: hypervisor, site: jove, description: Feeds the NAS,",
			[]string{`lab.yaml:9: nodes[0].description: "nas"`}},
		{"alias", "{id: ct-200, name: orch-io,", "{id: ct-200, name: orch-io, alias: vault proxy,",
			// and the agent named after the node now shows its real name
			[]string{`lab.yaml:13: nodes[4].alias: "vault"`, `lab.yaml:26: swarm.agents[0].name: "orch-io"`}},
		{"flow step latency", "", flows,
			[]string{`lab.yaml:31: flows[0].steps[0].latency: "nas"`}},
		{"service category", "category: Core, description: Hypervisor", "category: Core (tank), description: Hypervisor",
			[]string{`lab.yaml:21: services[0].category: "tank"`}},
		{"service url", "tech: KVM, node: pve-io}", "tech: KVM, node: pve-io, url: \"https://vault.lab.test/\"}",
			[]string{`lab.yaml:21: services[0].url: "vault"`}},
		{"swarm name", "  name: Build Swarm\n", "  name: Build Swarm on vault\n",
			[]string{`lab.yaml:24: swarm.name: "vault"`}},
		{"swarm description", "  name: Build Swarm\n", "  name: Build Swarm\n  description: runs beside tank\n",
			[]string{`lab.yaml:25: swarm.description: "tank"`}},
		{"agent role", "role: Orchestrator", "role: Orchestrator for secret-vault",
			[]string{`lab.yaml:26: swarm.agents[0].role: "secret-vault"`}},
		{"several secrets in one field", "    name: Kronos\n", "    name: tank and vault\n",
			[]string{`lab.yaml:6: sites[1].name: "tank"`, `lab.yaml:6: sites[1].name: "vault"`}},
		// The same text in a private node and in a public site: only the
		// public one is where the leak is.
		{"same text in private and public", "public: false}", "public: false, description: tank mirror}\n    \n", nil},
		{"same text, public copy reported", "    name: Kronos\n", "    name: Kronos\n    role: tank mirror\n",
			[]string{`lab.yaml:7: sites[1].role: "tank"`}},
		// Not leaks: a longer word, a private node's own text, a node type
		// that happens to be the id of an aliased node, live keys.
		{"longer word", "{from: pve-titan, to: nas, type: backup}", "{from: pve-titan, to: nas, type: backup, label: nas-backup to vaultwarden}", nil},
		{"private node text", "public: false}", "public: false, description: holds the tank keys, specs: {os: vault OS}}", nil},
		{"live keys", "specs: {cores: 12}}", "specs: {cores: 12}, live: {probe: \"https://vault:8200\"}}", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := base + tc.new
			if tc.old != "" {
				src = strings.Replace(base, tc.old, tc.new, 1)
				if src == base {
					t.Fatalf("edit %q not found in base", tc.old)
				}
			}
			var got []string
			for _, p := range mustParse(t, src).Leaks("lab.yaml") {
				const tail = ", which is private (public: false) or hidden behind an alias; public pages would show it"
				if !strings.HasSuffix(p.Msg, tail) {
					t.Errorf("message %q does not say why", p.Msg)
				}
				got = append(got, strings.Replace(strings.TrimSuffix(p.Error(), tail), "mentions ", "", 1))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("leaks\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestLeaksOfBuiltLab covers a lab built in code, without a file to point
// into: the problem names the field by its place in the public view.
func TestLeaksOfBuiltLab(t *testing.T) {
	l := &Lab{
		Sites: []Site{{ID: "s", Name: "S", Networks: []Network{{ID: "n", Name: "LAN", CIDR: "beside hideout"}}}},
		Nodes: []Node{{ID: "hideout", Name: "Hideout", Type: "nas", Site: "s"}, {ID: "a", Name: "A", Type: "nas", Site: "s", Public: true}},
	}
	var got []string
	for _, p := range l.Leaks("lab") {
		got = append(got, p.Path+"|"+strconv.Itoa(p.Line)+"|"+p.Field)
	}
	if want := []string{"lab|0|sites[0].networks[0].cidr"}; !slices.Equal(got, want) {
		t.Errorf("leaks %q, want %q", got, want)
	}
}

// TestSchemaMatchesLoader keeps content/lab.schema.json, which editors use
// to complete and check lab.yaml, in step with what the loader accepts.
func TestSchemaMatchesLoader(t *testing.T) {
	raw, err := os.ReadFile("../../content/lab.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	type object struct {
		Properties           map[string]json.RawMessage `json:"properties"`
		AdditionalProperties *bool                      `json:"additionalProperties"`
	}
	var schema struct {
		object
		Defs map[string]object `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	check := func(name string, o object) {
		var got []string
		for k := range o.Properties {
			got = append(got, k)
		}
		slices.Sort(got)
		want := slices.Clone(Keys[name])
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("schema %s properties %q, loader accepts %q", name, got, want)
		}
		if o.AdditionalProperties == nil || *o.AdditionalProperties {
			t.Errorf("schema %s allows unknown keys; the loader rejects them", name)
		}
	}
	check("lab", schema.object)
	for name := range Keys {
		if name == "lab" {
			continue
		}
		o, ok := schema.Defs[name]
		if !ok {
			t.Errorf("schema has no $defs.%s", name)
			continue
		}
		check(name, o)
	}
	example, err := os.ReadFile("../../content/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(example), "# yaml-language-server: $schema=./lab.schema.json") {
		t.Error("the example lab.yaml does not point editors at the schema")
	}
	if _, err := Parse(example, "content/lab.yaml"); err != nil {
		t.Errorf("the example lab.yaml is invalid: %v", err)
	}
}

// TestExampleLab pins the numbers the seed architecture page shows.
func TestExampleLab(t *testing.T) {
	l, err := Load("../../content/lab.yaml", "content/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if leaks := l.Leaks("content/lab.yaml"); len(leaks) > 0 {
		t.Errorf("example leaks: %v", leaks)
	}
	s := l.Public().Stats()
	if s.SwarmCores != 54 || s.SwarmAgents != 4 || s.SwarmSites != 2 || s.Sites != 2 {
		t.Errorf("swarm %d cores, %d agents, %d sites; sites %d (the seed says 54, 4, 2; 2)", s.SwarmCores, s.SwarmAgents, s.SwarmSites, s.Sites)
	}
	if len(l.Flows) != 2 || len(l.Decisions) != 5 {
		t.Errorf("%d flows and %d decisions, the seed has 2 and 5", len(l.Flows), len(l.Decisions))
	}
	cats := map[string]bool{}
	for _, sv := range l.Public().Services {
		cats[sv.Category] = true
	}
	for _, c := range []string{"AI & Machine Learning", "Core Infrastructure", "Build System", "Observability"} {
		if !cats[c] {
			t.Errorf("no public service in category %q", c)
		}
	}
}

// TestWalkStrings pins what the leak check reads: every exported string,
// through pointers, slices and maps (keys too), with the innermost Line;
// not unexported fields, not fields tagged as vocabulary.
func TestWalkStrings(t *testing.T) {
	type inner struct {
		Text string
		Line int
	}
	type view struct {
		Name   string
		Kind   string `public:"vocabulary"`
		hidden string
		Ptr    *inner
		Items  []inner
		Tags   map[string][]string
	}
	v := view{Name: "n", Kind: "k", hidden: "h", Ptr: &inner{Text: "p", Line: 7},
		Items: []inner{{Text: "i0", Line: 3}, {Text: "i1"}}, Tags: map[string][]string{"b": {"bv"}, "a": {"av"}}}
	var got []string
	walkStrings(reflect.ValueOf(&v), "", 0, func(path string, line int, text string) {
		got = append(got, fmt.Sprintf("%s@%d=%s", path, line, text))
	})
	want := []string{"name@0=n", "ptr.text@7=p", "items[0].text@3=i0", "items[1].text@0=i1",
		"tags[a]@0=a", "tags[a][0]@0=av", "tags[b]@0=b", "tags[b][0]@0=bv"}
	if !slices.Equal(got, want) {
		t.Errorf("walk\n got %q\nwant %q", got, want)
	}
}

// TestLoadSite: lab.yaml of a site is read through sitefs: a symlink out
// of the site is refused with the path, a missing file is no lab.
func TestLoadSite(t *testing.T) {
	base := t.TempDir()
	site := filepath.Join(base, "site")
	if err := os.MkdirAll(filepath.Join(site, "content"), 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := sitefs.Open(site)
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	if l, err := LoadSite(files); l != nil || err != nil {
		t.Errorf("no lab.yaml: %v, %v", l, err)
	}
	outside := filepath.Join(base, "lab.yaml")
	if err := os.WriteFile(outside, []byte("sites: []\nnodes: []\nlinks: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(site, "content", "lab.yaml")); err != nil {
		t.Fatal(err)
	}
	want := filepath.ToSlash(site) + "/content/lab.yaml: symlink outside the site"
	if l, err := LoadSite(files); l != nil || err == nil || err.Error() != want {
		t.Errorf("lab.yaml out of the site: %v, %v; want %q", l, err, want)
	}
	// import and promote read the lab by folder, under the same rule.
	if l, err := LoadDir(site); l != nil || err == nil || err.Error() != want {
		t.Errorf("LoadDir of lab.yaml out of the site: %v, %v; want %q", l, err, want)
	}
}
