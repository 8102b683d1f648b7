package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"
)

// webhook POSTs the documented JSON payload (docs/status-history.md):
// version, event, time, and the incident with its updates. With a
// secret, X-Labfront-Signature is "sha256=" and the hex HMAC-SHA256 of
// the body, so the receiver can tell it came from labfront.
func webhookKind() Kind {
	return Kind{
		Name: "webhook", Keys: []string{"secret_env", "secret_file"}, NeedsURL: true,
		Configure: func(s Settings, c *Config) { c.Secret = s.Secret("secret") },
		New: func(c Config, client *http.Client) (Sender, error) {
			return &webhook{url: c.URL, secret: c.Secret, client: client}, nil
		},
	}
}

type webhook struct {
	url, secret string
	client      *http.Client
}

var _ Sender = (*webhook)(nil)

// WebhookPayload is the JSON body of the generic webhook, version 1. New
// fields may be added; none is removed or renamed within a version.
type WebhookPayload struct {
	Version  int             `json:"version"`
	Event    string          `json:"event"`
	At       time.Time       `json:"at"`
	Incident WebhookIncident `json:"incident"`
	URL      string          `json:"url,omitempty"`
	Text     string          `json:"text"`
}

// WebhookIncident is the incident in a WebhookPayload.
type WebhookIncident struct {
	ID       string          `json:"id"`
	Title    string          `json:"title"`
	Status   string          `json:"status"`
	Cause    string          `json:"cause"`
	Systems  []string        `json:"systems"`
	Summary  string          `json:"summary"`
	Started  time.Time       `json:"started"`
	Resolved *time.Time      `json:"resolved"`
	Updates  []WebhookUpdate `json:"updates"`
}

// WebhookUpdate is one update of a WebhookIncident.
type WebhookUpdate struct {
	At     time.Time `json:"at"`
	Status string    `json:"status"`
	Text   string    `json:"text"`
}

// Payload is m as the webhook sends it.
func Payload(m Message) WebhookPayload {
	inc := m.Incident
	p := WebhookPayload{Version: 1, Event: m.Event, At: m.At.UTC(), URL: m.URL, Text: m.Text(), Incident: WebhookIncident{
		ID: inc.ID, Title: inc.Title, Status: string(inc.Status), Cause: inc.Cause, Systems: inc.Systems,
		Summary: inc.Summary, Started: inc.Started.UTC(), Updates: []WebhookUpdate{},
	}}
	if p.Incident.Systems == nil {
		p.Incident.Systems = []string{}
	}
	if !inc.Resolved.IsZero() {
		r := inc.Resolved.UTC()
		p.Incident.Resolved = &r
	}
	for _, u := range inc.Updates {
		p.Incident.Updates = append(p.Incident.Updates, WebhookUpdate{At: u.At.UTC(), Status: string(u.Status), Text: u.Text})
	}
	return p
}

func (w *webhook) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(Payload(m))
	if err != nil {
		return err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Labfront-Event", m.Event)
	if w.secret != "" {
		mac := hmac.New(sha256.New, []byte(w.secret))
		mac.Write(body)
		h.Set("X-Labfront-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	_, _, err = post(ctx, w.client, w.url, h, body)
	return err
}
