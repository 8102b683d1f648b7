package api

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
)

// forwardedBy are headers a proxy adds. cloudflared passes on what the
// Cloudflare edge sets (Cf-Ray, Cf-Connecting-Ip, Cf-Visitor, X-Forwarded-For,
// X-Forwarded-Proto, Cdn-Loop…) and adds Cf-Warp-Tag-Id; the edge can be
// told to drop the visitor's IP headers but never Cf-Ray, so any of them
// marks a request that came through the tunnel. Every header starting
// with Cf- counts too (see directLoopback).
var forwardedBy = []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-Ip", "Forwarded", "True-Client-Ip", "Cdn-Loop"}

// directLoopback reports whether the request came over a loopback
// connection from a process on this host, not through cloudflared: behind
// the tunnel every visitor's request also arrives from 127.0.0.1, so the
// address alone says nothing; the headers the tunnel adds do. A client on
// loopback can always add such headers and lose its privilege, never gain
// one.
func directLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return false
	}
	for k := range r.Header {
		if strings.HasPrefix(k, "Cf-") {
			return false
		}
	}
	for _, k := range forwardedBy {
		if _, ok := r.Header[k]; ok {
			return false
		}
	}
	return true
}

// insider reports whether the caller may see operational details (source
// names on /readyz, /metrics): a direct loopback connection, a valid
// identity, or, for /metrics, the metrics token.
func (s *Server) insider(r *http.Request) bool {
	if directLoopback(r) {
		return true
	}
	if s.cfg.MetricsToken != "" {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok &&
			subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.MetricsToken)) == 1 {
			return true
		}
	}
	id, err := s.auth.identify(r)
	return err == nil && id != nil
}

// overHTTPS reports whether the browser reached us over HTTPS: TLS on this
// server, or the scheme the tunnel reports. The tunnel's headers are
// believed only from a loopback peer (cloudflared runs beside the server);
// anyone else could claim anything.
func overHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return false
	}
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https") {
		return true
	}
	// Cf-Visitor is JSON, {"scheme":"https"}; the value is short and fixed.
	v := strings.ReplaceAll(r.Header.Get("Cf-Visitor"), " ", "")
	return strings.Contains(v, `"scheme":"https"`)
}

// hstsValue is a year, the value the HSTS preload list asks for, without
// includeSubDomains: the admin host does not speak for names below it.
const hstsValue = "max-age=31536000"
