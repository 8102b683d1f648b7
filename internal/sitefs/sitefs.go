// Package sitefs is the build's view of the operator's site checkout (the
// --src directory). Whoever can push to the deploy branch controls every
// byte of a checkout, so the build reads it only through this package:
// every path is resolved inside an os.Root, so no symlink leads out of the
// checkout (a symlink static/x.txt -> /proc/self/environ would publish the
// server's environment), and only regular files and directories are read,
// so a FIFO cannot hang a build and no device or socket is published.
//
// Refusals are *Error values, which the CLI reports as input problems
// ("static/x.txt: symlink outside the site", exit 1).
package sitefs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/labfront/labfront/internal/diag"
)

// The reasons a path of the site is refused.
var (
	ErrOutside    = errors.New("symlink outside the site")
	ErrNotRegular = errors.New("not a regular file")
	// ErrLinkedFolder: a walk never follows a symlink to a folder. Two
	// links to the same folder in each of n folders would make 2^n paths,
	// enough for one push to stall every build; a folder reached by its
	// own path is walked anyway.
	// ErrAbsoluteLink: an absolute symlink is never followed, even to a
	// file inside the site (os.Root cannot tell that it stays inside).
	ErrAbsoluteLink = errors.New("absolute symlink: never followed, make it relative")
	ErrLinkedFolder = errors.New("symlink to a folder: folders are not followed through symlinks (move the folder, or link its files)")
)

// Error is a path of the site that the build refuses to read. Path is
// shown the way content problems show theirs (the site directory joined
// with the path inside it).
type Error struct {
	Path string
	Err  error // ErrOutside or ErrNotRegular
}

func (e *Error) Error() string { return e.Path + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// As lets diag.As find the refusal however the build wrapped it, so every
// command prints it as "path: reason" and exits 1, like other content
// problems.
func (e *Error) As(target any) bool {
	p, ok := target.(*diag.Problem)
	if !ok {
		return false
	}
	*p = diag.Problem{Path: e.Path, Msg: e.Err.Error()}
	return true
}

// Site is an open site checkout. Names passed to its methods are
// slash-separated and relative to the checkout ("content/site.yaml"), as
// fs.ValidPath says.
type Site struct {
	root *os.Root
	dir  string
}

// Open opens the site checkout at dir. The checkout directory itself may
// be reached through a symlink: the operator chose it.
func Open(dir string) (*Site, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open the site: %w", err)
	}
	return &Site{root: root, dir: dir}, nil
}

// Close releases the checkout's directory handle. A Site that is only
// dropped is closed by the garbage collector (os.Root's finalizer).
func (s *Site) Close() error { return s.root.Close() }

// Dir is the directory the site was opened with.
func (s *Site) Dir() string { return s.dir }

// Display is how messages show name: the site directory joined with it,
// so "--src ." gives "content/site.yaml".
func (s *Site) Display(name string) string {
	return filepath.ToSlash(filepath.Join(s.dir, filepath.FromSlash(name)))
}

// Rel turns a path made by Display back into a name of the site.
func (s *Site) Rel(display string) (string, bool) {
	prefix := filepath.ToSlash(filepath.Clean(s.dir))
	if prefix == "." {
		return display, fs.ValidPath(display)
	}
	rel, ok := strings.CutPrefix(display, strings.TrimSuffix(prefix, "/")+"/")
	return rel, ok && fs.ValidPath(rel)
}

// Stat describes a file or directory of the site, following symlinks that
// stay inside it.
func (s *Site) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: s.Display(name), Err: fs.ErrInvalid}
	}
	fi, err := s.root.Stat(name)
	if err != nil {
		return nil, s.refusal("stat", name, err)
	}
	if !fi.IsDir() && !fi.Mode().IsRegular() {
		return nil, &Error{Path: s.Display(name), Err: ErrNotRegular}
	}
	return fi, nil
}

// Open opens a regular file or a directory of the site for reading.
func (s *Site) Open(name string) (*os.File, error) {
	fi, err := s.Stat(name)
	if err != nil {
		return nil, err
	}
	// Non-blocking, so that a file swapped for a FIFO after the Stat does
	// not block the open; the fstat below refuses it.
	f, err := s.root.OpenFile(name, openFlags, 0)
	if err != nil {
		return nil, s.refusal("open", name, err)
	}
	got, err := f.Stat()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%s: %w", s.Display(name), err), f.Close())
	}
	if !os.SameFile(fi, got) || (!got.IsDir() && !got.Mode().IsRegular()) {
		return nil, errors.Join(&Error{Path: s.Display(name), Err: ErrNotRegular}, f.Close())
	}
	return f, nil
}

