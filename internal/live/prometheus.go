package live

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/labfront/labfront/internal/lab"
)

const (
	// promParallel bounds the requests one collection has in flight: enough
	// to overlap the round trips, few enough not to burst a small
	// Prometheus on a homelab box.
	promParallel = 4
	// promSeriesWindow and promSeriesStep shape the sparklines: half an
	// hour at one point a minute.
	promSeriesWindow = 30 * time.Minute
	promSeriesStep   = time.Minute
	// promRootFSExcluded are the filesystem types that say nothing about a
	// node's disk when mounted on "/": rootfs is the initramfs entry that
	// shadows the real root on older kernels, the others live in memory or
	// are read-only images that always read as full.
	promRootFSExcluded = "rootfs|tmpfs|ramfs|squashfs"
)

// Prometheus reads node_exporter metrics, scrape health and firing alerts
// from a Prometheus server for every lab node with a live.prometheus
// instance label. Each metric is one query for all nodes, so a collection
// costs the same handful of requests however large the lab is.
type Prometheus struct {
	name    string
	api     v1.API
	targets []promTarget
	// byInstance maps an instance label to the first node that has it, to
	// attach alerts to nodes.
	byInstance map[string]string
	// queries are the PromQL expressions, built once from the instances.
	queries promQueries
	// now is the clock; tests replace it.
	now func() time.Time
}

var _ Collector = (*Prometheus)(nil)

// promTarget is a lab node and the instance label its series carry.
type promTarget struct {
	node, instance string
}

// promQueries are the expressions one collection evaluates. Every one is
// aggregated or filtered down to at most one series per instance, except
// up, which keeps its job label so that Detail can name a failing job.
type promQueries struct {
	up, cpu, memory, disk, load string
}

const prometheusLiveKey = "prometheus"

// prometheusKind reads node metrics and firing alerts from Prometheus. A
// live.prometheus value is the instance label, any text.
func prometheusKind() Kind {
	return Kind{
		Name: "prometheus", NeedsURL: true, LiveKey: prometheusLiveKey,
		New: func(src Source, l *lab.Lab, _ func() time.Time) (Collector, error) { return NewPrometheus(src, l) },
		Discover: func(ctx context.Context, src Source) ([]Found, error) {
			p, err := NewPrometheus(src, &lab.Lab{})
			if err != nil {
				return nil, err
			}
			return p.Discover(ctx)
		},
	}
}

// NewPrometheus queries the Prometheus server at src.URL (an http(s) URL,
// with a path prefix when Prometheus runs behind one) through src.Client()
// for the nodes of l that name a live.prometheus instance.
func NewPrometheus(src Source, l *lab.Lab) (*Prometheus, error) {
	u, err := url.Parse(src.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("prometheus source %q: url must be an absolute http(s) URL, found %q", src.Name, src.URL)
	}
	client, err := api.NewClient(api.Config{Address: src.URL, Client: src.Client()})
	if err != nil {
		return nil, fmt.Errorf("prometheus source %q: %w", src.Name, err)
	}
	p := &Prometheus{
		name:       src.Name,
		api:        v1.NewAPI(client),
		byInstance: map[string]string{},
		now:        time.Now,
	}
	var instances []string
	for _, n := range l.Nodes {
		inst := n.Live.Get(prometheusLiveKey)
		if inst == "" {
			continue
		}
		p.targets = append(p.targets, promTarget{node: n.ID, instance: inst})
		if _, dup := p.byInstance[inst]; !dup {
			p.byInstance[inst] = n.ID
			instances = append(instances, inst)
		}
	}
	p.queries = newPromQueries(instances)
	return p, nil
}

