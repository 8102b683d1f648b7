package cftest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/cache"
	"github.com/cloudflare/cloudflare-go/v6/dns"
	"github.com/cloudflare/cloudflare-go/v6/kv"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/pages"
	"github.com/cloudflare/cloudflare-go/v6/shared"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"
)

// client is cloudflare-go v6 pointed at the fake, the way labfront's
// packages use it. Environment variables are cleared so a developer's
// real credentials never reach a test.
func client(t *testing.T, s *Server, token string) *cloudflare.Client {
	t.Helper()
	for _, v := range []string{"CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL", "CLOUDFLARE_BASE_URL", "CLOUDFLARE_API_USER_SERVICE_KEY"} {
		t.Setenv(v, "")
	}
	return cloudflare.NewClient(option.WithBaseURL(s.APIBase), option.WithAPIToken(token), option.WithMaxRetries(0))
}

func apiStatus(t *testing.T, err error) (int, string) {
	t.Helper()
	var ae *cloudflare.Error
	if !errors.As(err, &ae) {
		t.Fatalf("want an API error, got %v", err)
	}
	return ae.StatusCode, ae.JSON.RawJSON()
}

func TestAuthentication(t *testing.T) {
	s := New(t, Options{})
	ctx := context.Background()
	acct := cloudflare.F(s.Options().AccountID)

	p, err := client(t, s, DefaultToken).Pages.Projects.Get(ctx, DefaultProject, pages.ProjectGetParams{AccountID: acct})
	if err != nil {
		t.Fatalf("right token: %v", err)
	}
	if p.Name != DefaultProject || p.ProductionBranch != "main" || p.Subdomain != "labfront.pages.dev" {
		t.Errorf("project = %+v", p)
	}

	for _, tc := range []struct {
		name, token, account string
		status, code         int
	}{
		{"wrong token", "not-the-token", s.Options().AccountID, http.StatusForbidden, CodeAuthentication},
		{"no token", "", s.Options().AccountID, http.StatusBadRequest, CodeBadHeaders},
		{"other account", DefaultToken, "ffffffffffffffffffffffffffffffff", http.StatusForbidden, CodeAuthentication},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client(t, s, tc.token).Pages.Projects.Get(ctx, DefaultProject, pages.ProjectGetParams{AccountID: cloudflare.F(tc.account)})
			status, body := apiStatus(t, err)
			if status != tc.status || !strings.Contains(body, `"code":`+itoa(tc.code)) {
				t.Errorf("status %d body %s; want %d with code %d", status, body, tc.status, tc.code)
			}
		})
	}

	_, err = client(t, s, DefaultToken).Pages.Projects.Get(ctx, "nope", pages.ProjectGetParams{AccountID: acct})
	if status, body := apiStatus(t, err); status != http.StatusNotFound || !strings.Contains(body, "8000007") {
		t.Errorf("unknown project: %d %s", status, body)
	}
	if got := s.CountStatus(RouteProjectGet, http.StatusForbidden); got != 2 {
		t.Errorf("%d forbidden project GETs logged, want 2", got)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// uploadJWT fetches an upload token the way wrangler does.
func uploadJWT(t *testing.T, c *cloudflare.Client, s *Server) string {
	t.Helper()
	var env struct {
		Result struct {
			JWT string `json:"jwt"`
		} `json:"result"`
	}
	path := "accounts/" + s.Options().AccountID + "/pages/projects/" + DefaultProject + "/upload-token"
	if err := c.Get(context.Background(), path, nil, &env); err != nil {
		t.Fatalf("upload token: %v", err)
	}
	return env.Result.JWT
}

type asset struct {
	path, contentType string
	content           []byte
}

func (a asset) hash() string { return AssetHash(a.content, nodeExt(a.path)) }

func (a asset) entry() map[string]any {
	return map[string]any{"key": a.hash(), "value": base64.StdEncoding.EncodeToString(a.content),
		"metadata": map[string]string{"contentType": a.contentType}, "base64": true}
}

func assetsCall(t *testing.T, c *cloudflare.Client, jwt, path string, body, res any) error {
	t.Helper()
	return c.Post(context.Background(), path, body, res, option.WithHeader("Authorization", "Bearer "+jwt))
}

func TestDirectUploadProtocol(t *testing.T) {
	s := New(t, Options{DeploySteps: 2})
	c := client(t, s, DefaultToken)
	ctx := context.Background()
	acct := cloudflare.F(s.Options().AccountID)

	jwt := uploadJWT(t, c, s)
	claims, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[1])
	if err != nil || !strings.Contains(string(claims), `"max_file_count_allowed":20000`) {
		t.Fatalf("claims %s (%v)", claims, err)
	}

	files := []asset{
		{"index.html", "text/html", []byte("<h1>hi</h1>")},
		{"assets/site.css", "text/css", []byte("body{}")},
		{"blob", "application/octet-stream", []byte{0, 1, 2}},
	}
	hashes := []string{}
	for _, f := range files {
		hashes = append(hashes, f.hash())
	}

	var missing struct {
		Result []string `json:"result"`
	}
	if err := assetsCall(t, c, jwt, "pages/assets/check-missing", map[string]any{"hashes": hashes}, &missing); err != nil {
		t.Fatal(err)
	}
	if len(missing.Result) != 3 {
		t.Fatalf("missing = %v, want all three", missing.Result)
	}

	// The API token is not an upload token.
	err = assetsCall(t, c, DefaultToken, "pages/assets/check-missing", map[string]any{"hashes": hashes}, &missing)
	if status, body := apiStatus(t, err); status != http.StatusUnauthorized || !strings.Contains(body, "8000013") {
		t.Errorf("API token on assets: %d %s", status, body)
	}

	// A key that is not the content's hash is refused, and nothing of
	// that bucket is stored.
	bad := files[0].entry()
	bad["key"] = files[1].hash()
	err = assetsCall(t, c, jwt, "pages/assets/upload", []any{files[2].entry(), bad}, nil)
	if status, body := apiStatus(t, err); status != http.StatusBadRequest || !strings.Contains(body, "not the hash") {
		t.Errorf("mismatched upload: %d %s", status, body)
	}
	if n := len(s.Files(DefaultProject)); n != 0 {
		t.Errorf("%d files stored after a refused bucket", n)
	}

	var entries []any
	for _, f := range files {
		entries = append(entries, f.entry())
	}
	if err := assetsCall(t, c, jwt, "pages/assets/upload", entries, nil); err != nil {
		t.Fatal(err)
	}
	if err := assetsCall(t, c, jwt, "pages/assets/upsert-hashes", map[string]any{"hashes": hashes}, nil); err != nil {
		t.Fatal(err)
	}
	stored := s.Files(DefaultProject)
	for _, f := range files {
		got, ok := stored[f.hash()]
		if !ok || !bytes.Equal(got.Content, f.content) || !got.Upserted || got.ContentType != f.contentType {
			t.Errorf("%s stored as %+v", f.path, got)
		}
	}
	if stored[files[2].hash()].Verified {
		t.Error("an octet-stream file cannot be verified before a manifest names it")
	}
	if err := assetsCall(t, c, jwt, "pages/assets/check-missing", map[string]any{"hashes": hashes}, &missing); err != nil || len(missing.Result) != 0 {
		t.Fatalf("missing after upload = %v (%v)", missing.Result, err)
	}

	manifest, _ := json.Marshal(map[string]string{"/index.html": hashes[0], "/assets/site.css": hashes[1], "/blob": hashes[2]})
	d, err := c.Pages.Projects.Deployments.New(ctx, DefaultProject, pages.ProjectDeploymentNewParams{
		AccountID:     acct,
		Manifest:      cloudflare.F(string(manifest)),
		Branch:        cloudflare.F("main"),
		CommitHash:    cloudflare.F("abc123"),
		CommitMessage: cloudflare.F("deploy"),
		Headers:       cloudflare.F[io.Reader](strings.NewReader("/*\n  X-Frame-Options: DENY\n")),
		Redirects:     cloudflare.F[io.Reader](strings.NewReader("/old /new 301\n")),
		WorkerJS:      cloudflare.F[io.Reader](strings.NewReader("export default {}")),
		RoutesJson:    cloudflare.F[io.Reader](strings.NewReader(`{"version":1,"include":["/api/*"],"exclude":[]}`)),
	})
	if err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	if d.Environment != pages.DeploymentEnvironmentProduction || d.LatestStage.Name != pages.StageNameQueued || d.DeploymentTrigger.Metadata.CommitHash != "abc123" {
		t.Errorf("new deployment = env %s stage %s trigger %+v", d.Environment, d.LatestStage.Name, d.DeploymentTrigger.Metadata)
	}
	got := s.Deployments(DefaultProject)[0]
	if len(got.Manifest) != 3 || string(got.WorkerJS) != "export default {}" || !strings.Contains(string(got.Headers), "DENY") || got.RoutesJSON == nil || got.Redirects == nil {
		t.Errorf("stored deployment = %+v", got)
	}
	if !s.Files(DefaultProject)[hashes[2]].Verified {
		t.Error("the manifest should have verified the octet-stream file")
	}

	var stages []pages.StageName
	for range 3 {
		g, err := c.Pages.Projects.Deployments.Get(ctx, DefaultProject, d.ID, pages.ProjectDeploymentGetParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		stages = append(stages, g.LatestStage.Name)
		if g.LatestStage.Name == pages.StageNameDeploy && g.LatestStage.Status == pages.StageStatusSuccess {
			break
		}
	}
	if last := stages[len(stages)-1]; last != pages.StageNameDeploy || len(stages) != 2 {
		t.Errorf("stages seen %v, want deploy success on the second GET", stages)
	}
	if s.Canonical(DefaultProject) != d.ID {
		t.Error("a successful production deployment should be live")
	}

	// A second deployment, then a rollback to the first and a retry.
	d2, err := c.Pages.Projects.Deployments.New(ctx, DefaultProject, pages.ProjectDeploymentNewParams{AccountID: acct, Manifest: cloudflare.F(string(manifest))})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.Pages.Projects.Deployments.List(ctx, DefaultProject, pages.ProjectDeploymentListParams{AccountID: acct})
	if err != nil || len(list.Result) != 2 || list.Result[0].ID != d2.ID {
		t.Fatalf("list = %v (%v), want newest first", list, err)
	}
	if _, err := c.Pages.Projects.Deployments.Rollback(ctx, DefaultProject, d2.ID, pages.ProjectDeploymentRollbackParams{AccountID: acct}); err == nil {
		t.Error("rollback to a deployment that never went live should fail")
	}
	if _, err := c.Pages.Projects.Deployments.Rollback(ctx, DefaultProject, d.ID, pages.ProjectDeploymentRollbackParams{AccountID: acct}); err != nil {
		t.Errorf("rollback: %v", err)
	}
	r, err := c.Pages.Projects.Deployments.Retry(ctx, DefaultProject, d.ID, pages.ProjectDeploymentRetryParams{AccountID: acct})
	if err != nil || r.ID == d.ID {
		t.Errorf("retry = %v (%v)", r, err)
	}
	proj, err := c.Pages.Projects.Get(ctx, DefaultProject, pages.ProjectGetParams{AccountID: acct})
	if err != nil || proj.CanonicalDeployment.ID != d.ID || proj.LatestDeployment.ID != r.ID {
		t.Errorf("project canonical %s latest %s (%v)", proj.CanonicalDeployment.ID, proj.LatestDeployment.ID, err)
	}
}

func TestDeploymentRejectsBadManifests(t *testing.T) {
	s := New(t, Options{})
	c := client(t, s, DefaultToken)
	jwt := uploadJWT(t, c, s)
	blob := asset{"data.bin", "application/octet-stream", []byte("bytes")}
	if err := assetsCall(t, c, jwt, "pages/assets/upload", []any{blob.entry()}, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		manifest map[string]string
		routes   string
		want     string
	}{
		{"never uploaded", map[string]string{"/x.html": strings.Repeat("a", 32)}, "", "never uploaded"},
		// The stored content was hashed with "bin"; under another
		// extension the hash cannot match.
		{"wrong extension", map[string]string{"/data.dat": blob.hash()}, "", "does not hash"},
		{"relative path", map[string]string{"data.bin": blob.hash()}, "", "must start with /"},
		{"bad routes", map[string]string{"/data.bin": blob.hash()}, `{"version":2,"include":["/*"]}`, "version must be 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := json.Marshal(tc.manifest)
			p := pages.ProjectDeploymentNewParams{AccountID: cloudflare.F(s.Options().AccountID), Manifest: cloudflare.F(string(m))}
			if tc.routes != "" {
				p.RoutesJson = cloudflare.F[io.Reader](strings.NewReader(tc.routes))
			}
			_, err := c.Pages.Projects.Deployments.New(context.Background(), DefaultProject, p)
			if status, body := apiStatus(t, err); status != http.StatusBadRequest || !strings.Contains(body, tc.want) {
				t.Errorf("%d %s; want 400 with %q", status, body, tc.want)
			}
		})
	}
	if n := len(s.Deployments(DefaultProject)); n != 0 {
		t.Errorf("%d deployments recorded from refused requests", n)
	}
}

