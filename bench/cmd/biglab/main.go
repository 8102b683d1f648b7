// Command biglab writes a site with a large, valid lab for the admin
// server's speed check (bench/admin.sh):
//
//	go run ./bench/cmd/biglab -nodes 500 -out DIR
//
// It writes DIR/content/site.yaml and DIR/content/lab.yaml. The lab has two
// sites with a few networks each, a gateway, a switch and a NAS per site,
// Proxmox hosts with guests (containers, VMs, drones, orchestrators, media,
// VPN routers), three cloud nodes, about two links per node, services that
// their nodes list back, a small build swarm, a flow and a decision. The
// same flags always give the same bytes (fixed random seed).
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

type node struct {
	id, name, typ, site, parent string
	networks                    []string
	cores                       int
	memGB                       float64
	storTB                      float64
	os                          string
	services                    []string
	public                      bool
}

type link struct{ from, to, typ, label string }

func main() {
	n := flag.Int("nodes", 500, "number of nodes (at least 20)")
	out := flag.String("out", "", "directory to write content/ into (required)")
	flag.Parse()
	if *out == "" || *n < 20 || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: biglab -nodes N -out DIR  (N >= 20)")
		os.Exit(2)
	}
	lab := generate(*n)
	site := "title: Big Lab Bench\nbase_url: https://bench.example.dev\ndescription: A generated lab for the admin server's speed check.\n"
	dir := filepath.Join(*out, "content")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "site.yaml"), []byte(site), 0o644); err != nil {
		fail(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lab.yaml"), []byte(lab), 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "biglab:", err)
	os.Exit(1)
}

var categories = []string{"AI & Machine Learning", "Core Infrastructure", "Build System", "Observability"}

func generate(total int) string {
	r := rand.New(rand.NewPCG(500, 1000))
	sites := []struct {
		id, name string
		nets     []string
	}{
		{"jove", "Jove", []string{"jove-servers", "jove-clients", "jove-storage"}},
		{"kronos", "Kronos", []string{"kronos-lan", "kronos-storage"}},
	}
	var nodes []node
	var links []link
	seen := map[[2]string]bool{}
	addLink := func(from, to, typ, label string) bool {
		if from == to || seen[[2]string{from, to}] || seen[[2]string{to, from}] {
			return false
		}
		seen[[2]string{from, to}] = true
		links = append(links, link{from, to, typ, label})
		return true
	}

	// Cloud nodes: no site.
	cloud := []node{
		{id: "cf-pages", name: "Cloudflare Pages", typ: "cloud", public: true},
		{id: "cf-workers", name: "Cloudflare Workers", typ: "cloud", public: true},
		{id: "cf-tunnel", name: "Cloudflare Tunnel", typ: "cloud", public: true},
	}
	// Per site: gateway, switch, NAS, and hypervisors.
	hypersPerSite := max(1, total/40)
	fixed := len(cloud) + len(sites)*(3+hypersPerSite)
	guests := total - fixed
	if guests < 0 {
		hypersPerSite, guests = 1, total-len(cloud)-len(sites)*4
	}
	var hypers []node
	var vpns []string
	for _, s := range sites {
		gw := node{id: "gw-" + s.id, name: "Gateway " + s.name, typ: "gateway", site: s.id, networks: s.nets, cores: 4, memGB: 8, storTB: 0.25, os: "OPNsense 24.7", public: true}
		sw := node{id: "sw-" + s.id, name: "Core switch " + s.name, typ: "network", site: s.id, networks: s.nets, public: true}
		nas := node{id: "nas-" + s.id, name: "NAS " + s.name, typ: "nas", site: s.id, networks: s.nets[len(s.nets)-1:], cores: 8, memGB: 64, storTB: 72, os: "TrueNAS SCALE 24.04", public: true}
		nodes = append(nodes, gw, sw, nas)
		addLink(sw.id, gw.id, "uplink", "10 GbE trunk")
		addLink(sw.id, nas.id, "lan", "10 GbE")
		for h := range hypersPerSite {
			hv := node{id: fmt.Sprintf("pve-%s-%02d", s.id, h), name: fmt.Sprintf("pve-%s-%02d", s.id, h), typ: "hypervisor", site: s.id,
				networks: s.nets[:1], cores: 16 + 8*(h%3), memGB: float64(64 * (1 + h%2)), storTB: 4, os: "Proxmox VE 8.2", public: true}
			hypers = append(hypers, hv)
			nodes = append(nodes, hv)
			addLink(sw.id, hv.id, "lan", "10 GbE")
			addLink(hv.id, nas.id, "backup", "nightly ZFS send")
		}
	}
	guestTypes := []string{"container", "container", "container", "vm", "vm", "drone", "orchestrator", "media", "vpn"}
	var guestIDs []string
	var builders []node
	for g := range guests {
		hv := hypers[g%len(hypers)]
		typ := guestTypes[g%len(guestTypes)]
		gn := node{id: fmt.Sprintf("%s-%03d", typ, g), name: fmt.Sprintf("%s-%03d", typ, g), typ: typ, site: hv.site, parent: hv.id,
			networks: []string{hv.networks[0]}, cores: 1 + r.IntN(8), memGB: float64(1 + r.IntN(16)), os: "Debian 12", public: true}
		if typ == "drone" || typ == "orchestrator" {
			gn.os = "Gentoo Linux"
			builders = append(builders, gn)
		}
		if typ == "vpn" {
			vpns = append(vpns, gn.id)
		}
		// A few private guests: hidden from every public output.
		if g%97 == 50 {
			gn.public = false
			gn.name = fmt.Sprintf("hidden-%03d", g)
		}
		nodes = append(nodes, gn)
		guestIDs = append(guestIDs, gn.id)
		addLink(hv.id, gn.id, "lan", fmt.Sprintf("CT %d", 100+g))
	}
	nodes = append(nodes, cloud...)
	addLink("cf-pages", "cf-workers", "service", "_worker.js")
	addLink("cf-workers", "cf-tunnel", "service", "live data")

	// Services: about one per twelve guests, on public guests.
	var svcLines []string
	idx := map[string]int{}
	for i, nd := range nodes {
		idx[nd.id] = i
	}
	nsvc := max(4, guests/12)
	for i := range nsvc {
		var host string
		for range 100 {
			host = guestIDs[r.IntN(len(guestIDs))]
			if nodes[idx[host]].public {
				break
			}
		}
		id := fmt.Sprintf("svc-%03d", i)
		nodes[idx[host]].services = append(nodes[idx[host]].services, id)
		svcLines = append(svcLines, fmt.Sprintf("  - {id: %s, name: Service %d, category: %q, description: \"Generated service %d\", tech: Go, node: %s}\n",
			id, i, categories[i%len(categories)], i, host))
	}

	// Extra links up to about two per node: tunnels between VPN routers,
	// mostly-local service and dataflow links between guests.
	for i := 0; i+1 < len(vpns); i += 2 {
		addLink(vpns[i], vpns[i+1], "tailscale", "subnet routes")
	}
	if len(vpns) > 0 {
		addLink(vpns[0], "cf-tunnel", "tunnel", "outbound only")
	}
	want := 2 * total
	extraTypes := []string{"service", "service", "dataflow", "dataflow", "backup"}
	for tries := 0; len(links) < want && tries < 100*want; tries++ {
		a := r.IntN(len(guestIDs))
		b := (a + 1 + r.IntN(20)) % len(guestIDs)
		if r.IntN(10) == 0 {
			b = r.IntN(len(guestIDs))
		}
		from, to := guestIDs[a], guestIDs[b]
		// Keep links of private nodes among themselves out of the way:
		// they are hidden together with the node anyway.
		addLink(from, to, extraTypes[r.IntN(len(extraTypes))], "")
	}

	var b strings.Builder
	b.WriteString("# Generated by bench/cmd/biglab: do not edit.\n")
	fmt.Fprintf(&b, "title: Big Lab (%d nodes)\ndescription: A generated lab for the admin server's speed check.\n", total)
	b.WriteString("sites:\n")
	for _, s := range sites {
		fmt.Fprintf(&b, "  - id: %s\n    name: %s\n    networks:\n", s.id, s.name)
		for j, nw := range s.nets {
			fmt.Fprintf(&b, "      - {id: %s, name: %q, cidr: 10.%d.%d.0/24}\n", nw, nw, 10+len(s.id), j)
		}
	}
	b.WriteString("nodes:\n")
	for _, nd := range nodes {
		fmt.Fprintf(&b, "  - id: %s\n    name: %s\n    type: %s\n", nd.id, nd.name, nd.typ)
		if nd.site != "" {
			fmt.Fprintf(&b, "    site: %s\n", nd.site)
		}
		if nd.parent != "" {
			fmt.Fprintf(&b, "    parent: %s\n", nd.parent)
		}
		if !nd.public {
			b.WriteString("    public: false\n")
		}
		fmt.Fprintf(&b, "    description: Generated %s node.\n", nd.typ)
		if len(nd.networks) > 0 {
			fmt.Fprintf(&b, "    networks: [%s]\n", strings.Join(nd.networks, ", "))
		}
		if nd.cores > 0 {
			fmt.Fprintf(&b, "    specs: {cores: %d, memory_gb: %g, storage_tb: %g, os: %q}\n", nd.cores, nd.memGB, nd.storTB, nd.os)
		}
		if len(nd.services) > 0 {
			fmt.Fprintf(&b, "    services: [%s]\n", strings.Join(nd.services, ", "))
		}
	}
	b.WriteString("links:\n")
	for _, l := range links {
		if l.label != "" {
			fmt.Fprintf(&b, "  - {from: %s, to: %s, type: %s, label: %q}\n", l.from, l.to, l.typ, l.label)
		} else {
			fmt.Fprintf(&b, "  - {from: %s, to: %s, type: %s}\n", l.from, l.to, l.typ)
		}
	}
	b.WriteString("services:\n")
	for _, s := range svcLines {
		b.WriteString(s)
	}
	b.WriteString("swarm:\n  name: Build Swarm\n  description: Generated build swarm.\n  agents:\n")
	for i, a := range builders[:min(8, len(builders))] {
		fmt.Fprintf(&b, "    - {id: agent-%d, name: %q, role: %s, cores: %d, memory_gb: %g, host: %s}\n", i, a.name, roleOf(a.typ), a.cores, a.memGB, a.id)
	}
	b.WriteString(`flows:
  - name: Live data
    summary: Browser to the admin server through the tunnel.
    steps:
      - {name: Browser, latency: "~2ms"}
      - {name: CF Tunnel, latency: "~20ms"}
      - {name: Backend}
decisions:
  - title: Generated lab
    body: This lab exists only to measure the admin server.
`)
	return b.String()
}

func roleOf(typ string) string {
	if typ == "orchestrator" {
		return "Build Orchestrator"
	}
	return "Build Drone"
}
