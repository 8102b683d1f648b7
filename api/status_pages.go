package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/labfront/labfront/internal/history"
	"github.com/labfront/labfront/internal/incident"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/notify"
	"github.com/labfront/labfront/templates"
	"github.com/labfront/labfront/web"
)

// Bounds of what the incident forms take.
const (
	maxUpdateText     = 10000
	maxPostmortemText = 100000
)

// statusOffText is why a server has no status history: its config was
// built in code (labfront serve), not read from a file.
const statusOffText = "The status history is off: this server's configuration was not read from an admin config file."

// historyDays is how many daily buckets the pages show.
const historyDays = 90

// offReason is why the status pages have nothing to show, "" when the
// history is open.
func (s *Server) offReason() string {
	switch {
	case s.status == nil:
		return statusOffText
	case s.status.current() == nil:
		return "The status history is not open: the server is not polling its sources."
	}
	return ""
}

// current is the open store, nil when closed.
func (w *statusWatch) current() *history.Store {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.store
}

// uptimePage is /admin/uptime.
func (s *Server) uptimePage(c echo.Context) error {
	v := templates.UptimeView{Head: s.head(c, "Uptime", "/admin/uptime"), Off: s.offReason()}
	if v.Off != "" {
		return render(c, http.StatusOK, templates.AdminUptime(v))
	}
	store, now := s.status.current(), s.now()
	if store == nil {
		v.Off = errNotRecording.Error()
		return render(c, http.StatusOK, templates.AdminUptime(v))
	}
	ids := make([]string, 0, len(s.lab.Nodes))
	for _, n := range s.lab.Nodes {
		ids = append(ids, n.ID)
	}
	ctx := c.Request().Context()
	reps, err := store.Report(ctx, ids, s.status.overlay, now, historyDays)
	if err != nil {
		return fmt.Errorf("uptime report: %w", err)
	}
	views := live.Nodes(s.lab, s.store.Sources())
	for i, rep := range reps {
		n := s.lab.Nodes[i]
		row := templates.UptimeRow{ID: n.ID, Name: n.Name, URL: "/admin/nodes/" + n.ID, State: views[n.ID].Status,
			Windows: web.UptimeWindows(rep.Windows), Bars: web.UptimeBars(n.Name, rep.Days)}
		pts, err := store.Latency(ctx, n.ID, now.Add(-24*time.Hour), now, 24)
		if err != nil {
			return fmt.Errorf("latency of %s: %w", n.ID, err)
		}
		row.Latency, row.Spark = latencySummary(pts)
		v.Rows = append(v.Rows, row)
	}
	return render(c, http.StatusOK, templates.AdminUptime(v))
}

// latencySummary is the average over the points and, with two or more
// hours that have samples, a polyline of the hourly averages in a
// 100×20 box (higher is slower).
func latencySummary(pts []history.LatencyPoint) (avg, spark string) {
	var sum time.Duration
	n, top := 0, time.Duration(0)
	for _, p := range pts {
		sum += p.Avg * time.Duration(p.N)
		n += p.N
		top = max(top, p.Avg)
	}
	if n == 0 {
		return "", ""
	}
	avg = fmt.Sprintf("%.1f ms", float64(sum/time.Duration(n))/float64(time.Millisecond))
	var b strings.Builder
	drawn := 0
	for i, p := range pts {
		if p.N == 0 || top == 0 {
			continue
		}
		x := float64(i) * 100 / float64(max(1, len(pts)-1))
		y := 19 - 18*float64(p.Avg)/float64(top)
		fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
		drawn++
	}
	if drawn < 2 {
		return avg, ""
	}
	return avg, strings.TrimSpace(b.String())
}

// incidentsPage is /admin/incidents.
func (s *Server) incidentsPage(c echo.Context) error {
	return render(c, http.StatusOK, templates.AdminIncidents(s.incidentsView(c, nil)))
}

