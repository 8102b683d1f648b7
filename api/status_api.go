package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/labfront/labfront/internal/snapshot"
)

// historyAnswer is /api/v1/history: the public part of the status
// history, in the snapshot's format, with when it was computed.
type historyAnswer struct {
	GeneratedAt time.Time `json:"generated_at"`
	*snapshot.History
}

// apiHistory is public: per public system (public ids) the daily buckets
// and rolling uptimes, the incidents as their public copies word them,
// and the maintenance ahead; what the status page bakes. Like the
// status, the edge may serve it stale while the lab is down.
func (s *Server) apiHistory(c echo.Context) error {
	if s.status == nil {
		return echo.NewHTTPError(http.StatusNotFound, "This server keeps no status history.")
	}
	h, err := s.status.snapshotHistory(c.Request().Context())
	if err != nil {
		return err
	}
	if h == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "The status history is not open yet.")
	}
	pub := snapshot.Public(&snapshot.Snapshot{History: h}, s.lab).History
	body, err := json.Marshal(historyAnswer{GeneratedAt: s.status.computedAt().UTC(), History: pub})
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd["Cache-Control"] = []string{"public, max-age=60, s-maxage=60, stale-if-error=86400"}
	hd["Content-Length"] = []string{strconv.Itoa(len(body))}
	return c.JSONBlob(http.StatusOK, body)
}

// computedAt is when the cached history was computed.
func (w *statusWatch) computedAt() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.historyAt
}
