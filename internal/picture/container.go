package picture

import (
	"bytes"
	"encoding/binary"
)

// Format is an image encoding, as a source is told apart and as a
// variant is published.
type Format string

// The formats Process reads (all four) and writes.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	GIF  Format = "gif"
	WebP Format = "webp"
)

// Ext is the file extension a variant of this format is published with.
func (f Format) Ext() string {
	if f == JPEG {
		return "jpg"
	}
	return string(f)
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// sniff tells the format from the leading bytes. For the formats it does
// not accept it names a few common ones, so the author reads "HEIC" rather
// than "unknown format" when a phone's photo is dropped into a post.
func sniff(b []byte) (f Format, other string) {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return JPEG, ""
	case bytes.HasPrefix(b, pngSignature):
		return PNG, ""
	case bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a")):
		return GIF, ""
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return WebP, ""
	}
	switch {
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		switch brand := string(b[8:12]); brand {
		case "avif", "avis":
			return "", "AVIF"
		case "heic", "heix", "hevc", "mif1", "msf1":
			return "", "HEIC"
		}
		return "", "an ISO media file"
	case bytes.HasPrefix(b, []byte("BM")):
		return "", "BMP"
	case bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*")):
		return "", "TIFF"
	case bytes.Contains(b[:min(len(b), 512)], []byte("<svg")):
		return "", "SVG"
	}
	return "", ""
}

// jpegExif returns the TIFF structure of a JPEG's first Exif APP1
// segment, or nil. Metadata segments all come before the first scan, so
// the walk stops at SOS; every step moves forward, so it ends.
func jpegExif(b []byte) []byte {
	p := 2 // after SOI
	for p+4 <= len(b) {
		if b[p] != 0xFF {
			return nil
		}
		m := b[p+1]
		switch {
		case m == 0xFF: // fill byte before a marker
			p++
			continue
		case m == 0x01 || m == 0xD8 || (m >= 0xD0 && m <= 0xD7): // markers without a length
			p += 2
			continue
		case m == 0xDA || m == 0xD9: // start of scan, end of image
			return nil
		}
		l := int(binary.BigEndian.Uint16(b[p+2:]))
		if l < 2 || p+2+l > len(b) {
			return nil
		}
		seg := b[p+4 : p+2+l]
		if m == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:]
		}
		p += 2 + l
	}
	return nil
}

// pngExif returns the content of a PNG's eXIf chunk, or nil.
func pngExif(b []byte) []byte {
	p := len(pngSignature)
	for p+8 <= len(b) {
		l := int64(binary.BigEndian.Uint32(b[p:]))
		typ := string(b[p+4 : p+8])
		end := int64(p) + 8 + l
		if end > int64(len(b)) {
			return nil
		}
		switch typ {
		case "eXIf":
			return b[p+8 : end]
		case "IEND":
			return nil
		}
		p = int(end) + 4 // the CRC
	}
	return nil
}

// webpInfo is what the RIFF chunks of a WebP file say beyond its size:
// whether the image data is lossy (VP8) or lossless (VP8L), whether it has
// alpha, whether it is animated, and its EXIF block.
type webpInfo struct {
	lossy, alpha, animated bool
	exif                   []byte
}

func inspectWebP(b []byte) webpInfo {
	var info webpInfo
	p := 12
	for p+8 <= len(b) {
		fourcc := string(b[p : p+4])
		l := int64(binary.LittleEndian.Uint32(b[p+4:]))
		end := int64(p) + 8 + l
		if end > int64(len(b)) {
			break
		}
		data := b[p+8 : end]
		switch fourcc {
		case "VP8X":
			if len(data) >= 1 {
				info.animated = data[0]&(1<<1) != 0
				info.alpha = data[0]&(1<<4) != 0
			}
		case "VP8 ":
			info.lossy = true
		case "VP8L":
			// A lossless bitstream: bit 28 of the header is "alpha is used".
			if len(data) >= 5 && data[4]&0x10 != 0 {
				info.alpha = true
			}
		case "ALPH":
			info.alpha = true
		case "ANIM", "ANMF":
			info.animated = true
		case "EXIF":
			// Some writers keep the JPEG "Exif\0\0" prefix in the chunk.
			info.exif = bytes.TrimPrefix(data, []byte("Exif\x00\x00"))
		}
		p = int(end + l%2) // chunks are padded to an even size
	}
	return info
}

// gifFrames counts the frames of a GIF and the pixels their descriptors
// declare, without decoding any: gif.DecodeAll allocates every frame, so a
// small file of many large frames must be refused before it is decoded. A
// malformed stream ends the count early; the decoder then reports it.
func gifFrames(b []byte) (frames int, pixels int64) {
	if len(b) < 13 {
		return 0, 0
	}
	p := 13
	if flags := b[10]; flags&0x80 != 0 {
		p += 3 << ((flags & 7) + 1)
	}
	skipBlocks := func() {
		for p < len(b) {
			n := int(b[p])
			p++
			if n == 0 {
				return
			}
			p += n
		}
	}
	for p < len(b) {
		switch b[p] {
		case 0x21: // extension: introducer, label, data sub-blocks
			p += 2
			skipBlocks()
		case 0x2C: // image descriptor
			if p+10 > len(b) {
				return frames, pixels
			}
			w := int64(binary.LittleEndian.Uint16(b[p+5:]))
			h := int64(binary.LittleEndian.Uint16(b[p+7:]))
			flags := b[p+9]
			p += 10
			if flags&0x80 != 0 {
				p += 3 << ((flags & 7) + 1)
			}
			p++ // LZW minimum code size
			skipBlocks()
			frames++
			pixels += w * h
		default: // the trailer, or garbage the decoder will report
			return frames, pixels
		}
	}
	return frames, pixels
}
