package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labfront/labfront/internal/incident"
)

// Backoff is how failed deliveries are retried: Attempts tries in all,
// waiting First, then twice as long each time, at most Max (or what the
// receiver's Retry-After asks, also at most Max).
type Backoff struct {
	Attempts   int
	First, Max time.Duration
}

// DefaultBackoff: five tries over about half a minute.
var DefaultBackoff = Backoff{Attempts: 5, First: 2 * time.Second, Max: 30 * time.Second}

// Delivery is the record of one attempt to tell one notifier.
type Delivery struct {
	Notifier string    `json:"notifier"`
	Type     string    `json:"type"`
	Event    string    `json:"event"`
	Incident string    `json:"incident"`
	Attempt  int       `json:"attempt"`
	At       time.Time `json:"at"`
	OK       bool      `json:"ok"`
	// Error is why it failed, with every secret of the notifier removed.
	Error string `json:"error,omitempty"`
	// Final marks the last attempt of a message: delivered, refused for
	// good, or out of retries.
	Final bool `json:"final"`
}

// Recorder keeps delivery records (the admin shows them).
type Recorder interface {
	Record(Delivery) error
}

// Dispatcher sends each message to every notifier that wants it, in
// parallel, retrying each on its own.
type Dispatcher struct {
	targets []target
	rec     Recorder
	log     *slog.Logger
	backoff Backoff
	now     func() time.Time
	timeout time.Duration
	publish func(incident.Incident) incident.Incident
}

type target struct {
	cfg     Config
	send    Sender
	secrets []string
}

// DispatcherOptions tune a Dispatcher; zero values are defaults.
type DispatcherOptions struct {
	Client  *http.Client
	Backoff Backoff
	// Timeout bounds one attempt (default 15 s).
	Timeout time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
	// Publish makes the public copy of an incident (incident.Publish
	// with the lab's public ids) for notifiers with public: true; a
	// public notifier is refused without it.
	Publish func(incident.Incident) incident.Incident
}

// NewDispatcher builds the senders of the configured notifiers.
func NewDispatcher(ks Kinds, cfgs []Config, rec Recorder, opt DispatcherOptions) (*Dispatcher, error) {
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 20 * time.Second}
	}
	if opt.Backoff.Attempts == 0 {
		opt.Backoff = DefaultBackoff
	}
	if opt.Timeout == 0 {
		opt.Timeout = 15 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{rec: rec, log: opt.Logger, backoff: opt.Backoff, now: opt.Now, timeout: opt.Timeout, publish: opt.Publish}
	for _, c := range cfgs {
		if c.Public && opt.Publish == nil {
			return nil, fmt.Errorf("notifier %q: public: true needs the lab's public names (DispatcherOptions.Publish)", c.Name)
		}
		s, err := ks.New(c, opt.Client)
		if err != nil {
			return nil, err
		}
		d.targets = append(d.targets, target{cfg: c, send: s, secrets: c.secrets()})
	}
	return d, nil
}

// Dispatch delivers m to every notifier that wants it and returns when
// each has succeeded or given up, with each one's final record.
func (d *Dispatcher) Dispatch(ctx context.Context, m Message) []Delivery {
	var wg sync.WaitGroup
	out := make([]Delivery, len(d.targets))
	sent := make([]bool, len(d.targets))
	for i, t := range d.targets {
		if !t.cfg.Wants(m) {
			continue
		}
		sent[i] = true
		tm := m
		if t.cfg.Public {
			tm.Incident = d.publish(m.Incident)
		}
		wg.Go(func() { out[i] = d.deliver(ctx, t, tm) })
	}
	wg.Wait()
	var final []Delivery
	for i, ok := range sent {
		if ok {
			final = append(final, out[i])
		}
	}
	return final
}

// Test sends the admin's test message to one notifier, once, no retries.
func (d *Dispatcher) Test(ctx context.Context, name, statusURL string) (Delivery, error) {
	for _, t := range d.targets {
		if t.cfg.Name == name {
			return d.attempt(ctx, t, TestMessage(d.now(), statusURL), 1, true), nil
		}
	}
	return Delivery{}, fmt.Errorf("no notifier %q", name)
}

func (d *Dispatcher) deliver(ctx context.Context, t target, m Message) Delivery {
	wait := d.backoff.First
	for n := 1; ; n++ {
		last := n >= d.backoff.Attempts
		rec, err := d.try(ctx, t, m, n)
		var se *StatusError
		permanent := errors.As(err, &se) && se.Permanent()
		if err == nil || last || permanent || ctx.Err() != nil {
			rec.Final = true
			d.record(rec)
			return rec
		}
		d.record(rec)
		pause := wait
		if se != nil && se.RetryAfter > 0 {
			pause = se.RetryAfter
		}
		pause = min(pause, d.backoff.Max)
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
		case <-timer.C:
		}
		wait = min(2*wait, d.backoff.Max)
	}
}

func (d *Dispatcher) attempt(ctx context.Context, t target, m Message, n int, final bool) Delivery {
	rec, _ := d.try(ctx, t, m, n)
	rec.Final = final
	d.record(rec)
	return rec
}

// try makes one attempt; the record's error is redacted.
func (d *Dispatcher) try(ctx context.Context, t target, m Message, n int) (Delivery, error) {
	actx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	err := t.send.Send(actx, m)
	rec := Delivery{Notifier: t.cfg.Name, Type: t.cfg.Type, Event: m.Event, Incident: m.Incident.ID, Attempt: n, At: d.now(), OK: err == nil}
	if err != nil {
		rec.Error = redact(err.Error(), t.secrets)
	}
	return rec, err
}

func (d *Dispatcher) record(rec Delivery) {
	if rec.OK {
		d.log.Info("notification delivered", "notifier", rec.Notifier, "event", rec.Event, "incident", rec.Incident, "attempt", rec.Attempt)
	} else {
		d.log.Warn("notification failed", "notifier", rec.Notifier, "event", rec.Event, "incident", rec.Incident, "attempt", rec.Attempt, "final", rec.Final, "err", rec.Error)
	}
	if d.rec == nil {
		return
	}
	if err := d.rec.Record(rec); err != nil {
		d.log.Error("delivery record not kept", "notifier", rec.Notifier, "err", err)
	}
}

// redact removes every secret from s, longest first, so a secret inside
// another does not leave the rest of the longer one behind.
func redact(s string, secrets []string) string {
	sorted := slices.Clone(secrets)
	slices.SortFunc(sorted, func(a, b string) int { return len(b) - len(a) })
	for _, sec := range sorted {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return s
}
