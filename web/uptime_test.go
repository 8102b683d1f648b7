package web

import (
	"testing"
	"time"

	"github.com/labfront/labfront/internal/history"
)

func TestUptimeWords(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status history.DayStatus
		span   history.Span
		pct    string
		label  string
	}{
		{"all up", history.DayUp, history.Span{Up: 24 * time.Hour}, "100 %", "3 Dec 2026: 100 % up"},
		// Truncated, never rounded up to 100 %.
		{"nearly", history.DayPartial, history.Span{Up: 99999 * time.Second, Down: time.Second}, "99.99 %", "3 Dec 2026: 99.99 % up, 1 s down"},
		{"outage and a gap", history.DayDown, history.Span{Up: time.Hour, Down: 2*time.Hour + 5*time.Minute, Unknown: 20 * time.Hour}, "32.43 %",
			"3 Dec 2026: 32.43 % up, 2 h 5 min down, 20 h no data"},
		{"nothing known", history.DayUnknown, history.Span{Unknown: 24 * time.Hour}, "no data", "3 Dec 2026: no data"},
		{"maintenance only", history.DayMaintenance, history.Span{Maintenance: 2 * time.Hour, Unknown: 22 * time.Hour}, "no data", "3 Dec 2026: maintenance"},
		{"maintenance in a day up", history.DayUp, history.Span{Up: 23 * time.Hour, Maintenance: 30 * time.Minute}, "100 %", "3 Dec 2026: 100 % up, 30 min maintenance"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := UptimePercent(tc.span); got != tc.pct {
				t.Errorf("percent %q, want %q", got, tc.pct)
			}
			if got := DayLabel("2026-12-03", tc.status, tc.span); got != tc.label {
				t.Errorf("label %q, want %q", got, tc.label)
			}
		})
	}
	if got := DurationText(50*time.Hour + 10*time.Minute); got != "2 d 2 h" {
		t.Errorf("DurationText = %q", got)
	}
}
