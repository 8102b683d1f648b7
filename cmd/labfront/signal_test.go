package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// bigExport writes a legitimate export of n published posts, each a few
// kilobytes that mention the lab's services, so an import takes long
// enough (seconds) to be interrupted in the middle.
func bigExport(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, err := zw.Create("posts.csv")
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "post_id,post_date,is_published,type,audience,title")
	for i := range n {
		fmt.Fprintf(bw, "%d.post-%d,2026-01-%02dT08:00:00.000Z,true,newsletter,everyone,Post %d\n", 1000+i, i, 1+i%28, i)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	para := strings.Repeat("<p>K3s schedules the Prefect flows; Postgres keeps their state and Prometheus watches both over Tailscale.</p>\n", 40)
	for i := range n {
		w, err := zw.Create(fmt.Sprintf("posts/%d.post-%d.html", 1000+i, i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fmt.Fprintf(w, "<h2>Method %d</h2>\n%s<h2>Architecture</h2>\n%s", i, para, para); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(zw.Close(), f.Close()); err != nil {
		t.Fatal(err)
	}
	return path
}

// buildBinary builds labfront into a temporary directory, for tests
// that run (and signal) the real process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "labfront")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestSignalStopsImport runs the real binary on a large export, sends
// SIGINT (and, in a second run, SIGTERM) once the import has staged its
// first file, and checks that it stops within a bounded wait, exits 130
// (143), says so, and leaves no inbox file, staging folder or temp file.
func TestSignalStopsImport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	export := bigExport(t, 4000)
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		name string
	}{
		{syscall.SIGINT, 130, "SIGINT"},
		{syscall.SIGTERM, 143, "SIGTERM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := sitetest.Write(t, substackSite)
			inbox := filepath.Join(src, "content", "substack")
			var stdout, stderr sitetest.SyncBuffer
			cmd := exec.Command(bin, "import", "substack", "--src", src, export)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			// Wait, boundedly, for the first staged article: the
			// import is then in the middle of writing.
			started := false
			for range 3000 {
				if m, err := filepath.Glob(filepath.Join(inbox, ".import-*", "*.md")); err == nil && len(m) > 0 {
					started = true
					break
				}
				select {
				case err := <-exited:
					t.Fatalf("import ended before it was interrupted (%v); stderr:\n%s", err, stderr.String())
				case <-time.After(10 * time.Millisecond):
				}
			}
			if !started {
				t.Fatal("the import never staged a file")
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-exited:
			case <-time.After(60 * time.Second):
				if kerr := cmd.Process.Kill(); kerr != nil {
					t.Log(kerr)
				}
				<-exited
				t.Fatalf("still running 60 s after %s", tc.name)
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
				t.Fatalf("exit: %v, want code %d; stderr:\n%s", err, tc.code, stderr.String())
			}
			if msg := stderr.String(); !strings.Contains(msg, "interrupted by "+tc.name) || !strings.Contains(msg, "nothing was written") {
				t.Errorf("stderr does not say it was interrupted and wrote nothing:\n%s", msg)
			}
			var left []string
			walkErr := filepath.WalkDir(inbox, func(p string, d fs.DirEntry, err error) error {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				if err != nil {
					return err
				}
				if p != inbox {
					left = append(left, p)
				}
				return nil
			})
			if walkErr != nil {
				t.Fatal(walkErr)
			}
			if len(left) > 0 {
				t.Errorf("an interrupted import left %q", left)
			}
		})
	}
}

// TestInterruptedCommands: every command run with a context a signal has
// cancelled stops, exits 128 + the signal's number, and writes nothing:
// no dist/, no inbox file, no note. (TestSignalStopsImport sends a real
// signal to a running import; this covers the other commands in-process.)
func TestInterruptedCommands(t *testing.T) {
	for _, tc := range []struct {
		name string
		args func(src, out string) []string
		sig  syscall.Signal
		code int
	}{
		{"build", func(src, out string) []string { return []string{"build", "--src", src, "--out", out} }, syscall.SIGINT, 130},
		{"check", func(src, _ string) []string { return []string{"check", "--src", src} }, syscall.SIGTERM, 143},
		{"import", func(src, _ string) []string { return []string{"import", "substack", "--src", src, seed} }, syscall.SIGINT, 130},
		{"promote", func(src, _ string) []string {
			return []string{"promote", "--src", src, filepath.Join(src, "content", "substack", "x.md")}
		}, syscall.SIGTERM, 143},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := sitetest.Write(t, substackSite)
			out := filepath.Join(t.TempDir(), "dist")
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(interrupted{sig: tc.sig})
			var stdout, stderr bytes.Buffer
			code := run(ctx, tc.args(src, out), &stdout, &stderr)
			if code != tc.code || !strings.Contains(stderr.String(), "interrupted by "+interrupted{sig: tc.sig}.name()) {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			for _, dir := range []string{out, filepath.Join(src, "content", "substack"), filepath.Join(src, "content", "notes")} {
				if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s exists after an interrupted %s", dir, tc.name)
				}
			}
		})
	}
}
