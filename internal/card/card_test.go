package card

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// -gallery DIR writes the example cards there, to look at them.
var gallery = flag.String("gallery", "", "write the example cards into this directory")

func newRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := New(DefaultPalette())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const longURL = "https://example.com/an/extremely/long/url/that/has/no/spaces/at/all/and/goes/on/and/on/and/on/forever/and/ever/more/and/more/and/more/and/more/and/more/and/more"

var examples = []struct {
	name string
	card Card
}{
	{"short", Card{Site: "Homelab", Kicker: "Post · 12 May 2026", Title: "Rack tour", Summary: "What is in the 12U rack under the stairs, and why each box earned its place.", Tags: []string{"hardware", "proxmox"}, Host: "lab.example.com"}},
	{"long", Card{Site: "Homelab", Kicker: "Note · 3 Jan 2026", Title: "How the build swarm compiles Gentoo packages across four sites over Tailscale without melting the uplink, and what it costs per month in electricity", Summary: "A summary that has no room left.", Tags: []string{"gentoo", "distcc", "tailscale", "networking", "power"}, Host: "lab.example.com"}},
	{"longest", Card{Site: "Homelab", Kicker: "Post · 3 Jan 2026", Title: strings.Repeat("Several more words that keep on going well past what four lines can hold ", 4), Host: "lab.example.com"}},
	{"accents", Card{Site: "Laboratoire à la maison", Kicker: "Post · 1 Feb 2026", Title: "Ĉu Zürich-Ñoño? Ünïcödé façades — Ελληνικά, Русский, 家庭実験室", Tags: []string{"français", "ünicode"}, Host: "labo.example.fr"}},
	{"site", Card{Site: "Homelab", Kicker: "Architecture · Blog · Notes", Title: "Homelab", Summary: "Notes from a three-site homelab: Proxmox, k3s, a Gentoo build swarm and everything that broke on the way.", Host: "lab.example.com"}},
	{"word", Card{Site: "Homelab", Kicker: "Post", Title: longURL, Host: "lab.example.com"}},
	{"overlong frame", Card{Site: strings.Repeat("A very long site name ", 5), Kicker: strings.Repeat("Post · Kicker ", 12), Title: "T", Tags: []string{strings.Repeat("tag", 40)}, Host: strings.Repeat("host.", 20) + "example"}},
}

// decode checks a card is a PNG of the card's size.
func decode(t *testing.T, name string, b []byte) image.Image {
	t.Helper()
	m, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if got := m.Bounds(); got != image.Rect(0, 0, Width, Height) {
		t.Fatalf("%s: %v, want 1200×630", name, got)
	}
	return m
}

