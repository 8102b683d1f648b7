package deploy

import (
	"context"
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/testkit/cftest"
)

// TestDeploymentsAndRollback lists deployments newest first with the live
// one marked, rolls back to the older one, and shows Cloudflare's refusal
// of an unknown deployment.
func TestDeploymentsAndRollback(t *testing.T) {
	s := cftest.New(t, cftest.Options{DeploySteps: 1})
	c, _ := testClient(t, s, cftest.DefaultToken)
	_, out := exampleSite(t)
	ctx := context.Background()
	first, err := c.Deploy(ctx, Options{Dir: out, Branch: "main", CommitHash: "1111111111111111111111111111111111111111", CommitMessage: "first"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Deploy(ctx, Options{Dir: out, Branch: "main", CommitHash: "2222222222222222222222222222222222222222", CommitMessage: "second"})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.Deployments(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != second.DeploymentID || list[1].ID != first.DeploymentID {
		t.Fatalf("deployments %+v", list)
	}
	if d := list[0]; !d.Live || d.Environment != "production" || d.Branch != "main" || d.CommitHash != strings.Repeat("2", 40) ||
		d.CommitMessage != "second" || !d.Succeeded() || d.URL == "" || d.CreatedOn.IsZero() {
		t.Errorf("newest %+v", d)
	}
	if list[1].Live {
		t.Error("the older deployment is marked live")
	}
	if got, err := c.Deployments(ctx, 1); err != nil || len(got) != 1 {
		t.Errorf("limit 1: %d, %v", len(got), err)
	}

	rb, err := c.Rollback(ctx, first.DeploymentID)
	if err != nil {
		t.Fatal(err)
	}
	if rb.ID != first.DeploymentID || s.Canonical(cftest.DefaultProject) != first.DeploymentID {
		t.Errorf("rollback answered %s; live is %s, want %s", rb.ID, s.Canonical(cftest.DefaultProject), first.DeploymentID)
	}
	if n := s.Count(cftest.RouteDeploymentRollback); n != 1 {
		t.Errorf("%d rollback calls", n)
	}
	if _, err := c.Rollback(ctx, "no-such-deployment"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("unknown deployment: %v", err)
	}
}
