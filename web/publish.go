package web

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync/atomic"
)

// publish renders the plan into a fresh directory beside out and swaps it
// in only when every file is written, so readers of out (a dev server, a
// deploy) never see a half-built site and a failure keeps the old one.
func publish(ctx context.Context, out string, p *plan) (Result, error) {
	if err := guardOut(out, p.site.Src); err != nil {
		return Result{}, err
	}
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return Result{}, fmt.Errorf("publish: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".new-")
	if err != nil {
		return Result{}, fmt.Errorf("publish: %w", err)
	}
	// MkdirTemp makes 0700; the site is meant to be read by servers.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return Result{}, fmt.Errorf("publish: %w", err)
	}
	// Every directory is made once, up front, so the writers on all cores
	// only create files.
	if err := makeDirs(tmp, p.outputPaths()); err != nil {
		return Result{}, errors.Join(fmt.Errorf("publish: %w", err), os.RemoveAll(tmp))
	}
	var files, pages, size atomic.Int64
	err = p.render(ctx, func(rel string, data []byte) error {
		dst := filepath.Join(tmp, filepath.FromSlash(rel))
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return err
		}
		files.Add(1)
		size.Add(int64(len(data)))
		if strings.HasSuffix(rel, ".html") {
			pages.Add(1)
		}
		return nil
	})
	if err != nil {
		return Result{}, errors.Join(fmt.Errorf("render: %w", err), os.RemoveAll(tmp))
	}
	if err := swap(tmp, out); err != nil {
		return Result{}, errors.Join(fmt.Errorf("publish: %w", err), os.RemoveAll(tmp))
	}
	return Result{Files: int(files.Load()), Pages: int(pages.Load()), Bytes: size.Load()}, nil
}

func makeDirs(root string, paths []string) error {
	made := map[string]bool{}
	for _, p := range paths {
		dir := path.Dir(p)
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
