package cfapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"
)

// CloudflaredMetrics is where cloudflared serves /metrics and /ready. It
// is the first port cloudflared tries on its own, pinned by `labfront
// tunnel config` so the admin server knows where to ask instead of
// guessing among 20241–20245.
const CloudflaredMetrics = "127.0.0.1:20241"

// Connection is one connection of a tunnel's connector to Cloudflare's
// edge, as the API lists it.
type Connection struct {
	Connector        string // the cloudflared instance's id
	Colo             string // the edge data centre, e.g. "ams01"
	OpenedAt         time.Time
	PendingReconnect bool
}

// tunnelAttempts is how many times a read is tried: fewer than a
// deploy's, since the admin server asks again at its next poll anyway.
const tunnelAttempts = 4

// Tunnels reads tunnels' state from the API: what the admin server's
// tunnel health needs, with a token that has only Cloudflare Tunnel: Read.
// Provisioning (package tunnel) has its own client with write access.
type Tunnels struct {
	cf        *cloudflare.Client
	accountID string
	Retry     Retry
}

// NewTunnels makes a reader for the account in c. extra options go to
// cloudflare-go after labfront's own; retries are Retry's.
func NewTunnels(c Credentials, log *slog.Logger, extra ...option.RequestOption) (*Tunnels, error) {
	if err := c.RequireEnv("the tunnel API", EnvAPIToken, EnvAccountID); err != nil {
		return nil, err
	}
	opts := append(c.ClientOptions(), option.WithMaxRetries(0))
	opts = append(opts, extra...)
	return &Tunnels{cf: cloudflare.NewClient(opts...), accountID: c.AccountID, Retry: Retry{Attempts: tunnelAttempts, Log: log}}, nil
}

// Connections lists the tunnel's live connections.
func (t *Tunnels) Connections(ctx context.Context, tunnelID string) ([]Connection, error) {
	const what = "list the tunnel's connections"
	var page []zero_trust.Client
	err := t.Retry.Do(ctx, what, func(ctx context.Context) error {
		p, err := t.cf.ZeroTrust.Tunnels.Cloudflared.Connections.Get(ctx, tunnelID, zero_trust.TunnelCloudflaredConnectionGetParams{AccountID: cloudflare.F(t.accountID)})
		if err == nil {
			page = p.Result
		}
		return err
	})
	if err != nil {
		return nil, t.explain(err, what)
	}
	var out []Connection
	for _, client := range page {
		for _, conn := range client.Conns {
			out = append(out, Connection{Connector: client.ID, Colo: conn.ColoName, OpenedAt: conn.OpenedAt, PendingReconnect: conn.IsPendingReconnect})
		}
	}
	return out, nil
}

func (t *Tunnels) explain(err error, what string) error {
	if gu := (*GaveUp)(nil); errors.As(err, &gu) {
		return err // it already names the call, the attempts and the last answer
	}
	ae, ok := AsAPIError(err)
	if !ok {
		return fmt.Errorf("%s: %w", what, err)
	}
	if ae.TokenRefused() {
		return fmt.Errorf("%s: Cloudflare refused the API token (HTTP %d: %s): check %s, that the token is for account %s, and that it has Cloudflare Tunnel: Read",
			what, ae.Status, ae.Detail, EnvAPIToken, t.accountID)
	}
	return fmt.Errorf("%s: HTTP %d: %s", what, ae.Status, ae.Detail)
}
