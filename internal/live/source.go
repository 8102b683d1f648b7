package live

import (
	"net/http"
	"time"
)

// Source configures one collector. The admin server's config loader fills
// it from the YAML and the environment.
type Source struct {
	Name     string
	Type     string // prometheus, proxmox, tailscale, probe, demo
	URL      string
	Interval time.Duration
	Timeout  time.Duration
	// Secret is the source's credential (a Proxmox API token
	// "user@realm!id=uuid", a Tailscale API key), resolved from an
	// environment variable or a file. It is never logged or rendered.
	Secret string
	// Insecure accepts a self-signed TLS certificate (Proxmox's default),
	// for the kinds that take insecure.
	Insecure bool
	// Options are the kind's own settings (TailscaleOptions,
	// CloudflareAPI), set by its Configure; nil for kinds without any.
	Options any
	// Site is the lab.yaml site the things this source discovers are at,
	// when they say nothing closer; "" leaves it to labels and parents.
	Site string
	// HTTP is the client to use; nil means a default client with Timeout.
	HTTP *http.Client
}

// Client returns the source's HTTP client.
func (s Source) Client() *http.Client {
	if s.HTTP != nil {
		return s.HTTP
	}
	return &http.Client{Timeout: s.Timeout}
}
