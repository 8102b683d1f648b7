package content

import (
	"crypto/sha256"
	"sync"
	"time"
)

// Cache keeps loaded pages between loads of the same site, keyed by path
// and content hash, so a rebuild after one edit converts one file instead of
// all of them. The dev server holds one for its whole run. Pages are never
// modified after loading, so sharing them between builds is safe.
type Cache struct {
	mu     sync.Mutex
	pages  map[string]cached
	settle time.Duration // see Stamp
}

type cached struct {
	sum  Digest
	page *Page
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{pages: map[string]cached{}, settle: settleTime} }

func (c *Cache) get(path string, data []byte) (*Page, Digest) {
	sum := Digest(sha256.Sum256(data))
	if c == nil {
		return nil, sum
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.pages[path]; ok && e.sum == sum {
		return e.page, sum
	}
	return nil, sum
}

// byStamp returns the cached page of path when its recorded stamp vouches
// for the file's current stat (see Stamp).
func (c *Cache) byStamp(path string, now Stamp) *Page {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.pages[path]; ok && e.page.Stamp.vouches(now, c.settle) {
		return e.page
	}
	return nil
}

// restamp returns p with the stamp of the read that found it unchanged,
// when that stamp tells more: another file state, or one that has now
// settled. Pages are shared and never modified, so it is a copy.
func (c *Cache) restamp(path string, p *Page, stamp Stamp) *Page {
	if c == nil || stamp.Read == 0 || (p.Stamp.sameFile(stamp) && (p.Stamp.settled(c.settle) || !stamp.settled(c.settle))) {
		return p
	}
	cp := *p
	cp.Stamp = stamp
	c.put(path, cp.Sum, &cp)
	return &cp
}

func (c *Cache) put(path string, sum Digest, p *Page) {
	if c == nil || p == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pages[path] = cached{sum: sum, page: p}
}

// Seed adds pages restored from a build cache, each under its path and
// sum, without replacing what the cache already holds.
func (c *Cache) Seed(pages []*Page) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range pages {
		if _, ok := c.pages[p.Path]; !ok {
			c.pages[p.Path] = cached{sum: p.Sum, page: p}
		}
	}
}
