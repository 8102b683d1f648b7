// Command corpus writes the deterministic benchmark corpus of
// internal/corpus.Write: content/site.yaml and n posts under
// content/posts, the same files bench/build.sh feeds to labfront and Hugo.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/labfront/labfront/internal/corpus"
)

func main() {
	n := flag.Int("n", 1000, "number of posts")
	out := flag.String("out", "", "directory to write the site source into (required)")
	flag.Parse()
	if *out == "" || *n < 0 || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: corpus -n N -out DIR")
		os.Exit(2)
	}
	if err := corpus.Write(*out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		os.Exit(1)
	}
}
