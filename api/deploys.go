package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/labfront/labfront/deploy"
	"github.com/labfront/labfront/deploy/deployrun"
	"github.com/labfront/labfront/internal/cfapi"
	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/gitrepo"
	"github.com/labfront/labfront/templates"
)

// cloudflareTimeout bounds an API call made while a page waits.
const cloudflareTimeout = 15 * time.Second

// maxPurgeLines bounds the prefixes one purge action takes.
const maxPurgeLines = 100

// cloudflareClient is the deploy client for the site's Pages project, or
// why there is none (credentials missing, wrangler.toml unreadable).
func (s *Server) cloudflareClient() (*deploy.Client, deploy.Config, error) {
	cf, err := deployrun.Cloudflare(s.cfg.Deploys, s.cfg.Site)
	if err != nil {
		return nil, cf, err
	}
	if err := cf.CheckCredentials(); err != nil {
		return nil, cf, err
	}
	c, err := deploy.NewClient(cf, s.log)
	return c, cf, err
}

// deploysPage is /admin/deploys.
func (s *Server) deploysPage(c echo.Context) error {
	return render(c, http.StatusOK, templates.AdminDeploys(s.deploysView(c, nil)))
}

// deploysView asks Cloudflare for the deployments afresh: they change
// from outside (other deploys, the dashboard).
func (s *Server) deploysView(c echo.Context, outcome *templates.DeployOutcome) templates.DeploysView {
	v := templates.DeploysView{
		Head:    s.head(c, "Deploys", "/admin/deploys"),
		Outcome: outcome,
		Git:     templates.GitDeploys{Configured: s.deploys != nil, Repo: gitrepo.RedactURL(s.cfg.Deploys.Repo), Branch: s.cfg.Deploys.Branch, Hook: "/hooks/git"},
	}
	// The store's updates would re-ask Cloudflare on every collection.
	v.Head.Events = ""
	if v.Git.Branch == "" {
		v.Git.Branch = "main"
	}
	client, cf, err := s.cloudflareClient()
	v.Project = cf.Project()
	if err != nil {
		v.Cloudflare = err.Error()
	} else {
		ctx, cancel := context.WithTimeout(c.Request().Context(), cloudflareTimeout)
		list, err := client.Deployments(ctx, 20)
		cancel()
		if err != nil {
			v.ListError = err.Error()
		}
		for _, d := range list {
			v.Deployments = append(v.Deployments, deploymentRow(d, s.now()))
		}
	}
	v.PurgeDefault = s.purgeDefault()
	admin := identity(c).Admin
	v.Rollback, v.DeployNow, v.Purge = s.actionStates(admin, v.Cloudflare != "", cf.ZoneID != "")
	if s.deploys != nil {
		running, pending, runs := s.deploys.Runs()
		if running != nil {
			r := runRow(*running, s.now())
			v.Running = &r
		}
		if pending != nil {
			r := runRow(*pending, s.now())
			v.Queued = &r
		}
		for _, r := range runs {
			v.Runs = append(v.Runs, runRow(r, s.now()))
		}
	}
	return v
}

// actionStates says which actions a user may take and why not; the
// handlers check the same conditions again.
func (s *Server) actionStates(admin, noCloudflare, zone bool) (rollback, deployNow, purge templates.ActionState) {
	off := func(reason string) templates.ActionState { return templates.ActionState{Reason: reason} }
	switch {
	case !admin:
		r := off("Deploy actions need the admin role.")
		return r, r, r
	case noCloudflare:
		r := off("Off until the Cloudflare credentials are set (see above).")
		return r, r, r
	}
	rollback, deployNow, purge = templates.ActionState{On: true}, templates.ActionState{On: true}, templates.ActionState{On: true}
	if s.deploys == nil {
		deployNow = off("Git-push deploys are not configured (deploys: in the admin config).")
	}
	if !zone {
		purge = off("Purging needs the zone: set " + cfapi.EnvZoneID + ".")
	}
	return rollback, deployNow, purge
}