// newPromQueries builds the expressions for instances. PromQL anchors
// regular expressions itself, and its string literals use Go's escapes, so
// strconv.Quote of the escaped alternation is a valid matcher value.
func newPromQueries(instances []string) promQueries {
	alts := make([]string, len(instances))
	for i, inst := range instances {
		alts[i] = regexp.QuoteMeta(inst)
	}
	inst := "instance=~" + strconv.Quote(strings.Join(alts, "|"))
	// rate needs two samples inside its window. One minute is the freshest
	// view at the usual 15 s scrape interval; the 5-minute fallback covers
	// a slow scrape interval and the first minute after a (re)start, per
	// instance, because "or" only adds the instances the left side lacks.
	cpu := func(window string) string {
		return fmt.Sprintf(`(1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle",%s}[%s])))`, inst, window)
	}
	fs := fmt.Sprintf(`{mountpoint="/",fstype!~%q,%s}`, promRootFSExcluded, inst)
	return promQueries{
		up:  fmt.Sprintf("up{%s}", inst),
		cpu: cpu("1m") + " or " + cpu("5m"),
		// max by instance collapses the same exporter scraped by two jobs.
		memory: fmt.Sprintf("max by (instance) (1 - node_memory_MemAvailable_bytes{%[1]s} / node_memory_MemTotal_bytes{%[1]s})", inst),
		disk:   fmt.Sprintf("max by (instance) (1 - node_filesystem_avail_bytes%[1]s / node_filesystem_size_bytes%[1]s)", fs),
		load:   fmt.Sprintf("max by (instance) (node_load1{%s})", inst),
	}
}

// promSnapshot is what the queries of one collection returned.
type promSnapshot struct {
	up                      model.Vector
	cpu, memory, disk, load map[string]float64
	cpuSeries, memSeries    map[string][]Point
	alerts                  []v1.Alert
}

// Collect asks Prometheus for the nodes' scrape health, current usage,
// the last half hour of CPU and memory, and the firing alerts. Any failed
// request fails the collection, because the queries are fixed and valid:
// a failure means the server is unreachable, overloaded or not a
// Prometheus, and the store should keep the last good result. A metric
// that returns no series for a node is not a failure; its value stays nil.
func (p *Prometheus) Collect(ctx context.Context) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("prometheus %q: %w", p.name, err)
	}
	// Range queries need explicit bounds; instant queries are evaluated at
	// the server's own time, so a homelab clock that drifted more than the
	// 5-minute lookback cannot make every series look absent.
	now := p.now()
	var s promSnapshot
	alerts := promTask{"alerts", func(ctx context.Context) error {
		res, err := p.api.Alerts(ctx)
		s.alerts = res.Alerts
		return err
	}}
	if len(p.targets) == 0 {
		// Nothing to measure, but the alerts still matter, and asking for
		// them tells whether the source is reachable.
		if err := promRun(ctx, []promTask{alerts}); err != nil {
			return nil, fmt.Errorf("prometheus %q: %w", p.name, err)
		}
		return p.result(&s), nil
	}
	instant := func(dst *map[string]float64, q string) func(context.Context) error {
		return func(ctx context.Context) error {
			vec, err := p.instant(ctx, q)
			*dst = promByInstance(vec)
			return err
		}
	}
	series := func(dst *map[string][]Point, q string) func(context.Context) error {
		return func(ctx context.Context) error {
			var err error
			*dst, err = p.series(ctx, q, now)
			return err
		}
	}
	// up first: every node's status depends on it.
	tasks := []promTask{
		{"up", func(ctx context.Context) error {
			var err error
			s.up, err = p.instant(ctx, p.queries.up)
			return err
		}},
		{"cpu", instant(&s.cpu, p.queries.cpu)},
		{"memory", instant(&s.memory, p.queries.memory)},
		{"disk", instant(&s.disk, p.queries.disk)},
		{"load", instant(&s.load, p.queries.load)},
		{"cpu series", series(&s.cpuSeries, p.queries.cpu)},
		{"memory series", series(&s.memSeries, p.queries.memory)},
		alerts,
	}
	if err := promRun(ctx, tasks); err != nil {
		return nil, fmt.Errorf("prometheus %q: %w", p.name, err)
	}
	return p.result(&s), nil
}

