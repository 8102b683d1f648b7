// Package card draws the social cards of a site: the 1200×630 PNG that
// og:image and twitter:image point at, so a link shared anywhere shows a
// picture. A post's card shows its title, kind and date, tags and the
// site's name; a site card the site's name and description; the topology
// card a miniature of the lab's graph. Rendering is pure Go with the
// embedded Go fonts, and the same input always gives the same bytes
// (on one architecture: the rasteriser's float arithmetic may round
// differently where the compiler fuses multiply-adds, e.g. arm64).
package card

import (
	"image"
	"image/color"
	"maps"
	"slices"
	"sync"

	"golang.org/x/image/font"
	"strings"

	"golang.org/x/image/vector"
)

// Width and Height are the card's size, the one every network shows
// large (Open Graph's 1.91:1).
const (
	Width  = 1200
	Height = 630
)

// Version names the card design. It is part of every card's file name, so
// a new design gets new URLs and no cache keeps serving the old picture.
// Change it whenever a change to this package changes any card's pixels.
const Version = "1"

// Card is the input of a page's card. Fields the fonts cannot draw are
// cleaned (see clean).
type Card struct {
	Site    string   // the site's name, top left
	Kicker  string   // above the title, e.g. "Post · 12 May 2026"
	Title   string   // up to four lines, shrunk and then cut to fit
	Summary string   // optional, under the title (site cards)
	Tags    []string // as many as fit on one row
	Host    string   // bottom right, e.g. "lab.example.com"
}

// Renderer draws cards in one palette. It is safe for concurrent use.
type Renderer struct {
	pal    Palette
	palKey [32]byte
	fonts  *fonts

	mu     sync.Mutex
	frames map[[2]string]*frameTemplate // by site name and host
	pills  map[int]*image.Alpha         // a tag's pill by width, at the origin
	masks  sync.Pool                    // *image.Alpha, all zero
	pixels sync.Pool                    // *[]byte, a card's worth
}

// frameTemplate is the frame of a site's cards, drawn once: each card
// starts as a copy of it, and the encoder reuses the codes of the rows the
// card leaves as they were.
type frameTemplate struct {
	img   *image.Paletted
	ramps map[[2]color.RGBA]uint8
	codes *rowCodes
	err   error
}

// New parses the embedded fonts once for every card of a build.
func New(pal Palette) (*Renderer, error) {
	f, err := loadFonts()
	if err != nil {
		return nil, err
	}
	return &Renderer{pal: pal, palKey: paletteKey(pal), fonts: f, frames: map[[2]string]*frameTemplate{}, pills: map[int]*image.Alpha{}}, nil
}

// start returns a canvas holding the frame of a card of site at host.
func (r *Renderer) start(site, host string) (*canvas, *rowCodes, error) {
	key := [2]string{site, host}
	r.mu.Lock()
	ft := r.frames[key]
	if ft == nil {
		ft = &frameTemplate{}
		cv := newCanvas(Width, Height, r.pal.Background, image.NewAlpha(image.Rect(0, 0, Width, Height)))
		if ft.err = r.frame(cv, site, host); ft.err == nil {
			ft.img, ft.ramps, ft.codes = cv.img, cv.ramps, newRowCodes(cv.img)
		}
		r.frames[key] = ft
	}
	r.mu.Unlock()
	if ft.err != nil {
		return nil, nil, ft.err
	}
	mask, _ := r.masks.Get().(*image.Alpha) // nil when the pool is empty
	if mask == nil {
		mask = image.NewAlpha(image.Rect(0, 0, Width, Height))
	}
	pix, _ := r.pixels.Get().(*[]byte) // nil when the pool is empty
	if pix == nil {
		pix = new(make([]byte, len(ft.img.Pix)))
	}
	copy(*pix, ft.img.Pix)
	cv := &canvas{
		pix:   pix,
		img:   &image.Paletted{Pix: *pix, Stride: ft.img.Stride, Rect: ft.img.Rect, Palette: slices.Clone(ft.img.Palette)},
		mask:  mask,
		z:     vector.NewRasterizer(0, 0),
		ramps: maps.Clone(ft.ramps),
	}
	return cv, ft.codes, nil
}

// finish encodes a card and gives its scratch back.
func (r *Renderer) finish(cv *canvas, frame *rowCodes) ([]byte, error) {
	r.masks.Put(cv.mask) // painting leaves the mask all zero
	defer r.pixels.Put(cv.pix)
	if cv.overrun {
		return nil, errPalette
	}
	return encodePNG(cv.img, frame), nil
}

