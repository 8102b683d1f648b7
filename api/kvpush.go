package api

import (
	"context"
	"path/filepath"

	"github.com/labfront/labfront/deploy"
	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/internal/statuspush"
)

// newKVPush sets the push up when the config has a KVPushInterval (every
// config read by adminconfig.Parse does), the environment has Cloudflare
// credentials and the site's wrangler.toml binds SNAPSHOTS to a real
// namespace; otherwise it logs why the push is off and returns nil.
func (s *Server) newKVPush() *statuspush.Pusher {
	if s.cfg.KVPushInterval <= 0 {
		// A config not read from a file (labfront serve's demo data)
		// must never overwrite the real snapshot.
		return nil
	}
	cf := deploy.ConfigFromEnv(s.cfg.Deploys.Env)
	if err := cf.RequireEnv("the KV snapshot push", cfapi.EnvAPIToken, cfapi.EnvAccountID); err != nil {
		s.log.Info("KV snapshot push off", "reason", err.Error())
		return nil
	}
	path := filepath.Join(s.cfg.Site, "wrangler.toml")
	w, err := deploy.LoadWrangler(path)
	if err != nil {
		s.log.Warn("KV snapshot push off: wrangler.toml of the site checkout cannot be read", "err", err)
		return nil
	}
	if w.SnapshotsNamespace == "" {
		s.log.Info("KV snapshot push off: wrangler.toml binds no SNAPSHOTS namespace (or only the all-zero placeholder id)", "path", path)
		return nil
	}
	cf.Wrangler = w
	client, err := deploy.NewClient(cf, s.log)
	if err != nil {
		s.log.Warn("KV snapshot push off", "err", err)
		return nil
	}
	// The next tick is the retry: a push that keeps failing must not
	// hold the pusher for minutes of backoff.
	client.Attempts = 1
	ns := w.SnapshotsNamespace
	status := func() ([]byte, error) {
		d, err := s.cache.get(s.store.Version(), s.derive)
		if err != nil {
			return nil, err
		}
		return d.status, nil
	}
	push := func(ctx context.Context, data []byte) error { return client.PushSnapshot(ctx, ns, data) }
	k := statuspush.New(s.cfg.KVPushInterval, status, push, s.log)
	s.metrics.reg.MustRegister(k.Collectors()...)
	s.log.Info("KV snapshot push on", "namespace", ns, "key", deploy.SnapshotKey, "interval", k.Interval())
	return k
}
