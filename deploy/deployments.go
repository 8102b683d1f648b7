package deploy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/packages/pagination"
	"github.com/cloudflare/cloudflare-go/v6/pages"
)

// Deployment is one Pages deployment as the admin server shows it.
type Deployment struct {
	ID          string
	ShortID     string
	Environment string // production or preview
	// Stage and Status are the latest stage (queued, initialize,
	// clone_repo, build, deploy) and how it stands (active, success,
	// failure, canceled, idle).
	Stage, Status string
	Branch        string
	CommitHash    string
	CommitMessage string
	Trigger       string // ad_hoc for direct uploads, github:push for Git integration
	CreatedOn     time.Time
	URL           string
	Aliases       []string
	// Live is true for the project's canonical deployment: the one its
	// production domain serves.
	Live bool
}

// Succeeded reports whether the deployment finished its deploy stage
// successfully: only such production deployments can be rolled back to.
func (d Deployment) Succeeded() bool {
	return d.Stage == string(pages.StageNameDeploy) && d.Status == string(pages.StageStatusSuccess)
}

// Deployments lists the project's most recent deployments, newest first,
// at most n (Cloudflare pages them; one page is enough for a status page),
// and marks the one the production domain serves.
func (c *Client) Deployments(ctx context.Context, n int) ([]Deployment, error) {
	project := c.cfg.Project()
	if project == "" {
		return nil, errors.New("no Pages project: wrangler.toml has no name")
	}
	n = min(max(n, 1), 25)
	var proj *pages.Project
	err := c.retry(0).Do(ctx, "get the Pages project "+project, func(ctx context.Context) error {
		var err error
		proj, err = c.cf.Pages.Projects.Get(ctx, project, pages.ProjectGetParams{AccountID: cloudflare.F(c.cfg.AccountID)})
		return err
	})
	if err != nil {
		return nil, c.explain(err, "get the Pages project "+project)
	}
	var page *pagination.V4PagePaginationArray[pages.Deployment]
	err = c.retry(0).Do(ctx, "list the deployments of "+project, func(ctx context.Context) error {
		var err error
		page, err = c.cf.Pages.Projects.Deployments.List(ctx, project, pages.ProjectDeploymentListParams{
			AccountID: cloudflare.F(c.cfg.AccountID),
			PerPage:   cloudflare.F(int64(n)),
		})
		return err
	})
	if err != nil {
		return nil, c.explain(err, "list the deployments of "+project)
	}
	out := make([]Deployment, 0, min(n, len(page.Result)))
	for _, d := range page.Result {
		if len(out) == n {
			break
		}
		out = append(out, deploymentOf(d, proj.CanonicalDeployment.ID))
	}
	return out, nil
}

// Rollback makes an earlier successful production deployment the live one
// again. Cloudflare refuses previews and failed deployments; its message
// comes back in the error.
func (c *Client) Rollback(ctx context.Context, deploymentID string) (Deployment, error) {
	project := c.cfg.Project()
	if project == "" {
		return Deployment{}, errors.New("no Pages project: wrangler.toml has no name")
	}
	if deploymentID == "" {
		return Deployment{}, errors.New("rollback: no deployment id given")
	}
	// Rolling back to the same deployment twice ends where once does, so
	// a rollback is retried like a read.
	var d *pages.Deployment
	err := c.retry(0).Do(ctx, "roll back", func(ctx context.Context) error {
		var err error
		d, err = c.cf.Pages.Projects.Deployments.Rollback(ctx, project, deploymentID, pages.ProjectDeploymentRollbackParams{
			AccountID: cloudflare.F(c.cfg.AccountID),
		})
		return err
	})
	if err != nil {
		return Deployment{}, c.explain(err, fmt.Sprintf("roll %s back to deployment %s", project, deploymentID))
	}
	return deploymentOf(*d, d.ID), nil
}

func deploymentOf(d pages.Deployment, canonical string) Deployment {
	m := d.DeploymentTrigger.Metadata
	return Deployment{
		ID: d.ID, ShortID: d.ShortID, Environment: string(d.Environment),
		Stage: string(d.LatestStage.Name), Status: string(d.LatestStage.Status),
		Branch: m.Branch, CommitHash: m.CommitHash, CommitMessage: m.CommitMessage,
		Trigger: string(d.DeploymentTrigger.Type), CreatedOn: d.CreatedOn, URL: d.URL, Aliases: d.Aliases,
		Live: canonical != "" && d.ID == canonical,
	}
}
