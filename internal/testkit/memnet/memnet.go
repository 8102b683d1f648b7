// Package memnet is an in-memory network for tests that run in a
// testing/synctest bubble. A goroutine waiting on a real socket is not
// durably blocked, so the bubble's fake clock would never move while a
// client waits for a hung server; connections made of net.Pipe wait on
// channels, which are, so timeouts and deadlines fire at exact fake times.
//
// Everything must be created inside the bubble that uses it, and closed
// before the bubble ends (Server registers that with t.Cleanup).
package memnet

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
)

// Listener accepts the connections its Dial makes.
type Listener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

var _ net.Listener = (*Listener)(nil)

// Listen makes a listener with no address on any real network.
func Listen() *Listener {
	return &Listener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

// Accept waits for the next Dial.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close stops Accept and makes later dials fail.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

// Addr is a placeholder: the network has no addresses.
func (l *Listener) Addr() net.Addr { return addr{} }

// ErrRefused is what Dial returns once the listener is closed, as a
// connection refused would be.
var ErrRefused = errors.New("memnet: connection refused")

// Dial connects to the listener whatever address is asked for, so it can
// stand in for an http.Transport's DialContext.
func (l *Listener) Dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
	client.Close()
	server.Close()
	return nil, ErrRefused
}

type addr struct{}

func (addr) Network() string { return "memnet" }
func (addr) String() string  { return "memnet" }

// Server is an HTTP server on a Listener.
type Server struct {
	// URL is the base URL to ask it for; its host means nothing.
	URL      string
	listener *Listener
	srv      *http.Server
	done     chan struct{}
	once     sync.Once
}

// NewServer serves h until the test ends. Call it inside the bubble.
func NewServer(t testing.TB, h http.Handler) *Server {
	t.Helper()
	s := &Server{URL: "http://memnet.test", listener: Listen(), srv: &http.Server{Handler: h}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(s.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("memnet server: %v", err)
		}
	}()
	t.Cleanup(s.Close)
	return s
}

// Client is an HTTP client whose every connection goes to the server; it
// keeps no idle connection, so nothing outlives a request.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: s.listener.Dial, DisableKeepAlives: true}}
}

// Close closes the server and its open connections (unblocking handlers
// that wait for the request's context) and waits for it to stop.
func (s *Server) Close() {
	s.once.Do(func() {
		// Close, not Shutdown: a handler hung on purpose must be cut off.
		_ = s.srv.Close() // its only error is the listener's, which is nil
		<-s.done
	})
}
