// Package notify tells the operator about incidents: ntfy, a generic JSON
// webhook, Discord and Slack incoming webhooks, and email over SMTP. Each
// notifier kind is declared once, in its own file, with its config keys
// and constructor (the same registry shape as live's source kinds);
// secrets come from the environment or files and never reach a log or a
// delivery record; every attempt is recorded, and failed ones are retried
// with backoff.
package notify

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/labfront/labfront/internal/incident"
	"github.com/labfront/labfront/internal/yamldoc"
)

// Sender delivers one message; an error says why it was not accepted.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Config is one notifier of the admin config's notify: list.
type Config struct {
	Name, Type string
	// URL is the endpoint (from url, url_env or url_file).
	URL string
	// Systems limits the notifier to incidents that affect one of them
	// (lab node ids); empty means every incident.
	Systems []string
	// Events are the incident events it is told about (default all:
	// opened, updated, resolved); send_resolved: false drops resolved.
	Events []incident.EventKind
	// Token is ntfy's access token, Secret the webhook's signing key,
	// Password the SMTP password; all secrets.
	Token, Secret, Password string
	SMTP                    SMTPOptions
	// Public sends the incident as public pages show it (public ids, no
	// hidden node): for a channel other people read.
	Public bool
	Line   int
}

// secrets are the values that must never be printed.
func (c Config) secrets() []string {
	var out []string
	for _, s := range []string{c.Token, c.Secret, c.Password} {
		if s != "" {
			out = append(out, s)
		}
	}
	// A webhook URL is itself the credential (Discord, Slack; an ntfy
	// topic without a token): its path is secret, only scheme and host
	// may be shown.
	if c.URL != "" {
		out = append(out, c.URL)
		if i := strings.Index(c.URL, "://"); i >= 0 {
			if j := strings.IndexByte(c.URL[i+3:], '/'); j >= 0 && len(c.URL[i+3+j:]) > 1 {
				out = append(out, c.URL[i+3+j:])
			}
		}
	}
	return out
}

// Wants reports whether the notifier is told about m.
func (c Config) Wants(m Message) bool {
	if m.Event != EventTest && !slices.Contains(c.Events, incident.EventKind(m.Event)) {
		return false
	}
	if len(c.Systems) == 0 || m.Event == EventTest {
		return true
	}
	return slices.ContainsFunc(m.Systems, func(s string) bool { return slices.Contains(c.Systems, s) })
}

// Kind is one type of notifier.
type Kind struct {
	Name string
	// Keys are the keys the kind takes besides the common ones.
	Keys []string
	// NeedsURL makes one of url, url_env and url_file required.
	NeedsURL bool
	// Configure reads the kind's own keys. Nil when it has none.
	Configure func(s Settings, c *Config)
	// New builds the sender; client is the HTTP client to use.
	New func(c Config, client *http.Client) (Sender, error)
}

// Settings is one notifier's mapping as its kind's Configure reads it.
type Settings struct {
	Doc    *yamldoc.Doc
	Fields yamldoc.Fields
	Prefix string
	Env    Env
}

// Errorf reports a problem with key's value.
func (s Settings) Errorf(key, format string, args ...any) {
	s.Doc.Errorf(s.Fields.Node(key), s.Prefix+"."+key, format, args...)
}

// Secret resolves the secret named by key_env or key_file ("" when
// neither is given); the value is never reported.
func (s Settings) Secret(key string) string {
	return secret(s.Doc, s.Fields, s.Prefix, key, s.Env)
}

// Env is where secrets come from: the process environment and files.
type Env struct {
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)
}

// OSEnv reads secrets from the real environment and file system.
func OSEnv() Env { return Env{Getenv: os.Getenv, ReadFile: os.ReadFile} }

// Kinds is a registry of notifier kinds.
type Kinds []Kind

// Builtin is every kind this build has.
func Builtin() Kinds {
	return Kinds{ntfyKind(), webhookKind(), discordKind(), slackKind(), smtpKind()}
}

// Lookup finds a kind by name.
func (ks Kinds) Lookup(name string) (Kind, bool) {
	i := slices.IndexFunc(ks, func(k Kind) bool { return k.Name == name })
	if i < 0 {
		return Kind{}, false
	}
	return ks[i], true
}

var commonKeys = []string{"name", "type", "url", "url_env", "url_file", "systems", "events", "send_resolved", "public"}

var allEvents = []incident.EventKind{incident.Opened, incident.Updated, incident.ResolvedEvt}

