// Package devserver is `labfront serve`: it builds the site, serves it,
// watches the sources, rebuilds on every change and reloads open pages over
// server-sent events. A failed build keeps the last good site on screen and
// shows the problems as an overlay in the browser and in the terminal.
package devserver

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/labfront/labfront/internal/hostallow"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/pagesrv"
	"github.com/labfront/labfront/web"
)

//go:embed reload.js
var reloadJS []byte

// reloadTag is appended to every HTML page the dev server sends.
const reloadTag = `<script src="/_labfront/reload.js"></script>`

// debounce groups the burst of events an editor's save produces.
const debounce = 40 * time.Millisecond

// Config is what Serve needs.
type Config struct {
	Src     string
	Addr    string
	Drafts  bool
	Static  func() fs.FS // called before each build, so a new static/ dir is picked up
	Islands func() fs.FS
	Log     *slog.Logger
	OnReady func(url string) // called once the listener is open
	// Admin, when set, is mounted at /admin/ and /api/: the admin pages on
	// demo data, so the dev server shows the whole product.
	Admin http.Handler
	// Restart is called when Go templates change: they are compiled into
	// the binary, so a rebuild of the site alone cannot show them.
	Restart func(ctx context.Context) error
	// CheckLab is web.Options.CheckLab for every rebuild.
	CheckLab func(*lab.Lab) error
}

// state is what pages learn over the event stream.
type state struct {
	Version string `json:"version"`
	Error   string `json:"error,omitempty"`
}

type server struct {
	cfg   Config
	out   string
	boot  string // distinguishes this process's versions from a previous one's
	cache *web.Cache

	mu      sync.Mutex
	cur     state
	builds  int
	clients map[chan state]struct{}
}

// Serve runs until ctx is done.
func Serve(ctx context.Context, cfg Config) error {
	tmp, err := os.MkdirTemp("", "labfront-serve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	s := &server{
		cfg:     cfg,
		out:     filepath.Join(tmp, "site"),
		boot:    strconv.FormatInt(time.Now().UnixNano(), 36),
		cache:   web.NewCache(),
		clients: map[chan state]struct{}{},
	}
	handler, err := s.routes()
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	s.rebuild(ctx)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	watchErr := make(chan error, 1)
	go func() { watchErr <- s.watch(ctx) }()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.closeClients()
		if err := srv.Shutdown(shut); err != nil {
			cfg.Log.Warn("dev server shutdown", "err", err)
		}
	}()
	url := "http://" + ln.Addr().String() + "/"
	cfg.Log.Info("serving the site", "url", url, "src", cfg.Src, "drafts", cfg.Drafts)
	if cfg.OnReady != nil {
		cfg.OnReady(url)
	}
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	select {
	case err := <-watchErr:
		return err
	case <-time.After(time.Second):
		return nil
	}
}

// routes is the whole dev server behind the Host allowlist: loopback names
// and the listen address only. The admin pages it mounts are dev mode's
// (everyone is an admin) and the site shows drafts, so after a DNS
// rebinding a page elsewhere could read them and post actions; a Host
// check before any route stops that.
func (s *server) routes() (http.Handler, error) {
	hosts, err := hostallow.New(s.cfg.Addr, nil)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_labfront/reload.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(reloadJS) // a failed write means the client left
	})
	mux.HandleFunc("GET /_labfront/events", s.events)
	if s.cfg.Admin != nil {
		mux.Handle("/admin/", s.cfg.Admin)
		mux.Handle("/api/", s.cfg.Admin)
	}
	mux.Handle("/", s.site())
	return hosts.Handler(mux, s.cfg.Log), nil
}

// rebuild builds the site into s.out and tells every page.
func (s *server) rebuild(ctx context.Context) {
	start := time.Now()
	_, err := web.Build(ctx, web.Options{Src: s.cfg.Src, Out: s.out, Drafts: s.cfg.Drafts, Cache: s.cache, Static: s.cfg.Static(), Islands: s.cfg.Islands(), CheckLab: s.cfg.CheckLab})
	s.mu.Lock()
	s.builds++
	next := state{Version: s.boot + "-" + strconv.Itoa(s.builds)}
	if err != nil {
		next = state{Version: s.cur.Version, Error: err.Error()} // nothing new to show
	}
	s.setLocked(next)
	s.mu.Unlock()
	if err != nil {
		s.cfg.Log.Error("build failed; still serving the last good site\n" + err.Error())
		return
	}
	s.cfg.Log.Info("rebuilt", "duration", time.Since(start).Round(time.Millisecond))
}

