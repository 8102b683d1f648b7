package gitrepo

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestEnv: git gets PATH, HOME and the ssh agent, prompts off, and none
// of the caller's other variables: no secret, no GIT_DIR, no GIT_CONFIG_*.
func TestEnv(t *testing.T) {
	t.Parallel()
	server := map[string]string{
		"PATH": "/bin", "HOME": "/home/lab", "SSH_AUTH_SOCK": "/run/agent", "LABFRONT_WEBHOOK_SECRET": "s",
		"CLOUDFLARE_API_TOKEN": "t", "GIT_DIR": "/elsewhere", "GIT_CONFIG_GLOBAL": "/tmp/evil", "GIT_ASKPASS": "/bin/steal",
	}
	got := Env(func(k string) string { return server[k] })
	slices.Sort(got)
	want := []string{"GIT_ASKPASS=", "GIT_TERMINAL_PROMPT=0", "HOME=/home/lab", "LC_ALL=C", "PATH=/bin", "SSH_AUTH_SOCK=/run/agent"}
	if !slices.Equal(got, want) {
		t.Errorf("git env %v, want %v", got, want)
	}
	if got := Env(func(string) string { return "" }, "GIT_AUTHOR_NAME=A"); !slices.Contains(got, "PATH="+defaultPath) || got[len(got)-1] != "GIT_AUTHOR_NAME=A" {
		t.Errorf("env without PATH, with an extra: %v", got)
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://ops:ghp_token@git.lab.test/site.git":                 "https://ops:xxxxx@git.lab.test/site.git",
		"https://token@git.lab.test/site.git":                         "https://xxxxx@git.lab.test/site.git",
		"fatal: unable to access 'https://u:p4ss@h.test/r.git/': 403": "fatal: unable to access 'https://u:xxxxx@h.test/r.git/': 403",
		"/srv/git/site.git":                                           "/srv/git/site.git",
		"https://git.lab.test/a@b":                                    "https://git.lab.test/a@b",
		"two: https://a:1@x.test and http://2@y.test":                 "two: https://a:xxxxx@x.test and http://xxxxx@y.test",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"https://ops:ghp_token@git.lab.test/site.git": "https://ops:xxxxx@git.lab.test/site.git",
		"https://token@git.lab.test/site.git":         "https://xxxxx@git.lab.test/site.git",
		"git@git.lab.test:site.git":                   "git@git.lab.test:site.git",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRun: git runs in Dir whatever GIT_DIR the process has, a failure
// carries its exit code and a redacted message, and the log sees the
// command line and the message redacted too.
func TestRun(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	other := t.TempDir()
	for _, d := range []string{dir, other} {
		if out, err := exec.Command("git", "init", "--quiet", d).CombinedOutput(); err != nil {
			t.Fatalf("git init: %v\n%s", err, out)
		}
	}
	// A variable like this in the server's environment would otherwise
	// make every command act on another repository.
	t.Setenv("GIT_DIR", filepath.Join(other, ".git"))
	var log []string
	r := Repo{Dir: dir, Log: func(l string) { log = append(log, l) }}
	ctx := context.Background()
	top, err := r.Run(ctx, time.Minute, "rev-parse", "--show-toplevel")
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.EvalSymlinks(dir); strings.TrimSpace(top) != want {
		t.Errorf("git ran in %q, want %q", strings.TrimSpace(top), want)
	}
	_, err = r.Run(ctx, time.Minute, "fetch", "https://ops:s3cret@127.0.0.1:1/site.git")
	if ExitCode(err) != 128 {
		t.Fatalf("fetch from a closed port: %v (exit %d), want exit 128", err, ExitCode(err))
	}
	all := err.Error() + strings.Join(log, "\n")
	if strings.Contains(all, "s3cret") {
		t.Errorf("the credential shows:\n%s", all)
	}
	if !strings.HasPrefix(err.Error(), "git fetch: ") || !slices.Contains(log, "$ git fetch https://ops:xxxxx@127.0.0.1:1/site.git") {
		t.Errorf("error %q, log %q", err, log)
	}
	if ExitCode(os.ErrNotExist) != -1 {
		t.Error("ExitCode of a non-git error")
	}
}

func TestWithin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if Within(sub) {
		t.Error("no .git yet")
	}
	if err := os.WriteFile(filepath.Join(dir, ".git"), []byte("gitdir: elsewhere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !Within(sub) {
		t.Error("a .git file in a parent")
	}
}
