package live

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"time"

	"github.com/labfront/labfront/internal/lab"
)

const (
	// probeDefaultTimeout bounds one target when the source sets none.
	probeDefaultTimeout = 5 * time.Second
	// probeParallel bounds how many targets are probed at once, so a large
	// lab does not open a burst of connections from the admin server.
	probeParallel = 8
	// probeMaxRedirects: a redirect loop must not keep a probe busy, and a
	// server that answers with redirects is up anyway.
	probeMaxRedirects = 3
	// probeMaxBody caps the body read of an HTTP probe; it is read only so
	// that the exchange completes, never kept.
	probeMaxBody = 64 << 10
	// probeDeadlineMargin is kept back from the collection's deadline so
	// that probes time out, and Collect returns, before it passes.
	probeDeadlineMargin = 50 * time.Millisecond
)

// Probe checks that the lab's nodes answer: an HTTP(S) GET or a TCP
// connect per node with a live.probe target. One target being down is
// data, not a failure of the source.
type Probe struct {
	http    *http.Client
	dialer  *net.Dialer
	timeout time.Duration
	targets []probeTarget
}

var _ Collector = (*Probe)(nil)

// probeTarget is a lab node and what to probe: a URL for http and https,
// host:port for tcp.
type probeTarget struct {
	node string
	tcp  bool
	addr string
}

const probeLiveKey = "probe"

// probeKind checks that the lab's nodes answer: HTTP(S) or a TCP connect.
func probeKind() Kind {
	return Kind{
		Name: "probe", Keys: []string{"insecure"}, LiveKey: probeLiveKey,
		CheckLive: func(v string) error { _, err := parseProbeTarget(v); return err },
		Configure: func(s Settings, src *Source) { src.Insecure = s.Fields.Bool("insecure") },
		New:       func(src Source, l *lab.Lab, _ func() time.Time) (Collector, error) { return NewProbe(src, l) },
	}
}

// NewProbe probes every node of l with a live.probe of the form
// "https://…", "http://…" or "tcp://host:port", each within src.Timeout
// (5 s when unset). src.HTTP, when set, is used for HTTP probes; otherwise
// the probes connect directly and afresh each time, and src.Insecure
// accepts self-signed certificates.
func NewProbe(src Source, l *lab.Lab) (*Probe, error) {
	p := &Probe{timeout: src.Timeout, dialer: &net.Dialer{}}
	if p.timeout <= 0 {
		p.timeout = probeDefaultTimeout
	}
	for _, n := range l.Nodes {
		target := n.Live.Get(probeLiveKey)
		if target == "" {
			continue
		}
		tg, err := parseProbeTarget(target)
		if err != nil {
			return nil, fmt.Errorf("probe source %q: node %q: live.probe: %w", src.Name, n.ID, err)
		}
		tg.node = n.ID
		p.targets = append(p.targets, tg)
	}

	hc := src.HTTP
	if hc == nil {
		hc = &http.Client{Transport: probeTransport(src.Insecure)}
	}
	c := *hc
	c.CheckRedirect = func(_ *http.Request, via []*http.Request) error {
		if len(via) > probeMaxRedirects {
			// Judge the probe on the redirect itself rather than failing it.
			return http.ErrUseLastResponse
		}
		return nil
	}
	p.http = &c
	return p, nil
}

func parseProbeTarget(raw string) (probeTarget, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return probeTarget{}, fmt.Errorf("parse %q: %w", raw, err)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return probeTarget{}, fmt.Errorf("%q has no host", raw)
		}
		return probeTarget{addr: u.String()}, nil
	case "tcp":
		if _, port, err := net.SplitHostPort(u.Host); err != nil || port == "" {
			return probeTarget{}, fmt.Errorf("%q must be tcp://host:port", raw)
		}
		return probeTarget{tcp: true, addr: u.Host}, nil
	default:
		return probeTarget{}, fmt.Errorf("%q must start with https://, http:// or tcp://", raw)
	}
}

// probeTransport connects directly, without a proxy from the environment,
// because the question is whether the admin server reaches the node. It
// keeps no idle connections, so every probe measures a full connect and
// nothing is held open to every node between polls.
func probeTransport(insecure bool) *http.Transport {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{}).DialContext,
		DisableKeepAlives:   true,
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: probeDefaultTimeout,
	}
	if insecure {
		// Homelab services commonly have self-signed certificates; the
		// operator opts in per source.
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // opt-in, see above
	}
	return tr
}

