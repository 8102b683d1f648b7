// Package deploy publishes the built site to Cloudflare Pages, pushes the
// public status snapshot to Workers KV and purges Cloudflare's cache.
//
// The Pages upload is wrangler's direct-upload protocol implemented in Go,
// so deploying needs no Node.js: walk the output directory and hash each
// file exactly as wrangler does, ask which hashes Cloudflare lacks
// (check-missing), upload only those in size-sorted buckets with bounded
// concurrency and retries, record every hash (upsert-hashes), then create
// the deployment from the manifest plus _headers, _redirects, _routes.json
// and _worker.js, and wait until it is live. An unchanged site uploads
// nothing; a changed post uploads only the files whose bytes changed.
//
// Everything goes through cloudflare-go v6: its typed services for
// projects, deployments, KV and purge, and its generic Get/Post for the
// asset endpoints it has no methods for, which take the upload JWT as
// their Bearer token instead of the API token. The API token is never
// logged: Config keeps it as a Secret.
package deploy

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/pages"

	"github.com/labfront/labfront/internal/cfapi"
)

// Limits and defaults, wrangler 4.86's where it has one.
const (
	maxBucketSize     = 40 << 20
	maxBucketFiles    = 2000
	defaultMaxFiles   = 20000
	maxCommitMessage  = 384 // bytes
	codeUnknownError  = 8000000
	codeUploadAuth    = 8000013
	defaultConcurrent = 3
)

// Client talks to the Cloudflare API for one account.
type Client struct {
	cfg Config
	cf  *cloudflare.Client
	log *slog.Logger

	// Tunables; zero values take the defaults in brackets.
	Concurrency  int           // buckets uploaded at once [3]
	Attempts     int           // tries per request, retries included [5]
	RetryBase    time.Duration // first backoff, doubled per retry [1s]
	RetryMax     time.Duration // backoff cap [30s]
	PollInterval time.Duration // longest wait between deployment status checks [2s]
	PollTimeout  time.Duration // how long a deployment may take to go live [5m]
	// AttemptTimeout bounds one request [30s], UploadTimeout one bucket
	// upload (up to 40 MB from a home uplink) [3m], and Deadline a whole
	// deploy, uploads and waiting included [30m]: a hung request is given
	// up and tried again instead of holding the deploy forever.
	AttemptTimeout time.Duration
	UploadTimeout  time.Duration
	Deadline       time.Duration
	Jitter         func(time.Duration) time.Duration // see Retry; nil is random
	Now            func() time.Time
}

// retry is the client's retry policy for calls with attempts of limit
// (the default AttemptTimeout when zero).
func (c *Client) retry(limit time.Duration) *cfapi.Retry {
	return &cfapi.Retry{
		Attempts: c.Attempts, Base: c.RetryBase, Max: c.RetryMax,
		AttemptTimeout: cfapi.Positive(limit, c.AttemptTimeout), Jitter: c.Jitter, Log: c.log,
	}
}

