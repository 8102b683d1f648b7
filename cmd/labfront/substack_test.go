package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// substackSite is a site with a publication URL and a lab that has the
// services the seed article mentions.
const substackSite = `
-- content/site.yaml --
title: Test Lab
base_url: https://lab.test
substack: https://example.substack.com
-- content/lab.yaml --
sites: [{id: home, name: Home}]
nodes:
  - {id: pve, name: pve, type: hypervisor, site: home}
  - {id: k3s-srv, name: k3s-srv, type: vm, site: home, parent: pve, services: [k3s, prefect, postgres]}
  - {id: ts, name: ts, type: vpn, site: home, parent: pve, services: [tailscale]}
  - {id: mon, name: mon, type: container, site: home, parent: pve, services: [prometheus]}
  - {id: ai, name: ai, type: vm, site: home, parent: pve, services: [ollama]}
links: [{from: pve, to: k3s-srv, type: lan}]
services:
  - {id: k3s, name: K3s, category: Core, description: Kubernetes, tech: Kubernetes, node: k3s-srv}
  - {id: prefect, name: Prefect, category: Core, description: DAGs, tech: Python, node: k3s-srv}
  - {id: postgres, name: Postgres, category: Core, description: State, tech: PostgreSQL, node: k3s-srv}
  - {id: tailscale, name: Tailscale, category: Core, description: Mesh, tech: WireGuard, node: ts}
  - {id: prometheus, name: Prometheus, category: Core, description: Metrics, tech: TSDB, node: mon}
  - {id: ollama, name: Ollama, category: AI, description: Inference, tech: Docker, node: ai}
`

const seed = "../../internal/substack/testdata/seed-homelab-architecture.txt"

func TestImportPromoteBuild(t *testing.T) {
	src := sitetest.Write(t, substackSite)
	code, stdout, stderr := runCLI(t, "import", "substack", seed, "--src", src)
	if code != exitOK {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	inbox := "content/substack/2026-02-19-from-cron-spaghetti-to-container-orchestra.md"
	for _, want := range []string{"new ", inbox, `"From Cron Spaghetti to Container Orchestra"`, "Method · Architecture", "Prefect×", "Ollama×"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("import output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Count(stdout, "\n") != 1 {
		t.Errorf("want one line per article:\n%s", stdout)
	}
	if code, stdout, _ := runCLI(t, "import", "substack", "--src", src, seed); code != exitOK || !strings.HasPrefix(stdout, "unchanged ") {
		t.Errorf("second import: exit %d: %s", code, stdout)
	}

	code, stdout, stderr = runCLI(t, "promote", "--src", src, filepath.Join(src, inbox))
	if code != exitOK {
		t.Fatalf("promote: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "content/notes/from-cron-spaghetti-to-container-orchestra.md") || !strings.HasPrefix(stdout, "promoted ") {
		t.Errorf("promote output:\n%s", stdout)
	}
	if code, stdout, _ := runCLI(t, "promote", "--src", src, "2026-02-19-from-cron-spaghetti-to-container-orchestra.md"); code != exitOK || !strings.HasPrefix(stdout, "unchanged ") {
		t.Errorf("second promote: exit %d: %s", code, stdout)
	}
	notes, err := os.ReadDir(filepath.Join(src, "content", "notes"))
	if err != nil || len(notes) != 1 {
		t.Fatalf("notes: %v, %v", notes, err)
	}

	if code, _, stderr := runCLI(t, "check", "--src", src); code != exitOK {
		t.Fatalf("check after promote: %s", stderr)
	}
	dist := filepath.Join(t.TempDir(), "dist")
	if code, _, stderr := runCLI(t, "build", "--src", src, "--out", dist); code != exitOK {
		t.Fatalf("build: %s", stderr)
	}
	page := sitetest.ReadFile(t, dist, "notes/from-cron-spaghetti-to-container-orchestra/index.html")
	for _, want := range []string{
		`href="https://example.substack.com/p/from-cron-spaghetti-to-container-orchestra"`,
		`href="/architecture/#service-prefect"`,
		`href="/architecture/#service-ollama"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("built note lacks %s", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dist, "substack")); err == nil {
		t.Error("the inbox was published")
	}
	arch := sitetest.ReadFile(t, dist, "architecture/index.html")
	for _, id := range []string{"service-prefect", "service-ollama", "service-k3s"} {
		if !strings.Contains(arch, `id="`+id+`"`) {
			t.Errorf("architecture page has no element %s for the note's anchor", id)
		}
	}
}

func TestSubstackUsage(t *testing.T) {
	src := sitetest.Write(t, substackSite)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"import without source", []string{"import", "substack"}, exitUsage, "usage: labfront import substack FILE"},
		{"import other source", []string{"import", "medium", "x.zip"}, exitUsage, "usage: labfront import substack FILE"},
		{"import missing file", []string{"import", "substack", filepath.Join(src, "nope.zip"), "--src", src}, exitInput, "nope.zip: not a readable zip archive"},
		{"promote without file", []string{"promote", "--src", src}, exitUsage, "usage: labfront promote"},
		{"promote bad --as", []string{"promote", "--as", "essay", "x.md"}, exitUsage, `--as "essay": use note or paper`},
		{"promote missing file", []string{"promote", "--src", src, "x.md"}, exitInput, "x.md: no such inbox file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant %q", code, tc.code, stderr, tc.stderr)
			}
		})
	}
}
