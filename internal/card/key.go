package card

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"image/color"
	"math"
	"slices"
)

// keyWriter hashes card inputs field by field, each string with its
// length first, so no two different inputs run together into the same
// bytes. Writing to a hash cannot fail, so neither can a key.
type keyWriter struct{ h hash.Hash }

func (r *Renderer) newKey(kind string) keyWriter {
	k := keyWriter{sha256.New()}
	k.str("labfront card", Version, kind)
	k.h.Write(r.palKey[:])
	return k
}

func (k keyWriter) str(ss ...string) {
	k.int(len(ss))
	for _, s := range ss {
		k.int(len(s))
		k.h.Write([]byte(s))
	}
}

func (k keyWriter) int(ns ...int) {
	var b [8]byte
	for _, n := range ns {
		binary.LittleEndian.PutUint64(b[:], uint64(n))
		k.h.Write(b[:])
	}
}

func (k keyWriter) num(fs ...float64) {
	var b [8]byte
	for _, f := range fs {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(f))
		k.h.Write(b[:])
	}
}

func (k keyWriter) colour(cs ...color.RGBA) {
	for _, c := range cs {
		k.h.Write([]byte{c.R, c.G, c.B, c.A})
	}
}

func (k keyWriter) sum() [32]byte { return [32]byte(k.h.Sum(nil)) }

// paletteKey fingerprints a palette, its maps in key order.
func paletteKey(p Palette) [32]byte {
	k := keyWriter{sha256.New()}
	k.colour(p.Background, p.Surface, p.Border, p.Text, p.Text2, p.Muted, p.Accent, p.AccentSoft, p.Up, p.Grid)
	for _, m := range []map[string]color.RGBA{p.Nodes, p.Links} {
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		slices.Sort(names)
		k.int(len(names))
		for _, n := range names {
			k.str(n)
			k.colour(m[n])
		}
	}
	return k.sum()
}
