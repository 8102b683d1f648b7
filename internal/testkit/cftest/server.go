// Package cftest is a local stand-in for the Cloudflare API v4, for tests.
// The real API cannot be reached from the machines that run the tests, so
// every Cloudflare client in labfront (the Pages direct upload, the KV
// snapshot push, cache purge, tunnel provisioning, DNS) is tested against
// this server instead. It speaks the same protocol: paths under
// /client/v4/, the {success, errors, messages, result} envelope, Bearer API
// tokens for the account endpoints and short-lived upload JWTs for the
// Pages asset endpoints.
//
// It is strict where the real API is strict, because a lenient fake hides
// client bugs: a wrong token is refused with the status and error code
// Cloudflare uses, an uploaded file whose content does not hash to its key
// is rejected, and a deployment whose manifest names a file that was never
// uploaded fails. Its state (files by hash, deployments, KV values, purges,
// tunnels, DNS records) and a log of the requests it served are readable
// from tests, and faults can be injected per endpoint.
//
// Error codes the clients act on are Cloudflare's (10000 authentication
// error, 8000013 expired upload token, 7003 no route); other codes are
// plausible stand-ins and documented where they are produced.
package cftest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Routes, as "METHOD pattern" strings, name the endpoints in request
// counts, the request log and fault injection.
const (
	RouteProjectGet         = "GET /client/v4/accounts/{account}/pages/projects/{project}"
	RouteUploadToken        = "GET /client/v4/accounts/{account}/pages/projects/{project}/upload-token"
	RouteCheckMissing       = "POST /client/v4/pages/assets/check-missing"
	RouteUpload             = "POST /client/v4/pages/assets/upload"
	RouteUpsertHashes       = "POST /client/v4/pages/assets/upsert-hashes"
	RouteDeploymentCreate   = "POST /client/v4/accounts/{account}/pages/projects/{project}/deployments"
	RouteDeploymentList     = "GET /client/v4/accounts/{account}/pages/projects/{project}/deployments"
	RouteDeploymentGet      = "GET /client/v4/accounts/{account}/pages/projects/{project}/deployments/{id}"
	RouteDeploymentRollback = "POST /client/v4/accounts/{account}/pages/projects/{project}/deployments/{id}/rollback"
	RouteDeploymentRetry    = "POST /client/v4/accounts/{account}/pages/projects/{project}/deployments/{id}/retry"
	RouteKVPut              = "PUT /client/v4/accounts/{account}/storage/kv/namespaces/{ns}/values/{key}"
	RouteKVGet              = "GET /client/v4/accounts/{account}/storage/kv/namespaces/{ns}/values/{key}"
	RoutePurge              = "POST /client/v4/zones/{zone}/purge_cache"
	RouteTunnelCreate       = "POST /client/v4/accounts/{account}/cfd_tunnel"
	RouteTunnelList         = "GET /client/v4/accounts/{account}/cfd_tunnel"
	RouteTunnelGet          = "GET /client/v4/accounts/{account}/cfd_tunnel/{id}"
	RouteTunnelConfigPut    = "PUT /client/v4/accounts/{account}/cfd_tunnel/{id}/configurations"
	RouteTunnelConfigGet    = "GET /client/v4/accounts/{account}/cfd_tunnel/{id}/configurations"
	RouteTunnelToken        = "GET /client/v4/accounts/{account}/cfd_tunnel/{id}/token"
	RouteTunnelConnections  = "GET /client/v4/accounts/{account}/cfd_tunnel/{id}/connections"
	RouteDNSCreate          = "POST /client/v4/zones/{zone}/dns_records"
	RouteDNSList            = "GET /client/v4/zones/{zone}/dns_records"
)

// Cloudflare error codes that clients act on.
const (
	CodeAuthentication = 10000   // wrong or unknown API token, or a resource outside the token's account
	CodeBadHeaders     = 6003    // missing or malformed Authorization header
	CodeUploadAuth     = 8000013 // the upload JWT is missing, invalid or expired: fetch a new one
	CodeNoRoute        = 7003
)

// Project is a Pages project the fake account holds.
type Project struct {
	Name             string
	ProductionBranch string // "main" when empty
}

