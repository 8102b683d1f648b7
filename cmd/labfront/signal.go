package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// interrupted is the cause of the command's context once SIGINT or
// SIGTERM arrived. It is a context.Canceled, so code that only asks
// whether it was cancelled needs no change.
type interrupted struct{ sig syscall.Signal }

func (i interrupted) Error() string {
	return "interrupted by " + i.name()
}

func (i interrupted) Is(target error) bool { return target == context.Canceled }

func (i interrupted) name() string {
	switch i.sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return fmt.Sprintf("signal %d", int(i.sig))
}

// exitCode is the shell's convention for a process ended by a signal,
// 128 + its number: 130 for SIGINT (Ctrl-C), 143 for SIGTERM.
func (i interrupted) exitCode() int { return 128 + int(i.sig) }

// interruption reports the signal that cancelled ctx, if one did.
func interruption(ctx context.Context) (interrupted, bool) {
	var in interrupted
	ok := errors.As(context.Cause(ctx), &in)
	return in, ok
}

// signalContext returns a context cancelled, with interrupted as its
// cause, by the first SIGINT or SIGTERM. Every command gets it and stops
// at its next safe point (between articles, files, uploads) without
// leaving half a file. A second signal gets the default action and ends
// the process at once, for whoever does not want to wait.
func signalContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			sig, ok := s.(syscall.Signal)
			if !ok {
				sig = syscall.SIGINT
			}
			signal.Reset(os.Interrupt, syscall.SIGTERM)
			cancel(interrupted{sig: sig})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// readOnly runs f, a step that writes nothing (check, the load stage of a
// command), and returns as soon as ctx is done even if f has not: nothing
// can be left half-written, and the process is about to exit anyway.
func readOnly(ctx context.Context, f func() error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
