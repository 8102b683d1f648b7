// Command labfront builds the static site, runs the dev server and manages
// the operator's content. See README.md for the commands.
package main

import (
	"context"
	"os"
)

func main() {
	ctx, stop := signalContext(context.Background())
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