// Options shape a Server. Zero values get the defaults documented per field.
type Options struct {
	Token     string // the API token clients must present; default "cftest-api-token"
	AccountID string // default 32 hex digits, see DefaultAccountID
	ZoneID    string // default DefaultZoneID
	ZoneName  string // default "example.com"
	// Projects are the Pages projects; default one project "labfront"
	// whose production branch is "main".
	Projects []Project
	// KVNamespaces are the ids of the account's KV namespaces; default
	// DefaultKVNamespace.
	KVNamespaces []string
	// MaxFileCount is the upload JWT's max_file_count_allowed claim and
	// the largest manifest a deployment may have; default 20,000.
	MaxFileCount int
	// JWTLifetime is how long an upload token is valid; default 5 minutes.
	JWTLifetime time.Duration
	// DeploySteps is how many GETs of a new deployment pass before it is
	// live: each GET moves it one stage on (queued, initialize,
	// clone_repo, build, deploy). Default 3.
	DeploySteps int
	// FailDeploys makes every new deployment end in a failed deploy stage.
	FailDeploys bool
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Defaults for Options.
const (
	DefaultToken       = "cftest-api-token"
	DefaultAccountID   = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	DefaultZoneID      = "f9e8d7c6b5a4938271605f4e3d2c1b0a"
	DefaultZoneName    = "example.com"
	DefaultProject     = "labfront"
	DefaultKVNamespace = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
)

// Request is one request the server answered.
type Request struct {
	Method string
	Path   string
	Route  string // one of the Route constants, "" when nothing matched
	Status int
}

// fault is an injected failure: the next N requests to a route fail.
type fault struct {
	remaining int
	status    int
}

// Server is the fake API. Its methods are safe for concurrent use.
type Server struct {
	// URL is the server's root, http://127.0.0.1:PORT.
	URL string
	// APIBase is URL + "/client/v4/", the value for cloudflare-go's
	// option.WithBaseURL and for CLOUDFLARE_BASE_URL.
	APIBase string

	opts   Options
	srv    *httptest.Server
	jwtKey []byte

	mu          sync.Mutex
	requests    []Request
	counts      map[string]int
	faults      map[string]*fault
	revoked     map[string]bool // upload JWT ids refused from now on
	projects    map[string]*projectState
	kv          map[string]map[string][]byte
	purges      []Purge
	tunnels     []*Tunnel
	dns         []*DNSRecord
	nextSerial  int
	tokenSerial int
}

// New starts a server on a loopback port and stops it when the test ends.
func New(t testing.TB, o Options) *Server {
	t.Helper()
	s := Start(o)
	t.Cleanup(s.Close)
	return s
}

// Start starts a server on a loopback port; Close stops it.
func Start(o Options) *Server {
	s := newServer(o)
	s.srv = httptest.NewServer(s.Handler())
	s.URL = s.srv.URL
	s.APIBase = s.URL + "/client/v4/"
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

func newServer(o Options) *Server {
	if o.Token == "" {
		o.Token = DefaultToken
	}
	if o.AccountID == "" {
		o.AccountID = DefaultAccountID
	}
	if o.ZoneID == "" {
		o.ZoneID = DefaultZoneID
	}
	if o.ZoneName == "" {
		o.ZoneName = DefaultZoneName
	}
	if len(o.Projects) == 0 {
		o.Projects = []Project{{Name: DefaultProject}}
	}
	if o.KVNamespaces == nil {
		o.KVNamespaces = []string{DefaultKVNamespace}
	}
	if o.MaxFileCount == 0 {
		o.MaxFileCount = 20000
	}
	if o.JWTLifetime == 0 {
		o.JWTLifetime = 5 * time.Minute
	}
	if o.DeploySteps == 0 {
		o.DeploySteps = 3
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{
		opts:     o,
		jwtKey:   randomBytes(32),
		counts:   map[string]int{},
		faults:   map[string]*fault{},
		revoked:  map[string]bool{},
		projects: map[string]*projectState{},
		kv:       map[string]map[string][]byte{},
	}
	for _, p := range o.Projects {
		branch := p.ProductionBranch
		if branch == "" {
			branch = "main"
		}
		s.projects[p.Name] = &projectState{
			id:     randomUUID(),
			name:   p.Name,
			branch: branch,
			files:  map[string]*File{},
			create: o.Now().UTC(),
		}
	}
	for _, ns := range o.KVNamespaces {
		s.kv[ns] = map[string][]byte{}
	}
	return s
}

// Options returns the options in effect, defaults filled in.
func (s *Server) Options() Options { return s.opts }

// Handler is the API as an http.Handler, for callers that run their own
// server.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	routes := []struct {
		pattern string
		auth    authKind
		handle  func(w http.ResponseWriter, r *http.Request) (int, any)
	}{
		{RouteProjectGet, authAPIToken, s.projectGet},
		{RouteUploadToken, authAPIToken, s.uploadToken},
		{RouteCheckMissing, authUploadJWT, s.checkMissing},
		{RouteUpload, authUploadJWT, s.upload},
		{RouteUpsertHashes, authUploadJWT, s.upsertHashes},
		{RouteDeploymentCreate, authAPIToken, s.deploymentCreate},
		{RouteDeploymentList, authAPIToken, s.deploymentList},
		{RouteDeploymentGet, authAPIToken, s.deploymentGet},
		{RouteDeploymentRollback, authAPIToken, s.deploymentRollback},
		{RouteDeploymentRetry, authAPIToken, s.deploymentRetry},
		{RouteKVPut, authAPIToken, s.kvPut},
		{RouteKVGet, authAPIToken, nil}, // raw body, see kvGet
		{RoutePurge, authAPIToken, s.purge},
		{RouteTunnelCreate, authAPIToken, s.tunnelCreate},
		{RouteTunnelList, authAPIToken, s.tunnelList},
		{RouteTunnelGet, authAPIToken, s.tunnelGet},
		{RouteTunnelConfigPut, authAPIToken, s.tunnelConfigPut},
		{RouteTunnelConfigGet, authAPIToken, s.tunnelConfigGet},
		{RouteTunnelToken, authAPIToken, s.tunnelToken},
		{RouteTunnelConnections, authAPIToken, s.tunnelConnections},
		{RouteDNSCreate, authAPIToken, s.dnsCreate},
		{RouteDNSList, authAPIToken, s.dnsList},
	}
	for _, rt := range routes {
		mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) {
			rec := &statusRecorder{ResponseWriter: w}
			defer func() { s.record(r, rt.pattern, rec.status) }()
			if !s.authorize(rec, r, rt.auth) {
				return
			}
			if s.injectFault(rec, r, rt.pattern, rt.auth) {
				return
			}
			if rt.pattern == RouteKVGet {
				s.kvGet(rec, r)
				return
			}
			// Handlers return their failures as apiErrors results.
			status, result := rt.handle(rec, r)
			writeEnvelope(rec, status, result)
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer func() { s.record(r, "", rec.status) }()
		writeEnvelope(rec, http.StatusNotFound, apiErr(CodeNoRoute, "No route for that URI"))
	})
	return mux
}