// NewClient makes a client from cfg. extra options go to cloudflare-go
// after labfront's own (tests pass option.WithHTTPClient and the like).
// Retries are labfront's, not cloudflare-go's, so that a 401 on an asset
// endpoint can fetch a new upload token in between.
func NewClient(cfg Config, log *slog.Logger, extra ...option.RequestOption) (*Client, error) {
	if cfg.APIToken == "" || cfg.AccountID == "" {
		return nil, cfg.CheckCredentials()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []option.RequestOption{
		option.WithAPIToken(string(cfg.APIToken)),
		option.WithMaxRetries(0),
		// cloudflare.NewClient also reads CLOUDFLARE_API_KEY and
		// CLOUDFLARE_EMAIL; a token-only client must not send those.
		option.WithHeaderDel("X-Auth-Key"),
		option.WithHeaderDel("X-Auth-Email"),
		option.WithHeaderDel("X-Auth-User-Service-Key"),
	}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	opts = append(opts, extra...)
	return &Client{cfg: cfg, cf: cloudflare.NewClient(opts...), log: log}, nil
}

func (c *Client) concurrency() int { return cfapi.Positive(c.Concurrency, defaultConcurrent) }
func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Options describe one deploy.
type Options struct {
	Dir string // the built site
	// Branch decides production (the project's production branch, also
	// when empty) or preview.
	Branch        string
	CommitHash    string
	CommitMessage string // truncated to 384 bytes, as wrangler does
	CommitDirty   *bool
	// DryRun stops after check-missing: the result lists what would be
	// uploaded, and nothing is uploaded or deployed. check-missing only
	// reads, so a dry run is exact without changing anything.
	DryRun   bool
	Progress Progress // nil reports nothing
}

// Result is what a deploy did.
type Result struct {
	Files       int     // assets in the manifest
	Uploaded    []Asset // uploaded, or for a dry run to be uploaded
	UploadBytes int64
	Skipped     int      // already held by Cloudflare
	Specials    []string // _headers, _redirects, _routes.json, _worker.js sent
	DryRun      bool
	// The deployment; empty for a dry run.
	DeploymentID string
	URL          string
	Environment  string
	Aliases      []string
}

// Deploy uploads opts.Dir to the project in wrangler.toml and waits until
// the deployment is live.
func (c *Client) Deploy(ctx context.Context, o Options) (*Result, error) {
	project := c.cfg.Project()
	if project == "" {
		return nil, errors.New("no Pages project: wrangler.toml has no name")
	}
	prog := o.Progress
	if prog == nil {
		prog = discardProgress{}
	}
	assets, err := Walk(o.Dir)
	if err != nil {
		return nil, err
	}
	specials, err := readSpecials(o.Dir)
	if err != nil {
		return nil, err
	}
	prog.Step(fmt.Sprintf("%d files in %s", len(assets), o.Dir))

	limit := cfapi.Positive(c.Deadline, 30*time.Minute)
	ctx, cancel := context.WithTimeoutCause(ctx, limit, fmt.Errorf("the deploy did not finish within %s", limit))
	defer cancel()
	var proj *pages.Project
	err = c.retry(0).Do(ctx, "get the Pages project "+project, func(ctx context.Context) error {
		var err error
		proj, err = c.cf.Pages.Projects.Get(ctx, project, pages.ProjectGetParams{AccountID: cloudflare.F(c.cfg.AccountID)})
		return err
	})
	if err != nil {
		return nil, c.explain(err, "get the Pages project "+project)
	}
	c.log.Info("pages project", "project", proj.Name, "production_branch", proj.ProductionBranch)

	tok := &uploadToken{}
	if err := c.refreshToken(ctx, tok, ""); err != nil {
		return nil, err
	}
	if limit := tok.maxFiles(); len(assets) > limit {
		return nil, fmt.Errorf("%s holds %d files; Pages allows %d per deployment on this plan", o.Dir, len(assets), limit)
	}

	hashes := uniqueHashes(assets)
	var missing []string
	err = c.withRetry(ctx, "check-missing", tok, 0, func(ctx context.Context, jwt string) error {
		var env struct {
			Result []string `json:"result"`
		}
		err := c.cf.Post(ctx, "pages/assets/check-missing", map[string][]string{"hashes": hashes}, &env, bearer(jwt))
		missing = env.Result
		return err
	})
	if err != nil {
		return nil, err
	}
	toUpload := selectMissing(assets, missing)
	res := &Result{Files: len(assets), Uploaded: toUpload, DryRun: o.DryRun, Specials: specialNames(specials)}
	for _, a := range toUpload {
		res.UploadBytes += a.Size
	}
	res.Skipped = len(hashes) - len(toUpload)
	if o.DryRun {
		return res, nil
	}

	if err := c.uploadAll(ctx, tok, toUpload, prog); err != nil {
		return nil, err
	}
	err = c.withRetry(ctx, "upsert-hashes", tok, 0, func(ctx context.Context, jwt string) error {
		return c.cf.Post(ctx, "pages/assets/upsert-hashes", map[string][]string{"hashes": hashes}, nil, bearer(jwt))
	})
	if err != nil {
		// As in wrangler: every file is uploaded, so the deployment can go
		// ahead; the next deploy may only upload more than it needs to.
		c.log.Warn("could not record the file hashes; the next deploy may re-upload files", "error", err)
	}

	prog.Step("creating the deployment")
	d, err := c.createDeployment(ctx, project, o, assets, specials)
	if err != nil {
		return nil, err
	}
	c.log.Info("deployment created", "id", d.ID, "url", d.URL, "environment", d.Environment)
	d, err = c.waitLive(ctx, project, d, prog)
	if err != nil {
		return nil, err
	}
	res.DeploymentID, res.URL, res.Environment, res.Aliases = d.ID, d.URL, string(d.Environment), d.Aliases
	return res, nil
}

// readSpecials reads the files Pages takes as form fields.
func readSpecials(dir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, name := range []string{headersFile, redirectsFile, routesFile, workerFile} {
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if st.IsDir() {
			return nil, fmt.Errorf("%s is a directory; labfront deploys a single-file %s only", p, name)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	// Like wrangler, _routes.json only goes with a worker: it says which
	// paths the worker runs for.
	if _, ok := out[workerFile]; !ok {
		delete(out, routesFile)
	}
	return out, nil
}

func specialNames(m map[string][]byte) []string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func uniqueHashes(assets []Asset) []string {
	seen := map[string]bool{}
	out := []string{} // the API wants a list, never null
	for _, a := range assets {
		if !seen[a.Hash] {
			seen[a.Hash] = true
			out = append(out, a.Hash)
		}
	}
	return out
}

// selectMissing keeps one asset per missing hash: files with the same
// bytes and extension share a hash and are uploaded once.
func selectMissing(assets []Asset, missing []string) []Asset {
	want := map[string]bool{}
	for _, h := range missing {
		want[h] = true
	}
	var out []Asset
	for _, a := range assets {
		if want[a.Hash] {
			out = append(out, a)
			delete(want, a.Hash)
		}
	}
	return out
}

// Buckets packs assets for upload the way wrangler does: largest first,
// round-robin over three buckets so the parallel uploads get similar
// loads, each bucket at most 40 MiB and 2,000 files, a new bucket when
// none has room.
func Buckets(assets []Asset) [][]Asset {
	sorted := slices.Clone(assets)
	slices.SortStableFunc(sorted, func(a, b Asset) int {
		switch {
		case a.Size > b.Size:
			return -1
		case a.Size < b.Size:
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	type bucket struct {
		files []Asset
		room  int64
	}
	buckets := make([]*bucket, defaultConcurrent)
	for i := range buckets {
		buckets[i] = &bucket{room: maxBucketSize}
	}
	for offset, a := range sorted {
		placed := false
		for i := range buckets {
			b := buckets[(i+offset)%len(buckets)]
			if b.room >= a.Size && len(b.files) < maxBucketFiles {
				b.files = append(b.files, a)
				b.room -= a.Size
				placed = true
				break
			}
		}
		if !placed {
			buckets = append(buckets, &bucket{files: []Asset{a}, room: maxBucketSize - a.Size})
		}
	}
	var out [][]Asset
	for _, b := range buckets {
		if len(b.files) > 0 {
			out = append(out, b.files)
		}
	}
	return out
}

type uploadEntry struct {
	Key      string            `json:"key"`
	Value    string            `json:"value"`
	Metadata map[string]string `json:"metadata"`
	Base64   bool              `json:"base64"`
}

// uploadAll sends the buckets, c.Concurrency at a time. The first failure
// stops the rest.
func (c *Client) uploadAll(ctx context.Context, tok *uploadToken, assets []Asset, prog Progress) error {
	var totalBytes int64
	for _, a := range assets {
		totalBytes += a.Size
	}
	buckets := Buckets(assets)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var (
		mu        sync.Mutex
		doneFiles int
		doneBytes int64
		wg        sync.WaitGroup
	)
	prog.Upload(0, len(assets), 0, totalBytes)
	work := make(chan []Asset)
	for range min(c.concurrency(), max(len(buckets), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				if ctx.Err() != nil {
					continue // another bucket failed: drain without sending
				}
				if err := c.uploadBucket(ctx, tok, b); err != nil {
					cancel(err)
					continue
				}
				mu.Lock()
				doneFiles += len(b)
				for _, a := range b {
					doneBytes += a.Size
				}
				prog.Upload(doneFiles, len(assets), doneBytes, totalBytes)
				mu.Unlock()
			}
		}()
	}
feed:
	for _, b := range buckets {
		select {
		case work <- b:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

func (c *Client) uploadBucket(ctx context.Context, tok *uploadToken, bucket []Asset) error {
	payload := make([]uploadEntry, 0, len(bucket))
	for _, a := range bucket {
		content, err := os.ReadFile(a.Path)
		if err != nil {
			return fmt.Errorf("read %s: %w", a.Path, err)
		}
		// The manifest was made from the walk; a file rewritten since
		// would deploy bytes the manifest does not describe.
		if AssetHash(a.Name, content) != a.Hash {
			return fmt.Errorf("%s changed during the deploy; run it again", a.Path)
		}
		payload = append(payload, uploadEntry{
			Key:      a.Hash,
			Value:    base64.StdEncoding.EncodeToString(content),
			Metadata: map[string]string{"contentType": a.ContentType},
			Base64:   true,
		})
	}
	what := fmt.Sprintf("upload %d files (%s first)", len(bucket), bucket[0].Name)
	return c.withRetry(ctx, what, tok, cfapi.Positive(c.UploadTimeout, 3*time.Minute), func(ctx context.Context, jwt string) error {
		return c.cf.Post(ctx, "pages/assets/upload", payload, nil, bearer(jwt))
	})
}

func (c *Client) createDeployment(ctx context.Context, project string, o Options, assets []Asset, specials map[string][]byte) (*pages.Deployment, error) {
	manifest, err := json.Marshal(Manifest(assets))
	if err != nil {
		return nil, fmt.Errorf("encode the manifest: %w", err)
	}
	params := func() pages.ProjectDeploymentNewParams {
		p := pages.ProjectDeploymentNewParams{
			AccountID: cloudflare.F(c.cfg.AccountID),
			Manifest:  cloudflare.F(string(manifest)),
		}
		if o.Branch != "" {
			p.Branch = cloudflare.F(o.Branch)
		}
		if o.CommitHash != "" {
			p.CommitHash = cloudflare.F(o.CommitHash)
		}
		if o.CommitMessage != "" {
			p.CommitMessage = cloudflare.F(truncateUTF8(o.CommitMessage, maxCommitMessage))
		}
		if o.CommitDirty != nil {
			p.CommitDirty = cloudflare.F(pages.ProjectDeploymentNewParamsCommitDirtyFalse)
			if *o.CommitDirty {
				p.CommitDirty = cloudflare.F(pages.ProjectDeploymentNewParamsCommitDirtyTrue)
			}
		}
		if b, ok := specials[headersFile]; ok {
			p.Headers = cloudflare.FileParam(bytes.NewReader(b), headersFile, "text/plain")
		}
		if b, ok := specials[redirectsFile]; ok {
			p.Redirects = cloudflare.FileParam(bytes.NewReader(b), redirectsFile, "text/plain")
		}
		if b, ok := specials[workerFile]; ok {
			p.WorkerJS = cloudflare.FileParam(bytes.NewReader(b), workerFile, "application/javascript")
		}
		if b, ok := specials[routesFile]; ok {
			p.RoutesJson = cloudflare.FileParam(bytes.NewReader(b), routesFile, "application/json")
		}
		if w := c.cfg.Wrangler; w != nil && w.PagesBuildOutputDir != "" {
			p.PagesBuildOutputDir = cloudflare.F(w.PagesBuildOutputDir)
			p.WranglerConfigHash = cloudflare.F(w.Hash)
		}
		return p
	}
	// Creating is not idempotent, so a failed create is tried again only
	// when nothing was created: the API's "unknown error" says so (wrangler
	// retries it too); after an answer that leaves it open (none came, or
	// a 5xx), the project's deployments are listed and the one this call
	// made, if any, is taken instead of making a second.
	before, lerr := c.deploymentIDs(ctx, project)
	if lerr != nil {
		c.log.Warn("could not list the deployments before creating one; a create without an answer will not be retried", "error", lerr)
	}
	p := c.retry(0)
	for attempt := 0; ; attempt++ {
		var d *pages.Deployment
		actx, cancel := context.WithTimeout(ctx, p.AttemptLimit())
		d, err = c.cf.Pages.Projects.Deployments.New(actx, project, params())
		timedOut := actx.Err() != nil && ctx.Err() == nil
		cancel()
		if err == nil {
			return d, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("create the deployment: %w", context.Cause(ctx))
		}
		if timedOut {
			err = cfapi.NoAnswer{After: p.AttemptLimit(), Err: err}
		}
		nothing := hasCode(err, codeUnknownError) && !timedOut
		if !nothing && !cfapi.Ambiguous(err) {
			return nil, c.explain(err, "create the deployment")
		}
		if !nothing {
			if lerr != nil {
				return nil, fmt.Errorf("create the deployment: %w; whether it was created is unknown (the deployments could not be listed beforehand): look at the project's deployments in the Pages dashboard before deploying again", err)
			}
			mine, ferr := c.findCreated(ctx, project, before, o)
			if ferr != nil {
				return nil, fmt.Errorf("create the deployment: %w; whether it was created is unknown (listing the deployments to find out failed: %v): look at the project's deployments in the Pages dashboard before deploying again", err, ferr)
			}
			if mine != nil {
				c.log.Warn("creating the deployment got no clear answer, but it was created", "id", mine.ID, "error", err)
				return mine, nil
			}
		}
		if err := p.Pause(ctx, "create the deployment", attempt, err); err != nil {
			return nil, err
		}
	}
}

// deploymentIDs lists the IDs of the project's most recent deployments.
func (c *Client) deploymentIDs(ctx context.Context, project string) (map[string]bool, error) {
	recent, err := c.recent(ctx, project)
	ids := map[string]bool{}
	for _, d := range recent {
		ids[d.ID] = true
	}
	return ids, err
}

// recent lists the project's newest deployments, retried like every read.
func (c *Client) recent(ctx context.Context, project string) ([]pages.Deployment, error) {
	var out []pages.Deployment
	err := c.retry(0).Do(ctx, "list the deployments of "+project, func(ctx context.Context) error {
		page, err := c.cf.Pages.Projects.Deployments.List(ctx, project, pages.ProjectDeploymentListParams{
			AccountID: cloudflare.F(c.cfg.AccountID),
			PerPage:   cloudflare.F(int64(recentDeployments)),
		})
		if err == nil {
			out = page.Result
		}
		return err
	})
	return out, err
}

// recentDeployments is how many of the newest deployments are compared
// before and after an unanswered create: more than any number of other
// deployments that could be made in between.
const recentDeployments = 25

// findCreated looks for a deployment made by an unanswered create: one
// that was not there before, made by hand (not by a git integration, a
// rollback or a retry), of the same branch, commit and message; nil, and
// no error, when there is none.
func (c *Client) findCreated(ctx context.Context, project string, before map[string]bool, o Options) (*pages.Deployment, error) {
	recent, err := c.recent(ctx, project)
	if err != nil {
		return nil, err
	}
	for i := range recent {
		d := &recent[i]
		m := d.DeploymentTrigger.Metadata
		if before[d.ID] || d.DeploymentTrigger.Type != pages.DeploymentDeploymentTriggerTypeADHoc {
			continue
		}
		if m.CommitHash == o.CommitHash && m.CommitMessage == truncateUTF8(o.CommitMessage, maxCommitMessage) && (o.Branch == "" || m.Branch == o.Branch) {
			return d, nil
		}
	}
	return nil, nil
}

// waitLive polls the deployment until its deploy stage has finished.
func (c *Client) waitLive(ctx context.Context, project string, d *pages.Deployment, prog Progress) (*pages.Deployment, error) {
	ctx, cancel := context.WithTimeout(ctx, cfapi.Positive(c.PollTimeout, 5*time.Minute))
	defer cancel()
	last := ""
	wait := min(250*time.Millisecond, cfapi.Positive(c.PollInterval, 2*time.Second))
	for {
		stage := fmt.Sprintf("%s: %s", d.LatestStage.Name, d.LatestStage.Status)
		if stage != last {
			prog.Step("deployment " + d.ShortID + " " + stage)
			last = stage
		}
		if d.LatestStage.Name == pages.StageNameDeploy {
			switch d.LatestStage.Status {
			case pages.StageStatusSuccess:
				return d, nil
			case pages.StageStatusFailure, pages.StageStatusCanceled:
				return nil, fmt.Errorf("deployment %s %s in the deploy stage; see the Pages dashboard for its log", d.ID, d.LatestStage.Status)
			}
		}
		select {
		case <-ctx.Done():
			return nil, c.notLive(ctx, d, stage)
		case <-time.After(wait):
		}
		// Start quick (a small site is live in a second or two), then
		// back off to PollInterval.
		wait = min(wait*2, cfapi.Positive(c.PollInterval, 2*time.Second))
		actx, cancel := context.WithTimeout(ctx, c.retry(0).AttemptLimit())
		next, err := c.cf.Pages.Projects.Deployments.Get(actx, project, d.ID, pages.ProjectDeploymentGetParams{AccountID: cloudflare.F(c.cfg.AccountID)})
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, c.notLive(ctx, d, stage)
			}
			// A failed or unanswered check is made again at the next
			// poll: the deployment goes on whether it is watched or not.
			if actx.Err() != nil || cfapi.Retryable(err) {
				c.log.Warn("checking the deployment failed, trying again", "error", err)
				continue
			}
			return nil, c.explain(err, "check the deployment "+d.ID)
		}
		d = next
	}
}

func (c *Client) notLive(ctx context.Context, d *pages.Deployment, stage string) error {
	if cause := context.Cause(ctx); !errors.Is(cause, context.DeadlineExceeded) {
		return fmt.Errorf("stopped waiting for deployment %s (last stage %s): %w", d.ID, stage, cause)
	}
	return fmt.Errorf("deployment %s was not live after %s (last stage %s): %w", d.ID, cfapi.Positive(c.PollTimeout, 5*time.Minute), stage, context.Cause(ctx))
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func bearer(jwt string) option.RequestOption {
	return option.WithHeader("Authorization", "Bearer "+jwt)
}

// uploadToken is the shared upload JWT; uploads running in parallel
// refresh it once when it expires.
type uploadToken struct {
	mu     sync.Mutex
	jwt    string
	claims jwtClaims
}

type jwtClaims struct {
	Expires      int64 `json:"exp"`
	MaxFileCount *int  `json:"max_file_count_allowed"`
}

func (t *uploadToken) get() (string, jwtClaims) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.jwt, t.claims
}

func (t *uploadToken) maxFiles() int {
	_, c := t.get()
	if c.MaxFileCount != nil {
		return *c.MaxFileCount
	}
	return defaultMaxFiles
}

// refreshToken fetches a new upload JWT unless another upload already
// replaced stale.
func (c *Client) refreshToken(ctx context.Context, t *uploadToken, stale string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.jwt != stale {
		return nil
	}
	var env struct {
		Result struct {
			JWT string `json:"jwt"`
		} `json:"result"`
	}
	path := fmt.Sprintf("accounts/%s/pages/projects/%s/upload-token", c.cfg.AccountID, c.cfg.Project())
	err := c.retry(0).Do(ctx, "get an upload token", func(ctx context.Context) error {
		return c.cf.Get(ctx, path, nil, &env)
	})
	if err != nil {
		return c.explain(err, "get an upload token")
	}
	claims, err := parseClaims(env.Result.JWT)
	if err != nil {
		return fmt.Errorf("the upload token Cloudflare sent is not a JWT: %w", err)
	}
	t.jwt, t.claims = env.Result.JWT, claims
	c.log.Debug("new upload token", "expires", time.Unix(claims.Expires, 0))
	return nil
}

// parseClaims reads the JWT's claims without checking the signature, as
// wrangler does: the token is Cloudflare's to check, the client only
// wants its expiry and file limit.
func parseClaims(jwt string) (jwtClaims, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return jwtClaims{}, errors.New("want three dot-separated parts")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return jwtClaims{}, fmt.Errorf("claims: %w", err)
	}
	var c jwtClaims
	if err := json.Unmarshal(raw, &c); err != nil {
		return jwtClaims{}, fmt.Errorf("claims: %w", err)
	}
	return c, nil
}

// withRetry runs call with c's retry policy (attempts of limit, the
// default when zero). With a token, call gets the current upload JWT, and
// an authorization failure or an expired JWT fetches a new one before the
// next try. Errors that retrying cannot fix (a 400, a 403) end it at once.
func (c *Client) withRetry(ctx context.Context, what string, tok *uploadToken, limit time.Duration, call func(ctx context.Context, jwt string) error) error {
	err := c.retry(limit).Do(ctx, what, func(actx context.Context) error {
		jwt := ""
		if tok != nil {
			var claims jwtClaims
			jwt, claims = tok.get()
			if claims.Expires != 0 && c.now().Unix() >= claims.Expires {
				if err := c.refreshToken(ctx, tok, jwt); err != nil {
					return errExplained{err}
				}
				jwt, _ = tok.get()
			}
		}
		err := call(actx, jwt)
		if err != nil && tok != nil && isUploadAuth(err) {
			c.log.Info("upload token refused, fetching a new one", "step", what)
			if rerr := c.refreshToken(ctx, tok, jwt); rerr != nil {
				return errExplained{rerr}
			}
			return cfapi.Again{Err: err}
		}
		return err
	})
	var done errExplained
	switch {
	case errors.As(err, &done):
		return done.err
	case err != nil && !cfapi.Retryable(err) && ctx.Err() == nil:
		return c.explain(err, what)
	}
	return err
}

// errExplained is an error that already says what failed and why.
type errExplained struct{ err error }

func (e errExplained) Error() string { return e.err.Error() }
func (e errExplained) Unwrap() error { return e.err }

func apiError(err error) *cloudflare.Error {
	var ae *cloudflare.Error
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}

func hasCode(err error, code int64) bool {
	ae, ok := cfapi.AsAPIError(err)
	return ok && ae.Has(code)
}

func isUploadAuth(err error) bool {
	ae := apiError(err)
	return ae != nil && (ae.StatusCode == http.StatusUnauthorized || hasCode(err, codeUploadAuth))
}

// explain turns API errors a person can fix into messages that say how.
func (c *Client) explain(err error, what string) error {
	if gu := (*cfapi.GaveUp)(nil); errors.As(err, &gu) {
		return err // it says what and why already
	}
	ae, ok := cfapi.AsAPIError(err)
	if !ok {
		return fmt.Errorf("%s: %w", what, err)
	}
	switch {
	case ae.TokenRefused():
		return fmt.Errorf("%s: Cloudflare refused the API token (HTTP %d: %s): check %s, that the token is for account %s, and that it has the permission this step needs (Cloudflare Pages:Edit to deploy, Workers KV Storage:Edit for the snapshot, Cache Purge to purge)",
			what, ae.Status, ae.Detail, cfapi.EnvAPIToken, c.cfg.AccountID)
	case ae.Status == http.StatusNotFound && ae.Has(8000007):
		return fmt.Errorf("%s: there is no Pages project %q in account %s: create it in the dashboard or fix name in %s", what, c.cfg.Project(), c.cfg.AccountID, wranglerPath(c.cfg))
	}
	return fmt.Errorf("%s: HTTP %d: %s", what, ae.Status, ae.Detail)
}

func wranglerPath(cfg Config) string {
	if cfg.Wrangler != nil && cfg.Wrangler.Path != "" {
		return cfg.Wrangler.Path
	}
	return "wrangler.toml"
}
