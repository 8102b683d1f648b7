package templates

// DeploysView is /admin/deploys: the Pages deployments, the git-push
// deploy queue with its recent runs, and the deploy actions.
type DeploysView struct {
	Head    AdminHead
	Project string // the Pages project, from wrangler.toml
	// Cloudflare says why the API cannot be used (credentials missing,
	// wrangler.toml unreadable), "" when it can.
	Cloudflare string
	// ListError is why the deployments could not be listed this time.
	ListError   string
	Deployments []DeploymentRow
	Git         GitDeploys
	Running     *RunRow
	Queued      *RunRow
	Runs        []RunRow
	// Outcome is the result of the action this page answers, nil on a
	// plain GET.
	Outcome *DeployOutcome
	// Each action is on with its form, or off with the reason shown.
	Rollback  ActionState
	DeployNow ActionState
	Purge     ActionState
	// PurgeDefault is the purge form's default prefix ("example.com/").
	PurgeDefault string
}

// ActionState says whether an action's form is live, and why not.
type ActionState struct {
	On     bool
	Reason string
}

// GitDeploys describes the webhook's configuration.
type GitDeploys struct {
	Configured bool
	Repo       string // credentials hidden
	Branch     string
	Hook       string // the webhook's path, /hooks/git
}

// DeploymentRow is one Pages deployment.
type DeploymentRow struct {
	ID, ShortID         string
	Environment         string
	Stage, Status       string
	Branch              string
	Commit, CommitShort string
	Message             string
	Time, TimeISO       string
	URL                 string
	Live                bool
	// CanRollback: a successful production deployment that is not live.
	CanRollback bool
}

// RunRow is one git-push or deploy-now run.
type RunRow struct {
	ID, URL             string // URL is the run's log page
	Trigger, Who        string
	Branch              string
	Commit, CommitShort string
	State               string // queued, running, ok, failed, superseded
	Error               string
	Queued, QueuedISO   string
	Took                string // "" until it ends
	DeploymentURL       string
}

// DeployOutcome is what an action did.
type DeployOutcome struct {
	OK     bool
	Title  string
	Detail string
	Link   string // a page to follow, such as the queued run's log
}

// DeployRunView is /admin/deploys/{run}: a run's log so far.
type DeployRunView struct {
	Head    AdminHead
	Run     RunRow
	Lines   []LogLine
	Dropped int  // early lines no longer kept
	Live    bool // the run is still going: the log streams
}

// LogLine is one line of a run's log.
type LogLine struct {
	Time, TimeISO, Text string
}
