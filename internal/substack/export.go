package substack

import (
	"archive/zip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/importlimit"
)

var exportColumns = []string{"post_id", "post_date", "is_published", "type", "audience", "title"}

var postID = regexp.MustCompile(`^([0-9]+)\.([a-z0-9][a-z0-9-]*)$`)

// ReadExport reads a Substack export's posts.csv and returns its articles
// without their bodies: Import reads each posts/<post_id>.html when it
// gets to that article (see Article.load), so one body at a time is in
// memory, and every entry is read through the limits of opts.Limits, never
// trusting the sizes the archive states. Drafts and paid-only posts are
// returned with Published false or Audience only_paid; the caller decides
// what to skip. Close the batch when done.
func ReadExport(file string, opts Options) (*Batch, error) {
	lim := opts.Limits.OrDefault()
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable zip archive: %w", file, err)
	}
	articles, err := readExport(zr, file, opts, lim)
	if err != nil {
		return nil, errors.Join(err, zr.Close())
	}
	return &Batch{Articles: articles, close: zr.Close}, nil
}

func readExport(zr *zip.ReadCloser, file string, opts Options, lim importlimit.Limits) ([]*Article, error) {
	if len(zr.File) > lim.ArchiveEntries {
		return nil, fmt.Errorf("%s: %d entries is more than an export holds (limit %d)", file, len(zr.File), lim.ArchiveEntries)
	}
	byName := map[string]*zip.File{}
	for _, f := range zr.File {
		byName[path.Clean(strings.TrimPrefix(f.Name, "/"))] = f
	}
	csvFile := byName["posts.csv"]
	if csvFile == nil {
		// Some exports sit in one top-level folder.
		for name, f := range byName {
			if path.Base(name) == "posts.csv" && strings.Count(name, "/") == 1 {
				csvFile = f
			}
		}
	}
	if csvFile == nil {
		return nil, fmt.Errorf("%s: no posts.csv: this does not look like a Substack export", file)
	}
	prefix := path.Dir(path.Clean(csvFile.Name))
	if prefix == "." {
		prefix = ""
	} else {
		prefix += "/"
	}
	display := file + ": " + csvFile.Name
	rc, err := csvFile.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: open: %w", display, err)
	}
	defer rc.Close()
	// One budget for the whole archive: the index and every body count
	// against it, however often rows name the same entry.
	budget := lim.NewBudget()
	r := csv.NewReader(budget.Reader(rc, lim.IndexBytes))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		if tl := (*importlimit.TooLarge)(nil); errors.As(err, &tl) {
			return nil, fmt.Errorf("%s: %w", display, err)
		}
		return nil, diag.List{{Path: display, Line: 1, Msg: fmt.Sprintf("cannot read the header: %v", err)}}
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	var probs diag.List
	for _, c := range exportColumns {
		if _, ok := col[c]; !ok {
			probs.Add(display, 1, c, "missing column (a Substack posts.csv has %s)", strings.Join(exportColumns, ", "))
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	var out []*Article
	seen := map[string]int{} // post_id -> line
	for rows := 0; ; rows++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			if tl := (*importlimit.TooLarge)(nil); errors.As(err, &tl) {
				return nil, fmt.Errorf("%s: %w", display, err)
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				probs.Add(display, pe.Line, "", "%v", pe.Err)
				break
			}
			return nil, fmt.Errorf("%s: %w", display, err)
		}
		if rows == lim.Rows {
			return nil, diag.List{{Path: display, Line: line, Msg: fmt.Sprintf("more than %d rows: an import takes at most %d articles; split the export", lim.Rows, lim.Rows)}}
		}
		get := func(c string) string {
			i, ok := col[c]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		switch get("is_published") {
		case "true", "false":
		default:
			probs.Add(display, line, "is_published", "expected true or false, found %q", get("is_published"))
		}
		id := get("post_id")
		m := postID.FindStringSubmatch(id)
		if m == nil {
			probs.Add(display, line, "post_id", "%q is not a Substack post id (digits, a dot, then the slug)", id)
			continue
		}
		if first, ok := seen[id]; ok {
			// A real export lists each post once; a repeated row
			// would only make the importer read the same body again.
			probs.Add(display, line, "post_id", "%q is listed again (first on line %d)", id, first)
			continue
		}
		seen[id] = line
		a := &Article{
			ID: m[1], Slug: m[2], Title: get("title"), Subtitle: get("subtitle"),
			Type: get("type"), Audience: get("audience"), Published: get("is_published") == "true",
			PodcastURL: get("podcast_url"), URL: postURL(opts.Publication, m[2]),
		}
		if a.Type == "" {
			a.Type = TypeNewsletter
		}
		if a.Audience == "" {
			a.Audience = AudienceEveryone
		}
		if raw := get("post_date"); raw != "" {
			t, err := parseExportDate(raw)
			if err != nil {
				probs.Add(display, line, "post_date", "%v", err)
			}
			a.Date = t
		} else if a.Published {
			probs.Add(display, line, "post_date", "a published post needs a date")
		}
		if a.Title == "" {
			a.Title = a.Slug
		}
		name := prefix + "posts/" + id + ".html"
		a.Source = file + ": " + name
		hf := byName[name]
		if hf == nil {
			// Unpublished drafts without a body are common; a
			// published post without one is a broken export.
			if a.Published {
				probs.Add(display, line, "post_id", "no %s in the archive for this post", name)
			}
			out = append(out, a)
			continue
		}
		source, publication := a.Source, opts.Publication
		a.load = func() (string, error) {
			body, err := readEntry(hf, budget, lim.ArticleBytes)
			if err != nil {
				return "", fmt.Errorf("%s: %w", source, err)
			}
			md, err := ToMarkdown(string(body), publication)
			if err != nil {
				return "", fmt.Errorf("%s: %w", source, err)
			}
			return md, nil
		}
		out = append(out, a)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// readEntry reads one entry through the archive's budget and the per-entry
// limit. The header's UncompressedSize64 is only a hint that lets an
// honest oversized entry be refused before any byte is inflated; the
// limits hold whatever it says.
func readEntry(f *zip.File, budget *importlimit.Budget, max int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(max) {
		return nil, &importlimit.TooLarge{Limit: max}
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer rc.Close()
	data, err := budget.Read(rc, max)
	if err != nil {
		if tl := (*importlimit.TooLarge)(nil); errors.As(err, &tl) {
			return nil, err
		}
		return nil, fmt.Errorf("read: %w", err)
	}
	return data, nil
}

// parseExportDate accepts the forms Substack has used in posts.csv.
func parseExportDate(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z", "2006-01-02 15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (expected RFC 3339, e.g. 2026-02-19T05:05:00.000Z)", s)
}
