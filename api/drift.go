package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/labfront/labfront/internal/discover"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/labedit"
	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/sitecheckout"
	"github.com/labfront/labfront/templates"
)

const (
	// driftMaxAge is how long one asking of the sources serves the drift
	// page: discovery reads more than a collection (every Proxmox guest's
	// config), too much to repeat on every view.
	driftMaxAge = 5 * time.Minute
	// driftUnseenAfter is how long a lab.yaml node may go unseen by every
	// source of its live: key before the drift page names it: a guest
	// that is rebooting or migrating is not drift.
	driftUnseenAfter = 24 * time.Hour
	driftFile        = "drift-seen.json"
	labFile          = "content/lab.yaml"
)

// driftState is the last asking of the sources and when each live thing
// was last seen, which state_dir/drift-seen.json keeps across restarts.
type driftState struct {
	mu     sync.Mutex
	asked  *discover.Asked
	at     time.Time
	loaded bool
	seen   driftSeen
	// summary is the dashboard's count, from the last drift page view
	// (the dashboard neither asks nor merges: it is the busiest page).
	summary string
}

type driftSeen struct {
	// Since is when the server first asked: a node never seen counts as
	// unseen from then.
	Since time.Time `json:"since"`
	// Seen maps "key value" to the last time a source saw it.
	Seen map[string]time.Time `json:"seen"`
}

// askSources returns the last asking, asking again when it is older than
// driftMaxAge. One asking runs at a time; others wait for it.
func (s *Server) askSources(ctx context.Context) (*discover.Asked, time.Time) {
	d := &s.drift
	d.mu.Lock()
	defer d.mu.Unlock()
	now := s.now()
	if !d.loaded {
		d.loaded = true
		d.seen = s.loadDriftSeen()
	}
	if d.asked != nil && now.Sub(d.at) < driftMaxAge {
		return d.asked, d.at
	}
	asked := discover.Ask(ctx, live.Builtin(), s.cfg.Sources)
	d.asked, d.at = asked, now
	if d.seen.Since.IsZero() {
		d.seen.Since = now
	}
	if d.seen.Seen == nil {
		d.seen.Seen = map[string]time.Time{}
	}
	for _, f := range asked.Input.Found {
		d.seen.Seen[f.LiveKey+" "+f.LiveValue] = now
	}
	if data, err := json.Marshal(d.seen); err != nil {
		s.log.Error("drift: encode seen times", "err", err)
	} else if err := s.files.Write(filepath.Join(s.cfg.StateDir, driftFile), data, 0o644); err != nil {
		s.log.Warn("drift: save seen times", "err", err)
	}
	return asked, now
}

// cachedAsking is the last asking without asking again, nil before the
// first: an apply works on the asking the page showed.
func (s *Server) cachedAsking() (*discover.Asked, time.Time) {
	s.drift.mu.Lock()
	defer s.drift.mu.Unlock()
	return s.drift.asked, s.drift.at
}

