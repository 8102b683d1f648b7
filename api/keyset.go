package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
)

// jwksKeys is an issuer's signing keys, fetched from its JWKS URL and kept
// in memory. It replaces go-oidc's RemoteKeySet, which refetches the set
// on every signature it cannot verify: each forged token then cost one
// request to the issuer, so anyone on the internet could make the server
// hammer the team's certs endpoint (and be slow doing it).
//
// Here a token whose kid the cache holds is judged by that key alone and
// never causes a fetch; an unknown kid (a rotation, or a forgery) causes at
// most one fetch per refreshInterval, shared by every request waiting for
// it. A set older than maxKeyAge is refreshed in the background on its
// next use, so a key the issuer withdrew stops working within that time.
type jwksKeys struct {
	url    string
	ctx    context.Context // the server's: a fetch outlives the request that started it
	client *http.Client
	now    func() time.Time
	log    *slog.Logger

	mu       sync.Mutex
	keys     []jose.JSONWebKey
	fetched  time.Time     // when keys last came back from the issuer
	tried    time.Time     // when the last fetch started, successful or not
	inflight chan struct{} // closed when the fetch in flight ends; nil when none
	lastErr  error         // the last fetch's error, nil after a success
}

var _ oidc.KeySet = (*jwksKeys)(nil)

const (
	// refreshInterval is the least time between two fetches: a rotation
	// is seen at most this late, and a flood of forged tokens costs the
	// issuer one request per interval.
	refreshInterval = 30 * time.Second
	// maxKeyAge bounds how long a withdrawn key keeps verifying.
	maxKeyAge = time.Hour
	// maxJWKSBytes bounds a key set answer; real ones are a few KB.
	maxJWKSBytes = 1 << 20
)

// signingAlgs are the algorithms a token may be parsed with: asymmetric
// only. The verifier narrows them further (RS256 for Access).
var signingAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512,
	jose.PS256, jose.PS384, jose.PS512, jose.EdDSA,
}

var (
	errBadSignature   = errors.New("signature does not verify")
	errRefreshLimited = errors.New("unknown signing key, and the key set was fetched less than " + refreshInterval.String() + " ago")
)

// newJWKSKeys fetches nothing yet: the first token does.
func newJWKSKeys(ctx context.Context, url string, client *http.Client, now func() time.Time, log *slog.Logger) *jwksKeys {
	return &jwksKeys{url: url, ctx: ctx, client: client, now: now, log: log}
}

// VerifySignature checks the JWS signature only; the verifier checks the
// algorithm, issuer, audience and times.
func (k *jwksKeys) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSigned(raw, signingAlgs)
	if err != nil {
		return nil, fmt.Errorf("malformed jwt: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("jwt has %d signatures, want 1", len(jws.Signatures))
	}
	kid := jws.Signatures[0].Header.KeyID
	keys, known := k.cached(kid)
	if payload, ok := verifyWith(jws, keys); ok {
		return payload, nil
	}
	if known {
		// The issuer published this key: a token it does not verify is
		// forged or damaged, and a fresh copy of the set cannot change that.
		return nil, errBadSignature
	}
	// A refresh that was refused (too soon) or failed still leaves the
	// cache as fresh as it can be: another request's fetch may have
	// brought the key in since the first look.
	rerr := k.refresh(ctx)
	keys, _ = k.cached(kid)
	if payload, ok := verifyWith(jws, keys); ok {
		return payload, nil
	}
	if rerr != nil {
		return nil, rerr
	}
	return nil, fmt.Errorf("no key %q in the issuer's key set", kid)
}

func verifyWith(jws *jose.JSONWebSignature, keys []jose.JSONWebKey) ([]byte, bool) {
	for i := range keys {
		if payload, err := jws.Verify(&keys[i]); err == nil {
			return payload, true
		}
	}
	return nil, false
}

// cached returns the keys a token with kid may be signed by, and whether
// kid names a key the set holds. A token without kid may be signed by any
// key, and is never "known": a rotation may have brought its key.
func (k *jwksKeys) cached(kid string) ([]jose.JSONWebKey, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.fetched.IsZero() && k.now().Sub(k.fetched) >= maxKeyAge {
		// Old keys go on verifying until the new set is in: an issuer
		// that is down must not sign everyone out.
		k.startLocked()
	}
	if kid == "" {
		return k.keys, false
	}
	var out []jose.JSONWebKey
	for _, key := range k.keys {
		if key.KeyID == kid {
			out = append(out, key)
		}
	}
	return out, len(out) > 0
}

// refresh fetches the set unless one was fetched within refreshInterval,
// and waits for the fetch in flight, if any.
func (k *jwksKeys) refresh(ctx context.Context) error {
	k.mu.Lock()
	done := k.startLocked()
	k.mu.Unlock()
	if done == nil {
		return errRefreshLimited
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-done:
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.lastErr != nil {
		return fmt.Errorf("fetch the issuer's keys: %w", k.lastErr)
	}
	return nil
}

// startLocked starts a fetch if none is in flight and the interval has
// passed, and returns the channel that closes when the fetch in flight
// ends, or nil when there is none. k.mu is held.
func (k *jwksKeys) startLocked() <-chan struct{} {
	if k.inflight != nil {
		return k.inflight
	}
	now := k.now()
	if !k.tried.IsZero() && now.Sub(k.tried) < refreshInterval {
		return nil
	}
	k.tried = now
	done := make(chan struct{})
	k.inflight = done
	go func() {
		keys, err := k.fetch()
		k.mu.Lock()
		defer k.mu.Unlock()
		if err != nil {
			// A failed fetch keeps the keys we had.
			k.log.Warn("fetch signing keys", "url", k.url, "err", err)
		} else {
			k.keys, k.fetched = keys, k.now()
		}
		k.lastErr, k.inflight = err, nil
		close(done)
	}()
	return done
}

// fetch gets and parses the set, keeping only the keys a token could be
// verified with.
func (k *jwksKeys) fetch() ([]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(k.ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", k.url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s", k.url, resp.Status)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("%s: key set larger than %d bytes", k.url, maxJWKSBytes)
	}
	return parseJWKS(body)
}

// parseJWKS reads a JWK set. Keys of a type or algorithm this server
// cannot verify with are skipped rather than failing the set (RFC 7517
// section 5), and so are private or symmetric keys: a published secret key
// must never become a way to sign tokens.
func parseJWKS(body []byte) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("key set: %w", err)
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var key jose.JSONWebKey
		if err := key.UnmarshalJSON(raw); err != nil {
			continue
		}
		if !key.Valid() || !key.IsPublic() || (key.Use != "" && key.Use != "sig") {
			continue
		}
		if key.Algorithm != "" && !slices.Contains(signingAlgs, jose.SignatureAlgorithm(key.Algorithm)) {
			continue
		}
		keys = append(keys, key)
	}
	if len(keys) == 0 {
		return nil, errors.New("key set has no usable signing key")
	}
	return keys, nil
}
