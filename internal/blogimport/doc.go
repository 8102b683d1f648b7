// Package blogimport moves a blog written for another static-site
// generator (Hugo, Jekyll, Astro) into a labfront site: each source file
// of the generator reads its own configuration, posts and body syntax
// (hugo.go, jekyll.go, astro.go), and the shared core maps front matter,
// collects images into page bundles, rewrites links to the new URLs,
// records the old URLs as aliases (301s in _redirects), and writes the
// result atomically with a manifest so that a second run changes nothing
// and a post edited since the last import is never overwritten.
//
// Nothing is dropped: keys labfront has no meaning for go under extra:,
// syntax that cannot be converted stays visible in the text and is
// listed in the report with path:line.
package blogimport
