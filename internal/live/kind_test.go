package live

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/yamldoc"
)

// parseSources reads a sources: list with the given kinds, returning the
// sources and every problem as "file:line: field: message".
func parseSources(t *testing.T, ks Kinds, yaml string, env map[string]string) ([]Source, []string) {
	t.Helper()
	var probs diag.List
	doc := &yamldoc.Doc{Path: "admin.yaml", Problems: &probs}
	root := doc.Parse([]byte(yaml))
	if root == nil {
		t.Fatalf("not YAML: %v", probs.Err())
	}
	f := doc.Map(root, "", "sources")
	srcs := ks.ParseSources(doc, f.List("sources"), func(k string) string { return env[k] })
	var out []string
	for _, p := range probs {
		out = append(out, p.Error())
	}
	return srcs, out
}

func TestParseSources(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yaml string
		env        map[string]string
		want       []string // problems, in order
		check      func(t *testing.T, srcs []Source)
	}{
		{name: "every kind", yaml: `sources:
  - {name: prom, type: prometheus, url: "http://127.0.0.1:9090", interval: 30s}
  - {name: pve, type: proxmox, url: "https://10.0.0.2:8006", insecure: true, secret_env: PVE}
  - {name: ts, type: tailscale, tailnet: example.org, secret_env: TS}
  - {name: probes, type: probe}
  - {name: demo, type: demo}
  - {name: tunnel, type: cloudflared}
`, env: map[string]string{"PVE": "root@pam!ro=x", "TS": "tskey"}, check: func(t *testing.T, srcs []Source) {
			if len(srcs) != 6 {
				t.Fatalf("%d sources", len(srcs))
			}
			if srcs[0].Interval != 30*time.Second || srcs[0].Timeout != 10*time.Second {
				t.Errorf("prometheus interval %v timeout %v", srcs[0].Interval, srcs[0].Timeout)
			}
			if !srcs[1].Insecure || srcs[1].Secret != "root@pam!ro=x" {
				t.Errorf("proxmox %+v", srcs[1])
			}
			if o, ok := srcs[2].Options.(TailscaleOptions); !ok || o.Tailnet != "example.org" {
				t.Errorf("tailscale options %#v", srcs[2].Options)
			}
			if srcs[3].Insecure || srcs[3].Interval != 15*time.Second {
				t.Errorf("probe defaults %+v", srcs[3])
			}
		}},
		{name: "unknown type", yaml: "sources:\n  - {name: a, type: snmp}\n",
			want: []string{`admin.yaml:2: sources[0].type: must be one of prometheus, proxmox, tailscale, probe, demo, cloudflared, docker, kubernetes, found "snmp"`}},
		{name: "a key of another kind", yaml: "sources:\n  - {name: a, type: prometheus, url: \"http://127.0.0.1:9090\",\n     insecure: true}\n",
			want: []string{"admin.yaml:3: sources[0].insecure: only proxmox, probe, docker and kubernetes sources take insecure"}},
		{name: "a key of no kind", yaml: "sources:\n  - {name: a, type: demo, tailnet2: x}\n",
			want: []string{"admin.yaml:2: sources[0].tailnet2: unknown key (allowed: name, type, url, interval, timeout, secret_env, secret_file, site, insecure, tailnet, tunnel_id, tls_ca, tls_cert, tls_key, kubeconfig, context)"}},
		{name: "missing url", yaml: "sources:\n  - {name: pve, type: proxmox}\n",
			want: []string{"admin.yaml:2: sources[0].url: required"}},
		{name: "missing name and type", yaml: "sources:\n  - {url: x}\n",
			want: []string{"admin.yaml:2: sources[0].name: required", "admin.yaml:2: sources[0].type: required"}},
		{name: "bad duration", yaml: "sources:\n  - {name: d, type: demo, interval: soon}\n",
			want: []string{`admin.yaml:2: sources[0].interval: must be a positive duration like 15s or 1m, found "soon"`}},
		{name: "unset secret", yaml: "sources:\n  - {name: ts, type: tailscale, secret_env: NOPE}\n",
			want: []string{"admin.yaml:2: sources[0].secret_env: $NOPE is empty or unset"}},
		{name: "duplicate names", yaml: "sources:\n  - {name: d, type: demo}\n  - {name: d, type: probe}\n",
			want: []string{`admin.yaml:3: sources[1].name: duplicate source name "d"`}},
		{name: "the kind's own check", yaml: "sources:\n  - {name: t, type: cloudflared, tunnel_id: nope}\n",
			want: []string{`admin.yaml:2: sources[0].tunnel_id: must be the tunnel's UUID (labfront tunnel provision prints it), found "nope"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srcs, got := parseSources(t, Builtin(), tc.yaml, tc.env)
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems\n got %q\nwant %q", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, srcs)
			}
		})
	}
}

func TestCheckLab(t *testing.T) {
	t.Parallel()
	const head = "sites:\n  - {id: home, name: Home}\nlinks: []\nnodes:\n  - id: pve\n    name: PVE\n    type: hypervisor\n    site: home\n    live:\n"
	for _, tc := range []struct {
		name, live string
		want       []string
	}{
		{name: "every key", live: "      proxmox: pve\n      prometheus: 10.0.0.2:9100\n      probe: https://10.0.0.2:8006\n      tailscale: pve\n"},
		{name: "a typo", live: "      proxmox: pve\n      promethues: 10.0.0.2:9100\n",
			want: []string{"lab.yaml:11: nodes[0].live.promethues: unknown key (allowed: docker, kubernetes, probe, prometheus, proxmox, tailscale)"}},
		{name: "a bad proxmox reference", live: "      proxmox: pve/docker/7\n",
			want: []string{`lab.yaml:10: nodes[0].live.proxmox: "pve/docker/7": guest type must be lxc or qemu, found "docker"`}},
		{name: "a bad probe", live: "      probe: ftp://nas\n",
			want: []string{`lab.yaml:10: nodes[0].live.probe: "ftp://nas" must start with https://, http:// or tcp://`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := lab.Parse([]byte(head+tc.live), "lab.yaml")
			if err != nil {
				t.Fatalf("lab itself refuses it: %v", err)
			}
			var got []string
			if err := Builtin().CheckLab(l); err != nil {
				list, ok := diag.As(err)
				if !ok {
					t.Fatalf("not a problem list: %v", err)
				}
				for _, p := range list {
					got = append(got, p.Error())
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

// toyCollector is the whole of a new kind of source, as a contributor
// would add one: a Kind declared beside its collector and nothing else.
type toyCollector struct{ nodes map[string]string }

func (c toyCollector) Collect(context.Context) (*Result, error) {
	r := &Result{Nodes: map[string]NodeData{}}
	for id, v := range c.nodes {
		r.Nodes[id] = NodeData{Status: Up, Detail: "toy " + v}
	}
	return r, nil
}

func toyKind() Kind {
	return Kind{
		Name: "toy", Keys: []string{"colour"}, LiveKey: "toy",
		CheckLive: func(v string) error {
			if !strings.HasPrefix(v, "toy:") {
				return errorString("must start with toy:")
			}
			return nil
		},
		Configure: func(s Settings, src *Source) {
			c := s.Fields.String("colour")
			if c != "red" && c != "blue" {
				s.Errorf("colour", "must be red or blue, found %q", c)
			}
			src.Options = c
		},
		New: func(src Source, l *lab.Lab, _ func() time.Time) (Collector, error) {
			c := toyCollector{nodes: map[string]string{}}
			for _, n := range l.Nodes {
				if v := n.Live.Get("toy"); v != "" {
					c.nodes[n.ID] = v + " " + src.Options.(string)
				}
			}
			return c, nil
		},
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

// TestAddACollector proves that a kind declared in one place is enough:
// the config parser takes its keys, lab.yaml checks its live: key and the
// registry builds its collector. Nothing outside this file knows "toy".
func TestAddACollector(t *testing.T) {
	t.Parallel()
	ks := append(Builtin(), toyKind())
	srcs, probs := parseSources(t, ks, "sources:\n  - {name: t, type: toy, colour: blue}\n", nil)
	if len(probs) > 0 {
		t.Fatalf("config: %q", probs)
	}
	if _, probs := parseSources(t, ks, "sources:\n  - {name: t, type: toy, colour: green}\n", nil); !slices.Equal(probs, []string{`admin.yaml:2: sources[0].colour: must be red or blue, found "green"`}) {
		t.Errorf("the kind's own config check: %q", probs)
	}
	if _, probs := parseSources(t, ks, "sources:\n  - {name: p, type: probe, colour: red}\n", nil); !slices.Equal(probs, []string{"admin.yaml:2: sources[0].colour: only toy sources take colour"}) {
		t.Errorf("another kind's key: %q", probs)
	}
	l, err := lab.Parse([]byte("sites: []\nlinks: []\nnodes:\n  - {id: a, name: A, type: cloud, live: {toy: \"toy:1\"}}\n  - {id: b, name: B, type: cloud, live: {toy: \"1\"}}\n"), "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = ks.CheckLab(l)
	if err == nil || err.Error() != "lab.yaml:5: nodes[1].live.toy: must start with toy:" {
		t.Errorf("live check: %v", err)
	}
	if err := Builtin().CheckLab(l); err == nil || !strings.Contains(err.Error(), "nodes[0].live.toy: unknown key") {
		t.Errorf("without the kind, toy is a typo: %v", err)
	}
	c, err := ks.New(srcs[0], l, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Collect(context.Background())
	if err != nil || r.Nodes["a"].Detail != "toy toy:1 blue" {
		t.Errorf("collect: %+v, %v", r, err)
	}
	if _, err := Builtin().New(srcs[0], l, nil); err == nil || !strings.Contains(err.Error(), `type "toy" is not in this build`) {
		t.Errorf("an unknown kind: %v", err)
	}
}

// TestSchemaLiveKeys keeps the editor schema's live: keys equal to the
// registry's, since lab no longer lists them.
func TestSchemaLiveKeys(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../content/lab.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Defs map[string]struct {
			Properties           map[string]json.RawMessage `json:"properties"`
			AdditionalProperties *bool                      `json:"additionalProperties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	def := schema.Defs["live"]
	var got []string
	for k := range def.Properties {
		got = append(got, k)
	}
	slices.Sort(got)
	if want := Builtin().LiveKeys(); !slices.Equal(got, want) {
		t.Errorf("schema $defs.live has %q, the registry %q", got, want)
	}
	if def.AdditionalProperties == nil || *def.AdditionalProperties {
		t.Error("the schema allows unknown live keys; CheckLab refuses them")
	}
}