func (s *Server) loadDriftSeen() driftSeen {
	var seen driftSeen
	data, err := os.ReadFile(filepath.Join(s.cfg.StateDir, driftFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		s.log.Warn("drift: read seen times", "err", err)
	default:
		if err := json.Unmarshal(data, &seen); err != nil {
			s.log.Warn("drift: damaged seen times, starting afresh", "file", driftFile, "err", err)
			seen = driftSeen{}
		}
	}
	return seen
}

// driftItems merges the asking with lab.yaml as it is on disk now (it
// changes under the server: drift fixes, pulls), keeping unseen nodes
// only once nothing has seen them for driftUnseenAfter.
func (s *Server) driftItems(asked *discover.Asked) ([]discover.Drift, error) {
	data, err := os.ReadFile(filepath.Join(s.cfg.Site, filepath.FromSlash(labFile)))
	if err != nil {
		return nil, err
	}
	l, err := lab.Parse(data, labFile)
	if err != nil {
		return nil, err
	}
	plan := discover.Merge(l, asked.Input)
	s.drift.mu.Lock()
	seen := s.drift.seen
	s.drift.mu.Unlock()
	now := s.now()
	var out []discover.Drift
	for _, d := range plan.Drift {
		if d.Kind == discover.Unseen {
			last, ok := seen.Seen[d.LiveKey+" "+d.LiveValue]
			if !ok {
				last = seen.Since
			}
			if now.Sub(last) < driftUnseenAfter {
				continue
			}
			d.Message += " for " + strconv.Itoa(int(now.Sub(last)/time.Hour)) + " hours"
		}
		out = append(out, d)
	}
	return out, nil
}

// driftID names a drift item in forms. It hashes what the item is about
// and what applying it would write, so a form for an item that has since
// changed matches nothing.
func driftID(d discover.Drift) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s", d.Kind, d.Node, d.Source, d.LiveKey, d.LiveValue, d.Field, d.Live)
	for _, e := range d.Edits {
		fmt.Fprintf(h, "\x00%s", e)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func driftAction(d discover.Drift) string {
	if len(d.Edits) == 0 {
		return ""
	}
	if d.Kind == discover.Differs {
		return "Update"
	}
	e := d.Edits[0]
	if e.Op == labedit.Append && e.List == "links" {
		return "Add the link"
	}
	for _, f := range e.Item {
		if f.Key == "public" && f.Value.Scalar == true {
			return "Add as public (its label asks)"
		}
	}
	return "Add as private"
}

// driftPage is /admin/drift.
func (s *Server) driftPage(c echo.Context) error {
	return render(c, http.StatusOK, templates.AdminDrift(s.driftView(c, nil)))
}

func (s *Server) driftView(c echo.Context, outcome *templates.DriftOutcome) templates.DriftView {
	ctx, cancel := context.WithTimeout(c.Request().Context(), discover.MinTimeout+5*time.Second)
	defer cancel()
	v := templates.DriftView{
		Head:    s.head(c, "Drift", "/admin/drift"),
		Outcome: outcome,
	}
	v.Checkout, v.ApplyReason = s.checkoutGate(ctx, c, "Applying", "Applying")
	v.CanApply = v.ApplyReason == ""
	asked, at := s.askSources(ctx)
	v.AskedAt = clock(at, s.now())
	for _, f := range asked.Failed {
		v.Failed = append(v.Failed, f.Error())
	}
	items, err := s.driftItems(asked)
	summary := strconv.Itoa(len(items))
	if err != nil {
		v.Failed = append(v.Failed, "lab.yaml: "+err.Error())
		summary = "lab.yaml unreadable"
	}
	s.drift.mu.Lock()
	s.drift.summary = summary
	s.drift.mu.Unlock()
	for _, d := range items {
		v.Items = append(v.Items, templates.DriftItem{ID: driftID(d), Kind: string(d.Kind), Node: d.Node, Source: d.Source, Message: d.Message, Action: driftAction(d)})
	}
	return v
}

// driftSummary is the dashboard's line: the count the drift page last
// found, without asking the sources or reading lab.yaml.
func (s *Server) driftSummary() templates.Stat {
	s.drift.mu.Lock()
	defer s.drift.mu.Unlock()
	if s.drift.summary == "" {
		return templates.Stat{Label: "Drift", Value: "not checked"}
	}
	return templates.Stat{Label: "Drift", Value: s.drift.summary}
}

// driftApply applies one drift item (the route table has checked
// identity, the admin role and the origin, and audits it): it edits
// lab.yaml, commits it and pushes, as promotion does; any failure puts
// the file and the checkout back.
func (s *Server) driftApply(c echo.Context) (*actionWork, error) {
	if c.FormValue("confirm") != "yes" {
		o := templates.DriftOutcome{Title: "Confirm first: tick the box next to the button."}
		return nil, render(c, http.StatusBadRequest, templates.AdminDrift(s.driftView(c, &o)))
	}
	id := c.FormValue("id")
	return &actionWork{name: "drift", run: func() actionOutcome {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), actionTimeout)
		code, out, target, result := s.applyDrift(ctx, identity(c), id)
		cancel()
		o := actionOutcome{target: target, result: result}
		if !out.OK {
			o.err = strings.Join(append([]string{out.Title}, out.Details...), " · ")
		}
		o.answer = func() error { return render(c, code, templates.AdminDrift(s.driftView(c, &out))) }
		return o
	}}, nil
}

