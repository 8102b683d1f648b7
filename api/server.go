// Package api is the SSR admin server: it runs inside the homelab behind
// cloudflared, shows live cluster data with the same templ components as the
// static site, performs admin actions, and keeps serving the last good data
// when parts of the homelab are unreachable. Every route is in one table
// (routes.go) with the access it needs; nothing else decides who gets in.
// The server takes its configuration parsed (package adminconfig).
package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/labfront/labfront/deploy/deployrun"
	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/auditlog"
	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/hostallow"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/sitefs"
	"github.com/labfront/labfront/internal/snapshot"
	"github.com/labfront/labfront/internal/statefile"
	"github.com/labfront/labfront/internal/statuspush"
	"github.com/labfront/labfront/internal/topology"
	"github.com/labfront/labfront/templates"
	"github.com/labfront/labfront/web"
)

// Server is the admin server.
type Server struct {
	cfg         *adminconfig.Config
	lab         *lab.Lab
	origin      string // the public site's origin, allowed by CORS on /api/v1/status
	store       *live.Store
	files       *statefile.Files // the state files: losses and failing writes
	collectors  map[string]live.Collector
	auth        authenticator
	audit       *auditlog.Log
	assets      *web.Assets
	drawing     *topology.Drawing // the full lab, laid out once
	details     map[string]templates.NodeDetail
	shutdown    chan struct{} // closed when the server begins to shut down
	cache       derived
	search      adminSearch // the admin's search index (search.go)
	metrics     *metrics
	cop         *http.CrossOriginProtection
	promoting   sync.Mutex       // one promotion at a time: they commit in one checkout
	deploys     *deployrun.Queue // git-push deploys; nil without a deploys: key
	deployGrace time.Duration
	kv          *statuspush.Pusher // the status push to Workers KV; nil when off
	log         *slog.Logger
	echo        *echo.Echo
	handler     http.Handler // echo behind the Host allowlist
	now         func() time.Time
}

// Options are what New needs besides the config.
type Options struct {
	Static  fs.FS
	Islands fs.FS
	Log     *slog.Logger
	// Collectors overrides how sources become collectors (tests).
	Collectors map[string]live.Collector
	Now        func() time.Time
	// WriteState replaces state files (nil: atomicfile.Write); tests make
	// it fail as a full disk would.
	WriteState statefile.WriteFunc
	// DeployGrace is how long a graceful stop waits for a deploy in
	// progress before cancelling it (0: DefaultDeployGrace).
	DeployGrace time.Duration
}

// DefaultDeployGrace is how long a graceful stop (SIGTERM) waits for a
// deploy run in progress to finish before cancelling it: a site build and
// an upload take well under a minute for the example site. The systemd
// unit's TimeoutStopSec and the k3s pod's terminationGracePeriodSeconds
// leave room for it and for shutdownTimeout.
const DefaultDeployGrace = 2 * time.Minute

// shutdownTimeout bounds how long a graceful stop waits for requests in
// flight.
const shutdownTimeout = 10 * time.Second

