// Package notifytest holds receivers for notifier tests: HTTP endpoints
// that check requests the way ntfy, Discord and Slack document their
// publish and incoming-webhook APIs (and labfront's own webhook format),
// and a real SMTP server (mailpit) with STARTTLS and AUTH.
package notifytest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one request a receiver accepted (or refused), as received.
type Request struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// Dump is the request as golden files keep it: method and path, the
// headers named (sorted), then the body (JSON indented).
func (r Request) Dump(headers ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", r.Method, r.Path)
	sort.Strings(headers)
	for _, h := range headers {
		if v := r.Header.Values(h); len(v) > 0 {
			fmt.Fprintf(&b, "%s: %s\n", h, strings.Join(v, ", "))
		}
	}
	b.WriteString("\n")
	var v any
	if json.Unmarshal(r.Body, &v) == nil {
		out, _ := json.MarshalIndent(v, "", "  ") // v came from JSON
		b.Write(out)
	} else {
		b.Write(r.Body)
	}
	b.WriteString("\n")
	return b.String()
}

// Receiver is an HTTP endpoint that checks each request with its kind's
// rules, records it, and answers like the real service.
type Receiver struct {
	*httptest.Server
	// Fail, when set, answers instead of the check (status, body);
	// status 0 means "check and answer normally".
	Fail func(n int) (status int, header http.Header, body string)

	t     testing.TB
	check func(r *http.Request, body []byte) error
	ok    func(w http.ResponseWriter)
	mu    sync.Mutex
	reqs  []Request
	bad   []string
}

func newReceiver(t testing.TB, check func(*http.Request, []byte) error, ok func(http.ResponseWriter)) *Receiver {
	rv := &Receiver{t: t, check: check, ok: ok}
	rv.Server = httptest.NewServer(rv)
	t.Cleanup(rv.Close)
	t.Cleanup(func() {
		for _, b := range rv.Problems() {
			t.Errorf("receiver: %s", b)
		}
	})
	return rv
}

