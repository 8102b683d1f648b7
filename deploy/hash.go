package deploy

import (
	"encoding/base64"
	"encoding/hex"
	"strings"

	"lukechampine.com/blake3"
)

// AssetHash is a Pages asset's key exactly as wrangler computes it
// (src/pages/hash.ts): the first 32 hex digits of
// blake3(base64(content) + extension), where the extension is Node's
// path.extname of the file name without the dot. Two files with the same
// bytes but different extensions get different keys, because Pages serves
// them with different content types.
func AssetHash(name string, content []byte) string {
	b64 := base64.StdEncoding.EncodeToString(content)
	sum := blake3.Sum256([]byte(b64 + Ext(name)))
	return hex.EncodeToString(sum[:])[:32]
}

// Ext is Node's path.extname(name) without its leading dot, which is what
// wrangler appends to the base64 content before hashing. It differs from
// filepath.Ext for dot-files (".htaccess" has no extension), for names
// ending in a dot and for "..".
func Ext(name string) string {
	startDot, startPart, end := -1, 0, -1
	matchedSlash := true
	// preDotState: 0 no character seen before the last dot, 1 only dots,
	// -1 some other character (Node's own three states).
	preDotState := 0
	for i := len(name) - 1; i >= 0; i-- {
		c := name[i]
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
		if c == '.' {
			if startDot == -1 {
				startDot = i
			} else if preDotState != 1 {
				preDotState = 1
			}
		} else if startDot != -1 {
			preDotState = -1
		}
	}
	if startDot == -1 || end == -1 || preDotState == 0 ||
		(preDotState == 1 && startDot == end-1 && startDot == startPart+1) {
		return ""
	}
	return name[startDot+1 : end]
}

// contentTypes is the part of the mime@3 table (the one wrangler 4.86
// bundles) that a static site uses. Pages stores the type as the asset's
// metadata; anything not listed goes up as application/octet-stream, as
// wrangler sends for unknown extensions.
var contentTypes = map[string]string{
	"html": "text/html", "htm": "text/html", "shtml": "text/html",
	"css": "text/css",
	"js":  "application/javascript", "mjs": "application/javascript", "cjs": "application/node",
	"json": "application/json", "map": "application/json",
	"jsonld":      "application/ld+json",
	"webmanifest": "application/manifest+json",
	"xml":         "application/xml", "xsl": "application/xml",
	"atom": "application/atom+xml", "rss": "application/rss+xml",
	"txt": "text/plain", "text": "text/plain",
	"md": "text/markdown", "markdown": "text/markdown",
	"csv": "text/csv", "yaml": "text/yaml", "yml": "text/yaml", "toml": "application/toml",
	"jsx": "text/jsx",
	"svg": "image/svg+xml", "svgz": "image/svg+xml",
	"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "jpe": "image/jpeg",
	"gif": "image/gif", "webp": "image/webp", "avif": "image/avif", "bmp": "image/bmp",
	"ico":  "image/vnd.microsoft.icon",
	"woff": "font/woff", "woff2": "font/woff2", "ttf": "font/ttf", "otf": "font/otf",
	"eot": "application/vnd.ms-fontobject",
	"pdf": "application/pdf", "wasm": "application/wasm", "zip": "application/zip", "gz": "application/gzip",
	"mp4": "video/mp4", "webm": "video/webm", "mp3": "audio/mpeg", "ogg": "audio/ogg", "wav": "audio/wav",
	"ts": "video/mp2t",
}

// ContentType is the type wrangler's mime.getType gives a file name,
// including its quirks: the extension is compared in lower case, and a
// name without a dot is looked up whole only when it has no directory.
func ContentType(name string) string {
	last := strings.ToLower(name[strings.LastIndexAny(name, `/\`)+1:])
	ext := last[strings.LastIndex(last, ".")+1:]
	hasPath := len(last) < len(name)
	hasDot := len(ext) < len(last)-1
	if hasDot || !hasPath {
		if t, ok := contentTypes[ext]; ok {
			return t
		}
	}
	return "application/octet-stream"
}
