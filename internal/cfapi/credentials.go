package cfapi

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/cloudflare/cloudflare-go/v6/option"
)

// Secret is a credential. It prints as [redacted] through fmt and slog so
// a config logged or wrapped into an error never shows it.
type Secret string

func (Secret) String() string               { return "[redacted]" }
func (Secret) GoString() string             { return "[redacted]" }
func (Secret) LogValue() slog.Value         { return slog.StringValue("[redacted]") }
func (Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Credentials are the account access and endpoint every API call needs,
// from the environment variables wrangler and cloudflare-go read.
type Credentials struct {
	APIToken  Secret // CLOUDFLARE_API_TOKEN
	AccountID string // CLOUDFLARE_ACCOUNT_ID
	// BaseURL is CLOUDFLARE_BASE_URL, the API root ending in /client/v4;
	// "" is Cloudflare's.
	BaseURL string
	// ZoneID is CLOUDFLARE_ZONE_ID, needed only to purge the cache and
	// for DNS.
	ZoneID string
}

// Environment variables Credentials come from.
const (
	EnvAPIToken  = "CLOUDFLARE_API_TOKEN"
	EnvAccountID = "CLOUDFLARE_ACCOUNT_ID"
	EnvBaseURL   = "CLOUDFLARE_BASE_URL"
	EnvZoneID    = "CLOUDFLARE_ZONE_ID"
)

// FromEnv reads the credentials and endpoint through getenv (os.Getenv in
// production, a map in tests).
func FromEnv(getenv func(string) string) Credentials {
	return Credentials{
		APIToken:  Secret(strings.TrimSpace(getenv(EnvAPIToken))),
		AccountID: strings.TrimSpace(getenv(EnvAccountID)),
		BaseURL:   strings.TrimSpace(getenv(EnvBaseURL)),
		ZoneID:    strings.TrimSpace(getenv(EnvZoneID)),
	}
}

// RequireEnv reports, in one message that names them all, which of the
// environment variables vars (EnvAPIToken, EnvAccountID, EnvZoneID) c has
// no value for; purpose says what needs them.
func (c Credentials) RequireEnv(purpose string, vars ...string) error {
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
// c's endpoint. Retries are left to the caller (Retry).
func (c Credentials) ClientOptions() []option.RequestOption {
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
