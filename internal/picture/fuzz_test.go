package picture

import "testing"

// FuzzExif feeds arbitrary bytes to the EXIF parser, directly and through
// each container's walk: none may panic or loop, and the orientation is
// always one of the eight.
func FuzzExif(f *testing.F) {
	for o := 1; o <= 8; o++ {
		f.Add(buildTIFF([]tiffEntry{orientationEntry(o)}, nil))
	}
	f.Add(buildTIFF([]tiffEntry{{0x010F, 2, 10, []byte("SecretCam\x00")}, orientationEntry(6)}, []tiffEntry{{1, 2, 2, []byte("N\x00")}}))
	f.Add([]byte("II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00"))
	f.Add([]byte("MM\x00*\xff\xff\xff\xff"))
	f.Add(withSegments([]byte{0xFF, 0xD8, 0xFF, 0xD9}, segment(0xE1, append([]byte("Exif\x00\x00"), buildTIFF([]tiffEntry{orientationEntry(3)}, nil)...))))
	f.Add(withChunks(append(append([]byte{}, pngSignature...), make([]byte, 25)...), pngChunk("eXIf", buildTIFF([]tiffEntry{orientationEntry(8)}, nil))))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPEXIF\x08\x00\x00\x00MM\x00*\x00\x00\x00\x08"))
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, block := range [][]byte{b, jpegExif(append([]byte{0xFF, 0xD8}, b...)), jpegExif(b), pngExif(b), inspectWebP(b).exif} {
			if o := orientation(block); o < 1 || o > 8 {
				t.Fatalf("orientation %d", o)
			}
		}
		if frames, pixels := gifFrames(b); frames < 0 || pixels < 0 || frames > len(b) {
			t.Fatalf("%d frames of %d pixels from %d bytes", frames, pixels, len(b))
		}
	})
}

// TestOrientationParser pins the parser on well-formed and broken blocks.
func TestOrientationParser(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want int
	}{
		{"big-endian 6", buildTIFF([]tiffEntry{orientationEntry(6)}, nil), 6},
		{"little-endian 8", []byte("II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x08\x00\x00\x00"), 8},
		{"after other tags", buildTIFF([]tiffEntry{{0x010F, 2, 4, []byte("Cam\x00")}, orientationEntry(3)}, nil), 3},
		{"out of range", buildTIFF([]tiffEntry{orientationEntry(9)}, nil), 1},
		{"wrong type", buildTIFF([]tiffEntry{{0x0112, 4, 1, []byte{0, 0, 0, 6}}}, nil), 1},
		{"count beyond the block", []byte("MM\x00*\x00\x00\x00\x08\xff\xff\x01\x12\x00\x03"), 1},
		{"IFD offset beyond the block", []byte("MM\x00*\x7f\xff\xff\xff"), 1},
		{"not TIFF", []byte("hello, world"), 1},
		{"empty", nil, 1},
	}
	for _, tt := range tests {
		if got := orientation(tt.b); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}