// purgeDefault is the site's host and "/": the whole site.
func (s *Server) purgeDefault() string {
	site, err := content.LoadConfig(s.cfg.Site)
	if err != nil {
		return ""
	}
	u, err := url.Parse(site.BaseURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Host + "/"
}

func deploymentRow(d deploy.Deployment, now time.Time) templates.DeploymentRow {
	return templates.DeploymentRow{
		ID: d.ID, ShortID: d.ShortID, Environment: d.Environment, Stage: d.Stage, Status: d.Status,
		Branch: d.Branch, Commit: d.CommitHash, CommitShort: d.CommitHash[:min(len(d.CommitHash), 8)],
		Message: deployrun.FirstLine(d.CommitMessage), Time: clock(d.CreatedOn, now) + " (" + ago(d.CreatedOn, now) + ")",
		TimeISO: d.CreatedOn.UTC().Format(time.RFC3339), URL: d.URL, Live: d.Live,
		CanRollback: d.Environment == "production" && d.Succeeded() && !d.Live,
	}
}

func runRow(r deployrun.View, now time.Time) templates.RunRow {
	row := templates.RunRow{
		ID: strconv.Itoa(r.ID), URL: "/admin/deploys/" + strconv.Itoa(r.ID), Trigger: r.Trigger, Who: r.Who, Branch: r.Branch,
		Commit: r.Commit, CommitShort: r.Commit[:min(len(r.Commit), 8)], State: r.State, Error: r.Error,
		Queued: clock(r.Queued, now), QueuedISO: r.Queued.UTC().Format(time.RFC3339), DeploymentURL: r.URL,
	}
	if !r.Ended.IsZero() && !r.Started.IsZero() {
		row.Took = r.Ended.Sub(r.Started).Round(100 * time.Millisecond).String()
	}
	return row
}

// deployAction is how an action ended: the page's answer and the audit
// record's result.
type deployAction struct {
	code    int
	result  string // ok, failed, refused
	target  string
	outcome templates.DeployOutcome
}

// answer is the outcome of a deploy action: its audit record, and the
// deploys page carrying it.
func (s *Server) answer(c echo.Context, a deployAction) actionOutcome {
	o := actionOutcome{target: a.target, result: a.result}
	if a.result != "ok" {
		o.err = strings.TrimSpace(a.outcome.Title + " " + a.outcome.Detail)
	}
	o.answer = func() error { return render(c, a.code, templates.AdminDeploys(s.deploysView(c, &a.outcome))) }
	return o
}

// confirmed answers a form sent without its confirmation box ticked, and
// says whether it was.
func (s *Server) confirmed(c echo.Context) (bool, error) {
	if c.FormValue("confirm") == "yes" {
		return true, nil
	}
	o := templates.DeployOutcome{Title: "Confirm the action first: tick the box next to the button."}
	return false, render(c, http.StatusBadRequest, templates.AdminDeploys(s.deploysView(c, &o)))
}

func refusedAction(code int, target, title, detail string) deployAction {
	return deployAction{code: code, result: "refused", target: target, outcome: templates.DeployOutcome{Title: title, Detail: detail}}
}

// deploysRollback makes an earlier production deployment live again (the
// route table has already checked identity, the admin role and the
// origin).
func (s *Server) deploysRollback(c echo.Context) (*actionWork, error) {
	if ok, err := s.confirmed(c); !ok {
		return nil, err
	}
	return &actionWork{name: "rollback", run: func() actionOutcome {
		id := c.Param("id")
		target := "deployment " + strconv.QuoteToASCII(id[:min(len(id), 64)])
		client, cf, err := s.cloudflareClient()
		if err != nil {
			return s.answer(c, refusedAction(http.StatusServiceUnavailable, target, "Not rolled back: Cloudflare cannot be reached from this server.", err.Error()))
		}
		target = "deployment " + id + " of " + cf.Project()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), cloudflareTimeout)
		d, err := client.Rollback(ctx, id)
		cancel()
		if err != nil {
			return s.answer(c, deployAction{code: http.StatusBadGateway, result: "failed", target: target,
				outcome: templates.DeployOutcome{Title: "Rollback failed.", Detail: err.Error()}})
		}
		return s.answer(c, deployAction{code: http.StatusOK, result: "ok", target: target,
			outcome: templates.DeployOutcome{OK: true, Title: "Rolled back: deployment " + d.ShortID + " is live again.", Detail: d.URL}})
	}}, nil
}

