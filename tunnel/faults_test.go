package tunnel

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/cloudflare-go/v6/option"

	"github.com/labfront/labfront/deploy"
	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/internal/testkit/cftest"
)

// TestProvisionThroughFaultyAPI: with creates whose answers are lost and
// requests answered 503, hung or reset, provisioning still ends with one
// tunnel and one DNS record, and a second run changes nothing.
func TestProvisionThroughFaultyAPI(t *testing.T) {
	creates := func(r *http.Request) bool { return r.Method == http.MethodPost }
	for _, tc := range []struct {
		name string
		f    cftest.Faults
	}{
		{"the first create's answer lost", cftest.Faults{LoseAnswer: 1, Only: creates, Max: 1}},
		{"both creates' answers lost", cftest.Faults{LoseAnswer: 1, Only: creates, Max: 2}},
		{"a mix of faults", cftest.Faults{Unavailable: 0.2, Hang: 0.1, Reset: 0.1, LoseAnswer: 0.1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 3; seed++ {
				s := cftest.New(t, cftest.Options{})
				p := cftest.NewFaultProxy(t, s, seed, tc.f)
				var logs bytes.Buffer
				cfg := deploy.Config{Credentials: cfapi.Credentials{APIToken: cfapi.Secret(cftest.DefaultToken), AccountID: s.Options().AccountID, BaseURL: p.APIBase, ZoneID: s.Options().ZoneID}}
				c, err := NewClient(cfg, slog.New(slog.NewTextHandler(&logs, nil)), option.WithMaxRetries(0))
				if err != nil {
					t.Fatal(err)
				}
				c.Retry.Attempts, c.Retry.Base, c.Retry.Max, c.Retry.AttemptTimeout = 12, time.Millisecond, 10*time.Millisecond, 300*time.Millisecond
				opts := ProvisionOptions{Hostname: "admin.example.com", Listen: "127.0.0.1:8443", TokenFile: filepath.Join(t.TempDir(), "token")}
				if _, err := c.Provision(context.Background(), opts); err != nil {
					t.Fatalf("seed %d: %v\n%s", seed, err, logs.String())
				}
				if n := len(s.Tunnels()); n != 1 {
					t.Errorf("seed %d: %d tunnels", seed, n)
				}
				var cnames int
				for _, r := range s.DNSRecords() {
					if strings.EqualFold(r.Name, "admin.example.com") {
						cnames++
					}
				}
				if cnames != 1 {
					t.Errorf("seed %d: %d DNS records for the host", seed, cnames)
				}
				again, err := c.Provision(context.Background(), opts)
				if err != nil {
					t.Fatalf("seed %d, second run: %v", seed, err)
				}
				if again.Created || again.DNSCreated || len(s.Tunnels()) != 1 {
					t.Errorf("seed %d: the second run changed something: %+v", seed, again)
				}
			}
		})
	}
}