// Layout of every card, in pixels.
const (
	margin     = 80               // left and right edge of all text
	textWidth  = Width - 2*margin // 1040
	maxHost    = 420              // the host gives the rest of the footer to tags
	barWidth   = 14               // the accent bar along the left edge
	headerBase = 104              // baseline of the site name
	kickerBase = 186              // baseline of the kicker
	titleTop   = 216              // top of the title's box
	titleBot   = 486              // bottom of the title's box
	footerTop  = 520              // the rule above the tags
	footerBase = 578              // baseline of tags and host
)

// TitleBox is where a card's title (and summary) may draw: tests hold the
// layout to it.
var TitleBox = image.Rect(margin, titleTop, Width-margin, titleBot)

// Render draws c and encodes it as a PNG.
func (r *Renderer) Render(c Card) ([]byte, error) {
	cv, frame, err := r.start(c.Site, c.Host)
	if err != nil {
		return nil, err
	}
	if err := r.kicker(cv, c.Kicker, margin); err != nil {
		return nil, err
	}
	if err := r.titleBlock(cv, c.Title, c.Summary); err != nil {
		return nil, err
	}
	if err := r.tags(cv, c.Tags, c.Host); err != nil {
		return nil, err
	}
	return r.finish(cv, frame)
}

// titleBlock draws the title in TitleBox and, in what room the title
// leaves, the summary: the title always comes first.
func (r *Renderer) titleBlock(cv *canvas, title, summary string) error {
	const gap = 20
	t, err := layout(r.fonts.bold, clean(r.fonts.bold, title), []float64{76, 68, 60, 54, 48}, 1.16, textWidth, titleBot-titleTop, 4)
	if err != nil {
		return err
	}
	y := titleTop
	for _, line := range t.lines {
		y += t.height
		// The baseline sits a descent above the line's bottom.
		cv.text(t.face, line, margin, y-int(t.size*0.22), r.pal.Text, r.pal.Background)
	}
	summary = clean(r.fonts.regular, summary)
	room := titleBot - y - gap
	if summary == "" || room < 40 {
		return nil
	}
	s, err := layout(r.fonts.regular, summary, []float64{32, 28}, 1.35, textWidth, room, 2)
	if err != nil {
		return err
	}
	if len(s.lines)*s.height > room {
		return nil // not even one line fits
	}
	y += gap
	for _, line := range s.lines {
		y += s.height
		cv.text(s.face, line, margin, y-int(s.size*0.3), r.pal.Text2, r.pal.Background)
	}
	return nil
}

// frame draws what every card shares: the background grid, the accent bar,
// the brand mark and site name, the footer rule and the host.
func (r *Renderer) frame(cv *canvas, site, host string) error {
	p := r.pal
	// A faint grid, like the site's architecture page: blueprint paper.
	const cell = 42
	for x := barWidth + cell; x < Width; x += cell {
		cv.fill(image.Rect(x, 0, x+1, Height), p.Grid)
	}
	for y := cell; y < Height; y += cell {
		cv.fill(image.Rect(barWidth, y, Width, y+1), p.Grid)
	}
	cv.fill(image.Rect(0, 0, barWidth, Height), p.Accent)
	r.brandMark(cv, margin, headerBase-36)
	name, err := face(r.fonts.monoBold, 30)
	if err != nil {
		return err
	}
	cv.text(name, fitWidth(name, clean(r.fonts.monoBold, site), textWidth-64), margin+64, headerBase, p.Text, p.Background)
	cv.fill(image.Rect(margin, footerTop, Width-margin, footerTop+2), p.Border)
	if host = clean(r.fonts.mono, host); host != "" {
		hf, err := face(r.fonts.mono, 24)
		if err != nil {
			return err
		}
		host = fitWidth(hf, host, maxHost)
		w := advance(hf, host)
		cv.text(hf, host, Width-margin-w, footerBase, p.Muted, p.Background)
	}
	return nil
}

// brandMark is the site header's rack icon (templates/layout.templ) at
// 48 px: two rack units, their status lights, and a stand.
func (r *Renderer) brandMark(cv *canvas, x, y int) {
	p := r.pal
	fx, fy := float64(x), float64(y)
	var box path
	box.roundRect(fx, fy, fx+48, fy+48, 10, false)
	cv.fillPath(&box, p.AccentSoft, p.Background, textLevels)
	var rack path
	for _, uy := range []float64{8, 24} {
		rack.roundRect(fx+9, fy+uy, fx+39, fy+uy+12, 3, false)
		rack.roundRect(fx+12, fy+uy+3, fx+36, fy+uy+9, 1, true)
	}
	rack.line(fx+24, fy+36, fx+24, fy+42, 3)
	rack.line(fx+16, fy+42.5, fx+32, fy+42.5, 3)
	cv.fillPath(&rack, p.Accent, p.AccentSoft, textLevels)
	var leds path
	leds.circle(fx+17, fy+14, 2.4)
	leds.circle(fx+17, fy+30, 2.4)
	cv.fillPath(&leds, p.Up, p.AccentSoft, textLevels)
}

