package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/testkit/memnet"
)

// probeLab has one node per target, with the target's key as node id.
func probeLab(targets map[string]string) *lab.Lab {
	l := &lab.Lab{}
	for id, probe := range targets {
		l.Nodes = append(l.Nodes, lab.Node{ID: id, Name: id, Live: lab.Live{"probe": {Value: probe}}})
	}
	l.Nodes = append(l.Nodes, lab.Node{ID: "unprobed", Name: "unprobed"})
	return l
}

func newTestProbe(t *testing.T, src Source, targets map[string]string) *Probe {
	t.Helper()
	p, err := NewProbe(src, probeLab(targets))
	if err != nil {
		t.Fatalf("NewProbe: %v", err)
	}
	return p
}

// probeServer is an httptest server on 127.0.0.1 closed with the test.
func probeServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// probeClosedPort is a 127.0.0.1 port nothing listens on.
func probeClosedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestProbeCollect(t *testing.T) {
	ok := probeServer(t, func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "ok")
	})
	broken := probeServer(t, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	var loopHits atomic.Int32
	loop := probeServer(t, func(w http.ResponseWriter, r *http.Request) {
		loopHits.Add(1)
		http.Redirect(w, r, "/again", http.StatusFound)
	})
	redirected := probeServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/login" {
			http.Redirect(w, r, "/login", http.StatusFound)
			return
		}
		fmt.Fprint(w, "login")
	})
	big := probeServer(t, func(w http.ResponseWriter, _ *http.Request) {
		chunk := strings.Repeat("x", 32<<10)
		for range 64 { // 2 MB, far past the 64 KB the probe reads
			if _, err := fmt.Fprint(w, chunk); err != nil {
				return // the probe hung up, as it should
			}
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ln.Close(); err != nil {
			t.Error(err)
		}
	})

	tests := []struct {
		node, target string
		status       string
		detail       string // prefix
		latency      bool
	}{
		{"ok", ok.URL, Up, "HTTP 200 in ", true},
		{"broken", broken.URL + "/health", Down, "HTTP 500 in ", true},
		{"redirected", redirected.URL, Up, "HTTP 200 in ", true},
		{"loop", loop.URL, Up, "HTTP 302 in ", true},
		{"big", big.URL, Up, "HTTP 200 in ", true},
		{"tcp-open", "tcp://" + ln.Addr().String(), Up, "TCP connect in ", true},
		{"tcp-closed", "tcp://" + probeClosedPort(t), Down, "connection refused", false},
		{"http-closed", "http://" + probeClosedPort(t), Down, "connection refused", false},
	}
	targets := map[string]string{}
	for _, tt := range tests {
		targets[tt.node] = tt.target
	}
	p := newTestProbe(t, Source{Name: "probe", Timeout: 5 * time.Second}, targets)

	res, err := p.Collect(t.Context())
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if len(res.Nodes) != len(tests) {
		t.Errorf("got %d nodes, want %d", len(res.Nodes), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.node, func(t *testing.T) {
			got := res.Nodes[tt.node]
			if got.Status != tt.status || !strings.HasPrefix(got.Detail, tt.detail) {
				t.Errorf("= {%s, %q}, want {%s, %q…}", got.Status, got.Detail, tt.status, tt.detail)
			}
			if (got.LatencyMS != nil) != tt.latency {
				t.Errorf("LatencyMS = %v, want set: %v", got.LatencyMS, tt.latency)
			}
			if got.LatencyMS != nil && !strings.HasSuffix(got.Detail, " ms") {
				t.Errorf("detail %q does not end in ms", got.Detail)
			}
		})
	}
	// The original request and three redirects, then the probe stops.
	if n := loopHits.Load(); n != 1+probeMaxRedirects {
		t.Errorf("redirect loop served %d requests, want %d", n, 1+probeMaxRedirects)
	}
}

// TestProbeTimeout: a target that never answers is down after exactly the
// probe's timeout, and the probes run at once: a collection of hung
// targets takes one timeout per wave of probeParallel, not one per target.
// It runs on the bubble's fake clock, over an in-memory network.
func TestProbeTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		hang := memnet.NewServer(t, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}))
		targets := map[string]string{}
		for i := range probeParallel + 1 {
			targets[fmt.Sprintf("n%d", i)] = fmt.Sprintf("%s/%d", hang.URL, i)
		}
		timeout := 300 * time.Millisecond
		p := newTestProbe(t, Source{Name: "probe", Timeout: timeout, HTTP: hang.Client()}, targets)
		start := time.Now()
		res, err := p.Collect(t.Context())
		if err != nil {
			t.Fatalf("Collect: %v", err)
		}
		if took := time.Since(start); took != 2*timeout {
			t.Errorf("Collect took %v for %d hung targets, %d at a time, with a %v timeout; want %v", took, len(targets), probeParallel, timeout, 2*timeout)
		}
		for id := range targets {
			if got := res.Nodes[id]; got.Status != Down || got.Detail != "timeout after 300ms" || got.LatencyMS != nil {
				t.Errorf("%s = {%s, %q, latency %v}, want {down, \"timeout after 300ms\", none}", id, got.Status, got.Detail, got.LatencyMS)
			}
		}
	})
}

func TestProbeTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	// The rejected handshake is the point of the first case, not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	for _, tt := range []struct {
		insecure bool
		status   string
		detail   string
	}{
		{false, Down, "tls: failed to verify certificate"},
		{true, Up, "HTTP 200 in "},
	} {
		t.Run(fmt.Sprintf("insecure=%v", tt.insecure), func(t *testing.T) {
			p := newTestProbe(t, Source{Name: "probe", Timeout: 2 * time.Second, Insecure: tt.insecure}, map[string]string{"svc": srv.URL})
			res, err := p.Collect(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Nodes["svc"]; got.Status != tt.status || !strings.HasPrefix(got.Detail, tt.detail) {
				t.Errorf("= {%s, %q}, want {%s, %q…}", got.Status, got.Detail, tt.status, tt.detail)
			}
		})
	}
}

// TestProbeBoundsConcurrency: at most probeParallel probes are in flight,
// and as many as that are whenever targets wait, so three waves of targets
// that each answer after 30 ms take exactly 90 ms of the bubble's clock.
func TestProbeBoundsConcurrency(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const answer = 30 * time.Millisecond
		var inFlight, peak atomic.Int32
		srv := memnet.NewServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(answer)
		}))
		targets := map[string]string{}
		for i := range 3 * probeParallel {
			targets[fmt.Sprintf("n%d", i)] = fmt.Sprintf("%s/%d", srv.URL, i)
		}
		p := newTestProbe(t, Source{Name: "probe", Timeout: 2 * time.Second, HTTP: srv.Client()}, targets)
		start := time.Now()
		res, err := p.Collect(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for id, nd := range res.Nodes {
			if nd.Status != Up || nd.Detail != "HTTP 200 in 30 ms" {
				t.Errorf("%s = %s %q, want up, HTTP 200 in 30 ms", id, nd.Status, nd.Detail)
			}
		}
		if got := peak.Load(); got != probeParallel {
			t.Errorf("%d probes in flight at once, want %d", got, probeParallel)
		}
		if took := time.Since(start); took != 3*answer {
			t.Errorf("Collect took %v, want %v (three waves)", took, 3*answer)
		}
	})
}

// hangingProbe is a probe of 2*probeParallel targets on an in-memory
// server that never answers. Call it inside a synctest bubble.
func hangingProbe(t *testing.T, timeout time.Duration) (*Probe, map[string]string) {
	t.Helper()
	hang := memnet.NewServer(t, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	targets := map[string]string{}
	for i := range 2 * probeParallel {
		targets[fmt.Sprintf("n%d", i)] = hang.URL
	}
	return newTestProbe(t, Source{Name: "probe", Timeout: timeout, HTTP: hang.Client()}, targets), targets
}

func TestProbeContext(t *testing.T) {
	t.Parallel()
	t.Run("already done", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			p, _ := hangingProbe(t, 0)
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if res, err := p.Collect(ctx); err == nil {
				t.Errorf("Collect = %+v, want an error", res)
			}
		})
	})

	t.Run("cancelled mid-way", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			p, _ := hangingProbe(t, 5*time.Second)
			ctx, cancel := context.WithCancel(t.Context())
			const after = 100 * time.Millisecond
			time.AfterFunc(after, cancel)
			start := time.Now()
			if res, err := p.Collect(ctx); !errors.Is(err, context.Canceled) {
				t.Errorf("Collect = %+v, %v, want context.Canceled", res, err)
			}
			if took := time.Since(start); took != after {
				t.Errorf("Collect returned %v after the start, want at the cancellation, %v", took, after)
			}
		})
	})

	// The poller's deadline equals the probe timeout: the first wave must
	// still read as timed out, the rest as not probed, within the deadline
	// (its probes time out probeDeadlineMargin before it).
	t.Run("collection deadline", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			timeout := 300 * time.Millisecond
			p, targets := hangingProbe(t, timeout)
			ctx, cancel := context.WithTimeout(t.Context(), timeout)
			defer cancel()
			start := time.Now()
			res, err := p.Collect(ctx)
			if err != nil {
				t.Fatalf("Collect: %v", err)
			}
			if took, want := time.Since(start), timeout-probeDeadlineMargin; took != want {
				t.Errorf("Collect took %v with a %v deadline, want %v", took, timeout, want)
			}
			count := map[string]int{}
			for id, nd := range res.Nodes {
				count[nd.Status]++
				switch {
				case nd.Status == Down && nd.Detail == "timeout after 250ms":
				case nd.Status == Unknown && strings.HasPrefix(nd.Detail, "not probed"):
				default:
					t.Errorf("%s = {%s, %q}", id, nd.Status, nd.Detail)
				}
			}
			if count[Down] != probeParallel || count[Unknown] != len(targets)-probeParallel {
				t.Errorf("statuses = %v, want %d down and %d unknown", count, probeParallel, len(targets)-probeParallel)
			}
		})
	})
}

func TestNewProbeRejectsBadTargets(t *testing.T) {
	for _, target := range []string{
		"ftp://nas.lan/",
		"tcp://nas.lan",
		"https://",
		"nas.lan:22",
		"http://[::1",
	} {
		t.Run(target, func(t *testing.T) {
			_, err := NewProbe(Source{Name: "probe"}, probeLab(map[string]string{"nas": target}))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), `node "nas"`) {
				t.Errorf("error %q does not name the node", err)
			}
		})
	}
}
