package web

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/labfront/labfront/internal/atomicfile"
	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/search"
)

// searchCacheFile holds the analysed bodies, in the build cache's folder.
const searchCacheFile = "search.cache"

// searchCacheFormat changes whenever what a Body holds or means, or the
// file's layout, does.
const searchCacheFormat = "labfront-search-cache/3\n"

// The cache is written as it is encoded, not built in memory first: at
// 10,000 pages a gob of the bodies map grew a 46 MB buffer for a 13 MB
// file, the largest thing alive at that moment of the build. Layout: the
// format line, labfront's fingerprint, then each body (page digest,
// excerpt, and its terms with their counts) in the index's page order,
// and last the SHA-256 of everything before it. Numbers are uvarints,
// strings a uvarint length and their bytes.

// loadSearchCache reads the bodies a build by this labfront saved, or nil
// when there are none it can trust (missing, damaged, another version).
func loadSearchCache(dir string, version [32]byte) map[content.Digest]search.Body {
	data, err := os.ReadFile(filepath.Join(dir, searchCacheFile))
	if err != nil || len(data) < sha256.Size {
		return nil
	}
	payload, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if sha256.Sum256(payload) != [32]byte(sum) {
		return nil
	}
	bodies, err := decodeSearchCache(payload, version)
	if err != nil {
		return nil
	}
	return bodies
}

func decodeSearchCache(b []byte, version [32]byte) (map[content.Digest]search.Body, error) {
	r := &cacheReader{b: b}
	if string(r.bytes(len(searchCacheFormat))) != searchCacheFormat || [32]byte(r.bytes(32)) != version {
		return nil, errors.New("another format or version")
	}
	// Pages share most of their words: one copy of each term for all.
	terms := map[string]string{}
	bodies := map[content.Digest]search.Body{}
	for len(r.b) > 0 && r.err == nil {
		d := content.Digest(r.bytes(32))
		body := search.Body{Excerpt: string(r.str())}
		k := r.uvarint()
		if r.err != nil || k > uint64(len(b)) {
			return nil, errors.New("damaged")
		}
		body.Counts = make([]search.TermWeight, k)
		for i := range body.Counts {
			t := r.str()
			term, ok := terms[string(t)]
			if !ok {
				term = string(t)
				terms[term] = term
			}
			body.Counts[i] = search.TermWeight{Term: term, Weight: uint32(r.uvarint())}
		}
		if r.err != nil {
			return nil, r.err
		}
		bodies[d] = body
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, errors.New("damaged")
	}
	return bodies, nil
}

// cacheReader reads the cache's numbers and strings; the first short or
// bad read sets err and every later one returns zero values.
type cacheReader struct {
	b   []byte
	err error
}

func (r *cacheReader) bytes(n int) []byte {
	if r.err != nil || n > len(r.b) {
		r.err = io.ErrUnexpectedEOF
		return make([]byte, n)
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *cacheReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = io.ErrUnexpectedEOF
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *cacheReader) str() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	return r.bytes(int(n))
}

// writeCache runs analyse, which hands it each analysed body, and writes
// them to the cache as they come, atomically: an error from analyse, or
// a crash, leaves the previous cache as it was. Without a cache folder
// the bodies are dropped. Bodies are keyed by source hash, so a cache
// written by a build that then fails is still right.
func (s *siteSearch) writeCache(analyse func(keep func(content.Digest, search.Body)) error) error {
	if s.dir == "" {
		return analyse(func(content.Digest, search.Body) {})
	}
	if err := s.prepareCacheDir(); err != nil {
		return errors.Join(err, analyse(func(content.Digest, search.Body) {}))
	}
	return atomicfile.WriteFunc(filepath.Join(s.dir, searchCacheFile), 0o644, func(w io.Writer) error {
		h := sha256.New()
		bw := bufio.NewWriter(io.MultiWriter(w, h))
		// bufio keeps the first write error and returns it from Flush.
		var num [binary.MaxVarintLen64]byte
		uvarint := func(v uint64) { bw.Write(num[:binary.PutUvarint(num[:], v)]) }
		str := func(s string) { uvarint(uint64(len(s))); bw.WriteString(s) }
		bw.WriteString(searchCacheFormat)
		bw.Write(s.ver[:])
		if err := analyse(func(d content.Digest, body search.Body) {
			bw.Write(d[:])
			str(body.Excerpt)
			uvarint(uint64(len(body.Counts)))
			for _, c := range body.Counts {
				str(c.Term)
				uvarint(uint64(c.Weight))
			}
		}); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("search cache: %w", err)
		}
		_, err := w.Write(h.Sum(nil))
		return err
	})
}

// prepareCacheDir makes the cache folder and removes the temporary file a
// build killed while writing the cache left: only the next write can know
// it is nobody's.
func (s *siteSearch) prepareCacheDir() error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	stale, err := filepath.Glob(filepath.Join(s.dir, "."+searchCacheFile+".tmp-*"))
	if err != nil {
		return err
	}
	for _, f := range stale {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
