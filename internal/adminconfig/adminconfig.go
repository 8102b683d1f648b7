// Package adminconfig reads the admin server's configuration, admin.yaml,
// into a typed Config. It is the one place the file's keys are known:
// every problem is reported as path:line: field: message, all of them at
// once, and secrets are resolved from the environment variables or files
// the config names, never read from the file itself.
package adminconfig

import (
	"net"
	"os"
	"time"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/yamldoc"
)

// Config is the admin server's configuration. Secrets never live in the
// file: they come from environment variables or files it names.
type Config struct {
	Listen   string
	Site     string
	StateDir string
	Auth     Auth
	Sources  []live.Source
	// Concurrency bounds how many sources are collected at once.
	Concurrency int
	// Deploys are git-push deploys and the Cloudflare credentials of the
	// deploys page.
	Deploys Deploys
	// KVPushInterval spaces the public status pushes to Workers KV
	// (kv_push_interval, default 5m, at least 1m); zero, in a config not
	// read from a file, turns the push off.
	KVPushInterval time.Duration
	// Hostnames are the public names the server answers for besides
	// loopback (hostnames:, required in access and oidc mode). A config
	// not read from a file may leave it empty: the server then answers
	// loopback names only.
	Hostnames []string
	// MetricsToken, from the variable metrics_token_env names, lets a
	// scraper with Authorization: Bearer read /metrics from anywhere.
	MetricsToken string
}

// section is one part of admin.yaml: the top-level keys it owns and how
// it reads them into a Config. Adding a section is a field in Config, a
// file with its parse function and one line in sections; the allowed
// keys follow from the list.
type section struct {
	keys  []string
	parse func(r reader, cfg *Config)
}

// sections are read in this order: a later one may use what an earlier
// one set (hostnames needs auth's mode, deploys the state_dir).
func sections() []section {
	return []section{
		{keys: []string{"listen", "site", "state_dir"}, parse: parseServer},
		{keys: []string{"auth"}, parse: parseAuth},
		{keys: []string{"sources"}, parse: parseSources},
		{keys: []string{"concurrency"}, parse: parseConcurrency},
		{keys: []string{"deploys"}, parse: parseDeploys},
		{keys: []string{"kv_push_interval"}, parse: parseKVPushInterval},
		{keys: []string{"hostnames"}, parse: parseHostnames},
		{keys: []string{"metrics_token_env"}, parse: parseMetricsToken},
	}
}

// reader is what a section's parse function reads from: the document for
// reporting problems at their line, its top-level mapping, and the
// environment secrets are resolved from.
type reader struct {
	doc    *yamldoc.Doc
	f      yamldoc.Fields
	getenv func(string) string
}

// Load reads and validates the file; problems carry file and line.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, path, os.Getenv)
}

// Parse reads config YAML; display names the file in messages and getenv
// resolves secrets.
func Parse(data []byte, display string, getenv func(string) string) (*Config, error) {
	var probs diag.List
	doc := &yamldoc.Doc{Path: display, Problems: &probs}
	root := doc.Parse(data)
	if root == nil {
		return nil, probs.Err()
	}
	secs := sections()
	var keys []string
	for _, s := range secs {
		keys = append(keys, s.keys...)
	}
	r := reader{doc: doc, f: doc.Map(root, "", keys...), getenv: getenv}
	cfg := &Config{}
	for _, s := range secs {
		s.parse(r, cfg)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// parseServer reads where the server listens and where its files are.
func parseServer(r reader, cfg *Config) {
	cfg.Listen, cfg.Site, cfg.StateDir = r.f.String("listen"), r.f.String("site"), r.f.String("state_dir")
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:8443"
	}
	if cfg.Site == "" {
		cfg.Site = "."
	}
	if cfg.StateDir == "" {
		cfg.StateDir = "./state"
	}
	if _, _, err := net.SplitHostPort(cfg.Listen); err != nil {
		r.doc.Errorf(r.f.Node("listen"), "listen", "must be host:port, found %q", cfg.Listen)
	}
}

// parseSources reads sources: through the collector registry, which knows
// each kind's keys.
func parseSources(r reader, cfg *Config) {
	cfg.Sources = live.Builtin().ParseSources(r.doc, r.f.List("sources"), r.getenv)
}

func parseConcurrency(r reader, cfg *Config) {
	cfg.Concurrency = r.f.Int("concurrency", 4)
}
