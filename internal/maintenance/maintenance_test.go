package maintenance

import (
	"slices"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/history"
	"github.com/labfront/labfront/internal/yamldoc"
)

func TestParseCronErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ expr, want string }{
		{"0 3 * *", `cron "0 3 * *": expected 5 fields (minute hour day-of-month month day-of-week), found 4`},
		{"60 3 * * *", `cron "60 3 * * *": minute: 60 is out of range 0-59`},
		{"0 24 * * *", `cron "0 24 * * *": hour: 24 is out of range 0-23`},
		{"0 3 0 * *", `cron "0 3 0 * *": day of month: 0 is out of range 1-31`},
		{"0 3 * 13 *", `cron "0 3 * 13 *": month: 13 is out of range 1-12`},
		{"0 3 * * 8", `cron "0 3 * * 8": day of week: 8 is out of range 0-7`},
		{"*/0 3 * * *", `cron "*/0 3 * * *": minute: step "0" is not a positive number`},
		{"0 5-3 * * *", `cron "0 5-3 * * *": hour: range "5-3" runs backwards`},
		{"0 x * * *", `cron "0 x * * *": hour: "x" is not a number`},
	} {
		if _, err := ParseCron(tc.expr); err == nil || err.Error() != tc.want {
			t.Errorf("ParseCron(%q) = %v, want %s", tc.expr, err, tc.want)
		}
	}
}

func TestCronNext(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		expr     string
		from     string
		loc      *time.Location
		want     []string // the next firings, in order
		noFiring bool
	}{
		{"0 3 * * 0", "2026-12-03T10:00:00Z", time.UTC, []string{"2026-12-06T03:00:00Z", "2026-12-13T03:00:00Z"}, false},
		{"0 3 * * sun", "2026-12-06T03:00:00Z", time.UTC, []string{"2026-12-06T03:00:00Z"}, false}, // at t fires
		{"0 3 * * 7", "2026-12-03T00:00:00Z", time.UTC, []string{"2026-12-06T03:00:00Z"}, false},   // 7 is Sunday
		{"*/20 9-10 * * mon-fri", "2026-12-04T10:30:00Z", time.UTC, []string{"2026-12-04T10:40:00Z", "2026-12-07T09:00:00Z", "2026-12-07T09:20:00Z"}, false},
		// Both day fields restricted: either matches (the 1st, or a Monday).
		{"0 0 1 * mon", "2026-12-01T00:00:01Z", time.UTC, []string{"2026-12-07T00:00:00Z", "2026-12-14T00:00:00Z"}, false},
		{"0 12 29 feb *", "2026-03-01T00:00:00Z", time.UTC, []string{"2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z"}, false},
		{"0 0 30 2 *", "2026-01-01T00:00:00Z", time.UTC, nil, true},
		// 02:30 does not exist in Berlin on 2026-03-29: that night is skipped.
		{"30 2 * * *", "2026-03-28T12:00:00Z", berlin, []string{"2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"}, false},
		// 02:30 happens twice on 2026-10-25: it fires once, at the first.
		{"30 2 * * *", "2026-10-24T12:00:00Z", berlin, []string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}, false},
	} {
		s, err := ParseCron(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		from := utc(tc.from)
		var got []string
		for range max(len(tc.want), 1) {
			next, ok := s.Next(from, tc.loc)
			if !ok {
				break
			}
			got = append(got, next.UTC().Format(time.RFC3339))
			from = next.Add(time.Minute)
		}
		if tc.noFiring {
			if got != nil {
				t.Errorf("%s fired at %v", tc.expr, got)
			}
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s from %s = %v, want %v", tc.expr, tc.from, got, tc.want)
		}
	}
}

const config = `maintenance:
  - {systems: [pve-io], start: 2026-12-24T02:00:00Z, duration: 2h, reason: kernel upgrade}
  - {systems: [nas], cron: "0 3 * * 0", duration: 30m, reason: weekly scrub}
`

