package cfapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/cloudflare-go/v6"

	"github.com/labfront/labfront/internal/testkit/cftest"
)

func TestTunnelConnections(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	id := s.CreateTunnel(t, "labfront")
	opened := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	s.SetConnections(id, []cftest.Connection{
		{ClientID: "c1", ColoName: "ams01", OpenedAt: opened},
		{ClientID: "c1", ColoName: "fra02", OpenedAt: opened},
	})
	creds := Credentials{APIToken: cftest.DefaultToken, AccountID: cftest.DefaultAccountID, BaseURL: s.APIBase}
	r, err := NewTunnels(creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	conns, err := r.Connections(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(conns) != 2 || conns[0].Colo != "ams01" || conns[1].Colo != "fra02" || conns[0].Connector != "c1" || !conns[0].OpenedAt.Equal(opened) {
		t.Errorf("connections = %+v", conns)
	}
	if _, err := r.Connections(context.Background(), "6a7c0b5e-0000-4000-8000-000000000000"); err == nil || !strings.Contains(err.Error(), "Tunnel not found") {
		t.Errorf("unknown tunnel: %v", err)
	}
	creds.APIToken = "not-the-token"
	bad, err := NewTunnels(creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Connections(context.Background(), id)
	if err == nil || !strings.Contains(err.Error(), "Cloudflare refused the API token") || !strings.Contains(err.Error(), "Cloudflare Tunnel: Read") || strings.Contains(err.Error(), "not-the-token") {
		t.Errorf("refused token: %v", err)
	}
	if _, err := NewTunnels(Credentials{}, nil); err == nil || err.Error() != "the tunnel API: CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID not set" {
		t.Errorf("no credentials: %v", err)
	}
}

// TestTunnelConnectionsRetry reads through a proxy that answers the first
// requests 503, as Cloudflare's edge does in an incident.
func TestTunnelConnectionsRetry(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	id := s.CreateTunnel(t, "labfront")
	p := cftest.NewFaultProxy(t, s, 1, cftest.Faults{Unavailable: 1})
	creds := Credentials{APIToken: cftest.DefaultToken, AccountID: cftest.DefaultAccountID, BaseURL: p.APIBase}
	r, err := NewTunnels(creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Retry.Base, r.Retry.Max = time.Millisecond, 2*time.Millisecond
	_, err = r.Connections(context.Background(), id)
	if err == nil || !strings.Contains(err.Error(), "giving up after 4 attempts") {
		t.Errorf("every answer a 503: %v", err)
	}
	if n := p.Count(cftest.FaultUnavailable); n != tunnelAttempts {
		t.Errorf("%d requests, want %d", n, tunnelAttempts)
	}
}

func TestBackoff(t *testing.T) {
	r := &Retry{Base: time.Millisecond, Max: 2 * time.Millisecond, Jitter: func(d time.Duration) time.Duration { return d }}
	hdr := http.Header{"Retry-After": {"7"}}
	withRetryAfter := &cloudflare.Error{StatusCode: http.StatusServiceUnavailable, Response: &http.Response{StatusCode: http.StatusServiceUnavailable, Header: hdr}}
	for _, tc := range []struct {
		name string
		n    int
		err  error
		want time.Duration
	}{
		{"Retry-After wins over the cap", 3, withRetryAfter, 7 * time.Second},
		{"first retry", 0, errors.New("reset"), time.Millisecond},
		{"capped", 3, errors.New("reset"), 2 * time.Millisecond},
	} {
		if d := r.backoff(tc.n, tc.err); d != tc.want {
			t.Errorf("%s: backoff = %s, want %s", tc.name, d, tc.want)
		}
	}
}

func TestSecretIsRedacted(t *testing.T) {
	c := Credentials{APIToken: "tok-123", AccountID: "acc"}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%v %+v %#v %s\n", c, c, c, c.APIToken)
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("creds", "c", c, "token", c.APIToken)
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	buf.Write(b)
	if strings.Contains(buf.String(), "tok-123") || !strings.Contains(buf.String(), "acc") {
		t.Errorf("the token shows, or nothing was printed: %s", buf.String())
	}
}
