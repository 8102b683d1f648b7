package live

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/testkit/tailscalefake"
)

func TestTailscaleDiscover(t *testing.T) {
	t.Parallel()
	ts := tailscalefake.New(t, "example.com",
		tailscalefake.Device{ID: "1", Hostname: "ts-jove", Name: "ts-jove.tail1234.ts.net", OS: "linux", Addresses: []string{"100.64.0.5"},
			Tags: []string{"tag:router"}, AdvertisedRoutes: []string{"10.10.0.0/24", "10.10.20.0/24"}, EnabledRoutes: []string{"10.10.0.0/24"}, Connected: true},
		tailscalefake.Device{ID: "2", Hostname: "ts-titan", Name: "ts-titan.tail1234.ts.net", OS: "linux", Addresses: []string{"100.64.0.6"},
			AdvertisedRoutes: []string{"10.20.0.0/24"}, EnabledRoutes: []string{"10.20.0.0/24"}, LastSeen: tsTestNow.Add(-2 * time.Hour)},
		tailscalefake.Device{ID: "3", Hostname: "mara-laptop", Name: "mara-laptop.tail1234.ts.net", OS: "macOS", Addresses: []string{"100.64.0.9"}, Connected: true},
		// Advertised but not approved: no route yet.
		tailscalefake.Device{ID: "4", Hostname: "pi", Name: "pi.tail1234.ts.net", OS: "linux", AdvertisedRoutes: []string{"192.168.1.0/24"}, Connected: true},
		tailscalefake.Device{ID: "5", Hostname: "stranger", Name: "stranger.tail1234.ts.net", OS: "linux", Unauthorized: true},
	)
	src := Source{Name: "ts", Type: "tailscale", URL: ts.URL, Secret: tailscalefake.Key, Timeout: 5 * time.Second, Options: TailscaleOptions{Tailnet: "example.com"}}
	found, err := Builtin().Discover(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range found {
		got = append(got, strings.Join([]string{f.Source, f.LiveKey, f.LiveValue, f.Name, f.Type, strings.Join(f.Tags, " "), strings.Join(f.Routes, " "), linksText(f.Links)}, "|"))
	}
	want := []string{
		"ts|tailscale|ts-jove|ts-jove||tag:router|10.10.0.0/24|ts-titan tailscale subnet routes",
		"ts|tailscale|ts-titan|ts-titan|||10.20.0.0/24|",
		"ts|tailscale|mara-laptop|mara-laptop||||",
		"ts|tailscale|pi|pi||||",
	}
	if !slices.Equal(got, want) {
		t.Errorf("found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if calls := ts.Calls(); !slices.Equal(calls, []string{"GET /api/v2/tailnet/example.com/devices?fields=all"}) {
		t.Errorf("calls = %v", calls)
	}
}

func TestTailscaleDiscoverBadKey(t *testing.T) {
	t.Parallel()
	ts := tailscalefake.New(t, "-")
	src := Source{Name: "ts", Type: "tailscale", URL: ts.URL, Secret: "tskey-api-wrong", Timeout: 5 * time.Second}
	_, err := Builtin().Discover(context.Background(), src)
	if err == nil || !strings.Contains(err.Error(), "API key rejected (HTTP 401)") {
		t.Errorf("err = %v, want the key rejected", err)
	}
}

func linksText(links []FoundLink) string {
	var parts []string
	for _, l := range links {
		parts = append(parts, l.To+" "+l.Type+" "+l.Label)
	}
	return strings.Join(parts, ";")
}