func parse(t *testing.T, src string) (Windows, []string) {
	t.Helper()
	var probs diag.List
	doc := &yamldoc.Doc{Path: "admin.yaml", Problems: &probs}
	root := doc.Parse([]byte(src))
	f := doc.Map(root, "", "maintenance")
	ws := Parse(doc, f.List("maintenance"), func(id string) bool { return id == "pve-io" || id == "nas" }, time.UTC)
	var out []string
	for _, p := range probs {
		out = append(out, p.Error())
	}
	return ws, out
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	_, got := parse(t, `maintenance:
  - {systems: [pve-io], start: tomorrow, duration: 2h, reason: r}
  - {systems: [nas], cron: "0 3 * *", duration: 30m, reason: r}
  - {systems: [ghost], cron: "0 3 * * *", start: 2026-12-24T02:00:00Z, duration: -1h}
  - {systems: [], duration: 1h, reason: r, when: now}
`)
	want := []string{
		`admin.yaml:2: maintenance[0].start: expected an RFC 3339 time like 2026-12-24T02:00:00Z, found "tomorrow"`,
		`admin.yaml:3: maintenance[1].cron: cron "0 3 * *": expected 5 fields (minute hour day-of-month month day-of-week), found 4`,
		`admin.yaml:4: maintenance[2].reason: required`,
		`admin.yaml:4: maintenance[2].systems[0]: no node "ghost" in lab.yaml`,
		`admin.yaml:4: maintenance[2].duration: must be a positive duration like 30m or 2h, found "-1h"`,
		`admin.yaml:4: maintenance[2].cron: give start (one-off) or cron (recurring), not both`,
		`admin.yaml:5: maintenance[3].when: unknown key (allowed: systems, start, cron, duration, reason)`,
		`admin.yaml:5: maintenance[3].systems: name at least one system`,
		`admin.yaml:5: maintenance[3]: give start (one-off) or cron (recurring)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", join(got), join(want))
	}
}

func join(s []string) string {
	out := ""
	for _, l := range s {
		out += "  " + l + "\n"
	}
	return out
}

func TestWindows(t *testing.T) {
	t.Parallel()
	ws, probs := parse(t, config)
	if probs != nil {
		t.Fatal(probs)
	}
	d := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if _, in := ws.At("pve-io", d("2026-12-24T01:59:59Z")); in {
		t.Error("in maintenance before the window")
	}
	if o, in := ws.At("pve-io", d("2026-12-24T03:59:00Z")); !in || o.Window.Reason != "kernel upgrade" || !o.To.Equal(d("2026-12-24T04:00:00Z")) {
		t.Errorf("during the window: %+v %v", o, in)
	}
	if _, in := ws.At("nas", d("2026-12-24T03:00:00Z")); in {
		t.Error("nas is not in pve-io's window")
	}
	// The scrub on Sunday 2026-12-06 03:00 runs to 03:30.
	if o, in := ws.At("nas", d("2026-12-06T03:29:00Z")); !in || !o.From.Equal(d("2026-12-06T03:00:00Z")) {
		t.Errorf("weekly scrub: %+v %v", o, in)
	}
	if _, in := ws.At("nas", d("2026-12-06T03:30:00Z")); in {
		t.Error("the scrub is over at 03:30")
	}
	if o, ok := ws.Next("nas", d("2026-12-06T03:10:00Z")); !ok || !o.From.Equal(d("2026-12-06T03:00:00Z")) {
		t.Errorf("next while under way is the current one: %+v", o)
	}
	if o, ok := ws.Next("nas", d("2026-12-06T03:30:00Z")); !ok || !o.From.Equal(d("2026-12-13T03:00:00Z")) {
		t.Errorf("next after it: %+v", o)
	}
	if _, ok := ws.Next("pve-io", d("2026-12-25T00:00:00Z")); ok {
		t.Error("a one-off window that is over has no next")
	}
	up := ws.Upcoming(d("2026-12-20T00:00:00Z"), 7*24*time.Hour)
	var got []string
	for _, o := range up {
		got = append(got, o.Window.Systems[0]+"@"+o.From.Format(time.RFC3339))
	}
	if want := []string{"nas@2026-12-20T03:00:00Z", "pve-io@2026-12-24T02:00:00Z"}; !slices.Equal(got, want) {
		t.Errorf("upcoming = %v, want %v", got, want)
	}
	if !ws.InMaintenance("nas", d("2026-12-06T03:00:00Z")) || ws.InMaintenance("nas", d("2026-12-06T02:59:59Z")) {
		t.Error("InMaintenance disagrees with At")
	}
	// The windows plug straight into the uptime arithmetic.
	ov := history.Overlay{Windows: ws.For}
	if got := ov.Windows("pve-io", d("2026-12-24T00:00:00Z"), d("2026-12-25T00:00:00Z")); len(got) != 1 || got[0].To.Sub(got[0].From) != 2*time.Hour {
		t.Errorf("overlay windows: %v", got)
	}
	if iv := ws.For("nas", d("2026-12-01T00:00:00Z"), d("2026-12-31T00:00:00Z")); len(iv) != 4 {
		t.Errorf("nas has %d windows in December before the 31st, want 4", len(iv))
	}
}