// Handler is the receiver as an http.Handler (for in-process transports
// in synctest bubbles, where sockets would stop the clock).
func (rv *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rv.mu.Lock()
	n := len(rv.reqs)
	rv.reqs = append(rv.reqs, Request{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
	rv.mu.Unlock()
	if rv.Fail != nil {
		if status, h, text := rv.Fail(n); status != 0 {
			for k, v := range h {
				w.Header()[k] = v
			}
			w.WriteHeader(status)
			io.WriteString(w, text)
			return
		}
	}
	if err := rv.check(r, body); err != nil {
		rv.mu.Lock()
		rv.bad = append(rv.bad, err.Error())
		rv.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rv.ok(w)
}

// Requests are every request received, in order.
func (rv *Receiver) Requests() []Request {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return slices.Clone(rv.reqs)
}

// Problems are the requests the receiver refused, and why.
func (rv *Receiver) Problems() []string {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return slices.Clone(rv.bad)
}

func needs(r *http.Request, method, contentType string) error {
	if r.Method != method {
		return fmt.Errorf("method %s, want %s", r.Method, method)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, contentType) {
		return fmt.Errorf("Content-Type %q, want %s", ct, contentType)
	}
	return nil
}

// strictJSON decodes body into v, refusing fields v does not have.
func strictJSON(body []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	return nil
}

// Ntfy is a topic endpoint: POST (or PUT) with the message as the body;
// Title, Priority (1-5 or min/low/default/high/max/urgent), Tags and
// Click headers; Authorization "Bearer <token>" when token is set. It
// answers 200 with the message as JSON, as ntfy does.
func Ntfy(t testing.TB, topic, token string) *Receiver {
	priorities := []string{"1", "2", "3", "4", "5", "min", "low", "default", "high", "max", "urgent"}
	return newReceiver(t, func(r *http.Request, body []byte) error {
		if r.Method != http.MethodPost && r.Method != http.MethodPut {
			return fmt.Errorf("method %s, want POST or PUT", r.Method)
		}
		if r.URL.Path != "/"+topic {
			return fmt.Errorf("path %s, want /%s", r.URL.Path, topic)
		}
		if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
			return fmt.Errorf("no Bearer token")
		}
		if p := r.Header.Get("Priority"); p != "" && !slices.Contains(priorities, p) {
			return fmt.Errorf("priority %q", p)
		}
		if len(body) == 0 {
			return fmt.Errorf("empty message")
		}
		return nil
	}, func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"hwQ2YpKdmg","time":%d,"event":"message","topic":%q,"message":"ok"}`+"\n", time.Now().Unix(), topic)
	})
}

// WebhookBody is what Webhook accepts: labfront's documented payload,
// version 1, field by field (unknown fields are refused, so the
// documentation and the code cannot drift apart silently).
type WebhookBody struct {
	Version  int       `json:"version"`
	Event    string    `json:"event"`
	At       time.Time `json:"at"`
	URL      string    `json:"url"`
	Text     string    `json:"text"`
	Incident struct {
		ID       string     `json:"id"`
		Title    string     `json:"title"`
		Status   string     `json:"status"`
		Cause    string     `json:"cause"`
		Systems  []string   `json:"systems"`
		Summary  string     `json:"summary"`
		Started  time.Time  `json:"started"`
		Resolved *time.Time `json:"resolved"`
		Updates  []struct {
			At     time.Time `json:"at"`
			Status string    `json:"status"`
			Text   string    `json:"text"`
		} `json:"updates"`
	} `json:"incident"`
}

// Webhook accepts labfront's JSON payload; verify checks the signature
// header (nil: none expected).
func Webhook(t testing.TB, verify func(signature string, body []byte) error) *Receiver {
	return newReceiver(t, func(r *http.Request, body []byte) error {
		if err := needs(r, http.MethodPost, "application/json"); err != nil {
			return err
		}
		var p WebhookBody
		if err := strictJSON(body, &p); err != nil {
			return err
		}
		if p.Version != 1 || p.Event == "" || p.Incident.ID == "" || r.Header.Get("X-Labfront-Event") != p.Event {
			return fmt.Errorf("payload version %d event %q id %q", p.Version, p.Event, p.Incident.ID)
		}
		if verify != nil {
			return verify(r.Header.Get("X-Labfront-Signature"), body)
		}
		return nil
	}, func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) })
}

// Discord is an incoming webhook, /api/webhooks/{id}/{token}: JSON with
// content or embeds (at most 10); an embed's title at most 256
// characters, description 4096, a field's name 256 and value 1024;
// timestamp ISO 8601. It answers 204 No Content, as Discord does without
// ?wait=true.
func Discord(t testing.TB, id, token string) *Receiver {
	return newReceiver(t, func(r *http.Request, body []byte) error {
		if err := needs(r, http.MethodPost, "application/json"); err != nil {
			return err
		}
		if r.URL.Path != "/api/webhooks/"+id+"/"+token {
			return fmt.Errorf("path %s", r.URL.Path)
		}
		var p struct {
			Content         string `json:"content"`
			Username        string `json:"username"`
			AllowedMentions *struct {
				Parse []string `json:"parse"`
			} `json:"allowed_mentions"`
			Embeds []struct {
				Title       string `json:"title"`
				Description string `json:"description"`
				URL         string `json:"url"`
				Color       int    `json:"color"`
				Timestamp   string `json:"timestamp"`
				Fields      []struct {
					Name   string `json:"name"`
					Value  string `json:"value"`
					Inline bool   `json:"inline"`
				} `json:"fields"`
			} `json:"embeds"`
		}
		if err := strictJSON(body, &p); err != nil {
			return err
		}
		if p.Content == "" && len(p.Embeds) == 0 {
			return fmt.Errorf("neither content nor embeds")
		}
		if len(p.Embeds) > 10 {
			return fmt.Errorf("%d embeds", len(p.Embeds))
		}
		for _, e := range p.Embeds {
			if len([]rune(e.Title)) > 256 || len([]rune(e.Description)) > 4096 {
				return fmt.Errorf("embed too long")
			}
			if e.Timestamp != "" {
				if _, err := time.Parse(time.RFC3339, e.Timestamp); err != nil {
					return fmt.Errorf("timestamp %q", e.Timestamp)
				}
			}
			for _, f := range e.Fields {
				if f.Name == "" || f.Value == "" || len([]rune(f.Name)) > 256 || len([]rune(f.Value)) > 1024 {
					return fmt.Errorf("field %q", f.Name)
				}
			}
		}
		return nil
	}, func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) })
}

// Slack is an incoming webhook, /services/…: JSON with text or blocks;
// block types header (plain_text, at most 150), section (text at most
// 3000) and context. It answers 200 "ok", as Slack does.
func Slack(t testing.TB, path string) *Receiver {
	return newReceiver(t, func(r *http.Request, body []byte) error {
		if err := needs(r, http.MethodPost, "application/json"); err != nil {
			return err
		}
		if r.URL.Path != path {
			return fmt.Errorf("path %s", r.URL.Path)
		}
		type text struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		var p struct {
			Text   string `json:"text"`
			Blocks []struct {
				Type     string `json:"type"`
				Text     *text  `json:"text"`
				Elements []text `json:"elements"`
			} `json:"blocks"`
		}
		if err := strictJSON(body, &p); err != nil {
			return err
		}
		if p.Text == "" && len(p.Blocks) == 0 {
			return fmt.Errorf("invalid_payload")
		}
		for _, b := range p.Blocks {
			switch b.Type {
			case "header":
				if b.Text == nil || b.Text.Type != "plain_text" || len([]rune(b.Text.Text)) > 150 {
					return fmt.Errorf("invalid_blocks: header")
				}
			case "section":
				if b.Text == nil || (b.Text.Type != "mrkdwn" && b.Text.Type != "plain_text") || len([]rune(b.Text.Text)) > 3000 {
					return fmt.Errorf("invalid_blocks: section")
				}
			case "context":
				if len(b.Elements) == 0 || len(b.Elements) > 10 {
					return fmt.Errorf("invalid_blocks: context")
				}
			default:
				return fmt.Errorf("invalid_blocks: type %q", b.Type)
			}
		}
		return nil
	}, func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "ok")
	})
}

// Transport serves requests with a handler in-process: no socket, so a
// synctest bubble's clock can advance while the "receiver" works.
type Transport struct{ Handler http.Handler }

// RoundTrip runs the handler on the request.
func (tr Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	tr.Handler.ServeHTTP(rec, r)
	return rec.Result(), nil
}
