package api

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

// checkout is the site's git work tree, as a promotion sees it. Git always
// runs in dir (through package gitrepo, like every git of labfront), and
// only after inspectCheckout found a work tree there.
type checkout struct {
	dir    string // the site directory, absolute
	branch string // the current branch; "" when HEAD is detached
	remote string // where commits are pushed; "" when there is no remote
	dst    string // the remote ref the branch is pushed to
	// problem says why promotion cannot commit here; "" when it can.
	problem string
}

// git runs one git command in the checkout and returns its trimmed
// standard output.
func (co *checkout) git(ctx context.Context, timeout time.Duration, env []string, args ...string) (string, error) {
	out, err := gitrepo.Repo{Dir: co.dir}.RunEnv(ctx, timeout, env, args...)
	return strings.TrimSpace(out), err
}

// inspectCheckout finds out whether promotions can commit in site, on which
// branch, and where they would be pushed. It looks for a .git entry before
// running git at all: git is never run in a directory that is not a work
// tree. Whatever stops a commit is in the problem field.
func inspectCheckout(ctx context.Context, site string) *checkout {
	dir, err := filepath.Abs(site)
	if err != nil {
		return &checkout{dir: site, problem: fmt.Sprintf("cannot resolve the site directory: %v", err)}
	}
	co := &checkout{dir: dir}
	if !gitrepo.Within(dir) {
		co.problem = "not a git work tree: promoting commits the note, so the site must be a git checkout (git init, or git clone your site repository)"
		return co
	}
	if _, err := exec.LookPath("git"); err != nil {
		co.problem = "git is not installed on this server"
		return co
	}
	inside, err := co.git(ctx, gitTimeout, nil, "rev-parse", "--is-inside-work-tree")
	if err != nil || inside != "true" {
		co.problem = "not a git work tree (git rev-parse says so): promoting needs a checkout with working files"
		if err != nil {
			co.problem += ": " + err.Error()
		}
		return co
	}
	if _, err := co.git(ctx, gitTimeout, nil, "rev-parse", "--verify", "-q", "HEAD"); err != nil {
		co.problem = "the repository has no commits yet: commit the site once before promoting"
		return co
	}
	branch, err := co.git(ctx, gitTimeout, nil, "symbolic-ref", "-q", "--short", "HEAD")
	switch {
	case gitrepo.ExitCode(err) == 1:
		co.problem = "HEAD is detached: check out the branch the site deploys from"
		return co
	case err != nil:
		co.problem = err.Error()
		return co
	}
	co.branch = branch
	out, err := co.git(ctx, gitTimeout, nil, "remote")
	if err != nil {
		co.problem = err.Error()
		return co
	}
	remotes := strings.Fields(out)
	if len(remotes) == 0 {
		return co
	}
	co.remote, co.dst = co.upstream(ctx, remotes)
	if co.remote == "" {
		co.problem = fmt.Sprintf("several remotes (%s) and none is set for branch %s: run git branch --set-upstream-to", strings.Join(remotes, ", "), branch)
	}
	return co
}

// upstream is where the current branch is pushed: its configured remote
// and ref, else origin, else the only remote, under the branch's name.
func (co *checkout) upstream(ctx context.Context, remotes []string) (remote, dst string) {
	dst = "refs/heads/" + co.branch
	remote, err := co.git(ctx, gitTimeout, nil, "config", "--get", "branch."+co.branch+".remote")
	if err == nil && slices.Contains(remotes, remote) {
		if merge, err := co.git(ctx, gitTimeout, nil, "config", "--get", "branch."+co.branch+".merge"); err == nil && strings.HasPrefix(merge, "refs/heads/") {
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

// author is who a commit is by.
type author struct{ name, email string }

// commit stages paths (relative to the site directory) and commits exactly
// them: other changes in the checkout, staged or not, stay out of the
// commit and as they were. It returns the commit before and the new one.
// Nothing to commit is an error.
func (co *checkout) commit(ctx context.Context, paths []string, msg string, by author) (prev, ours string, err error) {
	if _, err := co.git(ctx, gitTimeout, nil, append([]string{"add", "--"}, paths...)...); err != nil {
		return "", "", err
	}
	_, err = co.git(ctx, gitTimeout, nil, append([]string{"diff", "--cached", "--quiet", "HEAD", "--"}, paths...)...)
	switch {
	case err == nil:
		return "", "", errNothingToCommit
	case gitrepo.ExitCode(err) != 1:
		return "", "", err
	}
	if prev, err = co.git(ctx, gitTimeout, nil, "rev-parse", "--verify", "HEAD"); err != nil {
		return "", "", err
	}
	env := []string{"GIT_AUTHOR_NAME=" + by.name, "GIT_AUTHOR_EMAIL=" + by.email,
		"GIT_COMMITTER_NAME=" + committerName, "GIT_COMMITTER_EMAIL=" + committerEmail}
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

var errNothingToCommit = errors.New("nothing to commit: the note and the inbox file already say this in git")

// The committer of every promotion; the author is the admin who asked.
const (
	committerName  = "labfront"
	committerEmail = "labfront@localhost"
)

// push sends the branch to its remote. It never forces: a remote that
// moved on rejects the push, and the operator pulls first.
func (co *checkout) push(ctx context.Context) error {
	_, err := co.git(ctx, pushTimeout, nil, "push", co.remote, "refs/heads/"+co.branch+":"+co.dst)
	return err
}

// undoCommit moves the branch back from ours to prev, only if nobody has
// committed on top in the meantime (update-ref compares and swaps).
func (co *checkout) undoCommit(ctx context.Context, prev, ours string) error {
	_, err := co.git(ctx, gitTimeout, nil, "update-ref", "-m", "labfront: undo promotion, push failed", "HEAD", prev, ours)
	return err
}

// unstage resets the index entries of paths to HEAD.
func (co *checkout) unstage(ctx context.Context, paths []string) error {
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

// savedFiles is what a promotion may change on disk, kept so a failure can
// put the checkout back exactly as it was: uncommitted hand edits of the
// inbox file included, which git checkout would throw away.
type savedFiles struct {
	files []savedFile
	dirs  []string // parent directories that did not exist
}

func saveFiles(paths ...string) (*savedFiles, error) {
	s := &savedFiles{}
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
func (s *savedFiles) restore() error {
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
