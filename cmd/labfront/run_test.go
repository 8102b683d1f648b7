package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/corpus"
	"github.com/labfront/labfront/internal/testkit/sitetest"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	good := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML)
	bad := sitetest.Write(t, `
-- content/site.yaml --
title: Broken
-- content/posts/2026-01-01-x.md --
---
title: X
date: 2026-01-01
colour: red
---
[gone](/blog/nowhere/)
`)
	// lab itself takes any live: key; the collector registry, wired in
	// by the CLI, knows which exist.
	badLive := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML+`
-- content/lab.yaml --
sites: [{id: home, name: Home}]
links: []
nodes:
  - id: pve
    name: PVE
    type: hypervisor
    site: home
    live: {promethues: "10.0.0.2:9100"}
`)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr []string // each must appear, in order
	}{
		{"no command", nil, exitUsage, nil},
		{"help", []string{"--help"}, exitOK, nil},
		{"unknown command", []string{"deploy-everything"}, exitUsage, []string{`unknown command "deploy-everything"`}},
		{"unknown flag", []string{"build", "--colour"}, exitUsage, []string{"flag provided but not defined: -colour"}},
		{"stray argument", []string{"check", "--src", good, "extra"}, exitUsage, []string{"check takes no arguments"}},
		{"check ok", []string{"check", "--src", good}, exitOK, nil},
		{"check problems", []string{"check", "--src", bad}, exitInput, []string{
			// Every problem of every stage, in file order: the unknown key
			// does not hide the page's broken link.
			bad + "/content/posts/2026-01-01-x.md:4: colour: unknown key",
			bad + "/content/posts/2026-01-01-x.md:6: broken link /blog/nowhere/",
			bad + "/content/site.yaml:1: base_url: required",
			"labfront: 3 problems",
		}},
		{"build problems", []string{"build", "--src", bad, "--out", filepath.Join(t.TempDir(), "d")}, exitInput, []string{"colour: unknown key"}},
		{"check a live key typo", []string{"check", "--src", badLive}, exitInput, []string{badLive + "/content/lab.yaml:8: nodes[0].live.promethues: unknown key (allowed: docker, probe, prometheus, proxmox, tailscale)"}},
		{"build a live key typo", []string{"build", "--src", badLive, "--out", filepath.Join(t.TempDir(), "d")}, exitInput, []string{"nodes[0].live.promethues: unknown key"}},
		{"new without title", []string{"new", "post"}, exitUsage, []string{"usage: labfront new post|note TITLE"}},
		{"new wrong kind", []string{"new", "page", "X"}, exitUsage, []string{`"page" is not post or note`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			rest := stderr
			for _, want := range tc.stderr {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Errorf("stderr lacks %q (in order):\n%s", want, stderr)
					break
				}
				rest = rest[i+len(want):]
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Errorf("stack trace on stderr:\n%s", stderr)
			}
		})
	}
}

func TestBrokenLinkIsReportedWithLine(t *testing.T) {
	src := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML+`
-- content/notes/n.md --
---
title: N
date: 2026-01-01
---
Line five.

See [this](/notes/missing/).
`)
	code, _, stderr := runCLI(t, "check", "--src", src)
	want := src + "/content/notes/n.md:7: broken link /notes/missing/: no page or file of the site has this URL\n"
	if code != exitInput || !strings.HasPrefix(stderr, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant it to start with:\n%s", code, stderr, want)
	}
}

// TestBrokenBundleImageIsReportedWithLine: check reports an image of a
// page bundle that has no file, with the bundle's index.md and line.
func TestBrokenBundleImageIsReportedWithLine(t *testing.T) {
	src := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML+`
-- content/posts/2026-05-01-rack-tour/index.md --
---
title: Rack tour
date: 2026-05-01
---
![the rack](img/rack.svg) is here, ![the shelf](img/shelf.png) is not.
-- content/posts/2026-05-01-rack-tour/img/rack.svg --
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 3"/>
`)
	code, _, stderr := runCLI(t, "check", "--src", src)
	want := src + "/content/posts/2026-05-01-rack-tour/index.md:5: broken link img/shelf.png: no file img/shelf.png in the bundle " + src + "/content/posts/2026-05-01-rack-tour\n"
	if code != exitInput || !strings.HasPrefix(stderr, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", code, stderr, want)
	}
}

// TestRefusedImageIsReported: an image the build cannot publish safely
// (a phone's HEIC photo) fails check and build with its path.
func TestRefusedImageIsReported(t *testing.T) {
	src := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML+`
-- content/media/phone.heic --
`+"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic\n")
	want := src + "/content/media/phone.heic: unsupported image: HEIC is not supported; use PNG, JPEG, GIF or WebP\n"
	for _, args := range [][]string{{"check", "--src", src}, {"build", "--src", src, "--out", filepath.Join(t.TempDir(), "dist")}} {
		code, _, stderr := runCLI(t, args...)
		if code != exitInput || !strings.HasPrefix(stderr, want) {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant:\n%s", args[0], code, stderr, want)
		}
	}
}

