package card

import (
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// canvas paints a paletted image. Every element is drawn as a coverage
// mask and painted with a ramp of shades between its colour and the
// colour it is known to sit on, so anti-aliasing costs palette entries
// instead of a full-colour image: a paletted PNG of a card encodes about
// five times faster than an RGBA one, which matters at 10,000 posts.
// Where two elements overlap, the edge shades of the upper one assume the
// lower one's declared background; at card scale that is invisible.
type canvas struct {
	pix     *[]byte // img.Pix, to give back to the renderer's pool
	img     *image.Paletted
	mask    *image.Alpha // scratch coverage, kept all zero between elements
	z       *vector.Rasterizer
	ramps   map[[2]color.RGBA]uint8
	overrun bool // the palette ran out of entries
}

// textLevels and shapeLevels are how many shades a ramp has: text needs
// the most to look smooth; graph shapes are small and many-coloured.
const (
	textLevels  = 15
	shapeLevels = 6
)

// shade[levels][a] is the shade (0 for none) coverage a paints in a ramp
// of levels shades: a table, because a division per pixel was a tenth of
// a card's time.
var shade = func() (t [textLevels + 1][256]uint8) {
	for levels := 1; levels <= textLevels; levels++ {
		for a := range 256 {
			t[levels][a] = uint8((a*levels + 127) / 255)
		}
	}
	return t
}()

var errPalette = errors.New("card: more colours than a paletted PNG holds")

func newCanvas(w, h int, bg color.RGBA, mask *image.Alpha) *canvas {
	c := &canvas{
		img:   image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{bg}),
		mask:  mask,
		z:     vector.NewRasterizer(0, 0),
		ramps: map[[2]color.RGBA]uint8{},
	}
	return c
}

// ramp returns the index of the first of levels shades from bg (exclusive)
// to fg (inclusive).
func (c *canvas) ramp(fg, bg color.RGBA, levels int) uint8 {
	key := [2]color.RGBA{fg, bg}
	key[1].A = uint8(levels) // one ramp per pair and level count
	if i, ok := c.ramps[key]; ok {
		return i
	}
	if len(c.img.Palette)+levels > 256 {
		c.overrun = true
		return 0
	}
	base := uint8(len(c.img.Palette))
	for l := 1; l <= levels; l++ {
		c.img.Palette = append(c.img.Palette, blend(fg, bg, uint8(l*255/levels)))
	}
	c.ramps[key] = base
	return base
}

// fill paints a solid rectangle.
func (c *canvas) fill(r image.Rectangle, col color.RGBA) {
	i := c.ramp(col, col, 1)
	r = r.Intersect(c.img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := c.img.Pix[y*c.img.Stride+r.Min.X : y*c.img.Stride+r.Max.X]
		for x := range row {
			row[x] = i
		}
	}
}

// paint turns the coverage in r into shades of fg over bg and clears it.
func (c *canvas) paint(r image.Rectangle, fg, bg color.RGBA, levels int) {
	r = r.Intersect(c.img.Rect)
	if r.Empty() {
		return
	}
	base := c.ramp(fg, bg, levels)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		m := c.mask.Pix[y*c.mask.Stride+r.Min.X : y*c.mask.Stride+r.Max.X]
		px := c.img.Pix[y*c.img.Stride+r.Min.X : y*c.img.Stride+r.Max.X]
		for x := 0; x < len(m); x++ {
			// Most of a text's box is empty: skip it eight pixels at a time.
			if x+8 <= len(m) && binary.LittleEndian.Uint64(m[x:]) == 0 {
				x += 7
				continue
			}
			a := m[x]
			if a == 0 {
				continue
			}
			m[x] = 0
			if l := shade[levels][a]; l > 0 {
				px[x] = base + l - 1
			}
		}
	}
}

// text draws s with its baseline starting at (x, y) and returns the
// advance. It is font.Drawer's loop (kerning, then each glyph's mask), but
// it paints each glyph's coverage straight into the card's pixels:
// image/draw has no fast path for a paletted destination, and going
// through the coverage mask first was a second pass over every box.
// Where two glyphs of s overlap (kerning), a pixel keeps the darker
// shade, as a mask holding the larger coverage would.
func (c *canvas) text(face font.Face, s string, x, y int, fg, bg color.RGBA) int {
	dot := fixed.P(x, y)
	prev := rune(-1)
	base, haveRamp := uint8(0), false
	lv := &shade[textLevels]
	for _, r := range s {
		if prev >= 0 {
			dot.X += face.Kern(prev, r)
		}
		prev = r
		dr, mask, mp, adv, ok := face.Glyph(dot, r)
		if !ok {
			continue
		}
		dot.X += adv
		m, isAlpha := mask.(*image.Alpha)
		clip := dr.Intersect(c.img.Rect)
		if !isAlpha || clip.Empty() {
			continue
		}
		if !haveRamp {
			base, haveRamp = c.ramp(fg, bg, textLevels), true
		}
		for yy := clip.Min.Y; yy < clip.Max.Y; yy++ {
			src := m.Pix[m.PixOffset(mp.X+clip.Min.X-dr.Min.X, mp.Y+yy-dr.Min.Y):]
			dst := c.img.Pix[yy*c.img.Stride+clip.Min.X : yy*c.img.Stride+clip.Max.X]
			for i := range dst {
				l := lv[src[i]]
				if l == 0 {
					continue
				}
				idx := base + l - 1
				if cur := int(dst[i]); cur >= int(idx) && cur < int(base)+textLevels {
					continue
				}
				dst[i] = idx
			}
		}
	}
	return (dot.X - fixed.I(x)).Round()
}

