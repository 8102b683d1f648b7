// Package snapshot defines the status snapshot: the last known state of
// every node, written by the admin server and read by `labfront build
// --snapshot`, the edge worker and the public status page. The format is
// JSON so every one of them can read it:
//
//	{
//	  "version": 1,
//	  "generated_at": "2026-11-25T14:02:00Z",
//	  "nodes": {
//	    "pve-io": {"status": "up", "checked_at": "2026-11-25T14:01:55Z", "detail": "load 0.42"},
//	    "nas":    {"status": "down", "checked_at": "2026-11-25T13:58:10Z"}
//	  }
//	}
//
// status is up, down or unknown; nodes are keyed by lab.yaml id (public ids
// in the copy published to dist/).
package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/lab"
)

// Version is the format version this package writes and reads.
const Version = 1

// Statuses a node can have.
const (
	Up      = "up"
	Down    = "down"
	Unknown = "unknown"
)

// Snapshot is the last known state of the lab.
type Snapshot struct {
	Version     int                   `json:"version"`
	GeneratedAt time.Time             `json:"generated_at,omitzero"`
	Nodes       map[string]NodeStatus `json:"nodes"`
	// History is the status history (history.go), absent from snapshots
	// of a server that keeps none.
	History *History `json:"history,omitempty"`
}

// NodeStatus is one node's last known state.
type NodeStatus struct {
	Status    string    `json:"status"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
	Detail    string    `json:"detail,omitempty"`
}

// Load reads and validates a snapshot file; problems name the file and the
// line.
func Load(path string) (*Snapshot, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// Parse decodes and validates snapshot JSON.
func Parse(data []byte, display string) (*Snapshot, error) {
	var probs diag.List
	var s Snapshot
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		probs.Add(display, lineOf(data, dec.InputOffset(), err), "", "invalid snapshot JSON: %v", err)
		return nil, probs.Err()
	}
	if s.Version != Version {
		probs.Add(display, 0, "version", "unsupported snapshot version %d (this labfront reads %d)", s.Version, Version)
	}
	if s.GeneratedAt.IsZero() {
		probs.Add(display, 0, "generated_at", "required")
	}
	for _, id := range s.IDs() {
		if st := s.Nodes[id].Status; st != Up && st != Down && st != Unknown {
			probs.Add(display, 0, "nodes."+id+".status", "must be up, down or unknown, found %q", st)
		}
	}
	if s.History != nil {
		for id, nh := range s.History.Nodes {
			for i, d := range nh.Days {
				if !slices.Contains(dayStatuses, d.Status) {
					probs.Add(display, 0, fmt.Sprintf("history.nodes.%s.days[%d].status", id, i), "must be up, partial, down, maintenance or unknown, found %q", d.Status)
				}
			}
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return &s, nil
}

// lineOf finds the line of a decoding error: syntax and type errors carry
// their own offset, which is better than the decoder's position.
func lineOf(data []byte, at int64, err error) int {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		at = se.Offset
	case errors.As(err, &te):
		at = te.Offset
	}
	at = min(at, int64(len(data)))
	return bytes.Count(data[:at], []byte("\n")) + 1
}

// IDs are the node ids, sorted.
func (s *Snapshot) IDs() []string {
	ids := make([]string, 0, len(s.Nodes))
	for id := range s.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Status returns the status of a node, Unknown when absent.
func (s *Snapshot) Status(id string) NodeStatus {
	if s == nil {
		return NodeStatus{Status: Unknown}
	}
	if st, ok := s.Nodes[id]; ok {
		return st
	}
	return NodeStatus{Status: Unknown}
}

// Public keeps the public nodes of l under their public ids, with every
// public node present (unknown when the snapshot lacks it). Details are
// dropped: they come from internal checks and may name internal things.
func Public(s *Snapshot, l *lab.Lab) *Snapshot {
	out := &Snapshot{Version: Version, Nodes: map[string]NodeStatus{}}
	if s != nil {
		out.GeneratedAt = s.GeneratedAt
	}
	ids := l.PublicIDs()
	for _, n := range l.Nodes {
		pid, ok := ids[n.ID]
		if !ok {
			continue
		}
		st := s.Status(n.ID)
		out.Nodes[pid] = NodeStatus{Status: st.Status, CheckedAt: st.CheckedAt}
	}
	if s != nil {
		out.History = publicHistory(s.History, l)
	}
	return out
}

// Marshal encodes a snapshot deterministically (map keys sorted).
func (s *Snapshot) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	return append(b, '\n'), nil
}

// Counts tallies statuses, for summaries ("12 up, 1 down").
func (s *Snapshot) Counts() map[string]int {
	c := map[string]int{}
	for _, id := range s.IDs() {
		c[s.Nodes[id].Status]++
	}
	return c
}