// statusRecorder remembers the status a handler wrote, for the log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (s *Server) record(r *http.Request, route string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Route: route, Status: status})
	if route != "" {
		s.counts[route]++
	}
}

// Requests returns the log of requests answered so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Count is how many requests a route has answered (whatever the status).
func (s *Server) Count(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[route]
}

// CountStatus is how many requests to a route were answered with status.
func (s *Server) CountStatus(route string, status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if r.Route == route && r.Status == status {
			n++
		}
	}
	return n
}

// ResetLog forgets the request log and counts; the state stays.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.counts = map[string]int{}
}

// FailNext makes the next n requests to route fail with status, after
// authentication succeeded. A 401 on an upload-JWT endpoint also revokes
// the JWT that request carried, as an expired token would be: a client
// that retries with the same JWT keeps failing, one that fetches a new
// one succeeds.
func (s *Server) FailNext(route string, n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[route] = &fault{remaining: n, status: status}
}

func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, route string, auth authKind) bool {
	s.mu.Lock()
	f := s.faults[route]
	if f == nil || f.remaining <= 0 {
		s.mu.Unlock()
		return false
	}
	f.remaining--
	status := f.status
	if status == http.StatusUnauthorized && auth == authUploadJWT {
		if c, err := s.parseJWT(bearer(r)); err == nil {
			s.revoked[c.ID] = true
		}
	}
	s.mu.Unlock()
	switch status {
	case http.StatusUnauthorized:
		writeEnvelope(w, status, apiErr(CodeUploadAuth, "Authorization failed: the upload token has expired"))
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "0")
		writeEnvelope(w, status, apiErr(971, "Please wait and consider throttling your request speed"))
	default:
		// 8000000 is the Pages API's "unknown error", which wrangler
		// retries.
		writeEnvelope(w, status, apiErr(8000000, "An unknown error occurred (injected fault)"))
	}
	return true
}

// apiError is one entry of an envelope's errors.
type apiError struct {
	Code       int        `json:"code"`
	Message    string     `json:"message"`
	ErrorChain []apiError `json:"error_chain,omitempty"`
}

// apiErrors is a handler's failure result.
type apiErrors []apiError

