package api

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/deploy/deployrun"
	"github.com/labfront/labfront/internal/testkit/cftest"
)

// postForm sends an action form with an identity and Sec-Fetch-Site.
func postForm(t *testing.T, h http.Handler, path string, form url.Values, token, site string) *httptest.ResponseRecorder {
	t.Helper()
	req := newRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("Cf-Access-Jwt-Assertion", token)
	}
	if site != "" {
		req.Header.Set("Sec-Fetch-Site", site)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestDeployActions: deploy now builds and deploys the branch head;
// the page lists the deployments with the live one marked; rollback and
// purge need the admin role and the same origin, land as the right API
// calls and leave audit records.
func TestDeployActions(t *testing.T) {
	iss := newAccessIssuer(t)
	e := newDeployEnv(t, deployEnvOpts{auth: accessConfig(iss).Auth})
	h := e.srv.Handler()
	admin := iss.token(t, tokenOpts{email: "ops@lab.test"})
	viewer := iss.token(t, tokenOpts{email: "guest@lab.test"})
	yes := url.Values{"confirm": {"yes"}}

	// Two deploys of the head through the action: the second is a new
	// deployment of the same commit, so there is one to roll back to.
	head := gitT(t, e.work, "rev-parse", "HEAD")
	for i := 1; i <= 2; i++ {
		rec := postForm(t, h, "/admin/deploys/deploy-now", yes, admin, "same-origin")
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Queued run "+strconv.Itoa(i)) {
			t.Fatalf("deploy now: %d %s", rec.Code, rec.Body.String())
		}
		if run := waitRun(t, e.srv.deploys, i); run.State != deployrun.OK || run.Commit != head {
			t.Fatalf("run %d %s at %s: %s\n%s", i, run.State, run.Commit, run.Error, logText(run))
		}
	}
	checkKVSnapshot(t, e.cf)
	deps := e.cf.Deployments(cftest.DefaultProject)
	if len(deps) != 2 || deps[0].CommitHash != head || e.cf.Canonical(cftest.DefaultProject) != deps[1].ID {
		t.Fatalf("%d deployments", len(deps))
	}
	older, newer := deps[0], deps[1]

	// The page, for a viewer: both deployments, the live one marked, the
	// runs, and every action off with the reason.
	rec := get(t, h, "/admin/deploys", map[string]string{"Cf-Access-Jwt-Assertion": viewer})
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("page: %d", rec.Code)
	}
	for _, want := range []string{older.ShortID, newer.ShortID, "status st-live", head[:8], "run 1", "run 2", "Deploy actions need the admin role.", `href="/admin/deploys" aria-current="page"`, "lab.example.dev/"} {
		if !strings.Contains(body, want) {
			t.Errorf("viewer page lacks %q", want)
		}
	}
	if n := strings.Count(body, `<button type="submit" disabled`); n != 3 {
		t.Errorf("viewer page: %d disabled buttons, want 3 (rollback, deploy now, purge)", n)
	}
	// The admin sees a live rollback form for the older deployment only.
	rec = get(t, h, "/admin/deploys", map[string]string{"Cf-Access-Jwt-Assertion": admin})
	rollback := "/admin/deploys/deployments/" + older.ID + "/rollback"
	if !strings.Contains(rec.Body.String(), `action="`+rollback+`"`) || strings.Contains(rec.Body.String(), "/deployments/"+newer.ID+"/rollback") {
		t.Error("admin page: the rollback form is not (only) on the older deployment")
	}

	// Refusals before the handler: no identity, viewer, cross-site admin.
	for _, path := range []string{rollback, "/admin/deploys/purge", "/admin/deploys/deploy-now"} {
		for _, tc := range []struct {
			name, token, site string
			code              int
		}{
			{"anonymous", "", "same-origin", http.StatusUnauthorized},
			{"viewer", viewer, "same-origin", http.StatusForbidden},
			{"cross-site admin", admin, "cross-site", http.StatusForbidden},
		} {
			if rec := postForm(t, h, path, url.Values{"confirm": {"yes"}, "prefixes": {"lab.example.dev/"}}, tc.token, tc.site); rec.Code != tc.code {
				t.Errorf("%s %s: %d, want %d", tc.name, path, rec.Code, tc.code)
			}
		}
	}
	// Unconfirmed: answered, not done, not audited.
	if rec := postForm(t, h, rollback, nil, admin, "same-origin"); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "Confirm the action first") {
		t.Errorf("unconfirmed: %d", rec.Code)
	}
	if e.cf.Count(cftest.RouteDeploymentRollback) != 0 || len(e.cf.Purges()) != 0 {
		t.Fatal("a refused request reached Cloudflare")
	}
	auditBefore := len(auditRecords(t, e.srv))

	rec = postForm(t, h, rollback, yes, admin, "same-origin")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Rolled back: deployment "+older.ShortID+" is live again.") {
		t.Errorf("rollback: %d %s", rec.Code, rec.Body.String())
	}
	if e.cf.Count(cftest.RouteDeploymentRollback) != 1 || e.cf.Canonical(cftest.DefaultProject) != older.ID {
		t.Errorf("rollback did not make %s live (live: %s)", older.ID, e.cf.Canonical(cftest.DefaultProject))
	}
	// Cloudflare's refusal comes back as a failed action.
	rec = postForm(t, h, "/admin/deploys/deployments/not-a-deployment/rollback", yes, admin, "same-origin")
	if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "does not exist") {
		t.Errorf("rollback to nothing: %d", rec.Code)
	}

	rec = postForm(t, h, "/admin/deploys/purge", url.Values{"confirm": {"yes"}, "prefixes": {"lab.example.dev/blog/\nhttps://lab.example.dev/notes/"}}, admin, "same-origin")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Purged 2 prefixes") {
		t.Errorf("purge: %d %s", rec.Code, rec.Body.String())
	}
	purges := e.cf.Purges()
	if len(purges) != 1 || purges[0].Zone != cftest.DefaultZoneID || !slices.Equal(purges[0].Prefixes, []string{"lab.example.dev/blog/", "lab.example.dev/notes/"}) {
		t.Errorf("purges %+v", purges)
	}
	if rec := postForm(t, h, "/admin/deploys/purge", url.Values{"confirm": {"yes"}, "prefixes": {"/blog/"}}, admin, "same-origin"); rec.Code != http.StatusBadRequest || len(e.cf.Purges()) != 1 {
		t.Errorf("purge of a path without host: %d", rec.Code)
	}

	recs := auditRecords(t, e.srv)[:len(auditRecords(t, e.srv))-auditBefore]
	var got []string
	for _, r := range recs {
		if r.Who != "ops@lab.test" {
			t.Errorf("record by %q", r.Who)
		}
		got = append(got, r.Action+" "+r.Result)
	}
	slices.Reverse(got)
	if want := []string{"rollback ok", "rollback failed", "purge ok", "purge refused"}; !slices.Equal(got, want) {
		t.Errorf("audit %q, want %q", got, want)
	}
	if r := recs[len(recs)-1]; !strings.Contains(r.Target, older.ID) {
		t.Errorf("rollback record target %q", r.Target)
	}
}

