package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/labfront/labfront/internal/content"
)

// publish writes the plan to out and returns the index of what it wrote.
//
// Publishing is atomic as seen from out, whatever kills the build and
// when: every build, full or incremental, makes a complete new tree in
// a staging directory beside out and then puts it in place with one
// rename(2) (see place). Out stays a real directory, so `labfront
// serve`, the deploy walker and users' own scripts read it as before and
// an existing out needs no migration. An incremental build (prev indexes
// out) starts the new tree from the spare (the tree the previous swap
// took out of out, see takeSpare) or, without one, from nothing; it
// renders only what changed and hard-links from out what the spare lacks
// (see writer), so it costs a link or unlink per changed file, not a
// write per file. A failure while rendering leaves out and the build
// cache as they were.
//
// Build removes the staging directories killed builds left beside out
// before it starts (see removeStale); this build's own holds a lock
// while it is in use,
// and the tree it publishes is a folder inside it, so the old tree
// that comes back out of the swap is inside a locked directory too:
// killed at any moment, whatever is left is provably labfront's.
func publish(ctx context.Context, out string, p *plan, prev *buildIndex, rn *renamer, log *slog.Logger) (Result, *buildIndex, error) {
	if err := guardOut(out, p.site.Src); err != nil {
		return Result{}, nil, err
	}
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return Result{}, nil, fmt.Errorf("publish: %w", err)
	}
	stage, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".new-")
	if err != nil {
		return Result{}, nil, fmt.Errorf("publish: %w", err)
	}
	lock, err := lockStaging(stage)
	if err != nil {
		return Result{}, nil, errors.Join(fmt.Errorf("publish: %w", err), os.RemoveAll(stage))
	}
	// Closed last: until then a concurrent build sees the directory in
	// use. Its lock file goes with the directory.
	defer func() {
		if err := lock.Close(); err != nil {
			log.Warn("could not release the staging lock", "dir", stage, "error", err)
		}
	}()
	fail := func(step string, err error) (Result, *buildIndex, error) {
		return Result{}, nil, errors.Join(fmt.Errorf("%s: %w", step, err), os.RemoveAll(stage))
	}
	tmp := filepath.Join(stage, stagedSite)
	w := &writer{out: out, tmp: tmp, prev: prev, next: make(map[string]outputRecord, len(p.outputs))}
	if fi, err := os.Stat(out); err == nil && fi.IsDir() && len(prev.Outputs) > 0 {
		w.update = true
	}
	spare, err := takeSpare(cacheDir(out), prev, w.update, tmp, rn)
	if err != nil {
		return fail("publish", err)
	}
	w.spare = spare
	if spare == nil {
		// The site is meant to be read by servers (MkdirTemp makes 0700).
		if err := os.Mkdir(tmp, 0o755); err != nil {
			return fail("publish", err)
		}
	}
	// Directories shared by many files are made once, up front; each
	// page's own directory is made by the worker that writes it, so
	// those thousands of mkdirs spread over all cores.
	if err := makeDirs(tmp, p.outputPaths()); err != nil {
		return fail("publish", err)
	}
	if err := p.render(ctx, w.output); err != nil {
		return fail("render", err)
	}
	if err := w.prune(); err != nil {
		return fail("publish", err)
	}
	// The saved index describes the tree about to be replaced: gone
	// before the swap, so a build killed after it starts clean instead
	// of trusting an index for another tree (files rewritten within the
	// file system's timestamp granularity could pass its size and
	// modification time check).
	if err := prev.forget(); err != nil {
		return fail("publish", err)
	}
	if err := place(stage, out, rn); err != nil {
		return fail("publish", err)
	}
	next := &buildIndex{Format: cacheFormat, Version: prev.Version, Outputs: w.next, dir: prev.dir}
	// The previous tree, now at tmp, is the next build's spare when the
	// index describes it (an update: prev.Outputs, checked file by file
	// against its size and modification time then). Otherwise, or when
	// it cannot be kept, it goes. Failing to remove it does not
	// unpublish the site: the next build removes what is left (the lock
	// file goes last, see removeTree).
	if w.update {
		name := spareDir + filepath.Ext(stage) // the stage's random part: unique among builds
		if err := rn.do(func() error { return os.Rename(tmp, filepath.Join(prev.dir, name)) }); err == nil {
			next.SpareDir, next.Spare = name, prev.Outputs
		} else if !errors.Is(err, fs.ErrNotExist) {
			log.Warn("could not keep the previous build as the next one's spare", "error", err)
		}
	}
	if err := removeTree(stage); err != nil {
		log.Warn("could not remove the previous build", "dir", stage, "error", err)
	}
	res := Result{
		Files: int(w.files.Load()), Pages: int(w.pages.Load()), Bytes: w.size.Load(),
		Rendered: int(w.rendered.Load()), Reused: int(w.reused.Load()), Written: int(w.written.Load()),
	}
	return res, next, nil
}

// spareDir names the spare trees in the build cache's directory.
const spareDir = "spare"

