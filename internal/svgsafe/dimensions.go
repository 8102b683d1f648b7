package svgsafe

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/labfront/labfront/internal/diag"
)

// Size is the intrinsic size of an SVG, in CSS pixels, for the width and
// height attributes of an <img> (so the page does not shift as it loads).
type Size struct {
	Width, Height float64
	// ViewBox is min-x, min-y, width, height when the root has a viewBox.
	ViewBox    [4]float64
	HasViewBox bool
}

// Pixels rounds the size to whole pixels, at least 1×1, for HTML's
// integer width and height.
func (s Size) Pixels() (w, h int) {
	return max(1, int(math.Round(s.Width))), max(1, int(math.Round(s.Height)))
}

// Dimensions reads the root <svg>'s width, height and viewBox. Absolute
// lengths (px, unitless, in, cm, mm, pt, pc) are used as given; a missing
// or relative one (%, em) comes from the viewBox, keeping its aspect
// ratio. An SVG with neither has no size an <img> could carry: that is an
// error naming the file and line.
func Dimensions(path string, svg []byte) (Size, error) {
	dec := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(svg, []byte("\xef\xbb\xbf"))))
	dec.Strict = true
	for {
		line, _ := dec.InputPos()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return Size{}, diag.Problem{Path: path, Msg: "no <svg> element: the file is not an SVG"}
		}
		if err != nil {
			return Size{}, diag.Problem{Path: path, Line: line, Msg: fmt.Sprintf("not well-formed XML: %v", err)}
		}
		switch t := tok.(type) {
		case xml.Directive:
			return Size{}, diag.Problem{Path: path, Line: line, Msg: "<!DOCTYPE> is not allowed in an SVG"}
		case xml.StartElement:
			if t.Name.Local != "svg" || t.Name.Space != svgNS && t.Name.Space != "" {
				return Size{}, diag.Problem{Path: path, Line: line, Msg: fmt.Sprintf("the root element is <%s>, not <svg>", t.Name.Local)}
			}
			return rootSize(path, line, t.Attr)
		}
	}
}

func rootSize(path string, line int, attrs []xml.Attr) (Size, error) {
	var w, h, vb string
	for _, a := range attrs {
		if a.Name.Space != "" {
			continue
		}
		switch a.Name.Local {
		case "width":
			w = a.Value
		case "height":
			h = a.Value
		case "viewBox":
			vb = a.Value
		}
	}
	var s Size
	if vb != "" {
		f := strings.FieldsFunc(vb, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
		ok := len(f) == 4
		for i := 0; ok && i < 4; i++ {
			v, err := strconv.ParseFloat(f[i], 64)
			ok = err == nil && !math.IsInf(v, 0) && !math.IsNaN(v)
			s.ViewBox[i] = v
		}
		if !ok || s.ViewBox[2] <= 0 || s.ViewBox[3] <= 0 {
			return Size{}, diag.Problem{Path: path, Line: line, Field: "viewBox", Msg: fmt.Sprintf("%q is not four numbers min-x min-y width height with a positive width and height", clip(vb))}
		}
		s.HasViewBox = true
	}
	width, wok, err := length(w)
	if err != nil {
		return Size{}, diag.Problem{Path: path, Line: line, Field: "width", Msg: err.Error()}
	}
	height, hok, err := length(h)
	if err != nil {
		return Size{}, diag.Problem{Path: path, Line: line, Field: "height", Msg: err.Error()}
	}
	vw, vh := s.ViewBox[2], s.ViewBox[3]
	switch {
	case wok && hok:
		s.Width, s.Height = width, height
	case wok && s.HasViewBox:
		s.Width, s.Height = width, width*vh/vw
	case hok && s.HasViewBox:
		s.Width, s.Height = height*vw/vh, height
	case s.HasViewBox:
		s.Width, s.Height = vw, vh
	default:
		return Size{}, diag.Problem{Path: path, Line: line, Msg: "the <svg> has neither width and height nor a viewBox, so an <img> cannot reserve its size; add viewBox=\"0 0 W H\""}
	}
	return s, nil
}

// unitPx converts CSS absolute units to pixels (CSS Values 4: 1in = 96px).
var unitPx = map[string]float64{"": 1, "px": 1, "in": 96, "cm": 96 / 2.54, "mm": 96 / 25.4, "q": 96 / 101.6, "pt": 96.0 / 72, "pc": 16}

// length parses an absolute length. ok is false for an empty value or a
// relative unit (%, em, ex, vw…), which the viewBox then decides.
func length(v string) (px float64, ok bool, err error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "auto" {
		return 0, false, nil
	}
	i := len(v)
	for i > 0 && (v[i-1] >= 'a' && v[i-1] <= 'z' || v[i-1] >= 'A' && v[i-1] <= 'Z' || v[i-1] == '%') {
		i--
	}
	num, unit := v[:i], strings.ToLower(v[i:])
	n, perr := strconv.ParseFloat(num, 64)
	if perr != nil || math.IsInf(n, 0) || math.IsNaN(n) || n < 0 {
		return 0, false, fmt.Errorf("%q is not a length", clip(v))
	}
	f, abs := unitPx[unit]
	if !abs {
		return 0, false, nil
	}
	if n == 0 {
		return 0, false, nil // zero-sized: let the viewBox decide, or fail
	}
	return n * f, true, nil
}