// deploysDeployNow queues a deploy of the configured branch's head.
func (s *Server) deploysDeployNow(c echo.Context) (*actionWork, error) {
	if ok, err := s.confirmed(c); !ok {
		return nil, err
	}
	return &actionWork{name: "deploy-now", run: func() actionOutcome {
		branch := s.cfg.Deploys.Branch
		target := "head of " + branch
		if s.deploys == nil {
			return s.answer(c, refusedAction(http.StatusConflict, "head of the site's branch", "Not queued: git-push deploys are not configured.", "Add a deploys: key to the admin config."))
		}
		if _, _, err := s.cloudflareClient(); err != nil {
			return s.answer(c, refusedAction(http.StatusServiceUnavailable, target, "Not queued: Cloudflare cannot be reached from this server.", err.Error()))
		}
		if err := s.deploys.RoomToDeploy(); err != nil {
			return s.answer(c, refusedAction(http.StatusInsufficientStorage, target, "Not queued: the disk is full.", err.Error()))
		}
		run, reason := s.deploys.Enqueue(deployrun.Job{Trigger: deployrun.TriggerManual, Who: identity(c).Email})
		if run == nil {
			return s.answer(c, refusedAction(http.StatusConflict, target, "Not queued.", reason))
		}
		return s.answer(c, deployAction{code: http.StatusOK, result: "ok", target: fmt.Sprintf("run %d: %s", run.ID, target),
			outcome: templates.DeployOutcome{OK: true, Title: fmt.Sprintf("Queued run %d: the head of %s will be fetched, built, checked and deployed.", run.ID, branch),
				Link: "/admin/deploys/" + strconv.Itoa(run.ID)}})
	}}, nil
}

// deploysPurge purges Cloudflare's cache under the prefixes of the form.
func (s *Server) deploysPurge(c echo.Context) (*actionWork, error) {
	if ok, err := s.confirmed(c); !ok {
		return nil, err
	}
	return &actionWork{name: "purge", run: func() actionOutcome {
		prefixes, err := purgePrefixes(c.FormValue("prefixes"))
		target := strings.Join(prefixes, " ")
		if err != nil {
			return s.answer(c, refusedAction(http.StatusBadRequest, "cache", "Not purged: "+err.Error(), ""))
		}
		client, cf, err := s.cloudflareClient()
		if err != nil {
			return s.answer(c, refusedAction(http.StatusServiceUnavailable, target, "Not purged: Cloudflare cannot be reached from this server.", err.Error()))
		}
		if cf.ZoneID == "" {
			return s.answer(c, refusedAction(http.StatusServiceUnavailable, target, "Not purged: purging needs the zone.", "Set "+cfapi.EnvZoneID+"."))
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), cloudflareTimeout)
		err = client.PurgePrefixes(ctx, prefixes)
		cancel()
		if err != nil {
			return s.answer(c, deployAction{code: http.StatusBadGateway, result: "failed", target: target,
				outcome: templates.DeployOutcome{Title: "Purge failed.", Detail: err.Error()}})
		}
		return s.answer(c, deployAction{code: http.StatusOK, result: "ok", target: target,
			outcome: templates.DeployOutcome{OK: true, Title: fmt.Sprintf("Purged %d prefixes from the cache.", len(prefixes)), Detail: target}})
	}}, nil
}

// purgePrefixes reads the form's prefixes: one a line (or separated by
// spaces or commas), host and path without a scheme.
func purgePrefixes(raw string) ([]string, error) {
	fields := strings.FieldsFunc(raw, func(r rune) bool { return r == '\n' || r == '\r' || r == ' ' || r == '\t' || r == ',' })
	if len(fields) == 0 {
		return nil, errors.New("no prefixes given")
	}
	if len(fields) > maxPurgeLines {
		return nil, fmt.Errorf("%d prefixes; at most %d at once", len(fields), maxPurgeLines)
	}
	for i, p := range fields {
		if strings.Contains(p, "://") {
			u, err := url.Parse(p)
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("prefix %d, %q, is not a URL", i+1, p)
			}
			p = u.Host + u.EscapedPath()
			fields[i] = p
		}
		if strings.HasPrefix(p, "/") || !strings.Contains(p, ".") {
			return nil, fmt.Errorf("prefix %d, %q, must start with the host, like example.com/blog/", i+1, p)
		}
	}
	return fields, nil
}

