package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/sitetest"
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
	if err := sitetest.WriteCorpus(src, 1500); err != nil {
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
				if _, err := os.Stat(filepath.Join(dirs[0], "blog")); err == nil {
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