// ReadFile reads a regular file of the site.
func (s *Site) ReadFile(name string) ([]byte, error) {
	f, err := s.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Display(name), err)
	}
	if fi.IsDir() {
		if li, err := s.root.Lstat(name); err == nil && li.Mode()&fs.ModeSymlink != 0 {
			return nil, &Error{Path: s.Display(name), Err: ErrLinkedFolder}
		}
		return nil, &fs.PathError{Op: "read", Path: s.Display(name), Err: syscall.EISDIR}
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.Display(name), err)
	}
	return data, nil
}

// ReadDir lists a directory of the site, sorted by name. An entry that is
// a symlink to a regular file inside the site is listed as that file; a
// symlink leading out of the site, to a special file or to a folder
// (ErrLinkedFolder) stays a symlink entry, and reading it reports why.
func (s *Site) ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := s.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.Display(name), err)
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	for i, e := range entries {
		if e.Type()&fs.ModeSymlink == 0 {
			continue
		}
		target, err := s.root.Stat(path.Join(name, e.Name()))
		if err != nil || !target.Mode().IsRegular() {
			continue
		}
		entries[i] = fs.FileInfoToDirEntry(named{FileInfo: target, name: e.Name()})
	}
	return entries, nil
}

// WalkDir walks the tree at root (a name of the site) as fs.WalkDir does,
// with this package's rules; the paths handed to fn are names of the site.
func (s *Site) WalkDir(root string, fn fs.WalkDirFunc) error {
	return fs.WalkDir(s.FS("."), root, fn)
}

// FS is the folder dir of the site as an fs.FS (with ReadFile, ReadDir
// and Stat), for code that takes one: the static files, the islands.
// Errors name paths as Display does.
func (s *Site) FS(dir string) fs.FS { return folder{s: s, dir: dir} }

// Folder is the folder dir of the site at src when the checkout has one,
// and fallback when it does not. A folder that is there but cannot be
// read (a symlink out of the site) is not replaced by the fallback: the
// build reports it.
func Folder(src, dir string, fallback fs.FS) fs.FS {
	s, err := Open(src)
	if err != nil {
		return fallback
	}
	if _, err := s.root.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return fallback
	}
	return s.FS(dir)
}

// refusal turns an error of the root into one that names the path the way
// messages do, and into ErrOutside when a symlink on the way is what the
// root refused to follow.
func (s *Site) refusal(op, name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) && !errors.Is(err, syscall.ELOOP) {
		// Find the symlink that leads out: the first one on the way that
		// the root cannot resolve.
		for p := range prefixes(name) {
			li, lerr := s.root.Lstat(p)
			if lerr != nil || li.Mode()&fs.ModeSymlink == 0 {
				continue
			}
			if _, serr := s.root.Stat(p); serr != nil && !errors.Is(serr, fs.ErrNotExist) {
				if target, rerr := s.root.Readlink(p); rerr == nil && filepath.IsAbs(target) && insideDir(s.dir, target) {
					return &Error{Path: s.Display(p), Err: ErrAbsoluteLink}
				}
				return &Error{Path: s.Display(p), Err: ErrOutside}
			}
		}
	}
	return &fs.PathError{Op: op, Path: s.Display(name), Err: err}
}

// prefixes yields "a", "a/b", "a/b/c" for "a/b/c".
func prefixes(name string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for i := 0; i <= len(name); i++ {
			if (i == len(name) || name[i] == '/') && i > 0 {
				if !yield(name[:i]) {
					return
				}
			}
		}
	}
}

// named is a FileInfo under the name of the symlink that led to it.
type named struct {
	fs.FileInfo
	name string
}

func (n named) Name() string { return n.name }

// folder is one folder of a site as an fs.FS.
type folder struct {
	s   *Site
	dir string
}

var (
	_ fs.ReadFileFS = folder{}
	_ fs.ReadDirFS  = folder{}
	_ fs.StatFS     = folder{}
)

func (f folder) name(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return path.Join(f.dir, name), nil
}

func (f folder) Open(name string) (fs.File, error) {
	n, err := f.name("open", name)
	if err != nil {
		return nil, err
	}
	file, err := f.s.Open(n)
	if err != nil {
		return nil, err
	}
	return file, nil
}

func (f folder) ReadFile(name string) ([]byte, error) {
	n, err := f.name("read", name)
	if err != nil {
		return nil, err
	}
	return f.s.ReadFile(n)
}

func (f folder) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := f.name("readdir", name)
	if err != nil {
		return nil, err
	}
	return f.s.ReadDir(n)
}

func (f folder) Stat(name string) (fs.FileInfo, error) {
	n, err := f.name("stat", name)
	if err != nil {
		return nil, err
	}
	return f.s.Stat(n)
}

// insideDir reports whether the absolute path target names dir or
// something under it, so a refused absolute link that points inside the
// site gets the message that says how to fix it.
func insideDir(dir, target string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	rel, err := filepath.Rel(abs, filepath.Clean(target))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