// New loads the site's lab, opens the state and prepares the routes. ctx
// lives as long as the server: key sets refresh with it.
func New(ctx context.Context, cfg *adminconfig.Config, opts Options) (*Server, error) {
	if cfg.Auth.Mode == adminconfig.ModeDev || cfg.Auth.Mode == "" {
		host, _, err := net.SplitHostPort(cfg.Listen)
		if err != nil || !adminconfig.IsLoopback(host) {
			return nil, fmt.Errorf("auth mode dev has no authentication: it only listens on loopback (127.0.0.1 or localhost), not %q", cfg.Listen)
		}
	}
	// Host is checked before routing, against DNS rebinding (hostallow).
	names := cfg.Hostnames
	if cfg.Auth.Mode == adminconfig.ModeDev || cfg.Auth.Mode == "" {
		if len(names) > 0 {
			return nil, fmt.Errorf("auth mode dev answers loopback host names only; hostnames is for access and oidc mode")
		}
	}
	hosts, err := hostallow.New(cfg.Listen, names)
	if err != nil {
		return nil, err
	}
	files, err := sitefs.Open(cfg.Site)
	if err != nil {
		return nil, err
	}
	l, err := lab.LoadSite(files)
	if cerr := files.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if l == nil {
		l = &lab.Lab{}
	}
	// lab accepts any live: key; the collector registry knows which exist.
	if err := live.Builtin().CheckLab(l); err != nil {
		return nil, err
	}
	// Only site.yaml: the posts are the static site's business.
	site, err := content.LoadConfig(cfg.Site)
	if err != nil {
		return nil, err
	}
	assets, err := web.LoadAssets(opts.Static, opts.Islands)
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	state := statefile.New(opts.Log, now, opts.WriteState)
	// Nothing writes to state_dir yet: a temporary file there is a crash's.
	if err := state.RemoveTemp(cfg.StateDir); err != nil {
		opts.Log.Warn("temporary files left by a crash could not be removed", "err", err)
	}
	store, err := live.OpenStore(state, cfg.StateDir, cfg.Sources)
	if err != nil {
		return nil, err
	}
	// snapshot.json is written here and read by the deploys' builds: a
	// damaged one is moved aside (the next collection writes it again),
	// so that no build fails on it.
	snap := filepath.Join(cfg.StateDir, snapshotFile)
	if _, err := state.Load(snap, func(data []byte) error {
		_, err := snapshot.Parse(data, snap)
		return err
	}); err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, lab: l, store: store, files: state, audit: auditlog.New(cfg.StateDir), assets: assets,
		drawing: topology.Draw(l), log: opts.Log, now: now,
		cop: http.NewCrossOriginProtection(), collectors: opts.Collectors, shutdown: make(chan struct{}),
	}
	s.details = map[string]templates.NodeDetail{}
	for _, d := range web.NodeDetails(l) {
		s.details[d.ID] = d
	}
	if u, err := url.Parse(site.BaseURL); err == nil {
		s.origin = u.Scheme + "://" + u.Host
	}
	if s.collectors == nil {
		s.collectors = map[string]live.Collector{}
		for _, src := range cfg.Sources {
			c, err := live.Builtin().New(src, l, s.now)
			if err != nil {
				return nil, fmt.Errorf("source %s: %w", src.Name, err)
			}
			s.collectors[src.Name] = c
		}
	}
	switch cfg.Auth.Mode {
	case adminconfig.ModeAccess:
		s.auth = newAccessAuth(ctx, cfg.Auth, s.log, s.now)
	case adminconfig.ModeOIDC:
		a, err := newOIDCAuth(ctx, cfg.Auth, s.files, cfg.StateDir, s.log, s.now)
		if err != nil {
			return nil, err
		}
		s.auth = a
	default:
		s.auth = devAuth{}
		s.log.Warn("DEVELOPMENT MODE: no authentication, everyone is an admin", "listen", cfg.Listen)
	}
	if cfg.Deploys.Enabled {
		s.deploys, err = deployrun.Open(cfg.Deploys, deployrun.Options{Files: s.files, StateDir: cfg.StateDir, Audit: s.audit, Log: s.log, Now: s.now})
		if err != nil {
			return nil, err
		}
		s.deployGrace = opts.DeployGrace
		if s.deployGrace <= 0 {
			s.deployGrace = DefaultDeployGrace
		}
	}
	// The search index is built now, so that a broken one fails the start.
	if _, err := s.searchReader(); err != nil {
		return nil, err
	}
	s.metrics = newMetrics(s.store, s.now)
	s.kv = s.newKVPush()
	if s.echo, err = s.newEcho(); err != nil {
		return nil, err
	}
	s.handler = hosts.Handler(s.echo, s.log)
	return s, nil
}

// Handler is the server's HTTP handler, for tests and for mounting; it
// refuses a Host that is not on the allowlist before any route sees it.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) newEcho() (*echo.Echo, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	// HEAD is answered as GET, with the same guards; net/http drops the
	// body. Monitoring tools probe with HEAD.
	e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Request().Method == http.MethodHead {
				c.Request().Method = http.MethodGet
			}
			return next(c)
		}
	})
	e.Use(s.observe, s.securityHeaders)
	if err := s.register(e); err != nil {
		return nil, err
	}
	return e, nil
}

// Run serves and runs the background loops until ctx is done, then shuts
// down gracefully (see Serve).
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on a listener the caller opened. When ctx is done it stops
// taking requests, lets those in flight finish (shutdownTimeout), and
// returns only after every background loop has ended: a deploy in
// progress is given DeployGrace to finish and save its state.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	// Open event streams would hold a graceful shutdown to its deadline.
	srv.RegisterOnShutdown(func() { close(s.shutdown) })
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	background := make(chan struct{})
	go func() {
		defer close(background)
		s.Background(bgCtx)
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("admin server listening", "addr", ln.Addr().String(), "auth", s.cfg.Auth.Mode, "sources", len(s.cfg.Sources))
	select {
	case err := <-errc:
		stopBackground()
		<-background
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shut)
	stopBackground()
	s.log.Info("admin server stopping: waiting for the background loops")
	<-background
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	s.log.Info("admin server stopped")
	return err
}

// Background runs the server's loops until ctx is done and returns once
// all of them have ended: the poller, the snapshot writer, the KV pusher
// and the deploy queue. Serve calls it; callers that serve Handler
// themselves (`labfront serve`) call it directly.
func (s *Server) Background(ctx context.Context) {
	// Subscribed before the poller starts, so its first result is written.
	updates, unsubscribe := s.store.Subscribe()
	defer unsubscribe()
	var wg sync.WaitGroup
	if s.deploys != nil {
		wg.Go(func() { s.deploys.Run(ctx, s.deployGrace) })
	}
	if s.kv != nil {
		wg.Go(func() { s.kv.Run(ctx) })
	}
	wg.Go(func() { s.writeSnapshots(ctx, updates) })
	wg.Go(func() { s.poller().Run(ctx) })
	wg.Wait()
}

