package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// healthz says the process is up.
func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// readyz says the server has data to show and is saving it: every source
// has answered at least once, now or before a restart, and the latest
// writes of the state files succeeded. Which sources are missing is told
// to insiders only (callers.go).
func (s *Server) readyz(c echo.Context) error {
	// A server that cannot save its state would come back from a restart
	// with old data: not ready, though it serves.
	if _, failing := s.files.Failing(); failing {
		return c.String(http.StatusServiceUnavailable, "state not saved\n")
	}
	var missing []string
	for _, src := range s.store.Sources() {
		if src.Last == nil {
			missing = append(missing, src.Name)
		}
	}
	if len(missing) > 0 {
		// Source names can be private node names: only an insider hears
		// them; a probe needs the code alone.
		if s.insider(c.Request()) {
			return c.String(http.StatusServiceUnavailable, "waiting for: "+strings.Join(missing, ", ")+"\n")
		}
		return c.String(http.StatusServiceUnavailable, fmt.Sprintf("waiting for %d of %d sources\n", len(missing), len(s.cfg.Sources)))
	}
	return c.String(http.StatusOK, "ready\n")
}

// asset serves the fingerprinted stylesheets, icons and islands.
func (s *Server) asset(c echo.Context) error {
	data, ok := s.assets.File(c.Request().URL.Path)
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "No such file.")
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	ctype := "application/octet-stream"
	switch {
	case strings.HasSuffix(c.Request().URL.Path, ".css"):
		ctype = "text/css; charset=utf-8"
	case strings.HasSuffix(c.Request().URL.Path, ".js"):
		ctype = "text/javascript; charset=utf-8"
	case strings.HasSuffix(c.Request().URL.Path, ".svg"):
		ctype = "image/svg+xml"
	}
	return c.Blob(http.StatusOK, ctype, data)
}

// home sends people to the dashboard.
func (s *Server) home(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/admin/")
}
