// Package sitecheckout is the site's git work tree as the admin server's
// promotions use it: whether a commit can be made there, committing the
// promoted files as the admin who asked, pushing, and undoing all of it
// when a step fails. Git runs through package gitrepo.
package sitecheckout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/atomicfile"
	"github.com/labfront/labfront/internal/gitrepo"
)

// Each git command gets its own deadline: local commands finish in
// milliseconds unless something is wrong (a lock, a hook that hangs); the
// push talks to the remote.
const (
	gitTimeout  = 30 * time.Second
	pushTimeout = 90 * time.Second
)

// Checkout is the site's git work tree, as a promotion sees it. Git always
// runs in dir (through package gitrepo, like every git of labfront), and
// only after Inspect found a work tree there.
type Checkout struct {
	Dir    string // the site directory, absolute
	Branch string // the current branch; "" when HEAD is detached
	Remote string // where commits are pushed; "" when there is no remote
	dst    string // the remote ref the branch is pushed to
	// Problem says why promotion cannot commit here; "" when it can.
	Problem string
}

// git runs one git command in the checkout and returns its trimmed
// standard output.
func (co *Checkout) git(ctx context.Context, timeout time.Duration, env []string, args ...string) (string, error) {
	out, err := gitrepo.Repo{Dir: co.Dir}.RunEnv(ctx, timeout, env, args...)
	return strings.TrimSpace(out), err
}

// Inspect finds out whether promotions can commit in site, on which
// branch, and where they would be pushed. It looks for a .git entry before
// running git at all: git is never run in a directory that is not a work
// tree. Whatever stops a commit is in the problem field.
func Inspect(ctx context.Context, site string) *Checkout {
	dir, err := filepath.Abs(site)
	if err != nil {
		return &Checkout{Dir: site, Problem: fmt.Sprintf("cannot resolve the site directory: %v", err)}
	}
	co := &Checkout{Dir: dir}
	if !gitrepo.Within(dir) {
		co.Problem = "not a git work tree: promoting commits the note, so the site must be a git checkout (git init, or git clone your site repository)"
		return co
	}
	if _, err := exec.LookPath("git"); err != nil {
		co.Problem = "git is not installed on this server"
		return co
	}
	inside, err := co.git(ctx, gitTimeout, nil, "rev-parse", "--is-inside-work-tree")
	if err != nil || inside != "true" {
		co.Problem = "not a git work tree (git rev-parse says so): promoting needs a checkout with working files"
		if err != nil {
			co.Problem += ": " + err.Error()
		}
		return co
	}
	if _, err := co.git(ctx, gitTimeout, nil, "rev-parse", "--verify", "-q", "HEAD"); err != nil {
		co.Problem = "the repository has no commits yet: commit the site once before promoting"
		return co
	}
	branch, err := co.git(ctx, gitTimeout, nil, "symbolic-ref", "-q", "--short", "HEAD")
	switch {
	case gitrepo.ExitCode(err) == 1:
		co.Problem = "HEAD is detached: check out the branch the site deploys from"
		return co
	case err != nil:
		co.Problem = err.Error()
		return co
	}
	co.Branch = branch
	out, err := co.git(ctx, gitTimeout, nil, "remote")
	if err != nil {
		co.Problem = err.Error()
		return co
	}
	remotes := strings.Fields(out)
	if len(remotes) == 0 {
		return co
	}
	co.Remote, co.dst = co.upstream(ctx, remotes)
	if co.Remote == "" {
		co.Problem = fmt.Sprintf("several remotes (%s) and none is set for branch %s: run git branch --set-upstream-to", strings.Join(remotes, ", "), branch)
	}
	return co
}

// upstream is where the current branch is pushed: its configured remote
// and ref, else origin, else the only remote, under the branch's name.
func (co *Checkout) upstream(ctx context.Context, remotes []string) (remote, dst string) {
	dst = "refs/heads/" + co.Branch
	remote, err := co.git(ctx, gitTimeout, nil, "config", "--get", "branch."+co.Branch+".remote")
	if err == nil && slices.Contains(remotes, remote) {
		if merge, err := co.git(ctx, gitTimeout, nil, "config", "--get", "branch."+co.Branch+".merge"); err == nil && strings.HasPrefix(merge, "refs/heads/") {
			dst = merge
		}
		return remote, dst
	}
	switch {
	case slices.Contains(remotes, "origin"):
		return "origin", dst
	case len(remotes) == 1:
		return remotes[0], dst
	}
	return "", ""
}

// Author is who a commit is by.
type Author struct{ Name, Email string }