func TestInjected401RevokesTheUploadToken(t *testing.T) {
	s := New(t, Options{})
	c := client(t, s, DefaultToken)
	jwt := uploadJWT(t, c, s)
	s.FailNext(RouteCheckMissing, 1, http.StatusUnauthorized)
	body := map[string]any{"hashes": []string{}}
	for i := range 2 {
		err := assetsCall(t, c, jwt, "pages/assets/check-missing", body, nil)
		if status, _ := apiStatus(t, err); status != http.StatusUnauthorized {
			t.Errorf("attempt %d with the old token: %d, want 401", i, status)
		}
	}
	if err := assetsCall(t, c, uploadJWT(t, c, s), "pages/assets/check-missing", body, nil); err != nil {
		t.Errorf("a fresh token should work: %v", err)
	}
	s.FailNext(RouteCheckMissing, 1, http.StatusInternalServerError)
	err := assetsCall(t, c, uploadJWT(t, c, s), "pages/assets/check-missing", body, nil)
	if status, _ := apiStatus(t, err); status != http.StatusInternalServerError {
		t.Errorf("injected 500: got %d", status)
	}
	if got := s.Count(RouteCheckMissing); got != 4 {
		t.Errorf("check-missing count %d, want 4", got)
	}
}

func TestExpiredUploadToken(t *testing.T) {
	s := New(t, Options{})
	c := client(t, s, DefaultToken)
	jwt := uploadJWT(t, c, s)
	s.RevokeUploadTokens()
	err := assetsCall(t, c, jwt, "pages/assets/check-missing", map[string]any{"hashes": []string{}}, nil)
	if status, body := apiStatus(t, err); status != http.StatusUnauthorized || !strings.Contains(body, "8000013") {
		t.Errorf("%d %s", status, body)
	}
}

