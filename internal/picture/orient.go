package picture

import "image"

// swapsSides reports whether EXIF orientation o turns the stored image by
// a quarter (5–8), so its upright width is its stored height.
func swapsSides(o int) bool { return o >= 5 && o <= 8 }

// upright applies EXIF orientation o to m, returning the image as it is
// meant to be seen. Orientation 1 returns m itself.
func upright(m *image.RGBA, o int) *image.RGBA {
	if o <= 1 || o > 8 {
		return m
	}
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if swapsSides(o) {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	// For each upright pixel (x, y), the stored pixel it comes from. The
	// tag names where the stored first row and column belong: 6 means
	// "row 0 is on the right, column 0 at the top" — turn clockwise.
	var from func(x, y int) (int, int)
	switch o {
	case 2: // mirrored left-right
		from = func(x, y int) (int, int) { return w - 1 - x, y }
	case 3: // turned half way
		from = func(x, y int) (int, int) { return w - 1 - x, h - 1 - y }
	case 4: // mirrored top-bottom
		from = func(x, y int) (int, int) { return x, h - 1 - y }
	case 5: // transposed
		from = func(x, y int) (int, int) { return y, x }
	case 6: // turn clockwise
		from = func(x, y int) (int, int) { return y, h - 1 - x }
	case 7: // transversed
		from = func(x, y int) (int, int) { return w - 1 - y, h - 1 - x }
	case 8: // turn counter-clockwise
		from = func(x, y int) (int, int) { return w - 1 - y, x }
	}
	for y := range dh {
		row := dst.Pix[y*dst.Stride:]
		for x := range dw {
			sx, sy := from(x, y)
			s := m.PixOffset(b.Min.X+sx, b.Min.Y+sy)
			copy(row[x*4:x*4+4], m.Pix[s:s+4])
		}
	}
	return dst
}
