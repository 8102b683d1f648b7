package web

import (
	"crypto/sha256"
	"sync"

	"github.com/labfront/labfront/internal/content"
)

// Cache carries work from one build of a site to the next: converted pages
// and the laid-out lab. The dev server keeps one for its whole run, so a
// rebuild after a save redoes only what the save changed.
type Cache struct {
	Pages *content.Cache

	mu   sync.Mutex
	labs map[[32]byte]*labSection
	// version is labfront's own fingerprint (see selfVersion), taken once
	// per process: hashing the executable on every save would cost the
	// dev server more than the rebuild.
	version *[32]byte
}

// selfVersion is selfVersion, remembered by a cache.
func (c *Cache) selfVersion() ([32]byte, error) {
	if c == nil {
		return selfVersion()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version == nil {
		v, err := selfVersion()
		if err != nil {
			return v, err
		}
		c.version = &v
	}
	return *c.version, nil
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{Pages: content.NewCache(), labs: map[[32]byte]*labSection{}}
}

func (c *Cache) pages() *content.Cache {
	if c == nil {
		return nil
	}
	return c.Pages
}

// lab returns the section built from the same lab.yaml and snapshot bytes.
func (c *Cache) lab(key [32]byte) *labSection {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.labs[key]
}

func (c *Cache) putLab(key [32]byte, ls *labSection) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Only the latest lab is worth keeping.
	clear(c.labs)
	c.labs[key] = ls
}

func labKey(labYAML, snap []byte) [32]byte {
	h := sha256.New()
	h.Write(labYAML)
	h.Write([]byte{0})
	h.Write(snap)
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k
}
