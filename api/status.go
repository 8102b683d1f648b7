package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/history"
	"github.com/labfront/labfront/internal/incident"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/notify"
	"github.com/labfront/labfront/internal/snapshot"
)

// historyFile, incidentsDir and deliveriesFile are the status history's
// state under state_dir.
const (
	historyFile    = "history.db"
	incidentsDir   = "incidents"
	deliveriesFile = "deliveries.jsonl"
)

// keepDeliveries is how many delivery records the admin page shows.
const keepDeliveries = 500

// errNotRecording is what history queries answer while the store is
// closed (before the poller starts, after it stops).
var errNotRecording = errors.New("the status history is not open: the server is not polling")

// statusWatch records what the poller sees into the history store, turns
// it into incidents and tells the notifiers. It exists only when the
// config asks for it (adminconfig.StatusConfig.On); the store is open while the
// server polls (open, close), so its lifecycle is the server's.
type statusWatch struct {
	cfg        adminconfig.StatusConfig
	lab        *lab.Lab
	topo       *incident.Topology
	overlay    history.Overlay
	files      incident.Files
	deliveries *notify.Log
	dispatcher *notify.Dispatcher
	dbPath     string
	statusURL  string
	log        *slog.Logger
	now        func() time.Time

	// mu guards everything below: the poller records while handlers read
	// and the operator's updates change incidents.
	mu      sync.Mutex
	store   *history.Store
	tracker *incident.Tracker
	// sampled is, per source, the fetch whose latencies are recorded:
	// every store update sees every source, but a fetch is sampled once.
	sampled map[string]time.Time

	// history is the snapshot's history as last computed, at historyAt.
	history   *snapshot.History
	historyAt time.Time

	sends   chan notify.Message
	sending sync.WaitGroup
	stop    context.CancelFunc
}

// newStatusWatch prepares the watch; nothing is opened yet. publicDir is
// where public incident copies go ("" for none).
func newStatusWatch(cfg adminconfig.StatusConfig, l *lab.Lab, stateDir, publicDir, statusURL string, log *slog.Logger, now func() time.Time) (*statusWatch, error) {
	topo := incident.NewTopology(l, cfg.Incidents.Observer)
	w := &statusWatch{
		cfg: cfg, lab: l, topo: topo, dbPath: filepath.Join(stateDir, historyFile), statusURL: statusURL, log: log, now: now,
		overlay:    history.Overlay{Parent: topo.Parent, Windows: cfg.Maintenance.For},
		deliveries: notify.NewLog(filepath.Join(stateDir, deliveriesFile), keepDeliveries),
	}
	w.files = incident.Files{Dir: filepath.Join(stateDir, incidentsDir), PublicDir: publicDir, Pub: w.pub}
	d, err := notify.NewDispatcher(notify.Builtin(), cfg.Notify, w.deliveries, notify.DispatcherOptions{
		Logger: log, Now: now, Publish: func(inc incident.Incident) incident.Incident { return incident.Publish(inc, w.pub) },
	})
	if err != nil {
		return nil, err
	}
	w.dispatcher = d
	return w, nil
}

// pub is a node's public id and shown name, both "" for a hidden node.
func (w *statusWatch) pub(id string) (string, string) {
	pid := w.topo.PublicID(id)
	if pid == "" {
		return "", ""
	}
	n := w.lab.Node(id)
	if n == nil {
		return "", ""
	}
	return pid, n.DisplayName()
}

// open opens the history store and resumes the open incidents from their
// files, so a restart neither loses nor reopens anything.
func (w *statusWatch) open(ctx context.Context) error {
	if err := os.MkdirAll(w.files.Dir, 0o700); err != nil {
		return fmt.Errorf("status history: %w", err)
	}
	saved, err := w.files.Load()
	if err != nil {
		return fmt.Errorf("status history: %w", err)
	}
	store, err := history.Open(ctx, w.dbPath, history.Options{
		Config: w.cfg.History, Now: w.now, Logger: w.log,
		Overlay: func() history.Overlay { return w.overlay },
	})
	if err != nil {
		return err
	}
	tracker := incident.NewTracker(w.cfg.Incidents, w.topo, w.cfg.Maintenance.InMaintenance)
	tracker.Restore(saved)
	sendCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	w.mu.Lock()
	w.store, w.tracker, w.sampled, w.stop = store, tracker, map[string]time.Time{}, stop
	w.sends = make(chan notify.Message, 64)
	w.mu.Unlock()
	w.sending.Go(func() { w.send(sendCtx) })
	return nil
}

