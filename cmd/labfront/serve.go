package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/labfront/labfront/internal/devserver"
)

func cmdServe(ctx context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("serve", flag.ContinueOnError)
	src := flags.String("src", ".", "the site's source directory (holds content/)")
	addr := flags.String("addr", "127.0.0.1:8080", "address to listen on")
	drafts := flags.Bool("drafts", true, "show pages marked draft: true (they never reach dist/)")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if err := noArgs("serve", pos); err != nil {
		return err
	}
	cfg := devserver.Config{
		Src:     *src,
		Addr:    *addr,
		Drafts:  *drafts,
		Static:  func() fs.FS { return staticFS(*src) },
		Islands: func() fs.FS { return islandsFS(*src) },
		Log:     e.log,
		OnReady: func(url string) {
			fmt.Fprintf(e.stdout, "labfront dev server: open %s (Ctrl-C to stop)\n", url)
		},
	}
	if isCheckout(*src) {
		cfg.Restart = func(ctx context.Context) error { return restart(ctx, *src) }
	}
	return devserver.Serve(ctx, cfg)
}

// isCheckout reports whether src is labfront's own repository, where
// template edits can be compiled into a new binary.
func isCheckout(src string) bool {
	for _, p := range []string{"go.mod", "cmd/labfront", "templates"} {
		if _, err := os.Stat(filepath.Join(src, p)); err != nil {
			return false
		}
	}
	return true
}

// restart regenerates the templ components, builds a new binary and
// replaces this process with it; open pages reconnect and reload.
func restart(ctx context.Context, src string) error {
	gen := exec.CommandContext(ctx, "go", "tool", "templ", "generate")
	gen.Dir = src
	if out, err := gen.CombinedOutput(); err != nil {
		return fmt.Errorf("templ generate: %w\n%s", err, out)
	}
	bin := filepath.Join(os.TempDir(), fmt.Sprintf("labfront-serve-%d", os.Getpid()))
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/labfront")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return syscall.Exec(bin, append([]string{bin}, os.Args[1:]...), os.Environ())
}
