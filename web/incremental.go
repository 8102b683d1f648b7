package web

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/picture"
)

// The build cache makes a second build of the same site cheap. It lives in
// a directory beside the output (dist → .dist.cache) and holds one index:
//
//   - every valid content page's metadata (front matter, word count,
//     headings, links) keyed by the SHA-256 of its file, so an unchanged
//     file is neither parsed nor converted again;
//   - every processed raster image's picture.Result (variant names and
//     sizes, no bytes) keyed by picture.CacheKey of its source;
//   - for every output file, the key of the inputs it was rendered from and
//     the size and modification time it was written with, so an output
//     whose key is unchanged is hard-linked from the previous build instead
//     of rendered and written.
//
// Keys are hashes of the view models templ renders. Labfront itself (its
// templates are compiled in) is covered by the index's Version, the hash of
// the running executable: a different labfront starts from scratch. The
// result is byte-identical to a clean build; tests hold it to that.

// cacheFormat changes whenever the index's shape or meaning does.
const cacheFormat = "labfront-build-cache/3"

const indexFile = "index.gob"

type buildIndex struct {
	Format  string
	Version [32]byte
	Pages   []*content.Page
	Outputs map[string]outputRecord
	// Images are the processed raster images by picture.CacheKey,
	// without their bytes: the plan writes pages from the variant names,
	// so an unchanged image is not decoded (see pictures.go).
	Images map[string]picture.Result

	dir string // where it is kept
}

// outputRecord is what the cache knows about one file of the previous
// build. Size and ModTime detect a file changed by hand since: it is
// rendered again rather than trusted.
type outputRecord struct {
	Key     content.Digest
	Keyed   bool
	Size    int64
	ModTime int64 // Unix nanoseconds
}

// cacheDir is the build cache's directory for an output directory.
func cacheDir(out string) string {
	out = filepath.Clean(out)
	return filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".cache")
}

// selfVersion fingerprints the running labfront. Its templates, converter
// and minifier are compiled in, so any change to them changes this. The Go
// toolchain already stamps every executable with a build ID derived from
// its inputs and content; reading that note costs microseconds, where
// hashing the whole 40 MB executable cost 0.1 s of every incremental
// build. An executable without the note is hashed in full.
func selfVersion() ([32]byte, error) {
	exe, err := os.Executable()
	if err != nil {
		return [32]byte{}, err
	}
	h := sha256.New()
	io.WriteString(h, cacheFormat)
	if id := goBuildID(exe); id != nil {
		io.WriteString(h, "\x00go build id\x00")
		h.Write(id)
		return [32]byte(h.Sum(nil)), nil
	}
	f, err := os.Open(exe)
	if err != nil {
		return [32]byte{}, err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return [32]byte{}, err
	}
	return [32]byte(h.Sum(nil)), nil
}

// goBuildID returns the Go build ID of an ELF executable (the description
// of its .note.go.buildid note), or nil when there is none: another
// format, or a build with an empty -buildid.
func goBuildID(exe string) []byte {
	f, err := elf.Open(exe)
	if err != nil {
		return nil
	}
	defer f.Close()
	sec := f.Section(".note.go.buildid")
	if sec == nil {
		return nil
	}
	note, err := sec.Data()
	// namesz, descsz, type, then the name "Go\x00\x00" and the ID.
	if err != nil || len(note) < 16 {
		return nil
	}
	descsz := int(f.ByteOrder.Uint32(note[4:8]))
	if string(note[12:16]) != "Go\x00\x00" || descsz == 0 || 16+descsz > len(note) {
		return nil
	}
	return note[16 : 16+descsz]
}

// loadIndex reads the previous build's index. Any problem (none yet, a
// different labfront, a damaged file) yields an empty index: the cache is
// an optimisation and never a reason to fail a build.
func loadIndex(dir string, version [32]byte) (*buildIndex, error) {
	empty := &buildIndex{Format: cacheFormat, Version: version, Outputs: map[string]outputRecord{}, dir: dir}
	f, err := os.Open(filepath.Join(dir, indexFile))
	if errors.Is(err, fs.ErrNotExist) {
		return empty, nil
	}
	if err != nil {
		return empty, err
	}
	defer f.Close()
	var ix buildIndex
	if err := gob.NewDecoder(f).Decode(&ix); err != nil {
		return empty, fmt.Errorf("build cache %s: %w", dir, err)
	}
	if ix.Format != cacheFormat || ix.Version != version {
		return empty, nil
	}
	if ix.Outputs == nil {
		ix.Outputs = map[string]outputRecord{}
	}
	ix.dir = dir
	return &ix, nil
}

// forget removes the saved index.
func (ix *buildIndex) forget() error {
	if err := os.Remove(filepath.Join(ix.dir, indexFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// save writes the index atomically: a crash leaves the old index or the
// new one, never half of one. It is not synced to disk: after a power
// loss a damaged index only costs a clean build.
func (ix *buildIndex) save(rn *renamer) error {
	dir := ix.dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, indexFile+".tmp-")
	if err != nil {
		return err
	}
	err = gob.NewEncoder(tmp).Encode(ix)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = rn.do(func() error { return os.Rename(tmp.Name(), filepath.Join(dir, indexFile)) })
	}
	if err != nil {
		return errors.Join(err, os.Remove(tmp.Name()))
	}
	return nil
}

// cachedPages strips what the index need not hold: the HTML, which is
// the bulk of a page and is converted again on demand.
func cachedPages(site *content.Site) []*content.Page {
	out := make([]*content.Page, 0, len(site.Posts)+len(site.Notes))
	for _, list := range [][]*content.Page{site.Posts, site.Notes} {
		for _, pg := range list {
			cp := *pg
			// Listed afresh by every load.
			cp.Bundle = nil
			doc := *pg.Doc
			doc.HTML = nil
			cp.Doc = &doc
			out = append(out, &cp)
		}
	}
	return out
}

// viewKey fingerprints a view model (and any extra inputs, such as the
// source sum of a body the model leaves out) as JSON. It is computed when
// the output is due, on the render workers.
func viewKey(view any, extra ...[32]byte) func() ([32]byte, error) {
	return func() ([32]byte, error) {
		h := sha256.New()
		enc := json.NewEncoder(h)
		enc.SetEscapeHTML(false) // a key, not a document: escaping is wasted work
		if err := enc.Encode(view); err != nil {
			return [32]byte{}, err
		}
		for _, e := range extra {
			h.Write(e[:])
		}
		return [32]byte(h.Sum(nil)), nil
	}
}
