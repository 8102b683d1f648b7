package notify_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/incident"
	"github.com/labfront/labfront/internal/notify"
	"github.com/labfront/labfront/internal/testkit/golden"
	"github.com/labfront/labfront/internal/testkit/notifytest"
	"github.com/labfront/labfront/internal/yamldoc"
)

// update is -update: rewrite the golden files (this binary's tests all
// read it through golden.Check).
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// parse reads a notify: list with env as the environment and files as
// the file system, returning the configs and the problems.
func parse(t *testing.T, src string, env, files map[string]string) ([]notify.Config, []string) {
	t.Helper()
	var probs diag.List
	doc := &yamldoc.Doc{Path: "admin.yaml", Problems: &probs}
	root := doc.Parse([]byte(src))
	if root == nil {
		t.Fatalf("not YAML: %v", probs.Err())
	}
	f := doc.Map(root, "", "notify")
	cfgs := notify.Builtin().Parse(doc, f.List("notify"), notify.Env{
		Getenv: func(k string) string { return env[k] },
		ReadFile: func(p string) ([]byte, error) {
			if v, ok := files[p]; ok {
				return []byte(v), nil
			}
			return nil, fmt.Errorf("open %s: no such file or directory", p)
		},
	}, func(id string) bool { return id == "pve-io" || id == "nas" })
	var out []string
	for _, p := range probs {
		out = append(out, p.Error())
	}
	return cfgs, out
}

