package content

import (
	"crypto/sha256"
	"fmt"
)

// Body returns the page's HTML. A page converted by this load holds it; a
// page restored from a build cache (see Cache.Seed) does not, and is read
// and converted again here, so an incremental build converts only the
// pages whose output it actually renders.
func (s *Site) Body(p *Page) ([]byte, error) {
	if p.Doc.HTML != nil {
		return p.Doc.HTML, nil
	}
	// Feeds ask for the same newest pages twice (Atom and JSON Feed).
	if b, ok := s.bodies.Load(p); ok {
		return b.([]byte), nil
	}
	// Path is the source joined with the page's name in the site (see
	// sitefs.Site.Display).
	name, ok := s.files.Rel(p.Path)
	if !ok {
		return nil, fmt.Errorf("%s is not a file of the site %s", p.Path, s.Src)
	}
	src, err := s.files.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if Digest(sha256.Sum256(src)) != p.Sum {
		return nil, fmt.Errorf("%s changed while the site was being built; build again", p.Path)
	}
	doc, err := s.conv.Convert(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Path, err)
	}
	s.bodies.Store(p, doc.HTML)
	return doc.HTML, nil
}
