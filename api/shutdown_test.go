package api

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/labfront/labfront/deploy/deployrun"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/testkit/cftest"
)

// TestShutdownWaitsForDeploy: a graceful stop while a deploy is in
// progress lets it finish: Serve does not return until the run has its
// result, the deployment is made, and the deployed commit is saved for
// the next start.
func TestShutdownWaitsForDeploy(t *testing.T) {
	e := newDeployEnv(t, deployEnvOpts{serve: true})
	atDeploy, release := make(chan struct{}), make(chan struct{})
	e.srv.deploys.BeforeStage = func(_ int, stage string) {
		if stage == "deploy" {
			close(atDeploy)
			<-release
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln) }()

	sha := e.push(t, "shutdown")
	body := pushBody("refs/heads/main", sha)
	if rec, ans := hook(t, e.srv.Handler(), body, github(body, "shutdown-1")); ans.Status != "queued" {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	select {
	case <-atDeploy:
	case <-time.After(2 * time.Minute):
		t.Fatal("the run did not reach its deploy stage")
	}
	stop() // SIGTERM
	// The HTTP side stops at once; Serve must still be waiting for the run.
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) while a deploy was in progress", err)
	case <-time.After(time.Second):
	}
	close(release)
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("Serve did not return after the deploy finished")
	}
	v, ok := e.srv.deploys.View(1, 0)
	if !ok || v.State != deployrun.OK {
		t.Fatalf("run 1 after the stop: %s %q\n%s", v.State, v.Error, logText(v))
	}
	if deps := e.cf.Deployments(cftest.DefaultProject); len(deps) != 1 || deps[0].CommitHash != sha {
		t.Errorf("%d deployments after the stop, want one of %s", len(deps), sha)
	}
	// The state was saved before Serve returned: a fresh queue on the
	// same work dir knows the commit is deployed.
	if _, err := os.Stat(filepath.Join(e.srv.deploys.Config().WorkDir, "state.json")); err != nil {
		t.Fatal(err)
	}
	again, err := deployrun.Open(e.srv.cfg.Deploys, deployrun.Options{Files: e.srv.files, StateDir: e.srv.cfg.StateDir, Audit: e.srv.audit, Log: quietLog(), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Deployed(); len(got) == 0 || got[len(got)-1] != sha {
		t.Errorf("deployed commits after the restart %v, want %s last", got, sha)
	}
	if recs := auditRecords(t, e.srv); len(recs) == 0 || recs[0].Action != "deploy" || recs[0].Result != "ok" {
		t.Errorf("audit after the stop: %+v", recs)
	}
}

// slowStop is a collector whose collection, once cancelled, takes a
// minute to wind down (a source that ignores cancellation for a while).
type slowStop struct{ ended chan struct{} }

func (c *slowStop) Collect(ctx context.Context) (*live.Result, error) {
	<-ctx.Done()
	time.Sleep(time.Minute)
	close(c.ended)
	return nil, ctx.Err()
}

// TestBackgroundJoinsLoops: Background returns only after every loop it
// started has ended, a collection that is slow to stop included.
func TestBackgroundJoinsLoops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := live.Source{Name: "slow", Type: "demo", Interval: time.Hour, Timeout: 2 * time.Hour}
		c := &slowStop{ended: make(chan struct{})}
		s := newServer(t, devConfig(src), map[string]live.Collector{src.Name: c})
		ctx, cancel := context.WithCancel(t.Context())
		returned := make(chan struct{})
		go func() {
			defer close(returned)
			s.Background(ctx)
		}()
		synctest.Wait() // the collection is under way
		cancel()
		synctest.Wait()
		select {
		case <-returned:
			t.Fatal("Background returned while a collection was still winding down")
		default:
		}
		<-returned
		select {
		case <-c.ended:
		default:
			t.Fatal("Background returned before the collection ended")
		}
	})
}
