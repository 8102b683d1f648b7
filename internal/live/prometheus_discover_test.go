package live

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/testkit/promtest"
)

// TestPrometheusDiscover asks Debian's real Prometheus for its targets.
func TestPrometheusDiscover(t *testing.T) {
	prom, _, instance := promtest.Start(t, promtest.Options{Jobs: map[string]string{"unreachable": promDeadInstance, "node-again": "nas.lab.invalid:9100"}})
	src := Source{Name: "prom", Type: "prometheus", URL: prom.URL, Timeout: 5 * time.Second}
	// The scrape manager takes the static targets up right after the
	// config loads; poll a bounded number of times until all four are in.
	var found []Found
	for range 100 {
		var err error
		found, err = Builtin().Discover(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) == 4 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	byValue := map[string]Found{}
	for _, f := range found {
		if f.Source != "prom" || f.LiveKey != "prometheus" || f.Type != "" || f.Name != f.LiveValue {
			t.Errorf("%+v", f)
		}
		byValue[f.LiveValue] = f
	}
	promInstance := strings.TrimPrefix(prom.URL, "http://")
	tests := []struct{ instance, host, jobs string }{
		{instance, "", "node"},
		{promInstance, "", "prometheus"},
		{promDeadInstance, "", "unreachable"},
		{"nas.lab.invalid:9100", "nas.lab.invalid", "node-again"},
	}
	for _, tt := range tests {
		f, ok := byValue[tt.instance]
		if !ok {
			t.Errorf("no target %s in %v", tt.instance, slices.Collect(func(y func(string) bool) {
				for k := range byValue {
					if !y(k) {
						return
					}
				}
			}))
			continue
		}
		if f.Hostname != tt.host || strings.Join(f.Tags, ",") != tt.jobs || !strings.Contains(f.Detail, "job "+tt.jobs) {
			t.Errorf("%s: host %q tags %v detail %q, want host %q jobs %s", tt.instance, f.Hostname, f.Tags, f.Detail, tt.host, tt.jobs)
		}
	}
}
