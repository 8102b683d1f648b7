package picture

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestSrcsetGolden(t *testing.T) {
	three := &Result{Width: 2400, Height: 1800, Variants: []Variant{
		{Width: 480, Height: 360, Format: JPEG, Name: "rack.480.0a1b2c3d4e.jpg"},
		{Width: 960, Height: 720, Format: JPEG, Name: "rack.960.5f6a7b8c9d.jpg"},
		{Width: 1600, Height: 1200, Format: JPEG, Name: "rack.1600.aabbccddee.jpg"},
		{Width: 2400, Height: 1800, Format: JPEG, Name: "rack.2400.0123456789.jpg"},
	}}
	one := &Result{Width: 300, Height: 200, Variants: []Variant{
		{Width: 300, Height: 200, Format: WebP, Name: "icon.300.ffeeddccbb.webp"},
	}}
	var b strings.Builder
	for _, c := range []struct {
		name   string
		r      *Result
		prefix string
	}{{"four widths", three, "/blog/rack-tour/"}, {"one width", one, "/media/"}} {
		b.WriteString(c.name + "\n")
		b.WriteString("src=" + c.prefix + c.r.Src().Name + "\n")
		b.WriteString("srcset=" + c.r.Srcset(c.prefix) + "\n")
		b.WriteString("full=" + c.prefix + c.r.Full().Name + "\n")
	}
	b.WriteString("sizes=" + DefaultSizes + "\n")
	const golden = "testdata/srcset.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("got\n%s\nwant (%s)\n%s", b.String(), golden, want)
	}
}