func (s *Server) applyDrift(ctx context.Context, who *Identity, id string) (code int, out templates.DriftOutcome, target, result string) {
	target = "lab.yaml drift " + strconv.QuoteToASCII(id[:min(len(id), 32)])
	refuse := func(code int, msg string) (int, templates.DriftOutcome, string, string) {
		return code, templates.DriftOutcome{Title: "Not applied: " + msg}, target, "refused"
	}
	if !s.promoting.TryLock() {
		return refuse(http.StatusConflict, "another commit to the site is running; try again when it has finished.")
	}
	defer s.promoting.Unlock()
	asked, _ := s.cachedAsking()
	if asked == nil {
		return refuse(http.StatusConflict, "the sources have not been asked yet; reload the page.")
	}
	items, err := s.driftItems(asked)
	if err != nil {
		return refuse(http.StatusUnprocessableEntity, err.Error())
	}
	var item *discover.Drift
	for i := range items {
		if driftID(items[i]) == id {
			item = &items[i]
		}
	}
	if item == nil || len(item.Edits) == 0 {
		return refuse(http.StatusConflict, "this item is no longer drift as shown (lab.yaml or the sources changed); the page below is current.")
	}
	target = labFile + ": " + item.Message
	co := sitecheckout.Inspect(ctx, s.cfg.Site)
	if co.Problem != "" {
		return refuse(http.StatusConflict, "the site checkout cannot take a commit: "+co.Problem+".")
	}
	path := filepath.Join(co.Dir, filepath.FromSlash(labFile))
	saved, err := sitecheckout.SaveFiles(path)
	if err != nil {
		return refuse(http.StatusInternalServerError, "could not read lab.yaml: "+err.Error())
	}
	paths := []string{labFile}
	fail := func(code int, title string, err error, undo rollback) (int, templates.DriftOutcome, string, string) {
		o := templates.DriftOutcome{Title: "Not applied: " + title}
		o.Details = append(o.Details, strings.Split(err.Error(), "\n")...)
		o.Details = append(o.Details, s.rollback(ctx, co, saved, paths, undo))
		return code, o, target, "failed"
	}
	if _, _, err := labedit.WriteFile(path, labFile, item.Edits); err != nil {
		return fail(http.StatusUnprocessableEntity, "the edit does not apply to lab.yaml.", err, rollback{})
	}
	by := commitAuthor(who)
	subject := "lab.yaml: " + oneLine(driftAction(*item)) + " " + item.Node
	msg := subject + "\n\n" + oneLine(item.Message) + "\n\nFrom the admin server's drift page, by " + by.Email + ".\n"
	prev, ours, err := co.Commit(ctx, paths, msg, by)
	if err != nil {
		return fail(http.StatusInternalServerError, "git could not commit lab.yaml.", err, rollback{staged: true})
	}
	out = templates.DriftOutcome{OK: true, Title: "Applied: " + item.Message}
	out.Details = append(out.Details, fmt.Sprintf("Commit %s on %s by %s: %s", short(ours), co.Branch, by.Email, subject))
	if co.Remote != "" {
		if err := co.Push(ctx); err != nil {
			return fail(http.StatusBadGateway, "the push to "+co.Remote+" was refused or failed.", err, rollback{staged: true, prev: prev, ours: ours})
		}
		out.Details = append(out.Details, fmt.Sprintf("Pushed %s to %s: the deploy starts from there.", co.Branch, co.Remote))
	} else {
		out.Details = append(out.Details, "The checkout has no remote: the commit stays here until it is pushed.")
	}
	return http.StatusOK, out, target, "ok"
}
