package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	stdhtml "html"
	"maps"
	"path"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/picture"
	"github.com/labfront/labfront/internal/svgsafe"
)

// Raster images of page bundles and content/media/ are published as the
// variants internal/picture makes of them, never as themselves: the
// original's bytes carry EXIF, GPS and camera data. A file is one by its
// extension; picture then tells the format from the bytes, so a .png that
// holds something else is refused like any unsupported image. The
// extensions of formats picture refuses (HEIC, AVIF, TIFF, BMP) are here
// too: copied byte for byte, a phone's HEIC photo would publish where it
// was taken.
var rasterExts = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true,
	".heic": true, ".heif": true, ".avif": true, ".tif": true, ".tiff": true, ".bmp": true,
}

func isRaster(name string) bool { return rasterExts[strings.ToLower(path.Ext(name))] }

// pictureWorkers bounds the images processed at once: decoding a 12 MP
// photo and scaling it to every width takes about 220 MB, so more
// workers than four would risk memory more than they gain time.
func pictureWorkers() int { return max(1, min(runtime.GOMAXPROCS(0), 4)) }

// picRef is one raster resource: where its variants are published and
// what they are.
type picRef struct {
	src string // the file in the site
	dir string // URL path of the folder its variants are in, with a trailing slash
	key string // picture.CacheKey of the source
	res *picture.Result
	// data returns every variant's bytes, in res.Variants order. For an
	// image processed while planning it is the bytes already made; for
	// one whose Result came from the build cache it processes the source
	// again, once, and only when a variant is missing from the output.
	data func() ([][]byte, error)
}

// url is the URL path of a variant.
func (r *picRef) url(v picture.Variant) string { return r.dir + v.Name }

// preparePictures processes the raster resources, on pictureWorkers
// workers. An image whose Result the build cache holds for the same
// CacheKey is not decoded: its variant names are all the plan needs. It
// fills p.pictures and p.images; a refused image is a problem naming it.
func (p *plan) preparePictures(rs []resource) error {
	p.pictures = make(map[string]*picRef, len(rs))
	p.picBySrc = make(map[string]*picRef, len(rs))
	p.images = make(map[string]picture.Result, len(rs))
	refs := make([]*picRef, len(rs))
	errs := make([]error, len(rs))
	work := make(chan int)
	var wg sync.WaitGroup
	for range pictureWorkers() {
		wg.Go(func() {
			for i := range work {
				refs[i], errs[i] = p.preparePicture(rs[i])
			}
		})
	}
	for i := range rs {
		work <- i
	}
	close(work)
	wg.Wait()
	var probs diag.List
	for i, r := range rs {
		if errs[i] != nil {
			probs = append(probs, pictureProblems(errs[i], p.files.Display(r.src))...)
			continue
		}
		ref := refs[i]
		p.pictures["/"+r.out] = ref
		p.picBySrc[r.src] = ref
		p.images[ref.key] = *ref.res
	}
	return probs.Err()
}

func (p *plan) preparePicture(r resource) (*picRef, error) {
	name := p.files.Display(r.src)
	data, err := p.files.ReadFile(r.src)
	if err != nil {
		return nil, err
	}
	key, err := picture.CacheKey(name, data, picture.Options{})
	if err != nil {
		return nil, err
	}
	ref := &picRef{src: r.src, dir: "/" + path.Dir(r.out) + "/", key: key}
	if ref.dir == "/./" {
		ref.dir = "/"
	}
	if cached, ok := p.prevImages[key]; ok {
		res := cached
		res.Variants = slices.Clone(cached.Variants)
		ref.res = &res
		ref.data = sync.OnceValues(func() ([][]byte, error) { return p.reprocess(ref, name) })
		return ref, nil
	}
	res, err := picture.Process(name, data, picture.Options{})
	if err != nil {
		return nil, err
	}
	p.processed.Add(1)
	out := stripData(res)
	ref.res = &out
	datas := make([][]byte, len(res.Variants))
	for i, v := range res.Variants {
		datas[i] = v.Data
	}
	ref.data = func() ([][]byte, error) { return datas, nil }
	return ref, nil
}

