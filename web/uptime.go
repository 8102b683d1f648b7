package web

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/history"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/snapshot"
	"github.com/labfront/labfront/templates"
)

// UptimeBars is the strip of a system's daily buckets, for the status
// page and the admin: each day's status and the words of its tooltip.
func UptimeBars(name string, days []history.Day) templates.UptimeBars {
	b := templates.UptimeBars{Label: fmt.Sprintf("%s, last %d days", name, len(days))}
	for _, d := range days {
		b.Days = append(b.Days, templates.UptimeDay{Date: d.Date, Status: string(d.Status), Label: DayLabel(d.Date, d.Status, d.Span)})
	}
	return b
}

// DayLabel words one day: its date, its uptime, and what else it held
// ("3 Dec 2026: 99.3 % up, 10 min down, 2 h maintenance").
func DayLabel(date string, status history.DayStatus, sp history.Span) string {
	shown := date
	if t, err := time.Parse(time.DateOnly, date); err == nil {
		shown = t.Format("2 Jan 2006")
	} else if date == "" {
		shown = "No record"
	}
	var parts []string
	switch status {
	case history.DayUnknown:
		parts = append(parts, "no data")
	case history.DayMaintenance:
		parts = append(parts, "maintenance")
	default:
		parts = append(parts, UptimePercent(sp)+" up")
	}
	if sp.Down > 0 {
		parts = append(parts, DurationText(sp.Down)+" down")
	}
	if sp.Degraded > 0 {
		parts = append(parts, DurationText(sp.Degraded)+" degraded")
	}
	if sp.Maintenance > 0 && status != history.DayMaintenance {
		parts = append(parts, DurationText(sp.Maintenance)+" maintenance")
	}
	if sp.Unknown > 0 && status != history.DayUnknown && sp.Known() > 0 {
		parts = append(parts, DurationText(sp.Unknown)+" no data")
	}
	return shown + ": " + strings.Join(parts, ", ")
}

// UptimePercent is a span's uptime as shown: two decimals below 100 %
// (99.95 %, never rounded up to 100), "no data" when nothing is known.
func UptimePercent(sp history.Span) string {
	return RatioPercent(sp.Uptime())
}

// RatioPercent is UptimePercent of a ratio already computed.
func RatioPercent(r float64, ok bool) string {
	if !ok {
		return "no data"
	}
	if r >= 1 {
		return "100 %"
	}
	// Truncated, not rounded: 99.999 % of a month is not 100 %.
	return fmt.Sprintf("%.2f %%", float64(int64(r*10000))/100)
}

// UptimeWindows are a report's rolling windows as shown.
func UptimeWindows(spans []history.Span) []templates.UptimeWindow {
	var out []templates.UptimeWindow
	for i, sp := range spans {
		if i < len(history.Windows) {
			out = append(out, templates.UptimeWindow{Name: windowName(history.Windows[i].Name), Percent: UptimePercent(sp)})
		}
	}
	return out
}

// windowName spaces a window's name as the pages write durations: 24 h.
func windowName(n string) string {
	return n[:len(n)-1] + " " + n[len(n)-1:]
}

// DurationText is a duration in the largest units that matter: 45 s, 10 min,
// 2 h 5 min, 3 d 4 h.
func DurationText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 24*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return fmt.Sprintf("%d d", days)
	}
	return fmt.Sprintf("%d d %d h", days, h)
}

// nodeHistory is a public system's windows and bars from the snapshot;
// a system the history does not know gets days unknown days (a gap, not
// a claim).
func nodeHistory(name string, nh snapshot.NodeHistory, days int) ([]templates.UptimeWindow, templates.UptimeBars) {
	var windows []templates.UptimeWindow
	for i, w := range history.Windows {
		shown := templates.UptimeWindow{Name: windowName(w.Name), Percent: RatioPercent(0, false)}
		if i < len(nh.Windows) && nh.Windows[i].Uptime != nil {
			shown.Percent = RatioPercent(*nh.Windows[i].Uptime, true)
		}
		windows = append(windows, shown)
	}
	var hd []history.Day
	for _, d := range nh.Days {
		sp := history.Span{Up: secDur(d.Up), Degraded: secDur(d.Degraded), Down: secDur(d.Down), Maintenance: secDur(d.Maintenance), Unknown: secDur(d.Unknown)}
		hd = append(hd, history.Day{Date: d.Date, Span: sp, Status: history.DayStatus(d.Status)})
	}
	for len(hd) < days {
		hd = append([]history.Day{{Status: history.DayUnknown}}, hd...)
	}
	return windows, UptimeBars(name, hd)
}

func secDur(s int64) time.Duration { return time.Duration(s) * time.Second }

// addStatusHistory puts the incidents and the maintenance banner of the
// (public) history on the status page.
func addStatusHistory(v *templates.StatusView, h *snapshot.History, nodes []lab.Node) {
	v.HistoryDays = h.Days
	names := map[string]string{}
	for _, n := range nodes {
		names[n.ID] = n.Name
	}
	// The build's "now" is the snapshot's: a build is reproducible.
	asOf, _ := time.Parse(time.RFC3339, v.AsOfISO) // zero without one: every window is shown as planned
	for _, m := range h.Maintenance {
		if !m.To.After(asOf) {
			continue
		}
		var shown []string
		for _, id := range m.Systems {
			if n, ok := names[id]; ok {
				shown = append(shown, n)
			}
		}
		v.Maintenance = append(v.Maintenance, templates.StatusMaintenance{
			Systems: strings.Join(shown, ", "), Reason: m.Reason, Now: !m.From.After(asOf),
			From: stamp(m.From), FromISO: m.From.UTC().Format(time.RFC3339), Until: stamp(m.To), UntilISO: m.To.UTC().Format(time.RFC3339),
		})
	}
	incs := slices.Clone(h.Incidents)
	slices.SortFunc(incs, func(a, b snapshot.Incident) int { return b.Started.Compare(a.Started) })
	for _, inc := range incs {
		si := templates.StatusIncident{ID: inc.ID, Title: inc.Title, Status: inc.Status, Summary: inc.Summary,
			Started: stamp(inc.Started), StartedISO: inc.Started.UTC().Format(time.RFC3339)}
		for _, u := range inc.Updates {
			si.Updates = append(si.Updates, templates.IncidentUpdate{At: stamp(u.At), AtISO: u.At.UTC().Format(time.RFC3339), Status: u.Status, Text: u.Text})
		}
		if inc.Resolved.IsZero() {
			v.Active = append(v.Active, si)
			continue
		}
		si.Resolved, si.ResolvedISO = stamp(inc.Resolved), inc.Resolved.UTC().Format(time.RFC3339)
		v.Past = append(v.Past, si)
	}
}

func stamp(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }
