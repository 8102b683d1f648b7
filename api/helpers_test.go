package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/labfront/labfront/internal/adminconfig"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/static"
	"github.com/labfront/labfront/web"
)

// accessIssuer is a local stand-in for a Cloudflare Access team domain: it
// serves the team's public keys at /cdn-cgi/access/certs and mints tokens
// the way Access does.
type accessIssuer struct {
	URL   string
	AUD   string
	key   *rsa.PrivateKey
	kid   string
	other *rsa.PrivateKey // a key the issuer does not publish
}

func newAccessIssuer(t *testing.T) *accessIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss := &accessIssuer{AUD: "aud-tag-123", key: key, kid: "team-key-1", other: other}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cdn-cgi/access/certs" {
			http.NotFound(w, r)
			return
		}
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: iss.kid, Algorithm: "RS256", Use: "sig"}}}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(set); err != nil {
			t.Error(err)
		}
	}))
	t.Cleanup(srv.Close)
	iss.URL = srv.URL
	return iss
}

type tokenOpts struct {
	email     string
	issuer    string
	aud       string
	expires   time.Time
	notBefore time.Time
	key       *rsa.PrivateKey
	kid       string
}

// token mints an RS256 JWT; zero fields take the valid defaults.
func (iss *accessIssuer) token(t *testing.T, o tokenOpts) string {
	t.Helper()
	if o.issuer == "" {
		o.issuer = iss.URL
	}
	if o.aud == "" {
		o.aud = iss.AUD
	}
	if o.expires.IsZero() {
		o.expires = time.Now().Add(time.Hour)
	}
	if o.key == nil {
		o.key = iss.key
	}
	if o.kid == "" {
		o.kid = iss.kid
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: o.key, KeyID: o.kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.Claims{Issuer: o.issuer, Subject: "user-1", Audience: jwt.Audience{o.aud}, Expiry: jwt.NewNumericDate(o.expires), IssuedAt: jwt.NewNumericDate(time.Now().Add(-time.Minute))}
	if !o.notBefore.IsZero() {
		claims.NotBefore = jwt.NewNumericDate(o.notBefore)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Claims(map[string]any{"email": o.email}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// forged builds tokens no verifier may accept: alg none, and HS256 keyed
// with the issuer's public key (the classic key-confusion attack).
func (iss *accessIssuer) forged(t *testing.T, alg string) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	head := enc(map[string]string{"alg": alg, "typ": "JWT", "kid": iss.kid})
	body := enc(map[string]any{"iss": iss.URL, "aud": iss.AUD, "sub": "x", "email": "ops@lab.test", "exp": time.Now().Add(time.Hour).Unix()})
	switch alg {
	case "none":
		return head + "." + body + "."
	case "HS256":
		pub, err := x509.MarshalPKIXPublicKey(&iss.key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		mac := hmac.New(sha256.New, pub)
		mac.Write([]byte(head + "." + body))
		return head + "." + body + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	t.Fatalf("forged: alg %s", alg)
	return ""
}

// stubCollector returns what the test sets.
type stubCollector struct {
	res *live.Result
	err error
}

func (s *stubCollector) Collect(context.Context) (*live.Result, error) { return s.res, s.err }

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newServer builds a server on the repository's example site.
func newServer(t *testing.T, cfg *adminconfig.Config, collectors map[string]live.Collector) *Server {
	t.Helper()
	if cfg.Site == "" {
		cfg.Site = ".."
	}
	if cfg.StateDir == "" {
		cfg.StateDir = t.TempDir()
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	s, err := New(context.Background(), cfg, Options{Static: static.FS(), Islands: web.Islands(), Log: quietLog(), Collectors: collectors})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newServerClock builds a server whose only source is served by c, on a
// clock the test moves.
func newServerClock(t testing.TB, cfg *adminconfig.Config, c live.Collector, clk *testClock) *Server {
	t.Helper()
	if cfg.Site == "" {
		cfg.Site = ".."
	}
	s, err := New(context.Background(), cfg, Options{Static: static.FS(), Islands: web.Islands(), Log: quietLog(),
		Collectors: map[string]live.Collector{cfg.Sources[0].Name: c}, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustLab(t *testing.T) *lab.Lab {
	t.Helper()
	l, err := lab.Load("../content/lab.yaml", "content/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func jsonDecode(b []byte, v any) error { return json.Unmarshal(b, v) }

func get(t *testing.T, h http.Handler, path string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := newRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// newRequest is httptest.NewRequest addressed to localhost, a name every
// server answers for whatever its hostnames (httptest's default Host,
// example.com, is refused like any unknown name). The client address stays
// httptest's 192.0.2.1: a test request is no direct loopback caller.
func newRequest(method, target string, body io.Reader) *http.Request {
	req := httptest.NewRequest(method, target, body)
	req.Host = "localhost"
	return req
}

// env is a getenv over a map, for configs that name secrets.
func env(vals map[string]string) func(string) string {
	return func(k string) string { return vals[k] }
}
