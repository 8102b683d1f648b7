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
// parked in its staging directory: that tree is put back first.
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
