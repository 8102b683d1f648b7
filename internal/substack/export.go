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
)

// Limits on what an export may make us read: an export is a few MB; these
// stop a hostile archive (a zip bomb) from exhausting memory.
const (
	maxZipEntries = 100_000
	maxEntryBytes = 64 << 20
)

var exportColumns = []string{"post_id", "post_date", "is_published", "type", "audience", "title"}

var postID = regexp.MustCompile(`^([0-9]+)\.([a-z0-9][a-z0-9-]*)$`)

// ReadExport reads a Substack export: posts.csv and posts/<post_id>.html.
// Drafts and paid-only posts are returned with Published false or Audience
// only_paid; the caller decides what to skip.
func ReadExport(file string, opts Options) ([]*Article, error) {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable zip archive: %w", file, err)
	}
	defer zr.Close()
	if len(zr.File) > maxZipEntries {
		return nil, fmt.Errorf("%s: %d entries is more than an export holds (limit %d)", file, len(zr.File), maxZipEntries)
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
	data, err := readEntry(csvFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	display := file + ": " + csvFile.Name
	r := csv.NewReader(strings.NewReader(string(data)))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
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
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				probs.Add(display, pe.Line, "", "%v", pe.Err)
				break
			}
			return nil, fmt.Errorf("%s: %w", display, err)
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
		body, err := readEntry(hf)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		md, err := ToMarkdown(string(body), opts.Publication)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a.Source, err)
		}
		a.Body = md
		out = append(out, a)
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func readEntry(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > maxEntryBytes {
		return nil, fmt.Errorf("%s: %d bytes is too large for an export entry", f.Name, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", f.Name, err)
	}
	defer rc.Close()
	// The header's size can lie; the limit holds regardless.
	data, err := io.ReadAll(io.LimitReader(rc, maxEntryBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name, err)
	}
	if len(data) > maxEntryBytes {
		return nil, fmt.Errorf("%s: too large for an export entry", f.Name)
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
