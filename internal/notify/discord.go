package notify

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/incident"
)

// discord posts to an incoming webhook (…/api/webhooks/{id}/{token}) the
// JSON Discord's "Execute Webhook" takes: an embed with title,
// description, link, colour and timestamp, and allowed_mentions that
// parse nothing, so an incident text can never ping @everyone. Discord
// answers 204 No Content; 429 carries Retry-After.
func discordKind() Kind {
	return Kind{
		Name: "discord", NeedsURL: true,
		New: func(c Config, client *http.Client) (Sender, error) {
			return &discord{url: c.URL, client: client}, nil
		},
	}
}

type discord struct {
	url    string
	client *http.Client
}

var _ Sender = (*discord)(nil)

type discordBody struct {
	Username        string          `json:"username"`
	Embeds          []discordEmbed  `json:"embeds"`
	AllowedMentions allowedMentions `json:"allowed_mentions"`
}

type discordEmbed struct {
	Title       string         `json:"title"`
	Description string         `json:"description"`
	URL         string         `json:"url,omitempty"`
	Color       int            `json:"color"`
	Timestamp   string         `json:"timestamp"`
	Fields      []discordField `json:"fields,omitempty"`
}

type discordField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

type allowedMentions struct {
	Parse []string `json:"parse"`
}

// Colours of the embed's edge: red open, amber update, green resolved.
var eventColors = map[string]int{
	string(incident.Opened): 0xd93025, string(incident.Updated): 0xf9ab00, string(incident.ResolvedEvt): 0x1e8e3e,
}

func (d *discord) Send(ctx context.Context, m Message) error {
	e := discordEmbed{
		Title: cut(m.Subject(), 256), Description: cut(m.Text(), 4096), URL: m.URL,
		Color: eventColors[m.Event], Timestamp: m.At.UTC().Format(time.RFC3339),
	}
	if len(m.Incident.Systems) > 0 {
		e.Fields = append(e.Fields, discordField{Name: "Systems", Value: cut(strings.Join(m.Incident.Systems, ", "), 1024)})
	}
	e.Fields = append(e.Fields, discordField{Name: "Status", Value: string(m.Incident.Status), Inline: true})
	body, err := json.Marshal(discordBody{Username: "labfront", Embeds: []discordEmbed{e}, AllowedMentions: allowedMentions{Parse: []string{}}})
	if err != nil {
		return err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	_, _, err = post(ctx, d.client, d.url, h, body)
	return err
}

// cut shortens s to at most n characters (runes), the limits Discord
// enforces with a 400.
func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
