package picture

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"
)

// photoLike is a deterministic stand-in for a photo: smooth gradients,
// a few soft shapes and per-pixel noise, so encoders and scalers do the
// work a real photo makes them do (flat colour would compress to nothing).
func photoLike(w, h int, seed uint64) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	cx, cy := w/3, h/2
	for y := range h {
		for x := range w {
			dx, dy := x-cx, y-cy
			ring := uint8((dx*dx + dy*dy) / (w + 1) % 64)
			n := int(rng.Uint32()%24) - 12
			i := m.PixOffset(x, y)
			m.Pix[i+0] = clamp(x*200/w + int(ring) + n)
			m.Pix[i+1] = clamp(y*180/h + 30 + n)
			m.Pix[i+2] = clamp((x+y)*120/(w+h) + 60 - int(ring)/2 + n)
			m.Pix[i+3] = 255
		}
	}
	return m
}

func clamp(v int) uint8 { return uint8(max(0, min(255, v))) }

// screenshotLike is flat panels and text-like strokes: what a Proxmox
// screenshot or a network diagram looks like to an encoder.
func screenshotLike(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{0xf6, 0xf8, 0xfa, 0xff}
			switch {
			case y < h/10:
				c = color.RGBA{0x1e, 0x29, 0x3b, 0xff}
			case x < w/5:
				c = color.RGBA{0xe2, 0xe8, 0xf0, 0xff}
			case (y/6)%3 == 0 && (x/3)%4 != 0 && x%97 < 80:
				c = color.RGBA{0x33, 0x41, 0x55, 0xff}
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

func encodeJPEG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withSegments inserts JPEG marker segments right after SOI, where
// cameras put APP1 (EXIF, XMP), APP2 (ICC) and COM.
func withSegments(j []byte, segs ...[]byte) []byte {
	out := append([]byte{}, j[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, j[2:]...)
}

func segment(marker byte, payload []byte) []byte {
	s := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(s[2:], uint16(len(payload)+2))
	return append(s, payload...)
}

// tiffEntry is one IFD entry; value is the 4-byte value field, or the
// data the entry points to when longer (put after the IFDs).
type tiffEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte
}

// buildTIFF writes a big-endian TIFF block with IFD0 and, when gps is not
// empty, a GPS IFD that IFD0's GPSInfo tag points to.
func buildTIFF(ifd0 []tiffEntry, gps []tiffEntry) []byte {
	be := binary.BigEndian
	ifdLen := func(n int) int { return 2 + 12*n + 4 }
	n0 := len(ifd0)
	if len(gps) > 0 {
		n0++
	}
	gpsAt := 8 + ifdLen(n0)
	dataAt := gpsAt
	if len(gps) > 0 {
		dataAt += ifdLen(len(gps))
	}
	var data []byte
	write := func(out []byte, es []tiffEntry, extra *tiffEntry) []byte {
		n := len(es)
		if extra != nil {
			n++
		}
		out = be.AppendUint16(out, uint16(n))
		all := es
		if extra != nil {
			all = append(append([]tiffEntry{}, es...), *extra)
		}
		for _, e := range all {
			out = be.AppendUint16(out, e.tag)
			out = be.AppendUint16(out, e.typ)
			out = be.AppendUint32(out, e.count)
			if len(e.value) <= 4 {
				v := make([]byte, 4)
				copy(v, e.value)
				out = append(out, v...)
				continue
			}
			out = be.AppendUint32(out, uint32(dataAt+len(data)))
			data = append(data, e.value...)
		}
		return be.AppendUint32(out, 0)
	}
	out := []byte("MM\x00\x2a\x00\x00\x00\x08")
	if len(gps) > 0 {
		ptr := tiffEntry{0x8825, 4, 1, be.AppendUint32(nil, uint32(gpsAt))}
		out = write(out, ifd0, &ptr)
		out = write(out, gps, nil)
	} else {
		out = write(out, ifd0, nil)
	}
	return append(out, data...)
}

func orientationEntry(o int) tiffEntry {
	return tiffEntry{0x0112, 3, 1, binary.BigEndian.AppendUint16(nil, uint16(o))}
}

// pngChunk is a PNG chunk with its CRC, to splice into an encoded PNG.
func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// withChunks inserts chunks right after a PNG's IHDR (8-byte signature,
// then IHDR's 4+4+13+4 bytes).
func withChunks(p []byte, chunks ...[]byte) []byte {
	const afterIHDR = 8 + 25
	out := append([]byte{}, p[:afterIHDR]...)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return append(out, p[afterIHDR:]...)
}

// riffChunk is a WebP chunk, padded to an even length.
func riffChunk(fourcc string, data []byte) []byte {
	c := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// extendedWebP wraps the VP8L chunk of a simple lossless WebP into the
// extended format (VP8X) with extra chunks after the image, as a camera
// app writing EXIF and XMP into a WebP does.
func extendedWebP(simple []byte, w, h int, flags byte, extra ...[]byte) []byte {
	vp8x := make([]byte, 10)
	vp8x[0] = flags
	put24 := func(b []byte, v int) { b[0], b[1], b[2] = byte(v), byte(v>>8), byte(v>>16) }
	put24(vp8x[4:], w-1)
	put24(vp8x[7:], h-1)
	body := append([]byte("WEBP"), riffChunk("VP8X", vp8x)...)
	body = append(body, simple[12:]...) // the VP8L chunk
	for _, e := range extra {
		body = append(body, e...)
	}
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}
