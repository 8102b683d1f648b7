package picture

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"path"
	"strings"

	"github.com/HugoSmits86/nativewebp"
	"golang.org/x/image/webp"

	"github.com/labfront/labfront/internal/slug"
)

// The two kinds of refusal; Process wraps them with the image's name and
// the reason, so errors.Is tells the build which one it got.
var (
	ErrUnsupported = errors.New("unsupported image")
	ErrTooLarge    = errors.New("image too large")
)

// Options are the knobs of Process. The zero value means the defaults
// below; a field left zero takes its default.
type Options struct {
	// Widths are the responsive widths, ascending. Default 480, 960, 1600:
	// a phone (390 CSS px at 2–3×), a desktop column at 1× and 2×.
	Widths []int
	// MaxWidth caps the full-size variant. Default 2400.
	MaxWidth int
	// MaxPixels refuses larger images before decoding. Default 100 MP,
	// over any phone or camera photo; for a GIF it bounds all frames.
	MaxPixels int64
	// MaxSide refuses an image with a side longer than this. Default
	// 30000, wider than a stitched phone panorama.
	MaxSide int
	// MaxFrames bounds an animated GIF's frame count. Default 1000.
	MaxFrames int
	// JPEGQuality is the quality of JPEG variants. Default 80.
	JPEGQuality int

	// noWebP encodes what would be WebP as PNG (see Preview).
	noWebP bool
}

// version names the processing below: change it when the bytes Process
// produces for the same input change, so cached results are redone.
const version = "picture/1"

// Defaults returns the options the zero value stands for.
func Defaults() Options {
	return Options{
		Widths:      []int{480, 960, 1600},
		MaxWidth:    2400,
		MaxPixels:   100_000_000,
		MaxSide:     30_000,
		MaxFrames:   1000,
		JPEGQuality: 80,
	}
}

func (o Options) resolved() (Options, error) {
	d := Defaults()
	if o.Widths == nil {
		o.Widths = d.Widths
	}
	if o.MaxWidth == 0 {
		o.MaxWidth = d.MaxWidth
	}
	if o.MaxPixels == 0 {
		o.MaxPixels = d.MaxPixels
	}
	if o.MaxSide == 0 {
		o.MaxSide = d.MaxSide
	}
	if o.MaxFrames == 0 {
		o.MaxFrames = d.MaxFrames
	}
	if o.JPEGQuality == 0 {
		o.JPEGQuality = d.JPEGQuality
	}
	for i, w := range o.Widths {
		if w < 1 || (i > 0 && w <= o.Widths[i-1]) {
			return o, fmt.Errorf("picture options: widths %v must be positive and ascending", o.Widths)
		}
	}
	if o.MaxWidth < 1 || o.MaxPixels < 1 || o.MaxSide < 1 || o.MaxFrames < 1 || o.JPEGQuality < 1 || o.JPEGQuality > 100 {
		return o, fmt.Errorf("picture options: %+v out of range", o)
	}
	return o, nil
}

// CacheKey is the key under which a build may cache Process(name, src, o):
// it covers everything the result depends on (the processing version,
// the options, the name's stem and the source bytes), so an unchanged
// image is never processed twice and a changed one always is.
func CacheKey(name string, src []byte, o Options) (string, error) {
	o, err := o.resolved()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%v %d %d %d %d %d\n%s\n", version, o.Widths, o.MaxWidth, o.MaxPixels, o.MaxSide, o.MaxFrames, o.JPEGQuality, stem(name))
	h.Write(src)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Variant is one published file of an image.
type Variant struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Format Format `json:"format"`
	// Name is the file name: stem, width, the first 10 hex digits of the
	// SHA-256 of Data, extension ("rack.960.3f9a1c2b7d.jpg").
	Name string `json:"name"`
	Size int    `json:"size"` // len(Data), kept when a cache drops Data
	// Data is the file's content. A cache stores it as the file Name and
	// the rest of the Result as JSON, hence no JSON field.
	Data []byte `json:"-"`
}

// Result is everything a page needs to show an image.
type Result struct {
	// Width and Height are those of the full-size variant, upright: the
	// <img> width and height attributes (they fix the aspect ratio before
	// the file loads; CSS scales the box).
	Width  int `json:"width"`
	Height int `json:"height"`
	// SourceWidth and SourceHeight are the source's upright size.
	SourceWidth  int  `json:"source_width"`
	SourceHeight int  `json:"source_height"`
	Animated     bool `json:"animated,omitempty"`
	// Variants ascend by width; the last is the full-size one.
	Variants []Variant `json:"variants"`
}

// Full is the full-size variant, the one a click on the image opens.
func (r *Result) Full() Variant { return r.Variants[len(r.Variants)-1] }