func (s *Server) incidentsView(c echo.Context, outcome *templates.StatusOutcome) templates.IncidentsView {
	v := templates.IncidentsView{Head: s.head(c, "Incidents", "/admin/incidents"), Outcome: outcome, Off: s.offReason()}
	for _, st := range incident.Statuses {
		v.Statuses = append(v.Statuses, string(st))
	}
	v.Act = templates.ActionState{On: identity(c).Admin}
	if !v.Act.On {
		v.Act.Reason = "Updates and postmortems need the admin role."
	}
	if s.status == nil {
		return v
	}
	all, err := s.status.incidents()
	if err != nil {
		v.Off = "The incident files could not be read: " + err.Error()
	}
	now := s.now()
	for _, inc := range all {
		row := incidentRow(inc, now)
		if inc.Open() {
			v.Open = append(v.Open, row)
		} else {
			v.Past = append(v.Past, row)
		}
	}
	if v.Off == "" && s.status.current() == nil {
		v.Off = "The server is not polling: incidents are neither opened nor resolved until it does."
	}
	return v
}

// incidents are every incident, newest first: the files, with the
// tracker's copy of each open one (it knows the systems taken down since
// the file was written).
func (w *statusWatch) incidents() ([]incident.Incident, error) {
	saved, err := w.files.Load()
	w.mu.Lock()
	if w.tracker != nil {
		for _, inc := range w.tracker.Open() {
			if i := slices.IndexFunc(saved, func(x incident.Incident) bool { return x.ID == inc.ID }); i >= 0 {
				inc.Postmortem = saved[i].Postmortem
				saved[i] = inc
			} else {
				saved = append(saved, inc)
			}
		}
	}
	w.mu.Unlock()
	slices.SortFunc(saved, func(a, b incident.Incident) int { return b.Started.Compare(a.Started) })
	return saved, err
}

func incidentRow(inc incident.Incident, now time.Time) templates.IncidentRow {
	r := templates.IncidentRow{ID: inc.ID, Title: inc.Title, Status: string(inc.Status), Cause: inc.Cause, Systems: inc.Systems,
		Started: stamp(inc.Started), StartedISO: iso(inc.Started), Summary: inc.Summary, Postmortem: inc.Postmortem, Open: inc.Open()}
	end := now
	if !inc.Resolved.IsZero() {
		r.Resolved, r.ResolvedISO, end = stamp(inc.Resolved), iso(inc.Resolved), inc.Resolved
	}
	r.Lasted = web.DurationText(end.Sub(inc.Started))
	if inc.Open() {
		r.Lasted += " so far"
	}
	for _, u := range inc.Updates {
		r.Updates = append(r.Updates, templates.IncidentUpdate{At: stamp(u.At), AtISO: iso(u.At), Status: string(u.Status), Text: u.Text})
	}
	return r
}

func stamp(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }
func iso(t time.Time) string   { return t.UTC().Format(time.RFC3339) }

// incidentAnswer is an incident action's record and the page with its
// outcome.
func (s *Server) incidentAnswer(c echo.Context, code int, result, target string, o templates.StatusOutcome) actionOutcome {
	out := actionOutcome{target: target, result: result}
	if result != "ok" {
		out.err = strings.TrimSpace(o.Title + " " + o.Detail)
	}
	out.answer = func() error { return render(c, code, templates.AdminIncidents(s.incidentsView(c, &o))) }
	return out
}

// incidentConfirmed answers a form sent without its confirmation box
// ticked (nothing is audited then), and says whether it was.
func (s *Server) incidentConfirmed(c echo.Context) (bool, error) {
	if c.FormValue("confirm") == "yes" {
		return true, nil
	}
	o := templates.StatusOutcome{Title: "Confirm the action first: tick the box next to the button."}
	return false, render(c, http.StatusBadRequest, templates.AdminIncidents(s.incidentsView(c, &o)))
}

// incidentText is the form's text, or the refusal of the history being
// off or the text missing or too long: an audited attempt all the same.
func (s *Server) incidentText(c echo.Context, limit int) (string, int, string) {
	switch text := strings.TrimSpace(c.FormValue("text")); {
	case s.status == nil:
		return "", http.StatusServiceUnavailable, statusOffText
	case text == "":
		return "", http.StatusBadRequest, "Write the text first."
	case utf8.RuneCountInString(text) > limit:
		return "", http.StatusBadRequest, fmt.Sprintf("The text is longer than %d characters.", limit)
	default:
		return text, 0, ""
	}
}

// incidentTarget names an incident in the audit record, bounded.
func incidentTarget(id string) string {
	return "incident " + strconv.QuoteToASCII(id[:min(len(id), 80)])
}

