package discover

import (
	"slices"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/labedit"
	"github.com/labfront/labfront/internal/live"
)

const baseLab = `title: Test lab
sites:
  - id: home
    name: Home
    networks:
      - {id: lan, name: LAN, cidr: 10.0.0.0/24}
  - id: away
    name: Away
nodes:
  - id: pve
    name: pve
    type: hypervisor
    site: home
    specs: {cores: 4, memory_gb: 64}
    live: {proxmox: pve}
  - id: web
    name: web
    type: container
    site: home
    parent: pve
  - id: old
    name: old
    type: vm
    site: home
    parent: pve
    live: {proxmox: "pve/qemu/300", tailscale: old}
links: []
services:
  - {id: grafana, name: Grafana, category: Monitoring, description: Dashboards, tech: Go}
`

func host(cores int, memGB float64) live.Found {
	return live.Found{Source: "pve", LiveKey: "proxmox", LiveValue: "pve", Name: "pve", Type: "hypervisor", Specs: lab.Specs{Cores: cores, MemoryGB: memGB}}
}

func guest(vmid, name string, labels map[string]string) live.Found {
	return live.Found{Source: "pve", LiveKey: "proxmox", LiveValue: "pve/lxc/" + vmid, Name: name, Type: "container", Parent: "pve",
		Specs: lab.Specs{Cores: 2, MemoryGB: 2}, Labels: labels}
}