// result maps a collection's answers onto the lab's nodes.
func (p *Prometheus) result(s *promSnapshot) *Result {
	// The up series of an instance, by job; an instance scraped by several
	// jobs counts as up when any of them succeeds.
	up := map[string]map[string]float64{}
	for _, smp := range s.up {
		inst := string(smp.Metric["instance"])
		if up[inst] == nil {
			up[inst] = map[string]float64{}
		}
		up[inst][string(smp.Metric["job"])] = float64(smp.Value)
	}
	res := &Result{Nodes: make(map[string]NodeData, len(p.targets))}
	for _, tg := range p.targets {
		nd := NodeData{
			CPU:    promFraction(s.cpu, tg.instance),
			Memory: promFraction(s.memory, tg.instance),
			Disk:   promFraction(s.disk, tg.instance),
			Load:   promValue(s.load, tg.instance),
		}
		nd.Status, nd.Detail = promStatus(up[tg.instance], tg.instance)
		for key, m := range map[string]map[string][]Point{"cpu": s.cpuSeries, "memory": s.memSeries} {
			if pts := m[tg.instance]; len(pts) > 0 {
				if nd.Series == nil {
					nd.Series = map[string][]Point{}
				}
				nd.Series[key] = pts
			}
		}
		res.Nodes[tg.node] = nd
	}
	res.Alerts = p.firing(s.alerts)
	return res
}

// promStatus turns an instance's up values by job into a status. An
// instance without an up series is not scraped at all: a typo in lab.yaml
// or a target dropped from the config, which the operator should see as
// down rather than as quietly unknown.
func promStatus(jobs map[string]float64, instance string) (status, detail string) {
	if len(jobs) == 0 {
		return Down, fmt.Sprintf("no scrape target for instance %q", instance)
	}
	var failing []string
	for job, v := range jobs {
		if v == 1 {
			return Up, ""
		}
		failing = append(failing, job)
	}
	slices.Sort(failing)
	return Down, "scrape failing (job " + strings.Join(failing, ", ") + ")"
}

// firing converts the server's firing alerts, sorted by name then node.
// The alerts API is used rather than the ALERTS series because only it
// carries the annotations (the summary) and when the alert became active.
func (p *Prometheus) firing(alerts []v1.Alert) []Alert {
	var out []Alert
	for _, a := range alerts {
		if a.State != v1.AlertStateFiring {
			continue
		}
		summary := a.Annotations["summary"]
		if summary == "" {
			summary = a.Annotations["description"]
		}
		out = append(out, Alert{
			Name:     string(a.Labels[model.AlertNameLabel]),
			Severity: string(a.Labels["severity"]),
			Node:     p.byInstance[string(a.Labels[model.InstanceLabel])],
			Summary:  string(summary),
			Since:    a.ActiveAt,
		})
	}
	slices.SortStableFunc(out, func(a, b Alert) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Node, b.Node))
	})
	return out
}

// instant evaluates q at the server's current time and expects an instant
// vector.
func (p *Prometheus) instant(ctx context.Context, q string) (model.Vector, error) {
	// Warnings and infos are annotations about the query ("metric might
	// not be a counter"), not failures; a Result has nowhere to show them.
	val, _, _, err := p.api.Query(ctx, q, time.Time{})
	if err != nil {
		return nil, err
	}
	vec, ok := val.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("expected a vector, got a %s", promValueType(val))
	}
	return vec, nil
}

// series evaluates q over the sparkline window ending at end, by instance.
func (p *Prometheus) series(ctx context.Context, q string, end time.Time) (map[string][]Point, error) {
	r := v1.Range{Start: end.Add(-promSeriesWindow), End: end, Step: promSeriesStep}
	// See instant for why warnings and infos are dropped.
	val, _, _, err := p.api.QueryRange(ctx, q, r)
	if err != nil {
		return nil, err
	}
	mat, ok := val.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("expected a matrix, got a %s", promValueType(val))
	}
	out := make(map[string][]Point, len(mat))
	for _, stream := range mat {
		inst := string(stream.Metric["instance"])
		pts := make([]Point, 0, len(stream.Values))
		for _, v := range stream.Values {
			f := float64(v.Value)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				continue
			}
			pts = append(pts, Point{T: v.Timestamp.Time().UTC(), V: promClamp(f)})
		}
		out[inst] = pts
	}
	return out, nil
}

func promValueType(v model.Value) string {
	if v == nil {
		return "null"
	}
	return v.Type().String()
}

// promByInstance indexes a vector that has one series per instance.
func promByInstance(vec model.Vector) map[string]float64 {
	out := make(map[string]float64, len(vec))
	for _, smp := range vec {
		out[string(smp.Metric["instance"])] = float64(smp.Value)
	}
	return out
}

