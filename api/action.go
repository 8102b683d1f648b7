package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// actionTimeout bounds an action, including waiting for its task.
const actionTimeout = 2 * time.Minute

// nodeAction runs an admin action (the route table has already checked
// identity, the admin role and the origin). It asks for confirmation,
// refuses when the target's source is unreachable, and audits every
// attempt before answering.
func (s *Server) nodeAction(c echo.Context) error {
	n := s.lab.Node(c.Param("id"))
	if n == nil {
		return echo.NewHTTPError(http.StatusNotFound, "No node has this id in lab.yaml.")
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
		return echo.NewHTTPError(http.StatusNotFound, "This node has no such action.")
	}
	if c.FormValue("confirm") != "yes" {
		return echo.NewHTTPError(http.StatusBadRequest, "Confirm the action first: tick the box next to the button.")
	}
	if err := s.audit.reserve(); err != nil {
		return s.auditRefused(name, err)
	}
	rec := AuditRecord{Time: s.now().UTC(), Who: identity(c).Email, Action: name, Target: n.ID + " via " + act.source}
	outcome := "done"
	switch {
	case act.refusal != "":
		rec.Result, rec.Error, outcome = "refused", act.refusal, "refused"
	default:
		// The action must finish even if the browser goes away.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), actionTimeout)
		err := act.actor.Act(ctx, n, name)
		cancel()
		rec.Result = "ok"
		if err != nil {
			rec.Result, rec.Error, outcome = "failed", err.Error(), "failed"
		}
	}
	if err := s.audit.append(rec); err != nil {
		return s.auditLost(name, rec.Result, err)
	}
	s.log.Info("admin action", "who", rec.Who, "action", name, "target", rec.Target, "result", rec.Result)
	return c.Redirect(http.StatusSeeOther, "/admin/nodes/"+n.ID+"?outcome="+outcome)
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