// takeSpare moves the spare tree the previous build's index names into
// place as tmp and returns the index's records of its files, or nil
// when there is none to use (tmp is then not made). An incremental
// build keeps the tree its swap took out of out (the build before the
// previous one) and brings it up to date: unlinking and linking only
// the files that changed since, where building a tree afresh links
// every file and removes every one of the old tree, which on a loaded
// disk costs seconds for a few thousand pages. Spare trees the index
// does not name (a concurrent or killed build's) are removed.
func takeSpare(cache string, prev *buildIndex, update bool, tmp string, rn *renamer) (map[string]outputRecord, error) {
	entries, err := os.ReadDir(cache)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	use := update && prev.SpareDir != "" && prev.Spare != nil
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), spareDir) || (use && e.Name() == prev.SpareDir) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(cache, e.Name())); err != nil {
			return nil, err
		}
	}
	if !use {
		return nil, nil
	}
	err = rn.do(func() error { return os.Rename(filepath.Join(cache, prev.SpareDir), tmp) })
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return prev.Spare, nil
}

// In a staging directory: the new tree while it is built, the previous
// one after the swap; and where the fallback swap parks the previous one
// (see place).
const (
	stagedSite = "site"
	stagedOld  = "old"
)

// place puts the complete tree stage/site at out with one atomic rename:
// renameat2(2) with RENAME_EXCHANGE swaps the two directories, so out is
// the old tree up to that call and the new one after it, and never
// missing; the old tree ends up at stage/site. Without a previous out a
// plain rename does the same.
//
// Where the kernel or file system cannot exchange (errNoExchange), out
// is renamed to stage/old and stage/site to out: out is missing between
// those two renames, and a build killed there leaves the old tree in a
// staging directory the next build recognises and puts back before
// anything else (see removeStale).
func place(stage, out string, rn *renamer) error {
	site := filepath.Join(stage, stagedSite)
	err := rn.do(func() error { return rn.exchange(site, out) })
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist):
		return rn.do(func() error { return os.Rename(site, out) })
	case !errors.Is(err, errNoExchange):
		return err
	}
	old := filepath.Join(stage, stagedOld)
	if err := rn.do(func() error { return os.Rename(out, old) }); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return rn.do(func() error { return os.Rename(site, out) })
		}
		return err
	}
	if err := rn.do(func() error { return os.Rename(site, out) }); err != nil {
		return errors.Join(err, os.Rename(old, out))
	}
	return nil
}

// renamer counts the renames of a publish and the cache save after it,
// and calls Options.AtRename before and after each (a test hook that
// stops the process there).
type renamer struct {
	hook func(n int, after bool)
	n    int
	// swap is exchange unless a test replaces it.
	swap func(a, b string) error
}

func (r *renamer) exchange(a, b string) error {
	if r == nil || r.swap == nil {
		return exchange(a, b)
	}
	return r.swap(a, b)
}

func (r *renamer) do(rename func() error) error {
	if r == nil || r.hook == nil {
		return rename()
	}
	r.n++
	r.hook(r.n, false)
	if err := rename(); err != nil {
		// Not a rename that happened (an exchange the file system
		// refused): the next one takes its number.
		r.n--
		return err
	}
	r.hook(r.n, true)
	return nil
}

// removeTree removes a staging directory, its lock file last, so that
// one it could only partly remove is still provably labfront's.
func removeTree(stage string) error {
	entries, err := os.ReadDir(stage)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == stagingLock {
			continue
		}
		if err := os.RemoveAll(filepath.Join(stage, e.Name())); err != nil {
			return err
		}
	}
	return os.RemoveAll(stage)
}

// writer places each output in tmp, the new tree. In a full build it
// renders and writes every one. In an update it hard-links an output from
// out when its key and file are unchanged, renders it otherwise, and
// hard-links out's file anyway when the rendered bytes are the same, so
// only files with new bytes are written (and get a new modification
// time, which the next build's check relies on).
type writer struct {
	out, tmp string
	prev     *buildIndex
	update   bool
	// spare, when set, records the files tmp started with: the spare
	// tree of the build before the previous one (see takeSpare).
	spare map[string]outputRecord

	mu   sync.Mutex
	next map[string]outputRecord

	files, pages, size, rendered, reused, written atomic.Int64
}

