package web

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
)

const labSite = `
-- content/site.yaml --
title: Lab Test
base_url: https://lab.test
-- content/posts/2026-01-01-hello.md --
---
title: Hello
date: 2026-01-01
---
Hello.
-- content/lab.yaml --
title: The Lab
description: Two sites and a tunnel. More words here.
sites:
  - {id: north, name: North, role: primary, networks: [{id: north-lan, name: LAN, cidr: 10.1.0.0/24}]}
  - {id: south, name: South, networks: [{id: south-lan, name: LAN}]}
nodes:
  - {id: hv1, name: hv-north, type: hypervisor, site: north, networks: [north-lan], specs: {cores: 16, memory_gb: 64, storage_tb: 4}, services: [pve], live: {prometheus: "10.1.0.5:9100"}}
  - {id: hv2, name: hv-south, type: hypervisor, site: south, specs: {cores: 8, storage_tb: 2.5}}
  - {id: desk, name: zanzibar-desk, alias: Desktop, type: workstation, site: north, specs: {cores: 12}}
  - {id: hideout, name: quokka-vault, type: nas, site: south, public: false, specs: {cores: 4, storage_tb: 40}, services: [secretsvc]}
  - {id: ct1, name: builder, type: drone, site: north, parent: hv1, specs: {cores: 6}}
  - {id: ct2, name: quokka-child, type: container, site: south, parent: hideout}
  - {id: edge, name: Edge, type: cloud}
links:
  - {from: hv1, to: hv2, type: tailscale, latency_ms: 38}
  - {from: hv1, to: desk, type: lan}
  - {from: hv2, to: hideout, type: backup, label: nightly}
  - {from: hv1, to: ct1, type: lan}
  - {from: ct1, to: edge, type: tunnel}
services:
  - {id: pve, name: Proxmox VE, category: Core, description: Hypervisor, tech: KVM, node: hv1}
  - {id: secretsvc, name: Wombat Ledger, category: Core, description: Private, tech: Rust, node: hideout}
swarm:
  name: Build Swarm
  agents:
    - {id: a1, name: "CT 1: builder", role: Drone, cores: 6, memory_gb: 8, host: ct1}
    - {id: a2, name: "CT 2: hidden", role: Drone, cores: 9, memory_gb: 8, host: ct2}
flows:
  - name: Static
    steps: [{name: Browser, latency: ~2ms}, {name: CDN, detail: Edge cache, latency: cached}]
decisions:
  - {title: Tunnel, body: No inbound ports., tradeoffs: Depends on the edge.}
`

func TestArchitecturePage(t *testing.T) {
	src := sitetest.Write(t, labSite)
	out := filepath.Join(t.TempDir(), "dist")
	if _, err := Build(context.Background(), Options{Src: src, Out: out, Static: static.FS(), Islands: Islands()}); err != nil {
		t.Fatal(err)
	}
	page := sitetest.ReadFile(t, out, "architecture/index.html")
	// Public: hv1 16 + hv2 8 + desk 12 physical cores; hideout is private,
	// ct1 has a parent. Systems: hv1 hv2 desk ct1. Storage 4 + 2.5.
	for _, want := range []string{
		"<h1 id=\"arch-title\">The Lab</h1>",
		"<dt>Physical cores</dt><dd>36</dd>", "<dt>Systems</dt><dd>4</dd>", "<dt>Storage</dt><dd>6 TB+</dd>",
		"<dt>Sites</dt><dd>2</dd>", "<dt>VPN nodes</dt><dd>2</dd>", "<dt>Connections</dt><dd>4</dd>",
		"<dt>Allocated cores</dt><dd>6</dd>", "<dt>Build agents</dt><dd>1</dd>", "<dt>Network sites</dt><dd>1</dd>",
		`id="node-desktop"`, `href="#node-desktop"`, ">Desktop<",
		`<line class="link l-tailscale"`, `class="node t-hypervisor"`,
		"<strong>Browser</strong>", "~2ms", "Proxmox VE", "No inbound ports.", "Depends on the edge.",
		"Node types", "Connection types", "Tailscale VPN",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("architecture page lacks %q", want)
		}
	}
	if strings.Contains(page, "Backup") {
		t.Error("the legend lists backup links, but the only one touches a private node")
	}
	home := sitetest.ReadFile(t, out, "index.html")
	if !strings.Contains(home, "<dt>Physical cores</dt><dd>36</dd>") || !strings.Contains(home, `href="/architecture/"`) {
		t.Error("home page lacks the lab summary")
	}

	var topo struct {
		Nodes []struct {
			ID, Name string
			X, Y     float64
		} `json:"nodes"`
		Links []struct{ From, To string } `json:"links"`
	}
	if err := json.Unmarshal([]byte(sitetest.ReadFile(t, out, "topology.json")), &topo); err != nil {
		t.Fatal(err)
	}
	if len(topo.Nodes) != 5 || len(topo.Links) != 4 {
		t.Errorf("topology.json has %d nodes and %d links, want 5 and 4", len(topo.Nodes), len(topo.Links))
	}

	// Nothing private anywhere in the built site: not the private nodes'
	// names, ids or services, not the real name behind the alias, not the
	// internal addresses of the live keys.
	for path, body := range sitetest.Tree(t, out) {
		for _, secret := range []string{"quokka", "hideout", "Wombat", "secretsvc", "zanzibar", "10.1.0.5", "CT 2: hidden"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s contains the private %q", path, secret)
			}
		}
	}
}

