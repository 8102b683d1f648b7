package live

import (
	"slices"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/snapshot"
)

// NodeView is everything the sources say about one node, merged.
type NodeView struct {
	ID     string
	Status string
	// Data takes each measurement from the first source (in config order)
	// that has it.
	Data NodeData
	// CheckedAt is when the freshest source that knows the node fetched.
	CheckedAt time.Time
	// Stale is set when every source that knows the node is failing.
	Stale   bool
	Reports []Report
}

// Report is one source's word on a node.
type Report struct {
	Source, State, Status, Detail string
	FetchedAt                     time.Time
}

// Nodes merges the sources' views of every lab node. A node is down when
// any source with fresh data says so, up when a source says up and none
// says down, and unknown otherwise.
func Nodes(l *lab.Lab, sources []SourceState) map[string]NodeView {
	out := make(map[string]NodeView, len(l.Nodes))
	for _, n := range l.Nodes {
		v := NodeView{ID: n.ID, Status: Unknown, Stale: true}
		up, down := false, false
		for _, src := range sources {
			if src.Last == nil {
				continue
			}
			d, ok := src.Last.Nodes[n.ID]
			if !ok {
				continue
			}
			state := src.State()
			v.Reports = append(v.Reports, Report{Source: src.Name, State: state, Status: d.Status, Detail: d.Detail, FetchedAt: src.FetchedAt})
			if state == StateLive {
				v.Stale = false
			}
			switch d.Status {
			case Up:
				up = true
			case Down:
				// A stale "down" is history, not news: it only counts when
				// nothing fresher says otherwise.
				if state == StateLive || !up {
					down = true
				}
			}
			if src.FetchedAt.After(v.CheckedAt) {
				v.CheckedAt = src.FetchedAt
			}
			mergeData(&v.Data, d)
		}
		switch {
		case down:
			v.Status = Down
		case up:
			v.Status = Up
		}
		if len(v.Reports) == 0 {
			v.Stale = false
		}
		out[n.ID] = v
	}
	return out
}

func mergeData(dst *NodeData, src NodeData) {
	first := func(a **float64, b *float64) {
		if *a == nil {
			*a = b
		}
	}
	first(&dst.CPU, src.CPU)
	first(&dst.Memory, src.Memory)
	first(&dst.Disk, src.Disk)
	first(&dst.Load, src.Load)
	first(&dst.LatencyMS, src.LatencyMS)
	if dst.Restarts == nil {
		dst.Restarts = src.Restarts
	}
	if dst.LastSeen.IsZero() {
		dst.LastSeen = src.LastSeen
	}
	for k, s := range src.Series {
		if dst.Series == nil {
			dst.Series = map[string][]Point{}
		}
		if _, ok := dst.Series[k]; !ok {
			dst.Series[k] = s
		}
	}
	if src.Detail != "" {
		if dst.Detail != "" {
			dst.Detail += "; "
		}
		dst.Detail += src.Detail
	}
}

// Alerts are the firing alerts of every source with data, stale ones
// included (the page says the source is stale), sorted by name.
func Alerts(sources []SourceState) []Alert {
	var out []Alert
	for _, s := range sources {
		if s.Last != nil {
			out = append(out, s.Last.Alerts...)
		}
	}
	slices.SortStableFunc(out, func(a, b Alert) int { return strings.Compare(a.Name+a.Node, b.Name+b.Node) })
	return out
}

// Snapshot is the merged state in the format `labfront build --snapshot`
// reads, keyed by lab.yaml ids.
func Snapshot(l *lab.Lab, sources []SourceState, now time.Time) *snapshot.Snapshot {
	s := &snapshot.Snapshot{Version: snapshot.Version, GeneratedAt: now.UTC(), Nodes: map[string]snapshot.NodeStatus{}}
	for id, v := range Nodes(l, sources) {
		s.Nodes[id] = snapshot.NodeStatus{Status: v.Status, CheckedAt: v.CheckedAt.UTC(), Detail: v.Data.Detail}
	}
	return s
}
