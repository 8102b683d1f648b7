package search

import (
	"reflect"
	"strings"
	"testing"
)

func TestHighlight(t *testing.T) {
	for _, tc := range []struct {
		name  string
		text  string
		terms []string
		want  []Segment
	}{
		{"no terms", "Proxmox backups", nil, []Segment{{Text: "Proxmox backups"}}},
		{"stem of an inflected word", "Nightly backups run.", []string{"backup"},
			[]Segment{{Text: "Nightly "}, {Text: "backups", Match: true}, {Text: " run."}}},
		{"case kept, match ignores it", "PROXMOX and proxmox", []string{"proxmox"},
			[]Segment{{Text: "PROXMOX", Match: true}, {Text: " and "}, {Text: "proxmox", Match: true}}},
		{"a typed prefix of three letters", "cloudflared tunnel", []string{"clo"},
			[]Segment{{Text: "cloudflared", Match: true}, {Text: " tunnel"}}},
		{"a prefix of two letters marks nothing", "cloudflared", []string{"cl"}, []Segment{{Text: "cloudflared"}}},
		{"inside a word is no match", "unbackup", []string{"backup"}, []Segment{{Text: "unbackup"}}},
		{"word at the very end", "the node", []string{"node"}, []Segment{{Text: "the "}, {Text: "node", Match: true}}},
		{"non-ASCII words", "Zürich-Knoten läuft", []string{"zürich"},
			[]Segment{{Text: "Zürich", Match: true}, {Text: "-Knoten läuft"}}},
		{"empty", "", []string{"x"}, nil},
	} {
		if got := Highlight(tc.text, tc.terms); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Highlight(%q, %q) = %#v, want %#v", tc.name, tc.text, tc.terms, got, tc.want)
		}
	}
}

func TestCentre(t *testing.T) {
	pad := strings.Repeat("word ", 50) // 250 bytes
	for _, tc := range []struct {
		name, text string
		terms      []string
		want       string
	}{
		{"match near the start", "backup " + pad, []string{"backup"}, "backup " + pad},
		{"no match", pad, []string{"zeppelin"}, pad},
		{"match far in: start a little before it", pad + "zeppelin", []string{"zeppelin"}, "… " + pad[190:] + "zeppelin"},
	} {
		if got := Centre(tc.text, tc.terms); got != tc.want {
			t.Errorf("%s: Centre = %q, want %q", tc.name, got, tc.want)
		}
	}
}