func TestArchitectureWithSnapshot(t *testing.T) {
	src := sitetest.Write(t, labSite+`
-- snap.json --
{"version": 1, "generated_at": "2026-11-25T14:02:00Z", "nodes": {
  "hv1": {"status": "up", "checked_at": "2026-11-25T14:01:00Z", "detail": "load 0.4 on 10.1.0.5"},
  "desk": {"status": "down", "checked_at": "2026-11-25T13:58:00Z"},
  "hideout": {"status": "up", "checked_at": "2026-11-25T14:01:00Z"}}}
`)
	out := filepath.Join(t.TempDir(), "dist")
	if _, err := Build(context.Background(), Options{Src: src, Out: out, Snapshot: filepath.Join(src, "snap.json"), Static: static.FS(), Islands: Islands()}); err != nil {
		t.Fatal(err)
	}
	page := sitetest.ReadFile(t, out, "architecture/index.html")
	for _, want := range []string{
		`Status as of <time datetime="2026-11-25T14:02:00Z">25 Nov 2026 14:02 UTC</time>`,
		`class="node t-hypervisor s-up"`, `class="node t-workstation s-down"`, `class="node t-drone s-unknown"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("architecture page lacks %q", want)
		}
	}
	var snap struct {
		GeneratedAt string                       `json:"generated_at"`
		Nodes       map[string]map[string]string `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(sitetest.ReadFile(t, out, "snapshot.json")), &snap); err != nil {
		t.Fatal(err)
	}
	if snap.GeneratedAt != "2026-11-25T14:02:00Z" || snap.Nodes["desktop"]["status"] != "down" || snap.Nodes["edge"]["status"] != "unknown" || len(snap.Nodes) != 5 {
		t.Errorf("snapshot.json = %+v", snap)
	}
	for path, body := range sitetest.Tree(t, out) {
		if strings.Contains(body, "hideout") || strings.Contains(body, "10.1.0.5") {
			t.Errorf("%s leaks the private node or a snapshot detail", path)
		}
	}

	// A broken snapshot fails the build with its file and line.
	sitetest.WriteInto(t, src, "-- bad.json --\n{\"version\": 1,\n \"generated_at\": \"2026-11-25T14:02:00Z\",\n \"nodes\": {\"hv1\": {\"status\": \"sideways\"}}}\n")
	_, err := Build(context.Background(), Options{Src: src, Out: out, Snapshot: filepath.Join(src, "bad.json"), Static: static.FS(), Islands: Islands()})
	if probs, ok := diag.As(err); !ok || !strings.Contains(probs.Error(), `nodes.hv1.status: must be up, down or unknown, found "sideways"`) {
		t.Errorf("bad snapshot: %v", err)
	}
}

func TestLabProblemsFailTheBuild(t *testing.T) {
	src := sitetest.Write(t, strings.Replace(labSite, "{from: hv1, to: desk, type: lan}", "{from: hv1, to: desk, type: lan, label: zanzibar-desk cable}", 1))
	_, err := Check(Options{Src: src, Static: static.FS(), Islands: Islands()})
	probs, ok := diag.As(err)
	if !ok || len(probs) != 1 || !strings.Contains(probs[0].Error(), `content/lab.yaml:16: links[1].label: mentions "zanzibar-desk"`) {
		t.Errorf("want the leak reported with its line, got %v", err)
	}
}

