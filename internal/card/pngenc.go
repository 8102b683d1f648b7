package card

import (
	"bytes"
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
	"image"
)

// The card's own PNG encoder. A card is large areas of one colour and
// rows that repeat, and most of its rows are the same on every card of a
// site (the frame: grid, brand, site name, footer). image/png at BestSpeed
// ran a general LZ77 over all 756,000 bytes of every card, which was most
// of a card's time; at 10,000 posts that was tens of CPU seconds.
//
// Here each row is filtered "up" when it repeats the row above (it becomes
// all zeros) and left unfiltered otherwise, and coded as literals, runs
// (matches at distance 1, zlib's "RLE" strategy) and copies of the row
// above, in one fixed-Huffman deflate block. A row's code depends only on
// it and the row above, so the codes of a frame's rows are computed once
// (see rowCodes) and every card whose rows equal the frame's there reuses
// them; the Adler-32 of the stream is combined from the rows' own. The
// output is a plain PNG that every decoder reads, and a function of the
// pixels alone: with or without a frame, the same image gives the same
// bytes (TestFrameReuseChangesNoByte).

// sym is one deflate symbol with its extra and distance bits, already in
// the bit writer's order.
type sym struct {
	bits uint32
	n    uint8
}

// rowCode is a coded row: its symbols as one bit string (whole 32-bit
// words, then the last n bits of tail) and the Adler-32 of its filtered
// bytes alone. A bit string is copied into a card's stream a word at a
// time, not a symbol at a time.
type rowCode struct {
	words []uint32
	tail  uint32
	n     uint
	adler uint32
}

// emit copies the coded row into b.
func (rc *rowCode) emit(b *bitWriter) {
	for _, w := range rc.words {
		b.write(uint64(w), 32)
	}
	b.write(uint64(rc.tail), rc.n)
}

// rowCodes are the codes of every row of a frame, unfiltered, each under
// the row the frame's own encoding has above it.
type rowCodes struct {
	pix     []byte // the frame's pixels, to compare rows with
	stride  int
	rows    []rowCode
	emitted [][]byte // each row as the frame's encoding filters it
}

func newRowCodes(m *image.Paletted) *rowCodes {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	rc := &rowCodes{pix: bytes.Clone(m.Pix), stride: m.Stride, rows: make([]rowCode, h), emitted: make([][]byte, h)}
	var prev []byte
	for y := range h {
		row := m.Pix[y*m.Stride : y*m.Stride+w]
		rc.rows[y] = codeRow(0, row, prev)
		if y > 0 && bytes.Equal(row, m.Pix[(y-1)*m.Stride:(y-1)*m.Stride+w]) {
			rc.emitted[y] = upRow(w)
		} else {
			rc.emitted[y] = append([]byte{0}, row...)
		}
		prev = rc.emitted[y]
	}
	return rc
}

// upRow is a row filtered "up" that repeats the row above: all zeros.
func upRow(w int) []byte {
	r := make([]byte, w+1)
	r[0] = 2
	return r
}

// codeRow codes filter+row under the filtered row prev (nil for none).
func codeRow(filter byte, row, prev []byte) rowCode {
	data := append([]byte{filter}, row...)
	var b bitWriter
	lz(data, prev, aboveMatches(len(data)), &b)
	rc := rowCode{words: make([]uint32, 0, len(b.out)/4), tail: uint32(b.bits), n: b.nbits, adler: adler32.Checksum(data)}
	for i := 0; i < len(b.out); i += 4 {
		rc.words = append(rc.words, binary.LittleEndian.Uint32(b.out[i:]))
	}
	return rc
}

