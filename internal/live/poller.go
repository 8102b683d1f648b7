package live

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// The wait between attempts at a failing source doubles from its interval
// up to backoffIntervals intervals, and never beyond maxBackoff (unless the
// interval itself is longer). The cap is small on purpose: a source that
// comes back is seen live at most one capped wait later, and the dashboard
// should say so within a minute or two, not after the five or more minutes
// an uncapped doubling reaches. Attempts are one connection at a time per
// source, so even the capped rate does not hammer a struggling homelab.
const (
	backoffIntervals = 4
	maxBackoff       = 2 * time.Minute
)

// Poller runs every collector on its own interval, at most Concurrency
// collections at a time, and records the outcomes in the store. A failing
// source is retried with a capped exponential backoff so an unreachable
// homelab is not hammered; any successful collection resets it.
type Poller struct {
	Store       *Store
	Sources     []Source
	Collectors  map[string]Collector // by source name
	Concurrency int
	Log         *slog.Logger
	// Observe, when set, is told the duration and outcome of every
	// collection (the admin server's /metrics).
	Observe func(source string, took time.Duration, err error)
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// Run polls until ctx is done and returns once every goroutine it started
// has stopped.
func (p *Poller) Run(ctx context.Context) {
	sem := make(chan struct{}, max(1, p.Concurrency))
	var wg sync.WaitGroup
	for _, src := range p.Sources {
		c, ok := p.Collectors[src.Name]
		if !ok {
			continue
		}
		wg.Go(func() { p.loop(ctx, src, c, sem) })
	}
	wg.Wait()
}

func (p *Poller) loop(ctx context.Context, src Source, c Collector, sem chan struct{}) {
	failures := 0
	var failingSince time.Time
	for {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		// The wait counts from the start of an attempt, not its end, so a
		// source that hangs until its timeout is still retried on the
		// schedule below, and recovery is seen within one capped wait.
		start := time.Now()
		err := p.Once(ctx, src, c)
		<-sem
		if ctx.Err() != nil {
			return
		}
		wait := src.Interval
		if err != nil {
			if failures == 0 {
				failingSince = start
			}
			failures++
			wait = backoff(src.Interval, failures)
			p.Log.Warn("source failing", "source", src.Name, "type", src.Type, "attempt", failures, "retry_in", wait, "err", err)
		} else if failures > 0 {
			p.Log.Info("source recovered", "source", src.Name, "type", src.Type, "attempts", failures+1, "down_for", start.Sub(failingSince).Round(time.Millisecond))
			failures = 0
		}
		// An attempt that took longer than the wait (a timeout above the
		// interval) is followed by the next one at once.
		t := time.NewTimer(max(0, time.Until(start.Add(wait))))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// backoffCap is the longest wait between attempts at a failing source:
// backoffIntervals intervals, at most maxBackoff, never below the interval.
func backoffCap(interval time.Duration) time.Duration {
	return max(interval, min(backoffIntervals*interval, maxBackoff))
}

// backoff is the wait after the given number of consecutive failures: the
// interval, doubled after each further failure, up to backoffCap.
func backoff(interval time.Duration, failures int) time.Duration {
	ceiling := backoffCap(interval)
	d := interval
	for i := 1; i < failures && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

// Once runs one collection with the source's timeout and records it.
func (p *Poller) Once(ctx context.Context, src Source, c Collector) error {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	cctx, cancel := context.WithTimeout(ctx, src.Timeout)
	defer cancel()
	start := time.Now()
	res, err := c.Collect(cctx)
	took := time.Since(start)
	if err == nil && res == nil {
		err = fmt.Errorf("%s returned no data", src.Name)
	}
	if p.Observe != nil {
		p.Observe(src.Name, took, err)
	}
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: not the source's fault
	}
	if rerr := p.Store.Record(src.Name, res, err, now()); rerr != nil {
		// The store's files log a failing write at most once a minute
		// and the dashboard shows it; a full disk fails every poll.
		p.Log.Debug("persist live state", "err", rerr)
	}
	return err
}
