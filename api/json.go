package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/labfront/labfront/internal/live"
	"github.com/labfront/labfront/internal/snapshot"
)

// statusAnswer is /api/v1/status: the public snapshot plus which sources
// are live, as the static site and the edge worker show them.
type statusAnswer struct {
	*snapshot.Snapshot
	Sources []publicSource `json:"sources"`
	Stale   bool           `json:"stale"`
}

type publicSource struct {
	Name      string    `json:"name"`
	State     string    `json:"state"`
	FetchedAt time.Time `json:"fetched_at,omitzero"`
}

// apiStatus is public: public nodes under public ids, no details, no
// errors. The site's origin may read it (CORS), and Cloudflare may serve
// it stale while the lab is down.
func (s *Server) apiStatus(c echo.Context) error {
	h := c.Response().Header()
	if s.origin != "" && c.Request().Header.Get("Origin") == s.origin {
		h.Set("Access-Control-Allow-Origin", s.origin)
		h.Set("Vary", "Origin")
		h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	}
	if c.Request().Method == http.MethodOptions {
		return c.NoContent(http.StatusNoContent)
	}
	d, err := s.cache.get(s.store.Version(), s.derive)
	if err != nil {
		return err
	}
	h["Cache-Control"] = []string{"public, max-age=15, s-maxage=30, stale-if-error=86400"}
	// With a known length net/http sends the body as it is; without one,
	// a body this size goes out chunked, with an extra write per answer.
	h["Content-Length"] = []string{strconv.Itoa(len(d.status))}
	return c.JSONBlob(http.StatusOK, d.status)
}

func (s *Server) statusJSON(sources []live.SourceState) ([]byte, error) {
	ans := statusAnswer{Snapshot: snapshot.Public(live.Snapshot(s.lab, sources, s.now()), s.lab), Sources: []publicSource{}}
	names := publicSourceNames(sources)
	for i, src := range sources {
		ans.Sources = append(ans.Sources, publicSource{Name: names[i], State: src.State(), FetchedAt: src.FetchedAt.UTC()})
		if src.State() != live.StateLive {
			ans.Stale = true
		}
	}
	return json.Marshal(ans)
}

// publicSourceNames are what the public status calls the sources: the
// type, numbered when several share it ("probe", "probe 2"). The
// configured name is the operator's and may be a private node's; the
// answer is public, cached at the edge and pushed to Workers KV, so it is
// the same for every caller.
func publicSourceNames(sources []live.SourceState) []string {
	out := make([]string, len(sources))
	seen := map[string]int{}
	for i, src := range sources {
		seen[src.Type]++
		out[i] = src.Type
		if n := seen[src.Type]; n > 1 {
			out[i] = src.Type + " " + strconv.Itoa(n)
		}
	}
	return out
}

// snapshotAnswer is /api/v1/snapshot: everything, for signed-in users.
type snapshotAnswer struct {
	GeneratedAt time.Time                `json:"generated_at"`
	Sources     []live.SourceState       `json:"sources"`
	Nodes       map[string]live.NodeView `json:"nodes"`
	Alerts      []live.Alert             `json:"alerts"`
}

func (s *Server) apiSnapshot(c echo.Context) error {
	sources := s.store.Sources()
	return c.JSON(http.StatusOK, snapshotAnswer{
		GeneratedAt: s.now().UTC(), Sources: sources,
		Nodes: live.Nodes(s.lab, sources), Alerts: live.Alerts(sources),
	})
}
