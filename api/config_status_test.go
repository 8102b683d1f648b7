package api

import (
	"context"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

// TestStatusConfigLabIDs: ids the config names are checked against
// lab.yaml when the server starts, at the config file's lines.
func TestStatusConfigLabIDs(t *testing.T) {
	cfg, err := adminconfig.Parse([]byte(`listen: 127.0.0.1:0
site: ..
state_dir: `+t.TempDir()+`
auth: {mode: dev}
incidents: {observer: no-such-host}
notify:
  - {name: hook, type: webhook, url: https://hooks.example/x, systems: [pve-io, ghost]}
maintenance:
  - {systems: [phantom], start: 2026-12-24T02:00:00Z, duration: 2h, reason: r}
`), "admin.yaml", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(context.Background(), cfg, Options{Static: static.FS(), Islands: web.Islands(), Log: quietLog()})
	for _, want := range []string{
		`admin.yaml:5: incidents.observer: no node "no-such-host" in lab.yaml`,
		`admin.yaml:7: notify[0].systems[1]: no node "ghost" in lab.yaml`,
		`admin.yaml:9: maintenance[0].systems[0]: no node "phantom" in lab.yaml`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
}