// Collect probes every target, at most probeParallel at a time. It fails
// only when ctx is done before it starts or is cancelled while it runs;
// when ctx's deadline passes mid-way, the targets that could not finish are
// Unknown and the rest is returned.
func (p *Probe) Collect(ctx context.Context) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	out := make([]NodeData, len(p.targets))
	sem := make(chan struct{}, probeParallel)
	var wg sync.WaitGroup
	for i, tg := range p.targets {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			out[i] = probeCutShort()
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i] = p.probe(ctx, tg)
		})
	}
	wg.Wait()
	if errors.Is(ctx.Err(), context.Canceled) {
		// The caller has gone away; a result made of interrupted probes
		// must not replace the last good one.
		return nil, fmt.Errorf("probe: %w", ctx.Err())
	}
	res := &Result{Nodes: make(map[string]NodeData, len(p.targets))}
	for i, tg := range p.targets {
		res.Nodes[tg.node] = out[i]
	}
	return res, nil
}

func (p *Probe) probe(ctx context.Context, tg probeTarget) NodeData {
	// The poller's deadline for the whole collection may be no longer than
	// one probe's timeout; the probe's own timer must fire first, or a hung
	// target would read as cut short instead of down.
	timeout := p.timeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl)-probeDeadlineMargin)
	}
	if timeout <= 0 {
		return probeCutShort()
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var nd NodeData
	if tg.tcp {
		nd = p.probeTCP(pctx, tg.addr, timeout)
	} else {
		nd = p.probeHTTP(pctx, tg.addr, timeout)
	}
	// A probe stopped by the collection's own deadline, not by its
	// timeout, says nothing about the target.
	if nd.Status == Down && ctx.Err() != nil {
		return probeCutShort()
	}
	return nd
}

func probeCutShort() NodeData {
	return NodeData{Status: Unknown, Detail: "not probed: collection deadline reached"}
}

func (p *Probe) probeHTTP(ctx context.Context, target string, timeout time.Duration) NodeData {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return NodeData{Status: Down, Detail: fmt.Sprintf("bad request: %v", err)}
	}
	req.Header.Set("User-Agent", "labfront-probe")
	start := time.Now()
	resp, err := p.http.Do(req)
	if err != nil {
		return NodeData{Status: Down, Detail: probeDescribe(err, timeout)}
	}
	took := time.Since(start)
	// Drain (a bounded part of) the body so the exchange completes and a
	// caller-supplied client can reuse the connection.
	_, readErr := io.Copy(io.Discard, io.LimitReader(resp.Body, probeMaxBody))
	closeErr := resp.Body.Close()

	nd := NodeData{Status: Down, LatencyMS: probeMS(took)}
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		nd.Status = Up
	}
	nd.Detail = fmt.Sprintf("HTTP %d in %s", resp.StatusCode, probeFmtMS(took))
	if err := errors.Join(readErr, closeErr); err != nil {
		// Headers came but the body stalled or broke: the service is not
		// answering properly.
		nd.Status = Down
		nd.Detail += ", then reading the body: " + probeDescribe(err, timeout)
	}
	return nd
}

func (p *Probe) probeTCP(ctx context.Context, addr string, timeout time.Duration) NodeData {
	start := time.Now()
	conn, err := p.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return NodeData{Status: Down, Detail: probeDescribe(err, timeout)}
	}
	took := time.Since(start)
	nd := NodeData{Status: Up, LatencyMS: probeMS(took), Detail: "TCP connect in " + probeFmtMS(took)}
	if err := conn.Close(); err != nil {
		nd.Detail += fmt.Sprintf(" (close: %v)", err)
	}
	return nd
}

// probeDescribe turns a probe error into a short note for the admin page: the
// common failures by name, anything else without the URL the operator
// already knows.
func probeDescribe(err error, timeout time.Duration) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("timeout after %s", timeout.Round(time.Millisecond))
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "host unreachable"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return "no such host"
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err.Error()
	}
	return err.Error()
}

func probeMS(d time.Duration) *float64 {
	return Ptr(float64(d.Microseconds()) / 1000)
}

func probeFmtMS(d time.Duration) string {
	if d < time.Millisecond {
		return "<1 ms"
	}
	return fmt.Sprintf("%d ms", d.Round(time.Millisecond)/time.Millisecond)
}