func TestNewThenBuild(t *testing.T) {
	src := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML)
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, now: func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }}
	if err := cmdNew(context.Background(), e, []string{"post", "--src", src, "Hello,", "Proxmox", "World!"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(src, "content/posts/2026-11-25-hello-proxmox-world.md")
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("new post not written: %v (stdout %q)", err, out.String())
	}
	for _, want := range []string{"title: \"Hello, Proxmox World!\"\n", "date: 2026-11-25\n", "draft: true\n"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("new post lacks %q:\n%s", want, body)
		}
	}
	if err := cmdNew(context.Background(), e, []string{"post", "--src", src, "Hello, Proxmox World!"}); err == nil {
		t.Error("a second new with the same title must not overwrite the first")
	}
	if err := cmdNew(context.Background(), e, []string{"note", "--src", src, "Ingress rules"}); err != nil {
		t.Fatal(err)
	}

	dist := filepath.Join(t.TempDir(), "dist")
	if code, _, stderr := runCLI(t, "build", "--src", src, "--out", dist); code != exitOK {
		t.Fatalf("build of the new draft site failed: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dist, "blog/hello-proxmox-world/index.html")); err == nil {
		t.Error("the new post is a draft and must not be built without --drafts")
	}
	if code, _, stderr := runCLI(t, "build", "--src", src, "--out", dist, "--drafts", "--base-url", "https://preview.lab.test/"); code != exitOK {
		t.Fatalf("build --drafts failed: %s", stderr)
	}
	page := sitetest.ReadFile(t, dist, "blog/hello-proxmox-world/index.html")
	if !strings.Contains(page, `href="https://preview.lab.test/blog/hello-proxmox-world/"`) {
		t.Error("--base-url did not change the canonical URL")
	}
	sitetest.ReadFile(t, dist, "notes/ingress-rules/index.html")
}

func TestAdminProcs(t *testing.T) {
	tests := []struct {
		name                string
		envSet              bool
		cpus, current, want int
	}{
		{"default on 2 CPUs", false, 2, 2, 4},
		{"container limited to 1 of 8", false, 8, 1, 2},
		{"GOMAXPROCS set by the operator", true, 2, 3, 3},
		{"already raised", false, 2, 4, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := adminProcs(tc.envSet, tc.cpus, tc.current); got != tc.want {
				t.Errorf("adminProcs(%v, %d, %d) = %d, want %d", tc.envSet, tc.cpus, tc.current, got, tc.want)
			}
		})
	}
}

// TestWarningsDoNotFail: a warning is printed, in path:line form, but
// check and build still succeed; among errors it counts apart.
func TestWarningsDoNotFail(t *testing.T) {
	site := "-- content/site.yaml --\n" + sitetest.MinimalSiteYAML + `
-- content/posts/2026-01-01-solo.md --
---
title: Solo
date: 2026-01-01
series: Lonely
---
Alone.
`
	src := sitetest.Write(t, site)
	warning := src + "/content/posts/2026-01-01-solo.md:4: series: warning: \"Lonely\" has only this part published"
	code, stdout, stderr := runCLI(t, "check", "--src", src)
	if code != exitOK || !strings.Contains(stderr, warning) || stdout != "ok: no problems found, 1 warning\n" {
		t.Errorf("check: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, "build", "--src", src, "--out", filepath.Join(t.TempDir(), "d"))
	if code != exitOK || !strings.Contains(stderr, warning) {
		t.Errorf("build: exit %d, stderr:\n%s", code, stderr)
	}
	bad := sitetest.Write(t, site+"-- content/posts/b.md --\n---\ntitle: B\n---\n")
	code, _, stderr = runCLI(t, "check", "--src", bad)
	if code != exitInput || !strings.Contains(stderr, "content/posts/b.md:2: date: required\n") || !strings.HasSuffix(stderr, "labfront: 1 problem, 1 warning\n") {
		t.Errorf("check with an error: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestDamagedCacheWarns: a build whose cache index has a flipped bit
// says on stderr that it ignored the cache, exits 0, and writes what a
// clean build writes.
func TestDamagedCacheWarns(t *testing.T) {
	src := t.TempDir()
	if err := corpus.Write(src, 8); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dist")
	if code, _, stderr := runCLI(t, "build", "--src", src, "--out", out); code != exitOK {
		t.Fatalf("first build: exit %d\n%s", code, stderr)
	}
	want := sitetest.Tree(t, out)
	index := filepath.Join(filepath.Dir(out), ".dist.cache", "index.gob")
	data, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x10
	if err := os.WriteFile(index, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "build", "--src", src, "--out", out)
	if code != exitOK {
		t.Fatalf("build over a damaged cache: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "build cache ignored") || !strings.Contains(stderr, "checksum mismatch") {
		t.Errorf("no warning on stderr:\n%s", stderr)
	}
	if got := sitetest.Tree(t, out); len(got) != len(want) {
		t.Fatalf("%d files, a clean build has %d", len(got), len(want))
	} else {
		for p, body := range want {
			if got[p] != body {
				t.Errorf("%s differs from the clean build", p)
			}
		}
	}
}

// bench/search.sh times the search index from the debug line --verbose
// turns on; without the flag a build logs no debug line.
func TestBuildVerboseLogsSearchIndex(t *testing.T) {
	src := sitetest.Write(t, "-- content/site.yaml --\n"+sitetest.MinimalSiteYAML+
		"-- content/posts/2026-01-02-hello.md --\n---\ntitle: Hello\ndate: 2026-01-02\n---\nProxmox backups.\n")
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"--verbose"}, true},
	} {
		args := append([]string{"build", "--src", src, "--out", filepath.Join(t.TempDir(), "dist")}, tc.args...)
		code, _, stderr := runCLI(t, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		got := strings.Contains(stderr, `level=DEBUG msg="search index"`) && strings.Contains(stderr, "duration=")
		if got != tc.want {
			t.Errorf("%v: search index debug line present = %v, want %v; stderr:\n%s", args, got, tc.want, stderr)
		}
	}
}
