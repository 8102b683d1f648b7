package adminconfig

import "time"

const (
	// DefaultKVPushInterval spaces the public status writes to Workers KV.
	// Every push is one KV write and the free plan allows 1,000 a day:
	// every 5 minutes is at most 288, which leaves room for deploys.
	DefaultKVPushInterval = 5 * time.Minute
	// MinKVPushInterval keeps a typo from exhausting the daily writes
	// (every minute is already 1,440 a day, beyond the free plan).
	MinKVPushInterval = time.Minute
)

// parseKVPushInterval reads kv_push_interval.
func parseKVPushInterval(r reader, cfg *Config) {
	cfg.KVPushInterval = DefaultKVPushInterval
	f := r.f
	s := f.String("kv_push_interval")
	if s == "" {
		return
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil || d <= 0:
		r.doc.Errorf(f.Node("kv_push_interval"), "kv_push_interval", "must be a duration like 5m, found %q", s)
	case d < MinKVPushInterval:
		r.doc.Errorf(f.Node("kv_push_interval"), "kv_push_interval", "must be at least 1m, found %s: each push is a Workers KV write and the free plan allows 1,000 a day (5m makes at most 288)", s)
	default:
		cfg.KVPushInterval = d
	}
}
