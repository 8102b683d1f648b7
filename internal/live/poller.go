package live

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// maxBackoff caps the wait between attempts at a failing source.
const maxBackoff = 5 * time.Minute

// Poller runs every collector on its own interval, at most Concurrency
// collections at a time, and records the outcomes in the store. A failing
// source is retried with exponential backoff so an unreachable homelab is
// not hammered.
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
	for {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		err := p.Once(ctx, src, c)
		<-sem
		if ctx.Err() != nil {
			return
		}
		wait := src.Interval
		if err != nil {
			failures++
			wait = backoff(src.Interval, failures)
			p.Log.Warn("source failing", "source", src.Name, "type", src.Type, "attempt", failures, "retry_in", wait, "err", err)
		} else {
			failures = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// backoff doubles the wait after each failure, from the interval up to
// maxBackoff (but never below the interval).
func backoff(interval time.Duration, failures int) time.Duration {
	d := interval
	for i := 1; i < failures && d < maxBackoff; i++ {
		d *= 2
	}
	return max(interval, min(d, maxBackoff))
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
