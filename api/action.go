package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/labfront/labfront/internal/auditlog"
)

// actionTimeout bounds an action, including waiting for its task.
const actionTimeout = 2 * time.Minute

// An actionFunc is an admin action as the route table holds it. It checks
// the request (the target exists, the confirmation box is ticked) and
// answers the work to do; with no work it has answered already (an error,
// or a page asking for the confirmation) and nothing is audited. The route
// table's action branch (audited) does the rest, the same for every
// action: it reserves the audit record, runs the work, writes the record
// once and only then sends the answer. An action cannot skip its record,
// nor write two.
type actionFunc func(c echo.Context) (*actionWork, error)

// actionWork is a checked action, ready to run.
type actionWork struct {
	name string // the record's action: reboot, promote, rollback, …
	run  func() actionOutcome
}

// actionOutcome is how an action ended: its audit record's target, result
// and error, and the answer to send once the record is on disk.
type actionOutcome struct {
	target string
	result string // ok, failed, refused
	err    string
	answer func() error
}

// audited is the action branch of the route table (register).
func (s *Server) audited(act actionFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		w, err := act(c)
		if w == nil {
			return err
		}
		// An action that cannot be audited must not happen (issue 20).
		if err := s.audit.Reserve(); err != nil {
			return s.auditRefused(w.name, err)
		}
		o := w.run()
		rec := auditlog.Record{Time: s.now().UTC(), Who: identity(c).Email, Action: w.name, Target: o.target, Result: o.result, Error: o.err}
		if err := s.audit.Append(rec); err != nil {
			return s.auditLost(w.name, rec.Result, err)
		}
		s.log.Info("admin action", "who", rec.Who, "action", rec.Action, "target", rec.Target, "result", rec.Result)
		return o.answer()
	}
}

// nodeAction runs an admin action on a node through the source that can
// perform it. It refuses when the target's source is unreachable.
func (s *Server) nodeAction(c echo.Context) (*actionWork, error) {
	n := s.lab.Node(c.Param("id"))
	if n == nil {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No node has this id in lab.yaml.")
	}
	name := c.Param("action")
	var act *nodeAction
	for _, a := range s.actions(n) {
		if a.name == name {
			act = &a
			break
		}
	}
	if act == nil {
		return nil, echo.NewHTTPError(http.StatusNotFound, "This node has no such action.")
	}
	if c.FormValue("confirm") != "yes" {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "Confirm the action first: tick the box next to the button.")
	}
	return &actionWork{name: name, run: func() actionOutcome {
		o := actionOutcome{target: n.ID + " via " + act.source, result: "ok"}
		if act.refusal != "" {
			o.result, o.err = "refused", act.refusal
		} else {
			// The action must finish even if the browser goes away.
			ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), actionTimeout)
			err := act.actor.Act(ctx, n, name)
			cancel()
			if err != nil {
				o.result, o.err = "failed", err.Error()
			}
		}
		shown := map[string]string{"ok": "done", "failed": "failed", "refused": "refused"}[o.result]
		o.answer = func() error { return c.Redirect(http.StatusSeeOther, "/admin/nodes/"+n.ID+"?outcome="+shown) }
		return o
	}}, nil
}

// auditRefused answers an action refused before it ran because its audit
// record could not be written (audit.reserve).
func (s *Server) auditRefused(action string, err error) error {
	return errors.Join(echo.NewHTTPError(http.StatusServiceUnavailable,
		"Refused: "+action+" was not performed because the audit log could not be written."), err)
}

// auditLost answers an action that ran although the reservation held, but
// whose record could then not be written: it must not look like a
// success, and the operator must know it happened.
func (s *Server) auditLost(action, result string, err error) error {
	return errors.Join(echo.NewHTTPError(http.StatusInternalServerError,
		"The "+action+" ran (result: "+result+"), but its audit record could not be written."), err)
}