// promValue is the instance's value, nil when it has none or when it is
// NaN or infinite (a zero-sized filesystem divides by zero).
func promValue(m map[string]float64, instance string) *float64 {
	v, ok := m[instance]
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return Ptr(v)
}

// promFraction is promValue clamped to [0,1]: counter resets and clock
// jitter can push a rate-based busy fraction a little outside it.
func promFraction(m map[string]float64, instance string) *float64 {
	v := promValue(m, instance)
	if v == nil {
		return nil
	}
	return Ptr(promClamp(*v))
}

func promClamp(v float64) float64 { return max(0, min(1, v)) }

// promExplain adds the server's own message to an API error whose JSON
// body the client keeps only in Detail, as it does for HTTP 503: the
// status Prometheus answers when a query times out or is cancelled.
func promExplain(err error) error {
	var apiErr *v1.Error
	if !errors.As(err, &apiErr) || apiErr.Detail == "" {
		return err
	}
	var body struct {
		Error string `json:"error"`
	}
	if jerr := json.Unmarshal([]byte(apiErr.Detail), &body); jerr != nil || body.Error == "" {
		return err // not a Prometheus error body: a proxy's page, say
	}
	return fmt.Errorf("%w: %s", err, body.Error)
}

// promTask is one request of a collection.
type promTask struct {
	name string
	run  func(ctx context.Context) error
}

// promRun runs tasks, at most promParallel at a time, and returns the first
// failure after cancelling the others. It returns only once every task has
// returned, so no request outlives the collection.
func promRun(ctx context.Context, tasks []promTask) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	sem := make(chan struct{}, promParallel)
	started := 0
	for _, t := range tasks {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		started++
		wg.Go(func() {
			defer func() { <-sem }()
			if err := t.run(ctx); err != nil {
				once.Do(func() {
					first = fmt.Errorf("query %s: %w", t.name, promExplain(err))
					cancel()
				})
			}
		})
	}
	wg.Wait()
	if first != nil {
		return first
	}
	if started < len(tasks) {
		// The parent was done before every task started, yet those that
		// ran finished in time: the snapshot is incomplete all the same.
		return ctx.Err()
	}
	return nil
}

// Discover lists the scrape targets Prometheus has, one per instance label
// (the value live.prometheus takes) with the jobs that scrape it as tags.
// An instance whose host part is a name, not an address, is matched to
// lab.yaml's nodes by it. A target says nothing of the machine, so none
// gets a type; labfront_* target labels (set by relabelling: labfront_alias,
// labfront_public, labfront_service, labfront_site) carry the operator's
// intent, since Prometheus label names cannot contain dots.
func (p *Prometheus) Discover(ctx context.Context) ([]Found, error) {
	res, err := p.api.Targets(ctx)
	if err != nil {
		return nil, fmt.Errorf("prometheus: list targets: %w", err)
	}
	var out []Found
	index := map[string]int{}
	for _, t := range res.Active {
		inst := string(t.Labels["instance"])
		if inst == "" {
			continue
		}
		job := string(t.Labels["job"])
		i, seen := index[inst]
		if !seen {
			f := Found{LiveKey: prometheusLiveKey, LiveValue: inst, Name: inst}
			if h := promHost(inst); h != "" {
				f.Hostname = h
			}
			labels := map[string]string{}
			for k, v := range t.Labels {
				labels[string(k)] = string(v)
			}
			f.Labels = IntentLabels(labels, "labfront_")
			i = len(out)
			index[inst] = i
			out = append(out, f)
		}
		f := &out[i]
		if job != "" && !slices.Contains(f.Tags, job) {
			f.Tags = append(f.Tags, job)
		}
		part := "job " + job + " " + string(t.Health)
		if f.Detail == "" {
			f.Detail = part
		} else {
			f.Detail += "; " + part
		}
	}
	return out, nil
}

// promHost is the host name of an instance label ("nas.lab:9100"), ""
// when it is an address or not host:port.
func promHost(inst string) string {
	host := inst
	if h, _, err := net.SplitHostPort(inst); err == nil {
		host = h
	}
	if host == "" || net.ParseIP(host) != nil || strings.ContainsAny(host, "/ ") {
		return ""
	}
	if host == "localhost" {
		return ""
	}
	return host
}
