package adminconfig

import (
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/diag"
)

func TestStatusConfig(t *testing.T) {
	cfg, err := Parse([]byte(`auth: {mode: dev}
history: {raw_days: 10, time_zone: Europe/Berlin}
incidents: {open_after: 5m, systems: {pve-io: {resolve_after: 3m}}}
notify:
  - {name: phone, type: ntfy, url: https://ntfy.example/lab, token_env: NTFY}
maintenance:
  - {systems: [kronos-nas], cron: "0 3 * * 0", duration: 30m, reason: scrub}
`), "c.yaml", env(map[string]string{"NTFY": "tk_1"}))
	if err != nil {
		t.Fatal(err)
	}
	sc := cfg.Status
	if !sc.On || sc.History.RawDays != 10 || sc.History.Location.String() != "Europe/Berlin" || sc.History.RetentionDays != 400 {
		t.Errorf("history %+v", sc.History)
	}
	if sc.Incidents.OpenAfter != 5*time.Minute || sc.Incidents.For("pve-io").ResolveAfter != 3*time.Minute {
		t.Errorf("incidents %+v", sc.Incidents)
	}
	if len(sc.Notify) != 1 || sc.Notify[0].Token != "tk_1" {
		t.Errorf("notify %+v", sc.Notify)
	}
	if len(sc.Maintenance.List) != 1 || sc.Maintenance.Location.String() != "Europe/Berlin" {
		t.Errorf("maintenance %+v", sc.Maintenance)
	}

	// Without the keys the defaults are on; a Config built in code is off.
	bare, err := Parse([]byte("auth: {mode: dev}\nhistory:\n"), "c.yaml", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !bare.Status.On || bare.Status.History.RawDays != 14 || bare.Status.Incidents.OpenAfter != 2*time.Minute {
		t.Errorf("defaults %+v", bare.Status)
	}
	if (Config{}).Status.On {
		t.Error("the zero config records")
	}
}

func TestStatusConfigProblems(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown history key", "history: {keep: 3}\n", "c.yaml:2: history.keep: unknown key"},
		{"raw days too few", "history: {raw_days: 2}\n", "c.yaml:2: history.raw_days: must be at least 7"},
		{"bad zone", "history: {time_zone: Mars/Olympus}\n", `c.yaml:2: history.time_zone: unknown time zone "Mars/Olympus"`},
		{"bad threshold", "incidents:\n  open_after: soon\n", `c.yaml:3: incidents.open_after: must be a duration like 2m or 30s, found "soon"`},
		{"notify not a list", "notify: {name: x}\n", "c.yaml:2: notify: expected a list"},
		{"notify type", "notify:\n  - {name: x, type: pager, url: https://p.example}\n", `c.yaml:3: notify[0].type: must be one of ntfy, webhook, discord, slack, smtp, found "pager"`},
		{"secret unset", "notify:\n  - {name: x, type: discord, url_env: HOOK_URL}\n", "c.yaml:3: notify[0].url_env: $HOOK_URL"},
		{"maintenance without schedule", "maintenance:\n  - {systems: [a], duration: 1h, reason: r}\n", "c.yaml:3: maintenance[0]: give start (one-off) or cron (recurring)"},
		{"bad cron", "maintenance:\n  - {systems: [a], cron: \"61 * * * *\", duration: 1h, reason: r}\n", "c.yaml:3: maintenance[0].cron:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte("auth: {mode: dev}\n"+tc.yaml), "c.yaml", env(nil))
			if _, ok := diag.As(err); !ok || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}
