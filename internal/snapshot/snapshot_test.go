package snapshot

import (
	"strings"
	"testing"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/lab"
)

func TestParseProblems(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"valid", `{"version":1,"generated_at":"2026-11-25T14:02:00Z","nodes":{"a":{"status":"up","checked_at":"2026-11-25T14:01:00Z"}}}`, ""},
		{"syntax error line", "{\"version\": 1,\n\"generated_at\": \"2026-11-25T14:02:00Z\",\n\"nodes\": {,}}", "s.json:3: invalid snapshot JSON"},
		{"unknown field", `{"version":1,"generated_at":"2026-11-25T14:02:00Z","nodes":{},"extra":1}`, `unknown field "extra"`},
		{"wrong version", `{"version":2,"generated_at":"2026-11-25T14:02:00Z","nodes":{}}`, "version: unsupported snapshot version 2"},
		{"no time", `{"version":1,"nodes":{}}`, "generated_at: required"},
		{"bad status", `{"version":1,"generated_at":"2026-11-25T14:02:00Z","nodes":{"a":{"status":"meh"}}}`, `nodes.a.status: must be up, down or unknown, found "meh"`},
		{"bad time", `{"version":1,"generated_at":"yesterday","nodes":{}}`, "invalid snapshot JSON"},
		{"history", `{"version":1,"generated_at":"2026-11-25T14:02:00Z","nodes":{},"history":{"days":90,"nodes":{"a":{"windows":[{"name":"24h","uptime":null}],"days":[{"date":"2026-11-25","status":"partial","up":10,"down":5}]}}}}`, ""},
		{"bad day status", `{"version":1,"generated_at":"2026-11-25T14:02:00Z","nodes":{},"history":{"days":90,"nodes":{"a":{"windows":[],"days":[{"date":"2026-11-25","status":"green"}]}}}}`, `history.nodes.a.days[0].status: must be up, partial, down, maintenance or unknown, found "green"`},
		{"unknown history field", `{"version":1,"generated_at":"2026-11-25T14:02:00Z","nodes":{},"history":{"days":90,"nodes":{},"secret":1}}`, `unknown field "secret"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in), "s.json")
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if _, ok := diag.As(err); !ok || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestPublic(t *testing.T) {
	l, err := lab.Parse([]byte(`sites: [{id: s, name: S}]
nodes:
  - {id: a, name: real-a, alias: Alpha, type: nas, site: s}
  - {id: b, name: b, type: nas, site: s, public: false}
  - {id: c, name: c, type: nas, site: s}
links: []
`), "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in, err := Parse([]byte(`{"version":1,"generated_at":"2026-11-25T14:02:00Z","nodes":{
		"a":{"status":"up","checked_at":"2026-11-25T14:01:00Z","detail":"internal 10.0.0.1"},
		"b":{"status":"down","checked_at":"2026-11-25T14:01:00Z"}}}`), "s.json")
	if err != nil {
		t.Fatal(err)
	}
	out := Public(in, l)
	b, err := out.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
 "version": 1,
 "generated_at": "2026-11-25T14:02:00Z",
 "nodes": {
  "alpha": {
   "status": "up",
   "checked_at": "2026-11-25T14:01:00Z"
  },
  "c": {
   "status": "unknown"
  }
 }
}
`
	if string(b) != want {
		t.Errorf("public snapshot:\n%s\nwant:\n%s", b, want)
	}
}
