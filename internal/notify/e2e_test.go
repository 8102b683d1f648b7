package notify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/history"
	"github.com/labfront/labfront/internal/incident"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/notify"
	"github.com/labfront/labfront/internal/testkit/notifytest"
)

// TestOutageEndToEnd: a probed hypervisor and its guest go down and come
// back. Real probes see it, the tracker makes one incident of it, and
// every notifier — ntfy, webhook, Discord and Slack receivers, and a real
// SMTP server (mailpit, STARTTLS and AUTH) — gets exactly one "opened"
// and one "resolved" message, none of them about the guest on its own.
// The history store records it all and counts the guest's outage.
func TestOutageEndToEnd(t *testing.T) {
	mp := notifytest.StartMailpit(t)
	var down atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() && r.URL.Path != "/nas" {
			http.Error(w, "powered off", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer target.Close()
	node := func(id, typ, parent string) lab.Node {
		return lab.Node{ID: id, Name: id, Type: typ, Parent: parent, Public: true,
			Live: lab.Live{"probe": {Value: target.URL + "/" + id}}}
	}
	l := &lab.Lab{Nodes: []lab.Node{node("pve", "hypervisor", ""), node("app", "container", "pve"), node("nas", "nas", "")}}
	probe, err := live.NewProbe(live.Source{Name: "probes", Type: "probe", Timeout: 2 * time.Second}, l)
	if err != nil {
		t.Fatal(err)
	}

	ntfy := notifytest.Ntfy(t, "lab", "tk_e2e")
	hook := notifytest.Webhook(t, nil)
	disc := notifytest.Discord(t, "1", "t")
	slk := notifytest.Slack(t, "/services/A/B/C")
	cfgs, probs := parse(t, `notify:
  - {name: phone, type: ntfy, url: `+ntfy.URL+`/lab, token_env: NTFY}
  - {name: hook, type: webhook, url: `+hook.URL+`/x}
  - {name: chat, type: discord, url: `+disc.URL+`/api/webhooks/1/t}
  - {name: team, type: slack, url: `+slk.URL+`/services/A/B/C}
  - {name: mail, type: smtp, host: 127.0.0.1, port: `+strconv.Itoa(mp.SMTPPort)+`, from: lab@example.org, to: [me@example.org],
     username: `+mp.User+`, password_env: SMTP, ca_file: `+mp.CAFile+`}
`, map[string]string{"NTFY": "tk_e2e", "SMTP": mp.Password}, map[string]string{mp.CAFile: readFile(t, mp.CAFile)})
	if probs != nil {
		t.Fatal(probs)
	}
	log := notify.NewLog(filepath.Join(t.TempDir(), "deliveries.jsonl"), 100)
	d := dispatcher(t, cfgs, log, notify.DispatcherOptions{})

	ctx := context.Background()
	store, err := history.Open(ctx, filepath.Join(t.TempDir(), "history.db"), history.Options{CompactEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	topo := incident.NewTopology(l, "")
	tracker := incident.NewTracker(incident.Config{Thresholds: incident.Thresholds{OpenAfter: 2 * time.Minute, ResolveAfter: time.Minute}}, topo, nil)

	// The poll loop, on a simulated clock (30 s a poll), with real probes.
	// Whole seconds: the store keeps milliseconds.
	now := time.Now().Truncate(time.Second).Add(time.Second) // after the run began
	var events []incident.Event
	poll := func(n int) {
		for range n {
			res, err := probe.Collect(ctx)
			if err != nil {
				t.Fatal(err)
			}
			states := map[string]history.State{}
			for id, nd := range res.Nodes {
				states[id] = history.State(nd.Status)
				if err := store.Change(id, now, states[id], nd.Detail); err != nil {
					t.Fatal(err)
				}
			}
			for _, ev := range tracker.Observe(now, states) {
				events = append(events, ev)
				for _, rec := range d.Dispatch(ctx, notify.FromEvent(ev, "https://lab.example/status/")) {
					if !rec.OK {
						t.Errorf("delivery %+v", rec)
					}
				}
			}
			now = now.Add(30 * time.Second)
		}
	}
	poll(3)
	down.Store(true)
	poll(8) // four minutes down: past open_after
	down.Store(false)
	poll(4) // two minutes up: past resolve_after

	if len(events) != 2 || events[0].Kind != incident.Opened || events[1].Kind != incident.ResolvedEvt {
		t.Fatalf("events: %+v", events)
	}
	for _, ev := range events {
		if ev.Incident.Cause != "pve" || strings.Join(ev.Incident.Systems, ",") != "pve,app" {
			t.Errorf("%s: cause %s, systems %v", ev.Kind, ev.Incident.Cause, ev.Incident.Systems)
		}
	}
	for name, rv := range map[string]*notifytest.Receiver{"ntfy": ntfy, "webhook": hook, "discord": disc, "slack": slk} {
		reqs := rv.Requests()
		if len(reqs) != 2 {
			t.Errorf("%s got %d requests, want 2", name, len(reqs))
			continue
		}
		for i, want := range []string{"Incident: pve is down", "Resolved: pve is down"} {
			if name == "webhook" {
				want = []string{`"event":"opened"`, `"event":"resolved"`}[i]
			}
			if body := string(reqs[i].Body) + reqs[i].Header.Get("Title"); !strings.Contains(body, want) {
				t.Errorf("%s request %d is not %q:\n%s", name, i, want, body)
			}
		}
	}
	mails := mp.Messages(t)
	if len(mails) != 2 {
		t.Fatalf("mailpit holds %d messages, want 2: %+v", len(mails), mails)
	}
	for i, want := range []string{"Incident: pve is down (1 more affected)", "Resolved: pve is down (1 more affected)"} {
		if mails[i].Subject != want || len(mails[i].To) != 1 || mails[i].To[0] != "me@example.org" {
			t.Errorf("mail %d: %q to %v, want %q", i, mails[i].Subject, mails[i].To, want)
		}
	}
	if !strings.Contains(mails[0].Text, "app is unreachable because pve is down.") {
		t.Errorf("mail text:\n%s", mails[0].Text)
	}
	if n := len(log.Recent()); n != 10 {
		t.Errorf("%d delivery records, want 10 (5 notifiers, 2 events)", n)
	}
	if err := store.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	reps, err := store.Report(ctx, []string{"app", "nas"}, history.Overlay{Parent: topo.Parent}, now, 1)
	if err != nil {
		t.Fatal(err)
	}
	if sp := reps[0].Windows[0]; sp.Down != 4*time.Minute || sp.Up != 90*time.Second+2*time.Minute {
		t.Errorf("app's 24 h: %+v", sp)
	}
	if sp := reps[1].Windows[0]; sp.Down != 0 || sp.Up != 15*30*time.Second {
		t.Errorf("nas's 24 h: %+v", sp)
	}
}