// encodePNG writes a paletted image as a PNG, reusing frame's row codes
// where the image's rows equal the frame's (frame may be nil).
func encodePNG(m *image.Paletted, frame *rowCodes) []byte {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	if frame != nil && (len(frame.rows) != h || frame.stride != m.Stride) {
		frame = nil
	}
	up := upRow(w)
	// An up row is coded as runs alone, so its code is the same whatever
	// is above it.
	upCode := codeRow(2, up[1:], nil)
	bufs := [2][]byte{make([]byte, w+1), make([]byte, w+1)}
	above := aboveMatches(w + 1)

	b := &bitWriter{out: make([]byte, 0, 64<<10)}
	b.write(1, 1) // BFINAL
	b.write(1, 2) // BTYPE 01: fixed Huffman codes
	adler := uint32(1)
	var prev []byte // the row above, as filtered
	for y := range h {
		row := m.Pix[y*m.Stride : y*m.Stride+w]
		switch {
		case y > 0 && bytes.Equal(row, m.Pix[(y-1)*m.Stride:(y-1)*m.Stride+w]):
			upCode.emit(b)
			adler = adler32Combine(adler, upCode.adler, w+1)
			prev = up
		case frame != nil && bytes.Equal(row, frame.pix[y*frame.stride:y*frame.stride+w]) &&
			(y == 0 || bytes.Equal(prev, frame.emitted[y-1])):
			rc := &frame.rows[y]
			rc.emit(b)
			adler = adler32Combine(adler, rc.adler, w+1)
			prev = frame.emitted[y]
		default:
			// A row of this card alone: coded straight into the stream.
			data := append(append(bufs[y%2][:0], 0), row...)
			lz(data, prev, above, b)
			adler = adler32Combine(adler, adler32.Checksum(data), w+1)
			prev = data
		}
	}
	end := fixedLit[256]
	b.write(uint64(end.bits), uint(end.n))

	out := make([]byte, 0, len(b.out)+3*len(m.Palette)+128)
	out = append(out, "\x89PNG\r\n\x1a\n"...)
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 3 // 8 bits per index, paletted
	out = chunk(out, "IHDR", ihdr)
	plte := make([]byte, 0, 3*len(m.Palette))
	for _, c := range m.Palette {
		r, g, bl, _ := c.RGBA()
		plte = append(plte, byte(r>>8), byte(g>>8), byte(bl>>8))
	}
	out = chunk(out, "PLTE", plte)
	// zlib: deflate with a 32 KiB window and no dictionary, the block, and
	// the Adler-32 of the uncompressed stream.
	z := append([]byte{0x78, 0x01}, b.flush()...)
	z = binary.BigEndian.AppendUint32(z, adler)
	out = chunk(out, "IDAT", z)
	return chunk(out, "IEND", nil)
}

// adler32Combine is the Adler-32 of a stream A followed by B from theirs
// and B's length (zlib's adler32_combine).
func adler32Combine(a1, a2 uint32, len2 int) uint32 {
	const base = 65521
	rem := uint32(len2 % base)
	sum1 := a1 & 0xffff
	sum2 := rem * sum1 % base
	sum1 += (a2 & 0xffff) + base - 1
	sum2 += (a1 >> 16) + (a2 >> 16) + base - rem
	if sum1 >= base {
		sum1 -= base
	}
	if sum1 >= base {
		sum1 -= base
	}
	if sum2 >= base<<1 {
		sum2 -= base << 1
	}
	if sum2 >= base {
		sum2 -= base
	}
	return sum1 | sum2<<16
}

func chunk(out []byte, typ string, data []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}

// bitWriter packs deflate's least-significant-bit-first bit stream.
type bitWriter struct {
	out   []byte
	bits  uint64
	nbits uint
}

func (b *bitWriter) write(v uint64, n uint) {
	b.bits |= v << b.nbits
	b.nbits += n
	if b.nbits >= 32 {
		b.out = binary.LittleEndian.AppendUint32(b.out, uint32(b.bits))
		b.bits >>= 32
		b.nbits -= 32
	}
}

func (b *bitWriter) sym(s sym) { b.write(uint64(s.bits), uint(s.n)) }

func (b *bitWriter) flush() []byte {
	for b.nbits > 0 {
		b.out = append(b.out, byte(b.bits))
		b.bits >>= 8
		b.nbits = uint(max(0, int(b.nbits)-8))
	}
	return b.out
}

// fixedLit is each literal/length symbol's code in deflate's fixed Huffman
// table, bit-reversed for the bit writer.
var fixedLit = func() [288]sym {
	var t [288]sym
	for s := range 288 {
		var c, n int
		switch {
		case s < 144:
			c, n = 0x30+s, 8
		case s < 256:
			c, n = 0x190+s-144, 9
		case s < 280:
			c, n = s-256, 7
		default:
			c, n = 0xc0+s-280, 8
		}
		t[s] = sym{reverse(uint32(c), n), uint8(n)}
	}
	return t
}()