// commit stages paths (relative to the site directory) and commits exactly
// them: other changes in the checkout, staged or not, stay out of the
// commit and as they were. It returns the commit before and the new one.
// Nothing to commit is an error.
func (co *Checkout) Commit(ctx context.Context, paths []string, msg string, by Author) (prev, ours string, err error) {
	if _, err := co.git(ctx, gitTimeout, nil, append([]string{"add", "--"}, paths...)...); err != nil {
		return "", "", err
	}
	_, err = co.git(ctx, gitTimeout, nil, append([]string{"diff", "--cached", "--quiet", "HEAD", "--"}, paths...)...)
	switch {
	case err == nil:
		return "", "", ErrNothingToCommit
	case gitrepo.ExitCode(err) != 1:
		return "", "", err
	}
	if prev, err = co.git(ctx, gitTimeout, nil, "rev-parse", "--verify", "HEAD"); err != nil {
		return "", "", err
	}
	env := []string{"GIT_AUTHOR_NAME=" + by.Name, "GIT_AUTHOR_EMAIL=" + by.Email,
		"GIT_COMMITTER_NAME=" + CommitterName, "GIT_COMMITTER_EMAIL=" + CommitterEmail}
	// --only: the commit holds these paths as they are in the work tree
	// and nothing else that happens to be staged.
	if _, err := co.git(ctx, gitTimeout, env, append([]string{"commit", "--quiet", "--only", "-m", msg, "--"}, paths...)...); err != nil {
		return "", "", err
	}
	if ours, err = co.git(ctx, gitTimeout, nil, "rev-parse", "--verify", "HEAD"); err != nil {
		return "", "", err
	}
	return prev, ours, nil
}

var ErrNothingToCommit = errors.New("nothing to commit: the note and the inbox file already say this in git")

// The committer of every promotion; the author is the admin who asked.
const (
	CommitterName  = "labfront"
	CommitterEmail = "labfront@localhost"
)

// Push sends the branch to its remote. It never forces: a remote that
// moved on rejects the push, and the operator pulls first.
func (co *Checkout) Push(ctx context.Context) error {
	_, err := co.git(ctx, pushTimeout, nil, "push", co.Remote, "refs/heads/"+co.Branch+":"+co.dst)
	return err
}

// undoCommit moves the branch back from ours to prev, only if nobody has
// committed on top in the meantime (update-ref compares and swaps).
func (co *Checkout) UndoCommit(ctx context.Context, prev, ours string) error {
	_, err := co.git(ctx, gitTimeout, nil, "update-ref", "-m", "labfront: undo promotion, push failed", "HEAD", prev, ours)
	return err
}

// unstage resets the index entries of paths to HEAD.
func (co *Checkout) Unstage(ctx context.Context, paths []string) error {
	_, err := co.git(ctx, gitTimeout, nil, append([]string{"reset", "--quiet", "--"}, paths...)...)
	return err
}

// savedFile is a file's content before a promotion touched it.
type savedFile struct {
	path    string
	existed bool
	data    []byte
	mode    fs.FileMode
}

// SavedFiles is what a promotion may change on disk, kept so a failure can
// put the checkout back exactly as it was: uncommitted hand edits of the
// inbox file included, which git checkout would throw away.
type SavedFiles struct {
	files []savedFile
	dirs  []string // parent directories that did not exist
}

func SaveFiles(paths ...string) (*SavedFiles, error) {
	s := &SavedFiles{}
	for _, p := range paths {
		if _, err := os.Stat(filepath.Dir(p)); errors.Is(err, fs.ErrNotExist) && !slices.Contains(s.dirs, filepath.Dir(p)) {
			s.dirs = append(s.dirs, filepath.Dir(p))
		}
		st, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			s.files = append(s.files, savedFile{path: p})
			continue
		}
		if err != nil {
			return nil, err
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file", p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		s.files = append(s.files, savedFile{path: p, existed: true, data: data, mode: st.Mode().Perm()})
	}
	return s, nil
}

// restore puts every saved file back as it was: the old bytes, or no file.
func (s *SavedFiles) Restore() error {
	var errs []error
	for _, f := range s.files {
		if !f.existed {
			if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		cur, err := os.ReadFile(f.path)
		if err == nil && bytes.Equal(cur, f.data) {
			continue
		}
		if err := atomicfile.Write(f.path, f.data, f.mode); err != nil {
			errs = append(errs, fmt.Errorf("restore %s: %w", f.path, err))
		}
	}
	for _, d := range s.dirs {
		if entries, err := os.ReadDir(d); err == nil && len(entries) == 0 {
			if err := os.Remove(d); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
