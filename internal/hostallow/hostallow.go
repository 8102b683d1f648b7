// Package hostallow provides the Host header allowlist of labfront's HTTP
// servers, the defence against DNS rebinding: after a rebinding, a
// malicious page's requests reach a loopback server with the attacker's
// name in Host (and in Origin, with Sec-Fetch-Site: same-origin, so a
// cross-origin check passes). Only a name the operator chose, a loopback
// name or an address literal can be trusted, and the check runs before any
// routing, so a refused request learns nothing about the server.
package hostallow

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
)

// List is the set of Host values one server answers for. Loopback names
// (localhost, 127.0.0.0/8, ::1) are always on it: health checks, a local
// Prometheus and cloudflared's own connection use them, and no attacker can
// point a name of their own at them without it being a loopback name.
type List struct {
	names map[string]bool // lower case, without a trailing dot
	// anyIP is set when the server listens on every address: each local
	// address is then "the listen address", and an address literal cannot
	// be rebound (rebinding needs a name whose answer the attacker
	// controls). The kubelet's probes use the pod's address this way.
	anyIP bool
}

// New builds the list for a server listening on listen (host:port), that
// also answers for the given host names. Names are checked with CheckName.
func New(listen string, names []string) (*List, error) {
	l := &List{names: map[string]bool{}}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		l.anyIP = true
	} else {
		l.names[normalise(host)] = true
	}
	for _, n := range names {
		if err := CheckName(n); err != nil {
			return nil, err
		}
		l.names[normalise(n)] = true
	}
	return l, nil
}

// CheckName accepts a bare host name or address literal: what a browser
// sends in Host, without port. A scheme, port, path or wildcard is a
// mistake the operator should hear about, not a pattern.
func CheckName(name string) error {
	n := normalise(name)
	if n == "" {
		return fmt.Errorf("empty host name")
	}
	if net.ParseIP(n) != nil {
		return nil
	}
	for _, label := range strings.Split(n, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%q is not a host name like admin.example.com (no scheme, port, path or wildcard)", name)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Errorf("%q is not a host name like admin.example.com (no scheme, port, path or wildcard)", name)
			}
		}
	}
	return nil
}

// Allows reports whether a request's Host (with or without port) is on
// the list. Case and one trailing dot do not matter, as in DNS.
func (l *List) Allows(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	host = normalise(host)
	if host == "" {
		return false
	}
	if host == "localhost" || l.names[host] {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || l.anyIP)
}

// Handler refuses every request whose Host is not on the list with 421
// Misdirected Request, before next sees it: no route, no page, no name
// of the server's is revealed.
func (l *List) Handler(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.Allows(r.Host) {
			next.ServeHTTP(w, r)
			return
		}
		// Info, not Warn: a scanner can make many of these, but an operator
		// whose hostnames list is wrong needs to see why.
		log.Info("refused request for an unknown host", "host", truncate(r.Host, 100), "remote", r.RemoteAddr)
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusMisdirectedRequest)
		if r.Method != http.MethodHead {
			// A write error means the client has gone; there is no one to tell.
			_, _ = w.Write([]byte("misdirected request: this server does not answer for that host name\n"))
		}
	})
}

func normalise(host string) string {
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
