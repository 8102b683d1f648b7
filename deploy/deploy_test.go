package deploy

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/internal/testkit/cftest"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

const testWrangler = `name = "labfront"
pages_build_output_dir = "dist"
compatibility_date = "2026-04-01"

[[kv_namespaces]]
binding = "SNAPSHOTS"
id = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"

[vars]
ORIGIN_URL = "https://lab-admin.example.com"
`

// testClient is a deploy client for the fake, with short backoffs. Its
// log (debug level) is returned so tests can check what it says.
func testClient(t *testing.T, s *cftest.Server, token string) (*Client, *sitetest.SyncBuffer) {
	t.Helper()
	w, err := ParseWrangler("wrangler.toml", []byte(testWrangler))
	if err != nil {
		t.Fatal(err)
	}
	logs := &sitetest.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := Config{Credentials: cfapi.Credentials{APIToken: cfapi.Secret(token), AccountID: s.Options().AccountID, BaseURL: s.APIBase, ZoneID: s.Options().ZoneID}, Wrangler: w}
	c, err := NewClient(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	c.RetryBase, c.RetryMax, c.PollInterval = time.Millisecond, 5*time.Millisecond, time.Millisecond
	return c, logs
}

// exampleSite copies the repository's example content into a temporary
// source directory (so a test may edit it) and builds it.
func exampleSite(t *testing.T) (src, out string) {
	t.Helper()
	src = t.TempDir()
	if err := os.CopyFS(filepath.Join(src, "content"), os.DirFS(filepath.Join("..", "content"))); err != nil {
		t.Fatal(err)
	}
	out = filepath.Join(t.TempDir(), "dist")
	build(t, src, out)
	return src, out
}

func build(t *testing.T, src, out string) {
	t.Helper()
	if _, err := web.Build(context.Background(), web.Options{Src: src, Out: out, Static: static.FS(), Islands: web.Islands()}); err != nil {
		t.Fatalf("build: %v", err)
	}
}

func deploy(t *testing.T, c *Client, dir string) *Result {
	t.Helper()
	res, err := c.Deploy(context.Background(), Options{Dir: dir, Branch: "main", CommitHash: "0123abc", CommitMessage: "test deploy"})
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return res
}

func names(assets []Asset) []string {
	var n []string
	for _, a := range assets {
		n = append(n, a.Name)
	}
	slices.Sort(n)
	return n
}

func TestDeployExampleSite(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	c, logs := testClient(t, s, cftest.DefaultToken)
	src, out := exampleSite(t)
	assets, err := Walk(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(assets) < 20 {
		t.Fatalf("the example site has only %d files", len(assets))
	}

	// First deploy: every file arrives, byte for byte, and the manifest
	// names each one.
	res := deploy(t, c, out)
	if res.Files != len(assets) || res.DeploymentID == "" || res.Environment != "production" {
		t.Errorf("result = %+v", res)
	}
	held := s.Files(cftest.DefaultProject)
	for _, a := range assets {
		f, ok := held[a.Hash]
		disk, err := os.ReadFile(a.Path)
		if err != nil {
			t.Fatal(err)
		}
		if !ok || !bytes.Equal(f.Content, disk) || !f.Verified || !f.Upserted || f.ContentType != ContentType(a.Name) {
			t.Errorf("%s did not arrive intact: held=%v verified=%v upserted=%v type=%q", a.Name, ok, f.Verified, f.Upserted, f.ContentType)
		}
	}
	deps := s.Deployments(cftest.DefaultProject)
	if len(deps) != 1 {
		t.Fatalf("%d deployments", len(deps))
	}
	d := deps[0]
	want := Manifest(assets)
	if len(d.Manifest) != len(want) {
		t.Errorf("manifest has %d entries, the site %d", len(d.Manifest), len(want))
	}
	for p, h := range want {
		if d.Manifest[p] != h {
			t.Errorf("manifest[%s] = %q, want %s", p, d.Manifest[p], h)
		}
	}
	for _, special := range []string{"_headers", "_redirects", "_worker.js", "_routes.json"} {
		if _, ok := d.Manifest["/"+special]; ok {
			t.Errorf("%s is in the manifest; Pages takes it as a form field", special)
		}
	}
	if headers, err := os.ReadFile(filepath.Join(out, "_headers")); err == nil && !bytes.Equal(d.Headers, headers) {
		t.Errorf("_headers sent = %q, want the built file", d.Headers)
	}
	if redirects, err := os.ReadFile(filepath.Join(out, "_redirects")); err == nil && !bytes.Equal(d.Redirects, redirects) {
		t.Errorf("_redirects sent = %q, want the built file", d.Redirects)
	}
	if worker, err := os.ReadFile(filepath.Join(out, "_worker.js")); err == nil && !bytes.Equal(d.WorkerJS, worker) {
		t.Error("_worker.js sent differs from the built file")
	}
	if d.Branch != "main" || d.CommitHash != "0123abc" || d.CommitMessage != "test deploy" || d.PagesBuildOutputDir != "dist" || len(d.WranglerConfigHash) != 64 {
		t.Errorf("deployment fields = branch %q hash %q msg %q dir %q cfg %q", d.Branch, d.CommitHash, d.CommitMessage, d.PagesBuildOutputDir, d.WranglerConfigHash)
	}
	if s.Canonical(cftest.DefaultProject) != res.DeploymentID {
		t.Error("the deployment is not live")
	}
	uploadedFirst := s.Count(cftest.RouteUpload)
	if uploadedFirst == 0 {
		t.Fatal("no upload requests")
	}

	// Unchanged: nothing is uploaded, and the new deployment has the
	// same manifest.
	res = deploy(t, c, out)
	if len(res.Uploaded) != 0 || s.Count(cftest.RouteUpload) != uploadedFirst {
		t.Errorf("unchanged site uploaded %d files in %d requests", len(res.Uploaded), s.Count(cftest.RouteUpload)-uploadedFirst)
	}
	if res.Skipped != len(uniqueHashes(assets)) {
		t.Errorf("skipped %d, want all %d", res.Skipped, len(uniqueHashes(assets)))
	}
	if deps = s.Deployments(cftest.DefaultProject); len(deps) != 2 || len(deps[1].Manifest) != len(want) {
		t.Errorf("second deployment: %d deployments", len(deps))
	}

	// One post changed: exactly the files whose bytes changed upload.
	posts, err := filepath.Glob(filepath.Join(src, "content", "posts", "*.md"))
	if err != nil || len(posts) == 0 {
		t.Fatalf("no posts in the example (%v)", err)
	}
	f, err := os.OpenFile(posts[0], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("\nA paragraph added by the deploy test.\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	build(t, src, out)
	after, err := Walk(out)
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]bool{}
	for _, a := range assets {
		before[a.Hash] = true
	}
	var changed []Asset
	for _, a := range after {
		if !before[a.Hash] {
			changed = append(changed, a)
		}
	}
	changed = selectMissing(changed, uniqueHashes(changed))
	if len(changed) == 0 || len(changed) > len(after)/2 {
		t.Fatalf("editing one post changed %d of %d files", len(changed), len(after))
	}
	res = deploy(t, c, out)
	if got, wantNames := names(res.Uploaded), names(changed); !slices.Equal(got, wantNames) {
		t.Errorf("uploaded %v\nwant only the changed files %v", got, wantNames)
	}
	if !slices.ContainsFunc(res.Uploaded, func(a Asset) bool { return strings.HasPrefix(a.Name, "blog/") }) {
		t.Errorf("the edited post's page was not among the uploads: %v", names(res.Uploaded))
	}
	if strings.Contains(logs.String(), cftest.DefaultToken) {
		t.Error("the API token appears in the log")
	}
}

func TestDryRunUploadsNothing(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	c, _ := testClient(t, s, cftest.DefaultToken)
	_, out := exampleSite(t)
	res, err := c.Deploy(context.Background(), Options{Dir: out, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.DryRun || len(res.Uploaded) != len(uniqueHashes(mustWalk(t, out))) || res.DeploymentID != "" {
		t.Errorf("dry run result = %d to upload, deployment %q", len(res.Uploaded), res.DeploymentID)
	}
	if n := s.Count(cftest.RouteUpload) + s.Count(cftest.RouteUpsertHashes) + s.Count(cftest.RouteDeploymentCreate); n != 0 {
		t.Errorf("a dry run made %d writing requests", n)
	}
	if s.Count(cftest.RouteCheckMissing) != 1 {
		t.Error("a dry run should ask which files are missing")
	}
}

func mustWalk(t *testing.T, dir string) []Asset {
	t.Helper()
	a, err := Walk(dir)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// smallSite is a site of a few files written directly, for protocol tests
// that do not need the generator.
func smallSite(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func manyFiles(n int) map[string]string {
	m := map[string]string{"_headers": "/*\n  X-Content-Type-Options: nosniff\n", "_worker.js": "export default {async fetch(r, env) {return env.ASSETS.fetch(r)}}", "_routes.json": `{"version":1,"include":["/api/*"],"exclude":[]}`}
	for i := range n {
		m[fmt.Sprintf("p/%d/index.html", i)] = fmt.Sprintf("<p>page %d</p>", i)
	}
	return m
}

func TestWrongTokenIsRefusedClearly(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	const wrong = "wrong-token-value-1234"
	c, logs := testClient(t, s, wrong)
	_, err := c.Deploy(context.Background(), Options{Dir: smallSite(t, manyFiles(2))})
	if err == nil {
		t.Fatal("deploy with a wrong token succeeded")
	}
	for _, want := range []string{"refused the API token", "HTTP 403", cfapi.EnvAPIToken, "Pages:Edit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(logs.String(), wrong) {
		t.Error("the token leaked into the error or the log")
	}
	if s.Count(cftest.RouteUploadToken) != 0 {
		t.Error("went on after the project GET was refused")
	}
}

func TestRetriesAndTokenRefresh(t *testing.T) {
	for _, tc := range []struct {
		name         string
		route        string
		n, status    int
		uploadTokens int // upload-token requests expected
	}{
		{"upload 500s", cftest.RouteUpload, 2, http.StatusInternalServerError, 1},
		{"upload 429", cftest.RouteUpload, 1, http.StatusTooManyRequests, 1},
		{"upload 401 refreshes the JWT", cftest.RouteUpload, 2, http.StatusUnauthorized, 3},
		{"check-missing 401", cftest.RouteCheckMissing, 1, http.StatusUnauthorized, 2},
		{"upsert 503", cftest.RouteUpsertHashes, 1, http.StatusServiceUnavailable, 1},
		{"deployment GET 502", cftest.RouteDeploymentGet, 2, http.StatusBadGateway, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := cftest.New(t, cftest.Options{})
			c, logs := testClient(t, s, cftest.DefaultToken)
			dir := smallSite(t, manyFiles(30))
			s.FailNext(tc.route, tc.n, tc.status)
			res, err := c.Deploy(context.Background(), Options{Dir: dir})
			if err != nil {
				t.Fatalf("deploy did not recover: %v", err)
			}
			// A 401 revokes the JWT, so uploads running in parallel with
			// the same token fail too: at least n, not exactly.
			if got := s.CountStatus(tc.route, tc.status); got < tc.n || tc.status != http.StatusUnauthorized && got != tc.n {
				t.Errorf("%d failures served, want %d", got, tc.n)
			}
			if got := s.Count(cftest.RouteUploadToken); got != tc.uploadTokens {
				t.Errorf("%d upload tokens fetched, want %d", got, tc.uploadTokens)
			}
			held := s.Files(cftest.DefaultProject)
			for _, a := range mustWalk(t, dir) {
				if _, ok := held[a.Hash]; !ok {
					t.Errorf("%s missing after recovery", a.Name)
				}
			}
			if s.Canonical(cftest.DefaultProject) != res.DeploymentID {
				t.Error("not live")
			}
			if strings.Contains(logs.String(), cftest.DefaultToken) {
				t.Error("token in the log")
			}
		})
	}
}

func TestRetriesAreBounded(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	c, _ := testClient(t, s, cftest.DefaultToken)
	// One file, so one bucket: the attempts are that bucket's.
	s.FailNext(cftest.RouteUpload, 1000, http.StatusInternalServerError)
	_, err := c.Deploy(context.Background(), Options{Dir: smallSite(t, manyFiles(1))})
	if err == nil || !strings.Contains(err.Error(), "giving up after 5 attempts") {
		t.Fatalf("err = %v", err)
	}
	if got := s.Count(cftest.RouteUpload); got != 5 {
		t.Errorf("%d upload attempts, want 5", got)
	}
	if len(s.Deployments(cftest.DefaultProject)) != 0 {
		t.Error("deployed after the upload failed")
	}

	// A 400 is not worth retrying.
	s2 := cftest.New(t, cftest.Options{})
	c2, _ := testClient(t, s2, cftest.DefaultToken)
	s2.FailNext(cftest.RouteUpload, 1000, http.StatusBadRequest)
	if _, err := c2.Deploy(context.Background(), Options{Dir: smallSite(t, manyFiles(1))}); err == nil || s2.Count(cftest.RouteUpload) != 1 {
		t.Errorf("400: err %v after %d attempts, want one", err, s2.Count(cftest.RouteUpload))
	}
}

func TestDeploymentThatFailsOrHangs(t *testing.T) {
	s := cftest.New(t, cftest.Options{FailDeploys: true})
	c, _ := testClient(t, s, cftest.DefaultToken)
	_, err := c.Deploy(context.Background(), Options{Dir: smallSite(t, manyFiles(1))})
	if err == nil || !strings.Contains(err.Error(), "failure in the deploy stage") {
		t.Errorf("failed deployment: %v", err)
	}

	s = cftest.New(t, cftest.Options{DeploySteps: 1 << 30})
	c, _ = testClient(t, s, cftest.DefaultToken)
	c.PollTimeout = 50 * time.Millisecond
	_, err = c.Deploy(context.Background(), Options{Dir: smallSite(t, manyFiles(1))})
	if err == nil || !strings.Contains(err.Error(), "was not live after 50ms") {
		t.Errorf("hanging deployment: %v", err)
	}
}

func TestTooManyFilesForThePlan(t *testing.T) {
	s := cftest.New(t, cftest.Options{MaxFileCount: 5})
	c, _ := testClient(t, s, cftest.DefaultToken)
	_, err := c.Deploy(context.Background(), Options{Dir: smallSite(t, manyFiles(6))})
	if err == nil || !strings.Contains(err.Error(), "Pages allows 5") {
		t.Errorf("err = %v", err)
	}
}

func TestPreviewBranch(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	c, _ := testClient(t, s, cftest.DefaultToken)
	dirty := true
	res, err := c.Deploy(context.Background(), Options{Dir: smallSite(t, manyFiles(1)), Branch: "feature/x", CommitDirty: &dirty,
		CommitMessage: strings.Repeat("é", 300)})
	if err != nil {
		t.Fatal(err)
	}
	d := s.Deployments(cftest.DefaultProject)[0]
	if res.Environment != "preview" || d.CommitDirty != "true" || len(d.CommitMessage) > 384 || !strings.HasPrefix(d.CommitMessage, "éé") {
		t.Errorf("env %s dirty %q message %d bytes", res.Environment, d.CommitDirty, len(d.CommitMessage))
	}
	if s.Canonical(cftest.DefaultProject) != "" {
		t.Error("a preview deployment became the live one")
	}
}

func TestBuckets(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name  string
		sizes []int64
	}{
		{"none", nil},
		{"few small", []int64{1, 2, 3, 4, 5}},
		{"big files", []int64{24 * mib, 24 * mib, 20 * mib, 20 * mib, 10 * mib, 5 * mib, 1}},
		{"many tiny", make([]int64, 7000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var assets []Asset
			for i, sz := range tc.sizes {
				assets = append(assets, Asset{Name: fmt.Sprintf("f%05d", i), Size: sz, Hash: fmt.Sprint(i)})
			}
			buckets := Buckets(assets)
			seen := map[string]int{}
			for i, b := range buckets {
				var total int64
				for j, a := range b {
					seen[a.Name]++
					total += a.Size
					if j > 0 && a.Size > b[j-1].Size {
						t.Errorf("bucket %d not largest first", i)
					}
				}
				if total > maxBucketSize || len(b) > maxBucketFiles || len(b) == 0 {
					t.Errorf("bucket %d: %d files, %d bytes", i, len(b), total)
				}
			}
			if len(seen) != len(assets) {
				t.Errorf("%d of %d files placed", len(seen), len(assets))
			}
			for n, c := range seen {
				if c != 1 {
					t.Errorf("%s placed %d times", n, c)
				}
			}
			if len(assets) > 0 && buckets[0][0].Size != slices.Max(tc.sizes) {
				t.Error("the largest file does not go first")
			}
		})
	}
	// Three buckets share the first files round-robin.
	b := Buckets([]Asset{{Name: "a", Size: 3}, {Name: "b", Size: 2}, {Name: "c", Size: 1}})
	if len(b) != 3 || b[0][0].Name != "a" || b[1][0].Name != "b" || b[2][0].Name != "c" {
		t.Errorf("round robin: %v", b)
	}
}

func TestKVSnapshotAndPurge(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	c, _ := testClient(t, s, cftest.DefaultToken)
	ctx := context.Background()
	snap := []byte(`{"version":1,"generated_at":"2026-11-25T14:02:00Z","nodes":{}}`)
	if err := c.PushSnapshot(ctx, cftest.DefaultKVNamespace, snap); err != nil {
		t.Fatal(err)
	}
	if got, ok := s.KV(cftest.DefaultKVNamespace, SnapshotKey); !ok || !bytes.Equal(got, snap) {
		t.Errorf("KV holds %q", got)
	}
	if err := c.PushSnapshot(ctx, cftest.DefaultKVNamespace, []byte("{not json")); err == nil {
		t.Error("invalid JSON pushed")
	}
	if err := c.PushSnapshot(ctx, "ffffffffffffffffffffffffffffffff", snap); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("unknown namespace: %v", err)
	}

	prefixes := make([]string, 31)
	for i := range prefixes {
		prefixes[i] = fmt.Sprintf("example.com/blog/%d/", i)
	}
	if err := c.PurgePrefixes(ctx, prefixes); err != nil {
		t.Fatal(err)
	}
	p := s.Purges()
	if len(p) != 2 || len(p[0].Prefixes) != 30 || p[1].Prefixes[0] != "example.com/blog/30/" {
		t.Errorf("purges = %+v", p)
	}
	if err := c.PurgePrefixes(ctx, []string{"https://example.com/"}); err == nil {
		t.Error("a prefix with a scheme was accepted")
	}
}

func TestDeployEmptySite(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	c, _ := testClient(t, s, cftest.DefaultToken)
	res, err := c.Deploy(context.Background(), Options{Dir: t.TempDir()})
	if err != nil || res.Files != 0 || s.Count(cftest.RouteUpload) != 0 {
		t.Errorf("empty site: %+v %v", res, err)
	}
}
