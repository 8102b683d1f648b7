package deploy

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/internal/testkit/cftest"
	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// faultyClient is a deploy client that talks to s through p, with
// attempt limits short enough for a test and a deadline long enough that
// only a stuck deploy reaches it.
func faultyClient(t *testing.T, s *cftest.Server, p *cftest.FaultProxy) (*Client, *sitetest.SyncBuffer) {
	t.Helper()
	w, err := ParseWrangler("wrangler.toml", []byte(testWrangler))
	if err != nil {
		t.Fatal(err)
	}
	logs := &sitetest.SyncBuffer{}
	cfg := Config{Credentials: cfapi.Credentials{APIToken: cfapi.Secret(cftest.DefaultToken), AccountID: s.Options().AccountID, BaseURL: p.APIBase}, Wrangler: w}
	c, err := NewClient(cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	c.RetryBase, c.RetryMax, c.PollInterval = time.Millisecond, 20*time.Millisecond, time.Millisecond
	c.Attempts = 10
	c.AttemptTimeout, c.UploadTimeout = 400*time.Millisecond, 2*time.Second
	c.Deadline = 90 * time.Second
	return c, logs
}

// TestDeployThroughFaultyAPI: through a proxy that answers 503, hangs,
// resets connections and loses answers, every deploy completes, with
// exactly one deployment each, whose manifest names only files the API
// holds. Before these changes a fifth of requests answered 503 failed
// three deploys in five, and one in twenty hanging left four stuck.
func TestDeployThroughFaultyAPI(t *testing.T) {
	_, out := exampleSite(t)
	for _, tc := range []struct {
		name string
		f    cftest.Faults
	}{
		{"a fifth answered 503", cftest.Faults{Unavailable: 0.2}},
		{"some hang", cftest.Faults{Hang: 0.15}},
		{"503 with Retry-After", cftest.Faults{Unavailable: 0.2, RetryAfter: "0"}},
		{"answers later than the attempt waits", cftest.Faults{SlowAnswer: 0.15, DelayFor: time.Second}},
		{"everything at once", cftest.Faults{Unavailable: 0.1, Hang: 0.05, Reset: 0.05, LoseAnswer: 0.05, Delay: 0.1, SlowAnswer: 0.03, DelayFor: 50 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			faults := 0
			for seed := uint64(1); seed <= 4; seed++ {
				s := cftest.New(t, cftest.Options{})
				p := cftest.NewFaultProxy(t, s, seed, tc.f)
				c, logs := faultyClient(t, s, p)
				start := time.Now()
				res, err := c.Deploy(context.Background(), Options{Dir: out, Branch: "main", CommitHash: "0123abc", CommitMessage: "faulty deploy"})
				if err != nil {
					t.Fatalf("seed %d: deploy failed after %s: %v\n%s", seed, time.Since(start), err, logs)
				}
				deps := s.Deployments(cftest.DefaultProject)
				if len(deps) != 1 || deps[0].ID != res.DeploymentID {
					t.Fatalf("seed %d: %d deployments, want exactly the one reported (%s)", seed, len(deps), res.DeploymentID)
				}
				held := s.Files(cftest.DefaultProject)
				for path, h := range deps[0].Manifest {
					if _, ok := held[h]; !ok {
						t.Errorf("seed %d: the deployment names %s, which was never uploaded", seed, path)
					}
				}
				for _, k := range []string{cftest.FaultUnavailable, cftest.FaultHang, cftest.FaultReset, cftest.FaultLoseAnswer, cftest.FaultDelay, cftest.FaultSlowAnswer} {
					faults += p.Count(k)
				}
			}
			if faults < 2 {
				t.Errorf("%d faults injected over four deploys; the test proves little", faults)
			}
		})
	}
}

// TestDeployDeadline: an API that never answers ends the deploy at its
// deadline with a message that says so, and nothing is deployed.
func TestDeployDeadline(t *testing.T) {
	_, out := exampleSite(t)
	s := cftest.New(t, cftest.Options{})
	p := cftest.NewFaultProxy(t, s, 1, cftest.Faults{Hang: 1})
	c, _ := faultyClient(t, s, p)
	c.Deadline, c.AttemptTimeout = 1500*time.Millisecond, 200*time.Millisecond
	c.Attempts = 100
	start := time.Now()
	_, err := c.Deploy(context.Background(), Options{Dir: out, Branch: "main"})
	took := time.Since(start)
	if err == nil {
		t.Fatal("deploy succeeded against an API that never answers")
	}
	if !strings.Contains(err.Error(), "the deploy did not finish within 1.5s") && !strings.Contains(err.Error(), "past the deadline") {
		t.Errorf("error does not name the deadline: %v", err)
	}
	if took > 5*time.Second {
		t.Errorf("deploy took %s with a 1.5s deadline", took)
	}
	if n := len(s.Deployments(cftest.DefaultProject)); n != 0 {
		t.Errorf("%d deployments", n)
	}
}

// TestCreateDeploymentAmbiguous: when the answer to creating the
// deployment is lost, the deploy finds the deployment it made instead of
// failing or making a second one; when the create never reached the API,
// it is made again, once.
func TestCreateDeploymentAmbiguous(t *testing.T) {
	_, out := exampleSite(t)
	creates := func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/deployments")
	}
	for _, tc := range []struct {
		name string
		f    cftest.Faults
		kind string
	}{
		{"answer lost", cftest.Faults{LoseAnswer: 1, Only: creates}, cftest.FaultLoseAnswer},
		{"no answer in time", cftest.Faults{SlowAnswer: 1, DelayFor: time.Second, Only: creates}, cftest.FaultSlowAnswer},
		{"refused before arriving", cftest.Faults{Unavailable: 1, Only: creates}, cftest.FaultUnavailable},
		{"connection reset before arriving", cftest.Faults{Reset: 1, Only: creates}, cftest.FaultReset},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := cftest.New(t, cftest.Options{})
			p := cftest.NewFaultProxy(t, s, 1, tc.f)
			c, logs := faultyClient(t, s, p)
			c.Attempts = 3
			_, err := c.Deploy(context.Background(), Options{Dir: out, Branch: "main", CommitHash: "0123abc", CommitMessage: "ambiguous"})
			deps := s.Deployments(cftest.DefaultProject)
			switch tc.kind {
			case cftest.FaultLoseAnswer, cftest.FaultSlowAnswer:
				// Every create arrives: the first is found again.
				if err != nil {
					t.Fatalf("deploy failed although its deployment exists: %v\n%s", err, logs)
				}
				if len(deps) != 1 {
					t.Fatalf("%d deployments, want 1", len(deps))
				}
				if p.Count(tc.kind) != 1 {
					t.Errorf("%d creates were sent, want 1", p.Count(tc.kind))
				}
				if !strings.Contains(logs.String(), "it was created") {
					t.Errorf("log does not say the deployment was found:\n%s", logs)
				}
			default:
				// No create ever arrives: each try is made again after
				// the list shows nothing, and the deploy fails clearly.
				if err == nil || !strings.Contains(err.Error(), "giving up after 3 attempts") {
					t.Fatalf("err = %v, want giving up after 3 attempts", err)
				}
				if len(deps) != 0 {
					t.Fatalf("%d deployments, want none", len(deps))
				}
				if p.Count(tc.kind) != 3 {
					t.Errorf("%d creates were sent, want 3", p.Count(tc.kind))
				}
			}
		})
	}
}

// TestRetryAfter: the wait the API asks for is kept, also past the
// backoff cap, and a wait that would end past the deadline is not begun.
func TestRetryAfter(t *testing.T) {
	s := cftest.New(t, cftest.Options{})
	p := cftest.NewFaultProxy(t, s, 1, cftest.Faults{Unavailable: 1, RetryAfter: "3"})
	c, _ := faultyClient(t, s, p)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.Deployments(ctx, 5)
	if err == nil || !strings.Contains(err.Error(), "would be past the deadline") {
		t.Fatalf("err = %v, want the Retry-After wait refused for the deadline", err)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("took %s: it waited instead of stopping", took)
	}
	if n := p.Count(cftest.FaultUnavailable); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}
