package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// heartbeat keeps idle event streams open through proxies (cloudflared).
const heartbeat = 25 * time.Second

// events streams "update" whenever any source's data changes; the admin
// island then refreshes the page it is on.
func (s *Server) events(c echo.Context) error {
	w := c.Response()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	updates, stop := s.store.Subscribe()
	defer stop()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	if _, err := fmt.Fprint(w, ": connected\n\n"); err != nil {
		return nil // the client left
	}
	w.Flush()
	for {
		select {
		case <-c.Request().Context().Done():
			return nil
		case <-s.shutdown:
			return nil
		case <-updates:
			if _, err := fmt.Fprintf(w, "event: update\ndata: %d\n\n", s.now().Unix()); err != nil {
				return nil
			}
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
		}
		w.Flush()
	}
}