func (w *writer) output(ctx context.Context, o output) error {
	rec := outputRecord{Keyed: o.key != nil}
	if rec.Keyed {
		key, err := o.key()
		if err != nil {
			return fmt.Errorf("cache key: %w", err)
		}
		rec.Key = content.Digest(key)
	}
	dst := filepath.Join(w.tmp, filepath.FromSlash(o.path))
	if path.Base(o.path) == "index.html" && path.Dir(o.path) != "." {
		if err := os.Mkdir(filepath.Dir(dst), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	cur := filepath.Join(w.out, filepath.FromSlash(o.path))
	spare, held := w.held(o.path)
	// A link that fails (a file system without hard links, a file gone
	// meanwhile) only costs the render.
	if w.update && rec.Keyed && w.unchanged(o.path, rec.Key) {
		if held && spare.Keyed && spare.Key == rec.Key {
			w.reused.Add(1)
			return w.record(o.path, rec, dst)
		}
		if w.link(cur, dst) == nil {
			w.reused.Add(1)
			return w.record(o.path, rec, dst)
		}
	}
	data, err := o.render(ctx)
	if err != nil {
		return err
	}
	w.rendered.Add(1)
	if held && sameBytes(dst, data) {
		// Written counts the files out gets new bytes in, wherever the
		// bytes come from.
		if !sameBytes(cur, data) {
			w.written.Add(1)
		}
		return w.record(o.path, rec, dst)
	}
	if w.update && sameBytes(cur, data) && w.link(cur, dst) == nil {
		return w.record(o.path, rec, dst)
	}
	// A spare's file may be a hard link to out's: it is replaced, never
	// written into.
	if err := w.clear(dst); err != nil {
		return err
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return err
	}
	w.written.Add(1)
	return w.record(o.path, rec, dst)
}

// held returns the spare's record for rel when the spare still holds
// that file as recorded.
func (w *writer) held(rel string) (outputRecord, bool) {
	rec, ok := w.spare[rel]
	if !ok {
		return rec, false
	}
	fi, err := os.Lstat(filepath.Join(w.tmp, filepath.FromSlash(rel)))
	return rec, err == nil && fi.Mode().IsRegular() && fi.Size() == rec.Size && fi.ModTime().UnixNano() == rec.ModTime
}

// clear removes what a spare holds at dst, if anything.
func (w *writer) clear(dst string) error {
	if w.spare == nil {
		return nil
	}
	if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// link makes dst a hard link to out's file cur.
func (w *writer) link(cur, dst string) error {
	if err := w.clear(dst); err != nil {
		return err
	}
	return os.Link(cur, dst)
}

// prune removes the spare's files this build does not have, and the
// folders that leaves empty, so the tree is the one a clean build makes.
func (w *writer) prune() error {
	for rel := range w.spare {
		if _, ok := w.next[rel]; ok {
			continue
		}
		if err := os.Remove(filepath.Join(w.tmp, filepath.FromSlash(rel))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		// A removed page leaves its directory (x/ of x/index.html) empty,
		// a removed bundle file perhaps its folders (img/ of img/a.png):
		// remove them up to the first that still holds something.
		for dir := path.Dir(rel); dir != "."; dir = path.Dir(dir) {
			err := os.Remove(filepath.Join(w.tmp, filepath.FromSlash(dir)))
			if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, fs.ErrExist) {
				break
			}
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// unchanged reports whether out's file for rel was rendered from key and
// has not been touched since.
func (w *writer) unchanged(rel string, key [32]byte) bool {
	rec, ok := w.prev.Outputs[rel]
	if !ok || !rec.Keyed || rec.Key != content.Digest(key) {
		return false
	}
	fi, err := os.Lstat(filepath.Join(w.out, filepath.FromSlash(rel)))
	return err == nil && fi.Mode().IsRegular() && fi.Size() == rec.Size && fi.ModTime().UnixNano() == rec.ModTime
}

// record notes the file that now stands for rel. It keeps its size and
// modification time when the swap renames the tree into out.
func (w *writer) record(rel string, rec outputRecord, file string) error {
	fi, err := os.Lstat(file)
	if err != nil {
		return err
	}
	rec.Size, rec.ModTime = fi.Size(), fi.ModTime().UnixNano()
	w.files.Add(1)
	w.size.Add(rec.Size)
	if strings.HasSuffix(rel, ".html") {
		w.pages.Add(1)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.next[rel] = rec
	return nil
}

// sameBytes reports whether file holds exactly data.
func sameBytes(file string, data []byte) bool {
	fi, err := os.Lstat(file)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(len(data)) {
		return false
	}
	cur, err := os.ReadFile(file)
	return err == nil && bytes.Equal(cur, data)
}

// makeDirs makes the parents of every output's directory; a page's own
// directory (x/ of x/index.html) is left to its writer.
func makeDirs(root string, paths []string) error {
	made := map[string]bool{}
	for _, p := range paths {
		dir := path.Dir(p)
		if path.Base(p) == "index.html" {
			dir = path.Dir(dir)
		}
		if dir == "." || made[dir] {
			continue
		}
		if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(dir)), 0o755); err != nil {
			return err
		}
		for d := dir; d != "." && !made[d]; d = path.Dir(d) {
			made[d] = true
		}
	}
	return nil
}

// guardOut refuses to replace a directory that is not a previous build:
// the build replaces out wholesale, and `--out .` must not eat a repository.
func guardOut(out, src string) error {
	absOut, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	absSrc, err := filepath.Abs(src)
	if err != nil {
		return err
	}
	if rel, err := filepath.Rel(absOut, absSrc); err == nil && !strings.HasPrefix(rel, "..") {
		return fmt.Errorf("refusing to build into %s: it contains the source directory %s", out, src)
	}
	entries, err := os.ReadDir(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(out, "404.html")); err != nil {
		return fmt.Errorf("refusing to replace %s: it is not empty and does not look like a labfront build (no 404.html); remove it or choose another --out", out)
	}
	return nil
}

// errNoExchange says the system cannot swap two directories atomically.
var errNoExchange = errors.New("atomic directory exchange not supported")