func device(host string, routes ...string) live.Found {
	return live.Found{Source: "ts", LiveKey: "tailscale", LiveValue: host, Name: host, Hostname: host, Routes: routes}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	all := []string{"proxmox", "tailscale"}
	tests := []struct {
		name  string
		found []live.Found
		asked []string
		sites map[string]string
		// edits are the plan's edits, as Edit.String gives them.
		edits []string
		// drift are the drift messages.
		drift []string
	}{
		{
			name:  "an operator's value is drift, never an edit",
			found: []live.Found{host(8, 62.8)},
			asked: []string{"proxmox"},
			drift: []string{"pve pve has 8 cores, lab.yaml says 4 cores", "old (live.proxmox: pve/qemu/300) was seen by no proxmox source"},
		},
		{
			name:  "memory within rounding is the same",
			found: []live.Found{host(4, 62.8)},
		},
		{
			name:  "a missing spec is filled in",
			found: []live.Found{{Source: "pve", LiveKey: "proxmox", LiveValue: "pve", Name: "pve", Type: "hypervisor", Specs: lab.Specs{Cores: 4, StorageTB: 1.5}}},
			edits: []string{"set nodes[pve].specs.storage_tb = 1.5"},
		},
		{
			name:  "matched by name: the live key and specs are added, the parent kept",
			found: []live.Found{host(4, 64), guest("101", "web", nil)},
			edits: []string{"set nodes[web].live.proxmox = pve/lxc/101", "set nodes[web].specs.cores = 2", "set nodes[web].specs.memory_gb = 2"},
		},
		{
			name:  "a new guest is private, at its parent's site",
			found: []live.Found{guest("102", "Postgres DB", nil), host(4, 64)},
			edits: []string{`add to nodes: {id: postgres-db, name: Postgres DB, type: container, site: home, parent: pve, public: false, specs: {cores: 2, memory_gb: 2}, live: {proxmox: pve/lxc/102}}`},
			drift: []string{"pve Postgres DB is in no lab.yaml node: added as postgres-db (private)"},
		},
		{
			name: "labels declare intent at the source",
			found: []live.Found{host(4, 64), guest("103", "graf", map[string]string{
				live.LabelPublic: "true", live.LabelAlias: "Dashboards", live.LabelService: "grafana, loki", live.LabelSite: "away"})},
			edits: []string{`add to nodes: {id: graf, name: graf, type: container, site: away, parent: pve, alias: Dashboards, public: true, specs: {cores: 2, memory_gb: 2}, services: [grafana], live: {proxmox: pve/lxc/103}}`},
			drift: []string{"pve graf is in no lab.yaml node: added as graf (public, as its labfront.public label asks); labfront.service names services lab.yaml does not have: loki"},
		},
		{
			name:  "a label that names an unknown site is not guessed around",
			found: []live.Found{guest("104", "x", map[string]string{live.LabelSite: "mars"})},
			drift: []string{`pve x is in no lab.yaml node; not added: its site "mars" is not in lab.yaml`},
		},
		{
			name:  "without a site nothing is added",
			found: []live.Found{{Source: "pve", LiveKey: "proxmox", LiveValue: "pve2", Name: "pve2", Type: "hypervisor"}},
			drift: []string{"pve pve2 is in no lab.yaml node; not added: nothing says which site it is at (give it a labfront.site label or the source a site:)"},
		},
		{
			name:  "the source's site: is the last resort",
			found: []live.Found{{Source: "pve", LiveKey: "proxmox", LiveValue: "pve2", Name: "pve2", Type: "hypervisor"}},
			sites: map[string]string{"pve": "away"},
			edits: []string{"add to nodes: {id: pve2, name: pve2, type: hypervisor, site: away, public: false, live: {proxmox: pve2}}"},
			drift: []string{"pve pve2 is in no lab.yaml node: added as pve2 (private)"},
		},
		{
			name:  "a thing of unknown type is reported only",
			found: []live.Found{{Source: "prom", LiveKey: "prometheus", LiveValue: "10.0.0.9:9100", Name: "10.0.0.9:9100", Detail: "job node"}},
			drift: []string{"prom 10.0.0.9:9100 is in no lab.yaml node (prometheus: 10.0.0.9:9100); the source cannot tell what it is, so it is not added (job node)"},
		},
		{
			name:  "a node pointing elsewhere is not matched by name",
			found: []live.Found{{Source: "pve", LiveKey: "proxmox", LiveValue: "pve/qemu/301", Name: "old", Type: "vm", Parent: "pve"}, host(4, 64)},
			edits: []string{`add to nodes: {id: old-2, name: old, type: vm, site: home, parent: pve, public: false, live: {proxmox: pve/qemu/301}}`},
			drift: []string{"pve old is in no lab.yaml node: added as old-2 (private)"},
		},
		{
			name:  "a migrated guest is drift",
			found: []live.Found{{Source: "pve", LiveKey: "proxmox", LiveValue: "pve/qemu/300", Name: "old", Type: "vm", Parent: "pve2"}, {Source: "pve", LiveKey: "proxmox", LiveValue: "pve2", Name: "pve2", Type: "hypervisor"}},
			sites: map[string]string{"pve": "home"},
			edits: []string{"add to nodes: {id: pve2, name: pve2, type: hypervisor, site: home, public: false, live: {proxmox: pve2}}"},
			drift: []string{"pve pve2 is in no lab.yaml node: added as pve2 (private)", "pve old runs on pve2, lab.yaml says pve"},
		},
		{
			name: "an untyped engine is matched before its containers, which run on its node",
			found: []live.Found{
				{Source: "dk", LiveKey: "docker", LiveValue: "pve/cache", Name: "cache", Type: "container", Parent: "pve"},
				{Source: "dk", LiveKey: "docker", LiveValue: "pve", Name: "pve", Hostname: "pve"},
			},
			edits: []string{"set nodes[pve].live.docker = pve", "add to nodes: {id: cache, name: cache, type: container, site: home, parent: pve, public: false, live: {docker: pve/cache}}"},
			drift: []string{"dk cache is in no lab.yaml node: added as cache (private)"},
		},
		{
			name: "a second source's view finds the node the first added",
			found: []live.Found{device("gw-a", "10.0.0.0/24"), guest("105", "gw-a", nil), host(4, 64),
				{Source: "ts", LiveKey: "tailscale", LiveValue: "old", Name: "old", Links: []live.FoundLink{{To: "gw-a", Type: "tailscale", Label: "subnet routes"}}}},
			asked: all,
			edits: []string{
				`add to nodes: {id: gw-a, name: gw-a, type: container, site: home, parent: pve, public: false, specs: {cores: 2, memory_gb: 2}, live: {proxmox: pve/lxc/105}}`,
				"set nodes[gw-a].live.tailscale = gw-a",
				`add to links: {from: old, to: gw-a, type: tailscale, label: subnet routes}`,
			},
			drift: []string{"pve gw-a is in no lab.yaml node: added as gw-a (private)", "ts links old and gw-a (tailscale): added", "old (live.proxmox: pve/qemu/300) was seen by no proxmox source"},
		},
		{
			name:  "subnet routes name a matched node's networks",
			found: []live.Found{device("web", "10.0.0.0/24", "192.168.9.0/24")},
			edits: []string{"set nodes[web].live.tailscale = web", "set nodes[web].networks = [lan]"},
		},
		{
			name:  "an outage is not every node gone",
			found: nil,
			asked: []string{"tailscale"},
			drift: []string{"old (live.tailscale: old) was seen by no tailscale source"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := lab.Parse([]byte(baseLab), "lab.yaml")
			if err != nil {
				t.Fatal(err)
			}
			plan := Merge(l, Input{Found: tt.found, Asked: tt.asked, Sites: tt.sites})
			var edits, drift []string
			for _, e := range plan.Edits {
				edits = append(edits, e.String())
			}
			for _, d := range plan.Drift {
				drift = append(drift, d.Message)
			}
			if !slices.Equal(edits, tt.edits) {
				t.Errorf("edits:\n  %s\nwant:\n  %s", strings.Join(edits, "\n  "), strings.Join(tt.edits, "\n  "))
			}
			if !slices.Equal(drift, tt.drift) {
				t.Errorf("drift:\n  %s\nwant:\n  %s", strings.Join(drift, "\n  "), strings.Join(tt.drift, "\n  "))
			}
			// Whatever the plan proposes, and every fix a drift offers,
			// leaves a lab.yaml that loads.
			out, err := labedit.Apply([]byte(baseLab), plan.Edits)
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			if _, err := lab.Parse(out, "lab.yaml"); err != nil {
				t.Errorf("the plan's lab.yaml does not load: %v\n%s", err, out)
			}
			for _, d := range plan.Drift {
				if d.Kind != Differs {
					continue
				}
				fixed, err := labedit.Apply(out, d.Edits)
				if err != nil {
					t.Errorf("drift %q: apply its update: %v", d.Message, err)
					continue
				}
				if _, err := lab.Parse(fixed, "lab.yaml"); err != nil {
					t.Errorf("drift %q: its update does not load: %v", d.Message, err)
				}
			}
		})
	}
}