// close commits what is queued, closes the store and lets the notifier
// queue drain for a short while.
func (w *statusWatch) close() error {
	w.mu.Lock()
	store, sends, stop := w.store, w.sends, w.stop
	w.store, w.tracker, w.sends = nil, nil, nil
	w.mu.Unlock()
	if store == nil {
		return nil
	}
	close(sends)
	drained := make(chan struct{})
	go func() { w.sending.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(10 * time.Second):
		stop() // retries give up; the records say so
		<-drained
	}
	stop()
	return store.Close()
}

// send delivers queued messages one at a time, in order, each with its
// retries, so a slow receiver delays the next message but never the
// poller.
func (w *statusWatch) send(ctx context.Context) {
	for m := range w.sends {
		// Every attempt is logged and recorded by the dispatcher.
		w.dispatcher.Dispatch(ctx, m)
	}
}

// queue hands a message to the sender; the caller holds mu. A full queue
// drops it, logged (and the incident files still have it): the poller
// must never wait on a receiver.
func (w *statusWatch) queue(m notify.Message) {
	select {
	case w.sends <- m:
	default:
		w.log.Warn("notification queue full: message dropped", "event", m.Event, "incident", m.Incident.ID)
	}
}

// record takes the sources as the store has them after a collection:
// every node's and source's state (the store keeps changes only), the
// latencies of fresh fetches, and what that does to incidents.
func (w *statusWatch) record(sources []live.SourceState) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.store == nil {
		return
	}
	now := w.now()
	states, details := nodeStates(w.lab, sources, w.topo)
	for id, st := range states {
		if err := w.store.Change(id, now, st, details[id]); err != nil {
			w.log.Debug("history", "err", err)
		}
	}
	for _, src := range sources {
		st, detail := sourceState(src)
		if err := w.store.Change(history.SourceSubject(src.Name), now, st, detail); err != nil {
			w.log.Debug("history", "err", err)
		}
		if src.Last == nil || src.LastError != "" || !src.FetchedAt.After(w.sampled[src.Name]) {
			continue
		}
		w.sampled[src.Name] = src.FetchedAt
		for id, nd := range src.Last.Nodes {
			if nd.LatencyMS != nil && nd.Status == live.Up && w.lab.Node(id) != nil {
				if err := w.store.Sample(id, src.FetchedAt, time.Duration(*nd.LatencyMS*float64(time.Millisecond))); err != nil {
					w.log.Debug("history", "err", err)
				}
			}
		}
	}
	for _, ev := range w.tracker.Observe(now, states) {
		w.event(ev)
	}
}

// event saves an incident's files and queues its notification; the
// caller holds mu.
func (w *statusWatch) event(ev incident.Event) {
	if err := w.files.Save(ev.Incident); err != nil {
		w.log.Error("save incident", "incident", ev.Incident.ID, "err", err)
	}
	w.log.Info("incident "+string(ev.Kind), "incident", ev.Incident.ID, "cause", ev.Incident.Cause, "systems", len(ev.Incident.Systems))
	w.queue(notify.FromEvent(ev, w.statusURL))
	// The status page must tell at once: the next snapshot computes the
	// history again instead of waiting out historyEvery.
	w.history = nil
}

