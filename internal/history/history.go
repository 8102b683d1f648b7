// Package history is the admin server's memory of the lab: every state
// change of every system and source and every probe latency sample, kept
// in an SQLite database under state_dir, and the uptime arithmetic that
// turns it into honest numbers and 90-day bars.
//
// Honest means: time when the admin server was not running, or when a
// source could not say, is unknown and stays a gap (never up); maintenance
// is excluded from uptime; a system that cannot be seen because its
// parent is down counts as down, the parent's outage.
package history

import (
	"time"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/yamldoc"
)

// State is what a system or source was doing.
type State string

// The states a system or source can be in. Unknown is also what every gap
// in the record reads as.
const (
	Up          State = "up"
	Down        State = "down"
	Degraded    State = "degraded"
	Unknown     State = "unknown"
	Maintenance State = "maintenance"
)

// States lists the states in the order messages name them.
var States = []State{Up, Degraded, Down, Maintenance, Unknown}

// Valid reports whether s is one of States.
func (s State) Valid() bool {
	switch s {
	case Up, Down, Degraded, Unknown, Maintenance:
		return true
	}
	return false
}

// SourceSubject is the subject a source's own state is recorded under, so
// sources and systems share one table without their ids colliding (lab
// ids never contain a colon).
func SourceSubject(name string) string { return "source:" + name }

// Config is the admin config's history: mapping.
type Config struct {
	// RetentionDays is how long daily rollups are kept (default 400).
	RetentionDays int
	// RawDays is how long state changes and latency samples are kept as
	// recorded before they are compacted into daily rollups (default 14).
	RawDays int
	// Location is the time zone of the daily buckets (time_zone, default
	// UTC): a day on the status page is the site's day.
	Location *time.Location
}

// Defaults for Config.
const (
	DefaultRetentionDays = 400
	DefaultRawDays       = 14
)

// DefaultConfig is the configuration of an admin config without history:.
func DefaultConfig() Config {
	return Config{RetentionDays: DefaultRetentionDays, RawDays: DefaultRawDays, Location: time.UTC}
}

// ParseConfig reads the history: mapping (n may be nil: defaults). Every
// problem is reported to doc at its line as history.<key>.
func ParseConfig(doc *yamldoc.Doc, n *yaml.Node) Config {
	cfg := DefaultConfig()
	if n == nil {
		return cfg
	}
	f := doc.Map(n, "history", "retention_days", "raw_days", "time_zone")
	cfg.RetentionDays = f.Int("retention_days", DefaultRetentionDays)
	cfg.RawDays = f.Int("raw_days", DefaultRawDays)
	// Seven days is the shortest window shown from raw data; fewer raw
	// days would make the 7 d uptime an estimate from rollups.
	if cfg.RawDays < 7 {
		doc.Errorf(f.Node("raw_days"), "history.raw_days", "must be at least 7 (the 7 d uptime is computed from raw data), found %d", cfg.RawDays)
		cfg.RawDays = DefaultRawDays
	}
	if cfg.RetentionDays < 90 || cfg.RetentionDays < cfg.RawDays {
		doc.Errorf(f.Node("retention_days"), "history.retention_days", "must be at least 90 (the status bars show 90 days) and at least raw_days, found %d", cfg.RetentionDays)
		cfg.RetentionDays = max(DefaultRetentionDays, cfg.RawDays)
	}
	if tz := f.String("time_zone"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			doc.Errorf(f.Node("time_zone"), "history.time_zone", "unknown time zone %q (use an IANA name like Europe/Berlin)", tz)
		} else {
			cfg.Location = loc
		}
	}
	return cfg
}
