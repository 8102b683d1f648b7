package live

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/labfront/labfront/internal/lab"
)

// Demo simulates a lab: plausible, slowly changing metrics for every node
// that is not a cloud service, and one guest that drops out for a minute
// every ten. It drives `labfront serve` and screenshots, where no real
// homelab is at hand. Values are pure functions of the node and the time,
// so a page and its sparklines agree.
type Demo struct {
	lab *lab.Lab
	now func() time.Time
	// flaky is the node that goes down now and then.
	flaky string
}

var _ Collector = (*Demo)(nil)

// demoKind simulates the lab: the built-in example needs no homelab.
func demoKind() Kind {
	return Kind{
		Name: "demo",
		New:  func(_ Source, l *lab.Lab, now func() time.Time) (Collector, error) { return NewDemo(l, now), nil },
	}
}

// NewDemo simulates l. now may be nil for the real clock.
func NewDemo(l *lab.Lab, now func() time.Time) *Demo {
	if now == nil {
		now = time.Now
	}
	d := &Demo{lab: l, now: now}
	for _, n := range l.Nodes {
		if n.Parent != "" && n.Type == "container" {
			d.flaky = n.ID
		}
	}
	return d
}

func phase(id string) float64 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return float64(h.Sum32()%1000) / 1000 * 2 * math.Pi
}

// cpu is a busy fraction that wanders between about 5 % and 85 %.
func (d *Demo) cpu(id string, t time.Time) float64 {
	p := phase(id)
	s := float64(t.Unix())
	v := 0.35 + 0.25*math.Sin(s/300+p) + 0.12*math.Sin(s/47+2*p) + 0.05*math.Sin(s/11+3*p)
	return math.Max(0.03, math.Min(0.97, v))
}

func (d *Demo) memory(id string, t time.Time) float64 {
	p := phase(id)
	return 0.45 + 0.2*math.Sin(p) + 0.05*math.Sin(float64(t.Unix())/900+p)
}

func (d *Demo) down(id string, t time.Time) bool {
	return id == d.flaky && t.Unix()%600 < 60
}

// Collect returns the simulated lab at the current time.
func (d *Demo) Collect(ctx context.Context) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := d.now()
	res := &Result{Nodes: map[string]NodeData{}}
	for _, n := range d.lab.Nodes {
		if n.Type == "cloud" {
			continue
		}
		if d.down(n.ID, now) {
			res.Nodes[n.ID] = NodeData{Status: Down, Detail: "not responding (simulated outage)"}
			res.Alerts = append(res.Alerts, Alert{Name: "InstanceDown", Severity: "critical", Node: n.ID,
				Summary: n.Name + " has not answered for a minute", Since: now.Truncate(10 * time.Minute)})
			continue
		}
		cpu, mem := d.cpu(n.ID, now), d.memory(n.ID, now)
		cores := float64(max(1, n.Specs.Cores))
		nd := NodeData{
			Status: Up,
			CPU:    Ptr(cpu),
			Memory: Ptr(mem),
			Disk:   Ptr(0.2 + 0.6*math.Abs(math.Sin(phase(n.ID)*3))),
			Load:   Ptr(math.Round(cpu*cores*100) / 100),
			Detail: fmt.Sprintf("simulated, up %dd", 3+int(phase(n.ID)*5)),
			Series: map[string][]Point{},
		}
		for i := 29; i >= 0; i-- {
			t := now.Add(-time.Duration(i) * time.Minute).Truncate(time.Minute)
			nd.Series["cpu"] = append(nd.Series["cpu"], Point{T: t, V: d.cpu(n.ID, t)})
			nd.Series["memory"] = append(nd.Series["memory"], Point{T: t, V: d.memory(n.ID, t)})
		}
		if cpu > 0.8 {
			res.Alerts = append(res.Alerts, Alert{Name: "HighCPU", Severity: "warning", Node: n.ID,
				Summary: fmt.Sprintf("%s CPU at %.0f%%", n.Name, cpu*100), Since: now.Truncate(time.Minute)})
		}
		res.Nodes[n.ID] = nd
	}
	return res, nil
}
