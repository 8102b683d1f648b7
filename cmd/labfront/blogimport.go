package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/labfront/labfront/internal/blogimport"
)

// blogImporters are the generators `labfront import` moves a blog from.
var blogImporters = map[string]func(context.Context, string, blogimport.Options) (*blogimport.Report, error){
	"hugo":   blogimport.Hugo,
	"jekyll": blogimport.Jekyll,
	"astro":  blogimport.Astro,
}

const blogImportUsage = "usage: labfront import hugo|jekyll|astro DIR [--src DEST] [--dry-run] [--base-url URL]"

// cmdImportBlog is `labfront import hugo|jekyll|astro DIR`: the blog in
// DIR becomes page bundles in DEST's content/, with a report of what was
// converted and what to look at.
func cmdImportBlog(ctx context.Context, e *env, gen string, args []string) error {
	flags := flag.NewFlagSet("import "+gen, flag.ContinueOnError)
	src := flags.String("src", ".", "the labfront site to import into (holds content/)")
	dryRun := flags.Bool("dry-run", false, "print the report and write nothing")
	baseURL := flags.String("base-url", "", "the old site's address, when its configuration does not state it")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{msg: blogImportUsage}
	}
	rep, err := blogImporters[gen](ctx, pos[0], blogimport.Options{Dest: *src, BaseURL: *baseURL, DryRun: *dryRun})
	if rep != nil && (err == nil || len(rep.Posts) > 0) {
		if perr := rep.Print(e.stdout); perr != nil {
			return perr
		}
	}
	if err != nil {
		return err
	}
	if len(rep.Posts) == 0 {
		fmt.Fprintf(e.stdout, "no posts found in %s\n", pos[0])
	}
	return nil
}
