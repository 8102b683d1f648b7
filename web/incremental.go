package web

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

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
const cacheFormat = "labfront-build-cache/4"

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
	// SpareDir names the spare tree in the cache's directory (see
	// takeSpare), and Spare records its files as Outputs did when it was
	// out; empty when there is none.
	SpareDir string
	Spare    map[string]outputRecord

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
// an optimisation and never a reason to fail a build. A damaged file
// (see decodeIndex) also returns an error, for the build to warn about.
func loadIndex(dir string, version [32]byte) (*buildIndex, error) {
	empty := &buildIndex{Format: cacheFormat, Version: version, Outputs: map[string]outputRecord{}, dir: dir}
	data, err := os.ReadFile(filepath.Join(dir, indexFile))
	if errors.Is(err, fs.ErrNotExist) {
		return empty, nil
	}
	if err != nil {
		return empty, err
	}
	ix, err := decodeIndex(data)
	if err != nil {
		return empty, fmt.Errorf("build cache %s: %w", filepath.Join(dir, indexFile), err)
	}
	if ix.Version != version {
		return empty, nil
	}
	ix.dir = dir
	return ix, nil
}

// The index file is checksummed as a whole and entry by entry, because
// a cache that decodes but holds wrong values gives wrong output for
// every later build (a flipped bit in a cached title shows on every page
// that lists the post). Its layout:
//
//	SHA-256 of everything after it (32 bytes)
//	cacheFormat "\n"
//	a gob stream: indexHead, then every page, output and image entry,
//	each followed by the SHA-256 of the gob bytes that encode it
//
// Any mismatch, a format line that is not this one, or a stream that
// does not decode is a cold start with a warning. The per-entry sums
// guard each value up to the point it is decoded, at the cost of one
// more hash over the payload.
type indexHead struct {
	Version                       [32]byte
	SpareDir                      string
	Pages, Outputs, Images, Spare int
}

type outputEntry struct {
	Path   string
	Record outputRecord
}

type imageEntry struct {
	Key    string
	Result picture.Result
}

var errChecksum = errors.New("checksum mismatch: the file is damaged; starting from scratch")