// incidentUpdate adds the operator's update to an open incident and
// notifies it; a resolved status resolves the incident.
func (s *Server) incidentUpdate(c echo.Context) (*actionWork, error) {
	if ok, err := s.incidentConfirmed(c); !ok {
		return nil, err
	}
	id := c.Param("id")
	return &actionWork{name: "incident-update", run: func() actionOutcome {
		text, code, refusal := s.incidentText(c, maxUpdateText)
		if refusal != "" {
			return s.incidentAnswer(c, code, "refused", incidentTarget(id), templates.StatusOutcome{Title: "Not posted.", Detail: refusal})
		}
		st := incident.Status(c.FormValue("status"))
		inc, err := s.status.addUpdate(id, incident.Update{At: s.now().UTC(), Status: st, Text: text})
		if err != nil {
			return s.incidentAnswer(c, http.StatusConflict, "refused", incidentTarget(id), templates.StatusOutcome{Title: "Not posted.", Detail: err.Error()})
		}
		return s.incidentAnswer(c, http.StatusOK, "ok", incidentTarget(id), templates.StatusOutcome{OK: true, Title: "Update posted to " + inc.Title + "; the notifiers are told."})
	}}, nil
}

// addUpdate appends an update to an open incident, saves its files and
// queues its notification.
func (w *statusWatch) addUpdate(id string, u incident.Update) (incident.Incident, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.tracker == nil {
		return incident.Incident{}, errNotRecording
	}
	if !slices.ContainsFunc(w.tracker.Open(), func(inc incident.Incident) bool { return inc.ID == id }) {
		return incident.Incident{}, fmt.Errorf("no open incident has the id %q (a resolved one takes a postmortem)", id)
	}
	ev, err := w.tracker.AddUpdate(id, u)
	if err != nil {
		return incident.Incident{}, err
	}
	w.event(ev)
	return ev.Incident, nil
}

// incidentPostmortem stores the postmortem of a resolved incident.
func (s *Server) incidentPostmortem(c echo.Context) (*actionWork, error) {
	if ok, err := s.incidentConfirmed(c); !ok {
		return nil, err
	}
	id := c.Param("id")
	return &actionWork{name: "postmortem", run: func() actionOutcome {
		text, code, refusal := s.incidentText(c, maxPostmortemText)
		if refusal != "" {
			return s.incidentAnswer(c, code, "refused", incidentTarget(id), templates.StatusOutcome{Title: "Not saved.", Detail: refusal})
		}
		inc, err := s.status.setPostmortem(id, text)
		if err != nil {
			return s.incidentAnswer(c, http.StatusConflict, "refused", incidentTarget(id), templates.StatusOutcome{Title: "Not saved.", Detail: err.Error()})
		}
		return s.incidentAnswer(c, http.StatusOK, "ok", incidentTarget(id), templates.StatusOutcome{OK: true, Title: "Postmortem saved for " + inc.Title + "."})
	}}, nil
}

// setPostmortem writes a resolved incident's postmortem into its record
// and public copy. An open incident is refused: the tracker's copy would
// overwrite it, and a postmortem is written after the fact.
func (w *statusWatch) setPostmortem(id, text string) (incident.Incident, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	saved, err := w.files.Load()
	if err != nil {
		return incident.Incident{}, err
	}
	// The id must be a file's: it becomes a path.
	i := slices.IndexFunc(saved, func(inc incident.Incident) bool { return inc.ID == id })
	switch {
	case i < 0:
		return incident.Incident{}, fmt.Errorf("no incident has the id %q", id)
	case saved[i].Open():
		return incident.Incident{}, fmt.Errorf("incident %s is still open: post updates until it is resolved, then the postmortem", id)
	}
	return w.files.SetPostmortem(id, text)
}

