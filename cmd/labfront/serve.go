package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/labfront/labfront/api"
	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/web/devserver"
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
		Src:      *src,
		Addr:     *addr,
		Drafts:   *drafts,
		Static:   func() fs.FS { return staticFS(*src) },
		Islands:  func() fs.FS { return islandsFS(*src) },
		Log:      e.log,
		CheckLab: live.Builtin().CheckLab,
		OnReady: func(url string) {
			fmt.Fprintf(e.stdout, "labfront dev server: open %s (Ctrl-C to stop)\n", url)
		},
	}
	if isCheckout(*src) {
		cfg.Restart = func(ctx context.Context) error { return restart(ctx, *src) }
	}
	admin, stop, err := demoAdmin(ctx, e, *src, *addr)
	if err != nil {
		// The site is still worth serving; say why the admin pages are not.
		e.log.Warn("admin pages not mounted", "err", err)
	} else {
		defer stop()
		cfg.Admin = admin
	}
	return devserver.Serve(ctx, cfg)
}

// demoAdmin starts the admin server in dev mode on the simulated lab, for
// the dev server to mount at /admin/.
func demoAdmin(ctx context.Context, e *env, src, addr string) (http.Handler, func(), error) {
	state, err := os.MkdirTemp("", "labfront-admin-")
	if err != nil {
		return nil, nil, err
	}
	cfg := &adminconfig.Config{
		Listen: addr, Site: src, StateDir: state, Concurrency: 2,
		Auth:    adminconfig.Auth{Mode: adminconfig.ModeDev},
		Sources: []live.Source{{Name: "demo", Type: "demo", Interval: 5 * time.Second, Timeout: 2 * time.Second}},
	}
	srv, err := api.New(ctx, cfg, api.Options{Static: staticFS(src), Islands: islandsFS(src), Log: e.log})
	if err != nil {
		return nil, nil, errors.Join(err, os.RemoveAll(state))
	}
	pollCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Background(pollCtx)
	}()
	stop := func() {
		cancel()
		<-done
		if err := os.RemoveAll(state); err != nil {
			e.log.Warn("remove admin state", "err", err)
		}
	}
	return srv.Handler(), stop, nil
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
