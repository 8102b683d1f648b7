package cftest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// Limits the real API enforces, as far as they are documented.
const (
	maxAssetSize      = 25 << 20  // one file
	maxUploadBody     = 100 << 20 // one /pages/assets/upload request
	maxFilesPerUpload = 5000
	maxCommitMessage  = 384 // bytes, wrangler truncates to this
)

// File is an asset the fake holds, by hash.
type File struct {
	Hash        string
	ContentType string
	Content     []byte
	// Verified is true once the content has been checked against the
	// hash: at upload when the content type gives the extension, else when
	// a deployment's manifest names the file.
	Verified bool
	Uploads  int  // how many times it was uploaded
	Upserted bool // named by an upsert-hashes call
}

// Deployment is a deployment the fake received.
type Deployment struct {
	ID            string
	ShortID       string
	Project       string
	Environment   string // production or preview
	Branch        string
	CommitHash    string
	CommitMessage string
	CommitDirty   string
	Manifest      map[string]string // "/path" → hash
	// The special files, nil when the request did not carry them.
	Headers, Redirects, RoutesJSON, WorkerJS, WorkerBundle []byte
	PagesBuildOutputDir                                    string
	WranglerConfigHash                                     string
	// FormFields are the multipart field names the request carried, in
	// order.
	FormFields []string
	CreatedOn  time.Time
	// Stage and Status are the latest stage: queued, initialize,
	// clone_repo, build or deploy; active, success or failure.
	Stage, Status string
	Trigger       string // ad_hoc, or rollback/retry of another deployment

	gets int // GETs so far; each moves the deployment one stage on
}

type projectState struct {
	id, name, branch string
	create           time.Time
	files            map[string]*File
	deployments      []*Deployment // oldest first
	canonical        string        // id of the live production deployment
}

// Files returns the assets a project holds, by hash.
func (s *Server) Files(project string) map[string]File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]File{}
	if p := s.projects[project]; p != nil {
		for h, f := range p.files {
			c := *f
			c.Content = slices.Clone(f.Content)
			out[h] = c
		}
	}
	return out
}

// Deployments returns a project's deployments, oldest first.
func (s *Server) Deployments(project string) []Deployment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Deployment
	if p := s.projects[project]; p != nil {
		for _, d := range p.deployments {
			out = append(out, *d)
		}
	}
	return out
}

// Canonical is the id of the project's live production deployment, "" when
// none is live.
func (s *Server) Canonical(project string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.projects[project]; p != nil {
		return p.canonical
	}
	return ""
}

// RevokeUploadTokens makes every upload JWT issued so far invalid, as if
// they had expired.
func (s *Server) RevokeUploadTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 1; i <= s.tokenSerial; i++ {
		s.revoked[fmt.Sprint(i)] = true
	}
}

// jwtClaims are the upload token's claims. wrangler reads exp and
// max_file_count_allowed; the others scope the token.
type jwtClaims struct {
	ID           string `json:"jti"`
	AccountID    string `json:"account_id"`
	Project      string `json:"project_name"`
	MaxFileCount int    `json:"max_file_count_allowed"`
	IssuedAt     int64  `json:"iat"`
	Expires      int64  `json:"exp"`
}

var b64url = base64.RawURLEncoding

func (s *Server) signJWT(c jwtClaims) string {
	header := b64url.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, err := json.Marshal(c)
	if err != nil {
		panic(err) // a struct of strings and ints always marshals
	}
	signing := header + "." + b64url.EncodeToString(body)
	mac := hmac.New(sha256.New, s.jwtKey)
	mac.Write([]byte(signing))
	return signing + "." + b64url.EncodeToString(mac.Sum(nil))
}

// parseJWT verifies an upload token's signature and expiry. It reads only
// immutable fields, so callers may hold s.mu or not.
func (s *Server) parseJWT(tok string) (jwtClaims, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return jwtClaims{}, errors.New("not a JWT")
	}
	mac := hmac.New(sha256.New, s.jwtKey)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := b64url.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return jwtClaims{}, errors.New("bad signature")
	}
	body, err := b64url.DecodeString(parts[1])
	if err != nil {
		return jwtClaims{}, errors.New("bad claims encoding")
	}
	var c jwtClaims
	if err := json.Unmarshal(body, &c); err != nil {
		return jwtClaims{}, errors.New("bad claims")
	}
	if s.opts.Now().Unix() >= c.Expires {
		return jwtClaims{}, errors.New("the upload token has expired")
	}
	return c, nil
}

