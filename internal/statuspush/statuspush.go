// Package statuspush writes the admin server's public status (the body
// of /api/v1/status) to Workers KV for the edge worker's fallback: at most
// once per interval and only when the data changed, counted for
// /metrics. What it pushes and how it writes are given to it.
package statuspush

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const (
	// kvPushTimeout bounds one push, so a hung API cannot pile pushes up.
	kvPushTimeout = 30 * time.Second
	// kvTickSlack absorbs a ticker's scheduling jitter, so a tick that
	// comes a hair early is not taken for a second push in one interval.
	kvTickSlack = time.Second
)

// Pusher writes the public status — the body of /api/v1/status — to the
// SNAPSHOTS namespace under the key the edge worker falls back to, at most
// once per interval and only when it changed. A failed push is logged and
// counted, and retried at the next tick; it never stops the server.
type Pusher struct {
	interval time.Duration
	// status is the current public status JSON.
	status func() ([]byte, error)
	// push writes one snapshot (deploy.Client.PushSnapshot).
	push func(ctx context.Context, data []byte) error
	// NewTicker makes the ticker; tests replace it to drive the pusher.
	NewTicker func(time.Duration) (<-chan time.Time, func())
	log       *slog.Logger

	pushes *prometheus.CounterVec
	lastOK prometheus.Gauge

	last    []byte    // what was last pushed, without generated_at
	lastTry time.Time // when the last write was attempted
}

// New is a pusher of status through push every interval, its metrics
// present at 0 from the start (for alerting on rate()).
func New(interval time.Duration, status func() ([]byte, error), push func(ctx context.Context, data []byte) error, log *slog.Logger) *Pusher {
	k := &Pusher{
		interval: interval, status: status, push: push, log: log,
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
		k.pushes.WithLabelValues(r)
	}
	return k
}

// Interval is how often the pusher may write.
func (k *Pusher) Interval() time.Duration { return k.interval }

// Collectors are the pusher's metrics, for the server's registry.
func (k *Pusher) Collectors() []prometheus.Collector {
	return []prometheus.Collector{k.pushes, k.lastOK}
}

// Run pushes at every tick until ctx is done.
func (k *Pusher) Run(ctx context.Context) {
	newTicker := k.NewTicker
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
			k.Tick(ctx, at)
		}
	}
}

// Tick pushes the status if it changed and the last write is at least an
// interval old. The first push comes one interval after the start, so a
// server that keeps restarting does not write on every start.
func (k *Pusher) Tick(ctx context.Context, at time.Time) {
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
