package web

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// The browser islands, in TypeScript. Each ts/*.ts file is one island with
// no imports and no npm dependencies, bundled in-process by esbuild: a
// build needs no Node.js.
//
//go:embed ts/*.ts
var islands embed.FS

// Islands returns the embedded island sources.
func Islands() fs.FS {
	sub, err := fs.Sub(islands, "ts")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder exists
	}
	return sub
}

// bundle compiles one island to minified ES2020 JavaScript.
func bundle(name string, src []byte) ([]byte, error) {
	res := api.Build(api.BuildOptions{
		Stdin: &api.StdinOptions{
			Contents:   string(src),
			Sourcefile: name,
			Loader:     api.LoaderTS,
		},
		Bundle:            true,
		Write:             false,
		Format:            api.FormatIIFE,
		Target:            api.ES2020,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		LegalComments:     api.LegalCommentsNone,
		Charset:           api.CharsetUTF8,
	})
	if len(res.Errors) > 0 {
		var msgs []string
		for _, e := range res.Errors {
			loc := ""
			if e.Location != nil {
				loc = fmt.Sprintf("%s:%d:%d: ", e.Location.File, e.Location.Line, e.Location.Column)
			}
			msgs = append(msgs, loc+e.Text)
		}
		return nil, fmt.Errorf("bundle %s: %s", name, strings.Join(msgs, "; "))
	}
	if len(res.OutputFiles) != 1 {
		return nil, fmt.Errorf("bundle %s: esbuild produced %d files", name, len(res.OutputFiles))
	}
	return res.OutputFiles[0].Contents, nil
}

// addIslands bundles every island into the assets as name.js.
func (a *assets) addIslands(src fs.FS) error {
	if src == nil {
		return nil
	}
	names, err := fs.Glob(src, "*.ts")
	if err != nil {
		return err
	}
	for _, name := range names {
		if strings.HasSuffix(name, ".d.ts") {
			continue
		}
		ts, err := fs.ReadFile(src, name)
		if err != nil {
			return err
		}
		js, err := bundle(name, ts)
		if err != nil {
			return err
		}
		a.add(strings.TrimSuffix(name, path.Ext(name))+".js", js)
	}
	return nil
}