// encode lays the index out as described above; outputs and images go
// in key order, so equal indexes make equal files.
func (ix *buildIndex) encode() ([]byte, error) {
	var buf bytes.Buffer
	buf.Write(make([]byte, sha256.Size))
	buf.WriteString(cacheFormat + "\n")
	enc := gob.NewEncoder(&buf)
	head := indexHead{Version: ix.Version, SpareDir: ix.SpareDir, Pages: len(ix.Pages), Outputs: len(ix.Outputs), Images: len(ix.Images), Spare: len(ix.Spare)}
	if err := enc.Encode(head); err != nil {
		return nil, err
	}
	sealed := func(v any) error {
		from := buf.Len()
		if err := enc.Encode(v); err != nil {
			return err
		}
		return enc.Encode(sha256.Sum256(buf.Bytes()[from:]))
	}
	for _, pg := range ix.Pages {
		if err := sealed(pg); err != nil {
			return nil, fmt.Errorf("page %s: %w", pg.Path, err)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(ix.Outputs)) {
		if err := sealed(outputEntry{Path: p, Record: ix.Outputs[p]}); err != nil {
			return nil, fmt.Errorf("output %s: %w", p, err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(ix.Images)) {
		if err := sealed(imageEntry{Key: k, Result: ix.Images[k]}); err != nil {
			return nil, fmt.Errorf("image %s: %w", k, err)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(ix.Spare)) {
		if err := sealed(outputEntry{Path: p, Record: ix.Spare[p]}); err != nil {
			return nil, fmt.Errorf("spare %s: %w", p, err)
		}
	}
	data := buf.Bytes()
	sum := sha256.Sum256(data[sha256.Size:])
	copy(data, sum[:])
	return data, nil
}

// decodeIndex checks and decodes what encode wrote.
func decodeIndex(data []byte) (*buildIndex, error) {
	if len(data) < sha256.Size || sha256.Sum256(data[sha256.Size:]) != [32]byte(data[:sha256.Size]) {
		return nil, errChecksum
	}
	stream, ok := bytes.CutPrefix(data[sha256.Size:], []byte(cacheFormat+"\n"))
	if !ok {
		return nil, fmt.Errorf("not the format %s", cacheFormat)
	}
	r := &streamReader{data: stream}
	dec := gob.NewDecoder(r)
	var head indexHead
	if err := dec.Decode(&head); err != nil {
		return nil, fmt.Errorf("head: %w", err)
	}
	// Each entry takes more than a byte: counts beyond the stream's size
	// are damage, and they bound the loops below.
	if head.Pages < 0 || head.Outputs < 0 || head.Images < 0 || head.Spare < 0 || head.Pages+head.Outputs+head.Images+head.Spare > len(stream) {
		return nil, fmt.Errorf("head: impossible counts %d, %d, %d, %d", head.Pages, head.Outputs, head.Images, head.Spare)
	}
	if head.SpareDir != "" && (!strings.HasPrefix(head.SpareDir, spareDir) || filepath.Base(head.SpareDir) != head.SpareDir) {
		return nil, fmt.Errorf("head: spare %q is not a spare tree's name", head.SpareDir)
	}
	entry := 0
	unseal := func(v any) error {
		entry++
		from := r.off
		if err := dec.Decode(v); err != nil {
			return fmt.Errorf("entry %d: %w", entry, err)
		}
		got := sha256.Sum256(stream[from:r.off])
		var want [32]byte
		if err := dec.Decode(&want); err != nil {
			return fmt.Errorf("entry %d: %w", entry, err)
		}
		if got != want {
			return fmt.Errorf("entry %d: %w", entry, errChecksum)
		}
		return nil
	}
	ix := &buildIndex{Format: cacheFormat, Version: head.Version, Pages: make([]*content.Page, 0, head.Pages),
		Outputs: make(map[string]outputRecord, head.Outputs), Images: make(map[string]picture.Result, head.Images)}
	for range head.Pages {
		pg := new(content.Page)
		if err := unseal(pg); err != nil {
			return nil, err
		}
		ix.Pages = append(ix.Pages, pg)
	}
	for range head.Outputs {
		var e outputEntry
		if err := unseal(&e); err != nil {
			return nil, err
		}
		ix.Outputs[e.Path] = e.Record
	}
	for range head.Images {
		var e imageEntry
		if err := unseal(&e); err != nil {
			return nil, err
		}
		ix.Images[e.Key] = e.Result
	}
	if head.SpareDir != "" {
		ix.SpareDir, ix.Spare = head.SpareDir, make(map[string]outputRecord, head.Spare)
	}
	for range head.Spare {
		var e outputEntry
		if err := unseal(&e); err != nil {
			return nil, err
		}
		if ix.Spare == nil {
			return nil, errors.New("spare records without a spare tree")
		}
		ix.Spare[e.Path] = e.Record
	}
	if r.off != len(stream) {
		return nil, fmt.Errorf("%d bytes after the last entry", len(stream)-r.off)
	}
	return ix, nil
}

// streamReader reads a byte slice and tells how far it has read. Being
// an io.ByteReader, gob reads from it exactly the bytes of each value
// (it buffers other readers), so off marks where each entry ends.
type streamReader struct {
	data []byte
	off  int
}

func (r *streamReader) Read(p []byte) (int, error) {
	if r.off >= len(r.data) {
		return 0, io.EOF
	}
	n := copy(p, r.data[r.off:])
	r.off += n
	return n, nil
}

func (r *streamReader) ReadByte() (byte, error) {
	if r.off >= len(r.data) {
		return 0, io.EOF
	}
	r.off++
	return r.data[r.off-1], nil
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
// loss a damaged index only costs a clean build (its checksum says so).
// The temporary files of saves killed before their rename are removed
// first; one of a concurrent build's save may go with them, which costs
// that build's successor its head start, never a wrong output.
func (ix *buildIndex) save(rn *renamer) error {
	dir := ix.dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, err := ix.encode()
	if err != nil {
		return err
	}
	stale, err := filepath.Glob(filepath.Join(dir, indexFile+".tmp-*"))
	if err != nil {
		return err
	}
	for _, f := range stale {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	tmp, err := os.CreateTemp(dir, indexFile+".tmp-")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
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