// TestPrivateServicesStayPrivate attaches the service "Wombat Ledger" to
// the private node hideout, or to its child ct2, in every way lab.yaml
// allows: the service is absent from the public view and from every
// output built from it, however it is attached. The control attaches it
// to a public node only, through the node's services: list, and checks it
// is shown there.
func TestPrivateServicesStayPrivate(t *testing.T) {
	const (
		hideout = "  - {id: hideout, name: quokka-vault, type: nas, site: south, public: false, specs: {cores: 4, storage_tb: 40}, services: [secretsvc]}\n"
		ct2     = "  - {id: ct2, name: quokka-child, type: container, site: south, parent: hideout}\n"
		service = "  - {id: secretsvc, name: Wombat Ledger, category: Core, description: Private, tech: Rust, node: hideout}\n"
		hv2     = "  - {id: hv2, name: hv-south, type: hypervisor, site: south, specs: {cores: 8, storage_tb: 2.5}}\n"
	)
	noList := strings.Replace(hideout, ", services: [secretsvc]", "", 1)
	noNode := strings.Replace(service, ", node: hideout", "", 1)
	for _, tc := range []struct {
		name                       string
		hideout, ct2, service, hv2 string
		public                     bool
	}{
		{"node: names the private node", noList, ct2, service, hv2, false},
		{"only the private node lists it", hideout, ct2, noNode, hv2, false},
		{"node: names a child of the private node", noList, ct2, strings.Replace(service, "node: hideout", "node: ct2", 1), hv2, false},
		{"only a child of the private node lists it", noList, strings.Replace(ct2, "}", ", services: [secretsvc]}", 1), noNode, hv2, false},
		{"node: names a public node, the private node lists it", hideout, ct2, strings.Replace(service, "node: hideout", "node: hv2", 1), hv2, false},
		{"marked public: false on a public node", noList, ct2, strings.Replace(service, "node: hideout", "node: hv2, public: false", 1), hv2, false},
		{"control: only a public node lists it", noList, ct2, noNode, strings.Replace(hv2, "}}", "}, services: [secretsvc]}", 1), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site := labSite
			for _, r := range [][2]string{{hideout, tc.hideout}, {ct2, tc.ct2}, {service, tc.service}, {hv2, tc.hv2}} {
				if !strings.Contains(site, r[0]) {
					t.Fatalf("labSite lacks %q", r[0])
				}
				site = strings.Replace(site, r[0], r[1], 1)
			}
			src := sitetest.Write(t, site)
			l, err := lab.Load(filepath.Join(src, "content", "lab.yaml"), "content/lab.yaml")
			if err != nil {
				t.Fatal(err)
			}
			pub := l.Public()
			inView := slices.ContainsFunc(pub.Services, func(s lab.Service) bool { return s.ID == "secretsvc" })
			for _, n := range pub.Nodes {
				if slices.Contains(n.Services, "secretsvc") != (tc.public && n.ID == "hv2") {
					t.Errorf("public node %s lists services %q", n.ID, n.Services)
				}
			}
			if inView != tc.public {
				t.Errorf("service in the public view: %v, want %v", inView, tc.public)
			}
			out := filepath.Join(t.TempDir(), "dist")
			build(t, src, out, false)
			tree := sitetest.Tree(t, out)
			for _, p := range []string{"architecture/index.html", "topology.json", "status/index.html", "snapshot.json", "index.html"} {
				body, ok := tree[p]
				if !ok {
					t.Fatalf("no %s in the build", p)
				}
				for _, text := range []string{"Wombat Ledger", "secretsvc"} {
					if shown := strings.Contains(body, text); shown && !tc.public {
						t.Errorf("%s shows the private service's %q", p, text)
					}
				}
			}
			if tc.public {
				if !strings.Contains(tree["architecture/index.html"], "Wombat Ledger") || !strings.Contains(tree["topology.json"], `{"id":"secretsvc","name":"Wombat Ledger"}`) {
					t.Error("the public service is missing from the architecture page or topology.json")
				}
				return
			}
			if leaks := sitetest.Reveals(tree, "Wombat Ledger", "secretsvc", "quokka", "hideout"); len(leaks) > 0 {
				t.Errorf("the build reveals %q", leaks)
			}
		})
	}
}
