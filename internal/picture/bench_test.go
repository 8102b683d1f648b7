package picture

import (
	"image"
	"math"
	"testing"

	xdraw "golang.org/x/image/draw"
)

// BenchmarkProcess12MP is one 12 MP camera JPEG (4000×3000) to all its
// variants: decode, four scales, four JPEG encodes.
func BenchmarkProcess12MP(b *testing.B) {
	src := encodeJPEG(b, photoLike(4000, 3000, 42))
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Process("photo.jpg", src, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScale compares the filters on the 12 MP photo scaled to a
// quarter (1000×750), where an exact 4×4 box average is the reference:
// psnr-dB is the quality (higher is better), ns/op the cost. "resize-*"
// is this package's resampler (Process uses resize-catmullRom); "chained"
// scales through the widths, 4000 → 2400 → 1600 → 1000.
func BenchmarkScale(b *testing.B) {
	src := photoLike(4000, 3000, 42)
	ref := boxQuarter(src)
	scale := func(s xdraw.Scaler, m image.Image, w, h int) *image.RGBA {
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		s.Scale(dst, dst.Bounds(), m, m.Bounds(), xdraw.Src, nil)
		return dst
	}
	for _, c := range []struct {
		name string
		run  func() *image.RGBA
	}{
		{"ApproxBiLinear", func() *image.RGBA { return scale(xdraw.ApproxBiLinear, src, 1000, 750) }},
		{"BiLinear", func() *image.RGBA { return scale(xdraw.BiLinear, src, 1000, 750) }},
		{"resize-triangle", func() *image.RGBA { return resize(src, 1000, 750, triangle) }},
		{"resize-catmullRom", func() *image.RGBA { return resize(src, 1000, 750, catmullRom) }},
		{"CatmullRom", func() *image.RGBA { return scale(xdraw.CatmullRom, src, 1000, 750) }},
		{"BiLinear-chained", func() *image.RGBA {
			m := scale(xdraw.BiLinear, src, 2400, 1800)
			m = scale(xdraw.BiLinear, m, 1600, 1200)
			return scale(xdraw.BiLinear, m, 1000, 750)
		}},
		{"CatmullRom-chained", func() *image.RGBA {
			m := scale(xdraw.CatmullRom, src, 2400, 1800)
			m = scale(xdraw.CatmullRom, m, 1600, 1200)
			return scale(xdraw.CatmullRom, m, 1000, 750)
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var out *image.RGBA
			for b.Loop() {
				out = c.run()
			}
			b.ReportMetric(psnr(out, ref), "psnr-dB")
		})
	}
}

func boxQuarter(m *image.RGBA) *image.RGBA {
	w, h := m.Bounds().Dx()/4, m.Bounds().Dy()/4
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			for c := range 4 {
				sum := 0
				for dy := range 4 {
					for dx := range 4 {
						sum += int(m.Pix[m.PixOffset(4*x+dx, 4*y+dy)+c])
					}
				}
				out.Pix[out.PixOffset(x, y)+c] = uint8((sum + 8) / 16)
			}
		}
	}
	return out
}

func psnr(a, b *image.RGBA) float64 {
	var se float64
	for i := range a.Pix {
		d := float64(a.Pix[i]) - float64(b.Pix[i])
		se += d * d
	}
	return 10 * math.Log10(255*255/(se/float64(len(a.Pix))))
}