// runView finds the run named by the :run parameter, with its log from
// line from on.
func (s *Server) runView(c echo.Context, from int) (deployrun.View, error) {
	id, err := strconv.Atoi(c.Param("run"))
	if s.deploys == nil || err != nil {
		return deployrun.View{}, echo.NewHTTPError(http.StatusNotFound, "No deploy run has this number.")
	}
	v, ok := s.deploys.View(id, from)
	if !ok {
		return deployrun.View{}, echo.NewHTTPError(http.StatusNotFound, "No deploy run has this number (only recent runs are kept).")
	}
	return v, nil
}

// deployRunPage is /admin/deploys/{run}: the log so far, complete without
// JavaScript. While the run goes on, the frame's event stream is the
// run's, whose update events make the admin island refresh the log.
func (s *Server) deployRunPage(c echo.Context) error {
	v, err := s.runView(c, 0)
	if err != nil {
		return err
	}
	row := runRow(v, s.now())
	page := templates.DeployRunView{Head: s.head(c, "Deploy run "+row.ID, "/admin/deploys"), Run: row, Dropped: v.Dropped, Live: !v.Finished()}
	page.Head.Events = ""
	if page.Live {
		page.Head.Events = row.URL + "/events"
	}
	for _, l := range v.Lines {
		page.Lines = append(page.Lines, templates.LogLine{Time: l.Time.UTC().Format("15:04:05.000"), TimeISO: l.Time.UTC().Format(time.RFC3339Nano), Text: l.Text})
	}
	return render(c, http.StatusOK, templates.AdminDeployRun(page))
}

// streamLine is a log line as the event stream sends it.
type streamLine struct {
	Time time.Time `json:"time"`
	Text string    `json:"text"`
}

// deployRunEvents is /admin/deploys/{run}/events: the run's log over
// server-sent events. Each line is a "line" event whose id is its number,
// so a reconnecting EventSource resumes after the last line it got; each
// batch is followed by an "update" event (the admin island refreshes the
// page on it); the end of the run is an "end" event carrying the result,
// after which the stream closes. Reconnecting to a finished run whose end
// was already seen gets 204, which tells EventSource to stop.
func (s *Server) deployRunEvents(c echo.Context) error {
	from := 0
	resumed := false
	if last := c.Request().Header.Get("Last-Event-ID"); last != "" {
		if n, err := strconv.Atoi(last); err == nil && n >= 0 {
			from, resumed = n+1, true
		}
	}
	v, err := s.runView(c, from)
	if err != nil {
		return err
	}
	if resumed && v.Finished() && len(v.Lines) == 0 {
		return c.NoContent(http.StatusNoContent)
	}
	w := c.Response()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, ": connected\n\n"); err != nil {
		return nil // the client left
	}
	w.Flush()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		if v.Dropped > from {
			if _, err := fmt.Fprintf(w, "event: dropped\ndata: %d\n\n", v.Dropped-from); err != nil {
				return nil
			}
			from = v.Dropped
		}
		for _, l := range v.Lines {
			data, err := json.Marshal(streamLine{Time: l.Time, Text: l.Text})
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "id: %d\nevent: line\ndata: %s\n\n", l.Seq, data); err != nil {
				return nil
			}
			from = l.Seq + 1
		}
		if len(v.Lines) > 0 {
			if _, err := fmt.Fprintf(w, "event: update\ndata: %d\n\n", from); err != nil {
				return nil
			}
		}
		if v.Finished() {
			data, err := json.Marshal(map[string]string{"state": v.State, "error": v.Error, "url": v.URL})
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "event: end\ndata: %s\n\n", data); err != nil {
				return nil
			}
			w.Flush()
			return nil
		}
		w.Flush()
		select {
		case <-c.Request().Context().Done():
			return nil
		case <-s.shutdown:
			return nil
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			w.Flush()
		case <-v.Changed:
		}
		var ok bool
		if v, ok = s.deploys.View(v.ID, from); !ok {
			return nil // dropped from memory meanwhile
		}
	}
}
