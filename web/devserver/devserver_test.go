package devserver

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
)

// TestHostAllowlist: the dev server answers loopback names and its listen
// address only, on every route, the mounted admin pages included; any
// other Host (a DNS rebinding) gets 421 before a route runs.
func TestHostAllowlist(t *testing.T) {
	admin := 0
	s := &server{
		cfg: Config{Addr: "127.0.0.1:8080", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Admin: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { admin++ })},
		out: filepath.Join(t.TempDir(), "site"),
	}
	h, err := s.routes()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"evil.example", false},
		{"evil.example:8080", false},
		{"127.0.0.1.evil.example:8080", false},
		{"", false},
		{"localhost:8080", true},
		{"LOCALHOST:8080", true},
		{"localhost.:8080", true},
		{"127.0.0.1:8080", true},
		{"[::1]:8080", true},
	} {
		for _, rt := range []struct{ method, path string }{
			{http.MethodGet, "/"},
			{http.MethodGet, "/blog/"},
			{http.MethodGet, "/_labfront/reload.js"},
			{http.MethodGet, "/admin/"},
			{http.MethodGet, "/api/v1/snapshot"},
			{http.MethodPost, "/admin/content/promote"},
		} {
			before := admin
			req := httptest.NewRequest(rt.method, rt.path, nil)
			req.Host = tc.host
			req.Header.Set("Origin", "http://"+tc.host)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got := rec.Code != http.StatusMisdirectedRequest; got != tc.ok {
				t.Errorf("Host %q, %s %s: %d, want answered %v", tc.host, rt.method, rt.path, rec.Code, tc.ok)
			}
			if !tc.ok && admin != before {
				t.Errorf("Host %q, %s %s reached the admin handler", tc.host, rt.method, rt.path)
			}
		}
	}
	if _, err := (&server{cfg: Config{Addr: "no-port"}}).routes(); err == nil {
		t.Error("an address without port was accepted")
	}
}