// reprocess makes the variants of an image the plan took from the build
// cache, for the render of a variant the output lost. Processing is
// deterministic, so the names match the cached ones; a source changed
// since planning is an error rather than a page pointing at missing files.
func (p *plan) reprocess(ref *picRef, name string) ([][]byte, error) {
	data, err := p.files.ReadFile(ref.src)
	if err != nil {
		return nil, err
	}
	res, err := picture.Process(name, data, picture.Options{})
	if err != nil {
		return nil, err
	}
	p.processed.Add(1)
	if len(res.Variants) != len(ref.res.Variants) {
		return nil, fmt.Errorf("%s changed during the build; build again", name)
	}
	datas := make([][]byte, len(res.Variants))
	for i, v := range res.Variants {
		if v.Name != ref.res.Variants[i].Name {
			return nil, fmt.Errorf("%s changed during the build; build again", name)
		}
		datas[i] = v.Data
	}
	return datas, nil
}

// stripData is r without the variants' bytes: what the build cache keeps
// and what pages are written from.
func stripData(r *picture.Result) picture.Result {
	out := *r
	out.Variants = make([]picture.Variant, len(r.Variants))
	for i, v := range r.Variants {
		v.Data = nil
		out.Variants[i] = v
	}
	return out
}

// pictureOutputs are the variant files of a raster resource. Each is keyed
// by the source's CacheKey and its name, so an unchanged image whose files
// are all in the output is neither processed nor written.
func (p *plan) pictureOutputs(ref *picRef) []output {
	outs := make([]output, len(ref.res.Variants))
	for i, v := range ref.res.Variants {
		k := sha256.Sum256([]byte(ref.key + "\x00" + v.Name))
		outs[i] = output{
			path: ref.url(v)[1:],
			key:  func() ([32]byte, error) { return k, nil },
			render: func(context.Context) ([]byte, error) {
				datas, err := ref.data()
				if err != nil {
					return nil, err
				}
				// Each variant is rendered once: let its bytes go.
				d := datas[i]
				datas[i] = nil
				if d == nil {
					return nil, fmt.Errorf("%s: variant %s rendered twice", ref.src, v.Name)
				}
				return d, nil
			},
		}
	}
	return outs
}

// pictureProblems is a refusal of picture.Process as a problem naming the
// file once (Process prefixes its message with the name).
func pictureProblems(err error, display string) diag.List {
	if l, ok := diag.As(err); ok {
		return l
	}
	return diag.List{{Path: display, Msg: strings.TrimPrefix(err.Error(), display+": ")}}
}

// picturesKey fingerprints the images a page shows for its cache key: the
// markup carries every variant's name and size.
func picturesKey(refs map[string]*picRef) [32]byte {
	h := sha256.New()
	for _, t := range slices.Sorted(maps.Keys(refs)) {
		r := refs[t]
		fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\x00%v\x00", t, r.dir, r.res.Width, r.res.Height, r.res.Animated)
		for _, v := range r.res.Variants {
			fmt.Fprintf(h, "%s\x00%d\x00", v.Name, v.Width)
		}
	}
	return [32]byte(h.Sum(nil))
}

// svgSize is an SVG resource's intrinsic size, or why it has none.
type svgSize struct {
	size svgsafe.Size
	err  error
}

// showSVG records that pg shows the SVG at target as an image, so its
// <img> gets the SVG's width and height. An SVG without a usable size
// (neither width and height nor a viewBox) is an error where it is shown
// as an image, like an image without alt text: the browser would lay the
// page out without it and shift everything below once it loads (or show
// it at 300×150). As a link or a download it needs no size.
func (p *plan) showSVG(pg *content.Page, line int, target string, svg svgSize) diag.List {
	if svg.err != nil {
		l := slices.Clone(problemsOf(svg.err, target))
		for i := range l {
			l[i].Msg += fmt.Sprintf(" (shown as an image by %s:%d)", pg.Path, line)
		}
		return l
	}
	if p.svgsOf[pg] == nil {
		p.svgsOf[pg] = map[string]svgsafe.Size{}
	}
	p.svgsOf[pg][target] = svg.size
	return nil
}

// svgsKey fingerprints the sizes of the SVGs a page shows, for its cache
// key: a changed viewBox changes the page's markup.
func svgsKey(sizes map[string]svgsafe.Size) [32]byte {
	h := sha256.New()
	for _, t := range slices.Sorted(maps.Keys(sizes)) {
		w, ht := sizes[t].Pixels()
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00", t, w, ht)
	}
	return [32]byte(h.Sum(nil))
}

