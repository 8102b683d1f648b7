package cftest

import (
	"encoding/base64"
	"encoding/hex"
	"strings"

	"lukechampine.com/blake3"
)

// AssetHash is a Pages asset key as wrangler computes it: the first 32 hex
// digits of blake3(base64(content) + extension without the dot). The fake
// keeps its own copy rather than importing labfront's, so the two
// implementations check each other.
func AssetHash(content []byte, ext string) string {
	return hashBase64(base64.StdEncoding.EncodeToString(content), ext)
}

func hashBase64(b64, ext string) string {
	sum := blake3.Sum256([]byte(b64 + ext))
	return hex.EncodeToString(sum[:])[:32]
}

// nodeExt is Node's path.extname(p) without its leading dot: the last
// dot-suffix of the last path element, "" for dot-files such as
// ".DS_Store", for "..", and for names ending in a dot.
func nodeExt(p string) string {
	startDot, startPart, end := -1, 0, -1
	matchedSlash := true
	preDotState := 0
	for i := len(p) - 1; i >= 0; i-- {
		c := p[i]
		if c == '/' {
			if !matchedSlash {
				startPart = i + 1
				break
			}
			continue
		}
		if end == -1 {
			matchedSlash = false
			end = i + 1
		}
		switch {
		case c == '.':
			if startDot == -1 {
				startDot = i
			} else if preDotState != 1 {
				preDotState = 1
			}
		case startDot != -1:
			preDotState = -1
		}
	}
	if startDot == -1 || end == -1 || preDotState == 0 ||
		(preDotState == 1 && startDot == end-1 && startDot == startPart+1) {
		return ""
	}
	return p[startDot+1 : end]
}

// typeExtensions maps the content types wrangler sends (its mime@3 table)
// back to the extensions that produce them, so an upload can be checked
// before any manifest names it. Types not listed (application/octet-stream
// above all) are checked when a deployment's manifest gives the path.
var typeExtensions = map[string][]string{
	"text/html":                     {"html", "htm", "shtml"},
	"text/css":                      {"css"},
	"application/javascript":        {"js", "mjs"},
	"application/json":              {"json", "map"},
	"application/xml":               {"xml", "xsl", "xsd", "rng"},
	"application/atom+xml":          {"atom"},
	"application/rss+xml":           {"rss"},
	"application/manifest+json":     {"webmanifest"},
	"text/plain":                    {"txt", "text", "conf", "def", "list", "log", "in", "ini"},
	"text/markdown":                 {"md", "markdown"},
	"text/csv":                      {"csv"},
	"text/yaml":                     {"yaml", "yml"},
	"image/svg+xml":                 {"svg", "svgz"},
	"image/png":                     {"png"},
	"image/jpeg":                    {"jpeg", "jpg", "jpe"},
	"image/gif":                     {"gif"},
	"image/webp":                    {"webp"},
	"image/avif":                    {"avif"},
	"image/vnd.microsoft.icon":      {"ico"},
	"font/woff":                     {"woff"},
	"font/woff2":                    {"woff2"},
	"font/ttf":                      {"ttf"},
	"font/otf":                      {"otf"},
	"application/pdf":               {"pdf"},
	"application/wasm":              {"wasm"},
	"application/vnd.ms-fontobject": {"eot"},
}

// matchesType reports whether key is the hash of b64 with one of the
// extensions that give contentType, in any letter case (a file may be
// called Photo.PNG). known is false when the type's extensions are not in
// the table, so the upload cannot be checked yet.
func matchesType(key, b64, contentType string) (ok, known bool) {
	exts, known := typeExtensions[contentType]
	if !known {
		return false, false
	}
	for _, ext := range exts {
		for _, v := range caseVariants(ext) {
			if hashBase64(b64, v) == key {
				return true, true
			}
		}
	}
	return false, true
}

// caseVariants lists every upper/lower-case spelling of ext (at most 2^n
// for n letters; the listed extensions are short).
func caseVariants(ext string) []string {
	out := []string{""}
	for _, r := range ext {
		lo, up := strings.ToLower(string(r)), strings.ToUpper(string(r))
		next := make([]string, 0, len(out)*2)
		for _, p := range out {
			next = append(next, p+lo)
			if up != lo {
				next = append(next, p+up)
			}
		}
		out = next
	}
	return out
}

func isHashKey(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