func reverse(v uint32, n int) uint32 {
	var r uint32
	for range n {
		r = r<<1 | v&1
		v >>= 1
	}
	return r
}

// Match lengths 3–258: the base length of each length symbol 257–285, and
// the extra bits after it.
var (
	lengthBase  = [29]int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]int{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
)

// matches[l] is a match of length l (3–258) at distance 1.
var matches = func() (t [259]sym) {
	for l := 3; l <= 258; l++ {
		t[l] = match(l)
	}
	return t
}()

// match codes a match of length l at distance 1 (distance code 0, five
// zero bits).
func match(l int) sym {
	i := 28
	for lengthBase[i] > l {
		i--
	}
	c := fixedLit[257+i]
	bits, n := c.bits, int(c.n)
	bits |= uint32(l-lengthBase[i]) << n
	n += lengthExtra[i]
	return sym{bits, uint8(n + 5)}
}

// lz codes one filtered row, data, whose row above in the stream is
// prev (nil for none), greedily, with above the match codes at the
// distance of one row (see aboveMatches): the longest of a run (distance
// 1, the byte before repeated) and a copy of the row above (distance
// len(data)), else a literal. Copies of the row above carry a text's
// vertical strokes and edges, which runs alone coded byte by byte. The
// symbols go straight into b: the card's own rows are most of its
// encoding time, and collecting symbols first to write them after was a
// fifth of that.
func lz(data, prev []byte, above []sym, b *bitWriter) {
	n := len(data)
	if above == nil {
		prev = nil // farther back than deflate's window
	}
	for i := 0; i < n; {
		c := data[i]
		runs := i > 0 && data[i-1] == c
		ups := prev != nil && prev[i] == c
		if !runs && !ups {
			// Most bytes of a text's edges: a literal, found in two
			// compares rather than two scans.
			b.sym(fixedLit[c])
			i++
			continue
		}
		r1, r2 := 0, 0
		if ups {
			for i+r2+8 <= n && binary.LittleEndian.Uint64(data[i+r2:]) == binary.LittleEndian.Uint64(prev[i+r2:]) {
				r2 += 8
			}
			for i+r2 < n && data[i+r2] == prev[i+r2] {
				r2++
			}
		}
		// A long copy of the row above is taken as it is: looking for a
		// longer run as well scanned the background twice.
		if runs && r2 < 16 {
			pat := uint64(c) * 0x0101010101010101
			for i+r1+8 <= n && binary.LittleEndian.Uint64(data[i+r1:]) == pat {
				r1 += 8
			}
			for i+r1 < n && data[i+r1] == c {
				r1++
			}
		}
		var m int
		var d []sym // the match codes of this distance, by length
		switch {
		case r2 >= 4 && r2 > r1:
			m, d = r2, above
		case r1 >= 3:
			m, d = r1, matches[:]
		default:
			b.sym(fixedLit[data[i]])
			i++
			continue
		}
		i += m
		for m > 0 {
			if m < 3 {
				// Too short to be a match: the bytes themselves.
				b.sym(fixedLit[data[i-m]])
				m--
				continue
			}
			l := min(m, 258)
			if r := m - l; r > 0 && r < 3 {
				l = m - 3 // leave a rest long enough to be a match
			}
			b.sym(d[l])
			m -= l
		}
	}
}

// aboveMatches are the match codes, by length, at distance dist: the
// row above.
func aboveMatches(dist int) []sym {
	if dist > 32768 {
		return nil
	}
	t := make([]sym, 259)
	dc, extra, base := distCode(dist)
	for l := 3; l <= 258; l++ {
		s := matches[l]
		s.n -= 5 // without the distance code of distance 1
		bits := s.bits | reverse(uint32(dc), 5)<<s.n
		bits |= uint32(dist-base) << (s.n + 5)
		t[l] = sym{bits, s.n + 5 + uint8(extra)}
	}
	return t
}

// distCode is deflate's distance code of d (1–32768), its extra bits and
// its base distance.
func distCode(d int) (code, extra, base int) {
	base, code = 1, 0
	for {
		extra = max(0, code/2-1)
		if d < base+1<<extra {
			return code, extra, base
		}
		base += 1 << extra
		code++
	}
}
