package card

import (
	"fmt"
	"image"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/unicode/norm"
)

// fonts are the Go fonts (BSD licence, compiled in): the site's headings
// are a bold sans and its brand and labels a monospace, and so are the
// card's. They cover Latin, Greek and Cyrillic; see supported for the rest.
type fonts struct {
	bold, regular, mono, monoBold *typeface
}

// typeface is a parsed font and the glyphs drawn with it so far: 10,000
// titles are mostly the same few dozen letters, and rasterising each one
// again was a third of a card's time.
type typeface struct {
	*opentype.Font
	mu     sync.RWMutex
	glyphs map[glyphKey]glyph

	// ascii[r] is whether the font draws ASCII r: clean's fast path.
	ascii [128]bool
	// metrics are its ASCII advances and kerning by size, each filled once:
	// laying out a title measures it again at every size it tries, and
	// asking the font (a cmap search, then a kern table search) was most
	// of that.
	metricsMu sync.Mutex
	metrics   map[float64]*metrics
}

// metrics are a face's advances and kerning pairs for printable ASCII.
type metrics struct {
	adv  [128]fixed.Int26_6
	kern [128 * 128]fixed.Int26_6
}

// asciiMin and asciiMax bound the printable ASCII the tables hold.
const asciiMin, asciiMax = 0x20, 0x7e

func printable(r rune) bool { return r >= asciiMin && r <= asciiMax }

type glyphKey struct {
	size float64
	r    rune
	sub  fixed.Int26_6 // the pen's offset into its pixel, in quarters
}

// glyph is a drawn glyph: its coverage, placed relative to the pixel the
// pen is in, and its advance.
type glyph struct {
	mask *image.Alpha
	adv  fixed.Int26_6
	ok   bool
}

func loadFonts() (*fonts, error) {
	var f fonts
	for _, x := range []struct {
		dst  **typeface
		name string
		ttf  []byte
	}{{&f.bold, "Go Bold", gobold.TTF}, {&f.regular, "Go Regular", goregular.TTF}, {&f.mono, "Go Mono", gomono.TTF}, {&f.monoBold, "Go Mono Bold", gomonobold.TTF}} {
		ft, err := opentype.Parse(x.ttf)
		if err != nil {
			return nil, fmt.Errorf("card: font %s: %w", x.name, err)
		}
		tf := &typeface{Font: ft, glyphs: map[glyphKey]glyph{}, metrics: map[float64]*metrics{}}
		var buf sfnt.Buffer
		for r := rune(asciiMin); r <= asciiMax; r++ {
			i, err := ft.GlyphIndex(&buf, r)
			tf.ascii[r] = err == nil && i != 0
		}
		*x.dst = tf
	}
	return &f, nil
}

// cachedFace is a face whose glyphs come from its typeface's cache. The
// pen is placed on quarter pixels, so a cached glyph is exact.
type cachedFace struct {
	font.Face
	tf   *typeface
	size float64
	m    *metrics
}

// face makes a face of f at size pixels. Faces keep scratch buffers, so
// each render makes its own: a Renderer is shared by all build workers.
func face(f *typeface, size float64) (font.Face, error) {
	fc, err := opentype.NewFace(f.Font, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("card: face at %vpx: %w", size, err)
	}
	return &cachedFace{Face: fc, tf: f, size: size, m: f.metricsAt(size, fc)}, nil
}

// metricsAt returns the ASCII metrics of f at size, measuring them with
// fc (a face of that size) the first time.
func (f *typeface) metricsAt(size float64, fc font.Face) *metrics {
	f.metricsMu.Lock()
	defer f.metricsMu.Unlock()
	if m := f.metrics[size]; m != nil {
		return m
	}
	m := new(metrics)
	for a := rune(asciiMin); a <= asciiMax; a++ {
		m.adv[a], _ = fc.GlyphAdvance(a)
		for b := rune(asciiMin); b <= asciiMax; b++ {
			m.kern[a<<7|b] = fc.Kern(a, b)
		}
	}
	f.metrics[size] = m
	return m
}

// GlyphAdvance is font.Face's GlyphAdvance, from the table for ASCII.
func (c *cachedFace) GlyphAdvance(r rune) (fixed.Int26_6, bool) {
	if printable(r) && c.tf.ascii[r] {
		return c.m.adv[r], true
	}
	return c.Face.GlyphAdvance(r)
}

// Kern is font.Face's Kern, from the table for ASCII pairs.
func (c *cachedFace) Kern(r0, r1 rune) fixed.Int26_6 {
	if printable(r0) && printable(r1) {
		return c.m.kern[r0<<7|r1]
	}
	return c.Face.Kern(r0, r1)
}

// Glyph is font.Face's Glyph, from the cache.
func (c *cachedFace) Glyph(dot fixed.Point26_6, r rune) (image.Rectangle, image.Image, image.Point, fixed.Int26_6, bool) {
	px := image.Pt(dot.X.Floor(), dot.Y.Floor())
	k := glyphKey{size: c.size, r: r, sub: (dot.X & 63) >> 4}
	c.tf.mu.RLock()
	g, hit := c.tf.glyphs[k]
	c.tf.mu.RUnlock()
	if !hit {
		dr, mask, mp, adv, ok := c.Face.Glyph(fixed.Point26_6{X: k.sub << 4, Y: 0}, r)
		g = glyph{adv: adv, ok: ok}
		if ok {
			// The face reuses its mask: keep a copy, placed at dr.
			cp := image.NewAlpha(dr)
			for y := dr.Min.Y; y < dr.Max.Y; y++ {
				for x := dr.Min.X; x < dr.Max.X; x++ {
					cp.Pix[cp.PixOffset(x, y)] = alphaAt(mask, mp.X+x-dr.Min.X, mp.Y+y-dr.Min.Y)
				}
			}
			g.mask = cp
		}
		c.tf.mu.Lock()
		c.tf.glyphs[k] = g
		c.tf.mu.Unlock()
	}
	if !g.ok {
		return image.Rectangle{}, nil, image.Point{}, g.adv, false
	}
	return g.mask.Rect.Add(px), g.mask, g.mask.Rect.Min, g.adv, true
}

