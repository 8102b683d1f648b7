package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// slack posts to an incoming webhook the JSON Slack documents: text (the
// fallback notifications show) and Block Kit blocks — a header, the
// summary as mrkdwn, and a context line with the systems and the link.
// Slack answers 200 with the body "ok"; errors are 4xx with a word like
// invalid_payload.
func slackKind() Kind {
	return Kind{
		Name: "slack", NeedsURL: true,
		New: func(c Config, client *http.Client) (Sender, error) {
			return &slack{url: c.URL, client: client}, nil
		},
	}
}

type slack struct {
	url    string
	client *http.Client
}

var _ Sender = (*slack)(nil)

type slackBody struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func (s *slack) Send(ctx context.Context, m Message) error {
	ctxLine := "Status: " + string(m.Incident.Status)
	if len(m.Incident.Systems) > 0 {
		ctxLine += " · Systems: " + slackEscape.Replace(strings.Join(m.Incident.Systems, ", "))
	}
	if m.URL != "" {
		ctxLine += fmt.Sprintf(" · <%s|Status page>", m.URL)
	}
	body, err := json.Marshal(slackBody{
		Text: m.Subject(),
		Blocks: []slackBlock{
			{Type: "header", Text: &slackText{Type: "plain_text", Text: cut(m.Subject(), 150)}},
			{Type: "section", Text: &slackText{Type: "mrkdwn", Text: cut(slackEscape.Replace(m.Text()), 3000)}},
			{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: ctxLine}}},
		},
	})
	if err != nil {
		return err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	_, data, err := post(ctx, s.client, s.url, h, body)
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(data)) != "ok" {
		return fmt.Errorf("slack answered %q, not ok", excerpt(data))
	}
	return nil
}
