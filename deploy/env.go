package deploy

import (
	"fmt"
	"strings"

	"github.com/cloudflare/cloudflare-go/v6/option"
)

// ConfigFromEnv reads the Cloudflare credentials and endpoint from the
// environment through getenv, without wrangler.toml: for the API calls that
// have nothing to do with the Pages project (tunnels, DNS, the admin
// server's KV push, which reads wrangler.toml itself).
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{
		APIToken:  Secret(strings.TrimSpace(getenv(EnvAPIToken))),
		AccountID: strings.TrimSpace(getenv(EnvAccountID)),
		BaseURL:   strings.TrimSpace(getenv(EnvBaseURL)),
		ZoneID:    strings.TrimSpace(getenv(EnvZoneID)),
	}
}

// RequireEnv reports, in one message that names them all, which of the
// environment variables vars (EnvAPIToken, EnvAccountID, EnvZoneID) c has
// no value for; purpose says what needs them.
func (c Config) RequireEnv(purpose string, vars ...string) error {
	var missing []string
	for _, v := range vars {
		var val string
		switch v {
		case EnvAPIToken:
			val = string(c.APIToken)
		case EnvAccountID:
			val = c.AccountID
		case EnvZoneID:
			val = c.ZoneID
		case EnvBaseURL:
			continue // optional: empty is Cloudflare's own endpoint
		default:
			return fmt.Errorf("RequireEnv: unknown variable %q", v)
		}
		if val == "" {
			missing = append(missing, v)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %s not set", purpose, strings.Join(missing, " and "))
}

// ClientOptions are the cloudflare-go options for a token-only client of
// c's endpoint, for callers that make their own cloudflare.Client (Client
// is only for the Pages deploy). Retries are left to the caller.
func (c Config) ClientOptions() []option.RequestOption {
	opts := []option.RequestOption{
		option.WithAPIToken(string(c.APIToken)),
		// cloudflare.NewClient also reads CLOUDFLARE_API_KEY and
		// CLOUDFLARE_EMAIL; a token-only client must not send those.
		option.WithHeaderDel("X-Auth-Key"),
		option.WithHeaderDel("X-Auth-Email"),
		option.WithHeaderDel("X-Auth-User-Service-Key"),
	}
	if c.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(c.BaseURL))
	}
	return opts
}
