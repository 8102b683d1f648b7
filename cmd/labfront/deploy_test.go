package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/testkit/cftest"
	"github.com/labfront/labfront/internal/testkit/sitetest"
)

const deployWrangler = `name = "labfront"
pages_build_output_dir = "dist"
compatibility_date = "2026-04-01"

[[kv_namespaces]]
binding = "SNAPSHOTS"
id = "` + cftest.DefaultKVNamespace + `"
`

// deployEnv points the deploy command at a fake Cloudflare API.
func deployEnv(t *testing.T, s *cftest.Server, token string) {
	t.Helper()
	t.Setenv("CLOUDFLARE_API_TOKEN", token)
	t.Setenv("CLOUDFLARE_ACCOUNT_ID", s.Options().AccountID)
	t.Setenv("CLOUDFLARE_BASE_URL", s.APIBase)
	for _, v := range []string{"CLOUDFLARE_API_KEY", "CLOUDFLARE_EMAIL", "CLOUDFLARE_ZONE_ID"} {
		t.Setenv(v, "")
	}
}

func TestDeployCommand(t *testing.T) {
	s := cftest.New(t, cftest.Options{DeploySteps: 1})
	deployEnv(t, s, cftest.DefaultToken)
	// The example site: it has a lab, so the build writes snapshot.json.
	src := sitetest.Write(t, "-- wrangler.toml --\n"+deployWrangler)
	if err := os.CopyFS(filepath.Join(src, "content"), os.DirFS(filepath.Join("..", "..", "content"))); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "dist")

	code, stdout, stderr := runCLI(t, "deploy", "--src", src, "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"deployed ", "live at https://", "(production)", "pushed snapshot.json to KV"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "index.html")); err != nil {
		t.Errorf("deploy did not build: %v", err)
	}
	deps := s.Deployments(cftest.DefaultProject)
	if len(deps) != 1 || deps[0].Manifest["/index.html"] == "" {
		t.Fatalf("deployments = %+v", deps)
	}
	snap, err := os.ReadFile(filepath.Join(out, "snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	if kv, ok := s.KV(cftest.DefaultKVNamespace, "status"); !ok || string(kv) != string(snap) {
		t.Errorf("KV status = %q, want dist/snapshot.json", kv)
	}
	if strings.Contains(stdout+stderr, cftest.DefaultToken) {
		t.Error("the token was printed")
	}

	// A dry run after an unchanged build: nothing to upload, nothing sent.
	uploads, deploys := s.Count(cftest.RouteUpload), s.Count(cftest.RouteDeploymentCreate)
	code, stdout, stderr = runCLI(t, "deploy", "--src", src, "--out", out, "--dry-run", "--no-build")
	if code != exitOK || !strings.Contains(stdout, "dry run: would upload 0 of ") {
		t.Errorf("dry run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if s.Count(cftest.RouteUpload) != uploads || s.Count(cftest.RouteDeploymentCreate) != deploys {
		t.Error("the dry run uploaded or deployed")
	}

	// Without credentials a dry run still lists the files.
	t.Setenv("CLOUDFLARE_API_TOKEN", "")
	code, stdout, _ = runCLI(t, "deploy", "--src", src, "--out", out, "--dry-run", "--no-build")
	if code != exitOK || !strings.Contains(stdout, "not compared with Cloudflare") || !strings.Contains(stdout, " index.html ") {
		t.Errorf("offline dry run: exit %d\n%s", code, stdout)
	}
	code, _, stderr = runCLI(t, "deploy", "--src", src, "--out", out, "--no-build")
	if code != exitInput || !strings.Contains(stderr, "CLOUDFLARE_API_TOKEN not set") {
		t.Errorf("no token: exit %d\n%s", code, stderr)
	}
}

func TestDeployCommandErrors(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	site := "-- content/site.yaml --\n" + sitetest.MinimalSiteYAML
	for _, tc := range []struct {
		name, token, wrangler string
		args                  []string
		code                  int
		want                  string
	}{
		{"wrong token", "not-the-right-token", deployWrangler, nil, exitInput, "Cloudflare refused the API token (HTTP 403"},
		{"no wrangler.toml", cftest.DefaultToken, "", nil, exitInput, "wrangler.toml not found"},
		{"bad wrangler.toml", cftest.DefaultToken, "name = \"Bad Name\"\n", nil, exitInput, `wrangler.toml:1: name: "Bad Name" is not a Pages project name`},
		{"stray argument", cftest.DefaultToken, deployWrangler, []string{"now"}, exitUsage, "deploy takes no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			deployEnv(t, s, tc.token)
			archive := site
			if tc.wrangler != "" {
				archive += "-- wrangler.toml --\n" + tc.wrangler
			}
			src := sitetest.Write(t, archive)
			args := append([]string{"deploy", "--src", src, "--out", filepath.Join(t.TempDir(), "dist")}, tc.args...)
			code, _, stderr := runCLI(t, args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want %d; stderr lacks %q:\n%s", code, tc.code, tc.want, stderr)
			}
			if strings.Contains(stderr, tc.token) {
				t.Error("the token was printed")
			}
		})
	}
	if n := len(s.Deployments(cftest.DefaultProject)); n != 0 {
		t.Errorf("%d deployments from failing runs", n)
	}
}
