package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/labfront/labfront/internal/content"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// publish writes the plan to out and returns the index of what it wrote.
//
// Without a previous build to start from, it renders everything into a
// fresh directory beside out and swaps that in only when every file is
// written, so readers of out (a dev server, a deploy) never see a
// half-built site. With one (prev indexes out), it updates out in place
// and touches only what changed (see update). Either way a failure while
// rendering leaves out and the build cache as they were.
//
// Staging directories a killed build left beside out are removed first
// (see removeStale); this build's own holds a lock while it is in use.
func publish(ctx context.Context, out string, p *plan, prev *buildIndex, log *slog.Logger) (Result, *buildIndex, error) {
	if err := guardOut(out, p.site.Src); err != nil {
		return Result{}, nil, err
	}
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return Result{}, nil, fmt.Errorf("publish: %w", err)
	}
	removeStale(out, log)
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".new-")
	if err != nil {
		return Result{}, nil, fmt.Errorf("publish: %w", err)
	}
	lock, err := lockStaging(tmp)
	if err != nil {
		return Result{}, nil, errors.Join(fmt.Errorf("publish: %w", err), os.RemoveAll(tmp))
	}
	// Closed last: until then a concurrent build sees the directory in
	// use. Its lock file goes with the directory (renamed to out, it is
	// removed there, see below).
	defer func() {
		if err := lock.Close(); err != nil {
			log.Warn("could not release the staging lock", "dir", tmp, "error", err)
		}
	}()
	fail := func(stage string, err error) (Result, *buildIndex, error) {
		return Result{}, nil, errors.Join(fmt.Errorf("%s: %w", stage, err), os.RemoveAll(tmp))
	}
	// MkdirTemp makes 0700; the site is meant to be read by servers.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fail("publish", err)
	}
	w := &writer{out: out, tmp: tmp, prev: prev, next: make(map[string]outputRecord, len(p.outputs))}
	if fi, err := os.Stat(out); err == nil && fi.IsDir() && len(prev.Outputs) > 0 {
		w.update = true
	} else if err := makeDirs(tmp, p.outputPaths()); err != nil {
		// Directories shared by many files are made once, up front; each
		// page's own directory is made by the worker that writes it, so
		// those thousands of mkdirs spread over all cores.
		return fail("publish", err)
	}
	if err := p.render(ctx, w.output); err != nil {
		return fail("render", err)
	}
	if w.update {
		if err := w.apply(); err != nil {
			return fail("publish", err)
		}
		if err := os.RemoveAll(tmp); err != nil {
			return Result{}, nil, fmt.Errorf("publish: %w", err)
		}
	} else {
		// The lock file must not be published: it goes before the swap,
		// while the lock itself stays held through the open file.
		if err := os.Remove(filepath.Join(tmp, stagingLock)); err != nil {
			return fail("publish", err)
		}
		if err := swap(tmp, out); err != nil {
			return fail("publish", err)
		}
	}
	res := Result{
		Files: int(w.files.Load()), Pages: int(w.pages.Load()), Bytes: w.size.Load(),
		Rendered: int(w.rendered.Load()), Reused: int(w.reused.Load()), Written: int(w.written.Load()),
	}
	return res, &buildIndex{Format: cacheFormat, Version: prev.Version, Outputs: w.next, dir: prev.dir}, nil
}

// writer places each output. In a full build it writes into tmp, which
// becomes out. In an update it leaves an output alone when its key and
// file are unchanged, renders it otherwise, and stages it in tmp only if
// its bytes differ from out's; apply then moves the staged files in.
type writer struct {
	out, tmp string
	prev     *buildIndex
	update   bool

	mu     sync.Mutex
	next   map[string]outputRecord
	staged []staged

	files, pages, size, rendered, reused, written atomic.Int64
}

type staged struct{ rel, tmp string }

func (w *writer) output(ctx context.Context, o output) error {
	rec := outputRecord{Keyed: o.key != nil}
	if rec.Keyed {
		key, err := o.key()
		if err != nil {
			return fmt.Errorf("cache key: %w", err)
		}
		rec.Key = content.Digest(key)
	}
	var dst string
	switch {
	case !w.update:
		dst = filepath.Join(w.tmp, filepath.FromSlash(o.path))
		if path.Base(o.path) == "index.html" && path.Dir(o.path) != "." {
			if err := os.Mkdir(filepath.Dir(dst), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
		}
	case rec.Keyed && w.unchanged(o.path, rec.Key):
		w.reused.Add(1)
		return w.record(o.path, rec, filepath.Join(w.out, filepath.FromSlash(o.path)))
	}
	data, err := o.render(ctx)
	if err != nil {
		return err
	}
	w.rendered.Add(1)
	if w.update {
		cur := filepath.Join(w.out, filepath.FromSlash(o.path))
		if sameBytes(cur, data) {
			return w.record(o.path, rec, cur)
		}
		w.mu.Lock()
		dst = filepath.Join(w.tmp, strconv.Itoa(len(w.staged)))
		w.staged = append(w.staged, staged{rel: o.path, tmp: dst})
		w.mu.Unlock()
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return err
	}
	w.written.Add(1)
	return w.record(o.path, rec, dst)
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

// record notes the file that now stands for rel. A staged file keeps its
// size and modification time when apply renames it into out.
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

// apply moves the staged files into out and removes the files the previous
// build wrote that this one no longer has. The build cache's index is
// removed first: if apply stops half-way, the next build starts clean
// instead of trusting an index that no longer describes out.
func (w *writer) apply() error {
	if err := w.prev.forget(); err != nil {
		return err
	}
	for _, s := range w.staged {
		dst := filepath.Join(w.out, filepath.FromSlash(s.rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Rename(s.tmp, dst); err != nil {
			return err
		}
	}
	for rel := range w.prev.Outputs {
		if _, ok := w.next[rel]; ok {
			continue
		}
		file := filepath.Join(w.out, filepath.FromSlash(rel))
		if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		// A removed page leaves its directory (x/ of x/index.html) empty,
		// a removed bundle file perhaps its folders (img/ of img/a.png):
		// remove them up to the first that still holds something, so the
		// tree is the one a clean build makes.
		for dir := path.Dir(rel); dir != "."; dir = path.Dir(dir) {
			err := os.Remove(filepath.Join(w.out, filepath.FromSlash(dir)))
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

// swap moves tmp into place at out. The old tree is renamed aside first and
// removed last, so out is missing only between two renames.
func swap(tmp, out string) error {
	old := tmp + ".old"
	hadOld := true
	if err := os.Rename(out, old); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		hadOld = false
	}
	if err := os.Rename(tmp, out); err != nil {
		if hadOld {
			return errors.Join(err, os.Rename(old, out))
		}
		return err
	}
	if hadOld {
		return os.RemoveAll(old)
	}
	return nil
}
