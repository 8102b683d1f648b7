package substack

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/labfront/labfront/internal/atomicfile"
)

// staging is the hidden folder inside the inbox where an import writes its
// files before any of them is moved into place, so that an import that
// fails or is interrupted leaves no file of its own behind. It sits in the
// inbox so the final renames stay on one file system, and its name starts
// with a dot, which ListInbox and the site loader skip.
type staging struct {
	inbox     string
	dir       string
	madeInbox bool // the inbox did not exist before this import
	staged    map[string]bool
	committed bool
}

func newStaging(inbox string) (*staging, error) {
	st := &staging{inbox: inbox, staged: map[string]bool{}}
	// Writes must land in the site: an inbox (or content/) that is a
	// symlink could point them anywhere the importer may write.
	for _, d := range []string{filepath.Dir(inbox), inbox} {
		if fi, err := os.Lstat(d); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s: a symlink: the inbox must be a real folder of the site", filepath.ToSlash(d))
		}
	}
	if _, err := os.Stat(inbox); errors.Is(err, fs.ErrNotExist) {
		st.madeInbox = true
	}
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		return nil, fmt.Errorf("create the inbox: %w", err)
	}
	dir, err := os.MkdirTemp(inbox, ".import-")
	if err != nil {
		return nil, fmt.Errorf("create a staging folder in the inbox: %w", err)
	}
	st.dir = dir
	return st, nil
}

// write stages one file (atomically, so even the staging folder never
// holds half a file).
func (st *staging) write(name string, data []byte) error {
	if err := atomicfile.Write(filepath.Join(st.dir, name), data, 0o644); err != nil {
		return err
	}
	st.staged[name] = true
	return nil
}

// commit moves every staged file into the inbox and removes the files the
// import renamed (an article whose date or slug changed). Each rename is
// atomic and they all run after the last article was written, within one
// folder; a crash between two renames, or a rename that fails (which in
// one folder takes a full or failing disk), can still leave part of an
// import, and the error says which file it stopped at.
func (st *staging) commit(plan []planned) error {
	for _, p := range plan {
		if !st.staged[p.name] {
			continue
		}
		if err := os.Rename(filepath.Join(st.dir, p.name), filepath.Join(st.inbox, p.name)); err != nil {
			return fmt.Errorf("move %s into the inbox: %w", p.r.Path, err)
		}
	}
	st.committed = true
	for _, p := range plan {
		if p.old != nil && p.old.File != filepath.Join(st.inbox, p.name) {
			if err := os.Remove(p.old.File); err != nil {
				return fmt.Errorf("remove the old inbox file %s: %w", p.old.Path, err)
			}
		}
	}
	d, err := os.Open(st.inbox)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// discard removes the staging folder, and the inbox too when this import
// made it and wrote nothing into it. It runs on every return of Import;
// after a commit the folder is empty.
func (st *staging) discard() error {
	if err := os.RemoveAll(st.dir); err != nil {
		return fmt.Errorf("remove the staging folder %s: %w", st.dir, err)
	}
	if st.madeInbox && !st.committed {
		if err := os.Remove(st.inbox); err != nil {
			return fmt.Errorf("remove the inbox this import made: %w", err)
		}
	}
	return nil
}

// sameContent reports whether path holds exactly data.
func sameContent(path string, data []byte) (bool, error) {
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return bytes.Equal(old, data), nil
}
