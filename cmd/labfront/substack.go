package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/labfront/labfront/internal/substack"
)

// cmdImport is `labfront import substack FILE`, or an import of a whole
// blog from another generator (blogimport.go).
func cmdImport(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && blogImporters[args[0]] != nil {
		return cmdImportBlog(ctx, e, args[0], args[1:])
	}
	flags := flag.NewFlagSet("import", flag.ContinueOnError)
	src := flags.String("src", ".", "the site's source directory (holds content/)")
	drafts := flags.Bool("drafts", false, "import unpublished drafts too")
	paid := flags.Bool("paid", false, "import paid-only posts too (the export holds them up to the paywall)")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || pos[0] != "substack" {
		return usageError{msg: "usage: labfront import substack FILE [--src DIR] [--drafts] [--paid] (FILE: export .zip, feed .xml, or pipeline .md/.txt)\n   or: " + blogImportUsage[len("usage: "):]}
	}
	results, err := substack.ImportFile(ctx, *src, pos[1], substack.ImportOptions{Drafts: *drafts, Paid: *paid, Now: e.now()})
	for _, r := range results {
		fmt.Fprintln(e.stdout, r.Line())
	}
	if err != nil {
		return err
	}
	if len(results) == 0 {
		fmt.Fprintf(e.stdout, "no articles in %s\n", pos[1])
	}
	return nil
}

// cmdPromote is `labfront promote FILE`: an inbox article becomes a note.
func cmdPromote(ctx context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("promote", flag.ContinueOnError)
	src := flags.String("src", ".", "the site's source directory (holds content/)")
	as := flags.String("as", "", "promote as note or paper, overriding the inbox decision")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{msg: "usage: labfront promote [--src DIR] [--as note|paper] FILE (an inbox file in content/substack/)"}
	}
	if *as != "" && *as != substack.AsNote && *as != substack.AsPaper {
		return usageError{msg: fmt.Sprintf("promote: --as %q: use note or paper", *as)}
	}
	// Promote is one article and two atomic writes, over in milliseconds;
	// a signal that came before it starts stops it.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("promote: stopped before %s (%w); nothing was written", pos[0], context.Cause(ctx))
	}
	p, err := substack.Promote(*src, pos[0], substack.PromoteOptions{As: *as})
	if err != nil {
		return err
	}
	verb := "updated"
	switch {
	case p.Created:
		verb = "promoted"
	case !p.Changed:
		verb = "unchanged"
	}
	var names []string
	for _, a := range p.Linked {
		names = append(names, a.Name)
	}
	fmt.Fprintf(e.stdout, "%s %s -> %s as %s; linked %s\n", verb, p.Inbox, p.Note, p.Decision, orNone(strings.Join(names, ", ")))
	if len(p.Unlinked) > 0 {
		names = names[:0]
		for _, a := range p.Unlinked {
			names = append(names, a.Name)
		}
		fmt.Fprintf(e.stdout, "  no linkable mention of %s (only in headings, links or code)\n", strings.Join(names, ", "))
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "no anchors"
	}
	return s
}
