package web

import (
	"context"
	"crypto/sha256"
	"fmt"
	stdhtml "html"
	"maps"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/svgsafe"
)

// resource is a file of the site that is published rather than rendered:
// a page bundle's files and content/media/.
type resource struct {
	src string // its name in the site, e.g. content/posts/2026-05-01-rack-tour/img/rack.png
	out string // where it goes, relative to the output root: blog/rack-tour/img/rack.png
}

// resourceOutputs maps one resource to the outputs it produces. Most
// files are copied byte for byte; an SVG is rebuilt by svgsafe, because a
// visitor who opens it runs it as a page on the site's origin, and one it
// refuses is a problem with its path and line. A raster image becomes its
// variants (see pictures.go), processed before by preparePictures, and
// nothing at its own path. This is the one place where a per-file
// transform plugs in: the source
// becomes one or more outputs, each with a key that fingerprints what it
// is made from, so an incremental build redoes only the resources that
// changed.
func (p *plan) resourceOutputs(r resource) ([]output, error) {
	// The key is the file's bytes: an unchanged file is neither rendered
	// nor written again, and labfront's own version (in the index) covers
	// how the bytes are turned into the output.
	key := func() ([32]byte, error) {
		data, err := p.files.ReadFile(r.src)
		if err != nil {
			return [32]byte{}, err
		}
		return sha256.Sum256(data), nil
	}
	if ref := p.picBySrc[r.src]; ref != nil {
		return p.pictureOutputs(ref), nil
	}
	if strings.EqualFold(path.Ext(r.src), ".svg") {
		// Checked while planning, so `check` reports a refused SVG too.
		data, err := p.files.ReadFile(r.src)
		if err != nil {
			return nil, err
		}
		res, err := svgsafe.Sanitize(p.files.Display(r.src), data)
		if err != nil {
			return nil, err
		}
		// Its size is read from the source, so a problem names the
		// author's line; it matters only where a page shows the SVG as
		// an image (see checkLinks).
		size, err := svgsafe.Dimensions(p.files.Display(r.src), data)
		p.svgs["/"+r.out] = svgSize{size: size, err: err}
		return []output{{path: r.out, key: key, render: func(context.Context) ([]byte, error) { return res.SVG, nil }}}, nil
	}
	return []output{{
		path:   r.out,
		key:    key,
		render: func(context.Context) ([]byte, error) { return p.files.ReadFile(r.src) },
	}}, nil
}

// addResources publishes the files of every page bundle under its page's
// URL and content/media/ at /media/. It runs after every other output is
// planned: a resource that would replace one (a bundle's own index.html)
// is refused, naming the file. Drafts left out of the site take their
// files with them.
func (p *plan) addResources() error {
	taken := make(map[string]bool, len(p.outputs))
	for _, o := range p.outputs {
		taken[o.path] = true
	}
	var probs diag.List
	var all, rasters []resource
	p.svgs = map[string]svgSize{}
	for _, pages := range [][]*content.Page{p.site.Posts, p.site.Notes} {
		for _, pg := range pages {
			if pg.Bundle == nil {
				continue
			}
			for _, f := range pg.Bundle.Files {
				all = append(all, resource{src: pg.Bundle.Dir + "/" + f, out: pg.URL()[1:] + f})
			}
		}
	}
	for _, f := range p.site.Media {
		all = append(all, resource{src: content.MediaDir + "/" + f, out: "media/" + f})
	}
	for _, r := range all {
		if isRaster(r.src) {
			rasters = append(rasters, r)
		}
	}
	// Images are processed first, together, on several cores; a refused
	// one is reported with the other problems.
	if err := p.preparePictures(rasters); err != nil {
		l, _ := diag.As(err)
		probs = append(probs, l...)
	}
	add := func(r resource) {
		outs, err := p.resourceOutputs(r)
		if err != nil {
			probs = append(probs, problemsOf(err, p.files.Display(r.src))...)
			p.unknown = append(p.unknown, "/"+r.out) // links to it are not broken on top
			return
		}
		for _, o := range outs {
			if taken[o.path] {
				probs.Add(p.files.Display(r.src), 0, "", "would be published at /%s, which the site already has (a page or another file); rename the file", o.path)
				continue
			}
			taken[o.path] = true
			p.outputs = append(p.outputs, o)
		}
	}
	for _, r := range all {
		if isRaster(r.src) && p.picBySrc[r.src] == nil {
			p.unknown = append(p.unknown, "/"+r.out)
			continue // refused, and reported
		}
		add(r)
	}
	return probs.Err()
}

