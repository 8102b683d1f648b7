//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// secretMark is in every file outside the site the tests link to, so a
// leak shows in dist/ whatever the file became there.
const secretMark = "SECRET-7d1e0c"

// TestSiteSymlinks: build and check refuse every symlink that leads out
// of the site and every special file, wherever the build reads from
// (static/, content/, lab.yaml, site.yaml, web/ts islands), with
// "path: reason" and exit 1, and write nothing; a symlink that stays
// inside the site is followed.
func TestSiteSymlinks(t *testing.T) {
	t.Setenv("LABFRONT_TEST_SECRET", secretMark) // for /proc/self/environ
	for _, tc := range []struct {
		name string
		// link is created at path, pointing at target; $OUT is a folder
		// outside the site holding secret.txt, secret.md, lab.yaml,
		// site.yaml, x.ts and posts/leak.md, all with secretMark.
		path, target string
		fifo         bool   // make path a FIFO instead
		refused      string // the problem's path and reason; "" when allowed
		published    string // for allowed links: a file of dist/ that must exist
	}{
		{name: "static to proc environ", path: "static/env.txt", target: "/proc/self/environ", refused: "static/env.txt: symlink outside the site"},
		{name: "static to etc passwd", path: "static/passwd.txt", target: "/etc/passwd", refused: "static/passwd.txt: symlink outside the site"},
		{name: "static relative way out", path: "static/x.txt", target: "../../out/secret.txt", refused: "static/x.txt: symlink outside the site"},
		{name: "static folder outside", path: "static/vendor", target: "$OUT", refused: "static/vendor: symlink outside the site"},
		{name: "static itself outside", path: "static", target: "$OUT", refused: "static: symlink outside the site"},
		{name: "post to etc passwd", path: "content/posts/2026-01-02-passwd.md", target: "/etc/passwd", refused: "content/posts/2026-01-02-passwd.md: symlink outside the site"},
		{name: "post outside", path: "content/posts/2026-01-02-leak.md", target: "$OUT/secret.md", refused: "content/posts/2026-01-02-leak.md: symlink outside the site"},
		{name: "notes folder outside", path: "content/notes", target: "$OUT/posts", refused: "content/notes: symlink outside the site"},
		{name: "lab.yaml outside", path: "content/lab.yaml", target: "$OUT/lab.yaml", refused: "content/lab.yaml: symlink outside the site"},
		{name: "site.yaml outside", path: "content/site.yaml", target: "$OUT/site.yaml", refused: "content/site.yaml: symlink outside the site"},
		{name: "island outside", path: "web/ts/x.ts", target: "$OUT/x.ts", refused: "web/ts/x.ts: symlink outside the site"},
		{name: "fifo in static", path: "static/pipe.css", fifo: true, refused: "static/pipe.css: not a regular file"},
		{name: "fifo as a post", path: "content/posts/2026-01-03-pipe.md", fifo: true, refused: "content/posts/2026-01-03-pipe.md: not a regular file"},
		{name: "static link inside", path: "static/alias.css", target: "site.css", published: "assets/alias."},
		{name: "post link inside", path: "content/posts/2026-01-04-again.md", target: "../drafts/again.md", published: "blog/again/index.html"},
		{name: "static folder inside", path: "static/icons", target: "../art", refused: "static/icons: symlink to a folder: folders are not followed through symlinks (move the folder, or link its files)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			src, outside := filepath.Join(base, "site"), filepath.Join(base, "out")
			sitetest.WriteInto(t, src, `
-- content/site.yaml --
`+sitetest.MinimalSiteYAML+`
-- content/posts/2026-01-01-hello.md --
---
title: Hello
date: 2026-01-01
---
Hello.
-- content/drafts/again.md --
---
title: Again
date: 2026-01-04
---
Again.
-- static/site.css --
body { color: black }
-- art/logo.svg --
<svg xmlns="http://www.w3.org/2000/svg"/>
-- web/ts/topology.ts --
export {};
`)
			sitetest.WriteInto(t, outside, `
-- secret.txt --
`+secretMark+`
-- secret.md --
---
title: `+secretMark+`
date: 2026-01-02
---
`+secretMark+`
-- posts/leak.md --
---
title: `+secretMark+`
date: 2026-01-02
---
`+secretMark+`
-- site.yaml --
title: `+secretMark+`
base_url: https://lab.test
-- lab.yaml --
title: `+secretMark+`
sites: []
nodes: []
links: []
-- x.ts --
console.log("`+secretMark+`");
`)
			p := filepath.Join(src, filepath.FromSlash(tc.path))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
			if tc.fifo {
				if err := syscall.Mkfifo(p, 0o644); err != nil {
					t.Skipf("no FIFOs: %v", err)
				}
			} else if err := os.Symlink(strings.ReplaceAll(tc.target, "$OUT", outside), p); err != nil {
				t.Fatal(err)
			}
			dist := filepath.Join(base, "dist")
			for _, args := range [][]string{{"check", "--src", src}, {"build", "--src", src, "--out", dist}} {
				code, stdout, stderr := runCLI(t, args...)
				if strings.Contains(stdout+stderr, secretMark) {
					t.Errorf("%s shows the secret:\n%s%s", args[0], stdout, stderr)
				}
				if tc.refused == "" {
					if code != exitOK {
						t.Errorf("%s: exit %d, want 0; stderr:\n%s", args[0], code, stderr)
					}
					continue
				}
				want := filepath.ToSlash(src) + "/" + tc.refused + "\n"
				if code != exitInput || !strings.Contains(stderr, want) {
					t.Errorf("%s: exit %d, stderr:\n%s\nwant exit 1 and %q", args[0], code, stderr, want)
				}
			}
			if tc.refused != "" {
				if _, err := os.Stat(dist); !os.IsNotExist(err) {
					t.Errorf("a refused build wrote %s: %v", dist, err)
				}
				return
			}
			tree := sitetest.Tree(t, dist)
			found := false
			for name, data := range tree {
				if strings.Contains(data, secretMark) {
					t.Errorf("%s carries the secret", name)
				}
				found = found || strings.HasPrefix(name, tc.published)
			}
			if !found {
				t.Errorf("no %s* in dist/", tc.published)
			}
		})
	}
}