// setLocked records the state and tells every open page; s.mu is held.
func (s *server) setLocked(st state) {
	s.cur = st
	for c := range s.clients {
		select {
		case c <- st:
		default: // a slow client gets the next state instead
		}
	}
}

func (s *server) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	c := make(chan state, 1)
	s.mu.Lock()
	s.clients[c] = struct{}{}
	cur := s.cur
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.clients, c)
		s.mu.Unlock()
	}()
	send := func(st state) bool {
		data, err := json.Marshal(st)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "event: state\ndata: %s\n\n", data); err != nil {
			return false
		}
		flusher.Flush()
		return true
	}
	if !send(cur) {
		return
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case st, ok := <-c:
			if !ok || !send(st) {
				return
			}
		}
	}
}

func (s *server) closeClients() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.clients {
		close(c)
		delete(s.clients, c)
	}
}

// site serves the last good build through pagesrv, with the reload script
// in every page and no caching, since every build replaces files.
func (s *server) site() http.Handler {
	pages := pagesrv.Handler{
		Root: s.out,
		HTML: injectReload,
		Header: func(h http.Header) {
			h.Set("Cache-Control", "no-store")
			// The dev server is plain http on loopback.
			h.Set("Content-Security-Policy", strings.ReplaceAll(h.Get("Content-Security-Policy"), "; upgrade-insecure-requests", ""))
			h.Del("Strict-Transport-Security")
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Stat(s.out); err != nil {
			// No build has succeeded yet: the overlay explains why.
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write(injectReload([]byte("<!DOCTYPE html><title>labfront</title><body><p>No successful build yet.</p></body>")))
			return
		}
		pages.ServeHTTP(w, r)
	})
}

func injectReload(page []byte) []byte {
	if i := bytes.LastIndex(page, []byte("</body>")); i >= 0 {
		return append(page[:i:i], append([]byte(reloadTag), page[i:]...)...)
	}
	return append(page, reloadTag...)
}

// watch rebuilds after changes to content/, static/, templates/ and the
// islands in web/ts/.
func (s *server) watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	defer w.Close()
	for _, dir := range []string{"content", "static", "templates", "web/ts"} {
		if err := addTree(w, filepath.Join(s.cfg.Src, dir)); err != nil {
			return fmt.Errorf("watch %s: %w", dir, err)
		}
	}
	var timer <-chan time.Time
	templatesChanged := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ignored(ev.Name) {
				continue
			}
			if ev.Has(fsnotify.Create) {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
					if err := addTree(w, ev.Name); err != nil {
						s.cfg.Log.Warn("watch new folder", "dir", ev.Name, "err", err)
					}
				}
			}
			if strings.HasSuffix(ev.Name, ".templ") || (strings.HasSuffix(ev.Name, ".go") && !strings.HasSuffix(ev.Name, "_templ.go")) {
				templatesChanged = true
			}
			timer = time.After(debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			s.cfg.Log.Warn("watcher", "err", err)
		case <-timer:
			timer = nil
			if templatesChanged && s.cfg.Restart != nil {
				templatesChanged = false
				s.cfg.Log.Info("Go code changed: regenerating templates and restarting")
				if err := s.cfg.Restart(ctx); err != nil {
					s.cfg.Log.Error("restart failed; still serving the last good build", "err", err)
					s.mu.Lock()
					s.setLocked(state{Version: s.cur.Version, Error: "restart failed:\n" + err.Error()})
					s.mu.Unlock()
				}
				continue
			}
			s.rebuild(ctx)
		}
	}
}

// ignored skips editor droppings and generated files.
func ignored(name string) bool {
	base := filepath.Base(name)
	return strings.HasPrefix(base, ".") || strings.HasSuffix(base, "~") || strings.HasSuffix(base, ".swp") || strings.HasSuffix(base, "_templ.go")
}

func addTree(w *fsnotify.Watcher, root string) error {
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return w.Add(p)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
