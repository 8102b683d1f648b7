package picture

import (
	"image"
	"image/color"
	"testing"
)

func TestResize(t *testing.T) {
	t.Run("flat colour stays flat", func(t *testing.T) {
		m := image.NewRGBA(image.Rect(0, 0, 301, 157))
		for i := range m.Pix {
			m.Pix[i] = []uint8{200, 100, 50, 255}[i%4]
		}
		for _, size := range [][2]int{{100, 52}, {7, 3}, {301, 157}, {1, 1}} {
			out := resize(m, size[0], size[1], triangle)
			for i, v := range out.Pix {
				if want := m.Pix[i%4]; v != want {
					t.Fatalf("%v: byte %d is %d, want %d", size, i, v, want)
				}
			}
		}
	})
	t.Run("a checkerboard halves to its average", func(t *testing.T) {
		m := image.NewRGBA(image.Rect(0, 0, 64, 64))
		for y := range 64 {
			for x := range 64 {
				v := uint8(0)
				if (x+y)%2 == 0 {
					v = 254
				}
				m.SetRGBA(x, y, color.RGBA{v, v, v, 255})
			}
		}
		out := resize(m, 32, 32, triangle)
		// Away from the edges, where the kernel is whole.
		for y := 2; y < 30; y++ {
			for x := 2; x < 30; x++ {
				if c := out.RGBAAt(x, y); c.R < 125 || c.R > 129 {
					t.Fatalf("(%d,%d) is %d, want about 127: the filter aliases", x, y, c.R)
				}
			}
		}
	})
	t.Run("a photo to a quarter is close to the exact box average", func(t *testing.T) {
		src := photoLike(800, 600, 3)
		if got := psnr(resize(src, 200, 150, triangle), boxQuarter(src)); got < 45 {
			t.Errorf("PSNR %.1f dB against the box average, want at least 45", got)
		}
	})
}

// TestResizePremultiplied: where half-transparent white meets opaque
// black, Catmull-Rom's ringing raises the colour and lowers the alpha on
// the same side; no colour may exceed its alpha, or un-premultiplying
// wraps around into wrong colours.
func TestResizePremultiplied(t *testing.T) {
	m := image.NewRGBA(image.Rect(0, 0, 90, 30))
	for y := range 30 {
		for x := range 90 {
			c := color.RGBA{0, 0, 0, 255}
			if x%30 < 15 {
				c = color.RGBA{128, 128, 128, 128}
			}
			m.SetRGBA(x, y, c)
		}
	}
	for _, k := range []kernel{triangle, catmullRom} {
		for _, w := range []int{89, 60, 37} {
			out := resize(m, w, 13, k)
			for i := 0; i < len(out.Pix); i += 4 {
				if a := out.Pix[i+3]; out.Pix[i] > a || out.Pix[i+1] > a || out.Pix[i+2] > a {
					t.Fatalf("width %d: pixel %d is %v: colour above alpha", w, i/4, out.Pix[i:i+4])
				}
			}
		}
	}
}