// path is a shape in card pixels, rasterised by fillPath.
type path struct {
	pts [][]point // closed sub-paths
	cur []point
}

type point struct{ x, y float64 }

func (p *path) moveTo(x, y float64) {
	if len(p.cur) > 0 {
		p.pts = append(p.pts, p.cur)
	}
	p.cur = []point{{x, y}}
}

func (p *path) lineTo(x, y float64) { p.cur = append(p.cur, point{x, y}) }

// cubeTo flattens a cubic Bézier into line segments: a fixed number, so
// the same shape always gives the same pixels.
func (p *path) cubeTo(x1, y1, x2, y2, x3, y3 float64) {
	p0 := p.cur[len(p.cur)-1]
	const steps = 8
	for i := 1; i <= steps; i++ {
		t := float64(i) / steps
		u := 1 - t
		p.lineTo(
			u*u*u*p0.x+3*u*u*t*x1+3*u*t*t*x2+t*t*t*x3,
			u*u*u*p0.y+3*u*u*t*y1+3*u*t*t*y2+t*t*t*y3)
	}
}

func (p *path) close() {
	if len(p.cur) > 0 {
		p.pts = append(p.pts, p.cur)
		p.cur = nil
	}
}

// kappa places the control points of a quarter circle drawn as a cubic.
const kappa = 0.5522847498

// roundRect adds a rectangle with corners of radius r; reverse winds it the
// other way, which cuts it out of a shape it lies inside.
func (p *path) roundRect(x0, y0, x1, y1, r float64, reverse bool) {
	r = math.Min(r, math.Min((x1-x0)/2, (y1-y0)/2))
	k := r * kappa
	if !reverse {
		p.moveTo(x0+r, y0)
		p.lineTo(x1-r, y0)
		p.cubeTo(x1-r+k, y0, x1, y0+r-k, x1, y0+r)
		p.lineTo(x1, y1-r)
		p.cubeTo(x1, y1-r+k, x1-r+k, y1, x1-r, y1)
		p.lineTo(x0+r, y1)
		p.cubeTo(x0+r-k, y1, x0, y1-r+k, x0, y1-r)
		p.lineTo(x0, y0+r)
		p.cubeTo(x0, y0+r-k, x0+r-k, y0, x0+r, y0)
	} else {
		p.moveTo(x0+r, y0)
		p.cubeTo(x0+r-k, y0, x0, y0+r-k, x0, y0+r)
		p.lineTo(x0, y1-r)
		p.cubeTo(x0, y1-r+k, x0+r-k, y1, x0+r, y1)
		p.lineTo(x1-r, y1)
		p.cubeTo(x1-r+k, y1, x1, y1-r+k, x1, y1-r)
		p.lineTo(x1, y0+r)
		p.cubeTo(x1, y0+r-k, x1-r+k, y0, x1-r, y0)
	}
	p.close()
}

func (p *path) circle(cx, cy, r float64) { p.roundRect(cx-r, cy-r, cx+r, cy+r, r, false) }

// polygon adds a regular polygon of the given number of sides.
func (p *path) polygon(cx, cy, r float64, sides int, rot float64) {
	for k := range sides {
		a := rot + 2*math.Pi*float64(k)/float64(sides)
		x, y := cx+r*math.Cos(a), cy+r*math.Sin(a)
		if k == 0 {
			p.moveTo(x, y)
		} else {
			p.lineTo(x, y)
		}
	}
	p.close()
}

// line adds a straight stroke of width w from (x0, y0) to (x1, y1).
func (p *path) line(x0, y0, x1, y1, w float64) {
	dx, dy := x1-x0, y1-y0
	l := math.Hypot(dx, dy)
	if l == 0 {
		return
	}
	nx, ny := -dy/l*w/2, dx/l*w/2
	p.moveTo(x0+nx, y0+ny)
	p.lineTo(x1+nx, y1+ny)
	p.lineTo(x1-nx, y1-ny)
	p.lineTo(x0-nx, y0-ny)
	p.close()
}

// stamp paints coverage m with its top left at (x, y).
func (c *canvas) stamp(m *image.Alpha, x, y int, fg, bg color.RGBA, levels int) {
	r := m.Rect.Add(image.Pt(x, y)).Intersect(c.img.Rect)
	if r.Empty() {
		return
	}
	for yy := r.Min.Y; yy < r.Max.Y; yy++ {
		copy(c.mask.Pix[yy*c.mask.Stride+r.Min.X:yy*c.mask.Stride+r.Max.X], m.Pix[m.PixOffset(r.Min.X-x, yy-y):])
	}
	c.paint(r, fg, bg, levels)
}

// fillPath rasterises p (non-zero winding) and paints it.
func (c *canvas) fillPath(p *path, fg, bg color.RGBA, levels int) {
	p.close()
	if len(p.pts) == 0 {
		return
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, sub := range p.pts {
		for _, q := range sub {
			minX, minY = math.Min(minX, q.x), math.Min(minY, q.y)
			maxX, maxY = math.Max(maxX, q.x), math.Max(maxY, q.y)
		}
	}
	r := image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX)), int(math.Ceil(maxY))).Intersect(c.img.Rect)
	if r.Empty() {
		return
	}
	ox, oy := float32(r.Min.X), float32(r.Min.Y)
	c.z.Reset(r.Dx(), r.Dy())
	for _, sub := range p.pts {
		c.z.MoveTo(float32(sub[0].x)-ox, float32(sub[0].y)-oy)
		for _, q := range sub[1:] {
			c.z.LineTo(float32(q.x)-ox, float32(q.y)-oy)
		}
		c.z.ClosePath()
	}
	c.z.Draw(c.mask, r, image.Opaque, image.Point{})
	c.paint(r, fg, bg, levels)
}
