package notify

import (
	"context"
	"mime"
	"net/http"
	"strings"

	"github.com/labfront/labfront/internal/incident"
)

// ntfy publishes to a topic URL the way its docs describe: the message
// as the body, the headline in Title, Priority and Tags (emoji short
// codes), Click for the link, and an access token as a Bearer token.
// Headers are ASCII; anything else is sent RFC 2047 encoded, which ntfy
// decodes.
func ntfyKind() Kind {
	return Kind{
		Name: "ntfy", Keys: []string{"token_env", "token_file"}, NeedsURL: true,
		Configure: func(s Settings, c *Config) { c.Token = s.Secret("token") },
		New: func(c Config, client *http.Client) (Sender, error) {
			return &ntfy{url: c.URL, token: c.Token, client: client}, nil
		},
	}
}

type ntfy struct {
	url, token string
	client     *http.Client
}

var _ Sender = (*ntfy)(nil)

func (n *ntfy) Send(ctx context.Context, m Message) error {
	h := http.Header{}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Title", headerText(m.Subject()))
	switch m.Event {
	case string(incident.Opened):
		h.Set("Priority", "high")
		h.Set("Tags", "rotating_light")
	case string(incident.ResolvedEvt):
		h.Set("Priority", "default")
		h.Set("Tags", "white_check_mark")
	default:
		h.Set("Priority", "default")
		h.Set("Tags", "memo")
	}
	if m.URL != "" {
		h.Set("Click", m.URL)
	}
	if n.token != "" {
		h.Set("Authorization", "Bearer "+n.token)
	}
	_, _, err := post(ctx, n.client, n.url, h, []byte(m.Text()))
	return err
}

func headerText(s string) string {
	for _, r := range s {
		if r > 126 || r < 32 {
			return mime.QEncoding.Encode("utf-8", s)
		}
	}
	return strings.TrimSpace(s)
}
