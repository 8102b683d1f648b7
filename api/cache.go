package api

import (
	"sync"

	"github.com/labfront/labfront/templates"
)

// views is what the busiest answers compute from the store: a dashboard of
// 500 nodes or the public status must not be recomputed for every request
// between two collections. A views value is never modified once built.
type views struct {
	status []byte // /api/v1/status body
	nodes  []byte // the dashboard's rendered node tables
	shown  int    // how many nodes those tables show
	counts map[string]int
	// all is every node's row in lab order, for /admin/nodes.
	all []siteRow
}

// siteRow is a node's dashboard row with the site it is listed under.
type siteRow struct {
	site, role string
	row        templates.NodeRow
}

// derived caches the views of one store version.
type derived struct {
	// building is held by the one request that builds the views of a new
	// version; mu guards the fields below and is never held for long.
	building sync.Mutex
	mu       sync.Mutex
	version  uint64
	cur      *views
}

// get returns the views of version, building them with build when the
// store has changed since. While one request builds (milliseconds for a
// 500-node lab), the others are answered from the previous version rather
// than queued behind it: under load, queueing every request behind each
// collection's rebuild was the admin server's worst latency. A request
// with nothing to fall back on, or nobody building, builds and waits, so
// a client that reloads after a change always sees it.
func (d *derived) get(version uint64, build func() (*views, error)) (*views, error) {
	d.mu.Lock()
	cur, fresh := d.cur, d.cur != nil && d.version == version
	d.mu.Unlock()
	if fresh {
		return cur, nil
	}
	if cur == nil {
		d.building.Lock()
	} else if !d.building.TryLock() {
		return cur, nil
	}
	defer d.building.Unlock()
	d.mu.Lock()
	cur, fresh = d.cur, d.cur != nil && d.version == version
	d.mu.Unlock()
	if fresh {
		return cur, nil // built while this request waited
	}
	v, err := build()
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.cur, d.version = v, version
	d.mu.Unlock()
	return v, nil
}
