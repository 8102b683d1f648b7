package svgsafe

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// structure lists the SVG elements of a document as "depth name#id",
// leaving out the subtrees the sanitiser drops, so input and output can be
// compared element by element.
func structure(t *testing.T, svg []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var out []string
	depth, skip := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("structure: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			depth++
			if skip == 0 && (isEditorNS(e.Name.Space) || droppedElements[e.Name.Local]) {
				skip = depth
			}
			if skip == 0 {
				id := ""
				for _, a := range e.Attr {
					if a.Name.Local == "id" {
						id = "#" + a.Value
					}
				}
				out = append(out, fmt.Sprintf("%d %s%s", depth, e.Name.Local, id))
			}
		case xml.EndElement:
			if skip == depth {
				skip = 0
			}
			depth--
		}
	}
}

// Benign real-world files pass, keep every rendered element, lose what
// editors add (names, paths, the draw.io diagram source), and match
// their golden output byte for byte.
func TestBenign(t *testing.T) {
	cases := []struct {
		file    string
		private []string // must not reach the output
		dropped []string // must be reported
	}{
		{"inkscape.svg", []string{"Alice", "/home/alice", "sodipodi", "inkscape", "rdf", "Inkscape"}, []string{"<metadata>", "<sodipodi:namedview>", "comment", "sodipodi:docname"}},
		{"drawio.svg", []string{"mxfile", "diagrams.net", "Mozilla"}, []string{"content"}},
		{"icons.svg", nil, nil},
		{"illustrator.svg", []string{"Adobe", "rack units"}, []string{"comment"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", "benign", c.file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Sanitize(c.file, src)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			golden := filepath.Join("testdata", "benign", strings.TrimSuffix(c.file, ".svg")+".golden.svg")
			if *update {
				if err := os.WriteFile(golden, res.SVG, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(res.SVG, want) {
				t.Errorf("output differs from %s:\n%s", golden, res.SVG)
			}
			if in, out := structure(t, src), structure(t, res.SVG); !slices.Equal(in, out) {
				t.Errorf("elements differ:\n in  %q\n out %q", in, out)
			}
			for _, p := range c.private {
				if bytes.Contains(res.SVG, []byte(p)) {
					t.Errorf("output still has %q", p)
				}
			}
			for _, d := range c.dropped {
				if !slices.Contains(res.Dropped, d) {
					t.Errorf("Dropped = %q, want it to name %q", res.Dropped, d)
				}
			}
			if err := checkSafe(res.SVG); err != nil {
				t.Errorf("output breaks the allowlist: %v", err)
			}
			again, err := Sanitize(c.file, res.SVG)
			if err != nil || !bytes.Equal(again.SVG, res.SVG) {
				t.Errorf("not idempotent: %v\n%s", err, again.SVG)
			}
		})
	}
}
