package main

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/corpus"
	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// TestKilledBuildLeavesNoStaging SIGKILLs real builds while they write
// their staging directory beside dist/, then checks that dist/ is still
// the last good build and that the next build removes every staging
// directory the killed ones left (a dev server or CI killed again and
// again must not fill the disk).
func TestKilledBuildLeavesNoStaging(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and a 1,500-post site")
	}
	bin := buildBinary(t)
	src := t.TempDir()
	if err := corpus.Write(src, 1500); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "dist")
	build := func(args ...string) *exec.Cmd {
		return exec.Command(bin, append([]string{"build", "--src", src, "--out", out}, args...)...)
	}
	if b, err := build().CombinedOutput(); err != nil {
		t.Fatalf("first build: %v\n%s", err, b)
	}
	home, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	staging := func() []string {
		m, err := filepath.Glob(filepath.Join(parent, ".dist.new-*"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	killed := 0
	for range 3 {
		cmd := build("--clean") // a full build: every file goes to staging
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill it once its staging directory holds pages; bounded wait.
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if dirs := staging(); len(dirs) > 0 {
				if _, err := os.Stat(filepath.Join(dirs[0], "site", "blog")); err == nil {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok && ee.Sys().(syscall.WaitStatus).Signaled() {
			killed++
		}
	}
	if killed == 0 {
		t.Fatal("no build was killed in time; the test proves nothing")
	}
	if n := len(staging()); n == 0 {
		t.Fatal("the killed builds left no staging directory; the test proves nothing")
	}
	if got, err := os.ReadFile(filepath.Join(out, "index.html")); err != nil || string(got) != string(home) {
		t.Fatalf("dist/ changed under killed builds: err %v", err)
	}
	b, err := build().CombinedOutput()
	if err != nil {
		t.Fatalf("build after the kills: %v\n%s", err, b)
	}
	if left := staging(); len(left) > 0 {
		t.Errorf("left behind after a good build: %v", left)
	}
	if !strings.Contains(string(b), "removed a staging directory") {
		t.Errorf("the build did not say what it removed:\n%s", b)
	}
}

// crashSite is a built corpus site: src (version 1 until edited), its
// dist/ and the folder that holds dist/ and its cache.
type crashSite struct {
	bin, src, parent, out string
}

func newCrashSite(t *testing.T, bin string, posts int) *crashSite {
	t.Helper()
	s := &crashSite{bin: bin, src: t.TempDir(), parent: t.TempDir()}
	s.out = filepath.Join(s.parent, "dist")
	if err := corpus.Write(s.src, posts); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *crashSite) build(args ...string) *exec.Cmd {
	return exec.Command(s.bin, append([]string{"build", "--src", s.src, "--out", s.out}, args...)...)
}

func (s *crashSite) mustBuild(t *testing.T, args ...string) string {
	t.Helper()
	b, err := s.build(args...).CombinedOutput()
	if err != nil {
		t.Fatalf("build %v: %v\n%s", args, err, b)
	}
	return string(b)
}

// leftovers lists what is beside dist/ besides its build cache.
func (s *crashSite) leftovers(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(s.parent)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		if e.Name() != "dist" && e.Name() != ".dist.cache" {
			left = append(left, e.Name())
		}
	}
	return left
}

// whole reports which version dist/ wholly is (1 or 2), 0 for neither
// and -1 when it is missing.
func (s *crashSite) whole(t *testing.T, v1, v2 map[string]string) int {
	t.Helper()
	if _, err := os.Stat(s.out); err != nil {
		return -1
	}
	switch tree := sitetest.Tree(t, s.out); {
	case maps.Equal(tree, v1):
		return 1
	case maps.Equal(tree, v2):
		return 2
	}
	return 0
}

// recovers checks that the build after a killed one makes dist/ the
// clean build of version 2, leaves nothing beside it, and leaves a
// cache the build after it trusts (nothing written).
func (s *crashSite) recovers(t *testing.T, v2 map[string]string, what string) {
	t.Helper()
	s.mustBuild(t)
	if !maps.Equal(sitetest.Tree(t, s.out), v2) {
		t.Errorf("%s: the next build's dist/ differs from a clean build", what)
	}
	if left := s.leftovers(t); len(left) > 0 {
		t.Errorf("%s: the next build left %v", what, left)
	}
	// The index, the search index's analysed bodies, and at most one
	// spare tree (after an incremental build).
	cache, err := os.ReadDir(filepath.Join(s.parent, ".dist.cache"))
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	index := false
	for _, e := range cache {
		switch e.Name() {
		case "index.gob":
			index = true
		case "search.cache":
		default:
			extra = append(extra, e.Name())
		}
	}
	if !index || len(extra) > 1 || (len(extra) == 1 && !strings.HasPrefix(extra[0], "spare")) {
		t.Errorf("%s: the cache holds %v, want index.gob, search.cache and at most one spare tree", what, cache)
	}
	if log := s.mustBuild(t); !strings.Contains(log, " written=0 ") || !maps.Equal(sitetest.Tree(t, s.out), v2) {
		t.Errorf("%s: the build after that did not start from a good cache:\n%s", what, log)
	}
}

// cleanVersions builds version 1 and version 2 of a corpus of posts
// cleanly and returns their trees.
func cleanVersions(t *testing.T, bin string, posts int) (v1, v2 map[string]string) {
	t.Helper()
	s := newCrashSite(t, bin, posts)
	s.mustBuild(t, "--clean")
	v1 = sitetest.Tree(t, s.out)
	if err := corpus.Edit(s.src); err != nil {
		t.Fatal(err)
	}
	s.mustBuild(t, "--clean")
	v2 = sitetest.Tree(t, s.out)
	return v1, v2
}

func killedBySIGKILL(err error) bool {
	ee, ok := err.(*exec.ExitError)
	return ok && ee.Sys().(syscall.WaitStatus).Signaled() && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
}

// TestBuildKilledAtEveryRename SIGKILLs real builds (the
// LABFRONT_TEST_KILL_AT_RENAME hook) just before and just after every
// rename of the publish step, incremental and full: dist/ must then be
// wholly the previous site or wholly the new one, and the next build
// must give a clean build's dist/, no staging directory or old tree
// beside it, and a cache the build after it can trust.
func TestBuildKilledAtEveryRename(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills many builds")
	}
	bin := buildBinary(t)
	const posts = 30
	v1, v2 := cleanVersions(t, bin, posts)
	for _, mode := range []struct {
		name string
		args []string
	}{{"incremental", nil}, {"full", []string{"--clean"}}} {
		t.Run(mode.name, func(t *testing.T) {
			const maxRenames = 8 // a bound: the publish step has a few
			renames := 0
		points:
			for n := 1; n <= maxRenames; n++ {
				for _, when := range []string{"before", "after"} {
					point := fmt.Sprintf("%s-%d", when, n)
					s := newCrashSite(t, bin, posts)
					// Twice: the second keeps a spare tree in the cache,
					// which the next incremental build takes up.
					s.mustBuild(t)
					s.mustBuild(t)
					if err := corpus.Edit(s.src); err != nil {
						t.Fatal(err)
					}
					cmd := s.build(mode.args...)
					cmd.Env = append(os.Environ(), killAtRenameEnv+"="+point)
					b, err := cmd.CombinedOutput()
					if err == nil {
						if when != "before" {
							t.Fatalf("%s: the build passed its kill point:\n%s", point, b)
						}
						renames = n - 1
						if got := s.whole(t, v1, v2); got != 2 {
							t.Fatalf("%s: an unkilled build's dist/ is not the clean build (%d)", point, got)
						}
						break points
					}
					if !killedBySIGKILL(err) {
						t.Fatalf("%s: %v\n%s", point, err, b)
					}
					switch got := s.whole(t, v1, v2); got {
					case -1:
						t.Errorf("killed %s: dist/ is missing", point)
					case 0:
						t.Errorf("killed %s: dist/ is neither the old site nor the new one", point)
					}
					s.recovers(t, v2, "killed "+point)
				}
			}
			if renames < 2 {
				t.Fatalf("%d renames hooked, want at least the swap and the cache index (bound %d)", renames, maxRenames)
			}
		})
	}
}

// TestBuildKilledAtRandomMoments SIGKILLs real builds of a larger site
// at deterministic pseudo-random moments of their run, incremental and
// full: dist/ is wholly the old site or the new one after each, and the
// next build recovers as above.
func TestBuildKilledAtRandomMoments(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and a 400-post site")
	}
	bin := buildBinary(t)
	const posts = 400
	v1, v2 := cleanVersions(t, bin, posts)
	s := newCrashSite(t, bin, posts)
	start := time.Now()
	s.mustBuild(t)
	took := time.Since(start)
	if err := corpus.Edit(s.src); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(20, 2))
	killed := 0
	const kills = 8
	for i := range kills {
		var args []string
		if i%2 == 1 {
			args = []string{"--clean"}
		}
		cmd := s.build(args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Anywhere in the run: a clean build of the new version takes
		// about as long as the first build did.
		time.Sleep(time.Duration(r.Int64N(int64(took))))
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		if killedBySIGKILL(err) {
			killed++
		}
		switch got := s.whole(t, v1, v2); got {
		case -1:
			t.Errorf("kill %d: dist/ is missing", i)
		case 0:
			t.Errorf("kill %d: dist/ is neither the old site nor the new one", i)
		}
	}
	if killed == 0 {
		t.Fatal("no build was killed before it finished; the test proves nothing")
	}
	t.Logf("%d of %d builds killed before they finished", killed, kills)
	s.recovers(t, v2, "after the random kills")
}