func (s *Server) project(r *http.Request) (*projectState, apiErrors) {
	p := s.projects[r.PathValue("project")]
	if p == nil {
		return nil, apiErr(8000007, "Project not found. The specified project name does not match any of your existing projects.")
	}
	return p, nil
}

// jwtProject is the project an upload request's token is scoped to.
func (s *Server) jwtProject(r *http.Request) (*projectState, apiErrors) {
	c, err := s.parseJWT(bearer(r))
	if err != nil {
		return nil, apiErr(CodeUploadAuth, "Authorization failed: %v", err)
	}
	p := s.projects[c.Project]
	if p == nil {
		return nil, apiErr(8000007, "Project not found.")
	}
	return p, nil
}

func (s *Server) projectGet(_ http.ResponseWriter, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.project(r)
	if e != nil {
		return http.StatusNotFound, e
	}
	return http.StatusOK, s.projectJSON(p)
}

func (s *Server) projectJSON(p *projectState) map[string]any {
	var latest, canonical any
	if n := len(p.deployments); n > 0 {
		latest = s.deploymentJSON(p, p.deployments[n-1])
	}
	if d := p.find(p.canonical); d != nil {
		canonical = s.deploymentJSON(p, d)
	}
	return map[string]any{
		"id":                     p.id,
		"name":                   p.name,
		"subdomain":              p.name + ".pages.dev",
		"domains":                []string{p.name + ".pages.dev"},
		"production_branch":      p.branch,
		"created_on":             p.create,
		"framework":              "",
		"framework_version":      "",
		"preview_script_name":    "pages-worker--preview",
		"production_script_name": "pages-worker--production",
		"uses_functions":         false,
		"build_config":           map[string]any{"build_caching": false, "build_command": "", "destination_dir": "", "root_dir": ""},
		"deployment_configs":     map[string]any{"preview": map[string]any{}, "production": map[string]any{}},
		"latest_deployment":      latest,
		"canonical_deployment":   canonical,
	}
}

func (p *projectState) find(id string) *Deployment {
	for _, d := range p.deployments {
		if d.ID == id {
			return d
		}
	}
	return nil
}

func (s *Server) uploadToken(_ http.ResponseWriter, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.project(r)
	if e != nil {
		return http.StatusNotFound, e
	}
	s.tokenSerial++
	now := s.opts.Now()
	jwt := s.signJWT(jwtClaims{
		ID:           fmt.Sprint(s.tokenSerial),
		AccountID:    s.opts.AccountID,
		Project:      p.name,
		MaxFileCount: s.opts.MaxFileCount,
		IssuedAt:     now.Unix(),
		Expires:      now.Add(s.opts.JWTLifetime).Unix(),
	})
	return http.StatusOK, map[string]string{"jwt": jwt}
}

type hashesBody struct {
	Hashes []string `json:"hashes"`
}

func readHashes(r *http.Request) ([]string, apiErrors) {
	var body hashesBody
	if err := decodeJSON(r, 8<<20, &body); err != nil {
		return nil, apiErr(8000000, "%v", err)
	}
	if body.Hashes == nil {
		return nil, apiErr(8000000, "hashes: required")
	}
	for _, h := range body.Hashes {
		if !isHashKey(h) {
			return nil, apiErr(8000000, "hashes: %q is not a 32-digit lower-case hex hash", h)
		}
	}
	return body.Hashes, nil
}

