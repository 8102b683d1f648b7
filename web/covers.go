package web

import (
	"context"
	"crypto/sha256"
	"path"
	"slices"
	"strings"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/picture"
	"github.com/labfront/labfront/templates"
)

// A post or note may name a cover: in its front matter. The file is one
// of the page's bundle or of content/media, a raster image like any
// other (see pictures.go), so it is published only as its variants. It
// is the page's hero picture and its link-preview picture instead of a
// generated card.
//
// Where cover: looks:
//
//	cover: photo.jpg         the bundle's photo.jpg (img/photo.jpg: its img/ folder)
//	cover: /media/photo.jpg  content/media/photo.jpg
//	cover: media/photo.jpg   the bundle's media/photo.jpg when it has one,
//	                         else content/media/photo.jpg
//
// internal/content checked the path's shape and that cover_alt: is there.

// previewMinWidth is the width networks show a large preview at: a
// cover's og:image is its narrowest variant at least this wide.
const previewMinWidth = 1200

// resolveCovers finds every page's cover among the processed pictures.
// A missing file, a file that is not a PNG, JPEG, GIF or WebP picture, or
// a page without a bundle naming a bundle file is a problem on the
// cover: line. It runs after addResources, which processed the pictures;
// a picture that was refused is reported there, once.
func (p *plan) resolveCovers() error {
	p.covers = map[*content.Page]*picRef{}
	previews := map[*picRef]bool{}
	var probs diag.List
	for _, pages := range [][]*content.Page{p.site.Posts, p.site.Notes} {
		for _, pg := range pages {
			if pg.Cover == "" {
				continue
			}
			src, why := p.coverSource(pg)
			if src == "" {
				probs.Add(pg.Path, pg.CoverLine, "cover", "%s", why)
				continue
			}
			if ref := p.picBySrc[src]; ref != nil {
				if _, seen := previews[ref]; !seen && previewVariant(ref.res).Format == picture.WebP {
					previews[ref] = true
					p.outputs = append(p.outputs, p.previewOutput(ref))
				}
				p.covers[pg] = ref
				continue
			}
			if !isRaster(src) {
				probs.Add(pg.Path, pg.CoverLine, "cover", "%s is not a picture: use a PNG, JPEG, GIF or WebP file", p.files.Display(src))
			}
			// A raster file picture refused: its problem is reported.
		}
	}
	return probs.Err()
}

// coverSource is the site file pg's cover: names, or "" and why there is
// none.
func (p *plan) coverSource(pg *content.Page) (string, string) {
	c := pg.Cover
	media := func(rel string) (string, string) {
		if slices.Contains(p.site.Media, rel) {
			return content.MediaDir + "/" + rel, ""
		}
		return "", "no file " + p.files.Display(content.MediaDir+"/"+rel)
	}
	if rel, ok := strings.CutPrefix(c, "/media/"); ok {
		return media(rel)
	}
	if pg.Bundle != nil && slices.Contains(pg.Bundle.Files, c) {
		return path.Join(pg.Bundle.Dir, c), ""
	}
	if rel, ok := strings.CutPrefix(c, "media/"); ok {
		src, why := media(rel)
		if src == "" && pg.Bundle != nil {
			why = "no file " + c + " in the bundle " + p.files.Display(pg.Bundle.Dir) + ", and " + why
		}
		return src, why
	}
	if pg.Bundle == nil {
		return "", "no file " + c + ": this page is a single file, which has no files beside it; make it a bundle (a folder with index.md and " + c + ") or put the picture in content/media and write /media/" + c
	}
	return "", "no file " + c + " in the bundle " + p.files.Display(pg.Bundle.Dir)
}

// coverView is the hero markup of a cover.
func coverView(ref *picRef, alt string) *templates.Cover {
	r := ref.res
	c := &templates.Cover{Src: ref.url(r.Src()), Width: r.Width, Height: r.Height, Alt: alt, Full: ref.url(r.Full())}
	if len(r.Variants) > 1 {
		c.Srcset, c.Sizes = r.Srcset(ref.dir), picture.DefaultSizes
	}
	return c
}

// previewVariant is the variant a link preview shows: the narrowest at
// least previewMinWidth wide, else the largest there is.
func previewVariant(r *picture.Result) picture.Variant {
	for _, v := range r.Variants {
		if v.Width >= previewMinWidth {
			return v
		}
	}
	return r.Full()
}

// coverImage is a cover as the page's link-preview picture, with the
// real size of the variant it points at.
// A variant published as WebP is shown through its PNG copy
// (previewOutput): several networks' link previews show no WebP.
func (p *plan) coverImage(ref *picRef, alt string) *templates.SocialImage {
	v := previewVariant(ref.res)
	url, format := ref.url(v), v.Format
	if format == picture.WebP {
		url, format = ref.dir+picture.PreviewName(v), picture.PNG
	}
	return &templates.SocialImage{URL: p.site.Config.BaseURL + url, Type: "image/" + string(format), Width: v.Width, Height: v.Height, Alt: alt}
}

// previewOutput is the PNG copy of a cover's WebP preview variant. It is
// made from the source only when the output lacks it, so a warm build
// neither decodes the image nor writes the file; its key is the source's
// and the name's, like the variants' own.
func (p *plan) previewOutput(ref *picRef) output {
	v := previewVariant(ref.res)
	name := picture.PreviewName(v)
	k := sha256.Sum256([]byte(ref.key + "\x00" + name))
	return output{
		path: (ref.dir + name)[1:],
		key:  func() ([32]byte, error) { return k, nil },
		render: func(context.Context) ([]byte, error) {
			src, err := p.files.ReadFile(ref.src)
			if err != nil {
				return nil, err
			}
			pv, err := picture.Preview(p.files.Display(ref.src), src, picture.Options{}, v)
			if err != nil {
				return nil, err
			}
			p.processed.Add(1)
			return pv.Data, nil
		},
	}
}