// Parse reads the admin config's notify: list, reporting each problem at
// its line; known reports whether a system id is a lab node (nil: any).
func (ks Kinds) Parse(doc *yamldoc.Doc, list []*yaml.Node, env Env, known func(string) bool) []Config {
	allowed := slices.Clone(commonKeys)
	var names []string
	for _, k := range ks {
		names = append(names, k.Name)
		for _, key := range k.Keys {
			if !slices.Contains(allowed, key) {
				allowed = append(allowed, key)
			}
		}
	}
	var out []Config
	for i, n := range list {
		prefix := fmt.Sprintf("notify[%d]", i)
		f := doc.Map(n, prefix, allowed...)
		f.Require("name", "type")
		c := Config{Name: f.String("name"), Type: f.String("type"), Systems: f.Strings("systems"), Public: f.Bool("public"), Line: doc.Line(n)}
		kind, ok := ks.Lookup(c.Type)
		if c.Type != "" && !ok {
			doc.Errorf(f.Node("type"), prefix+".type", "must be one of %s, found %q", strings.Join(names, ", "), c.Type)
		}
		s := Settings{Doc: doc, Fields: f, Prefix: prefix, Env: env}
		c.URL = f.String("url")
		if u := s.Secret("url"); u != "" {
			c.URL = u
		}
		if c.URL != "" && !strings.HasPrefix(c.URL, "https://") && !strings.HasPrefix(c.URL, "http://") {
			// The value may be a secret: say what is wrong, not what it is.
			key := "url"
			for _, k := range []string{"url_env", "url_file"} {
				if f.Has(k) {
					key = k
				}
			}
			doc.Errorf(f.Node(key), prefix+"."+key, "must give an http:// or https:// URL")
		}
		if ok && kind.NeedsURL && c.URL == "" && !f.Has("url_env") && !f.Has("url_file") {
			doc.Errorf(n, prefix+".url", "required (or url_env, url_file)")
		}
		for j, id := range c.Systems {
			if known != nil && !known(id) {
				doc.Errorf(f.Node("systems"), fmt.Sprintf("%s.systems[%d]", prefix, j), "no node %q in lab.yaml", id)
			}
		}
		c.Events = slices.Clone(allEvents)
		if f.Has("events") {
			c.Events = nil
			for j, e := range f.Strings("events") {
				if !slices.Contains(allEvents, incident.EventKind(e)) {
					doc.Errorf(f.Node("events"), fmt.Sprintf("%s.events[%d]", prefix, j), "must be one of opened, updated, resolved, found %q", e)
					continue
				}
				c.Events = append(c.Events, incident.EventKind(e))
			}
		}
		if f.Has("send_resolved") && !f.Bool("send_resolved") {
			c.Events = slices.DeleteFunc(c.Events, func(e incident.EventKind) bool { return e == incident.ResolvedEvt })
		}
		if ok {
			for _, key := range f.Keys() {
				if !slices.Contains(commonKeys, key) && !slices.Contains(kind.Keys, key) {
					doc.Errorf(f.Node(key), prefix+"."+key, "only %s notifiers take %s", strings.Join(ks.takers(key), " and "), key)
				}
			}
			if kind.Configure != nil {
				kind.Configure(s, &c)
			}
		}
		if slices.ContainsFunc(out, func(o Config) bool { return o.Name == c.Name }) {
			doc.Errorf(f.Node("name"), prefix+".name", "duplicate notifier name %q", c.Name)
		}
		out = append(out, c)
	}
	return out
}

func (ks Kinds) takers(key string) []string {
	var out []string
	for _, k := range ks {
		if slices.Contains(k.Keys, key) {
			out = append(out, k.Name)
		}
	}
	return out
}

// secret resolves key_env or key_file.
func secret(doc *yamldoc.Doc, f yamldoc.Fields, prefix, key string, env Env) string {
	envKey, fileKey := key+"_env", key+"_file"
	if f.Has(envKey) && f.Has(fileKey) {
		doc.Errorf(f.Node(fileKey), prefix+"."+fileKey, "give %s or %s, not both", envKey, fileKey)
	}
	if name := f.String(envKey); name != "" {
		v := env.Getenv(name)
		if v == "" {
			doc.Errorf(f.Node(envKey), prefix+"."+envKey, "$%s is empty or unset", name)
		}
		return v
	}
	if path := f.String(fileKey); path != "" {
		b, err := env.ReadFile(path)
		if err != nil {
			doc.Errorf(f.Node(fileKey), prefix+"."+fileKey, "%v", err)
			return ""
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			doc.Errorf(f.Node(fileKey), prefix+"."+fileKey, "%s is empty", path)
		}
		return v
	}
	return ""
}

// New builds the sender of a configured notifier.
func (ks Kinds) New(c Config, client *http.Client) (Sender, error) {
	k, ok := ks.Lookup(c.Type)
	if !ok {
		return nil, fmt.Errorf("notifier %q: type %q is not in this build", c.Name, c.Type)
	}
	return k.New(c, client)
}
