// Package picture turns one source raster image (PNG, JPEG, GIF or WebP)
// into the few files a page publishes for it: upright, stripped of every
// byte of metadata, resized to a small set of widths and content-hashed,
// so the build can cache each result by the source's hash and serve every
// file as immutable.
//
// Process is the whole step; it reads nothing but its arguments and keeps
// no state, so a build may call it from as many goroutines as it has
// cores. What it guarantees, and why:
//
//   - Only PNG, JPEG, GIF and WebP are accepted, told by their leading
//     bytes, not by the file name and not by the process-wide image
//     format registry (another package's import must not widen what a
//     pushed site may feed the decoders). Anything else, animated WebP
//     included, is refused with ErrUnsupported.
//   - Decompression bombs: the header is read first (DecodeConfig, and for
//     GIF a walk over the frame descriptors) and an image over
//     Options.MaxPixels or with a side over Options.MaxSide is refused
//     with ErrTooLarge before any pixel buffer is allocated.
//   - EXIF orientation (from a JPEG's APP1, a PNG's eXIf chunk or a WebP's
//     EXIF chunk) is applied, so every variant is upright and the sizes
//     reported are the upright ones. The TIFF structure is parsed here: it
//     is one tag, and a bounded parser that cannot panic (it is fuzzed) is
//     smaller than a dependency.
//   - No metadata survives: every published file, the full-size one
//     included, is encoded from decoded pixels by encoders that write none
//     (no EXIF, GPS, XMP, IPTC, comments, PNG text chunks, GIF comment or
//     application extensions other than NETSCAPE looping). ICC profiles
//     are dropped too and sRGB is assumed: browsers render untagged images
//     as sRGB, so a wide-gamut (Display P3) phone photo loses a little
//     saturation. Converting P3 to sRGB would need a colour-management
//     engine; a profile also fingerprints the device that took the photo.
//   - Widths: Options.Widths (480, 960, 1600) below the image's own width,
//     plus the full-size variant, which is the image's own width capped at
//     Options.MaxWidth (2400). Nothing is upscaled; an image narrower than
//     the smallest width gets one variant, its own size. Heights keep the
//     aspect ratio, rounded to the nearest pixel (never below 1). Each
//     variant is scaled from the source with a Catmull-Rom kernel,
//     stretched by the reduction so it does not alias, in this package's
//     separable fixed-point resampler (resample.go). Measured on a 12 MP
//     photo scaled to a quarter against an exact box average
//     (BenchmarkScale, 2 shared cores): x/image/draw's ApproxBiLinear
//     0.02 s but 38.9 dB (it aliases), its BiLinear 0.26 s / 47.1 dB, its
//     CatmullRom 0.36 s / 48.9 dB; this resampler 0.09 s / 47.1 dB with the
//     triangle kernel and 0.16 s / 49.0 dB with Catmull-Rom. x/image's
//     kernel scaler keeps its intermediate as four float64 per pixel
//     (230 MB for the 2400 px variant of a 12 MP photo: 1.1 GB peak for two
//     workers in bench/images.sh); this one keeps 8 bits per channel.
//     Scaling through the widths in a chain instead of from the source
//     cost as much and lost 2 dB.
//   - One format per variant, so a page never needs <picture> and the file
//     count stays at most len(Widths)+1 per image — 4 with the defaults,
//     so a 1,000-post site with 3 photos per post publishes at most 12,000
//     image files beside its ~1,200 pages, within Cloudflare Pages' 20,000
//     (a WebP copy of every variant would make 24,000). Photos (JPEG sources,
//     and lossy WebP without alpha) become JPEG at Options.JPEGQuality;
//     everything else (PNG, still GIF, lossless or transparent WebP) is
//     encoded as PNG and as lossless WebP and the smaller is kept. The
//     pure-Go WebP encoder is lossless only, which beats PNG on
//     screenshots and diagrams but is 5.8 times the JPEG's size on a 960 px
//     photo-like test image, so photos never try it. Alpha survives in PNG and WebP.
//   - Animated GIFs (more than one frame) stay animated: every frame,
//     delay, disposal and the loop count are re-encoded into one GIF at
//     the source size, not resized: scaling every frame of a palette
//     animation costs colour fidelity and time for the few animations a
//     blog has.
//   - Output bytes depend only on the source bytes, its name and the
//     Options: the same input gives the same files, byte for byte. File
//     names carry a hash of their own bytes: "rack.960.3f9a1c2b7d.jpg".
package picture
