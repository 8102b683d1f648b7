// Package live collects the lab's live state — Prometheus metrics, Proxmox
// guests, Tailscale devices, probes — and keeps the last good data of every
// source, so the admin server can keep answering when part of the homelab
// is unreachable.
//
// Each source is a Collector. A collector maps what it sees onto lab.yaml
// nodes through their live: keys and returns a Result; the Poller runs
// collectors on their intervals and the Store remembers, per source, the
// last good Result, when it was fetched and the last error.
package live

import (
	"context"
	"errors"
	"time"

	"github.com/labfront/labfront/internal/lab"
)

// Collector is one source of live data.
type Collector interface {
	// Collect fetches the source's current view of the lab. It must honour
	// ctx's deadline. An error means the source is unreachable or broken;
	// the store then keeps serving the previous good result.
	Collect(ctx context.Context) (*Result, error)
}

// Actor is a collector that can also act on nodes (Proxmox: start,
// shutdown, reboot).
type Actor interface {
	Collector
	// Actions lists what the source can do to a lab node, nil for none.
	Actions(node *lab.Node) []string
	// Act performs an action on a node.
	Act(ctx context.Context, node *lab.Node, action string) error
}

// ErrUnknownAction is returned by Act for an action the node does not have.
var ErrUnknownAction = errors.New("unknown action")

// Node statuses.
const (
	Up      = "up"
	Down    = "down"
	Unknown = "unknown"
)

// Result is one successful collection.
type Result struct {
	// Nodes is keyed by lab.yaml node id (the real one, not the public id).
	Nodes map[string]NodeData `json:"nodes"`
	// Alerts are firing alerts (Prometheus).
	Alerts []Alert `json:"alerts,omitempty"`
	// Summary is what a source has to say beyond its nodes, such as a
	// tunnel's connections; the dashboard shows it beside its freshness.
	Summary string `json:"summary,omitempty"`
}

// NodeData is what one source knows about one node. Pointers are nil when
// the source does not measure that value.
type NodeData struct {
	Status string `json:"status"`
	// CPU, Memory and Disk are fractions in [0,1]; Load is the 1-minute
	// load average.
	CPU    *float64 `json:"cpu,omitempty"`
	Memory *float64 `json:"memory,omitempty"`
	Disk   *float64 `json:"disk,omitempty"`
	Load   *float64 `json:"load,omitempty"`
	// LatencyMS is a probe's response time.
	LatencyMS *float64 `json:"latency_ms,omitempty"`
	// LastSeen is when the node was last seen online (Tailscale).
	LastSeen time.Time `json:"last_seen,omitzero"`
	// Series are recent samples for sparklines, keyed by metric name
	// ("cpu", "memory", …), oldest first.
	Series map[string][]Point `json:"series,omitempty"`
	// Restarts is how often the container or pod restarted on its own
	// (Docker's RestartCount, Kubernetes' restartCount).
	Restarts *int `json:"restarts,omitempty"`
	// Detail is a short human note ("HTTP 200 in 41 ms", "running, 3d uptime").
	Detail string `json:"detail,omitempty"`
}

// Point is one sample of a series.
type Point struct {
	T time.Time `json:"t"`
	V float64   `json:"v"`
}

// Alert is a firing alert.
type Alert struct {
	Name     string    `json:"name"`
	Severity string    `json:"severity,omitempty"`
	Node     string    `json:"node,omitempty"` // lab node id when it maps to one
	Summary  string    `json:"summary,omitempty"`
	Since    time.Time `json:"since,omitzero"`
}

// Ptr is a convenience for the optional measurements.
func Ptr(v float64) *float64 { return &v }