// nodeStates is each observed node's state for the history: what the
// sources merge to, unknown when every source that knows the node is
// failing (its last word is old news, not evidence), and for a node that
// is down because another is, that as its detail. Nodes no source knows
// are left out: their record stays a gap.
func nodeStates(l *lab.Lab, sources []live.SourceState, topo *incident.Topology) (map[string]history.State, map[string]string) {
	states, details := map[string]history.State{}, map[string]string{}
	down := map[string]bool{}
	for id, v := range live.Nodes(l, sources) {
		if len(v.Reports) == 0 {
			continue
		}
		switch {
		case v.Stale:
			states[id] = history.Unknown
		case v.Status == live.Up:
			states[id] = history.Up
		case v.Status == live.Down:
			states[id] = history.Down
			down[id] = true
		default:
			states[id] = history.Unknown
		}
		details[id] = v.Data.Detail
	}
	for id, causes := range topo.Causes(down) {
		if len(causes) == 1 && causes[0] == id {
			continue
		}
		names := make([]string, len(causes))
		for i, c := range causes {
			names[i] = c
			if n := l.Node(c); n != nil {
				names[i] = n.Name
			}
		}
		details[id] = "unreachable because " + strings.Join(names, " and ") + " is down"
		if len(names) > 1 {
			details[id] = "unreachable because " + strings.Join(names, " and ") + " are down"
		}
	}
	return states, details
}

// sourceState is a source's own state: up while it answers, down while
// it fails, unknown before it ever answered or failed.
func sourceState(src live.SourceState) (history.State, string) {
	switch {
	case src.LastError != "":
		return history.Down, src.LastError
	case src.Last != nil:
		return history.Up, ""
	}
	return history.Unknown, ""
}

// historyEvery is how often the snapshot's history is computed again:
// the snapshot is written after every collection, the bars of a whole
// lab take a fraction of a second, and a day's bar moves slowly.
const historyEvery = time.Minute

// snapshotHistory is the history part of state_dir/snapshot.json (lab
// ids, the admin's records: the build and the public API keep only
// what is public), at most historyEvery old.
func (w *statusWatch) snapshotHistory(ctx context.Context) (*snapshot.History, error) {
	now := w.now()
	w.mu.Lock()
	store, cached, at := w.store, w.history, w.historyAt
	w.mu.Unlock()
	if store == nil {
		return cached, nil
	}
	if cached != nil && now.Sub(at) < historyEvery && !now.Before(at) {
		return cached, nil
	}
	ids := make([]string, 0, len(w.lab.Nodes))
	for _, n := range w.lab.Nodes {
		ids = append(ids, n.ID)
	}
	reps, err := store.Report(ctx, ids, w.overlay, now, historyDays)
	if err != nil {
		return cached, fmt.Errorf("history for the snapshot: %w", err)
	}
	h := &snapshot.History{Days: historyDays, Nodes: map[string]snapshot.NodeHistory{}}
	for _, rep := range reps {
		var nh snapshot.NodeHistory
		for i, sp := range rep.Windows {
			win := snapshot.Window{Name: history.Windows[i].Name}
			if r, ok := sp.Uptime(); ok {
				win.Uptime = &r
			}
			nh.Windows = append(nh.Windows, win)
		}
		for _, d := range rep.Days {
			nh.Days = append(nh.Days, snapshot.Day{Date: d.Date, Status: string(d.Status), Up: secs(d.Span.Up), Degraded: secs(d.Span.Degraded),
				Down: secs(d.Span.Down), Maintenance: secs(d.Span.Maintenance), Unknown: secs(d.Span.Unknown)})
		}
		h.Nodes[rep.System] = nh
	}
	incs, err := w.incidents()
	if err != nil {
		w.log.Warn("incident files for the snapshot", "err", err)
	}
	since := now.AddDate(0, 0, -historyDays)
	for _, inc := range incs {
		if inc.Open() || inc.Resolved.After(since) {
			h.Incidents = append(h.Incidents, snapshot.FromIncident(inc))
		}
	}
	for _, o := range w.cfg.Maintenance.Upcoming(now, maintenanceAhead) {
		h.Maintenance = append(h.Maintenance, snapshot.Maintenance{Systems: o.Window.Systems, From: o.From.UTC(), To: o.To.UTC(), Reason: o.Window.Reason})
	}
	w.mu.Lock()
	w.history, w.historyAt = h, now
	w.mu.Unlock()
	return h, nil
}

// maintenanceAhead is how far ahead the status page announces
// maintenance.
const maintenanceAhead = 14 * 24 * time.Hour

func secs(d time.Duration) int64 { return int64(d / time.Second) }
