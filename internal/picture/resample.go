package picture

import (
	"image"
	"image/draw"
	"math"
)

// kernel is a separable resampling filter: at(x) for |x| < support.
type kernel struct {
	support float64
	at      func(x float64) float64
}

// triangle is the bilinear kernel; stretched by the reduction factor (as
// below) it averages every source pixel under a target one, so it does
// not alias the way four-point bilinear sampling does.
var triangle = kernel{1, func(x float64) float64 {
	if x = math.Abs(x); x < 1 {
		return 1 - x
	}
	return 0
}}

// catmullRom is the cubic with B = 0, C = 0.5: sharper than triangle,
// with small negative lobes, whose overshoot resize clamps.
var catmullRom = kernel{2, func(x float64) float64 {
	switch x = math.Abs(x); {
	case x < 1:
		return (1.5*x-2.5)*x*x + 1
	case x < 2:
		return ((-0.5*x+2.5)*x-4)*x + 2
	}
	return 0
}}

// weightBits is the fixed-point precision of the weights: 255 × 2^14
// summed over any number of taps whose weights sum to 2^14 fits an int32.
const weightBits = 14

// taps are the source pixels and weights of each target pixel along one
// axis: target i reads from start[i] the len(w[i]) pixels weighted by w[i].
type taps struct {
	start []int
	w     [][]int32
}

func makeTaps(in, out int, k kernel) taps {
	scale := float64(in) / float64(out)
	stretch := max(scale, 1)
	support := k.support * stretch
	t := taps{start: make([]int, out), w: make([][]int32, out)}
	fw := make([]float64, 0, int(2*support)+2)
	for i := range out {
		center := (float64(i) + 0.5) * scale
		lo := max(0, int(center-support+0.5))
		hi := min(in, int(center+support+0.5))
		fw = fw[:0]
		sum := 0.0
		for x := lo; x < hi; x++ {
			v := k.at((float64(x) - center + 0.5) / stretch)
			fw = append(fw, v)
			sum += v
		}
		if sum == 0 { // a kernel narrower than a pixel: take the nearest
			lo, hi, fw, sum = min(int(center), in-1), min(int(center), in-1)+1, append(fw[:0], 1), 1
		}
		w := make([]int32, len(fw))
		for j, v := range fw {
			w[j] = int32(math.Round(v / sum * (1 << weightBits)))
		}
		t.start[i], t.w[i] = lo, w
	}
	return t
}

func clampFixed(acc int32) uint8 {
	v := (acc + 1<<(weightBits-1)) >> weightBits
	return uint8(max(0, min(255, v)))
}

// resize scales src (premultiplied RGBA) to w×h in two separable passes,
// horizontal then vertical, through an 8-bit intermediate the size of
// w × source height. x/image/draw's kernel scaler keeps that intermediate
// as four float64 per pixel (230 MB for a 12 MP photo's 2400 px variant);
// this one is an eighth of that, and integer.
func resize(src *image.RGBA, w, h int, k kernel) *image.RGBA {
	sb := src.Bounds()
	sw, sh := sb.Dx(), sb.Dy()
	tx := makeTaps(sw, w, k)
	tmp := image.NewRGBA(image.Rect(0, 0, w, sh))
	for y := range sh {
		row := src.Pix[src.PixOffset(sb.Min.X, sb.Min.Y+y):]
		out := tmp.Pix[y*tmp.Stride:]
		for x := range w {
			var r, g, b, a int32
			p := tx.start[x] * 4
			for _, wt := range tx.w[x] {
				r += int32(row[p]) * wt
				g += int32(row[p+1]) * wt
				b += int32(row[p+2]) * wt
				a += int32(row[p+3]) * wt
				p += 4
			}
			pa := clampFixed(a)
			out[x*4], out[x*4+1], out[x*4+2], out[x*4+3] = min(clampFixed(r), pa), min(clampFixed(g), pa), min(clampFixed(b), pa), pa
		}
	}
	ty := makeTaps(sh, h, k)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	acc := make([]int32, w*4)
	for y := range h {
		clear(acc)
		for j, wt := range ty.w[y] {
			row := tmp.Pix[(ty.start[y]+j)*tmp.Stride:][:w*4]
			for i, v := range row {
				acc[i] += int32(v) * wt
			}
		}
		out := dst.Pix[y*dst.Stride:][:w*4]
		for i := 0; i < len(acc); i += 4 {
			// Premultiplied colour never exceeds alpha, or un-premultiplying
			// (the PNG encoder does) overflows: Catmull-Rom's overshoot
			// next to a transparent edge would turn into wrong colours.
			a := clampFixed(acc[i+3])
			out[i], out[i+1], out[i+2], out[i+3] = min(clampFixed(acc[i]), a), min(clampFixed(acc[i+1]), a), min(clampFixed(acc[i+2]), a), a
		}
	}
	return dst
}

// rgba converts any decoded image to premultiplied RGBA at the origin, the
// one layout resize and upright read.
func rgba(m image.Image) *image.RGBA {
	if r, ok := m.(*image.RGBA); ok && r.Bounds().Min == (image.Point{}) {
		return r
	}
	r := image.NewRGBA(image.Rect(0, 0, m.Bounds().Dx(), m.Bounds().Dy()))
	draw.Draw(r, r.Bounds(), m, m.Bounds().Min, draw.Src)
	return r
}
