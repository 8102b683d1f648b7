package web

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// stagingLock is the file in every staging directory a build holds an
// exclusive flock(2) on while it uses the directory. The kernel drops
// the lock when the process ends however it ends, SIGKILL included, so a
// staging directory whose lock can be taken belongs to a build that is
// gone: the next build removes it. A directory without the file is not
// provably labfront's and is left alone.
const stagingLock = ".labfront-staging"

// lockStaging creates dir's lock file and takes its lock; the returned
// file holds it until closed.
func lockStaging(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, stagingLock), os.O_CREATE|os.O_RDWR|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return nil, errors.Join(fmt.Errorf("lock %s: %w", f.Name(), err), f.Close())
	}
	if _, err := fmt.Fprintf(f, "labfront build, pid %d\n", os.Getpid()); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return f, nil
}

// removeStale removes the staging directories (.dist.new-*) a killed
// build left beside out, each only when its lock file exists and its
// lock is free. It reports what it removed; a directory it cannot judge
// or remove is logged and left. A build killed in the middle of the
// fallback swap (see place) left out missing and the previous tree
// parked in its staging directory: that tree is put back first. So is,
// or else removed, the previous site an older labfront's swap left (see
// removeLegacyOld).
func removeStale(out string, log *slog.Logger) int {
	parent, base := filepath.Dir(filepath.Clean(out)), filepath.Base(filepath.Clean(out))
	entries, err := os.ReadDir(parent)
	if err != nil {
		return 0
	}
	removed := 0
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "."+base+".new-") {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		if legacyOld(e.Name(), base) {
			if removeLegacyOld(dir, out, log) {
				removed++
			}
			continue
		}
		free, err := lockFree(filepath.Join(dir, stagingLock))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue // not provably labfront's
		case err != nil:
			log.Warn("could not check a staging directory", "dir", dir, "error", err)
			continue
		case !free:
			continue // a build is using it
		}
		if restore(dir, out, log) {
			removed++
			continue
		}
		if err := removeTree(dir); err != nil {
			log.Warn("could not remove a stale staging directory", "dir", dir, "error", err)
			continue
		}
		log.Info("removed a staging directory a stopped build left", "dir", dir)
		removed++
	}
	return removed
}

// lockFree reports whether the lock on path can be taken, i.e. no live
// process holds it. The lock taken to find out is let go at once.
func lockFree(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, f.Close()
	}
	if err != nil {
		return false, errors.Join(err, f.Close())
	}
	return true, f.Close() // closing lets the lock go
}

// restore puts back the tree a build killed in the middle of the
// fallback swap parked in its (stale) staging directory dir, when out is
// missing, and then removes dir. It reports whether it did.
func restore(dir, out string, log *slog.Logger) bool {
	old := filepath.Join(dir, stagedOld)
	if _, err := os.Lstat(out); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if fi, err := os.Lstat(old); err != nil || !fi.IsDir() {
		return false
	}
	if err := os.Rename(old, out); err != nil {
		log.Warn("could not put back the previous build a stopped build left", "dir", old, "error", err)
		return false
	}
	log.Info("put back the previous build a stopped build had moved aside", "out", out, "from", old)
	if err := removeTree(dir); err != nil {
		log.Warn("could not remove a stale staging directory", "dir", dir, "error", err)
	}
	return true
}

// legacyOld reports whether name is what labfront's earlier swap called
// the previous site while it swapped: its staging directory's name, from
// os.MkdirTemp (digits only), with ".old" added.
func legacyOld(name, base string) bool {
	id, ok := strings.CutPrefix(name, "."+base+".new-")
	if !ok {
		return false
	}
	id, ok = strings.CutSuffix(id, ".old")
	if !ok || id == "" {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// removeLegacyOld handles a previous site an older labfront left at dir
// (see legacyOld) when it was killed during its swap: between the swap's
// two renames out is missing, and the tree is put back; after them, out
// is the newer site and the tree is removed. Only a tree that looks like
// a build (it has 404.html, the test guardOut applies before replacing
// out) is touched. It reports whether it did anything.
func removeLegacyOld(dir, out string, log *slog.Logger) bool {
	if fi, err := os.Lstat(filepath.Join(dir, "404.html")); err != nil || !fi.Mode().IsRegular() {
		return false // not provably a build
	}
	if _, err := os.Lstat(out); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(dir, out); err != nil {
			log.Warn("could not put back the previous build a stopped build left", "dir", dir, "error", err)
			return false
		}
		log.Info("put back the previous build a stopped build had moved aside", "out", out, "from", dir)
		return true
	}
	if err := os.RemoveAll(dir); err != nil {
		log.Warn("could not remove the previous build a stopped build left", "dir", dir, "error", err)
		return false
	}
	log.Info("removed the previous build a stopped build left", "dir", dir)
	return true
}
