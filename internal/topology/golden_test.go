package topology

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// rounded is a layout with every coordinate at one decimal, as the page
// prints them: the golden files hold what a visitor's browser gets.
func rounded(l *Layout) *Layout {
	r := func(v *float64) { *v = math.Round(*v*10) / 10 }
	out := *l
	out.Nodes = append([]Place(nil), l.Nodes...)
	out.Links = append([]Path(nil), l.Links...)
	out.Groups = append([]Group(nil), l.Groups...)
	for i := range out.Nodes {
		p := &out.Nodes[i]
		for _, v := range []*float64{&p.X, &p.Y, &p.R, &p.Label.X, &p.Label.Y, &p.Label.Box.X0, &p.Label.Box.Y0, &p.Label.Box.X1, &p.Label.Box.Y1} {
			r(v)
		}
	}
	for i := range out.Links {
		p := &out.Links[i]
		for _, v := range []*float64{&p.X1, &p.Y1, &p.X2, &p.Y2, &p.Bend} {
			r(v)
		}
	}
	for i := range out.Groups {
		g := &out.Groups[i]
		for _, v := range []*float64{&g.X, &g.Y, &g.X1, &g.Box.X0, &g.Box.Y0, &g.Box.X1, &g.Box.Y1} {
			r(v)
		}
	}
	return &out
}

// TestGolden: both drawings of a small lab and of the example lab are the
// bytes in testdata/, so any change to the layout shows in review as a
// diff of the geometry (go test -update rewrites them).
func TestGolden(t *testing.T) {
	for _, tc := range []struct{ name, src string }{{"small", small}, {"example", exampleLab(t)}} {
		t.Run(tc.name, func(t *testing.T) {
			d := Draw(mustLab(t, tc.src))
			got, err := json.MarshalIndent(map[string]*Layout{"wide": rounded(d.Wide), "narrow": rounded(d.Narrow)}, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", tc.name+".golden.json")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("the layout of the %s lab differs from %s (go test -update rewrites it after an intended change)", tc.name, path)
			}
		})
	}
}
