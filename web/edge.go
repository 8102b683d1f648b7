package web

import (
	"context"
	_ "embed"
	"fmt"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// The edge worker, in TypeScript: one file with no imports and no npm
// dependencies, bundled in-process into dist/_worker.js, which Cloudflare
// Pages runs in front of the static files (advanced mode).
//
//go:embed edge/worker.ts
var workerSource string

// workerBanner heads the bundle, so whoever opens dist/_worker.js knows
// where to edit instead.
const workerBanner = "// labfront edge worker, bundled by `labfront build` from web/edge/worker.ts: edit that file, not this one."

// bundleWorker compiles the worker to one ES module, the format Pages'
// advanced mode loads. Identifiers keep their names so an exception in the
// Workers log stays readable.
func bundleWorker() ([]byte, error) {
	res := api.Build(api.BuildOptions{
		Stdin: &api.StdinOptions{
			Contents:   workerSource,
			Sourcefile: "web/edge/worker.ts",
			Loader:     api.LoaderTS,
		},
		Bundle:           true,
		Write:            false,
		Format:           api.FormatESModule,
		Platform:         api.PlatformNeutral,
		Target:           api.ES2022,
		MinifyWhitespace: true,
		MinifySyntax:     true,
		LegalComments:    api.LegalCommentsNone,
		Charset:          api.CharsetUTF8,
		Banner:           map[string]string{"js": workerBanner},
	})
	if len(res.Errors) > 0 {
		msgs := make([]string, 0, len(res.Errors))
		for _, e := range res.Errors {
			loc := ""
			if e.Location != nil {
				loc = fmt.Sprintf("%s:%d:%d: ", e.Location.File, e.Location.Line, e.Location.Column)
			}
			msgs = append(msgs, loc+e.Text)
		}
		return nil, fmt.Errorf("bundle the edge worker: %s", strings.Join(msgs, "; "))
	}
	if len(res.OutputFiles) != 1 {
		return nil, fmt.Errorf("bundle the edge worker: esbuild produced %d files", len(res.OutputFiles))
	}
	return res.OutputFiles[0].Contents, nil
}

// addWorker plans dist/_worker.js. Every site gets it: it is what answers
// /api/* at the edge, live or from a snapshot.
func (p *plan) addWorker() {
	p.outputs = append(p.outputs, output{path: "_worker.js", render: func(context.Context) ([]byte, error) { return bundleWorker() }})
}
