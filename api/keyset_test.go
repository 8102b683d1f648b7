package api

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"

	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

// jwksServer is an issuer's key endpoint that counts its requests and
// publishes whatever keys the test sets.
type jwksServer struct {
	*httptest.Server
	mu     sync.Mutex
	keys   []jose.JSONWebKey
	status int // answered instead of the keys when not 0
	hits   int
}

func newJWKSServer(t *testing.T, keys ...jose.JSONWebKey) *jwksServer {
	t.Helper()
	s := &jwksServer{keys: keys}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.URL.Path != "/cdn-cgi/access/certs" {
			http.NotFound(w, r)
			return
		}
		s.hits++
		if s.status != 0 {
			w.WriteHeader(s.status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: s.keys}); err != nil {
			t.Error(err)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

func (s *jwksServer) set(status int, keys ...jose.JSONWebKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.keys = status, keys
}

func publicJWK(key *rsa.PrivateKey, kid string) jose.JSONWebKey {
	return jose.JSONWebKey{Key: &key.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}
}

func newRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestJWKSKeysRefreshLimit is the forged-token flood of the issue against
// a key endpoint that counts: a bad signature under a published kid never
// refetches, unknown kids refetch at most once per interval, a rotation is
// picked up once the interval has passed, and good tokens verify.
func TestJWKSKeysRefreshLimit(t *testing.T) {
	key1, key2, forger := newRSAKey(t), newRSAKey(t), newRSAKey(t)
	srv := newJWKSServer(t, publicJWK(key1, "k1"))
	iss := &accessIssuer{URL: srv.URL, AUD: "aud-1", key: key1, kid: "k1"}
	clock := &oidcClock{t: time.Unix(1_800_000_000, 0)}
	keys := newJWKSKeys(t.Context(), srv.URL+"/cdn-cgi/access/certs", srv.Client(), clock.now, quietLog())
	v := oidc.NewVerifier(iss.URL, keys, &oidc.Config{ClientID: iss.AUD, SupportedSigningAlgs: []string{oidc.RS256}})
	verify := func(raw string) error {
		_, err := v.Verify(t.Context(), raw)
		return err
	}
	wantFetches := func(t *testing.T, step string, want int) {
		t.Helper()
		if got := srv.count(); got != want {
			t.Fatalf("%s: %d fetches of the keys, want %d", step, got, want)
		}
	}

	if err := verify(iss.token(t, tokenOpts{email: "ops@lab.test"})); err != nil {
		t.Fatalf("a valid token: %v", err)
	}
	wantFetches(t, "first token", 1)

	for i := range 50 {
		if err := verify(iss.token(t, tokenOpts{email: "ops@lab.test", key: forger, kid: fmt.Sprintf("forged-%d", i)})); err == nil {
			t.Fatalf("forged token %d with an unknown kid verified", i)
		}
	}
	wantFetches(t, "50 unknown kids within the interval of the first fetch", 1)

	// A refresh would be allowed now; a bad signature under a published
	// kid must not use it.
	clock.add(refreshInterval)
	for i := range 50 {
		if err := verify(iss.token(t, tokenOpts{email: "ops@lab.test", key: forger})); err == nil {
			t.Fatalf("forged token %d under the known kid verified", i)
		}
	}
	wantFetches(t, "50 forged tokens under a known kid", 1)

	for i := range 50 {
		if err := verify(iss.token(t, tokenOpts{email: "ops@lab.test", key: forger, kid: fmt.Sprintf("again-%d", i)})); err == nil {
			t.Fatalf("forged token %d with an unknown kid verified", i)
		}
	}
	wantFetches(t, "50 unknown kids in the next interval", 2)

	// The issuer rotates to k2 and withdraws k1.
	srv.set(0, publicJWK(key2, "k2"))
	rotated := &accessIssuer{URL: srv.URL, AUD: "aud-1", key: key2, kid: "k2"}
	if err := verify(rotated.token(t, tokenOpts{email: "ops@lab.test"})); err == nil || !strings.Contains(err.Error(), "fetched less than") {
		t.Errorf("a new kid within the interval: %v, want the refresh limit", err)
	}
	wantFetches(t, "a new kid within the interval", 2)
	if err := verify(iss.token(t, tokenOpts{email: "ops@lab.test"})); err != nil {
		t.Errorf("k1 until the set is fetched again: %v", err)
	}
	clock.add(refreshInterval)
	if err := verify(rotated.token(t, tokenOpts{email: "ops@lab.test"})); err != nil {
		t.Fatalf("the rotated key after the interval: %v", err)
	}
	wantFetches(t, "rotation", 3)
	if err := verify(iss.token(t, tokenOpts{email: "ops@lab.test"})); err == nil {
		t.Error("the withdrawn key k1 still verifies after the set was fetched again")
	}
	wantFetches(t, "the withdrawn kid right after a fetch", 3)

	// An issuer that is down: the keys we have go on verifying, unknown
	// kids are refused with the fetch's error, and the limit still holds.
	srv.set(http.StatusBadGateway, publicJWK(key2, "k2"))
	clock.add(refreshInterval)
	if err := verify(iss.token(t, tokenOpts{email: "ops@lab.test", key: forger, kid: "down"})); err == nil || !strings.Contains(err.Error(), "502") {
		t.Errorf("unknown kid while the issuer is down: %v, want the fetch's error", err)
	}
	for range 10 {
		if err := verify(iss.token(t, tokenOpts{email: "ops@lab.test", key: forger, kid: "down"})); err == nil {
			t.Fatal("a forged token verified while the issuer is down")
		}
	}
	wantFetches(t, "issuer down", 4)
	if err := verify(rotated.token(t, tokenOpts{email: "ops@lab.test"})); err != nil {
		t.Errorf("a known key while the issuer is down: %v", err)
	}
}

// TestJWKSKeysConcurrentUnknownKids: many requests with unknown kids at
// once share one fetch.
func TestJWKSKeysConcurrentUnknownKids(t *testing.T) {
	key := newRSAKey(t)
	srv := newJWKSServer(t, publicJWK(key, "k1"))
	clock := &oidcClock{t: time.Unix(1_800_000_000, 0)}
	keys := newJWKSKeys(t.Context(), srv.URL+"/cdn-cgi/access/certs", srv.Client(), clock.now, quietLog())
	iss := &accessIssuer{URL: srv.URL, AUD: "aud-1", key: key, kid: "k1"}
	forged := make([]string, 50)
	for i := range forged {
		forged[i] = iss.token(t, tokenOpts{email: "x@lab.test", kid: fmt.Sprintf("unknown-%d", i)})
	}
	var wg sync.WaitGroup
	for _, raw := range forged {
		wg.Go(func() {
			if _, err := keys.VerifySignature(t.Context(), raw); err == nil {
				t.Error("a token with an unknown kid verified")
			}
		})
	}
	wg.Wait()
	if got := srv.count(); got != 1 {
		t.Errorf("%d fetches for 50 concurrent unknown kids, want 1", got)
	}
}

// TestJWKSKeysMaxAge: a set older than maxKeyAge is fetched again on its
// next use, so a withdrawn key does not verify for ever.
func TestJWKSKeysMaxAge(t *testing.T) {
	key := newRSAKey(t)
	srv := newJWKSServer(t, publicJWK(key, "k1"))
	clock := &oidcClock{t: time.Unix(1_800_000_000, 0)}
	keys := newJWKSKeys(t.Context(), srv.URL+"/cdn-cgi/access/certs", srv.Client(), clock.now, quietLog())
	iss := &accessIssuer{URL: srv.URL, AUD: "aud-1", key: key, kid: "k1"}
	raw := iss.token(t, tokenOpts{email: "x@lab.test"})
	if _, err := keys.VerifySignature(t.Context(), raw); err != nil {
		t.Fatal(err)
	}
	srv.set(0, publicJWK(newRSAKey(t), "k2"))
	clock.add(maxKeyAge)
	// This use still verifies with the old set and starts the fetch.
	if _, err := keys.VerifySignature(t.Context(), raw); err != nil {
		t.Fatalf("the use that starts the refresh: %v", err)
	}
	// The refresh runs in the background: wait for it if it is still in
	// flight; if it is over, the count below already has it.
	keys.mu.Lock()
	done := keys.inflight
	keys.mu.Unlock()
	if done != nil {
		<-done
	}
	if got := srv.count(); got != 2 {
		t.Fatalf("%d fetches after maxKeyAge, want 2", got)
	}
	if _, err := keys.VerifySignature(t.Context(), raw); err == nil {
		t.Error("the withdrawn key verifies after the set was refreshed")
	}
}

// TestParseJWKS: keys that cannot verify a token are left out, not fatal.
func TestParseJWKS(t *testing.T) {
	key := newRSAKey(t)
	good, err := json.Marshal(publicJWK(key, "good"))
	if err != nil {
		t.Fatal(err)
	}
	private, err := json.Marshal(jose.JSONWebKey{Key: key, KeyID: "private", Algorithm: "RS256"})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := json.Marshal(jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "hmac", Algorithm: "HS256"})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := json.Marshal(jose.JSONWebKey{Key: &key.PublicKey, KeyID: "enc", Use: "enc"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body string
		want       []string // kids kept; nil means an error
	}{
		{"one key", `{"keys":[` + string(good) + `]}`, []string{"good"}},
		{"unknown kty and alg skipped", `{"keys":[{"kty":"OKP","crv":"X448","x":"AA","kid":"x448"},{"kty":"RSA","alg":"ES256K","kid":"k"},` + string(good) + `]}`, []string{"good"}},
		{"private, symmetric and encryption keys skipped", `{"keys":[` + string(private) + `,` + string(secret) + `,` + string(enc) + `,` + string(good) + `]}`, []string{"good"}},
		{"no usable key", `{"keys":[` + string(secret) + `]}`, nil},
		{"no keys", `{"keys":[]}`, nil},
		{"not JSON", `<html>`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := parseJWKS([]byte(tc.body))
			if tc.want == nil {
				if err == nil {
					t.Fatalf("want an error, got %d keys", len(keys))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var kids []string
			for _, k := range keys {
				kids = append(kids, k.KeyID)
			}
			if strings.Join(kids, ",") != strings.Join(tc.want, ",") {
				t.Errorf("kept %v, want %v", kids, tc.want)
			}
		})
	}
}

// TestAccessForgedTokenFlood: through the server in access mode, 50
// forged tokens under the team's kid and 50 under unknown kids cost the
// team's certs endpoint one fetch.
func TestAccessForgedTokenFlood(t *testing.T) {
	key, forger := newRSAKey(t), newRSAKey(t)
	srv := newJWKSServer(t, publicJWK(key, "team-key-1"))
	iss := &accessIssuer{URL: srv.URL, AUD: "aud-tag-123", key: key, kid: "team-key-1"}
	clock := &oidcClock{t: time.Unix(1_800_000_000, 0)}
	cfg := accessConfig(iss)
	cfg.Site, cfg.StateDir, cfg.Listen = "..", t.TempDir(), "127.0.0.1:0"
	s, err := New(context.Background(), cfg, Options{Static: static.FS(), Islands: web.Islands(), Log: quietLog(), Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	ask := func(raw string) int {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/snapshot", nil)
		req.Host = "127.0.0.1"
		req.Header.Set("Cf-Access-Jwt-Assertion", raw)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range 50 {
		if code := ask(iss.token(t, tokenOpts{email: "ops@lab.test", key: forger})); code != http.StatusUnauthorized {
			t.Fatalf("forged token %d: %d", i, code)
		}
		if code := ask(iss.token(t, tokenOpts{email: "ops@lab.test", key: forger, kid: fmt.Sprintf("forged-%d", i)})); code != http.StatusUnauthorized {
			t.Fatalf("forged token %d with an unknown kid: %d", i, code)
		}
	}
	if got := srv.count(); got != 1 {
		t.Errorf("100 forged tokens cost %d fetches of the team's certs, want 1", got)
	}
	if code := ask(iss.token(t, tokenOpts{email: "ops@lab.test"})); code != http.StatusOK {
		t.Errorf("a valid token after the flood: %d", code)
	}
}

// TestOIDCForgedTokenFlood: the OIDC mode's provider keys are limited the
// same way. The admin server's one HTTP client is counted, so the test
// sees every fetch of the provider's keys whoever makes it.
func TestOIDCForgedTokenFlood(t *testing.T) {
	e := newOIDCEnv(t, oidcEnvOpts{})
	var disc struct {
		JWKS string `json:"jwks_uri"`
	}
	if err := e.auth.provider.Claims(&disc); err != nil {
		t.Fatal(err)
	}
	counter := &countingTransport{next: http.DefaultTransport, path: oidcParseURL(t, disc.JWKS).Path}
	e.auth.client.Transport = counter

	// A real login first: the provider's keys are fetched and verify.
	e.signedIn(t, "ops@lab.test", "correct horse")
	if got := counter.count(); got != 1 {
		t.Fatalf("a login fetched the provider's keys %d times, want 1", got)
	}
	forger := newRSAKey(t)
	fake := &accessIssuer{URL: e.idp.Issuer, AUD: oidcTestClientID, key: forger}
	for i := range 50 {
		fake.kid = fmt.Sprintf("forged-%d", i)
		if _, err := e.auth.verifier.Verify(t.Context(), fake.token(t, tokenOpts{email: "ops@lab.test"})); err == nil {
			t.Fatalf("forged ID token %d verified", i)
		}
	}
	if got := counter.count(); got != 1 {
		t.Errorf("50 forged ID tokens: %d fetches of the provider's keys, want still 1", got)
	}
}

// countingTransport counts the requests for one path.
type countingTransport struct {
	next http.RoundTripper
	path string
	mu   sync.Mutex
	n    int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == c.path {
		c.mu.Lock()
		c.n++
		c.mu.Unlock()
	}
	return c.next.RoundTrip(r)
}

func (c *countingTransport) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