func apiErr(code int, format string, args ...any) apiErrors {
	return apiErrors{{Code: code, Message: fmt.Sprintf(format, args...)}}
}

// envelope is every JSON answer's shape. result_info is set for lists.
type envelope struct {
	Success    bool        `json:"success"`
	Errors     []apiError  `json:"errors"`
	Messages   []apiError  `json:"messages"`
	Result     any         `json:"result"`
	ResultInfo *resultInfo `json:"result_info,omitempty"`
}

type resultInfo struct {
	Page       int `json:"page"`
	PerPage    int `json:"per_page"`
	Count      int `json:"count"`
	TotalCount int `json:"total_count"`
	TotalPages int `json:"total_pages"`
}

// listResult is a page of a list, with its result_info.
type listResult struct {
	items any
	info  resultInfo
}

func writeEnvelope(w http.ResponseWriter, status int, result any) {
	env := envelope{Success: status < 400, Errors: []apiError{}, Messages: []apiError{}}
	switch v := result.(type) {
	case apiErrors:
		env.Errors = v
	case listResult:
		env.Result = v.items
		env.ResultInfo = &v.info
	default:
		env.Result = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// A failed write means the client went away; there is nobody to tell.
	_ = json.NewEncoder(w).Encode(env)
}

// paginate cuts items to the page the query asks for (page, per_page),
// the way V4 paginated lists do: past the end the page is empty.
func paginate[T any](r *http.Request, items []T, defaultPerPage int) listResult {
	page, perPage := queryInt(r, "page", 1), queryInt(r, "per_page", defaultPerPage)
	if page < 1 {
		page = 1
	}
	if perPage < 1 {
		perPage = defaultPerPage
	}
	start := min((page-1)*perPage, len(items))
	end := min(start+perPage, len(items))
	out := slices.Clone(items[start:end])
	if out == nil {
		out = []T{}
	}
	return listResult{items: out, info: resultInfo{
		Page: page, PerPage: perPage, Count: len(out), TotalCount: len(items),
		TotalPages: (len(items) + perPage - 1) / perPage,
	}}
}

func queryInt(r *http.Request, key string, def int) int {
	v := r.URL.Query().Get(key)
	if v == "" {
		return def
	}
	var n int
	if _, err := fmt.Sscanf(v, "%d", &n); err != nil {
		return def
	}
	return n
}

// authKind says which credential an endpoint takes.
type authKind int

const (
	authAPIToken  authKind = iota // the account's API token
	authUploadJWT                 // a Pages upload JWT
)

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if v, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(v)
	}
	return ""
}

// authorize checks the credential, and for API-token endpoints that the
// account or zone in the path is the token's. It writes the refusal.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, kind authKind) bool {
	tok := bearer(r)
	if kind == authUploadJWT {
		s.mu.Lock()
		c, err := s.parseJWT(tok)
		revoked := err == nil && s.revoked[c.ID]
		s.mu.Unlock()
		if err != nil || revoked {
			msg := "Authorization failed"
			if err != nil {
				msg += ": " + err.Error()
			} else {
				msg += ": the upload token has expired"
			}
			writeEnvelope(w, http.StatusUnauthorized, apiErr(CodeUploadAuth, "%s", msg))
			return false
		}
		return true
	}
	if tok == "" {
		e := apiErrors{{Code: CodeBadHeaders, Message: "Invalid request headers",
			ErrorChain: []apiError{{Code: 6111, Message: "Invalid format for Authorization header"}}}}
		writeEnvelope(w, http.StatusBadRequest, e)
		return false
	}
	if tok != s.opts.Token {
		writeEnvelope(w, http.StatusForbidden, apiErr(CodeAuthentication, "Authentication error"))
		return false
	}
	if a := r.PathValue("account"); a != "" && a != s.opts.AccountID {
		writeEnvelope(w, http.StatusForbidden, apiErr(CodeAuthentication, "Authentication error"))
		return false
	}
	if z := r.PathValue("zone"); z != "" && z != s.opts.ZoneID {
		writeEnvelope(w, http.StatusForbidden, apiErr(CodeAuthentication, "Authentication error"))
		return false
	}
	return true
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	// crypto/rand.Read never fails on supported platforms (Go 1.24+).
	_, _ = rand.Read(b)
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

func randomUUID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// decodeJSON reads a JSON body of at most limit bytes. Unknown fields are
// ignored, as the API ignores them.
func decodeJSON(r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, limit))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("request body is not valid JSON: %w", err)
	}
	return nil
}