var (
	// imgTag finds the images of rendered Markdown. Goldmark escapes
	// every attribute value, so none holds a bare > or ".
	imgTag  = regexp.MustCompile(`<img ([^>]*)>`)
	imgAttr = regexp.MustCompile(`([a-z]+)="([^"]*)"`)
	// Links of rendered Markdown, to tell an image already inside one.
	openA  = []byte("<a ")
	closeA = []byte("</a>")
)

// pictureMarkup replaces every <img> of html whose source is a processed
// image (a key of refs, by its resolved URL path) with its responsive
// markup: srcset and sizes, the intrinsic width and height so the page
// does not shift as it loads, and a link to the full-size file. The first
// image of the page loads eagerly, since it may be the largest paint; the
// rest lazily. An image already inside a link keeps that link. For feeds
// (feed set) it is a plain <img> of the src variant with its size: feed
// readers ignore srcset and lazy loading.
func pictureMarkup(html []byte, pageURL string, refs map[string]*picRef, svgs map[string]svgsafe.Size, feed bool) []byte {
	if len(refs) == 0 && len(svgs) == 0 {
		return html
	}
	var b bytes.Buffer
	last, depth := 0, 0
	for n, m := range imgTag.FindAllSubmatchIndex(html, -1) {
		before := html[last:m[0]]
		depth += bytes.Count(before, openA) - bytes.Count(before, closeA)
		b.Write(before)
		last = m[1]
		attrs := map[string]string{}
		for _, a := range imgAttr.FindAllSubmatch(html[m[2]:m[3]], -1) {
			attrs[string(a[1])] = string(a[2])
		}
		target, ok := internalTarget(pageURL, stdhtml.UnescapeString(attrs["src"]))
		if size, isSVG := svgs[target]; ok && isSVG {
			writeSVG(&b, size, attrs, n == 0, depth > 0, feed)
			continue
		}
		ref := refs[target]
		if !ok || ref == nil {
			b.Write(html[m[0]:m[1]])
			continue
		}
		writePicture(&b, ref, attrs, n == 0, depth > 0, feed)
	}
	b.Write(html[last:])
	return b.Bytes()
}

func writePicture(b *bytes.Buffer, ref *picRef, attrs map[string]string, first, inLink, feed bool) {
	r := ref.res
	wrap := !feed && !inLink
	if wrap {
		fmt.Fprintf(b, `<a class="figure-link" href="%s">`, ref.url(r.Full()))
	}
	fmt.Fprintf(b, `<img src="%s"`, ref.url(r.Src()))
	if !feed && len(r.Variants) > 1 {
		fmt.Fprintf(b, ` srcset="%s" sizes="%s"`, r.Srcset(ref.dir), picture.DefaultSizes)
	}
	fmt.Fprintf(b, ` width="%d" height="%d" alt="%s"`, r.Width, r.Height, attrs["alt"])
	if t, ok := attrs["title"]; ok {
		fmt.Fprintf(b, ` title="%s"`, t)
	}
	if !feed && !first {
		b.WriteString(` loading="lazy" decoding="async"`)
	}
	b.WriteString(">")
	if wrap {
		b.WriteString("</a>")
	}
}

// writeSVG is the <img> of an SVG resource: its own URL (an SVG scales,
// so it has no variants), its intrinsic size rounded to pixels, lazy
// loading after the first image, and, like a picture, a link to open it
// alone, which for a diagram on a phone is the way to read its labels.
func writeSVG(b *bytes.Buffer, size svgsafe.Size, attrs map[string]string, first, inLink, feed bool) {
	w, h := size.Pixels()
	wrap := !feed && !inLink
	if wrap {
		fmt.Fprintf(b, `<a class="figure-link" href="%s">`, attrs["src"])
	}
	fmt.Fprintf(b, `<img src="%s" width="%d" height="%d" alt="%s"`, attrs["src"], w, h, attrs["alt"])
	if t, ok := attrs["title"]; ok {
		fmt.Fprintf(b, ` title="%s"`, t)
	}
	if !feed && !first {
		b.WriteString(` loading="lazy" decoding="async"`)
	}
	b.WriteString(">")
	if wrap {
		b.WriteString("</a>")
	}
}
