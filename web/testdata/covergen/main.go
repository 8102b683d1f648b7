// Command covergen draws the example site's cover picture: two racks, one
// per site, joined by a tunnel arc under a night sky. It is a program
// rather than a downloaded photo so the example carries nothing of anyone
// else's, and the picture can be made again:
//
//	go run ./web/testdata/covergen content/posts/2026-04-25-tailscale-mesh-two-sites/cover.jpg
//
// It is a JPEG, like a camera's photo, so the build publishes it as JPEG
// variants (and the 1600 px one as the post's og:image).
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
)

const w, h = 1600, 840

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: covergen OUT.jpg")
		os.Exit(2)
	}
	if err := write(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "covergen:", err)
		os.Exit(1)
	}
}

func write(name string) error {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	sky(m)
	ground(m)
	rack(m, 300, 330, color.RGBA{0x25, 0x63, 0xeb, 255})
	rack(m, 1120, 360, color.RGBA{0x0d, 0x94, 0x88, 255})
	arc(m, 430, 330, 1250, 360)
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := jpeg.Encode(f, m, &jpeg.Options{Quality: 88}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func mix(a, b color.RGBA, t float64) color.RGBA {
	l := func(x, y uint8) uint8 { return uint8(float64(x)*(1-t) + float64(y)*t) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 255}
}

// sky is a dusk gradient with a few hundred stars at fixed places.
func sky(m *image.RGBA) {
	top, low := color.RGBA{0x0b, 0x12, 0x2b, 255}, color.RGBA{0x3b, 0x2f, 0x5c, 255}
	for y := range h {
		c := mix(top, low, float64(y)/float64(h))
		for x := range w {
			m.SetRGBA(x, y, c)
		}
	}
	seed := uint32(12)
	next := func() uint32 { seed = seed*1664525 + 1013904223; return seed >> 8 }
	for range 420 {
		x, y := int(next()%w), int(next()%(h*6/10))
		b := uint8(150 + next()%100)
		m.SetRGBA(x, y, color.RGBA{b, b, b, 255})
	}
}

// ground is two rolling hills, one per site, with the valley between.
func ground(m *image.RGBA) {
	for x := range w {
		fx := float64(x)
		top := 600 + 40*math.Sin(fx/260) + 25*math.Sin(fx/97+1)
		for y := int(top); y < h; y++ {
			t := (float64(y) - top) / (h - top + 1)
			m.SetRGBA(x, y, mix(color.RGBA{0x1c, 0x24, 0x3a, 255}, color.RGBA{0x0a, 0x0e, 0x18, 255}, t))
		}
	}
}

// rack is a cabinet of servers whose status lights are on, standing on
// the hill at (cx, top).
func rack(m *image.RGBA, cx, top int, accent color.RGBA) {
	const rw, rh = 200, 300
	x0 := cx - rw/2
	fill(m, x0, top, rw, rh, color.RGBA{0x11, 0x18, 0x27, 255})
	fill(m, x0+8, top+8, rw-16, rh-16, color.RGBA{0x1f, 0x29, 0x37, 255})
	for i := range 8 {
		y := top + 20 + i*34
		fill(m, x0+18, y, rw-36, 24, color.RGBA{0x37, 0x41, 0x51, 255})
		fill(m, x0+28, y+8, 8, 8, color.RGBA{0x4a, 0xde, 0x80, 255})
		if i%3 != 2 {
			fill(m, x0+44, y+8, 8, 8, accent)
		}
		fill(m, x0+rw-80, y+10, 44, 4, color.RGBA{0x6b, 0x72, 0x80, 255})
	}
	glow(m, cx, top+rh/2, 260, accent)
}

// glow brightens a soft disc around (cx, cy): the light a rack throws on
// the night around it.
func glow(m *image.RGBA, cx, cy, r int, c color.RGBA) {
	for y := max(0, cy-r); y < min(h, cy+r); y++ {
		for x := max(0, cx-r); x < min(w, cx+r); x++ {
			d := math.Hypot(float64(x-cx), float64(y-cy)) / float64(r)
			if d >= 1 {
				continue
			}
			p := m.RGBAAt(x, y)
			m.SetRGBA(x, y, mix(p, c, 0.18*(1-d)*(1-d)))
		}
	}
}

// arc is the tunnel between the two sites: a dashed parabola over the
// valley.
func arc(m *image.RGBA, x0, y0, x1, y1 int) {
	c := color.RGBA{0xfb, 0xbf, 0x24, 255}
	for i := range 2000 {
		t := float64(i) / 2000
		if int(t*60)%2 == 1 {
			continue
		}
		x := float64(x0) + t*float64(x1-x0)
		y := float64(y0) + t*float64(y1-y0) - 260*4*t*(1-t)
		fill(m, int(x)-3, int(y)-3, 6, 6, c)
	}
}

func fill(m *image.RGBA, x, y, fw, fh int, c color.RGBA) {
	for j := max(0, y); j < min(h, y+fh); j++ {
		for i := max(0, x); i < min(w, x+fw); i++ {
			m.SetRGBA(i, j, c)
		}
	}
}
