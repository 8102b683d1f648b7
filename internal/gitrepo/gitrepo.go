// Package gitrepo is labfront's one way of running git: the promotion's
// commit and push in the site checkout, the deploy runs' clone and fetch,
// and `labfront deploy` asking what it deploys. Every command gets the same
// scrubbed environment (no inherited GIT_* variable can point git at
// another repository, identity or config, no prompt can hang it), its own
// deadline, and the same redaction of credentials in what it says.
package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// waitDelay is how long a command's pipes may stay open after it ended
// or was cancelled: a hook that leaves a child holding them must not hold
// the caller.
const waitDelay = 5 * time.Second

// defaultPath is git's PATH when the caller's environment has none.
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// Repo runs git in one directory.
type Repo struct {
	// Dir is where git runs (git -C Dir); "" runs it where the process
	// is, for commands that make a repository (clone).
	Dir string
	// Getenv is the environment Env picks from; nil is os.Getenv.
	Getenv func(string) string
	// Log, when set, gets each command line and git's messages, redacted,
	// as they happen: the deploy run's log shows them.
	Log func(line string)
}

// Error is a git command that ran and exited with a failure.
type Error struct {
	Args []string
	Code int
	Msg  string // the end of stderr, credentials redacted
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("git %s: exit status %d", e.Args[0], e.Code)
	}
	return fmt.Sprintf("git %s: %s", e.Args[0], e.Msg)
}

// ExitCode is the exit status of a git command that ran, -1 for any other
// error (git missing, a timeout).
func ExitCode(err error) int {
	var ge *Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return -1
}

// Env is the whole environment of every git command: PATH, and HOME and
// the ssh agent, where the credentials for a remote live; prompts off,
// since the server has nobody to answer them; the C locale, so the
// messages shown on pages are git's English ones. Nothing else reaches
// git, its hooks or its helpers: not GIT_DIR, GIT_CONFIG_*, GIT_ASKPASS or
// the server's secrets. extra (an identity for a commit) is added last.
func Env(getenv func(string) string, extra ...string) []string {
	if getenv == nil {
		getenv = os.Getenv
	}
	path := getenv("PATH")
	if path == "" {
		path = defaultPath
	}
	env := []string{"PATH=" + path, "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "LC_ALL=C"}
	for _, k := range []string{"HOME", "SSH_AUTH_SOCK"} {
		if v := getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

// Run runs one git command with a deadline and returns its standard
// output, untrimmed.
func (r Repo) Run(ctx context.Context, timeout time.Duration, args ...string) (string, error) {
	return r.RunEnv(ctx, timeout, nil, args...)
}

// RunEnv is Run with variables added to Env (GIT_AUTHOR_NAME=…).
func (r Repo) RunEnv(ctx context.Context, timeout time.Duration, extra []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	full := args
	if r.Dir != "" {
		full = append([]string{"-C", r.Dir}, args...)
	}
	if r.Log != nil {
		r.Log("$ git " + Redact(strings.Join(args, " ")))
	}
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Env = Env(r.Getenv, extra...)
	cmd.WaitDelay = waitDelay
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	msg := Redact(strings.TrimSpace(stderr.String()))
	if r.Log != nil && msg != "" {
		r.Log(msg[:min(len(msg), 4000)])
	}
	if ctx.Err() != nil && err != nil {
		return "", fmt.Errorf("git %s: no answer within %s", args[0], timeout)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return "", &Error{Args: args, Code: ee.ExitCode(), Msg: lastLines(msg, 6)}
	}
	if err != nil {
		return "", fmt.Errorf("git %s: %w", args[0], err)
	}
	return stdout.String(), nil
}

// lastLines keeps the end of a long message, where git says what failed,
// without git's hints on what to type next.
func lastLines(s string, n int) string {
	var lines []string
	for l := range strings.SplitSeq(strings.TrimSpace(s), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "hint:") {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " / ")
}

// userInURL matches the user info of a URL in free text
// (https://user:token@host), which git echoes in its messages.
var userInURL = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)([^/@\s:]*)(:[^/@\s]*)?@`)

// Redact hides the password or token of every URL with user info in s:
// https://user:token@host becomes https://user:xxxxx@host, and
// https://token@host becomes https://xxxxx@host. Command lines, git's
// messages and the build's output all pass through it, so a remote's
// credentials never reach a page or a log.
func Redact(s string) string {
	return userInURL.ReplaceAllStringFunc(s, func(m string) string {
		sub := userInURL.FindStringSubmatch(m)
		if sub[3] != "" {
			return sub[1] + sub[2] + ":xxxxx@"
		}
		return sub[1] + "xxxxx@"
	})
}

// RedactURL is Redact for one URL, exact where it parses.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil || u.Host == "" {
		return Redact(s)
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	} else {
		u.User = url.User("xxxxx")
	}
	return u.String()
}

// Within reports whether dir or a parent holds a .git entry (a
// directory, or the file of a linked work tree or submodule): a caller
// that must never run git outside a work tree asks this first.
func Within(dir string) bool {
	for range 4096 { // deeper than any real path; the loop ends at the root
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return false
		}
		dir = parent
	}
	return false
}