// TestDeploysNoCredentials: without Cloudflare credentials the page says
// so and the actions are off, and the server refuses them too.
func TestDeploysNoCredentials(t *testing.T) {
	e := newDeployEnv(t, deployEnvOpts{noCF: true, repo: filepath.Join(t.TempDir(), "never-fetched")})
	h := e.srv.Handler()
	rec := get(t, h, "/admin/deploys", nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "Cloudflare cannot be reached from this server") ||
		!strings.Contains(body, "CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID not set") || strings.Count(body, `<button type="submit" disabled`) != 2 {
		t.Errorf("page without credentials: %d\n%s", rec.Code, body)
	}
	for _, path := range []string{"/admin/deploys/purge", "/admin/deploys/deploy-now", "/admin/deploys/deployments/abc/rollback"} {
		rec := postForm(t, h, path, url.Values{"confirm": {"yes"}, "prefixes": {"lab.example.dev/"}}, "", "same-origin")
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: %d", path, rec.Code)
		}
	}
	if _, pending, runs := e.srv.deploys.Runs(); pending != nil || len(runs) != 0 {
		t.Error("deploy now queued a run without credentials")
	}
	recs := auditRecords(t, e.srv)
	if len(recs) != 3 || recs[0].Result != "refused" || recs[1].Result != "refused" || recs[2].Result != "refused" {
		t.Errorf("audit %+v", recs)
	}
	if len(e.cf.Requests()) != 0 {
		t.Errorf("%d requests reached the API", len(e.cf.Requests()))
	}
}

// TestDeploysPurgeNeedsZone: with credentials but no zone, purge is off.
func TestDeploysPurgeNeedsZone(t *testing.T) {
	e := newDeployEnv(t, deployEnvOpts{noZone: true, repo: filepath.Join(t.TempDir(), "never-fetched")})
	body := get(t, e.srv.Handler(), "/admin/deploys", nil).Body.String()
	if !strings.Contains(body, "Purging needs the zone: set CLOUDFLARE_ZONE_ID.") || !strings.Contains(body, "No deployments yet.") {
		t.Error("page without a zone")
	}
	if rec := postForm(t, e.srv.Handler(), "/admin/deploys/purge", url.Values{"confirm": {"yes"}, "prefixes": {"lab.example.dev/"}}, "", "same-origin"); rec.Code != http.StatusServiceUnavailable || len(e.cf.Purges()) != 0 {
		t.Errorf("purge without a zone: %d", rec.Code)
	}
}

type sseEvent struct {
	id, event, data string
}

