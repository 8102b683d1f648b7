package picture

import "encoding/binary"

// orientation is the Orientation tag (0x0112) of IFD0 of a TIFF-structured
// EXIF block: 1 (upright) to 8, and 1 when the block is absent, malformed
// or says something outside 1–8, because a photo shown as stored is a
// better failure than a refused one. Every read is bounds-checked against
// b, and the entry loop is bounded by both the declared count and len(b).
func orientation(b []byte) int {
	if len(b) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 1
	}
	if order.Uint16(b[2:]) != 42 {
		return 1
	}
	ifd := int64(order.Uint32(b[4:]))
	if ifd < 8 || ifd+2 > int64(len(b)) {
		return 1
	}
	n := int(order.Uint16(b[ifd:]))
	for i, p := 0, int(ifd)+2; i < n && p+12 <= len(b); i, p = i+1, p+12 {
		if order.Uint16(b[p:]) != 0x0112 {
			continue
		}
		const typeShort = 3
		if order.Uint16(b[p+2:]) != typeShort || order.Uint32(b[p+4:]) != 1 {
			return 1
		}
		// A SHORT value fits in the entry's value field, left-justified.
		v := int(order.Uint16(b[p+8:]))
		if v < 1 || v > 8 {
			return 1
		}
		return v
	}
	return 1
}