// Process decodes src, the content of the image file name (a path inside
// the site, used in messages and for the stem of the output names), and
// returns its variants.
func Process(name string, src []byte, o Options) (*Result, error) {
	o, err := o.resolved()
	if err != nil {
		return nil, err
	}
	r, err := process(name, src, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return r, nil
}

// Preview is variant v of Process(name, src, o) as a PNG, for where WebP
// is not shown everywhere: the og:image of a cover that Process published
// as lossless WebP (some link previews show no WebP). Its name is v's with
// .og.png for .webp: v's hash names the pixels, which the PNG holds too.
// It is an error when v is not a WebP variant of this source.
func Preview(name string, src []byte, o Options, v Variant) (Variant, error) {
	if v.Format != WebP {
		return Variant{}, fmt.Errorf("%s: the %d px variant is %s, not WebP: it needs no preview", name, v.Width, v.Format)
	}
	o, err := o.resolved()
	if err != nil {
		return Variant{}, err
	}
	o.Widths, o.MaxWidth, o.noWebP = []int{v.Width}, v.Width, true
	r, err := process(name, src, o)
	if err != nil {
		return Variant{}, fmt.Errorf("%s: %w", name, err)
	}
	p := r.Full()
	if p.Width != v.Width || p.Height != v.Height || p.Format != PNG {
		return Variant{}, fmt.Errorf("%s changed during the build (its %d px variant is now %dx%d %s); build again", name, v.Width, p.Width, p.Height, p.Format)
	}
	p.Name = PreviewName(v)
	return p, nil
}

// PreviewName is the file name of v's Preview.
func PreviewName(v Variant) string { return strings.TrimSuffix(v.Name, ".webp") + ".og.png" }

// source is what the header says, before any pixel is decoded.
type source struct {
	format      Format
	orientation int
	photo       bool // lossy content: published as JPEG
}

func process(name string, src []byte, o Options) (*Result, error) {
	format, other := sniff(src)
	if format == "" {
		if other == "" {
			other = "not a PNG, JPEG, GIF or WebP image"
		} else {
			other += " is not supported; use PNG, JPEG, GIF or WebP"
		}
		return nil, fmt.Errorf("%w: %s", ErrUnsupported, other)
	}
	s := source{format: format, orientation: 1}
	var (
		cfg image.Config
		err error
	)
	switch format {
	case JPEG:
		if cfg, err = jpeg.DecodeConfig(bytes.NewReader(src)); err != nil {
			return nil, fmt.Errorf("read the JPEG header: %w", err)
		}
		if err := checkSize(cfg, o); err != nil {
			return nil, err
		}
		s.orientation = orientation(jpegExif(src))
		s.photo = true
		m, err := jpeg.Decode(bytes.NewReader(src))
		if err != nil {
			return nil, fmt.Errorf("decode the JPEG: %w", err)
		}
		return still(name, m, s, o)
	case PNG:
		if cfg, err = png.DecodeConfig(bytes.NewReader(src)); err != nil {
			return nil, fmt.Errorf("read the PNG header: %w", err)
		}
		if err := checkSize(cfg, o); err != nil {
			return nil, err
		}
		s.orientation = orientation(pngExif(src))
		m, err := png.Decode(bytes.NewReader(src))
		if err != nil {
			return nil, fmt.Errorf("decode the PNG: %w", err)
		}
		return still(name, m, s, o)
	case WebP:
		info := inspectWebP(src)
		if info.animated {
			return nil, fmt.Errorf("%w: animated WebP is not supported; use an animated GIF", ErrUnsupported)
		}
		if cfg, err = webp.DecodeConfig(bytes.NewReader(src)); err != nil {
			return nil, fmt.Errorf("read the WebP header: %w", err)
		}
		if err := checkSize(cfg, o); err != nil {
			return nil, err
		}
		s.orientation = orientation(info.exif)
		s.photo = info.lossy && !info.alpha
		m, err := webp.Decode(bytes.NewReader(src))
		if err != nil {
			return nil, fmt.Errorf("decode the WebP: %w", err)
		}
		return still(name, m, s, o)
	default: // GIF
		if cfg, err = gif.DecodeConfig(bytes.NewReader(src)); err != nil {
			return nil, fmt.Errorf("read the GIF header: %w", err)
		}
		if err := checkSize(cfg, o); err != nil {
			return nil, err
		}
		frames, pixels := gifFrames(src)
		if frames > o.MaxFrames {
			return nil, fmt.Errorf("%w: %d frames, over the limit of %d", ErrTooLarge, frames, o.MaxFrames)
		}
		if pixels > o.MaxPixels {
			return nil, fmt.Errorf("%w: its frames hold %s, over the limit of %s", ErrTooLarge, megapixels(pixels), megapixels(o.MaxPixels))
		}
		if frames > 1 {
			return animated(name, src)
		}
		m, err := gif.Decode(bytes.NewReader(src))
		if err != nil {
			return nil, fmt.Errorf("decode the GIF: %w", err)
		}
		return still(name, m, s, o)
	}
}

func megapixels(n int64) string { return fmt.Sprintf("%.1f MP", float64(n)/1e6) }

func checkSize(cfg image.Config, o Options) error {
	w, h := int64(cfg.Width), int64(cfg.Height)
	switch {
	case w < 1 || h < 1:
		return fmt.Errorf("%w: its header says %d×%d", ErrUnsupported, w, h)
	case w > int64(o.MaxSide) || h > int64(o.MaxSide):
		return fmt.Errorf("%w: %d×%d, a side over the limit of %d pixels", ErrTooLarge, w, h, o.MaxSide)
	case w*h > o.MaxPixels:
		return fmt.Errorf("%w: %d×%d is %s, over the limit of %s", ErrTooLarge, w, h, megapixels(w*h), megapixels(o.MaxPixels))
	}
	return nil
}

// widths are the variant widths for an image w pixels wide (upright):
// the configured widths below the full-size one, then the full size.
func widths(w int, o Options) []int {
	full := min(w, o.MaxWidth)
	var ws []int
	for _, x := range o.Widths {
		if x < full {
			ws = append(ws, x)
		}
	}
	return append(ws, full)
}

// heightFor keeps the aspect ratio: the nearest whole pixel, at least 1.
func heightFor(w, srcW, srcH int) int {
	return max(1, int((int64(srcH)*int64(w)*2+int64(srcW))/(int64(srcW)*2)))
}

func still(name string, m image.Image, s source, o Options) (*Result, error) {
	b := m.Bounds()
	uw, uh := b.Dx(), b.Dy()
	if swapsSides(s.orientation) {
		uw, uh = uh, uw
	}
	ws := widths(uw, o)
	r := &Result{SourceWidth: uw, SourceHeight: uh, Variants: make([]Variant, len(ws))}
	// Each width is scaled from the source, not from the next larger
	// variant: chaining cost as much and lost 2 dB (BenchmarkScale).
	var pixels *image.RGBA // m as RGBA, made once when a variant needs it
	for i := len(ws) - 1; i >= 0; i-- {
		w := ws[i]
		h := heightFor(w, uw, uh)
		sw, sh := w, h // the variant's size as stored, before orientation
		if swapsSides(s.orientation) {
			sw, sh = h, w
		}
		img := m
		resized := sw != b.Dx() || sh != b.Dy()
		if resized || s.orientation != 1 {
			if pixels == nil {
				pixels = rgba(m)
			}
			r := pixels
			if resized {
				r = resize(pixels, sw, sh, catmullRom)
			}
			img = upright(r, s.orientation)
		}
		v, err := encode(name, img, w, h, s.photo, o)
		if err != nil {
			return nil, err
		}
		r.Variants[i] = v
	}
	r.Width, r.Height = r.Full().Width, r.Full().Height
	return r, nil
}

// encode publishes one variant: JPEG for a photo, otherwise the smaller of
// PNG and lossless WebP (PNG on a tie, for the older browsers).
func encode(name string, m image.Image, w, h int, photo bool, o Options) (Variant, error) {
	var buf bytes.Buffer
	if photo {
		if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: o.JPEGQuality}); err != nil {
			return Variant{}, fmt.Errorf("encode the %d px JPEG: %w", w, err)
		}
		return variant(name, w, h, JPEG, buf.Bytes()), nil
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, m); err != nil {
		return Variant{}, fmt.Errorf("encode the %d px PNG: %w", w, err)
	}
	if o.noWebP {
		return variant(name, w, h, PNG, buf.Bytes()), nil
	}
	var wbuf bytes.Buffer
	if err := nativewebp.Encode(&wbuf, m, nil); err != nil {
		return Variant{}, fmt.Errorf("encode the %d px WebP: %w", w, err)
	}
	if wbuf.Len() < buf.Len() {
		return variant(name, w, h, WebP, wbuf.Bytes()), nil
	}
	return variant(name, w, h, PNG, buf.Bytes()), nil
}

