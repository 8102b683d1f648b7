package topology

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/snapshot"
)

const small = `sites:
  - {id: a, name: A, networks: [{id: a-lan, name: LAN}]}
  - {id: b, name: B, networks: [{id: b-lan, name: LAN}]}
nodes:
  - {id: h1, name: host-one, type: hypervisor, site: a, networks: [a-lan]}
  - {id: h2, name: host-two, type: hypervisor, site: b, networks: [b-lan]}
  - {id: c1, name: app, type: container, site: a, parent: h1}
  - {id: gw, name: gateway, type: gateway, site: a}
  - {id: edge, name: Edge, type: cloud}
links:
  - {from: h1, to: h2, type: tailscale, latency_ms: 38}
  - {from: h1, to: c1, type: lan}
  - {from: gw, to: h1, type: uplink}
  - {from: c1, to: edge, type: tunnel}
`

func mustLab(t testing.TB, src string) *lab.Lab {
	t.Helper()
	l, err := lab.Parse([]byte(src), "lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return l.Public()
}

func TestDrawIsDeterministic(t *testing.T) {
	pub := mustLab(t, small)
	first := Draw(pub)
	a, err := first.JSON(pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		d := Draw(pub)
		b, err := d.JSON(pub, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("two layouts of the same lab differ:\n%s\n%s", a, b)
		}
		if !reflect.DeepEqual(first, d) {
			t.Fatal("two drawings of the same lab differ")
		}
	}
}

func TestDrawWithSnapshot(t *testing.T) {
	pub := mustLab(t, small)
	at := time.Date(2026, 11, 25, 14, 2, 0, 0, time.UTC)
	snap := &snapshot.Snapshot{Version: 1, GeneratedAt: at, Nodes: map[string]snapshot.NodeStatus{
		"h1": {Status: snapshot.Up, CheckedAt: at}, "h2": {Status: snapshot.Down, CheckedAt: at},
	}}
	js, err := Draw(pub).JSON(pub, snap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"id":"h2","name":"host-two","type":"hypervisor","site":"b","networks":["b-lan"],"services":[],"x":`) ||
		!strings.Contains(string(js), `"status":"down","checked_at":"2026-11-25T14:02:00Z"`) ||
		!strings.Contains(string(js), `"as_of":"2026-11-25T14:02:00Z"`) {
		t.Errorf("topology.json lacks the status:\n%s", js)
	}
}

// bigLab generates a lab of n nodes over 4 sites with about 2n links.
func bigLab(n int) string {
	r := rand.New(rand.NewPCG(7, uint64(n)))
	var b strings.Builder
	b.WriteString("sites:\n")
	for s := range 4 {
		fmt.Fprintf(&b, "  - {id: s%d, name: Site %d}\n", s, s)
	}
	b.WriteString("nodes:\n")
	types := lab.NodeTypes
	for i := range n {
		fmt.Fprintf(&b, "  - {id: n%d, name: node-%d, type: %s, site: s%d}\n", i, i, types[i%len(types)], i%4)
	}
	b.WriteString("links:\n")
	seen := map[[2]int]bool{}
	for len(seen) < 2*n {
		a := r.IntN(n)
		c := (a + 1 + r.IntN(12)) % n // mostly local, like real labs
		if r.IntN(10) == 0 {
			c = r.IntN(n)
		}
		if a == c || seen[[2]int{a, c}] || seen[[2]int{c, a}] {
			continue
		}
		seen[[2]int{a, c}] = true
		fmt.Fprintf(&b, "  - {from: n%d, to: n%d, type: %s}\n", a, c, lab.LinkTypes[r.IntN(len(lab.LinkTypes))])
	}
	return b.String()
}

// BenchmarkDraw1000 lays out 1,000 nodes and 2,000 links both ways and
// writes topology.json; the target is under a second per op on a 2-core
// machine.
func BenchmarkDraw1000(b *testing.B) {
	pub := mustLab(b, bigLab(1000))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Draw(pub).JSON(pub, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBigLabIsDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("layout of a big lab")
	}
	pub := mustLab(t, bigLab(300))
	a, err := Draw(pub).JSON(pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Draw(pub).JSON(pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("layout of a 300-node lab differs between runs")
	}
}