// urlAttr finds the link and image URLs of rendered Markdown. Raw HTML
// never passes the converter, so every href and src is its own, quoted
// with double quotes and HTML-escaped, and text never holds a bare quote.
var urlAttr = regexp.MustCompile(`\b(href|src)="([^"]*)"`)

// body is a page's HTML as the site serves it: images of processed
// pictures become their responsive markup, and links to static files and
// to pictures point at their fingerprinted URLs (see checkLinks).
func (p *plan) body(pg *content.Page) ([]byte, error) { return p.bodyFor(pg, false) }

// feedBody is a page's HTML for the feeds: a picture is a plain <img>
// of one variant with its size (see pictureMarkup).
func (p *plan) feedBody(pg *content.Page) ([]byte, error) { return p.bodyFor(pg, true) }

func (p *plan) bodyFor(pg *content.Page, feed bool) ([]byte, error) {
	body, err := p.site.Body(pg)
	if err != nil {
		return nil, err
	}
	body = pictureMarkup(body, pg.URL(), p.picsOf[pg], p.svgsOf[pg], feed, pg.Cover != "")
	return rewriteStatic(body, pg.URL(), p.statics[pg]), nil
}

// rewriteStatic replaces every URL of html whose target is a key of to
// with the value, keeping its query and fragment.
func rewriteStatic(html []byte, pageURL string, to map[string]string) []byte {
	if len(to) == 0 {
		return html
	}
	return urlAttr.ReplaceAllFunc(html, func(m []byte) []byte {
		sub := urlAttr.FindSubmatch(m)
		val := string(sub[2])
		target, ok := internalTarget(pageURL, stdhtml.UnescapeString(val))
		if !ok {
			return m
		}
		asset, ok := to[target]
		if !ok {
			return m
		}
		suffix := ""
		if i := strings.IndexAny(val, "?#"); i >= 0 {
			suffix = val[i:]
		}
		return fmt.Appendf(nil, `%s="%s%s"`, sub[1], asset, suffix)
	})
}

// staticsKey fingerprints a page's static rewrites for its cache key: a
// changed static file changes the URL its page links to.
func staticsKey(to map[string]string) [32]byte {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(to)) {
		fmt.Fprintf(h, "%s\x00%s\x00", k, to[k])
	}
	return [32]byte(h.Sum(nil))
}

// absolutize turns every relative link of rendered Markdown into an
// absolute URL: feed readers show content away from the site, where
// neither /media/x.png nor a bundle's img/rack.png would resolve.
// Root-relative URLs are joined to base, so a base_url with a path keeps
// it; page-relative ones and fragments resolve against the page.
func absolutize(html []byte, base, pageURL string) []byte {
	page, err := url.Parse(base + pageURL)
	if err != nil {
		// base_url passed siteurl.Check when it was read.
		return html
	}
	return urlAttr.ReplaceAllFunc(html, func(m []byte) []byte {
		sub := urlAttr.FindSubmatch(m)
		raw := stdhtml.UnescapeString(string(sub[2]))
		var abs string
		switch {
		case raw == "" || strings.HasPrefix(raw, "//"):
			return m
		case strings.HasPrefix(raw, "/"):
			abs = base + raw
		default:
			ref, err := url.Parse(raw)
			if err != nil || ref.IsAbs() {
				return m
			}
			abs = page.ResolveReference(ref).String()
		}
		return fmt.Appendf(nil, `%s="%s"`, sub[1], stdhtml.EscapeString(abs))
	})
}

// problemsOf is err as problems: its own when it carries them (svgsafe's
// path:line refusals, sitefs's refused paths), else one naming display.
func problemsOf(err error, display string) diag.List {
	if l, ok := diag.As(err); ok {
		return l
	}
	return diag.List{{Path: display, Msg: err.Error()}}
}