func (s *Server) poller() *live.Poller {
	return &live.Poller{
		Store: s.store, Sources: s.cfg.Sources, Collectors: s.collectors, Concurrency: s.cfg.Concurrency,
		Log: s.log, Observe: s.metrics.observeCollect, Now: s.now,
	}
}

// writeSnapshots rewrites snapshot.json after every change of the store,
// outside the store's lock: the file is synced, and pages must not wait
// for a disk.
func (s *Server) writeSnapshots(ctx context.Context, updates <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-updates:
			if err := s.writeSnapshot(); err != nil {
				// s.files logged it, at most once a minute.
				s.log.Debug("write snapshot", "err", err)
			}
		}
	}
}

// snapshotFile is the status snapshot under state_dir.
const snapshotFile = "snapshot.json"

// writeSnapshot keeps state_dir/snapshot.json in the format `labfront
// build --snapshot` reads.
func (s *Server) writeSnapshot() error {
	data, err := live.Snapshot(s.lab, s.store.Sources(), s.now()).Marshal()
	if err != nil {
		return err
	}
	return s.files.Write(filepath.Join(s.cfg.StateDir, snapshotFile), data, 0o644)
}

// requireIdentity lets a request through only with a valid identity.
func (s *Server) requireIdentity(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := s.auth.identify(c.Request())
		if err != nil {
			if !errors.Is(err, errNoIdentity) {
				s.log.Info("rejected credential", "path", c.Path(), "err", err)
			}
			// Only a page the browser navigates to is sent to the login: an
			// event stream or fetch redirected there would start logins
			// that overwrite a real one in progress.
			mode := c.Request().Header.Get("Sec-Fetch-Mode")
			if login := s.auth.loginURL(c.Request().URL.RequestURI()); login != "" && c.Request().Method == http.MethodGet &&
				!strings.HasPrefix(c.Path(), "/api/") && (mode == "" || mode == "navigate") {
				return c.Redirect(http.StatusSeeOther, login)
			}
			return echo.NewHTTPError(http.StatusUnauthorized, "Sign in to see this page.")
		}
		c.Set("identity", id)
		return next(c)
	}
}

func identity(c echo.Context) *Identity {
	id, _ := c.Get("identity").(*Identity) // set by requireIdentity; nil on public routes
	return id
}

// requireAdmin lets through admins only.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if id := identity(c); id == nil || !id.Admin {
			return echo.NewHTTPError(http.StatusForbidden, "This needs the admin role.")
		}
		return next(c)
	}
}

// sameOrigin rejects cross-site requests to actions (CSRF), using the
// browser's Sec-Fetch-Site and Origin headers.
func (s *Server) sameOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.cop.Check(c.Request()); err != nil {
			return echo.NewHTTPError(http.StatusForbidden, "Cross-origin request refused.")
		}
		return next(c)
	}
}

// securityHeaders sets the headers of every answer, with a fresh CSP nonce
// for the page's script tags.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		nonce, err := newNonce()
		if err != nil {
			return err
		}
		// The keys are written in canonical form: Header.Set canonicalises
		// every key again, a sixth of the cost of a cached answer.
		h := c.Response().Header()
		h["Content-Security-Policy"] = []string{"default-src 'self'; script-src 'self' 'nonce-" + nonce + "'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"}
		h["X-Content-Type-Options"] = []string{"nosniff"}
		h["Referrer-Policy"] = []string{"same-origin"}
		h["X-Frame-Options"] = []string{"DENY"}
		// HSTS only when the browser came over HTTPS: browsers ignore it on
		// plain HTTP, and a loopback dev server must stay reachable by http.
		if overHTTPS(c.Request()) {
			h["Strict-Transport-Security"] = []string{hstsValue}
		}
		if !strings.HasPrefix(c.Request().URL.Path, "/assets/") {
			h["Cache-Control"] = []string{"no-store"}
		}
		ctx := templ.WithNonce(c.Request().Context(), nonce)
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

func newNonce() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawStdEncoding.EncodeToString(b), nil
}

// render writes a page: into a buffer first, so a failing component
// cannot leave half a page behind.
func render(c echo.Context, code int, page templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := page.Render(c.Request().Context(), buf); err != nil {
		return fmt.Errorf("render %s: %w", c.Path(), err)
	}
	// A known length spares the client chunked encoding. HTMLBlob writes
	// before the buffer goes back to the pool.
	c.Response().Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	return c.HTMLBlob(code, buf.Bytes())
}

// handleError is the one place errors become answers: JSON for the API,
// a page for everything else; logged once.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, "Something went wrong; it has been logged."
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = http.StatusText(code)
		}
	}
	if code >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	var werr error
	if strings.HasPrefix(c.Request().URL.Path, "/api/") || c.Request().Method != http.MethodGet {
		werr = c.JSON(code, map[string]string{"error": msg})
	} else {
		werr = render(c, code, s.errorPage(c, code, msg))
	}
	if werr != nil {
		s.log.Warn("write error answer", "err", werr)
	}
}
