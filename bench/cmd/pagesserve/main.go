// Command pagesserve serves a built site on loopback the way the browser
// tests do, for bench/lighthouse.sh:
//
//	go run ./bench/cmd/pagesserve -root DIST -addr 127.0.0.1:0
//
// Files come through internal/pagesrv (Pages' _headers, _redirects and
// 404s), and /api/v1/status is answered as the edge worker answers it
// when the lab is out of reach: the build's snapshot.json, marked with
// X-Labfront-Snapshot. The policy's upgrade-insecure-requests is dropped,
// since this is plain http. It prints its URL on the first line of
// standard output and serves until it is stopped.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/labfront/labfront/internal/pagesrv"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pagesserve:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pagesserve", flag.ContinueOnError)
	root := fs.String("root", "dist", "the built site")
	addr := fs.String("addr", "127.0.0.1:0", "where to listen (loopback)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	site := pagesrv.Handler{Root: *root, Header: func(h http.Header) {
		h.Set("Content-Security-Policy", strings.ReplaceAll(h.Get("Content-Security-Policy"), "; upgrade-insecure-requests", ""))
	}}
	mux := http.NewServeMux()
	mux.Handle("/", site)
	mux.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, r *http.Request) {
		data, err := os.ReadFile(filepath.Join(*root, "snapshot.json"))
		if err != nil {
			http.Error(w, `{"error":"homelab unreachable"}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Labfront-Snapshot", "static")
		_, _ = w.Write(data) // a failed write means the client left
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut) // the process ends either way
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