// TestCards: every example renders to a 1200×630 PNG that decodes. With
// -gallery they are written out to be looked at.
func TestCards(t *testing.T) {
	r := newRenderer(t)
	for _, ex := range examples {
		b, err := r.Render(ex.card)
		if err != nil {
			t.Fatalf("%s: %v", ex.name, err)
		}
		decode(t, ex.name, b)
		if *gallery != "" {
			if err := os.WriteFile(filepath.Join(*gallery, strings.ReplaceAll(ex.name, " ", "-")+".png"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := r.RenderTopology(exampleTopology())
	if err != nil {
		t.Fatal(err)
	}
	decode(t, "topology", b)
	if *gallery != "" {
		if err := os.WriteFile(filepath.Join(*gallery, "topology.png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDeterministic: the same input gives the same bytes, from one
// renderer or another, rendered one after the other or concurrently.
func TestDeterministic(t *testing.T) {
	r1, r2 := newRenderer(t), newRenderer(t)
	for _, ex := range examples {
		want, err := r1.Render(ex.card)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		got := make([][]byte, 4)
		errs := make([]error, 4)
		for i := range got {
			r := r1
			if i%2 == 1 {
				r = r2
			}
			wg.Go(func() { got[i], errs[i] = r.Render(ex.card) })
		}
		wg.Wait()
		for i := range got {
			if errs[i] != nil || !bytes.Equal(got[i], want) {
				t.Errorf("%s: render %d differs from the first (err %v)", ex.name, i, errs[i])
			}
		}
	}
	a, err := r1.RenderTopology(exampleTopology())
	if err != nil {
		t.Fatal(err)
	}
	b, err := r2.RenderTopology(exampleTopology())
	if err != nil || !bytes.Equal(a, b) {
		t.Errorf("topology card differs between renders (err %v)", err)
	}
}

// changed is the bounding box of the pixels where a and b differ.
func changed(a, b image.Image) image.Rectangle {
	var box image.Rectangle
	for y := range Height {
		for x := range Width {
			if a.At(x, y) != b.At(x, y) {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}

// TestTextStaysInItsBox: whatever the title and summary, they draw only
// inside TitleBox — long sentences, unbreakable words, accents — and the
// frame's own texts (site name, kicker, tags, host) stay inside the
// margins. The card with the text is compared with the card without it,
// so every pixel the text drew is found, anti-aliasing included.
func TestTextStaysInItsBox(t *testing.T) {
	r := newRenderer(t)
	render := func(c Card) image.Image {
		b, err := r.Render(c)
		if err != nil {
			t.Fatal(err)
		}
		return decode(t, c.Title, b)
	}
	for _, ex := range examples {
		base := ex.card
		base.Title, base.Summary = "", ""
		box := changed(render(ex.card), render(base))
		if box.Empty() {
			t.Errorf("%s: the title drew nothing", ex.name)
		}
		if !box.In(TitleBox) {
			t.Errorf("%s: title drawn over %v, outside %v", ex.name, box, TitleBox)
		}
	}
	inside := image.Rect(margin, 0, Width-margin, Height)
	for _, ex := range examples {
		bare := Card{Title: ex.card.Title, Summary: ex.card.Summary}
		box := changed(render(ex.card), render(bare))
		if !box.In(inside) {
			t.Errorf("%s: frame texts drawn over %v, outside the margins %v", ex.name, box, inside)
		}
	}
}

// TestLayout: a title takes the largest size that shows all of it in four
// lines; one that fits at no size is cut at the fourth with an ellipsis.
func TestLayout(t *testing.T) {
	r := newRenderer(t)
	sizes := []float64{76, 68, 60, 54, 48}
	for _, tc := range []struct {
		name     string
		title    string
		size     float64
		lines    int
		ellipsis bool
	}{
		{"short", "Rack tour", 76, 1, false},
		{"three lines", "From cron spaghetti to a container orchestra that runs itself", 76, 3, false},
		{"shrinks", examples[1].card.Title, 48, 4, false},
		{"cut", examples[2].card.Title, 48, 4, true},
		{"unbreakable", longURL, 48, 4, false},
	} {
		b, err := layout(r.fonts.bold, tc.title, sizes, 1.16, textWidth, titleBot-titleTop, 4)
		if err != nil {
			t.Fatal(err)
		}
		if b.size != tc.size || len(b.lines) != tc.lines {
			t.Errorf("%s: %d lines at %vpx, want %d at %v: %q", tc.name, len(b.lines), b.size, tc.lines, tc.size, b.lines)
		}
		last := b.lines[len(b.lines)-1]
		if strings.HasSuffix(last, ellipsis) != tc.ellipsis {
			t.Errorf("%s: last line %q, want ellipsis %v", tc.name, last, tc.ellipsis)
		}
		if !tc.ellipsis && strings.Join(strings.Fields(strings.Join(b.lines, "")), "") != strings.Join(strings.Fields(tc.title), "") {
			t.Errorf("%s: lines %q lost text of %q", tc.name, b.lines, tc.title)
		}
	}
}

// TestClean: what the fonts cannot draw is left out, decomposed accents
// are composed, and white space is collapsed.
func TestClean(t *testing.T) {
	r := newRenderer(t)
	for _, tc := range []struct{ in, want string }{
		{"Rack tour", "Rack tour"},
		{"Cafe\u0301 au lait", "Café au lait"},
		{"  tabs\tand\nnewlines  ", "tabs and newlines"},
		{"Ελληνικά и Русский", "Ελληνικά и Русский"},
		{"家庭 lab 実験", "lab"},
		{"zero\u200bwidth and \x07bell", "zerowidth and bell"},
		{"中文", ""},
		{"Greek, Russian, 日本語", "Greek, Russian"},
		{"Cut — 日本語 — here", "Cut — — here"},
	} {
		if got := clean(r.fonts.bold, tc.in); got != tc.want {
			t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestKeys: a key changes with every input a card draws, and only with
// those.
func TestKeys(t *testing.T) {
	r := newRenderer(t)
	base := examples[0].card
	k := r.Key(base)
	if again := r.Key(examples[0].card); again != k {
		t.Error("the same card has two keys")
	}
	for name, edit := range map[string]func(*Card){
		"site": func(c *Card) { c.Site += "!" }, "kicker": func(c *Card) { c.Kicker += "!" },
		"title": func(c *Card) { c.Title += "!" }, "summary": func(c *Card) { c.Summary += "!" },
		"host": func(c *Card) { c.Host += "!" }, "tags": func(c *Card) { c.Tags = []string{"hardware"} },
		"fields run together": func(c *Card) { c.Site, c.Kicker = c.Site+c.Kicker[:1], c.Kicker[1:] },
	} {
		c := base
		c.Tags = append([]string(nil), base.Tags...)
		edit(&c)
		if r.Key(c) == k {
			t.Errorf("%s: key unchanged", name)
		}
	}
	pal := DefaultPalette()
	pal.Accent = rgb(0xff0000)
	other, err := New(pal)
	if err != nil {
		t.Fatal(err)
	}
	if other.Key(base) == k {
		t.Error("another palette, same key")
	}
	topo := exampleTopology()
	tk := r.KeyTopology(topo)
	topo.Nodes[0].X++
	if r.KeyTopology(topo) == tk {
		t.Error("a moved node, same topology key")
	}
}

// TestParsePalette: the light theme's custom properties become the
// palette; the dark theme, non-hex values and unknown names do not.
func TestParsePalette(t *testing.T) {
	css := []byte(`:root {
  --bg: #fff; --text: #102030; --accent: #0369a1; --accent-soft: #0369a180;
  --muted: var(--text); --brand: #123456;
}
@media (prefers-color-scheme: dark) { :root { --bg: #000; --text: #eee; } }`)
	arch := []byte(`:root { --n-hypervisor: #ff0000; --l-lan: #00ff00; --n-newtype: #0000ff; }`)
	p, err := ParsePalette(css, arch)
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultPalette()
	for _, tc := range []struct {
		name      string
		got, want color.RGBA
	}{
		{"bg", p.Background, rgb(0xffffff)},
		{"text", p.Text, rgb(0x102030)},
		{"accent-soft blended onto bg", p.AccentSoft, color.RGBA{0x81, 0xb4, 0xd0, 0xff}},
		{"muted keeps the default", p.Muted, def.Muted},
		{"hypervisor", p.Nodes["hypervisor"], rgb(0xff0000)},
		{"a new node type", p.Nodes["newtype"], rgb(0x0000ff)},
		{"lan", p.Links["lan"], rgb(0x00ff00)},
		{"vm keeps the default", p.Nodes["vm"], def.Nodes["vm"]},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if _, err := ParsePalette([]byte(":root { --accent: #12345; }")); err == nil || !strings.Contains(err.Error(), "--accent") {
		t.Errorf("a five-digit colour: %v, want an error naming --accent", err)
	}
}

func exampleTopology() Topology {
	t := Topology{Site: "Homelab", Kicker: "Architecture", Title: "System Architecture", Host: "lab.example.com",
		Stats: []Stat{{"26", "systems"}, {"2", "sites"}, {"44", "connections"}}, Width: 1200, Height: 700}
	types := []string{"network", "hypervisor", "orchestrator", "drone", "gateway", "workstation", "nas", "media", "container", "vm", "cloud", "vpn"}
	links := []string{"lan", "tailscale", "tunnel", "backup", "service", "dataflow", "uplink"}
	for i := range 30 {
		t.Nodes = append(t.Nodes, Node{X: 70 + float64(i%6)*200, Y: 70 + float64(i/6)*140, Type: types[i%len(types)]})
	}
	for i := range 29 {
		t.Links = append(t.Links, Link{From: i, To: (i*7 + 3) % 30, Type: links[i%len(links)]})
	}
	for _, ty := range types {
		t.Legend = append(t.Legend, LegendItem{Type: ty, Label: ty})
	}
	return t
}

// TestTopologyCard: the graph draws inside its panel, every node and link
// type at once fits the palette, and a link to no node is an error.
func TestTopologyCard(t *testing.T) {
	r := newRenderer(t)
	topo := exampleTopology()
	full, err := r.RenderTopology(topo)
	if err != nil {
		t.Fatal(err)
	}
	empty := topo
	empty.Nodes, empty.Links = nil, nil
	bare, err := r.RenderTopology(empty)
	if err != nil {
		t.Fatal(err)
	}
	box := changed(decode(t, "full", full), decode(t, "empty", bare))
	if box.Empty() || !box.In(graphPanel.Inset(2)) {
		t.Errorf("graph drawn over %v, want inside the panel %v", box, graphPanel)
	}
	bad := exampleTopology()
	bad.Links = append(bad.Links, Link{From: 0, To: 99})
	if _, err := r.RenderTopology(bad); err == nil || !strings.Contains(err.Error(), "no such node") {
		t.Errorf("a link to node 99 of 30: %v", err)
	}
}

// BenchmarkCard is the cost of one post's card, from input to PNG bytes.
func BenchmarkCard(b *testing.B) {
	r := newRenderer(b)
	c := examples[1].card
	for b.Loop() {
		if _, err := r.Render(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTopologyCard is the architecture page's card.
func BenchmarkTopologyCard(b *testing.B) {
	r := newRenderer(b)
	topo := exampleTopology()
	for b.Loop() {
		if _, err := r.RenderTopology(topo); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEncodePNG: the card's own PNG encoder round-trips through
// image/png: runs of every length around the match limits (3, 258),
// repeated and unrepeated rows, every palette index, odd sizes.
func TestEncodePNG(t *testing.T) {
	pal := make(color.Palette, 256)
	for i := range pal {
		pal[i] = color.RGBA{uint8(i), uint8(255 - i), uint8(i * 7), 0xff}
	}
	for _, size := range []image.Point{{1, 1}, {7, 3}, {1200, 630}, {600, 5}} {
		m := image.NewPaletted(image.Rect(0, 0, size.X, size.Y), pal)
		runs := []int{1, 2, 3, 4, 5, 257, 258, 259, 260, 261, 262, 516, 517, 1000}
		i, v := 0, 0
		for k := 0; i < len(m.Pix); k++ {
			n := runs[k%len(runs)]
			for j := 0; j < n && i < len(m.Pix); j++ {
				m.Pix[i] = uint8(v)
				i++
			}
			v = (v*31 + 17) % 256
		}
		// Some rows repeat the one above.
		for y := 2; y < size.Y; y += 3 {
			copy(m.Pix[y*m.Stride:(y+1)*m.Stride], m.Pix[(y-1)*m.Stride:y*m.Stride])
		}
		got, err := png.Decode(bytes.NewReader(encodePNG(m, nil)))
		if err != nil {
			t.Fatalf("%v: %v", size, err)
		}
		gp, ok := got.(*image.Paletted)
		if !ok || !bytes.Equal(gp.Pix, m.Pix) || len(gp.Palette) != len(pal) || gp.Bounds() != m.Bounds() {
			t.Errorf("%v: decoded image differs", size)
			continue
		}
		for i := range pal {
			if gp.Palette[i] != pal[i] {
				t.Errorf("%v: palette %d = %v, want %v", size, i, gp.Palette[i], pal[i])
			}
		}
	}
}

// TestFrameReuseChangesNoByte: a card encoded with its frame's row codes
// is byte for byte the card encoded from its pixels alone.
func TestFrameReuseChangesNoByte(t *testing.T) {
	r := newRenderer(t)
	for _, ex := range examples {
		b, err := r.Render(ex.card)
		if err != nil {
			t.Fatal(err)
		}
		m, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		pm, ok := m.(*image.Paletted)
		if !ok {
			t.Fatalf("%s: decoded as %T, want a paletted image", ex.name, m)
		}
		if again := encodePNG(pm, nil); !bytes.Equal(again, b) {
			t.Errorf("%s: %d bytes from the frame's codes, %d from the pixels alone", ex.name, len(b), len(again))
		}
	}
}