// readEvents reads server-sent events until the stream ends.
func readEvents(r io.Reader, out chan<- sseEvent) {
	defer close(out)
	sc := bufio.NewScanner(r)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.event != "" {
				out <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[6:]
		}
	}
}

func nextEvent(t *testing.T, events <-chan sseEvent, want string) sseEvent {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("the stream ended before a %q event", want)
			}
			if ev.event == want {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %q event", want)
		}
	}
}

// TestDeployRunEvents: a run's log streams as line events while it runs,
// ends with an end event carrying the result, and a reconnect after the
// end gets 204; the plain page shows the same log; a stream ends when the
// server shuts down.
func TestDeployRunEvents(t *testing.T) {
	e := newDeployEnv(t, deployEnvOpts{repo: filepath.Join(t.TempDir(), "no-such-repo")})
	entered, release := make(chan struct{}), make(chan struct{})
	e.srv.deploys.BeforeStage = func(run int, stage string) {
		if stage == "fetch" {
			entered <- struct{}{}
			<-release
		}
	}
	srv := httptest.NewServer(e.srv.Handler())
	t.Cleanup(srv.Close)

	run, _ := e.srv.deploys.Enqueue(deployrun.Job{Trigger: deployrun.TriggerManual, Who: "ops@lab.test"})
	<-entered
	res, err := http.Get(srv.URL + "/admin/deploys/1/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	events := make(chan sseEvent, 100)
	go readEvents(res.Body, events)
	first := nextEvent(t, events, "line")
	var line streamLine
	if err := json.Unmarshal([]byte(first.data), &line); err != nil || first.id != "0" || !strings.Contains(line.Text, "queued by ops@lab.test") || line.Time.IsZero() {
		t.Errorf("first line %+v (%v)", first, err)
	}
	nextEvent(t, events, "update")

	// The plain page shows the log so far and follows the run's stream.
	page := get(t, e.srv.Handler(), "/admin/deploys/1", nil).Body.String()
	if !strings.Contains(page, "== fetch") || !strings.Contains(page, `data-events="/admin/deploys/1/events"`) || !strings.Contains(page, "still running") {
		t.Errorf("run page while running:\n%s", page)
	}

	release <- struct{}{}
	var lines []string
	var end sseEvent
	for end.event == "" {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("the stream ended without an end event")
			}
			switch ev.event {
			case "line":
				if err := json.Unmarshal([]byte(ev.data), &line); err != nil {
					t.Fatal(err)
				}
				lines = append(lines, line.Text)
			case "end":
				end = ev
			}
		case <-time.After(time.Minute):
			t.Fatal("no end event")
		}
	}
	var result map[string]string
	if err := json.Unmarshal([]byte(end.data), &result); err != nil || result["state"] != deployrun.Failed || !strings.Contains(result["error"], "fetch") {
		t.Errorf("end %s (%v)", end.data, err)
	}
	if !slices.ContainsFunc(lines, func(s string) bool { return strings.HasPrefix(s, "$ git clone") }) || !slices.ContainsFunc(lines, func(s string) bool { return s == "nothing was deployed" }) {
		t.Errorf("streamed lines %q", lines)
	}
	if _, ok := <-events; ok {
		t.Error("the stream went on after the end event")
	}

	// A reconnect after the last line: 204, so EventSource stops.
	v, _ := e.srv.deploys.View(run.ID, 0)
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/admin/deploys/1/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Last-Event-ID", strconv.Itoa(v.Lines[len(v.Lines)-1].Seq))
	again, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	again.Body.Close()
	if again.StatusCode != http.StatusNoContent {
		t.Errorf("reconnect after the end: %d", again.StatusCode)
	}
	// The finished run's page has the whole log and no stream.
	page = get(t, e.srv.Handler(), "/admin/deploys/1", nil).Body.String()
	if !strings.Contains(page, "nothing was deployed") || strings.Contains(page, `data-events="/admin/deploys/1/events"`) || !regexp.MustCompile(`status run-failed">failed`).MatchString(page) {
		t.Error("finished run page")
	}
	if rec := get(t, e.srv.Handler(), "/admin/deploys/99", nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown run: %d", rec.Code)
	}

	// A stream of a running run ends when the server shuts down.
	e.srv.deploys.Enqueue(deployrun.Job{Trigger: deployrun.TriggerManual, Who: "ops@lab.test"})
	<-entered
	res2, err := http.Get(srv.URL + "/admin/deploys/2/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res2.Body.Close()
	events2 := make(chan sseEvent, 100)
	go readEvents(res2.Body, events2)
	nextEvent(t, events2, "update")
	close(e.srv.shutdown)
	timeout := time.After(time.Minute)
	for open := true; open; {
		select {
		case ev, ok := <-events2:
			if ev.event == "end" {
				t.Error("an end event for a run that has not ended")
			}
			open = ok
		case <-timeout:
			t.Fatal("the stream did not end on shutdown")
		}
	}
	release <- struct{}{} // let run 2 go so the deployer can stop
}
