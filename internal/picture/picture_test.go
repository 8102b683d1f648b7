package picture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/HugoSmits86/nativewebp"
	"golang.org/x/image/webp"
)

// decodeVariant decodes a published file by its own leading bytes and
// checks that they are the format the variant claims.
func decodeVariant(t *testing.T, v Variant) image.Image {
	t.Helper()
	if f, _ := sniff(v.Data); f != v.Format {
		t.Fatalf("%s: bytes are %q, variant says %q", v.Name, f, v.Format)
	}
	var (
		m   image.Image
		err error
	)
	switch v.Format {
	case JPEG:
		m, err = jpeg.Decode(bytes.NewReader(v.Data))
	case PNG:
		m, err = png.Decode(bytes.NewReader(v.Data))
	case WebP:
		m, err = webp.Decode(bytes.NewReader(v.Data))
	case GIF:
		m, err = gif.Decode(bytes.NewReader(v.Data))
	}
	if err != nil {
		t.Fatalf("%s: %v", v.Name, err)
	}
	return m
}

var nameRE = regexp.MustCompile(`^[a-z0-9-]+\.[0-9]+\.[0-9a-f]{10}\.(jpg|png|webp|gif)$`)

func TestVariantSizes(t *testing.T) {
	webpLossless := func(m image.Image) []byte {
		var b bytes.Buffer
		if err := nativewebp.Encode(&b, m, nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	lossy, err := xImageTestdata(t, "blue-purple-pink.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		src    []byte
		want   [][2]int // width, height of each variant, ascending
		format Format
	}{
		{"photo 4:3 above the cap", encodeJPEG(t, photoLike(2600, 1950, 1)), [][2]int{{480, 360}, {960, 720}, {1600, 1200}, {2400, 1800}}, JPEG},
		// 667 * 480 / 1000 = 320.16 and 667 * 960 / 1000 = 640.32: rounded to the nearest.
		{"photo 3:2 between widths", encodeJPEG(t, photoLike(1000, 667, 2)), [][2]int{{480, 320}, {960, 640}, {1000, 667}}, JPEG},
		// 1601 * 480 / 1000 = 768.48 → 768; 1601 * 960 / 1000 = 1536.96 → 1537.
		{"portrait", encodeJPEG(t, photoLike(1000, 1601, 3)), [][2]int{{480, 768}, {960, 1537}, {1000, 1601}}, JPEG},
		{"exactly a width: no duplicate", encodeJPEG(t, photoLike(960, 540, 4)), [][2]int{{480, 270}, {960, 540}}, JPEG},
		{"narrower than the smallest width", encodeJPEG(t, photoLike(300, 200, 5)), [][2]int{{300, 200}}, JPEG},
		{"a banner: height never 0", encodeJPEG(t, photoLike(2000, 2, 6)), [][2]int{{480, 1}, {960, 1}, {1600, 2}, {2000, 2}}, JPEG},
		{"screenshot PNG", encodePNG(t, screenshotLike(1280, 800)), [][2]int{{480, 300}, {960, 600}, {1280, 800}}, ""},
		{"lossless WebP", webpLossless(screenshotLike(600, 400)), [][2]int{{480, 320}, {600, 400}}, ""},
		{"lossy WebP is a photo", lossy, [][2]int{{150, 100}}, JPEG},
	}
	if c, err := webp.DecodeConfig(bytes.NewReader(lossy)); err != nil || c.Width != 150 || c.Height != 100 {
		t.Fatalf("lossy webp: %+v %v, the table expects 150×100", c, err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Process("posts/x/"+tt.name+".img", tt.src, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Variants) != len(tt.want) {
				t.Fatalf("%d variants, want %d: %+v", len(r.Variants), len(tt.want), r.Variants)
			}
			for i, v := range r.Variants {
				if got := [2]int{v.Width, v.Height}; got != tt.want[i] {
					t.Errorf("variant %d is %v, want %v", i, got, tt.want[i])
				}
				if tt.format != "" && v.Format != tt.format {
					t.Errorf("variant %d is %s, want %s", i, v.Format, tt.format)
				}
				if tt.format == "" && v.Format != PNG && v.Format != WebP {
					t.Errorf("variant %d of a lossless source is %s", i, v.Format)
				}
				if b := decodeVariant(t, v).Bounds(); b.Dx() != v.Width || b.Dy() != v.Height {
					t.Errorf("%s decodes to %v, reported %d×%d", v.Name, b.Size(), v.Width, v.Height)
				}
				if !nameRE.MatchString(v.Name) || !strings.Contains(v.Name, fmt.Sprintf(".%d.", v.Width)) || v.Size != len(v.Data) {
					t.Errorf("variant %d: name %q, size %d of %d bytes", i, v.Name, v.Size, len(v.Data))
				}
			}
			full := tt.want[len(tt.want)-1]
			if r.Width != full[0] || r.Height != full[1] {
				t.Errorf("intrinsic size %d×%d, want %v", r.Width, r.Height, full)
			}
		})
	}
}

// TestLosslessKeepsTheSmaller re-encodes each lossless variant's pixels
// both ways: the published one must be the smaller of the two.
func TestLosslessKeepsTheSmaller(t *testing.T) {
	for name, src := range map[string][]byte{
		"screenshot": encodePNG(t, screenshotLike(1100, 700)),
		"photo PNG":  encodePNG(t, photoLike(700, 500, 9)),
	} {
		t.Run(name, func(t *testing.T) {
			r, err := Process(name+".png", src, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range r.Variants {
				m := rgba(decodeVariant(t, v))
				var p, w bytes.Buffer
				if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&p, m); err != nil {
					t.Fatal(err)
				}
				if err := nativewebp.Encode(&w, m, nil); err != nil {
					t.Fatal(err)
				}
				want := PNG
				if w.Len() < p.Len() {
					want = WebP
				}
				if v.Format != want || v.Size != min(p.Len(), w.Len()) {
					t.Errorf("%s: %s of %d bytes; PNG %d, WebP %d", v.Name, v.Format, v.Size, p.Len(), w.Len())
				}
			}
		})
	}
}

func TestJPEGMetadataStripped(t *testing.T) {
	be := binary.BigEndian
	rational := func(n, d uint32) []byte { return be.AppendUint32(be.AppendUint32(nil, n), d) }
	// 48°51'29.6" N: numbers no encoder would write by chance.
	lat := append(append(rational(48, 1), rational(51, 1)...), rational(296123, 10000)...)
	exif := buildTIFF(
		[]tiffEntry{
			{0x010F, 2, 10, []byte("SecretCam\x00")},
			{0x0110, 2, 12, []byte("Model X-900\x00")},
			orientationEntry(1),
		},
		[]tiffEntry{
			{0x0001, 2, 2, []byte("N\x00")},
			{0x0002, 5, 3, lat},
		},
	)
	xmp := "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><exif:GPSLatitude>48,51.49N</exif:GPSLatitude></x:xmpmeta>"
	src := withSegments(encodeJPEG(t, photoLike(1200, 800, 7)),
		segment(0xE1, append([]byte("Exif\x00\x00"), exif...)),
		segment(0xE1, []byte(xmp)),
		segment(0xE2, []byte("ICC_PROFILE\x00\x01\x01fake profile desc Display P3")),
		segment(0xFE, []byte("a comment: taken at home")),
	)
	// The source really carries what must be stripped, or the test proves nothing.
	forbidden := [][]byte{[]byte("Exif"), []byte("SecretCam"), []byte("X-900"), lat, []byte("http://ns.adobe.com/xap"), []byte("GPSLatitude"), []byte("ICC_PROFILE"), []byte("Display P3"), []byte("taken at home")}
	for _, f := range forbidden {
		if !bytes.Contains(src, f) {
			t.Fatalf("the source lacks %q", f)
		}
	}
	r, err := Process("rack.jpg", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Variants) != 3 {
		t.Fatalf("%d variants, want 480, 960 and the full 1200", len(r.Variants))
	}
	for _, v := range r.Variants {
		for _, f := range forbidden {
			if bytes.Contains(v.Data, f) {
				t.Errorf("%s contains %q", v.Name, f)
			}
		}
		// No APPn or COM segment at all, not only the ones above.
		for p := 2; p+4 <= len(v.Data) && v.Data[p] == 0xFF && v.Data[p+1] != 0xDA; p += 2 + int(be.Uint16(v.Data[p+2:])) {
			if m := v.Data[p+1]; (m >= 0xE0 && m <= 0xEF) || m == 0xFE {
				t.Errorf("%s has a %X segment", v.Name, m)
			}
		}
	}
}

func TestPNGMetadataStripped(t *testing.T) {
	exif := buildTIFF([]tiffEntry{{0x010F, 2, 10, []byte("SecretCam\x00")}}, []tiffEntry{{0x0001, 2, 2, []byte("N\x00")}})
	src := withChunks(encodePNG(t, screenshotLike(700, 300)),
		pngChunk("tEXt", []byte("Comment\x00made on host pve-secret")),
		pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta xmlns:x='adobe:ns:meta/'>http://ns.adobe.com/xap/1.0/</x:xmpmeta>")),
		pngChunk("zTXt", []byte("Author\x00\x00x\x9c\x03\x00\x00\x00\x00\x01")),
		pngChunk("eXIf", exif),
		pngChunk("iCCP", []byte("P3\x00\x00x\x9c\x03\x00\x00\x00\x00\x01")),
	)
	if _, err := png.Decode(bytes.NewReader(src)); err != nil {
		t.Fatalf("the test's PNG is broken: %v", err)
	}
	r, err := Process("diagram.png", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range r.Variants {
		for _, f := range []string{"tEXt", "iTXt", "zTXt", "eXIf", "iCCP", "SecretCam", "pve-secret", "adobe", "Exif"} {
			if bytes.Contains(v.Data, []byte(f)) {
				t.Errorf("%s contains %q", v.Name, f)
			}
		}
	}
}

func TestWebPMetadataStripped(t *testing.T) {
	var simple bytes.Buffer
	if err := nativewebp.Encode(&simple, screenshotLike(300, 200), nil); err != nil {
		t.Fatal(err)
	}
	const exifBit, xmpBit = 1 << 3, 1 << 2
	exif := buildTIFF([]tiffEntry{{0x010F, 2, 10, []byte("SecretCam\x00")}, orientationEntry(1)}, nil)
	src := extendedWebP(simple.Bytes(), 300, 200, exifBit|xmpBit,
		riffChunk("EXIF", exif), riffChunk("XMP ", []byte("<x:xmpmeta>http://ns.adobe.com/xap/1.0/</x:xmpmeta>")))
	r, err := Process("shot.webp", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range r.Variants {
		for _, f := range []string{"EXIF", "XMP ", "SecretCam", "adobe", "VP8X"} {
			if bytes.Contains(v.Data, []byte(f)) {
				t.Errorf("%s contains %q", v.Name, f)
			}
		}
	}
}

// uprightMarker is an upright 64×32 image, dark with a red top-left 16×16
// block; stored returns it as a camera stores it for orientation o (where
// the EXIF spec says the stored first row and column go), built by hand
// rather than with the code under test.
func stored(o int) *image.RGBA {
	w, h := 64, 32
	if swapsSides(o) {
		w, h = 32, 64
	}
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = 40
		if i%4 == 3 {
			m.Pix[i] = 255
		}
	}
	// The corner of the stored image that the upright top-left comes from.
	corner := map[int][2]bool{ // right?, bottom?
		1: {false, false}, 2: {true, false}, 3: {true, true}, 4: {false, true},
		5: {false, false}, 6: {false, true}, 7: {true, true}, 8: {true, false},
	}[o]
	x0, y0 := 0, 0
	if corner[0] {
		x0 = w - 16
	}
	if corner[1] {
		y0 = h - 16
	}
	for y := y0; y < y0+16; y++ {
		for x := x0; x < x0+16; x++ {
			m.SetRGBA(x, y, color.RGBA{230, 20, 20, 255})
		}
	}
	return m
}

func isRed(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r>>8 > 180 && g>>8 < 80 && b>>8 < 80
}

func TestOrientation(t *testing.T) {
	type container func(t *testing.T, o int, m image.Image) []byte
	jpegWith := func(t *testing.T, o int, m image.Image) []byte {
		return withSegments(encodeJPEG(t, m), segment(0xE1, append([]byte("Exif\x00\x00"), buildTIFF([]tiffEntry{orientationEntry(o)}, nil)...)))
	}
	pngWith := func(t *testing.T, o int, m image.Image) []byte {
		return withChunks(encodePNG(t, m), pngChunk("eXIf", buildTIFF([]tiffEntry{orientationEntry(o)}, nil)))
	}
	webpWith := func(t *testing.T, o int, m image.Image) []byte {
		var b bytes.Buffer
		if err := nativewebp.Encode(&b, m, nil); err != nil {
			t.Fatal(err)
		}
		// Written with the JPEG prefix, as some encoders do.
		exif := append([]byte("Exif\x00\x00"), buildTIFF([]tiffEntry{orientationEntry(o)}, nil)...)
		return extendedWebP(b.Bytes(), m.Bounds().Dx(), m.Bounds().Dy(), 1<<3, riffChunk("EXIF", exif))
	}
	for cname, c := range map[string]container{"jpeg": jpegWith, "png": pngWith, "webp": webpWith} {
		for o := 1; o <= 8; o++ {
			t.Run(fmt.Sprintf("%s/%d", cname, o), func(t *testing.T) {
				r, err := Process("o.img", c(t, o, stored(o)), Options{})
				if err != nil {
					t.Fatal(err)
				}
				if r.Width != 64 || r.Height != 32 || r.SourceWidth != 64 || r.SourceHeight != 32 {
					t.Fatalf("reported %d×%d (source %d×%d), want the upright 64×32", r.Width, r.Height, r.SourceWidth, r.SourceHeight)
				}
				m := decodeVariant(t, r.Full())
				if b := m.Bounds(); b.Dx() != 64 || b.Dy() != 32 {
					t.Fatalf("decodes to %v, want 64×32", b.Size())
				}
				for _, p := range []image.Point{{4, 4}, {12, 12}} {
					if !isRed(m.At(p.X, p.Y)) {
						t.Errorf("upright %v is %v, want the red marker", p, m.At(p.X, p.Y))
					}
				}
				for _, p := range []image.Point{{60, 4}, {4, 28}, {60, 28}} {
					if isRed(m.At(p.X, p.Y)) {
						t.Errorf("upright %v is red: the marker is in the wrong corner", p)
					}
				}
			})
		}
	}
}

// TestOrientationResized: a portrait phone photo stored sideways (tag 6)
// gets its widths from its upright width and every variant is upright.
func TestOrientationResized(t *testing.T) {
	upright := photoLike(1200, 600, 11)
	for y := range 150 {
		for x := range 300 {
			upright.SetRGBA(x, y, color.RGBA{230, 20, 20, 255})
		}
	}
	// Stored turned counter-clockwise, so that tag 6 (turn clockwise) restores it.
	s := image.NewRGBA(image.Rect(0, 0, 600, 1200))
	for y := range 600 {
		for x := range 1200 {
			s.Set(y, 1199-x, upright.At(x, y))
		}
	}
	src := withSegments(encodeJPEG(t, s), segment(0xE1, append([]byte("Exif\x00\x00"), buildTIFF([]tiffEntry{orientationEntry(6)}, nil)...)))
	r, err := Process("sideways.jpg", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]int{{480, 240}, {960, 480}, {1200, 600}}
	if len(r.Variants) != len(want) {
		t.Fatalf("%d variants, want %v", len(r.Variants), want)
	}
	for i, v := range r.Variants {
		m := decodeVariant(t, v)
		if got := [2]int{m.Bounds().Dx(), m.Bounds().Dy()}; got != want[i] {
			t.Errorf("%s decodes to %v, want %v", v.Name, got, want[i])
		}
		if !isRed(m.At(v.Width/10, v.Height/10)) || isRed(m.At(v.Width-v.Width/10, v.Height-v.Height/10)) {
			t.Errorf("%s is not upright", v.Name)
		}
	}
}

func TestAnimatedGIF(t *testing.T) {
	pal := color.Palette{color.Black, color.White, color.RGBA{255, 0, 0, 255}}
	g := &gif.GIF{LoopCount: 0}
	for i := range 3 {
		f := image.NewPaletted(image.Rect(0, 0, 40, 30), pal)
		for x := range 40 {
			f.SetColorIndex(x, i*10, uint8(1+i%2))
		}
		g.Image = append(g.Image, f)
		g.Delay = append(g.Delay, 10*(i+1))
		g.Disposal = append(g.Disposal, gif.DisposalBackground)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	// A comment and an XMP application extension before the first frame,
	// after the encoder's NETSCAPE block (its 11-byte name, then a 3-byte
	// sub-block and the terminator: 5 bytes).
	enc := b.Bytes()
	at := bytes.Index(enc, []byte("NETSCAPE2.0"))
	if at < 0 {
		t.Fatal("the encoder wrote no NETSCAPE block")
	}
	at += 11 + 5
	ext := []byte("\x21\xFE\x0Bsecret note\x00")
	const xmpNS = "http://ns.adobe.com/xap/1.0/"
	ext = append(ext, "\x21\xFF\x0BXMP DataXMP"...)
	ext = append(append(append(ext, byte(len(xmpNS))), xmpNS...), 0)
	src := append(append(append([]byte{}, enc[:at]...), ext...), enc[at:]...)
	if gs, err := gif.DecodeAll(bytes.NewReader(src)); err != nil || len(gs.Image) != 3 {
		t.Fatalf("the test's GIF is broken: %v", err)
	}
	r, err := Process("blink.gif", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Animated || len(r.Variants) != 1 || r.Width != 40 || r.Height != 30 || r.Full().Format != GIF {
		t.Fatalf("result %+v, want one animated 40×30 GIF", r)
	}
	out, err := gif.DecodeAll(bytes.NewReader(r.Full().Data))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Image) != 3 || fmt.Sprint(out.Delay) != "[10 20 30]" || out.LoopCount != 0 {
		t.Errorf("%d frames, delays %v, loop %d; want 3 frames, [10 20 30], 0", len(out.Image), out.Delay, out.LoopCount)
	}
	for _, f := range []string{"secret note", "XMP", "adobe"} {
		if bytes.Contains(r.Full().Data, []byte(f)) {
			t.Errorf("the GIF still contains %q", f)
		}
	}
}

func TestTransparencyPreserved(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 1000, 500))
	for y := range 500 {
		for x := range 1000 {
			if x >= 250 && x < 750 && y >= 125 && y < 375 {
				m.SetNRGBA(x, y, color.NRGBA{20, 120, 220, 255})
			}
			// Everything else stays fully transparent.
		}
	}
	r, err := Process("logo.png", encodePNG(t, m), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Variants) != 3 {
		t.Fatalf("%d variants, want 480, 960, 1000", len(r.Variants))
	}
	for _, v := range r.Variants {
		out := decodeVariant(t, v)
		if _, _, _, a := out.At(2, 2).RGBA(); a != 0 {
			t.Errorf("%s: corner alpha %d, want transparent", v.Name, a>>8)
		}
		if _, _, _, a := out.At(v.Width/2, v.Height/2).RGBA(); a != 0xffff {
			t.Errorf("%s: centre alpha %d, want opaque", v.Name, a>>8)
		}
	}
	// A lossy WebP with alpha cannot become a JPEG.
	src, err := xImageTestdata(t, "yellow_rose.lossy-with-alpha.webp")
	if err != nil {
		t.Fatal(err)
	}
	r, err = Process("rose.webp", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range r.Variants {
		if v.Format == JPEG {
			t.Errorf("%s: a transparent WebP became a JPEG", v.Name)
		}
		if decodeVariant(t, v).(interface{ Opaque() bool }).Opaque() {
			t.Errorf("%s lost its alpha", v.Name)
		}
	}
}

// pngHeader is a PNG that ends after an IHDR saying w×h: the pixel data a
// bomb would expand to is never needed to refuse it.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, w), h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	return append(append([]byte{}, pngSignature...), pngChunk("IHDR", ihdr)...)
}

func TestRefused(t *testing.T) {
	var manyFrames bytes.Buffer
	g := &gif.GIF{}
	for range 5 {
		g.Image = append(g.Image, image.NewPaletted(image.Rect(0, 0, 100, 100), color.Palette{color.Black, color.White}))
		g.Delay = append(g.Delay, 5)
	}
	if err := gif.EncodeAll(&manyFrames, g); err != nil {
		t.Fatal(err)
	}
	var simpleWebP bytes.Buffer
	if err := nativewebp.Encode(&simpleWebP, screenshotLike(20, 10), nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		src  []byte
		opt  Options
		is   error
		msg  string
	}{
		{"400 MP PNG", pngHeader(20000, 20000), Options{}, ErrTooLarge, "20000×20000 is 400.0 MP, over the limit of 100.0 MP"},
		{"absurd side", pngHeader(40000, 10), Options{}, ErrTooLarge, "40000×10, a side over the limit of 30000 pixels"},
		{"zero width", pngHeader(0, 10), Options{}, nil, "read the PNG header"},
		{"too many frames", manyFrames.Bytes(), Options{MaxFrames: 4}, ErrTooLarge, "5 frames, over the limit of 4"},
		{"frames over the pixel limit", manyFrames.Bytes(), Options{MaxPixels: 40_000}, ErrTooLarge, "its frames hold 0.1 MP, over the limit of 0.0 MP"},
		{"animated WebP", extendedWebP(simpleWebP.Bytes(), 20, 10, 1<<1), Options{}, ErrUnsupported, "animated WebP is not supported"},
		{"HEIC", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), Options{}, ErrUnsupported, "HEIC is not supported; use PNG, JPEG, GIF or WebP"},
		{"SVG", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`), Options{}, ErrUnsupported, "SVG is not supported"},
		{"BMP", []byte("BM\x00\x00\x00\x00"), Options{}, ErrUnsupported, "BMP is not supported"},
		{"text", []byte("not an image at all"), Options{}, ErrUnsupported, "not a PNG, JPEG, GIF or WebP image"},
		{"truncated JPEG", truncate(encodeJPEG(t, photoLike(64, 64, 1))), Options{}, nil, "decode the JPEG"},
		{"bad options", encodePNG(t, screenshotLike(10, 10)), Options{Widths: []int{960, 480}}, nil, "must be positive and ascending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Process("posts/a/img.x", tt.src, tt.opt)
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			if tt.name != "bad options" && !strings.HasPrefix(err.Error(), "posts/a/img.x: ") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

// TestDeterministic processes the same sources serially and from several
// goroutines at once: every run gives the same bytes and names.
func TestDeterministic(t *testing.T) {
	srcs := map[string][]byte{
		"photo.jpg": encodeJPEG(t, photoLike(1700, 1000, 21)),
		"shot.png":  encodePNG(t, screenshotLike(1000, 600)),
	}
	for name, src := range srcs {
		first, err := Process(name, src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		const runs = 4
		results := make([]*Result, runs)
		errs := make([]error, runs)
		var wg sync.WaitGroup
		for i := range runs {
			wg.Go(func() { results[i], errs[i] = Process(name, src, Options{}) })
		}
		wg.Wait()
		for i, r := range results {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if len(r.Variants) != len(first.Variants) {
				t.Fatalf("%s run %d: %d variants, first run %d", name, i, len(r.Variants), len(first.Variants))
			}
			for j, v := range r.Variants {
				if v.Name != first.Variants[j].Name || !bytes.Equal(v.Data, first.Variants[j].Data) {
					t.Errorf("%s run %d: variant %s differs from %s", name, i, v.Name, first.Variants[j].Name)
				}
			}
		}
	}
}

func TestCacheKey(t *testing.T) {
	src := encodePNG(t, screenshotLike(20, 10))
	key := func(name string, src []byte, o Options) string {
		k, err := CacheKey(name, src, o)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	base := key("a/rack.png", src, Options{})
	if key("a/rack.png", src, Defaults()) != base {
		t.Error("the zero Options and Defaults() give different keys")
	}
	other := append(append([]byte{}, src...), 0)
	for name, k := range map[string]string{
		"other bytes":   key("a/rack.png", other, Options{}),
		"other stem":    key("a/switch.png", src, Options{}),
		"other quality": key("a/rack.png", src, Options{JPEGQuality: 70}),
		"other widths":  key("a/rack.png", src, Options{Widths: []int{640}}),
	} {
		if k == base {
			t.Errorf("%s: same key", name)
		}
	}
}

func truncate(b []byte) []byte { return b[:len(b)/2] }

// xImageTestdata reads a lossy WebP from golang.org/x/image's own test
// images, in the module cache beside the decoder under test: the pure-Go
// encoders write lossless WebP only, and a lossy source cannot be made
// here. The project keeps no copy of them.
func xImageTestdata(t *testing.T, name string) ([]byte, error) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/image").Output()
	if err != nil {
		return nil, fmt.Errorf("find golang.org/x/image in the module cache: %w", err)
	}
	return os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "testdata", name))
}

// TestPreview: the PNG copy of a WebP variant has its pixels and its
// size, is named after it, and is refused for a variant that is no WebP.
func TestPreview(t *testing.T) {
	src := encodePNG(t, screenshotLike(1700, 900))
	r, err := Process("shot.png", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var v Variant
	for _, x := range r.Variants {
		if x.Width == 1600 {
			v = x
		}
	}
	if v.Format != WebP {
		t.Fatalf("the 1600 px variant is %s; the test needs a WebP one", v.Format)
	}
	p, err := Preview("shot.png", src, Options{}, v)
	if err != nil {
		t.Fatal(err)
	}
	if p.Format != PNG || p.Width != v.Width || p.Height != v.Height || p.Name != strings.TrimSuffix(v.Name, ".webp")+".og.png" {
		t.Errorf("preview %+v of %+v", p, v)
	}
	a, b := rgba(decodeVariant(t, v)), rgba(decodeVariant(t, p))
	if !bytes.Equal(a.Pix, b.Pix) {
		t.Error("the preview's pixels differ from the WebP variant's")
	}
	jr, err := Process("photo.jpg", encodeJPEG(t, photoLike(1300, 800, 3)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Preview("photo.jpg", nil, Options{}, jr.Full()); err == nil || !strings.Contains(err.Error(), "not WebP") {
		t.Errorf("a JPEG variant: %v", err)
	}
	if _, err := Preview("shot.png", encodePNG(t, screenshotLike(1000, 900)), Options{}, v); err == nil || !strings.Contains(err.Error(), "changed during the build") {
		t.Errorf("a source that changed: %v", err)
	}
}
