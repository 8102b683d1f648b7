// Package svgsafe turns an operator's SVG file into one that cannot run
// script on the site's origin, or refuses it with the file, line and
// construct at fault.
//
// An SVG served from the site is an XML document with the site's origin:
// opened directly (a link to the file, "open image in new tab") it can run
// <script>, event handlers and javascript: links like any page. So the
// output is never the input with bad parts cut out: the input is parsed
// with encoding/xml and a new document is written from an allowlist, in
// the SVG namespace, with no prefixes, sorted attributes and escaped text.
// What a browser parses is exactly what was checked.
//
// The rules:
//
//   - Refused (an error naming the line): a DOCTYPE or ENTITY declaration
//     (entity expansion, external entities), a processing instruction other
//     than the leading <?xml …?> declaration (xml-stylesheet loads code),
//     an encoding other than UTF-8, <script>, <foreignObject> (HTML inside
//     SVG; export draw.io/diagrams.net diagrams with plain-text labels, not
//     "formatted text"/HTML labels), <a> (links belong in the Markdown),
//     any element not on the allowlist (iframe, embed, object, HTML or
//     other namespaces, case variants such as <SCRIPT>), any on* attribute
//     in any namespace and any case, an href or xlink:href that does not
//     start with '#' (except a base64 data:image/png|jpeg|gif|webp on
//     <image> and <feImage>), an attribute value containing javascript: or
//     vbscript: (after removing whitespace and control characters, which
//     entities like &#x09; can hide), an animation (<animate>, <set>, …)
//     whose attributeName is not a presentation or geometry attribute
//     (href, on*, style), and CSS — in style="" or <style> — with any
//     at-rule (@import, @font-face, @media), a backslash escape, '<', or
//     a function other than colours, transforms, filters, gradients, math
//     and selectors; url(…) is allowed only as url(#id).
//   - Dropped (harmless, reported in Result.Dropped): comments,
//     <metadata> (RDF can hold the author's name and more), editor
//     namespaces (sodipodi, inkscape, Illustrator, Sketch, Serif, Boxy),
//     Inkscape's unrendered <flowRoot>, attributes in other namespaces
//     (inert in browsers; xml:base is one, which would re-point #id
//     references), unknown attributes without a namespace (draw.io's
//     content="<mxfile…>" copy of the diagram), and text outside text
//     elements, and Inkscape's -inkscape-* style properties. xlink:href
//     becomes href, which every current browser reads.
//   - Limits: input at most MaxSize bytes and elements nested at most
//     MaxDepth deep.
//
// Sanitize is idempotent: its output sanitised again is the same bytes.
// Dimensions reads width, height and viewBox so an <img> can carry its size.
package svgsafe
