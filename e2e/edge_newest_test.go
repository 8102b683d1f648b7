package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The edge worker's fallback under workerd: of the three snapshots it can
// fall back to (its Cache API copy of the last good answer, the KV value,
// the build's snapshot.json), it answers from the newest by its time, and
// a snapshot without a usable time counts as the oldest.

// switchOrigin is an origin whose answer to every request the test sets.
type switchOrigin struct {
	mu     sync.Mutex
	status int
	body   string
}

func (o *switchOrigin) set(status int, body string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.status, o.body = status, body
}

func (o *switchOrigin) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	o.mu.Lock()
	status, body := o.status, o.body
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

func startSwitchOrigin(t *testing.T) (*switchOrigin, string) {
	t.Helper()
	o := &switchOrigin{status: http.StatusBadGateway, body: `{"error": "bad gateway"}`}
	srv := httptest.NewServer(o)
	t.Cleanup(srv.Close)
	return o, srv.URL
}

// statusDoc is a status snapshot whose pve-io has the given status;
// generatedAt "" leaves the time out, anything else goes in as it is.
func statusDoc(generatedAt, pveIO string) string {
	gen := ""
	if generatedAt != "" {
		gen = fmt.Sprintf(`"generated_at": %q, `, generatedAt)
	}
	return fmt.Sprintf(`{"version": 1, %s"nodes": {"pve-io": {"status": %q}, "mon-io": {"status": "up"}}, "sources": []}`, gen, pveIO)
}

// distWithStatic copies a built site and replaces its snapshot.json's time
// ("" removes it) and pve-io's status, as a build with such a snapshot
// would have it.
func distWithStatic(t *testing.T, built, generatedAt, pveIO string) string {
	t.Helper()
	dist := filepath.Join(t.TempDir(), "dist")
	if err := os.CopyFS(dist, os.DirFS(built)); err != nil {
		t.Fatalf("copy the site: %v", err)
	}
	path := filepath.Join(dist, "snapshot.json")
	var snap map[string]any
	if err := json.Unmarshal(readFile(t, path), &snap); err != nil {
		t.Fatalf("snapshot.json: %v", err)
	}
	delete(snap, "generated_at")
	if generatedAt != "" {
		snap["generated_at"] = generatedAt
	}
	nodes, ok := snap["nodes"].(map[string]any)
	if !ok {
		t.Fatalf("snapshot.json has no nodes: %v", snap)
	}
	pve, ok := nodes["pve-io"].(map[string]any)
	if !ok {
		t.Fatalf("snapshot.json has no pve-io: %v", nodes)
	}
	pve["status"] = pveIO
	data, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dist
}

// fallbackInfo is the "snapshot" object of a fallback answer.
type fallbackInfo struct {
	Source     string          `json:"source"`
	AgeSeconds *int            `json:"age_seconds"`
	Reason     string          `json:"reason"`
	Candidates map[string]*int `json:"candidates"`
}

func (a answer) fallbackInfo(t *testing.T) fallbackInfo {
	t.Helper()
	var info fallbackInfo
	if s := a.status(t); s.Snapshot == nil || json.Unmarshal(s.Snapshot, &info) != nil {
		t.Fatalf("not a fallback answer: %d %s", a.Status, a.Body)
	}
	return info
}

// fallbackWith asks for the status until the worker has found every
// source in want (the cache copy is stored just after the answer that
// fills it), at most 10 s, and returns the answer.
func fallbackWith(t *testing.T, statusURL string, want ...string) (answer, fallbackInfo) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		a := request(t, http.MethodGet, statusURL)
		info := a.fallbackInfo(t)
		missing := ""
		for _, s := range want {
			if _, ok := info.Candidates[s]; !ok {
				missing = s
			}
		}
		if missing == "" {
			return a, info
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s the fallback has not found the %s snapshot: %s", missing, a.Body)
		}
	}
}

// near says an age in seconds is the wanted one, give or take the minute
// a slow run may take.
func near(age *int, want time.Duration) bool {
	return age != nil && math.Abs(float64(*age)-want.Seconds()) <= 60
}

// TestEdgeFallbackNewest gives the cache, KV and the build snapshots of
// three different ages, in every order, and checks that the newest is
// the answer, whichever source holds it.
func TestEdgeFallbackNewest(t *testing.T) {
	wranglerBin(t)
	built := buildWithSnapshot(t)
	ages := []time.Duration{2 * time.Minute, 3 * time.Hour, 50 * time.Hour}
	sources := []string{"cache", "kv", "static"}
	// Each source has its own pve-io status, so the answer shows whose
	// nodes it carries.
	pveIO := map[string]string{"cache": "up", "kv": "down", "static": "unknown"}
	for _, perm := range [][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}} {
		age := map[string]time.Duration{}
		newest := ""
		for i, s := range sources {
			age[s] = ages[perm[i]]
			if perm[i] == 0 {
				newest = s
			}
		}
		t.Run(fmt.Sprintf("cache %v, kv %v, static %v", age["cache"], age["kv"], age["static"]), func(t *testing.T) {
			at := map[string]string{}
			for _, s := range sources {
				at[s] = time.Now().Add(-age[s]).UTC().Format(time.RFC3339)
			}
			origin, originURL := startSwitchOrigin(t)
			dist := distWithStatic(t, built, at["static"], pveIO["static"])
			e := startEdge(t, t.TempDir(), dist, "--compatibility-date="+compatDate, "--kv", "SNAPSHOTS", "--binding", "ORIGIN_URL="+originURL)
			statusURL := e.URL + "/api/v1/status"

			// A live answer fills the cache; then the lab goes away and
			// the admin server's last push is in KV.
			origin.set(http.StatusOK, statusDoc(at["cache"], pveIO["cache"]))
			if a := request(t, http.MethodGet, statusURL); a.Status != http.StatusOK || a.Header.Get("X-Labfront-Snapshot") != "" {
				t.Fatalf("with the lab up: %d %q %s", a.Status, a.Header.Get("X-Labfront-Snapshot"), a.Body)
			}
			origin.set(http.StatusBadGateway, `{"error": "bad gateway"}`)
			e.kvPut(t, "status", []byte(statusDoc(at["kv"], pveIO["kv"])))

			a, info := fallbackWith(t, statusURL, sources...)
			headerAge := a.fallbackFrom(t, newest)
			s := a.status(t)
			if info.Source != newest || s.StaleSince == nil || *s.StaleSince != at[newest] || s.Nodes["pve-io"].Status != pveIO[newest] {
				t.Errorf("want the %s snapshot (taken %s), got %s with stale_since %v: %s", newest, at[newest], info.Source, s.StaleSince, a.Body)
			}
			if !near(&headerAge, age[newest]) || !near(info.AgeSeconds, age[newest]) {
				t.Errorf("age %d s (header), %v (JSON); want about %v", headerAge, info.AgeSeconds, age[newest])
			}
			for _, src := range sources {
				if !near(info.Candidates[src], age[src]) {
					t.Errorf("candidate %s: age %v, want about %v: %s", src, info.Candidates[src], age[src], a.Body)
				}
			}
		})
	}
}

