package hostallow

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAllows is the table of Host values against the three kinds of list
// a labfront server builds: dev mode on a loopback port, a public admin
// hostname, and every address (the k3s pod).
func TestAllows(t *testing.T) {
	dev, err := New("127.0.0.1:8080", nil)
	if err != nil {
		t.Fatal(err)
	}
	public, err := New("127.0.0.1:8443", []string{"admin.example.dev"})
	if err != nil {
		t.Fatal(err)
	}
	pod, err := New("0.0.0.0:8443", []string{"admin.example.dev"})
	if err != nil {
		t.Fatal(err)
	}
	named, err := New("localhost:8080", nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		host             string
		dev, public, pod bool
		named            bool
	}{
		{"evil.example", false, false, false, false},
		{"evil.example:8080", false, false, false, false},
		{"127.0.0.1.evil.example", false, false, false, false},
		{"localhost.evil.example", false, false, false, false},
		{"admin.example.dev.evil.example", false, false, false, false},
		{"evil-admin.example.dev", false, false, false, false},
		{"", false, false, false, false},
		{"localhost", true, true, true, true},
		{"localhost:8080", true, true, true, true},
		{"LOCALHOST:8080", true, true, true, true},
		{"localhost.", true, true, true, true},
		{"127.0.0.1", true, true, true, true},
		{"127.0.0.1:8080", true, true, true, true},
		{"127.0.0.1:9999", true, true, true, true},
		{"127.8.9.10:8080", true, true, true, true},
		{"[::1]:8080", true, true, true, true},
		{"[::1]", true, true, true, true},
		{"admin.example.dev", false, true, true, false},
		{"ADMIN.Example.DEV", false, true, true, false},
		{"admin.example.dev.", false, true, true, false},
		{"admin.example.dev:443", false, true, true, false},
		// An address literal cannot be rebound, but only a server that
		// listens on every address answers for other addresses.
		{"10.42.0.7:8443", false, false, true, false},
		{"[fd00::7]:8443", false, false, true, false},
		{"127.1", false, false, false, false},
	}
	for _, tc := range cases {
		for _, l := range []struct {
			name string
			list *List
			want bool
		}{{"dev", dev, tc.dev}, {"public", public, tc.public}, {"pod", pod, tc.pod}, {"localhost listen", named, tc.named}} {
			if got := l.list.Allows(tc.host); got != l.want {
				t.Errorf("%s: Allows(%q) = %v, want %v", l.name, tc.host, got, l.want)
			}
		}
	}
}

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"admin.example.dev", true},
		{"Admin.Example.Dev.", true},
		{"10.0.0.5", true},
		{"::1", true},
		{"", false},
		{"https://admin.example.dev", false},
		{"admin.example.dev:443", false},
		{"admin.example.dev/admin", false},
		{"*.example.dev", false},
		{"-admin.example.dev", false},
		{"admin..example.dev", false},
		{"admin example.dev", false},
	} {
		err := CheckName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("CheckName(%q) = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	if _, err := New("127.0.0.1", nil); err == nil {
		t.Error("a listen address without port was accepted")
	}
	if _, err := New("127.0.0.1:80", []string{"https://admin.example.dev"}); err == nil {
		t.Error("a URL was accepted as a host name")
	}
}

// TestHandler: a refused request never reaches the handler behind, and
// gets a short plain 421 that says nothing about the server.
func TestHandler(t *testing.T) {
	l, err := New("127.0.0.1:8080", nil)
	if err != nil {
		t.Fatal(err)
	}
	reached := 0
	h := l.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		io.WriteString(w, "secret page")
	}), slog.New(slog.NewTextHandler(io.Discard, nil)))

	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodHead} {
		req := httptest.NewRequest(method, "http://evil.example:8080/admin/", nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusMisdirectedRequest {
			t.Errorf("%s evil.example: %d, want 421", method, rec.Code)
		}
		if strings.Contains(rec.Body.String(), "secret") || rec.Body.Len() > 100 {
			t.Errorf("%s evil.example: body %q", method, rec.Body.String())
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("%s evil.example: Content-Type %q", method, ct)
		}
	}
	if reached != 0 {
		t.Errorf("refused requests reached the handler %d times", reached)
	}
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/admin/", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || reached != 1 {
		t.Errorf("loopback: %d, reached %d", rec.Code, reached)
	}
}
