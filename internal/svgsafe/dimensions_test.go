package svgsafe

import (
	"strings"
	"testing"
)

func TestDimensions(t *testing.T) {
	cases := []struct {
		name, attrs string
		w, h        int
		err         string
	}{
		{name: "pixels", attrs: `width="120" height="40"`, w: 120, h: 40},
		{name: "px-units", attrs: `width="321px" height="121px" viewBox="-0.5 -0.5 321 121"`, w: 321, h: 121},
		{name: "viewbox-only", attrs: `viewBox="0 0 72 24"`, w: 72, h: 24},
		{name: "viewbox-commas", attrs: `viewBox="0,0,72,24"`, w: 72, h: 24},
		{name: "width-and-viewbox", attrs: `width="144" viewBox="0 0 72 24"`, w: 144, h: 48},
		{name: "height-and-viewbox", attrs: `height="12" viewBox="0 0 72 24"`, w: 36, h: 12},
		{name: "percent-uses-viewbox", attrs: `width="100%" height="100%" viewBox="0 0 50 25"`, w: 50, h: 25},
		{name: "millimetres", attrs: `width="210mm" height="120mm" viewBox="0 0 210 120"`, w: 794, h: 454},
		{name: "points", attrs: `width="72pt" height="36pt"`, w: 96, h: 48},
		{name: "inches", attrs: `width="1in" height="0.5in"`, w: 96, h: 48},
		{name: "tiny-rounds-to-one", attrs: `width="0.2" height="0.2"`, w: 1, h: 1},
		{name: "no-size", attrs: ``, err: "neither width and height nor a viewBox"},
		{name: "em-without-viewbox", attrs: `width="2em" height="2em"`, err: "neither width and height nor a viewBox"},
		{name: "bad-width", attrs: `width="wide" viewBox="0 0 1 1"`, err: "x.svg:1: width: \"wide\" is not a length"},
		{name: "negative", attrs: `width="-5" viewBox="0 0 1 1"`, err: "is not a length"},
		{name: "bad-viewbox", attrs: `viewBox="0 0 10"`, err: "viewBox: \"0 0 10\" is not four numbers"},
		{name: "zero-viewbox", attrs: `viewBox="0 0 0 10"`, err: "positive width and height"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			size, err := Dimensions("x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" `+c.attrs+`/>`))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got %+v, %v; want error …%s…", size, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w, h := size.Pixels(); w != c.w || h != c.h {
				t.Errorf("got %d×%d, want %d×%d", w, h, c.w, c.h)
			}
		})
	}
}

// Dimensions reads the sanitised output too, so the build can size the
// <img> from the bytes it publishes.
func TestDimensionsOfSanitised(t *testing.T) {
	res, err := Sanitize("d.svg", []byte(`<?xml version="1.0"?>
<!-- comment -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" sodipodi:docname="d.svg" width="30" viewBox="0 0 60 20"/>`))
	if err != nil {
		t.Fatal(err)
	}
	size, err := Dimensions("d.svg", res.SVG)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := size.Pixels(); w != 30 || h != 10 || !size.HasViewBox || size.ViewBox != [4]float64{0, 0, 60, 20} {
		t.Errorf("got %+v", size)
	}
	if _, err := Dimensions("d.svg", []byte(`<html/>`)); err == nil || !strings.Contains(err.Error(), "not <svg>") {
		t.Errorf("an HTML root: %v", err)
	}
}
