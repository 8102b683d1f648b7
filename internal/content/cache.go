package content

import (
	"crypto/sha256"
	"sync"
)

// Cache keeps loaded pages between loads of the same site, keyed by path
// and content hash, so a rebuild after one edit converts one file instead of
// all of them. The dev server holds one for its whole run. Pages are never
// modified after loading, so sharing them between builds is safe.
type Cache struct {
	mu    sync.Mutex
	pages map[string]cached
}

type cached struct {
	sum  [32]byte
	page *Page
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{pages: map[string]cached{}} }

func (c *Cache) get(path string, data []byte) (*Page, [32]byte) {
	sum := sha256.Sum256(data)
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

func (c *Cache) put(path string, sum [32]byte, p *Page) {
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