func TestParse(t *testing.T) {
	t.Parallel()
	cfgs, probs := parse(t, `notify:
  - {name: phone, type: ntfy, url: https://ntfy.example/lab, token_env: NTFY_TOKEN}
  - {name: hook, type: webhook, url: https://hooks.example/lab, secret_file: /run/hook.key, systems: [nas]}
  - {name: chat, type: discord, url_env: DISCORD_WEBHOOK, send_resolved: false}
  - {name: team, type: slack, url_file: /run/slack.url, events: [opened]}
  - {name: mail, type: smtp, host: smtp.example, port: 587, from: lab@example, to: [me@example], password_env: SMTP_PASSWORD}
`, map[string]string{"NTFY_TOKEN": "tk_phone", "DISCORD_WEBHOOK": "https://discord.example/api/webhooks/1/abc", "SMTP_PASSWORD": "pw"},
		map[string]string{"/run/hook.key": "k3y\n", "/run/slack.url": "https://hooks.slack.example/services/T/B/X\n"})
	if probs != nil {
		t.Fatalf("problems: %v", probs)
	}
	if len(cfgs) != 5 || cfgs[0].Token != "tk_phone" || cfgs[1].Secret != "k3y" || cfgs[2].URL != "https://discord.example/api/webhooks/1/abc" ||
		cfgs[3].URL != "https://hooks.slack.example/services/T/B/X" || cfgs[4].Password != "pw" || cfgs[4].SMTP.Username != "lab@example" || !cfgs[4].SMTP.StartTLS {
		t.Errorf("configs: %+v", cfgs)
	}
	if want := []incident.EventKind{incident.Opened, incident.Updated}; !slices.Equal(cfgs[2].Events, want) {
		t.Errorf("send_resolved: false gives %v", cfgs[2].Events)
	}
	if !slices.Equal(cfgs[3].Events, []incident.EventKind{incident.Opened}) || !slices.Equal(cfgs[1].Systems, []string{"nas"}) {
		t.Errorf("filters: %v %v", cfgs[3].Events, cfgs[1].Systems)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	_, got := parse(t, `notify:
  - {name: a, type: pager, url: https://x.example}
  - {name: b, type: ntfy}
  - {name: c, type: discord, url_env: HOOK, token_env: T}
  - {name: d, type: smtp, host: h, from: nobody, to: [me@example], password_file: /nope, starttls: false}
  - {name: d, type: webhook, url: ftp://x, events: [paged], systems: [ghost]}
`, nil, nil)
	want := []string{
		`admin.yaml:2: notify[0].type: must be one of ntfy, webhook, discord, slack, smtp, found "pager"`,
		`admin.yaml:3: notify[1].url: required (or url_env, url_file)`,
		`admin.yaml:4: notify[2].url_env: $HOOK is empty or unset`,
		`admin.yaml:4: notify[2].token_env: only ntfy notifiers take token_env`,
		`admin.yaml:5: notify[3].from: not a mail address: "nobody"`,
		`admin.yaml:5: notify[3].password_file: open /nope: no such file or directory`,
		`admin.yaml:6: notify[4].url: must give an http:// or https:// URL`,
		`admin.yaml:6: notify[4].systems[0]: no node "ghost" in lab.yaml`,
		`admin.yaml:6: notify[4].events[0]: must be one of opened, updated, resolved, found "paged"`,
		`admin.yaml:6: notify[4].name: duplicate notifier name "d"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

var t0 = time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)

func opened() notify.Message {
	inc := incident.Incident{
		ID: "2026-12-03-pve-io", Cause: "pve-io", Systems: []string{"pve-io", "jellyfin"}, Status: incident.Investigating,
		Title: "pve-io is down (1 more affected)", Summary: "pve-io is down. jellyfin is unreachable because pve-io is down.",
		Started: t0, Public: true,
	}
	return notify.FromEvent(incident.Event{Kind: incident.Opened, At: t0.Add(2 * time.Minute), Incident: inc}, "https://lab.example/status/")
}

func resolved() notify.Message {
	m := opened()
	m.Event, m.At = string(incident.ResolvedEvt), t0.Add(42*time.Minute)
	m.Incident.Status, m.Incident.Resolved = incident.Resolved, t0.Add(41*time.Minute)
	m.Incident.Updates = []incident.Update{{At: m.At, Status: incident.Resolved, Text: "pve-io is up again."}}
	return m
}

func dispatcher(t *testing.T, cfgs []notify.Config, rec notify.Recorder, opt notify.DispatcherOptions) *notify.Dispatcher {
	t.Helper()
	d, err := notify.NewDispatcher(notify.Builtin(), cfgs, rec, opt)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestPayloads: each kind's request for an opened and a resolved
// incident, as its receiver accepts it, is the golden file.
func TestPayloads(t *testing.T) {
	t.Parallel()
	sig := func(key string) func(string, []byte) error {
		return func(got string, body []byte) error {
			mac := hmac.New(sha256.New, []byte(key))
			mac.Write(body)
			if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); got != want {
				return fmt.Errorf("signature %q, want %q", got, want)
			}
			return nil
		}
	}
	for _, tc := range []struct {
		kind    string
		rv      func(t *testing.T) *notifytest.Receiver
		yaml    func(url string) string
		headers []string
	}{
		{"ntfy", func(t *testing.T) *notifytest.Receiver { return notifytest.Ntfy(t, "lab", "tk_phone") },
			func(u string) string { return "{name: phone, type: ntfy, url: " + u + "/lab, token_env: TOKEN}" },
			[]string{"Authorization", "Click", "Content-Type", "Priority", "Tags", "Title"}},
		{"webhook", func(t *testing.T) *notifytest.Receiver { return notifytest.Webhook(t, sig("k3y")) },
			func(u string) string { return "{name: hook, type: webhook, url: " + u + "/hook, secret_env: TOKEN}" },
			[]string{"Content-Type", "X-Labfront-Event", "X-Labfront-Signature"}},
		{"discord", func(t *testing.T) *notifytest.Receiver { return notifytest.Discord(t, "123", "tok") },
			func(u string) string { return "{name: chat, type: discord, url: " + u + "/api/webhooks/123/tok}" },
			[]string{"Content-Type"}},
		{"slack", func(t *testing.T) *notifytest.Receiver { return notifytest.Slack(t, "/services/T1/B2/X3") },
			func(u string) string { return "{name: team, type: slack, url: " + u + "/services/T1/B2/X3}" },
			[]string{"Content-Type"}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			t.Parallel()
			rv := tc.rv(t)
			token := map[string]string{"ntfy": "tk_phone", "webhook": "k3y"}[tc.kind]
			cfgs, probs := parse(t, "notify:\n  - "+tc.yaml(rv.URL)+"\n", map[string]string{"TOKEN": token}, nil)
			if probs != nil {
				t.Fatal(probs)
			}
			d := dispatcher(t, cfgs, nil, notify.DispatcherOptions{Now: func() time.Time { return t0 }})
			for _, m := range []notify.Message{opened(), resolved()} {
				for _, rec := range d.Dispatch(context.Background(), m) {
					if !rec.OK || !rec.Final || rec.Attempt != 1 {
						t.Errorf("%s: %+v", m.Event, rec)
					}
				}
			}
			var got strings.Builder
			for _, r := range rv.Requests() {
				got.WriteString(r.Dump(tc.headers...))
				got.WriteString("----\n")
			}
			golden.Check(t, filepath.Join("testdata", tc.kind+".golden"), []byte(got.String()))
		})
	}
}

// TestRetries: failures are retried with doubling waits, a receiver's
// Retry-After is honoured, a 4xx refusal is not retried, and every
// attempt is recorded. The clock is synctest's, so no test waits.
func TestRetries(t *testing.T) {
	t.Parallel()
	rv := notifytest.Webhook(t, nil)
	rv.Fail = func(n int) (int, http.Header, string) {
		switch n {
		case 0, 1:
			return http.StatusBadGateway, nil, "upstream down"
		case 2:
			return http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}}, "slow down"
		}
		return 0, nil, ""
	}
	bad := notifytest.Webhook(t, nil)
	bad.Fail = func(int) (int, http.Header, string) { return http.StatusBadRequest, nil, "bad payload" }
	synctest.Test(t, func(t *testing.T) {
		cfgs, probs := parse(t, "notify:\n  - {name: flaky, type: webhook, url: http://flaky.test/x}\n  - {name: broken, type: webhook, url: http://broken.test/x}\n", nil, nil)
		if probs != nil {
			t.Fatal(probs)
		}
		client := &http.Client{Transport: routes{"flaky.test": rv, "broken.test": bad}}
		log := notify.NewLog("", 100)
		d := dispatcher(t, cfgs, log, notify.DispatcherOptions{Client: client, Backoff: notify.Backoff{Attempts: 5, First: 2 * time.Second, Max: time.Minute}})
		start := time.Now()
		final := d.Dispatch(context.Background(), opened())
		took := time.Since(start)
		var got []string
		for _, r := range log.Recent() {
			got = append(got, fmt.Sprintf("%s#%d ok=%v final=%v %s", r.Notifier, r.Attempt, r.OK, r.Final, r.Error))
		}
		slices.Sort(got)
		want := []string{
			"broken#1 ok=false final=true HTTP 400: bad payload",
			"flaky#1 ok=false final=false HTTP 502: upstream down",
			"flaky#2 ok=false final=false HTTP 502: upstream down",
			"flaky#3 ok=false final=false HTTP 429: slow down",
			"flaky#4 ok=true final=true ",
		}
		if !slices.Equal(got, want) {
			t.Errorf("deliveries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// 2 s, then 4 s, then the 7 s the receiver asked for.
		if took != 13*time.Second {
			t.Errorf("retries took %v, want 13s", took)
		}
		if len(final) != 2 {
			t.Errorf("final records: %+v", final)
		}
	})
}

// routes sends each host's requests to its receiver, in-process.
type routes map[string]*notifytest.Receiver

func (r routes) RoundTrip(req *http.Request) (*http.Response, error) {
	rv, ok := r[req.URL.Host]
	if !ok {
		return nil, errors.New("no route")
	}
	return notifytest.Transport{Handler: rv}.RoundTrip(req)
}

// TestSecretsNeverLogged: a receiver that echoes the request back in its
// error, and an endpoint that cannot be reached, leave no secret in the
// log or in the delivery records.
func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	leaky := notifytest.Webhook(t, nil)
	leaky.Fail = func(n int) (int, http.Header, string) {
		r := leaky.Requests()[n]
		return http.StatusInternalServerError, nil, "denied " + r.Path + " auth=" + r.Header.Get("Authorization") + " sig=" + r.Header.Get("X-Labfront-Signature")
	}
	ntfyLeak := notifytest.Ntfy(t, "lab", "tk_secret_token")
	ntfyLeak.Fail = func(n int) (int, http.Header, string) {
		return http.StatusInternalServerError, nil, "token " + ntfyLeak.Requests()[n].Header.Get("Authorization")
	}
	closed := notifytest.Webhook(t, nil)
	closedURL := closed.URL
	closed.Close() // nothing listens there any more
	secrets := map[string]string{
		"NTFY":     "tk_secret_token",
		"HOOK_URL": leaky.URL + "/hooks/s3cr3t-path-token",
		"SIGN":     "signing-key-123",
		"DISCORD":  closedURL + "/api/webhooks/42/discord-secret-token",
		"SMTP":     "mail-password-xyz",
	}
	cfgs, probs := parse(t, `notify:
  - {name: phone, type: ntfy, url: `+ntfyLeak.URL+`/lab, token_env: NTFY}
  - {name: hook, type: webhook, url_env: HOOK_URL, secret_env: SIGN}
  - {name: chat, type: discord, url_env: DISCORD}
  - {name: mail, type: smtp, host: 127.0.0.1, port: 1, from: lab@example, to: [me@example], password_env: SMTP}
`, secrets, nil)
	if probs != nil {
		t.Fatal(probs)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := notify.NewLog(filepath.Join(t.TempDir(), "deliveries.jsonl"), 100)
	d := dispatcher(t, cfgs, rec, notify.DispatcherOptions{Logger: logger, Backoff: notify.Backoff{Attempts: 2, First: time.Millisecond, Max: time.Millisecond}})
	final := d.Dispatch(context.Background(), opened())
	if len(final) != 4 || slices.ContainsFunc(final, func(r notify.Delivery) bool { return r.OK }) {
		t.Fatalf("every delivery should fail: %+v", final)
	}
	if _, err := d.Test(context.Background(), "phone", ""); err != nil {
		t.Fatal(err)
	}
	var records strings.Builder
	for _, r := range rec.Recent() {
		fmt.Fprintf(&records, "%+v\n", r)
	}
	for name, s := range secrets {
		for _, part := range []string{s, strings.TrimPrefix(s, leaky.URL), strings.TrimPrefix(s, closedURL)} {
			if strings.Contains(logs.String(), part) || strings.Contains(records.String(), part) {
				t.Errorf("secret %s (%q) appears:\nlog:\n%s\nrecords:\n%s", name, part, logs.String(), records.String())
			}
		}
	}
	if !strings.Contains(records.String(), "[redacted]") {
		t.Errorf("the echoing receiver's secrets should show as [redacted]:\n%s", records.String())
	}
	t.Logf("records:\n%s", records.String())
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPublicNotifier: a notifier marked public gets the public copy (no
// hidden name), the others the admin's record; filtering is on lab ids
// either way.
func TestPublicNotifier(t *testing.T) {
	t.Parallel()
	open := notifytest.Webhook(t, nil)
	shared := notifytest.Webhook(t, nil)
	cfgs, probs := parse(t, "notify:\n  - {name: own, type: webhook, url: "+open.URL+"/x}\n  - {name: friends, type: webhook, url: "+shared.URL+"/x, public: true, systems: [pve-io]}\n", nil, nil)
	if probs != nil {
		t.Fatal(probs)
	}
	if _, err := notify.NewDispatcher(notify.Builtin(), cfgs, nil, notify.DispatcherOptions{}); err == nil {
		t.Error("a public notifier without Publish was accepted")
	}
	pub := func(inc incident.Incident) incident.Incident {
		return incident.Publish(inc, func(id string) (string, string) {
			if id == "pve-io" {
				return "", ""
			}
			return id, "Jellyfin"
		})
	}
	d := dispatcher(t, cfgs, nil, notify.DispatcherOptions{Publish: pub})
	d.Dispatch(context.Background(), opened())
	if got := string(open.Requests()[0].Body); !strings.Contains(got, `"cause":"pve-io"`) {
		t.Errorf("the operator's own notifier:\n%s", got)
	}
	got := string(shared.Requests()[0].Body)
	if strings.Contains(got, "pve-io") || !strings.Contains(got, "Jellyfin is unreachable because an internal system is down.") {
		t.Errorf("the public notifier:\n%s", got)
	}
}
