package cfapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/cloudflare/cloudflare-go/v6"
)

// Retry is how every Cloudflare call is made: each attempt with its own
// deadline, failures that may pass (no answer, a timeout, 408, 429, 5xx)
// tried again after a jittered exponential backoff or the wait the API
// asks for in Retry-After, and never past the caller's deadline.
//
// cloudflare-go's own retries cannot do this: an attempt that times out
// ends its loop at once (it returns the attempt's context error), so a
// hung request was never retried, and it cannot fetch a new upload token
// between tries. Clients made here turn them off.
type Retry struct {
	Attempts       int           // tries per call, the first included [5]
	Base           time.Duration // first backoff, doubled per retry [1s]
	Max            time.Duration // backoff cap [30s]
	AttemptTimeout time.Duration // one attempt's limit [30s]
	// Jitter spreads a backoff d over [d/2, d] so that clients failed by
	// the same outage do not come back in step; nil is random.
	Jitter func(d time.Duration) time.Duration
	Log    *slog.Logger
}

func (p *Retry) attempts() int { return Positive(p.Attempts, DefaultAttempts) }

// AttemptLimit is one attempt's deadline.
func (p *Retry) AttemptLimit() time.Duration { return Positive(p.AttemptTimeout, 30*time.Second) }

// DefaultAttempts is how many tries a call gets when Attempts is zero.
const DefaultAttempts = 5

// Positive is v, or def when v is not above zero: how every knob here
// reads its zero value as "the default".
func Positive[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// Pause is what comes between a failed attempt (0-based) and the next,
// for a caller that runs its own loop (a create that must look before
// it tries again): see pause.
func (p *Retry) Pause(ctx context.Context, what string, attempt int, err error) error {
	return p.pause(ctx, what, attempt, err)
}

// GaveUp is a call that failed in a way that might have passed, tried
// until the attempts or the time ran out.
type GaveUp struct {
	What, Why string
	Last      error
}

func (e *GaveUp) Error() string {
	last := e.Last.Error()
	if ae, ok := AsAPIError(e.Last); ok {
		last = fmt.Sprintf("HTTP %d: %s", ae.Status, ae.Detail)
	}
	return fmt.Sprintf("%s: %s; the last try: %s", e.What, e.Why, last)
}

func (e *GaveUp) Unwrap() error { return e.Last }

// Again marks an error a call knows is worth another try (a refused
// upload token it has just replaced).
type Again struct{ Err error }

func (e Again) Error() string { return e.Err.Error() }
func (e Again) Unwrap() error { return e.Err }

// NoAnswer is an attempt that ran out of time.
type NoAnswer struct {
	After time.Duration
	Err   error
}

func (e NoAnswer) Error() string {
	return fmt.Sprintf("no answer within %s", e.After)
}
func (e NoAnswer) Unwrap() error { return e.Err }

// Do runs call until it succeeds, at most Attempts times. call gets a
// context that ends with its attempt. An error retrying cannot fix comes
// back as it is, for the caller to explain; giving up after the last
// attempt, or because the next one would start past ctx's deadline, says
// so with what and the last error.
func (p *Retry) Do(ctx context.Context, what string, call func(ctx context.Context) error) error {
	for attempt := 0; ; attempt++ {
		limit := p.AttemptLimit()
		actx, cancel := context.WithTimeout(ctx, limit)
		err := call(actx)
		timedOut := actx.Err() != nil && ctx.Err() == nil
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, context.Cause(ctx))
		}
		if timedOut {
			err = NoAnswer{After: limit, Err: err}
		}
		if !timedOut && !Retryable(err) {
			return err
		}
		if err := p.pause(ctx, what, attempt, err); err != nil {
			return err
		}
	}
}

// pause is what comes between a failed attempt (0-based) and the next:
// an error to end with when the attempts are spent or the wait would
// pass ctx's deadline, else the backoff waited out (nil).
func (p *Retry) pause(ctx context.Context, what string, attempt int, err error) error {
	if attempt+1 >= p.attempts() {
		return &GaveUp{What: what, Why: fmt.Sprintf("giving up after %d attempts", p.attempts()), Last: err}
	}
	wait := p.backoff(attempt, err)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		return &GaveUp{What: what, Why: fmt.Sprintf("the next try, in %s, would be past the deadline", wait.Round(time.Millisecond)), Last: err}
	}
	p.logger().Warn("request failed, retrying", "step", what, "attempt", attempt+1, "wait", wait, "error", err)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("%s: %w (while waiting to retry after: %v)", what, context.Cause(ctx), err)
	case <-t.C:
		return nil
	}
}

func (p *Retry) logger() *slog.Logger {
	if p.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Log
}

// backoff is the wait before retry n (0-based) after err: what the API
// asked for in Retry-After when it did (no less; the backoff cap does not
// shorten it, the caller's deadline may refuse it), else Base·2ⁿ capped
// at Max and jittered.
func (p *Retry) backoff(n int, err error) time.Duration {
	if d, ok := retryAfter(err); ok {
		return d
	}
	d := Positive(p.Base, time.Second) << min(n, 20)
	d = min(d, Positive(p.Max, 30*time.Second))
	if p.Jitter != nil {
		return p.Jitter(d)
	}
	return d/2 + rand.N(d/2+1)
}

// retryAfter reads an API error's Retry-After: seconds, or an HTTP date.
func retryAfter(err error) (time.Duration, bool) {
	ae := sdkError(err)
	if ae == nil || ae.Response == nil {
		return 0, false
	}
	v := ae.Response.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, perr := strconv.Atoi(v); perr == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, perr := http.ParseTime(v); perr == nil {
		return max(0, time.Until(t)), true
	}
	return 0, false
}

// Retryable reports whether err may pass if the call is made again:
// no answer at all (the connection failed or was reset), a timeout, a
// rate limit or a server error. A cancelled caller is not.
func Retryable(err error) bool {
	var again Again
	var none NoAnswer
	switch {
	case errors.As(err, &again), errors.As(err, &none):
		return true
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	}
	ae := sdkError(err)
	if ae == nil {
		return true // no answer at all: the connection failed
	}
	s := ae.StatusCode
	return s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500
}

// Ambiguous reports whether a failed call may still have been carried
// out: the request may have arrived even though no answer did, or the
// server failed after acting on it.
func Ambiguous(err error) bool {
	var none NoAnswer
	if errors.As(err, &none) {
		return true
	}
	ae := sdkError(err)
	return ae == nil || ae.StatusCode >= 500
}

func sdkError(err error) *cloudflare.Error {
	var ae *cloudflare.Error
	if errors.As(err, &ae) {
		return ae
	}
	return nil
}
