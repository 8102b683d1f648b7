package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/labfront/labfront/deploy"
	"github.com/labfront/labfront/internal/cfapi"
)

const (
	// kvPushTimeout bounds one push, so a hung API cannot pile pushes up.
	kvPushTimeout = 30 * time.Second
	// kvTickSlack absorbs a ticker's scheduling jitter, so a tick that
	// comes a hair early is not taken for a second push in one interval.
	kvTickSlack = time.Second
)

// kvPusher writes the public status — the body of /api/v1/status — to the
// SNAPSHOTS namespace under the key the edge worker falls back to, at most
// once per interval and only when it changed. A failed push is logged and
// counted, and retried at the next tick; it never stops the server.
type kvPusher struct {
	interval time.Duration
	// status is the current public status JSON.
	status func() ([]byte, error)
	// push writes one snapshot (deploy.Client.PushSnapshot).
	push func(ctx context.Context, data []byte) error
	// newTicker makes the ticker; tests replace it to drive the pusher.
	newTicker func(time.Duration) (<-chan time.Time, func())
	log       *slog.Logger

	pushes *prometheus.CounterVec
	lastOK prometheus.Gauge

	last    []byte    // what was last pushed, without generated_at
	lastTry time.Time // when the last write was attempted
}

// newKVPush sets the push up when the config has a KVPushInterval (every
// config read by adminconfig.Parse does), the environment has Cloudflare
// credentials and the site's wrangler.toml binds SNAPSHOTS to a real
// namespace; otherwise it logs why the push is off and returns nil.
func (s *Server) newKVPush() *kvPusher {
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
	k := &kvPusher{
		interval: s.cfg.KVPushInterval,
		status: func() ([]byte, error) {
			d, err := s.cache.get(s.store.Version(), s.derive)
			if err != nil {
				return nil, err
			}
			return d.status, nil
		},
		push: func(ctx context.Context, data []byte) error { return client.PushSnapshot(ctx, ns, data) },
		log:  s.log,
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "labfront_kv_pushes_total",
			Help: "Public status pushes to Workers KV by result: ok, error, or unchanged (nothing written).",
		}, []string{"result"}),
		lastOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "labfront_kv_push_last_success_timestamp_seconds",
			Help: "When the public status was last written to Workers KV (Unix time).",
		}),
	}
	for _, r := range []string{"ok", "error", "unchanged"} {
		k.pushes.WithLabelValues(r) // present at 0 from the start, for alerting on rate()
	}
	s.metrics.reg.MustRegister(k.pushes, k.lastOK)
	s.log.Info("KV snapshot push on", "namespace", ns, "key", deploy.SnapshotKey, "interval", k.interval)
	return k
}

// run pushes at every tick until ctx is done.
func (k *kvPusher) run(ctx context.Context) {
	newTicker := k.newTicker
	if newTicker == nil {
		newTicker = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		}
	}
	ticks, stop := newTicker(k.interval)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case at := <-ticks:
			k.tick(ctx, at)
		}
	}
}

// tick pushes the status if it changed and the last write is at least an
// interval old. The first push comes one interval after the start, so a
// server that keeps restarting does not write on every start.
func (k *kvPusher) tick(ctx context.Context, at time.Time) {
	if !k.lastTry.IsZero() && at.Sub(k.lastTry) < k.interval-kvTickSlack {
		return
	}
	data, err := k.status()
	if err != nil {
		k.log.Error("KV snapshot push: build the status", "err", err)
		k.pushes.WithLabelValues("error").Inc()
		return
	}
	key, err := statusKey(data)
	if err != nil {
		k.log.Error("KV snapshot push: read the status", "err", err)
		k.pushes.WithLabelValues("error").Inc()
		return
	}
	if k.last != nil && bytes.Equal(key, k.last) {
		k.pushes.WithLabelValues("unchanged").Inc()
		return
	}
	k.lastTry = at
	pctx, cancel := context.WithTimeout(ctx, min(k.interval, kvPushTimeout))
	defer cancel()
	if err := k.push(pctx, data); err != nil {
		if ctx.Err() != nil {
			return // shutting down
		}
		// deploy's errors name the step and the API's message, never
		// the token.
		k.log.Warn("KV snapshot push failed; the edge keeps the previous snapshot", "err", err, "retry_in", k.interval)
		k.pushes.WithLabelValues("error").Inc()
		return
	}
	k.last = key
	k.pushes.WithLabelValues("ok").Inc()
	k.lastOK.Set(float64(at.Unix()))
}

// statusKey is the status without generated_at, the time the answer was
// built: a status whose data has not moved since the last push is not
// worth a write. The sources' fetch times are kept, so while collections
// succeed the snapshot is refreshed once per interval and its age at the
// edge stays honest.
func statusKey(status []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(status, &m); err != nil {
		return nil, fmt.Errorf("decode the status: %w", err)
	}
	delete(m, "generated_at")
	return json.Marshal(m) // map keys sorted: the same data, the same bytes
}