// maintenancePage is /admin/maintenance.
func (s *Server) maintenancePage(c echo.Context) error {
	v := templates.MaintenanceView{Head: s.head(c, "Maintenance", "/admin/maintenance"), Zone: "UTC"}
	if s.status == nil {
		v.Off = statusOffText
		return render(c, http.StatusOK, templates.AdminMaintenance(v))
	}
	ws, loc := s.status.cfg.Maintenance, s.status.cfg.History.Location
	v.Zone = loc.String()
	for _, w := range ws.List {
		row := templates.MaintenanceRow{Systems: w.Systems, Duration: web.DurationText(w.Duration), Reason: w.Reason, Line: w.Line}
		if w.Cron != nil {
			row.Schedule = "cron " + w.Cron.String()
		} else {
			row.Schedule = "once, " + w.Start.In(loc).Format("2 Jan 2006 15:04 MST")
		}
		v.Windows = append(v.Windows, row)
	}
	now := s.now()
	for _, o := range ws.Upcoming(now, 30*24*time.Hour) {
		v.Upcoming = append(v.Upcoming, templates.MaintenanceOccurrence{
			Systems: o.Window.Systems, Reason: o.Window.Reason, Active: o.Contains(now),
			From: o.From.In(loc).Format("2 Jan 2006 15:04 MST"), FromISO: iso(o.From),
			Until: o.To.In(loc).Format("2 Jan 2006 15:04 MST"), UntilISO: iso(o.To),
		})
	}
	return render(c, http.StatusOK, templates.AdminMaintenance(v))
}

// deliveriesPage is /admin/deliveries.
func (s *Server) deliveriesPage(c echo.Context) error {
	return render(c, http.StatusOK, templates.AdminDeliveries(s.deliveriesView(c, nil)))
}

func (s *Server) deliveriesView(c echo.Context, outcome *templates.StatusOutcome) templates.DeliveriesView {
	v := templates.DeliveriesView{Head: s.head(c, "Notifications", "/admin/deliveries"), Outcome: outcome}
	v.Act = templates.ActionState{On: identity(c).Admin}
	if !v.Act.On {
		v.Act.Reason = "Sending a test needs the admin role."
	}
	if s.status == nil {
		v.Off = statusOffText
		return v
	}
	for _, n := range s.status.cfg.Notify {
		row := templates.NotifierRow{Name: n.Name, Type: n.Type, Systems: n.Systems, Public: n.Public}
		for _, e := range n.Events {
			row.Events = append(row.Events, string(e))
		}
		v.Notifiers = append(v.Notifiers, row)
	}
	recs := s.status.deliveries.Recent()
	for i := len(recs) - 1; i >= 0; i-- {
		d := recs[i]
		v.Records = append(v.Records, templates.DeliveryRow{At: stamp(d.At), AtISO: iso(d.At), Notifier: d.Notifier, Type: d.Type,
			Event: d.Event, Incident: d.Incident, Attempt: d.Attempt, OK: d.OK, Final: d.Final, Error: d.Error})
	}
	return v
}

// notifyTestTimeout bounds the test message while the page waits.
const notifyTestTimeout = 20 * time.Second

// notifyTest sends the "send a test" message to one notifier, once.
func (s *Server) notifyTest(c echo.Context) (*actionWork, error) {
	if c.FormValue("confirm") != "yes" {
		o := templates.StatusOutcome{Title: "Confirm the action first: tick the box next to the button."}
		return nil, render(c, http.StatusBadRequest, templates.AdminDeliveries(s.deliveriesView(c, &o)))
	}
	name := c.Param("name")
	return &actionWork{name: "notify-test", run: func() actionOutcome {
		o := actionOutcome{target: "notifier " + strconv.QuoteToASCII(name[:min(len(name), 80)]), result: "ok"}
		out := templates.StatusOutcome{OK: true, Title: "The test message reached " + name + "."}
		code := http.StatusOK
		switch {
		case s.status == nil:
			o.result, code, out = "refused", http.StatusServiceUnavailable, templates.StatusOutcome{Title: "Not sent.", Detail: statusOffText}
		case !slices.ContainsFunc(s.status.cfg.Notify, func(n notify.Config) bool { return n.Name == name }):
			o.result, code, out = "refused", http.StatusNotFound, templates.StatusOutcome{Title: "Not sent.", Detail: "No notifier has this name."}
		default:
			ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), notifyTestTimeout)
			d, err := s.status.dispatcher.Test(ctx, name, s.status.statusURL)
			cancel()
			if err == nil && !d.OK {
				err = errors.New(d.Error) // redacted by the dispatcher
			}
			if err != nil {
				o.result, code = "failed", http.StatusBadGateway
				out = templates.StatusOutcome{Title: "The test message did not reach " + name + ".", Detail: err.Error()}
			}
		}
		if o.result != "ok" {
			o.err = strings.TrimSpace(out.Title + " " + out.Detail)
		}
		o.answer = func() error { return render(c, code, templates.AdminDeliveries(s.deliveriesView(c, &out))) }
		return o
	}}, nil
}