func TestKV(t *testing.T) {
	s := New(t, Options{})
	c := client(t, s, DefaultToken)
	ctx := context.Background()
	acct := cloudflare.F(s.Options().AccountID)
	value := `{"version":1,"nodes":{}}`
	_, err := c.KV.Namespaces.Values.Update(ctx, DefaultKVNamespace, "status", kv.NamespaceValueUpdateParams{
		AccountID: acct,
		Value:     cloudflare.F[kv.NamespaceValueUpdateParamsValueUnion](shared.UnionString(value)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.KV(DefaultKVNamespace, "status"); !ok || string(got) != value {
		t.Errorf("stored %q %v", got, ok)
	}
	res, err := c.KV.Namespaces.Values.Get(ctx, DefaultKVNamespace, "status", kv.NamespaceValueGetParams{AccountID: acct})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || string(got) != value {
		t.Errorf("GET = %q (%v)", got, err)
	}
	_, err = c.KV.Namespaces.Values.Get(ctx, DefaultKVNamespace, "absent", kv.NamespaceValueGetParams{AccountID: acct})
	if status, _ := apiStatus(t, err); status != http.StatusNotFound {
		t.Errorf("absent key: %d", status)
	}
	_, err = c.KV.Namespaces.Values.Update(ctx, "0000", "status", kv.NamespaceValueUpdateParams{AccountID: acct, Value: cloudflare.F[kv.NamespaceValueUpdateParamsValueUnion](shared.UnionString("x"))})
	if status, _ := apiStatus(t, err); status != http.StatusNotFound {
		t.Errorf("unknown namespace: %d", status)
	}
}

func TestPurge(t *testing.T) {
	s := New(t, Options{})
	c := client(t, s, DefaultToken)
	ctx := context.Background()
	zone := cloudflare.F(DefaultZoneID)
	for _, body := range []cache.CachePurgeParamsBodyUnion{
		cache.CachePurgeParamsBodyCachePurgeFlexPurgeByPrefixes{Prefixes: cloudflare.F([]string{"example.com/blog/"})},
		cache.CachePurgeParamsBodyCachePurgeSingleFile{Files: cloudflare.F([]string{"https://example.com/feed.xml"})},
		cache.CachePurgeParamsBodyCachePurgeEverything{PurgeEverything: cloudflare.F(true)},
	} {
		if _, err := c.Cache.Purge(ctx, cache.CachePurgeParams{ZoneID: zone, Body: body}); err != nil {
			t.Errorf("%T: %v", body, err)
		}
	}
	_, err := c.Cache.Purge(ctx, cache.CachePurgeParams{ZoneID: zone, Body: cache.CachePurgeParamsBodyCachePurgeFlexPurgeByPrefixes{Prefixes: cloudflare.F([]string{"https://example.com/"})}})
	if status, _ := apiStatus(t, err); status != http.StatusBadRequest {
		t.Errorf("prefix with a scheme: %d", status)
	}
	p := s.Purges()
	if len(p) != 3 || p[0].Prefixes[0] != "example.com/blog/" || p[1].Files[0] != "https://example.com/feed.xml" || !p[2].Everything {
		t.Errorf("purges = %+v", p)
	}
}

func TestTunnels(t *testing.T) {
	s := New(t, Options{})
	c := client(t, s, DefaultToken)
	ctx := context.Background()
	acct := cloudflare.F(s.Options().AccountID)
	tun, err := c.ZeroTrust.Tunnels.Cloudflared.New(ctx, zero_trust.TunnelCloudflaredNewParams{
		AccountID: acct, Name: cloudflare.F("homelab"),
		ConfigSrc: cloudflare.F(zero_trust.TunnelCloudflaredNewParamsConfigSrcCloudflare),
	})
	if err != nil {
		t.Fatal(err)
	}
	if tun.Name != "homelab" || tun.ID == "" || tun.Status != shared.CloudflareTunnelStatusInactive {
		t.Errorf("tunnel = %+v", tun)
	}
	_, err = c.ZeroTrust.Tunnels.Cloudflared.New(ctx, zero_trust.TunnelCloudflaredNewParams{AccountID: acct, Name: cloudflare.F("homelab")})
	if status, _ := apiStatus(t, err); status != http.StatusConflict {
		t.Errorf("duplicate name: %d", status)
	}
	if _, err := c.ZeroTrust.Tunnels.Cloudflared.New(ctx, zero_trust.TunnelCloudflaredNewParams{AccountID: acct, Name: cloudflare.F("other")}); err != nil {
		t.Fatal(err)
	}

	// Listing by name, and auto-paging one per page over both.
	list, err := c.ZeroTrust.Tunnels.Cloudflared.List(ctx, zero_trust.TunnelCloudflaredListParams{AccountID: acct, Name: cloudflare.F("homelab"), IsDeleted: cloudflare.F(false)})
	if err != nil || len(list.Result) != 1 || list.Result[0].ID != tun.ID {
		t.Fatalf("list by name = %+v (%v)", list, err)
	}
	pager := c.ZeroTrust.Tunnels.Cloudflared.ListAutoPaging(ctx, zero_trust.TunnelCloudflaredListParams{AccountID: acct, PerPage: cloudflare.F(1.0)})
	n := 0
	for pager.Next() {
		n++
		if n > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if err := pager.Err(); err != nil || n != 2 {
		t.Errorf("paged %d tunnels (%v), want 2", n, err)
	}

	got, err := c.ZeroTrust.Tunnels.Cloudflared.Get(ctx, tun.ID, zero_trust.TunnelCloudflaredGetParams{AccountID: acct})
	if err != nil || got.Name != "homelab" {
		t.Errorf("get = %+v (%v)", got, err)
	}

	ingress := []zero_trust.TunnelCloudflaredConfigurationUpdateParamsConfigIngress{
		{Hostname: cloudflare.F("admin.example.com"), Service: cloudflare.F("http://127.0.0.1:8081")},
		{Service: cloudflare.F("http_status:404")},
	}
	cfg, err := c.ZeroTrust.Tunnels.Cloudflared.Configurations.Update(ctx, tun.ID, zero_trust.TunnelCloudflaredConfigurationUpdateParams{
		AccountID: acct,
		Config:    cloudflare.F(zero_trust.TunnelCloudflaredConfigurationUpdateParamsConfig{Ingress: cloudflare.F(ingress)}),
	})
	if err != nil || cfg.Version != 1 {
		t.Fatalf("config update = %+v (%v)", cfg, err)
	}
	_, err = c.ZeroTrust.Tunnels.Cloudflared.Configurations.Update(ctx, tun.ID, zero_trust.TunnelCloudflaredConfigurationUpdateParams{
		AccountID: acct,
		Config:    cloudflare.F(zero_trust.TunnelCloudflaredConfigurationUpdateParamsConfig{Ingress: cloudflare.F(ingress[:1])}),
	})
	if status, body := apiStatus(t, err); status != http.StatusBadRequest || !strings.Contains(body, "last ingress rule") {
		t.Errorf("no catch-all: %d %s", status, body)
	}
	gc, err := c.ZeroTrust.Tunnels.Cloudflared.Configurations.Get(ctx, tun.ID, zero_trust.TunnelCloudflaredConfigurationGetParams{AccountID: acct})
	if err != nil || len(gc.Config.Ingress) != 2 || gc.Config.Ingress[0].Hostname != "admin.example.com" {
		t.Errorf("config get = %+v (%v)", gc, err)
	}

	tok, err := c.ZeroTrust.Tunnels.Cloudflared.Token.Get(ctx, tun.ID, zero_trust.TunnelCloudflaredTokenGetParams{AccountID: acct})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(*tok)
	var parts map[string]string
	if err != nil || json.Unmarshal(raw, &parts) != nil || parts["t"] != tun.ID || parts["a"] != s.Options().AccountID || parts["s"] == "" {
		t.Errorf("token %q decodes to %s", *tok, raw)
	}

	if !s.SetConnections(tun.ID, []Connection{{ClientID: "c1", ColoName: "fra01", ClientVersion: "2026.1.0"}, {ClientID: "c1", ColoName: "ams01"}}) {
		t.Fatal("SetConnections on a known tunnel")
	}
	conns, err := c.ZeroTrust.Tunnels.Cloudflared.Connections.Get(ctx, tun.ID, zero_trust.TunnelCloudflaredConnectionGetParams{AccountID: acct})
	if err != nil || len(conns.Result) != 1 || len(conns.Result[0].Conns) != 2 || conns.Result[0].Conns[1].ColoName != "ams01" {
		t.Errorf("connections = %+v (%v)", conns, err)
	}
	got, err = c.ZeroTrust.Tunnels.Cloudflared.Get(ctx, tun.ID, zero_trust.TunnelCloudflaredGetParams{AccountID: acct})
	if err != nil || got.Status != shared.CloudflareTunnelStatusHealthy {
		t.Errorf("status with connections = %s (%v)", got.Status, err)
	}
}

func TestDNS(t *testing.T) {
	s := New(t, Options{})
	c := client(t, s, DefaultToken)
	ctx := context.Background()
	zone := cloudflare.F(DefaultZoneID)
	rec, err := c.DNS.Records.New(ctx, dns.RecordNewParams{ZoneID: zone, Body: dns.CNAMERecordParam{
		Name: cloudflare.F("admin"), TTL: cloudflare.F(dns.TTL(1)), Type: cloudflare.F(dns.CNAMERecordTypeCNAME),
		Content: cloudflare.F("abc.cfargotunnel.com"), Proxied: cloudflare.F(true),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Name != "admin.example.com" || !rec.Proxied || rec.Content != "abc.cfargotunnel.com" {
		t.Errorf("record = %+v", rec)
	}
	_, err = c.DNS.Records.New(ctx, dns.RecordNewParams{ZoneID: zone, Body: dns.ARecordParam{
		Name: cloudflare.F("admin.example.com"), TTL: cloudflare.F(dns.TTL(1)), Type: cloudflare.F(dns.ARecordTypeA), Content: cloudflare.F("192.0.2.1"),
	}})
	if status, body := apiStatus(t, err); status != http.StatusBadRequest || !strings.Contains(body, "81053") {
		t.Errorf("A next to a CNAME: %d %s", status, body)
	}
	list, err := c.DNS.Records.List(ctx, dns.RecordListParams{ZoneID: zone,
		Name: cloudflare.F(dns.RecordListParamsName{Exact: cloudflare.F("admin.example.com")}),
		Type: cloudflare.F(dns.RecordListParamsTypeCNAME)})
	if err != nil || len(list.Result) != 1 || list.Result[0].ID != rec.ID {
		t.Errorf("list = %+v (%v)", list, err)
	}
	list, err = c.DNS.Records.List(ctx, dns.RecordListParams{ZoneID: zone, Name: cloudflare.F(dns.RecordListParamsName{Exact: cloudflare.F("www.example.com")})})
	if err != nil || len(list.Result) != 0 {
		t.Errorf("list of another name = %+v (%v)", list, err)
	}
	_, err = c.DNS.Records.New(ctx, dns.RecordNewParams{ZoneID: cloudflare.F("ffffffffffffffffffffffffffffffff"), Body: dns.CNAMERecordParam{
		Name: cloudflare.F("x"), TTL: cloudflare.F(dns.TTL(1)), Type: cloudflare.F(dns.CNAMERecordTypeCNAME), Content: cloudflare.F("y")}})
	if status, _ := apiStatus(t, err); status != http.StatusForbidden {
		t.Errorf("other zone: %d", status)
	}
}

func TestUnknownRoute(t *testing.T) {
	s := New(t, Options{})
	err := client(t, s, DefaultToken).Get(context.Background(), "nothing/here", nil, nil)
	if status, body := apiStatus(t, err); status != http.StatusNotFound || !strings.Contains(body, "7003") {
		t.Errorf("%d %s", status, body)
	}
}

func TestNodeExt(t *testing.T) {
	// Expected values are Node's path.extname without the dot.
	for in, want := range map[string]string{
		"index.html": "html", "a/b/c.min.js": "js", ".DS_Store": "", "a/.htaccess": "",
		"file.": "", "..": "", "a/..": "", "noext": "", "a.b/c": "", "x.TXT": "TXT", "..a": "a", "a..": "",
	} {
		if got := nodeExt(in); got != want {
			t.Errorf("nodeExt(%q) = %q, want %q", in, got, want)
		}
	}
}