func variant(name string, w, h int, f Format, data []byte) Variant {
	sum := sha256.Sum256(data)
	return Variant{
		Width: w, Height: h, Format: f, Size: len(data), Data: data,
		Name: fmt.Sprintf("%s.%d.%s.%s", stem(name), w, hex.EncodeToString(sum[:5]), f.Ext()),
	}
}

// stem is the name's base without its extension, as a slug, so a file
// name with spaces or capitals still gives a plain URL.
func stem(name string) string {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if s := slug.Make(strings.TrimSuffix(base, path.Ext(base))); s != "" {
		return s
	}
	return "image"
}

// animated re-encodes every frame of an animated GIF at its size: the
// decoder keeps frames, delays, disposals, the loop count and the
// palettes, and drops comments and application extensions; the encoder
// writes back only NETSCAPE looping.
func animated(name string, src []byte) (*Result, error) {
	g, err := gif.DecodeAll(bytes.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("decode the GIF: %w", err)
	}
	// The decoder has no use for the extensions it skipped; what is left
	// is pixels and timing, plus a background index.
	out := &gif.GIF{Image: g.Image, Delay: g.Delay, Disposal: g.Disposal, LoopCount: g.LoopCount, Config: g.Config, BackgroundIndex: g.BackgroundIndex}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, out); err != nil {
		return nil, fmt.Errorf("encode the GIF: %w", err)
	}
	w, h := g.Config.Width, g.Config.Height
	v := variant(name, w, h, GIF, buf.Bytes())
	return &Result{Width: w, Height: h, SourceWidth: w, SourceHeight: h, Animated: true, Variants: []Variant{v}}, nil
}