func alphaAt(m image.Image, x, y int) uint8 {
	if a, ok := m.(*image.Alpha); ok {
		return a.AlphaAt(x, y).A
	}
	_, _, _, a := m.At(x, y).RGBA()
	return uint8(a >> 8)
}

// clean makes s drawable with f: composed (NFC, so "e" plus a combining
// accent becomes the "é" the font has), with every run of white space one
// space, and without the characters the font has no glyph for. Those are
// left out rather than drawn as empty boxes ("tofu"): a card is an image
// people see beside a link, and a row of boxes looks broken where a
// missing word does not. CJK and most other scripts fall here. Text is
// laid out left to right in logical order: right-to-left scripts are not
// supported (Hebrew and Arabic have no glyphs in the Go fonts anyway).
// Punctuation left dangling at the end by the cut is cut too.
func clean(f *typeface, s string) string {
	if f.plain(s) {
		return s
	}
	var buf sfnt.Buffer
	var b strings.Builder
	space, dropped := false, false
	for _, r := range norm.NFC.String(s) {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if !unicode.IsPrint(r) {
			continue
		}
		if i, err := f.GlyphIndex(&buf, r); err != nil || i == 0 {
			dropped = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if dropped {
		// What led up to the left-out words would now end the text.
		return strings.TrimRight(b.String(), " ,;:·—–-")
	}
	return b.String()
}

// plain reports whether clean(f, s) is s: printable ASCII the font has
// (NFC changes no ASCII), single spaces, none at either end. Most titles
// are, and NFC with a glyph lookup per character was a tenth of a card.
func (f *typeface) plain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || !f.ascii[c] || c == ' ' && (i == 0 || i == len(s)-1 || s[i-1] == ' ') {
			return false
		}
	}
	return true
}

// wrap breaks s into lines no wider than width. A word wider than a line
// (a long URL, a hash) is broken between characters.
func wrap(fc font.Face, s string, width fixed.Int26_6) []string {
	var lines []string
	line := ""
	// lineW is line's advance: a line is measured as it grows, word by
	// word, not again from its start for each word (the same sum of
	// advances and kerning font.MeasureString makes).
	var lineW fixed.Int26_6
	space, _ := fc.GlyphAdvance(' ')
	for _, w := range strings.Fields(s) {
		ww := font.MeasureString(fc, w)
		try, tryW := w, ww
		if line != "" {
			last, _ := utf8.DecodeLastRuneInString(line)
			first, _ := utf8.DecodeRuneInString(w)
			try = line + " " + w
			tryW = lineW + fc.Kern(last, ' ') + space + fc.Kern(' ', first) + ww
		}
		if tryW <= width {
			line, lineW = try, tryW
			continue
		}
		if line != "" {
			lines = append(lines, line)
			line = ""
		}
		for ww > width {
			n := fit(fc, w, width)
			lines = append(lines, w[:n])
			w = w[n:]
			ww = font.MeasureString(fc, w)
		}
		line, lineW = w, ww
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// fit is the byte length of the longest prefix of s, at least one
// character, that is no wider than width.
func fit(fc font.Face, s string, width fixed.Int26_6) int {
	n := 0
	for i, r := range s {
		end := i + len(string(r))
		if n > 0 && font.MeasureString(fc, s[:end]) > width {
			break
		}
		n = end
	}
	return n
}

const ellipsis = "…"

// ellipsize shortens line until line+"…" fits width, at a word boundary
// when the line has one.
func ellipsize(fc font.Face, line string, width fixed.Int26_6) string {
	for line != "" && font.MeasureString(fc, line+ellipsis) > width {
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			line = line[:i]
			continue
		}
		rs := []rune(line)
		line = string(rs[:len(rs)-1])
	}
	return strings.TrimRight(line, " .,;:—–-") + ellipsis
}

// block is text laid out in a box: its face, lines and line height.
type block struct {
	face   font.Face
	lines  []string
	height int // line height, pixels
	size   float64
}

// layout fits s into width×height at the largest of sizes that shows all
// of it in at most maxLines lines; at the smallest size, text that still
// does not fit is cut at the last line with an ellipsis.
func layout(f *typeface, s string, sizes []float64, leading float64, width, height, maxLines int) (block, error) {
	var b block
	for i, size := range sizes {
		fc, err := face(f, size)
		if err != nil {
			return block{}, err
		}
		lh := int(size*leading + 0.5)
		n := max(1, min(maxLines, height/lh))
		lines := wrap(fc, s, fixed.I(width))
		b = block{face: fc, lines: lines, height: lh, size: size}
		if len(lines) <= n {
			return b, nil
		}
		if i == len(sizes)-1 {
			b.lines = append(lines[:n-1:n-1], ellipsize(fc, lines[n-1], fixed.I(width)))
		}
	}
	return b, nil
}

// advance is how wide s is drawn, in whole pixels.
func advance(fc font.Face, s string) int { return font.MeasureString(fc, s).Ceil() }

// fitWidth is s, or s cut with an ellipsis to no wider than width.
func fitWidth(fc font.Face, s string, width int) string {
	if advance(fc, s) <= width {
		return s
	}
	return ellipsize(fc, s, fixed.I(width))
}
