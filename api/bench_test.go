package api

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/live"
)

// benchServer is a dev-mode server on a 500-node lab with every node up,
// as bench/admin.sh runs it.
func benchServer(b *testing.B) http.Handler {
	const total = 500
	now := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	var series []live.Point
	for i := range 30 {
		series = append(series, live.Point{T: now.Add(time.Duration(i-30) * time.Minute), V: 0.2 + float64(i%7)/20})
	}
	data := map[string]live.NodeData{}
	for i := range total {
		data[fmt.Sprintf("n%d", i)] = live.NodeData{Status: live.Up, CPU: live.Ptr(0.25), Memory: live.Ptr(0.5), Detail: "fine",
			Series: map[string][]live.Point{"cpu": series}}
	}
	src := live.Source{Name: "demo", Type: "prometheus", Interval: time.Minute, Timeout: time.Second}
	cfg := devConfig(src)
	cfg.Site = bigLab(b, total)
	cfg.StateDir = b.TempDir()
	stub := &stubCollector{res: &live.Result{Nodes: data}}
	s := newServerClock(b, cfg, stub, &testClock{t: now})
	if err := s.poller().Once(b.Context(), src, stub); err != nil {
		b.Fatal(err)
	}
	return s.Handler()
}

// BenchmarkAdminAnswers measures what one request costs the server, without
// the network: the CPU side of bench/admin.sh's numbers.
func BenchmarkAdminAnswers(b *testing.B) {
	h := benchServer(b)
	for _, path := range []string{"/admin/", "/api/v1/status"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			req := newRequest(http.MethodGet, path, nil)
			for b.Loop() {
				w := &discard{header: http.Header{}}
				h.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatalf("%s: %d", path, w.code)
				}
			}
		})
	}
}

// discard is a ResponseWriter that keeps nothing but the status: unlike
// httptest.ResponseRecorder, whose growing buffer would dominate.
type discard struct {
	header http.Header
	code   int
}

func (d *discard) Header() http.Header { return d.header }

func (d *discard) Write(p []byte) (int, error) {
	if d.code == 0 {
		d.code = http.StatusOK
	}
	return len(p), nil
}

func (d *discard) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}