// kicker draws the small capitals line above a title, with a short accent
// rule before it.
func (r *Renderer) kicker(cv *canvas, s string, x int) error {
	// Capitals the font lacks are left out like any other character.
	s = clean(r.fonts.monoBold, strings.ToUpper(s))
	if s == "" {
		return nil
	}
	kf, err := face(r.fonts.monoBold, 24)
	if err != nil {
		return err
	}
	cv.fill(image.Rect(x, kickerBase-9, x+36, kickerBase-5), r.pal.Accent)
	cv.text(kf, fitWidth(kf, s, Width-margin-x-52), x+52, kickerBase, r.pal.Accent, r.pal.Background)
	return nil
}

// tags draws one row of pills, as many as fit left of the host.
func (r *Renderer) tags(cv *canvas, tags []string, host string) error {
	if len(tags) == 0 {
		return nil
	}
	p := r.pal
	tf, err := face(r.fonts.mono, 24)
	if err != nil {
		return err
	}
	right := Width - margin - hostWidth(tf, clean(r.fonts.mono, host))
	x := margin
	const padX, gap = 16, 12
	for _, t := range tags {
		t = clean(r.fonts.mono, t)
		if t == "" {
			continue
		}
		label := "#" + t
		w := advance(tf, label) + 2*padX
		if x+w > right {
			break
		}
		cv.stamp(r.pill(w), x, footerBase-30, p.AccentSoft, p.Background, textLevels)
		cv.text(tf, label, x+padX, footerBase, p.Accent, p.AccentSoft)
		x += w + gap
	}
	return nil
}

// pillHeight is a tag pill's height; pill is the coverage of one w wide.
// Tags are mostly the same few widths, and rasterising the same rounded
// rectangle for every card was a tenth of its time. It is drawn at the
// origin whatever card asks first, so the bytes do not depend on which
// card that was.
const pillHeight = 42

func (r *Renderer) pill(w int) *image.Alpha {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := r.pills[w]; m != nil {
		return m
	}
	var p path
	p.roundRect(0, 0, float64(w), pillHeight, 10, false)
	p.close()
	z := vector.NewRasterizer(w, pillHeight)
	for _, sub := range p.pts {
		z.MoveTo(float32(sub[0].x), float32(sub[0].y))
		for _, q := range sub[1:] {
			z.LineTo(float32(q.x), float32(q.y))
		}
		z.ClosePath()
	}
	m := image.NewAlpha(image.Rect(0, 0, w, pillHeight))
	z.Draw(m, m.Rect, image.Opaque, image.Point{})
	r.pills[w] = m
	return m
}

// Key fingerprints everything Render(c) draws from: the design
// (Version), the palette and c. The same key means the same bytes.
func (r *Renderer) Key(c Card) [32]byte {
	k := r.newKey("card")
	k.str(c.Site, c.Kicker, c.Title, c.Summary, c.Host)
	k.str(c.Tags...)
	return k.sum()
}

// KeyTopology fingerprints everything RenderTopology(t) draws from.
func (r *Renderer) KeyTopology(t Topology) [32]byte {
	k := r.newKey("topology")
	k.str(t.Site, t.Kicker, t.Title, t.Host)
	k.num(t.Width, t.Height)
	k.int(len(t.Stats))
	for _, s := range t.Stats {
		k.str(s.Value, s.Label)
	}
	k.int(len(t.Nodes))
	for _, n := range t.Nodes {
		k.num(n.X, n.Y)
		k.str(n.Type)
	}
	k.int(len(t.Links))
	for _, l := range t.Links {
		k.int(l.From, l.To)
		k.str(l.Type)
	}
	k.int(len(t.Legend))
	for _, it := range t.Legend {
		k.str(it.Type, it.Label)
	}
	return k.sum()
}

// hostWidth is the room the footer's host takes, with its gap; fc is the
// host's face (24 px mono).
func hostWidth(fc font.Face, host string) int {
	if host == "" {
		return 0
	}
	return advance(fc, fitWidth(fc, host, maxHost)) + 40
}