// TestEdgeFallbackUntimed: a snapshot without a usable time — none, one
// that is not a time, one far in the future — loses to any timed one, and
// among snapshots without one the order decides (cache, KV, the build's).
// A cached copy whose own time is unusable counts from when the worker
// stored it.
func TestEdgeFallbackUntimed(t *testing.T) {
	wranglerBin(t)
	built := buildWithSnapshot(t)
	staticAt := time.Now().Add(-50 * time.Hour).UTC().Format(time.RFC3339)

	t.Run("the build's snapshot has a time", func(t *testing.T) {
		origin, originURL := startSwitchOrigin(t)
		e := startEdge(t, t.TempDir(), distWithStatic(t, built, staticAt, "unknown"), "--compatibility-date="+compatDate,
			"--kv", "SNAPSHOTS", "--binding", "ORIGIN_URL="+originURL)
		statusURL := e.URL + "/api/v1/status"
		soon := time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
		hourAgo := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		for _, c := range []struct {
			name, kvTime, want string
			wantAge            time.Duration
		}{
			{"no time", "", "static", 50 * time.Hour},
			{"not a time", "yesterday at noon", "static", 50 * time.Hour},
			{"far in the future", "2999-01-01T00:00:00Z", "static", 50 * time.Hour},
			{"a minute ahead (clock skew)", soon, "kv", 0},
			{"an hour ago", hourAgo, "kv", time.Hour},
		} {
			e.kvPut(t, "status", []byte(statusDoc(c.kvTime, "down")))
			a, info := fallbackWith(t, statusURL, "kv", "static")
			a.fallbackFrom(t, c.want)
			if !near(info.AgeSeconds, c.wantAge) {
				t.Errorf("KV %s: age %v, want about %v: %s", c.name, info.AgeSeconds, c.wantAge, a.Body)
			}
			if kvAge := info.Candidates["kv"]; (c.want == "static") != (kvAge == nil) {
				t.Errorf("KV %s: its candidate age is %v: %s", c.name, kvAge, a.Body)
			}
		}

		// An answer dated far ahead: its cached copy counts from when it
		// was stored, moments ago, so it beats the hour-old KV value.
		origin.set(http.StatusOK, statusDoc("2999-01-01T00:00:00Z", "up"))
		if a := request(t, http.MethodGet, statusURL); a.Status != http.StatusOK || a.Header.Get("X-Labfront-Snapshot") != "" {
			t.Fatalf("with the lab up: %d %q %s", a.Status, a.Header.Get("X-Labfront-Snapshot"), a.Body)
		}
		origin.set(http.StatusServiceUnavailable, `{"error": "unavailable"}`)
		a, info := fallbackWith(t, statusURL, "cache", "kv", "static")
		a.fallbackFrom(t, "cache")
		if s := a.status(t); !near(info.AgeSeconds, 0) || s.StaleSince == nil || *s.StaleSince == "2999-01-01T00:00:00Z" || s.Nodes["pve-io"].Status != "up" {
			t.Errorf("a cached copy with a time far ahead: %s", a.Body)
		}
	})

	t.Run("no snapshot has a time", func(t *testing.T) {
		_, originURL := startSwitchOrigin(t)
		e := startEdge(t, t.TempDir(), distWithStatic(t, built, "", "unknown"), "--compatibility-date="+compatDate,
			"--kv", "SNAPSHOTS", "--binding", "ORIGIN_URL="+originURL)
		statusURL := e.URL + "/api/v1/status"
		a, info := fallbackWith(t, statusURL, "static")
		if age := a.fallbackFrom(t, "static"); age != -1 || info.AgeSeconds != nil || a.status(t).StaleSince != nil {
			t.Errorf("the build's snapshot without a time: %s", a.Body)
		}
		e.kvPut(t, "status", []byte(statusDoc("", "down")))
		a, _ = fallbackWith(t, statusURL, "kv", "static")
		if a.fallbackFrom(t, "kv"); a.status(t).Nodes["pve-io"].Status != "down" {
			t.Errorf("two snapshots without a time: KV comes before the build's: %s", a.Body)
		}
	})
}
