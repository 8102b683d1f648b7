package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/history"
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
	r, ok := sp.Uptime()
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
