package card

import (
	"fmt"
	"image/color"
	"regexp"
	"strconv"
)

// Palette is the card's colours. The defaults are the light theme of
// static/site.css and the node and link colours of static/architecture.css;
// ParsePalette takes them from a site's own stylesheets, so a site that
// restyles itself gets cards in its own colours.
type Palette struct {
	Background color.RGBA // --bg
	Surface    color.RGBA // --surface
	Border     color.RGBA // --border
	Text       color.RGBA // --text
	Text2      color.RGBA // --text-2
	Muted      color.RGBA // --muted
	Accent     color.RGBA // --accent
	AccentSoft color.RGBA // --accent-soft
	Up         color.RGBA // --up
	Grid       color.RGBA // --grid, already blended onto Background
	// Nodes and Links colour the topology card by type (--n-TYPE, --l-TYPE).
	Nodes map[string]color.RGBA
	Links map[string]color.RGBA
}

func rgb(v uint32) color.RGBA {
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff}
}

// DefaultPalette is labfront's own light theme.
func DefaultPalette() Palette {
	return Palette{
		Background: rgb(0xf8fafc), Surface: rgb(0xffffff), Border: rgb(0xe2e8f0),
		Text: rgb(0x0f172a), Text2: rgb(0x334155), Muted: rgb(0x526077),
		Accent: rgb(0x0369a1), AccentSoft: rgb(0xe0f2fe), Up: rgb(0x15803d),
		Grid: blend(rgb(0x0f172a), rgb(0xf8fafc), 0x0f),
		Nodes: map[string]color.RGBA{
			"network": rgb(0x64748b), "hypervisor": rgb(0x2563eb), "orchestrator": rgb(0x7c3aed), "drone": rgb(0xa855f7),
			"gateway": rgb(0xea580c), "workstation": rgb(0x0891b2), "nas": rgb(0xca8a04), "media": rgb(0xdb2777),
			"container": rgb(0x0d9488), "vm": rgb(0x4f46e5), "cloud": rgb(0xf97316), "vpn": rgb(0x16a34a),
		},
		Links: map[string]color.RGBA{
			"lan": rgb(0x94a3b8), "tailscale": rgb(0x16a34a), "tunnel": rgb(0xf97316), "backup": rgb(0xca8a04),
			"service": rgb(0x0ea5e9), "dataflow": rgb(0xa855f7), "uplink": rgb(0x64748b),
		},
	}
}

// rootBlock is the first ":root { … }" rule of a stylesheet: the light
// theme. The dark theme's :root sits inside a media query, later.
var (
	rootBlock = regexp.MustCompile(`(?s):root\s*\{([^}]*)\}`)
	property  = regexp.MustCompile(`--([a-z0-9-]+)\s*:\s*#([0-9a-fA-F]{3,8})\b`)
)

// ParsePalette starts from DefaultPalette and takes every colour custom
// property it knows from the first :root rule of each stylesheet. Values
// that are not plain hex colours (var(), color-mix()) keep the default: a
// card cannot follow them, and a wrong guess is worse than labfront's own
// colour. Translucent colours are blended onto the background, which is
// how the page shows them.
func ParsePalette(sheets ...[]byte) (Palette, error) {
	p := DefaultPalette()
	named := map[string]*color.RGBA{
		"bg": &p.Background, "surface": &p.Surface, "border": &p.Border, "text": &p.Text, "text-2": &p.Text2,
		"muted": &p.Muted, "accent": &p.Accent, "accent-soft": &p.AccentSoft, "up": &p.Up, "grid": &p.Grid,
	}
	props := map[string]color.RGBA{}
	var order []string
	for _, css := range sheets {
		m := rootBlock.FindSubmatch(css)
		if m == nil {
			continue
		}
		for _, pm := range property.FindAllSubmatch(m[1], -1) {
			c, err := parseHex(string(pm[2]))
			if err != nil {
				return Palette{}, fmt.Errorf("--%s: %w", pm[1], err)
			}
			name := string(pm[1])
			if _, seen := props[name]; !seen {
				order = append(order, name)
			}
			props[name] = c
		}
	}
	// The background first: translucent colours blend onto it.
	if c, ok := props["bg"]; ok {
		p.Background = opaque(c, rgb(0xffffff))
	}
	for _, name := range order {
		c := opaque(props[name], p.Background)
		switch {
		case name == "bg":
		case named[name] != nil:
			*named[name] = c
		case len(name) > 2 && name[:2] == "n-":
			p.Nodes[name[2:]] = c
		case len(name) > 2 && name[:2] == "l-":
			p.Links[name[2:]] = c
		}
	}
	return p, nil
}

// parseHex reads #rgb, #rgba, #rrggbb and #rrggbbaa (without the #).
func parseHex(h string) (color.RGBA, error) {
	if len(h) == 3 || len(h) == 4 {
		long := make([]byte, 0, 2*len(h))
		for i := range len(h) {
			long = append(long, h[i], h[i])
		}
		h = string(long)
	}
	if len(h) == 6 {
		h += "ff"
	}
	if len(h) != 8 {
		return color.RGBA{}, fmt.Errorf("#%s is not a hex colour", h)
	}
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return color.RGBA{}, fmt.Errorf("#%s is not a hex colour", h)
	}
	return color.RGBA{uint8(v >> 24), uint8(v >> 16), uint8(v >> 8), uint8(v)}, nil
}

// opaque blends a (non-premultiplied) colour onto bg.
func opaque(c, bg color.RGBA) color.RGBA {
	if c.A == 0xff {
		return c
	}
	return blend(color.RGBA{c.R, c.G, c.B, 0xff}, bg, c.A)
}

// blend mixes fg over bg with coverage a (0–255).
func blend(fg, bg color.RGBA, a uint8) color.RGBA {
	mix := func(f, b uint8) uint8 { return uint8((int(f)*int(a) + int(b)*(255-int(a)) + 127) / 255) }
	return color.RGBA{mix(fg.R, bg.R), mix(fg.G, bg.G), mix(fg.B, bg.B), 0xff}
}

// colourOr is m[key], or def when the palette has no colour for key.
func colourOr(m map[string]color.RGBA, key string, def color.RGBA) color.RGBA {
	if c, ok := m[key]; ok {
		return c
	}
	return def
}
