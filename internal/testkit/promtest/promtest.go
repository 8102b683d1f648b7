// Package promtest runs Debian's prometheus and prometheus-node-exporter
// for tests, on free loopback ports, each in its own process group so that
// nothing outlives the test. Missing binaries skip the test, except on CI
// (CI=true), where they fail it.
package promtest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// Daemon is a process started by a test.
type Daemon struct {
	URL  string // http://127.0.0.1:PORT
	t    testing.TB
	name string
	cmd  *exec.Cmd
	out  *sitetest.SyncBuffer
	done chan struct{} // closed when the process has been waited for
	once sync.Once
}

// Options shape the Prometheus that Start runs.
type Options struct {
	// Rules is a rule file's YAML, "" for none.
	Rules string
	// Jobs are extra scrape jobs: job name → target.
	Jobs map[string]string
}

// Start runs a node exporter and a Prometheus scraping it (job "node"),
// itself (job "prometheus") and the extra jobs every second. instance is
// the exporter's instance label.
func Start(t testing.TB, o Options) (prom, exporter *Daemon, instance string) {
	t.Helper()
	promBin, exporterBin := Binary(t, "prometheus"), Binary(t, "prometheus-node-exporter")
	exporter = StartDaemon(t, "node-exporter", "/metrics", func(addr string) []string {
		return []string{exporterBin, "--web.listen-address=" + addr, "--no-collector.systemd"}
	})
	instance = strings.TrimPrefix(exporter.URL, "http://")
	dir, storage := t.TempDir(), t.TempDir()
	var rules string
	if o.Rules != "" {
		rules = filepath.Join(dir, "rules.yml")
		writeFile(t, rules, o.Rules)
	}
	prom = StartDaemon(t, "prometheus", "/-/ready", func(addr string) []string {
		var b strings.Builder
		b.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n")
		if rules != "" {
			fmt.Fprintf(&b, "rule_files: [%q]\n", rules)
		}
		b.WriteString("scrape_configs:\n")
		jobs := map[string]string{"prometheus": addr, "node": instance}
		for k, v := range o.Jobs {
			jobs[k] = v
		}
		names := make([]string, 0, len(jobs))
		for k := range jobs {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, name := range names {
			fmt.Fprintf(&b, "  - job_name: %s\n    static_configs: [{targets: [%q]}]\n", name, jobs[name])
		}
		cfg := filepath.Join(dir, "prometheus.yml")
		writeFile(t, cfg, b.String())
		return []string{promBin, "--config.file=" + cfg, "--storage.tsdb.path=" + storage, "--web.listen-address=" + addr}
	})
	return prom, exporter, instance
}

// Binary finds a program, skipping the test when it is missing (failing
// it on CI).
func Binary(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required on CI: %v", name, err)
		}
		t.Skipf("%s not installed (apt-get install prometheus prometheus-node-exporter): %v", name, err)
	}
	return path
}

func writeFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// StartDaemon starts args(addr) on a free loopback port and waits until
// readyPath answers 200 there. A port picked by listening on :0 can be
// taken again before the daemon binds it, so a daemon that exits early is
// retried on another port.
func StartDaemon(t testing.TB, name, readyPath string, args func(addr string) []string) *Daemon {
	t.Helper()
	var lastErr error
	for range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		if err := ln.Close(); err != nil {
			t.Fatal(err)
		}
		argv := args(addr)
		d := &Daemon{t: t, name: name, URL: "http://" + addr, cmd: exec.Command(argv[0], argv[1:]...), out: &sitetest.SyncBuffer{}, done: make(chan struct{})}
		d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
		d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		// Wait also waits for the output copy; a forked child holding the
		// pipe would make it hang.
		d.cmd.WaitDelay = time.Second
		if err := d.cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		go func() {
			// Stop kills the process, so its exit status says nothing.
			_ = d.cmd.Wait()
			close(d.done)
		}()
		t.Cleanup(func() {
			d.Stop()
			if t.Failed() {
				t.Logf("%s output:\n%s", name, d.out.String())
			}
		})
		if lastErr = d.waitReady(d.URL + readyPath); lastErr == nil {
			return d
		}
		d.Stop()
	}
	t.Fatalf("%s did not start: %v", name, lastErr)
	return nil
}

func (d *Daemon) waitReady(url string) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-d.done:
			return fmt.Errorf("%s exited: %s\n%s", d.name, d.cmd.ProcessState, d.out.String())
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			if cerr := resp.Body.Close(); cerr != nil {
				return cerr
			}
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s: %s", url, resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after 10 s: %w", d.name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop kills the daemon's process group and waits for it, so no zombie or
// orphan outlives the test. It is safe to call more than once.
func (d *Daemon) Stop() {
	d.once.Do(func() {
		// ESRCH: the group is already gone.
		if err := syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			d.t.Errorf("kill %s: %v", d.name, err)
			return
		}
		<-d.done
	})
}
