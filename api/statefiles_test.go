package api

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/atomicfile"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

// stateServer starts a server on stateDir with a deploys: key (so the
// deploy state is loaded too) and the given state writer.
func stateServer(t *testing.T, stateDir string, write func(string, []byte, fs.FileMode) error, clk *testClock) (*Server, *stubCollector) {
	t.Helper()
	src := live.Source{Name: "Prometheus", Type: "prometheus", Interval: time.Minute, Timeout: time.Second}
	cfg := devConfig(src)
	cfg.Site, cfg.StateDir = "..", stateDir
	cfg.Deploys = adminconfig.Deploys{Enabled: true, Secret: hookSecret, Repo: filepath.Join(stateDir, "no-repo"), Branch: "main", WorkDir: filepath.Join(stateDir, "deploys")}
	stub := &stubCollector{res: &live.Result{Nodes: map[string]live.NodeData{"pve-io": {Status: live.Up}}}}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	opts := Options{Static: static.FS(), Islands: web.Islands(), Log: quietLog(), Collectors: map[string]live.Collector{src.Name: stub}, WriteState: write}
	if clk != nil {
		opts.Now = clk.now
	}
	s, err := New(ctx, cfg, opts)
	if err != nil {
		t.Fatalf("the server does not start: %v", err)
	}
	runDeploys(t, ctx, cancel, s)
	return s, stub
}

// TestDamagedStateFiles: every state file the server loads at start,
// empty, truncated, garbage or of the wrong type, is moved aside as
// NAME.corrupt-<time>; the server starts, says so in a banner, and writes
// the file afresh. Temporary files a crash left are removed. (The
// signed-out sessions have the same table in TestRevocationsFile.)
func TestDamagedStateFiles(t *testing.T) {
	files := []struct {
		name, good, wrongType string
	}{
		{"live.json", `[{"name":"Prometheus","type":"prometheus"}]`, `{"Prometheus":{"type":"prometheus"}}`},
		{"snapshot.json", `{"version":1,"generated_at":"2026-11-25T14:02:00Z","nodes":{"pve-io":{"status":"up"}}}`, `{"version":"one","nodes":[]}`},
		{"deploys/state.json", `{"deliveries":["d1"],"deployed":["abc"]}`, `{"deliveries":"d1","deployed":7}`},
	}
	for _, f := range files {
		for _, kind := range []struct{ name, content string }{
			{"empty", ""},
			{"truncated", f.good[:len(f.good)/2]},
			{"garbage", "\x1f\x8b\x08 binary junk"},
			{"wrong type", f.wrongType},
		} {
			t.Run(f.name+"/"+kind.name, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, filepath.FromSlash(f.name))
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(kind.content), 0o644); err != nil {
					t.Fatal(err)
				}
				leftover := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-12345")
				if err := os.WriteFile(leftover, []byte("half"), 0o644); err != nil {
					t.Fatal(err)
				}
				s, _ := stateServer(t, dir, nil, nil)
				moved, err := filepath.Glob(path + ".corrupt-*")
				if err != nil || len(moved) != 1 {
					t.Fatalf("moved aside: %v %v", moved, err)
				}
				if kept, err := os.ReadFile(moved[0]); err != nil || string(kept) != kind.content {
					t.Errorf("the damaged file was not kept as it was: %q %v", kept, err)
				}
				if _, err := os.Stat(leftover); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("the temporary file a crash left is still there: %v", err)
				}
				page := get(t, s.Handler(), "/admin/", nil).Body.String()
				if !strings.Contains(page, "was lost at") || !strings.Contains(page, filepath.Base(moved[0])) {
					t.Errorf("no banner names the loss of %s", f.name)
				}
				// The server carries on: a collection writes live.json and
				// snapshot.json again, and a later start finds no damage.
				if err := s.poller().Once(t.Context(), s.cfg.Sources[0], s.collectors["Prometheus"]); err != nil {
					t.Fatal(err)
				}
				if err := s.writeSnapshot(); err != nil {
					t.Fatal(err)
				}
				s.deploys.Save()
				s2, _ := stateServer(t, dir, nil, nil)
				if l := s2.files.Losses(); len(l) != 0 {
					t.Errorf("after the rewrite the next start lost %+v", l)
				}
			})
		}
	}
	// The good files load with no loss, and keep what they held.
	dir := t.TempDir()
	for _, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(f.good), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, _ := stateServer(t, dir, nil, nil)
	if l := s.files.Losses(); len(l) != 0 {
		t.Errorf("good files: losses %+v", l)
	}
	if !s.deploys.SeenDelivery("d1") {
		t.Error("deploy state not loaded: delivery d1 is not remembered")
	}
}

// failingWriter fails every state write while full is set, as a full disk
// does, and passes the rest to the real atomic write.
type failingWriter struct {
	mu    sync.Mutex
	full  bool
	tried int
}

func (w *failingWriter) write(path string, data []byte, perm fs.FileMode) error {
	w.mu.Lock()
	full := w.full
	w.tried++
	w.mu.Unlock()
	if full {
		return &fs.PathError{Op: "write", Path: path, Err: errors.New("no space left on device")}
	}
	return atomicfile.Write(path, data, perm)
}

func (w *failingWriter) set(full bool) {
	w.mu.Lock()
	w.full = full
	w.mu.Unlock()
}

// TestStateNotSaved: while state writes fail, the last good live.json is
// kept, the dashboard and /readyz say the state is not saved, and both
// clear by themselves on the first write that succeeds.
func TestStateNotSaved(t *testing.T) {
	dir := t.TempDir()
	w := &failingWriter{}
	clk := &testClock{t: time.Date(2026, 11, 25, 13, 58, 0, 0, time.UTC)}
	s, stub := stateServer(t, dir, w.write, clk)
	once := func() {
		t.Helper()
		if err := s.poller().Once(t.Context(), s.cfg.Sources[0], stub); err != nil {
			t.Fatal(err)
		}
	}
	once()
	good, err := os.ReadFile(filepath.Join(dir, "live.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rec := get(t, s.Handler(), "/readyz", nil); rec.Code != http.StatusOK {
		t.Fatalf("readyz before: %d %s", rec.Code, rec.Body.String())
	}

	w.set(true)
	clk.t = clk.t.Add(time.Minute)
	once()
	if now, err := os.ReadFile(filepath.Join(dir, "live.json")); err != nil || string(now) != string(good) {
		t.Errorf("the last good live.json was not kept: %v", err)
	}
	if rec := get(t, s.Handler(), "/readyz", nil); rec.Code != http.StatusServiceUnavailable || rec.Body.String() != "state not saved\n" {
		t.Errorf("readyz on a full disk: %d %q", rec.Code, rec.Body.String())
	}
	if page := get(t, s.Handler(), "/admin/", nil).Body.String(); !strings.Contains(page, "State not saved since 13:59") || !strings.Contains(page, "no space left on device") {
		t.Error("the dashboard does not say the state is not saved")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("a temporary file was left: %s", e.Name())
		}
	}

	w.set(false)
	clk.t = clk.t.Add(time.Minute)
	once()
	if rec := get(t, s.Handler(), "/readyz", nil); rec.Code != http.StatusOK {
		t.Errorf("readyz after recovery: %d %s", rec.Code, rec.Body.String())
	}
	if page := get(t, s.Handler(), "/admin/", nil).Body.String(); strings.Contains(page, "State not saved") {
		t.Error("the banner stays after writes succeed again")
	}
}
