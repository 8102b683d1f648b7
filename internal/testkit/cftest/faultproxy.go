package cftest

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Faults are the chances (0–1) that a request through a FaultProxy meets
// each fault; what is left passes untouched. They are drawn in the order
// listed, one draw per request.
type Faults struct {
	Unavailable float64 // answered 503 by the proxy, never reaching the API
	Hang        float64 // held without an answer until the client gives up
	Reset       float64 // the connection reset before the request is sent on
	LoseAnswer  float64 // sent on and carried out, then the connection reset
	Delay       float64 // sent on after DelayFor
	SlowAnswer  float64 // sent on and carried out, answered after DelayFor
	DelayFor    time.Duration
	// RetryAfter, when set, is the Retry-After header of the 503s.
	RetryAfter string
	// Only limits the faults to the requests it accepts (nil: all).
	Only func(r *http.Request) bool
	// Max, when above zero, is how many faults are injected in all; the
	// requests after those pass.
	Max int
}

// Fault kinds, as FaultProxy.Count names them.
const (
	FaultNone        = "none"
	FaultUnavailable = "unavailable"
	FaultHang        = "hang"
	FaultReset       = "reset"
	FaultLoseAnswer  = "lose-answer"
	FaultDelay       = "delay"
	FaultSlowAnswer  = "slow-answer"
)

// FaultProxy is a loopback HTTP proxy in front of a Server that injects
// the failures a flaky network and a struggling API produce: 503s, hung
// requests, connection resets before and after the request is carried
// out, and delays. The draws come from a seeded generator, so a failing
// seed can be run again (the order of concurrent requests still varies).
type FaultProxy struct {
	URL string // the proxy's base URL; APIBase is URL + "/client/v4/"
	// APIBase is the value for cloudflare-go's base URL through the proxy.
	APIBase string

	srv    *httptest.Server
	target *httputil.ReverseProxy
	faults Faults
	done   chan struct{}

	mu     sync.Mutex
	rnd    *rand.Rand
	counts map[string]int
}

// NewFaultProxy starts a proxy in front of s, closed when t ends.
func NewFaultProxy(t testing.TB, s *Server, seed uint64, f Faults) *FaultProxy {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{
		target: httputil.NewSingleHostReverseProxy(u),
		faults: f,
		done:   make(chan struct{}),
		rnd:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		counts: map[string]int{},
	}
	// A client that went away mid-request is the point here, not news.
	p.target.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) {
		http.Error(w, fmt.Sprintf("cftest proxy: %v", err), http.StatusBadGateway)
	}
	p.srv = httptest.NewServer(p)
	p.URL = p.srv.URL
	p.APIBase = p.URL + "/client/v4/"
	t.Cleanup(p.Close)
	return p
}

// Close releases hung requests and stops the proxy.
func (p *FaultProxy) Close() {
	select {
	case <-p.done:
	default:
		close(p.done)
	}
	p.srv.CloseClientConnections()
	p.srv.Close()
}

// Count is how many requests met fault kind.
func (p *FaultProxy) Count(kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[kind]
}

func (p *FaultProxy) draw(r *http.Request) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	kind := FaultNone
	injected := 0
	for k, n := range p.counts {
		if k != FaultNone {
			injected += n
		}
	}
	if (p.faults.Only == nil || p.faults.Only(r)) && (p.faults.Max <= 0 || injected < p.faults.Max) {
		x := p.rnd.Float64()
		for _, c := range []struct {
			kind   string
			chance float64
		}{
			{FaultUnavailable, p.faults.Unavailable}, {FaultHang, p.faults.Hang}, {FaultReset, p.faults.Reset},
			{FaultLoseAnswer, p.faults.LoseAnswer}, {FaultDelay, p.faults.Delay}, {FaultSlowAnswer, p.faults.SlowAnswer},
		} {
			if x < c.chance {
				kind = c.kind
				break
			}
			x -= c.chance
		}
	}
	p.counts[kind]++
	return kind
}

func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p.draw(r) {
	case FaultUnavailable:
		if p.faults.RetryAfter != "" {
			w.Header().Set("Retry-After", p.faults.RetryAfter)
		}
		// What Cloudflare's edge sends when the API behind it is down: a
		// page, not the API's JSON envelope.
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>\n") // a client that left is the case being tested
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-p.done:
		}
	case FaultReset:
		reset(w)
	case FaultLoseAnswer:
		rec := httptest.NewRecorder()
		p.target.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
		reset(w)
	case FaultDelay:
		t := time.NewTimer(p.faults.DelayFor)
		select {
		case <-t.C:
			p.target.ServeHTTP(w, r)
		case <-r.Context().Done():
			t.Stop()
		case <-p.done:
			t.Stop()
		}
	case FaultSlowAnswer:
		rec := httptest.NewRecorder()
		p.target.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
		t := time.NewTimer(p.faults.DelayFor)
		select {
		case <-t.C:
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes()) // a client that left is the case being tested
		case <-r.Context().Done():
			t.Stop()
		case <-p.done:
			t.Stop()
		}
	default:
		p.target.ServeHTTP(w, r)
	}
}

// reset ends the connection with a TCP reset and no answer. The reset
// is best effort: should SetLinger or Close fail, the client still gets
// no answer, which is the fault wanted.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): an aborted handler is the nearest.
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}
