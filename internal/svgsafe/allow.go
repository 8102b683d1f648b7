package svgsafe

import "strings"

// Namespaces the sanitiser recognises. Elements are accepted only in the
// SVG namespace (or none, which a browser inlining the file treats as SVG).
const (
	svgNS   = "http://www.w3.org/2000/svg"
	xlinkNS = "http://www.w3.org/1999/xlink"
	xmlNS   = "http://www.w3.org/XML/1998/namespace"
	xhtmlNS = "http://www.w3.org/1999/xhtml"
)

// set builds a lookup table from a space-separated list, so the lists
// below read like the specification's tables.
func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// allowedElements are the static SVG elements plus declarative animation.
// Nothing here can run script or load a document: the elements that take
// an href are limited to #id references by the href rule.
var allowedElements = set(`
	svg g defs symbol use switch title desc style
	path rect circle ellipse line polyline polygon
	text tspan textPath
	linearGradient radialGradient stop pattern clipPath mask marker image
	filter feBlend feColorMatrix feComponentTransfer feComposite
	feConvolveMatrix feDiffuseLighting feDisplacementMap feDistantLight
	feDropShadow feFlood feFuncA feFuncB feFuncG feFuncR feGaussianBlur
	feImage feMerge feMergeNode feMorphology feOffset fePointLight
	feSpecularLighting feSpotLight feTile feTurbulence
	animate animateMotion animateTransform set mpath
`)

// textElements keep their character data; elsewhere text is not rendered
// and is dropped, so whitespace between tags does not reach the output.
var textElements = set(`text tspan textPath title desc style`)

// droppedElements are harmless but useless or private: their whole
// subtree is left out.
var droppedElements = set(`metadata flowRoot`)

// editorNamespaces are the private namespaces drawing programs add for
// their own state (guides, layers, document names, embedded originals).
// Browsers ignore them; the output leaves them out.
var editorNamespaces = []string{
	"http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
	"http://inkscape.sourceforge.net/DTD/sodipodi-0.dtd",
	"http://www.inkscape.org/namespaces/inkscape",
	"http://ns.adobe.com/",
	"http://www.bohemiancoding.com/sketch/ns",
	"http://www.serif.com/",
	"https://boxy-svg.com",
	"http://www.figma.com/figma/ns",
	"http://purl.org/dc/elements/1.1/",
	"http://creativecommons.org/ns#",
	"http://www.w3.org/1999/02/22-rdf-syntax-ns#",
}

func isEditorNS(ns string) bool {
	for _, p := range editorNamespaces {
		if strings.HasPrefix(ns, p) {
			return true
		}
	}
	return false
}

// presentationAttrs are SVG's presentation attributes (SVG 2, §6.6 and the
// CSS properties that map to them). Their values go through the CSS value
// check, since fill="url(…)" and cursor can name other documents.
var presentationAttrs = set(`
	alignment-baseline baseline-shift clip clip-path clip-rule color
	color-interpolation color-interpolation-filters color-rendering cursor
	direction display dominant-baseline enable-background fill fill-opacity
	fill-rule filter flood-color flood-opacity font font-family font-size
	font-size-adjust font-stretch font-style font-variant font-weight
	glyph-orientation-horizontal glyph-orientation-vertical image-rendering
	isolation kerning letter-spacing lighting-color marker marker-end
	marker-mid marker-start mask mask-type mix-blend-mode opacity overflow
	paint-order pointer-events shape-rendering stop-color stop-opacity
	stroke stroke-dasharray stroke-dashoffset stroke-linecap
	stroke-linejoin stroke-miterlimit stroke-opacity stroke-width
	text-anchor text-decoration text-rendering transform transform-origin
	unicode-bidi vector-effect visibility word-spacing writing-mode
`)

// geometryAttrs are the non-presentation attributes of the allowed
// elements: geometry, units, filter parameters and text layout.
var geometryAttrs = set(`
	x y x1 y1 x2 y2 cx cy r rx ry fx fy fr width height d points pathLength
	viewBox preserveAspectRatio version baseProfile zoomAndPan
	dx dy rotate textLength lengthAdjust startOffset method spacing side
	gradientUnits gradientTransform spreadMethod offset
	patternUnits patternContentUnits patternTransform
	clipPathUnits maskUnits maskContentUnits
	markerUnits markerWidth markerHeight refX refY orient
	filterUnits primitiveUnits filterRes in in2 result stdDeviation mode
	operator k1 k2 k3 k4 type values tableValues slope intercept amplitude
	exponent order kernelMatrix divisor bias targetX targetY edgeMode
	kernelUnitLength preserveAlpha surfaceScale diffuseConstant
	specularConstant specularExponent scale xChannelSelector
	yChannelSelector radius baseFrequency numOctaves seed stitchTiles
	azimuth elevation z pointsAtX pointsAtY pointsAtZ limitingConeAngle
	requiredFeatures requiredExtensions systemLanguage
`)

// animationAttrs are the timing and value attributes of SMIL animation.
// from/to/by/values pass the CSS value check like presentation values.
var animationAttrs = set(`
	attributeName attributeType begin dur end min max restart repeatCount
	repeatDur fill calcMode keyTimes keySplines from to by additive
	accumulate path keyPoints
`)

// textAttrs carry labels, not values a browser interprets as CSS or
// URLs, so they skip the CSS value check (an aria-label may say "(core)").
var textAttrs = set(`id class lang role tabindex focusable`)

// animatableAttrs are what an animation may change: presentation and
// geometry, never href, style, an event handler or the animation itself.
var animatableAttrs = func() map[string]bool {
	m := map[string]bool{}
	for k := range presentationAttrs {
		m[k] = true
	}
	for k := range geometryAttrs {
		m[k] = true
	}
	for _, k := range []string{"type", "values", "in", "in2", "result", "requiredFeatures", "requiredExtensions", "systemLanguage"} {
		delete(m, k)
	}
	return m
}()

// animationElements name the attribute they change with attributeName.
var animationElements = set(`animate set animateTransform animateMotion`)

// rasterHrefElements may embed a raster image as a data: URL; every other
// href must be a #id reference inside the same document.
var rasterHrefElements = set(`image feImage`)

// rasterTypes are the data: URL types an <image> may embed: raster
// formats, which cannot carry script (image/svg+xml could).
var rasterTypes = []string{"image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp"}

// cssFunctions are the CSS functions a value may call: colours,
// transforms, filters, gradients, math and selector functions. Any other
// function (image(), image-set(), element(), expression(), src(), …) could
// name another document or run code in old engines. url() is checked
// separately: only url(#id).
var cssFunctions = set(`
	rgb rgba hsl hsla hwb lab lch oklab oklch color-mix
	calc min max clamp var
	matrix matrix3d translate translatex translatey translatez translate3d
	rotate rotatex rotatey rotatez rotate3d scale scalex scaley scalez
	scale3d skew skewx skewy perspective
	cubic-bezier steps
	blur brightness contrast drop-shadow grayscale hue-rotate invert
	opacity saturate sepia
	linear-gradient radial-gradient conic-gradient
	repeating-linear-gradient repeating-radial-gradient
	repeating-conic-gradient
	not is where has nth-child nth-last-child nth-of-type nth-last-of-type
	lang dir
`)
