package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/labfront/labfront/internal/live"
)

// metrics is the server's own /metrics, on a registry of its own (no
// global state): requests, collections and the age of the data served.
type metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	collect    *prometheus.HistogramVec
	collectErr *prometheus.CounterVec
}

func newMetrics(store *live.Store, now func() time.Time) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "labfront_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		collect: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "labfront_collect_duration_seconds", Help: "Time taken by each collection, by source.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10),
		}, []string{"source"}),
		collectErr: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "labfront_collect_errors_total", Help: "Failed collections by source.",
		}, []string{"source"}),
	}
	age := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "labfront_snapshot_age_seconds", Help: "Age of the last good data of each source (absent while it has none).",
	}, []string{"source"})
	m.reg.MustRegister(m.requests, m.collect, m.collectErr, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		gaugeFunc{desc: age, update: func() {
			age.Reset()
			for _, s := range store.Sources() {
				if !s.FetchedAt.IsZero() {
					age.WithLabelValues(s.Name).Set(now().Sub(s.FetchedAt).Seconds())
				}
			}
		}})
	return m
}

// gaugeFunc refreshes a gauge vector just before each scrape.
type gaugeFunc struct {
	desc   *prometheus.GaugeVec
	update func()
}

func (g gaugeFunc) Describe(ch chan<- *prometheus.Desc) { g.desc.Describe(ch) }
func (g gaugeFunc) Collect(ch chan<- prometheus.Metric) {
	g.update()
	g.desc.Collect(ch)
}

func (m *metrics) observeCollect(source string, took time.Duration, err error) {
	m.collect.WithLabelValues(source).Observe(took.Seconds())
	if err != nil {
		m.collectErr.WithLabelValues(source).Inc()
	}
}

// observe counts every request by its route pattern (never the raw path,
// which would let anyone grow the label set).
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		code := c.Response().Status
		if he, ok := err.(*echo.HTTPError); ok {
			code = he.Code
		} else if err != nil {
			code = 500
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		s.metrics.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
		return err
	}
}

// metricsHandler answers insiders only: the labels name every source,
// and a source can be named after a private node. Prometheus scrapes it
// over loopback, or from elsewhere with the metrics token.
func (s *Server) metricsHandler(c echo.Context) error {
	if !s.insider(c.Request()) {
		return c.String(http.StatusForbidden, "/metrics answers loopback, signed-in callers and the metrics token only\n")
	}
	promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}).ServeHTTP(c.Response(), c.Request())
	return nil
}
