package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/cache"
	"github.com/cloudflare/cloudflare-go/v6/kv"
	"github.com/cloudflare/cloudflare-go/v6/shared"

	"github.com/labfront/labfront/internal/cfapi"
)

// SnapshotKey is the KV key the edge worker reads the snapshot from.
const SnapshotKey = "status"

// PushSnapshot writes the public status snapshot (JSON) to the KV
// namespace under SnapshotKey, where the edge worker falls back to it when
// the homelab is unreachable. Each call is one KV write: the free plan
// allows 1,000 a day, so callers space them out.
func (c *Client) PushSnapshot(ctx context.Context, namespaceID string, snapshot []byte) error {
	if namespaceID == "" {
		return errors.New("push snapshot: no KV namespace id (the SNAPSHOTS binding in wrangler.toml)")
	}
	if !json.Valid(snapshot) {
		return errors.New("push snapshot: the snapshot is not valid JSON")
	}
	return c.withRetry(ctx, "push the snapshot to KV", nil, 0, func(ctx context.Context, _ string) error {
		_, err := c.cf.KV.Namespaces.Values.Update(ctx, namespaceID, SnapshotKey, kv.NamespaceValueUpdateParams{
			AccountID: cloudflare.F(c.cfg.AccountID),
			Value:     cloudflare.F[kv.NamespaceValueUpdateParamsValueUnion](shared.UnionString(snapshot)),
		})
		return err
	})
}

// maxPurgePrefixes is how many prefixes one purge request carries, the
// per-request limit Cloudflare documents for prefix purges.
const maxPurgePrefixes = 30

// PurgePrefixes purges the zone's cache (CLOUDFLARE_ZONE_ID) for URL
// prefixes, host and path without the scheme ("example.com/blog/").
func (c *Client) PurgePrefixes(ctx context.Context, prefixes []string) error {
	if c.cfg.ZoneID == "" {
		return fmt.Errorf("purge: %s is not set", cfapi.EnvZoneID)
	}
	if len(prefixes) == 0 {
		return errors.New("purge: no prefixes given")
	}
	for start := 0; start < len(prefixes); start += maxPurgePrefixes {
		chunk := prefixes[start:min(start+maxPurgePrefixes, len(prefixes))]
		err := c.withRetry(ctx, "purge the cache", nil, 0, func(ctx context.Context, _ string) error {
			_, err := c.cf.Cache.Purge(ctx, cache.CachePurgeParams{
				ZoneID: cloudflare.F(c.cfg.ZoneID),
				Body:   cache.CachePurgeParamsBodyCachePurgeFlexPurgeByPrefixes{Prefixes: cloudflare.F(chunk)},
			})
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
