package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/statefile"
	"github.com/labfront/labfront/internal/testkit/sitetest"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

// adminWithCookie asks h for /admin/ on loopback with only the given
// session cookie, as a copy of a saved cookie would be replayed.
func adminWithCookie(t *testing.T, h http.Handler, value string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/admin/", nil)
	req.Host = "127.0.0.1"
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: value})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// signedIn runs a whole login in a new browser and returns it with its
// session cookie's value.
func (e *oidcEnv) signedIn(t *testing.T, email, password string) (*oidcBrowser, string) {
	t.Helper()
	b := e.browser(t)
	if resp := b.noFollow(t, http.MethodGet, e.startLogin(t, b, "/admin/", email, password).String(), nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	v := b.cookie(t, e.url, sessionCookie)
	if v == "" {
		t.Fatal("no session cookie after the login")
	}
	return b, v
}

// restart builds a second server on the same config (state_dir, session
// key) and clock, as a restart of the admin server would.
func (e *oidcEnv) restart(t *testing.T) http.Handler {
	t.Helper()
	s, err := New(t.Context(), e.cfg, Options{Static: static.FS(), Islands: web.Islands(), Now: e.clock.now, Log: slog.New(slog.NewTextHandler(e.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s.Handler()
}

// TestOIDCLogoutRevokesSession: a session cookie saved before the sign-out
// is refused after it, also by a restarted server; the same user's session
// in another browser is not signed out (sign-out ends one device's
// session, as everywhere else).
func TestOIDCLogoutRevokesSession(t *testing.T) {
	e := newOIDCEnv(t, oidcEnvOpts{})
	b, saved := e.signedIn(t, "ops@lab.test", "correct horse")
	_, other := e.signedIn(t, "ops@lab.test", "correct horse")
	h := e.srv.Handler()
	for name, v := range map[string]string{"saved": saved, "other": other} {
		if code := adminWithCookie(t, h, v); code != http.StatusOK {
			t.Fatalf("the %s session before the sign-out: %d", name, code)
		}
	}

	resp := b.noFollow(t, http.MethodPost, e.url+logoutPath, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": e.url})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"this server", h}, {"after a restart", e.restart(t)}} {
		if code := adminWithCookie(t, tc.h, saved); code != http.StatusSeeOther {
			t.Errorf("%s: the signed-out cookie answered %d, want 303 to the login", tc.name, code)
		}
		if code := adminWithCookie(t, tc.h, other); code != http.StatusOK {
			t.Errorf("%s: the same user's other session answered %d, want 200", tc.name, code)
		}
	}
	// A signed-out cookie is not an identity anywhere, not even on the
	// logout page, and posting it again changes nothing.
	req := httptest.NewRequest(http.MethodGet, logoutPath, nil)
	req.Host = "127.0.0.1"
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: saved})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if strings.Contains(rec.Body.String(), "ops@lab.test") {
		t.Error("the logout page still shows the signed-out user")
	}

	// A damaged list cannot tell which sessions ended: after a restart on
	// it, every session signed in before is refused, the other one too,
	// and a new login works.
	path := filepath.Join(e.cfg.StateDir, revocationsFile)
	if err := os.WriteFile(path, []byte(`{"revoked": [{"id": "x", "exp`), 0o600); err != nil {
		t.Fatal(err)
	}
	e.clock.add(time.Second)
	h = e.restart(t)
	for name, v := range map[string]string{"saved": saved, "other": other} {
		if code := adminWithCookie(t, h, v); code != http.StatusSeeOther {
			t.Errorf("damaged list: the %s session answered %d, want 303", name, code)
		}
	}
	if !strings.Contains(e.logs.String(), "damaged") {
		t.Errorf("the damaged list was not reported:\n%s", e.logs)
	}
	e.clock.add(time.Second)
	// e.srv is the server the browsers reach; it never read the damaged
	// file, so the new session is checked against the restarted server.
	_, fresh := e.signedIn(t, "ops@lab.test", "correct horse")
	if code := adminWithCookie(t, h, fresh); code != http.StatusOK {
		t.Errorf("damaged list: a new session answered %d, want 200", code)
	}
}

// TestRevocationsFile: what a sign-out writes, how the list stays bounded,
// and what each kind of damaged file turns into.
func TestRevocationsFile(t *testing.T) {
	clock := &oidcClock{t: time.Unix(1_800_000_000, 0)}
	logs := &sitetest.SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	readFile := func(t *testing.T, path string) revocationsJSON {
		t.Helper()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var f revocationsJSON
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s: %v\n%s", path, err, data)
		}
		return f
	}

	t.Run("entries end with their cookie", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), revocationsFile)
		r, err := openRevocations(statefile.New(log, clock.now, nil), path, clock.now, log)
		if err != nil {
			t.Fatal(err)
		}
		issued := clock.now().Unix()
		if err := r.revoke("a", clock.now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := r.revoke("b", clock.now().Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if !r.revoked("a", issued) || !r.revoked("b", issued) || r.revoked("c", issued) {
			t.Error("revoked: want a and b, not c")
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("the file: %v, %v; want mode 0600", fi, err)
		}
		clock.add(time.Hour)
		defer clock.add(-time.Hour)
		if err := r.revoke("c", clock.now().Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		f := readFile(t, path)
		if len(f.Revoked) != 2 || f.Revoked[0].ID != "b" || f.Revoked[1].ID != "c" {
			t.Errorf("after a's cookie expired the file lists %+v, want b and c", f.Revoked)
		}
		// A restart loads what is still in force, and drops what is not.
		clock.add(time.Hour)
		defer clock.add(-time.Hour)
		r2, err := openRevocations(statefile.New(log, clock.now, nil), path, clock.now, log)
		if err != nil {
			t.Fatal(err)
		}
		if len(r2.ids) != 1 || !r2.revoked("c", issued) {
			t.Errorf("reloaded: %v, want only c", r2.ids)
		}
	})

	t.Run("a full list revokes everything issued so far", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), revocationsFile)
		r, err := openRevocations(statefile.New(log, clock.now, nil), path, clock.now, log)
		if err != nil {
			t.Fatal(err)
		}
		r.limit = 3
		issued := clock.now().Unix()
		for _, id := range []string{"a", "b", "c", "d"} {
			if err := r.revoke(id, clock.now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		f := readFile(t, path)
		if len(f.Revoked) != 1 || f.NotBefore != issued {
			t.Errorf("file = %+v, want one entry and not_before %d", f, issued)
		}
		if !r.revoked("a", issued) || !r.revoked("zzz", issued) || r.revoked("zzz", issued+1) {
			t.Error("want every session issued until the list filled refused, and later ones not")
		}
	})

	for _, tc := range []struct{ name, data string }{
		{"not JSON", "garbage\n"},
		{"truncated", `{"revoked": [{"id": "a", "expi`},
		{"empty", ""},
		{"no list", `{"not_before": 5}`},
		{"an entry without id", `{"revoked": [{"id": "", "expires": 1900000000}]}`},
		{"a list of the wrong type", `{"revoked": {"id": "a"}}`},
		{"the wrong type", `[{"id": "a", "expires": 1900000000}]`},
	} {
		t.Run("damaged: "+tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), revocationsFile)
			if err := os.WriteFile(path, []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			files := statefile.New(log, clock.now, nil)
			r, err := openRevocations(files, path, clock.now, log)
			if err != nil {
				t.Fatalf("a damaged file stops the start: %v", err)
			}
			losses := files.Losses()
			if len(losses) != 1 || !strings.HasPrefix(losses[0].MovedTo, path+".corrupt-") {
				t.Fatalf("losses %+v, want the file moved aside as %s.corrupt-<time>", losses, path)
			}
			before := clock.now().Unix()
			if !r.revoked("anything", before) || r.revoked("anything", before+1) {
				t.Error("want every session issued until now refused, later ones not")
			}
			if kept, err := os.ReadFile(losses[0].MovedTo); err != nil || string(kept) != tc.data {
				t.Errorf("the damaged file was not kept: %q, %v", kept, err)
			}
			if f := readFile(t, path); f.NotBefore != before {
				t.Errorf("the fresh file = %+v, want not_before %d", f, before)
			}
			// The decision is remembered: a second start does not accept
			// the old sessions again.
			r2, err := openRevocations(statefile.New(log, clock.now, nil), path, clock.now, log)
			if err != nil || !r2.revoked("anything", before) {
				t.Errorf("second start: %v, still revoked: %v", err, err == nil && r2.revoked("anything", before))
			}
			if !strings.Contains(logs.String(), path) {
				t.Error("the log does not name the damaged file")
			}
		})
	}

	t.Run("unreadable", func(t *testing.T) {
		// A directory where the file should be: the server could not
		// record sign-outs, so it does not start.
		path := filepath.Join(t.TempDir(), revocationsFile)
		if err := os.Mkdir(path, 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := openRevocations(statefile.New(log, clock.now, nil), path, clock.now, log); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("err = %v, want one naming %s", err, path)
		}
	})
}