func (s *Server) checkMissing(_ http.ResponseWriter, r *http.Request) (int, any) {
	hashes, e := readHashes(r)
	if e != nil {
		return http.StatusBadRequest, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.jwtProject(r)
	if e != nil {
		return http.StatusUnauthorized, e
	}
	missing := []string{}
	seen := map[string]bool{}
	for _, h := range hashes {
		if p.files[h] == nil && !seen[h] {
			missing = append(missing, h)
			seen[h] = true
		}
	}
	return http.StatusOK, missing
}

type uploadEntry struct {
	Key      string `json:"key"`
	Value    string `json:"value"`
	Metadata struct {
		ContentType string `json:"contentType"`
	} `json:"metadata"`
	Base64 bool `json:"base64"`
}

func (s *Server) upload(_ http.ResponseWriter, r *http.Request) (int, any) {
	var entries []uploadEntry
	if err := decodeJSON(r, maxUploadBody, &entries); err != nil {
		return http.StatusBadRequest, apiErr(8000000, "%v", err)
	}
	if len(entries) == 0 {
		return http.StatusBadRequest, apiErr(8000000, "no files in the upload")
	}
	if len(entries) > maxFilesPerUpload {
		return http.StatusBadRequest, apiErr(8000000, "too many files in one upload: %d (at most %d)", len(entries), maxFilesPerUpload)
	}
	// Check everything before storing anything: a bucket is all or nothing.
	files := make([]File, 0, len(entries))
	for i, en := range entries {
		if !isHashKey(en.Key) {
			return http.StatusBadRequest, apiErr(8000000, "files[%d].key: %q is not a 32-digit lower-case hex hash", i, en.Key)
		}
		if !en.Base64 {
			return http.StatusBadRequest, apiErr(8000000, "files[%d].base64: must be true", i)
		}
		if en.Metadata.ContentType == "" {
			return http.StatusBadRequest, apiErr(8000000, "files[%d].metadata.contentType: required", i)
		}
		content, err := base64.StdEncoding.DecodeString(en.Value)
		if err != nil {
			return http.StatusBadRequest, apiErr(8000000, "files[%d].value: not base64: %v", i, err)
		}
		if len(content) > maxAssetSize {
			return http.StatusBadRequest, apiErr(8000000, "files[%d]: %d bytes, more than the 25 MiB limit", i, len(content))
		}
		ok, known := matchesType(en.Key, en.Value, en.Metadata.ContentType)
		if known && !ok {
			return http.StatusBadRequest, apiErr(8000000, "files[%d].key: %s is not the hash of the uploaded content for a %s file", i, en.Key, en.Metadata.ContentType)
		}
		files = append(files, File{Hash: en.Key, ContentType: en.Metadata.ContentType, Content: content, Verified: ok})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.jwtProject(r)
	if e != nil {
		return http.StatusUnauthorized, e
	}
	for _, f := range files {
		if old := p.files[f.Hash]; old != nil {
			f.Uploads = old.Uploads
			f.Upserted = old.Upserted
			f.Verified = f.Verified || old.Verified
		}
		f.Uploads++
		p.files[f.Hash] = &f
	}
	return http.StatusOK, nil
}

func (s *Server) upsertHashes(_ http.ResponseWriter, r *http.Request) (int, any) {
	hashes, e := readHashes(r)
	if e != nil {
		return http.StatusBadRequest, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.jwtProject(r)
	if e != nil {
		return http.StatusUnauthorized, e
	}
	for _, h := range hashes {
		if f := p.files[h]; f != nil {
			f.Upserted = true
		}
	}
	return http.StatusOK, nil
}

// deploymentCreate takes the multipart form wrangler and cloudflare-go
// send. It checks the manifest against the stored files, recomputing each
// hash from the content and the manifest path's extension.
func (s *Server) deploymentCreate(_ http.ResponseWriter, r *http.Request) (int, any) {
	mr, err := r.MultipartReader()
	if err != nil {
		return http.StatusBadRequest, apiErr(8000000, "expected a multipart/form-data body: %v", err)
	}
	d := &Deployment{}
	var manifest string
	haveManifest := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return http.StatusBadRequest, apiErr(8000000, "reading the form: %v", err)
		}
		name := part.FormName()
		data, err := io.ReadAll(io.LimitReader(part, maxAssetSize+1))
		if err != nil {
			return http.StatusBadRequest, apiErr(8000000, "reading form field %s: %v", name, err)
		}
		if len(data) > maxAssetSize {
			return http.StatusBadRequest, apiErr(8000000, "form field %s is larger than 25 MiB", name)
		}
		d.FormFields = append(d.FormFields, name)
		if e := setDeploymentField(d, part, name, data, &manifest, &haveManifest); e != nil {
			return http.StatusBadRequest, e
		}
	}
	if !haveManifest {
		return http.StatusBadRequest, apiErr(8000000, "manifest: required")
	}
	if err := json.Unmarshal([]byte(manifest), &d.Manifest); err != nil {
		return http.StatusBadRequest, apiErr(8000000, "manifest: not a JSON object of path to hash: %v", err)
	}
	if d.RoutesJSON != nil {
		if e := checkRoutes(d.RoutesJSON); e != nil {
			return http.StatusBadRequest, e
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.project(r)
	if e != nil {
		return http.StatusNotFound, e
	}
	if len(d.Manifest) > s.opts.MaxFileCount {
		return http.StatusBadRequest, apiErr(8000000, "manifest: %d files, more than the %d allowed", len(d.Manifest), s.opts.MaxFileCount)
	}
	var problems []string
	paths := make([]string, 0, len(d.Manifest))
	for path := range d.Manifest {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		h := d.Manifest[path]
		switch f := p.files[h]; {
		case !strings.HasPrefix(path, "/"):
			problems = append(problems, fmt.Sprintf("%s: path must start with /", path))
		case !isHashKey(h):
			problems = append(problems, fmt.Sprintf("%s: %q is not a hash", path, h))
		case f == nil:
			problems = append(problems, fmt.Sprintf("%s: file %s was never uploaded", path, h))
		case AssetHash(f.Content, nodeExt(path)) != h:
			problems = append(problems, fmt.Sprintf("%s: the uploaded content does not hash to %s", path, h))
		default:
			f.Verified = true
		}
	}
	if len(problems) > 0 {
		return http.StatusBadRequest, apiErr(8000000, "manifest: %s", strings.Join(problems, "; "))
	}
	if d.Branch == "" {
		d.Branch = p.branch
	}
	d.Environment = "preview"
	if d.Branch == p.branch {
		d.Environment = "production"
	}
	d.Trigger = "ad_hoc"
	s.addDeployment(p, d)
	return http.StatusOK, s.deploymentJSON(p, d)
}

func setDeploymentField(d *Deployment, part *multipart.Part, name string, data []byte, manifest *string, have *bool) apiErrors {
	switch name {
	case "manifest":
		*manifest, *have = string(data), true
	case "branch":
		d.Branch = string(data)
	case "commit_hash":
		d.CommitHash = string(data)
	case "commit_message":
		if len(data) > maxCommitMessage {
			return apiErr(8000000, "commit_message: longer than %d bytes", maxCommitMessage)
		}
		d.CommitMessage = string(data)
	case "commit_dirty":
		if s := string(data); s != "true" && s != "false" {
			return apiErr(8000000, "commit_dirty: %q is not true or false", s)
		}
		d.CommitDirty = string(data)
	case "pages_build_output_dir":
		d.PagesBuildOutputDir = string(data)
	case "wrangler_config_hash":
		d.WranglerConfigHash = string(data)
	case "_headers", "_redirects", "_routes.json", "_worker.js", "_worker.bundle":
		if part.FileName() == "" {
			return apiErr(8000000, "%s: must be sent as a file", name)
		}
		switch name {
		case "_headers":
			d.Headers = data
		case "_redirects":
			d.Redirects = data
		case "_routes.json":
			d.RoutesJSON = data
		case "_worker.js":
			d.WorkerJS = data
		case "_worker.bundle":
			d.WorkerBundle = data
		}
	case "functions-filepath-routing-config.json":
		// Accepted and ignored: labfront sends no Pages Functions.
	default:
		return apiErr(8000000, "unknown form field %q", name)
	}
	return nil
}

// checkRoutes validates _routes.json the way Pages does: version 1, at
// least one include rule, at most 100 rules, each starting with "/".
func checkRoutes(data []byte) apiErrors {
	var routes struct {
		Version *int     `json:"version"`
		Include []string `json:"include"`
		Exclude []string `json:"exclude"`
	}
	if err := json.Unmarshal(data, &routes); err != nil {
		return apiErr(8000000, "_routes.json: not valid JSON: %v", err)
	}
	if routes.Version == nil || *routes.Version != 1 {
		return apiErr(8000000, "_routes.json: version must be 1")
	}
	if len(routes.Include) == 0 {
		return apiErr(8000000, "_routes.json: include must have at least one rule")
	}
	if len(routes.Include)+len(routes.Exclude) > 100 {
		return apiErr(8000000, "_routes.json: more than 100 rules")
	}
	for _, rule := range slices.Concat(routes.Include, routes.Exclude) {
		if !strings.HasPrefix(rule, "/") {
			return apiErr(8000000, "_routes.json: rule %q must start with /", rule)
		}
	}
	return nil
}

func (s *Server) addDeployment(p *projectState, d *Deployment) {
	d.ID = randomUUID()
	d.ShortID = d.ID[:8]
	d.Project = p.name
	d.CreatedOn = s.opts.Now().UTC()
	d.Stage, d.Status = "queued", "active"
	p.deployments = append(p.deployments, d)
}

var stageNames = []string{"queued", "initialize", "clone_repo", "build", "deploy"}

// advance moves a deployment one stage on; after DeploySteps GETs the
// deploy stage has finished. A production deployment that succeeds
// becomes the project's live one.
func (s *Server) advance(p *projectState, d *Deployment) {
	if d.Stage == "deploy" && d.Status != "active" {
		return
	}
	d.gets++
	if d.gets < s.opts.DeploySteps {
		i := min(d.gets*len(stageNames)/s.opts.DeploySteps, len(stageNames)-1)
		d.Stage, d.Status = stageNames[i], "active"
		return
	}
	d.Stage, d.Status = "deploy", "success"
	if s.opts.FailDeploys {
		d.Status = "failure"
		return
	}
	if d.Environment == "production" {
		p.canonical = d.ID
	}
}

func (s *Server) deploymentJSON(p *projectState, d *Deployment) map[string]any {
	stages := make([]map[string]any, 0, len(stageNames))
	reached := slices.Index(stageNames, d.Stage)
	for i, name := range stageNames {
		st := map[string]any{"name": name, "status": "idle", "started_on": nil, "ended_on": nil}
		switch {
		case i < reached:
			st["status"], st["started_on"], st["ended_on"] = "success", d.CreatedOn, d.CreatedOn
		case i == reached:
			st["status"], st["started_on"] = d.Status, d.CreatedOn
			if d.Status != "active" {
				st["ended_on"] = d.CreatedOn
			}
		}
		stages = append(stages, st)
	}
	url := fmt.Sprintf("https://%s.%s.pages.dev", d.ShortID, p.name)
	aliases := []string{}
	if d.ID == p.canonical {
		aliases = append(aliases, fmt.Sprintf("https://%s.pages.dev", p.name))
	} else if d.Environment == "preview" {
		aliases = append(aliases, fmt.Sprintf("https://%s.%s.pages.dev", aliasOf(d.Branch), p.name))
	}
	return map[string]any{
		"id":           d.ID,
		"short_id":     d.ShortID,
		"project_id":   p.id,
		"project_name": p.name,
		"environment":  d.Environment,
		"url":          url,
		"aliases":      aliases,
		"created_on":   d.CreatedOn,
		"modified_on":  d.CreatedOn,
		"is_skipped":   false,
		"env_vars":     nil,
		"build_config": map[string]any{"build_caching": nil, "build_command": nil, "destination_dir": nil, "root_dir": nil, "web_analytics_tag": nil, "web_analytics_token": nil},
		"deployment_trigger": map[string]any{
			"type": "ad_hoc",
			"metadata": map[string]any{
				"branch": d.Branch, "commit_hash": d.CommitHash,
				"commit_message": d.CommitMessage, "commit_dirty": d.CommitDirty == "true",
			},
		},
		"latest_stage":   stages[max(reached, 0)],
		"stages":         stages,
		"uses_functions": d.WorkerJS != nil || d.WorkerBundle != nil,
	}
}

// aliasOf is a branch's preview alias: lower case, runs of other
// characters turned into "-", at most 28 characters.
func aliasOf(branch string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(branch) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	a := strings.TrimRight(b.String(), "-")
	if len(a) > 28 {
		a = strings.TrimRight(a[:28], "-")
	}
	return a
}

func (s *Server) deploymentList(_ http.ResponseWriter, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.project(r)
	if e != nil {
		return http.StatusNotFound, e
	}
	env := r.URL.Query().Get("env")
	var items []map[string]any
	for i := len(p.deployments) - 1; i >= 0; i-- {
		d := p.deployments[i]
		if env == "" || d.Environment == env {
			items = append(items, s.deploymentJSON(p, d))
		}
	}
	return http.StatusOK, paginate(r, items, 25)
}

func (s *Server) deploymentGet(_ http.ResponseWriter, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, d, e := s.deployment(r)
	if e != nil {
		return http.StatusNotFound, e
	}
	s.advance(p, d)
	return http.StatusOK, s.deploymentJSON(p, d)
}

func (s *Server) deployment(r *http.Request) (*projectState, *Deployment, apiErrors) {
	p, e := s.project(r)
	if e != nil {
		return nil, nil, e
	}
	d := p.find(r.PathValue("id"))
	if d == nil {
		return nil, nil, apiErr(8000009, "The deployment ID you have specified does not exist. Update the deployment ID and try again.")
	}
	return p, d, nil
}

// deploymentRollback makes an earlier successful production deployment the
// live one again.
func (s *Server) deploymentRollback(_ http.ResponseWriter, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, d, e := s.deployment(r)
	if e != nil {
		return http.StatusNotFound, e
	}
	if d.Environment != "production" || d.Stage != "deploy" || d.Status != "success" {
		return http.StatusBadRequest, apiErr(8000034, "You can only roll back to a successful production deployment.")
	}
	p.canonical = d.ID
	return http.StatusOK, s.deploymentJSON(p, d)
}

// deploymentRetry deploys the same files again as a new deployment.
func (s *Server) deploymentRetry(_ http.ResponseWriter, r *http.Request) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, d, e := s.deployment(r)
	if e != nil {
		return http.StatusNotFound, e
	}
	n := *d
	n.gets = 0
	n.Trigger = "retry:" + d.ID
	s.addDeployment(p, &n)
	return http.StatusOK, s.deploymentJSON(p, &n)
}
