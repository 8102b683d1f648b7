package adminconfig

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/labfront/labfront/internal/cfapi"
)

// Deploys is the deploys: key: git-push deploys through the webhook
// (POST /hooks/git) and the deploy-now action. Cloudflare credentials are
// read through Getenv, as `labfront deploy` reads them.
type Deploys struct {
	// Enabled is true when the config has a deploys: key; without it the
	// webhook answers 404 and deploy-now is off. The deployments list,
	// rollback and purge need only Cloudflare credentials.
	Enabled bool
	// SecretEnv names the variable holding the webhook secret (default
	// LABFRONT_WEBHOOK_SECRET); Secret is its value.
	SecretEnv string
	Secret    cfapi.Secret
	Repo      string // the git URL or path deploys fetch from
	Branch    string // the branch that deploys (default main)
	WorkDir   string // the clone and the builds (default state_dir/deploys)
	// Getenv resolves CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID,
	// CLOUDFLARE_BASE_URL and CLOUDFLARE_ZONE_ID; nil is os.Getenv.
	Getenv func(string) string
	// BuildCommand is the labfront that builds and checks a pushed
	// commit, as a child process with a scrubbed environment: program and
	// leading arguments, to which "build …" and "check …" are added. Nil
	// is this server's own executable. Not a config key: tests point it
	// at a binary of their own.
	BuildCommand []string
}

// EnvWebhookSecret is the default variable for the webhook secret.
const EnvWebhookSecret = "LABFRONT_WEBHOOK_SECRET"

var branchName = regexp.MustCompile(`^[A-Za-z0-9._/-]+$`)

// Env resolves an environment variable through Getenv.
func (d Deploys) Env(key string) string {
	if d.Getenv == nil {
		return os.Getenv(key)
	}
	return d.Getenv(key)
}

// parseDeploys reads the deploys: mapping; it runs after parseServer,
// since work_dir defaults to a directory of state_dir.
func parseDeploys(r reader, cfg *Config) {
	doc, f := r.doc, r.f
	cfg.Deploys = Deploys{Getenv: r.getenv}
	if !f.Has("deploys") {
		return
	}
	d := &cfg.Deploys
	g := f.Sub("deploys", "webhook_secret_env", "repo", "branch", "work_dir")
	g.Require("repo")
	d.Enabled = true
	d.SecretEnv, d.Repo, d.Branch, d.WorkDir = g.String("webhook_secret_env"), g.String("repo"), g.String("branch"), g.String("work_dir")
	if d.SecretEnv == "" {
		d.SecretEnv = EnvWebhookSecret
	}
	d.Secret = cfapi.Secret(strings.TrimSpace(r.getenv(d.SecretEnv)))
	if d.Secret == "" {
		doc.Errorf(g.Node("webhook_secret_env"), "deploys.webhook_secret_env", "$%s is empty or unset: the webhook checks every push's signature with it", d.SecretEnv)
	}
	if strings.HasPrefix(d.Repo, "-") {
		doc.Errorf(g.Node("repo"), "deploys.repo", "must be a git URL or path, found %q", d.Repo)
	}
	if d.Branch == "" {
		d.Branch = "main"
	}
	if !branchName.MatchString(d.Branch) || strings.HasPrefix(d.Branch, "-") || strings.Contains(d.Branch, "..") {
		doc.Errorf(g.Node("branch"), "deploys.branch", "%q is not a branch name", d.Branch)
	}
	if d.WorkDir == "" {
		d.WorkDir = filepath.Join(cfg.StateDir, "deploys")
	}
}
