package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/css"
	"github.com/tdewolff/minify/v2/html"
	"github.com/tdewolff/minify/v2/svg"
)

// assetFile is a fingerprinted static file.
type assetFile struct {
	url  string // /assets/site.3f9a1c2b7d.css
	data []byte
}

type assets struct {
	files  []assetFile
	byName map[string]string // static file name -> fingerprinted URL
	min    *minify.M
}

// url returns the fingerprinted URL of a static file, or "" if the site has
// no such file.
func (a *assets) url(name string) string { return a.byName[name] }

func newMinifier() *minify.M {
	m := minify.New()
	m.Add("text/css", &css.Minifier{})
	m.Add("image/svg+xml", &svg.Minifier{})
	m.Add("text/html", &html.Minifier{KeepDocumentTags: true, KeepEndTags: true, KeepQuotes: true})
	return m
}

// Syntax highlighting themes: light by default, dark under
// prefers-color-scheme, both as class rules so pages stay free of inline
// styles (the CSP forbids them).
const (
	lightStyle = "github"
	darkStyle  = "github-dark"
)

func chromaCSS() ([]byte, error) {
	light, err := styleCSS(lightStyle)
	if err != nil {
		return nil, err
	}
	dark, err := styleCSS(darkStyle)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(light)
	b.WriteString("\n@media (prefers-color-scheme: dark) {\n")
	b.Write(dark)
	// A token class that only the light theme colours would keep its dark
	// ink on the dark background: let it inherit the block's colour.
	darkHas := map[string]bool{}
	for _, m := range tokenRule.FindAllSubmatch(dark, -1) {
		darkHas[string(m[1])] = true
	}
	for _, m := range tokenRule.FindAllSubmatch(light, -1) {
		if sel := string(m[1]); !darkHas[sel] && strings.Contains(string(m[2]), "color:") {
			fmt.Fprintf(&b, "%s { color: inherit }\n", sel)
			darkHas[sel] = true
		}
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// styleCSS writes one chroma style as class rules, without its background:
// the stylesheet owns code block backgrounds so they match the page.
func styleCSS(name string) ([]byte, error) {
	s := styles.Get(name)
	if s == nil || s.Name != name {
		return nil, fmt.Errorf("chroma style %q is missing", name)
	}
	var b bytes.Buffer
	if err := chromahtml.New(chromahtml.WithClasses(true)).WriteCSS(&b, s); err != nil {
		return nil, err
	}
	return bgRule.ReplaceAll(b.Bytes(), nil), nil
}

var (
	bgRule    = regexp.MustCompile(`(?m)^/\* (Background|PreWrapper) \*/.*$`)
	tokenRule = regexp.MustCompile(`(?m)^/\* \w+ \*/ (\.chroma \.[\w-]+) \{([^}]*)\}`)
)

func loadAssets(static fs.FS) (*assets, error) {
	a := &assets{byName: map[string]string{}, min: newMinifier()}
	if static == nil {
		return a, nil
	}
	err := fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") || strings.HasSuffix(p, ".go") {
			return nil
		}
		data, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		if p == "site.css" {
			hl, err := chromaCSS()
			if err != nil {
				return err
			}
			data = append(append(data, '\n'), hl...)
		}
		switch path.Ext(p) {
		case ".css":
			data, err = a.min.Bytes("text/css", data)
		case ".svg":
			data, err = a.min.Bytes("image/svg+xml", data)
		}
		if err != nil {
			return fmt.Errorf("minify %s: %w", p, err)
		}
		a.add(p, data)
		return nil
	})
	return a, err
}

// add fingerprints a file's final bytes into /assets/.
func (a *assets) add(name string, data []byte) {
	sum := sha256.Sum256(data)
	ext := path.Ext(name)
	url := "/assets/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:])[:10] + ext
	a.files = append(a.files, assetFile{url: url, data: data})
	a.byName[name] = url
}

// Assets is the fingerprinted stylesheets, icons and islands, for servers
// that render pages themselves (the admin server) rather than build dist/.
type Assets struct{ a *assets }

// LoadAssets fingerprints static files and bundles the islands.
func LoadAssets(static, islands fs.FS) (*Assets, error) {
	a, err := loadAssets(static)
	if err != nil {
		return nil, fmt.Errorf("assets: %w", err)
	}
	if err := a.addIslands(islands); err != nil {
		return nil, fmt.Errorf("scripts: %w", err)
	}
	return &Assets{a: a}, nil
}

// URL is the fingerprinted URL of a static file name ("site.css").
func (s *Assets) URL(name string) string { return s.a.url(name) }

// File returns the bytes served at a fingerprinted URL.
func (s *Assets) File(url string) ([]byte, bool) {
	for _, f := range s.a.files {
		if f.url == url {
			return f.data, true
		}
	}
	return nil, false
}
