package deploy

import "github.com/labfront/labfront/internal/cfapi"

// ConfigFromEnv reads the Cloudflare credentials and endpoint from the
// environment through getenv, without wrangler.toml: for the API calls that
// have nothing to do with the Pages project (tunnels, DNS, the admin
// server's KV push, which reads wrangler.toml itself).
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{Credentials: cfapi.FromEnv(getenv)}
}
