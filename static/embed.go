// Package static embeds the site's stylesheets and icons so the binary can
// build a site with nothing else on disk. The generator fingerprints each
// file into /assets/.
package static

import (
	"embed"
	"io/fs"
)

//go:embed *.css *.svg
var files embed.FS

// FS returns the embedded static files.
func FS() fs.FS { return files }
