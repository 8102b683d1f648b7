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
	mu      sync.Mutex
	version uint64
	cur     *views
}

// get returns the views of version, building them with build when the
// store has changed since.
func (d *derived) get(version uint64, build func() (*views, error)) (*views, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cur == nil || d.version != version {
		v, err := build()
		if err != nil {
			return nil, err
		}
		d.cur, d.version = v, version
	}
	return d.cur, nil
}
