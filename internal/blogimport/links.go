package blogimport

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
)

// resolver finds posts by the names the old site knew them by.
type resolver struct {
	s          *source
	byOld      map[string]*post // old URL path, normalized (normOld)
	byRef      map[string]*post // generator reference keys
	pageAt     map[string]*post // new URL without its trailing slash
	aliasOwner map[string]*post
}

func newResolver(s *source) *resolver {
	r := &resolver{s: s, byOld: map[string]*post{}, byRef: map[string]*post{}, pageAt: map[string]*post{}, aliasOwner: map[string]*post{}}
	for _, p := range s.posts {
		r.pageAt[strings.TrimSuffix(p.newURL(), "/")] = p
		for _, u := range append(append([]string{}, p.oldURLs...), p.meta.Aliases...) {
			if a := aliasPath(u, s); a != "" {
				if _, ok := r.byOld[normOld(a)]; !ok {
					r.byOld[normOld(a)] = p
				}
			}
		}
		for _, k := range p.refKeys {
			if _, ok := r.byRef[k]; !ok {
				r.byRef[k] = p
			}
		}
	}
	return r
}

// normOld makes /a/b/, /a/b, /a/b/index.html and /a/b.html one key.
func normOld(p string) string {
	if dec, err := url.PathUnescape(p); err == nil {
		p = dec
	}
	p = strings.TrimSuffix(p, "index.html")
	p = strings.TrimSuffix(p, ".html")
	p = strings.TrimSuffix(p, "/")
	return p
}

// old finds the post at an old URL path.
func (r *resolver) old(p string) *post { return r.byOld[normOld(p)] }

var (
	// An inline link or image: [text](dest "title"). The text may hold
	// one level of brackets, for an image inside a link.
	inlineLink = regexp.MustCompile(`(!?)\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(\s*(<[^<>\n]*>|(?:[^\s()]|\([^\s()]*\))*)((?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?)\s*\)`)
	refDef     = regexp.MustCompile(`^( {0,3}\[[^\]\n]+\]:[ \t]*)(<[^<>\n]*>|\S+)(.*)$`)
	imgTag     = regexp.MustCompile(`(?i)<img\s[^<>]*?/?>`)
	iframeTag  = regexp.MustCompile(`(?i)<iframe\s[^<>]*>\s*(?:</iframe\s*>)?`)
	htmlAttr   = regexp.MustCompile(`([A-Za-z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))`)
	htmlTag    = regexp.MustCompile(`</?([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?/?>`)
	moreTag    = regexp.MustCompile(`<!--\s*more\s*-->`)
	fenceOpen  = regexp.MustCompile("^ {0,3}(```+|~~~+)")
	bareHost   = regexp.MustCompile(`^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|dev|app|co|me|info|edu|gov|uk|de|fr|ly|sh|so|xyz|tv|ai)(?:/.*)?$`)
)

// rewriteBody goes through the Markdown of p once every generator
// conversion is done: images and file links are carried into the bundle,
// links to other imported posts point at their new URLs, and raw HTML,
// which labfront never renders, is converted (<img>) or reported.
func rewriteBody(s *source, r *resolver, p *post, body string) string {
	lines := strings.Split(body, "\n")
	fence := ""
	var html rawHTML
	defer html.report(s, p)
	for i, line := range lines {
		at := p.lineAt(i)
		if fence != "" {
			if strings.HasPrefix(strings.TrimLeft(line, " "), fence) && strings.Trim(strings.TrimSpace(line), fence[:1]) == "" {
				fence = ""
			}
			continue
		}
		if m := fenceOpen.FindStringSubmatch(line); m != nil {
			fence = m[1]
			continue
		}
		if moreTag.MatchString(line) {
			line = strings.TrimSpace(moreTag.ReplaceAllString(line, ""))
			s.rep.converted("<!--more-->")
		}
		line = imgTag.ReplaceAllStringFunc(line, func(tag string) string {
			attrs := map[string]string{}
			for _, a := range htmlAttr.FindAllStringSubmatch(tag, -1) {
				attrs[strings.ToLower(a[1])] = a[2] + a[3] + a[4]
			}
			if attrs["src"] == "" {
				return tag
			}
			s.rep.converted("<img>")
			t := ""
			if attrs["title"] != "" {
				t = fmt.Sprintf(" %q", attrs["title"])
			}
			return fmt.Sprintf("![%s](%s%s)", mdText(attrs["alt"]), attrs["src"], t)
		})
		line = iframeTag.ReplaceAllStringFunc(line, func(tag string) string {
			src := ""
			for _, a := range htmlAttr.FindAllStringSubmatch(tag, -1) {
				if strings.EqualFold(a[1], "src") {
					src = a[2] + a[3] + a[4]
				}
			}
			if !strings.HasPrefix(src, "https://") && !strings.HasPrefix(src, "http://") {
				return tag
			}
			// An embed (a video, a map) that labfront will not run: a
			// link to it keeps it one click away.
			s.rep.converted("<iframe>")
			s.rep.look(s.display(p.src), at, "an <iframe> (an embed) is not shown by labfront: it is a link to %s now", src)
			return fmt.Sprintf("[%s](%s)", mdText(src), src)
		})
		masked := maskCode(line)
		for _, m := range htmlTag.FindAllStringSubmatch(masked, -1) {
			html.add(at, strings.ToLower(m[1]))
		}
		if m := refDef.FindStringSubmatchIndex(masked); m != nil {
			dest := line[m[4]:m[5]]
			line = line[:m[4]] + resolveDest(s, r, p, dest, false, at) + line[m[5]:]
		} else {
			line = rewriteLinks(s, r, p, line, masked, at)
		}
		lines[i] = line
	}
	return strings.Join(lines, "\n")
}

// rawHTML gathers a post's raw HTML tags into one line of the report:
// a page of HTML would otherwise fill it.
type rawHTML struct {
	first, last, count int
	tags               []string
}

func (h *rawHTML) add(line int, tag string) {
	if h.count == 0 {
		h.first = line
	}
	h.last = line
	h.count++
	if !slices.Contains(h.tags, "<"+tag+">") && len(h.tags) < 6 {
		h.tags = append(h.tags, "<"+tag+">")
	}
}

func (h *rawHTML) report(s *source, p *post) {
	if h.count == 0 {
		return
	}
	where := fmt.Sprintf("line %d", h.first)
	if h.last != h.first {
		where = fmt.Sprintf("lines %d-%d", h.first, h.last)
	}
	s.rep.look(s.display(p.src), h.first, "raw HTML (%d %s: %s, %s) is not rendered by labfront, so it is left out of the page: write it as Markdown",
		h.count, plural(h.count, "tag", "tags"), strings.Join(h.tags, " "), where)
}

func rewriteLinks(s *source, r *resolver, p *post, line, masked string, at int) string {
	idx := inlineLink.FindAllStringSubmatchIndex(masked, -1)
	if idx == nil {
		return line
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		b.WriteString(line[last:m[0]])
		image := m[3] > m[2]
		text := line[m[4]:m[5]]
		dest := line[m[6]:m[7]]
		title := line[m[8]:m[9]]
		if !image {
			// An image inside a link: [![alt](img.png)](page/).
			text = rewriteLinks(s, r, p, text, maskCode(text), at)
		}
		nd := resolveDest(s, r, p, dest, image, at)
		if image && strings.TrimSpace(text) == "" {
			text = altFromFile(nd)
			s.rep.look(s.display(p.src), at, "image %s has no alt text: labfront requires one, so it is %q for now: describe the picture", dest, text)
		}
		if image {
			b.WriteString("!")
		}
		fmt.Fprintf(&b, "[%s](%s%s)", text, nd, title)
		last = m[1]
	}
	b.WriteString(line[last:])
	return b.String()
}

// maskCode hides inline code spans (same length, so indexes still fit
// line) so that nothing inside backticks is taken for a link or HTML.
func maskCode(line string) string {
	if !strings.Contains(line, "`") {
		return line
	}
	b := []byte(line)
	for i := 0; i < len(b); {
		if b[i] != '`' {
			i++
			continue
		}
		n := 0
		for i+n < len(b) && b[i+n] == '`' {
			n++
		}
		closeAt := strings.Index(line[i+n:], strings.Repeat("`", n))
		if closeAt < 0 {
			i += n
			continue
		}
		for j := i + n; j < i+n+closeAt; j++ {
			b[j] = 0
		}
		i += 2*n + closeAt
	}
	return string(b)
}

// resolveDest is where a link or image of p points in the new site.
func resolveDest(s *source, r *resolver, p *post, dest string, image bool, at int) string {
	raw := dest
	dest = strings.TrimSuffix(strings.TrimPrefix(dest, "<"), ">")
	if dest == "" || strings.HasPrefix(dest, "#") {
		return raw
	}
	u, err := url.Parse(dest)
	if err != nil {
		return raw
	}
	absolute := u.Scheme != "" || u.Host != ""
	if absolute {
		if !s.oldHost(u) {
			return raw
		}
		// A link to the old site's own address is a link inside it.
		u = &url.URL{Path: path.Clean("/" + u.Path), RawQuery: u.RawQuery, Fragment: u.Fragment}
		if strings.HasSuffix(dest, "/") || strings.Contains(dest, "/#") {
			u.Path += "/"
		}
	}
	if u.Path == "" {
		return raw
	}
	frag := ""
	if u.Fragment != "" {
		frag = "#" + u.Fragment
	}
	target := u.Path
	if !image && !absolute && bareHost.MatchString(target) {
		// "jamstack.org" or "youtube.com/watch?v=…": a web address
		// without its scheme, broken on the old site too.
		s.rep.look(s.display(p.src), at, "%s looks like a web address without https://: it is https://%s now", dest, dest)
		return "https://" + dest
	}
	if ext := strings.ToLower(path.Ext(target)); ext != "" && ext != ".html" && ext != ".htm" && !isContentFile(target) {
		if name, ok := findFile(s, r, p, target); ok {
			return escapeDest(name)
		}
		s.rep.look(s.display(p.src), at, "%s names no file of the source (looked beside the post and in %s): left as it was", dest, strings.Join(s.staticRoots, ", "))
		return raw
	}
	if q := r.pageAt[strings.TrimSuffix(target, "/")]; q != nil && strings.HasPrefix(target, "/") {
		return raw // already a new URL (a converted ref)
	}
	if q := r.pageFor(p, target); q != nil {
		s.rep.converted("internal link")
		return r.linkTo(p, q, frag, at)
	}
	abs := target
	if !strings.HasPrefix(abs, "/") {
		if len(p.oldURLs) == 0 {
			return raw
		}
		abs = path.Join(p.oldURLs[0], target)
	}
	if rest, ok := strings.CutPrefix(strings.TrimPrefix(abs, s.basePath()), "/categories/"); ok {
		return "/tags/" + rest + frag
	}
	if strings.HasPrefix(strings.TrimPrefix(abs, s.basePath()), "/tags/") {
		return strings.TrimPrefix(abs, s.basePath()) + frag
	}
	if image {
		s.rep.look(s.display(p.src), at, "image %s names no file of the source: left as it was", dest)
		return raw
	}
	if absolute {
		return raw // a page of the old site, and it stays one
	}
	if s.baseURL != "" {
		old := strings.TrimSuffix(s.baseURL, "/") + strings.TrimPrefix(abs, s.basePath())
		s.rep.look(s.display(p.src), at, "links to %s, a page this import did not bring: it now points at the old site, %s", dest, old)
		return old + frag
	}
	s.rep.look(s.display(p.src), at, "links to %s, a page this import did not bring: check will report it", dest)
	return raw
}

// linkTo is the URL a link of p to the imported post q gets: q's new
// URL, unless q is a draft and p is not. A draft is built with --drafts
// only, so check would call that link broken; it goes to the old site's
// copy until q is published.
func (r *resolver) linkTo(p, q *post, frag string, at int) string {
	if !q.meta.Draft || p.meta.Draft {
		return q.newURL() + frag
	}
	s := r.s
	if s.baseURL != "" && len(q.oldURLs) > 0 {
		old := strings.TrimSuffix(s.baseURL, "/") + strings.TrimPrefix(q.oldURLs[0], s.basePath())
		s.rep.look(s.display(p.src), at, "links to %s, a draft: the link goes to the old site, %s, until it is published (then link %s)", s.display(q.src), old, q.newURL())
		return old + frag
	}
	s.rep.look(s.display(p.src), at, "links to %s, a draft: check reports the link until it is published", s.display(q.src))
	return q.newURL() + frag
}

// pageFor finds the imported post a page link of p names, relative or
// absolute, by its old URL or its source path.
func (r *resolver) pageFor(p *post, target string) *post {
	if strings.HasPrefix(target, "/") {
		return r.old(target)
	}
	for _, base := range p.oldURLs {
		if q := r.old(path.Join(base, target)); q != nil {
			return q
		}
	}
	// A relative link to another source file: ../other.md, other/index.md.
	if q := r.byRef[path.Clean(path.Join(p.dir, target))]; q != nil {
		return q
	}
	return nil
}

// findFile finds the file dest names and carries it into p's bundle,
// returning its bundle-relative name.
func findFile(s *source, r *resolver, p *post, dest string) (string, bool) {
	dest, _ = url.PathUnescape(dest)
	src, name := s.aliased(dest)
	if src != "" {
		// Named through an import alias (@assets/…).
	} else if !strings.HasPrefix(dest, "/") {
		if c := path.Join(p.dir, dest); s.exists(c) {
			src, name = c, path.Clean(dest)
			if strings.HasPrefix(name, "../") {
				name = path.Base(name)
			}
		}
		for _, base := range p.oldURLs {
			if src != "" {
				break
			}
			if c, ok := findAbsolute(s, r, path.Join(base, dest)); ok {
				src, name = c, path.Base(dest)
			}
		}
	} else if c, ok := findAbsolute(s, r, dest); ok {
		src, name = c, strings.TrimPrefix(path.Clean(strings.TrimPrefix(dest, s.basePath())), "/")
	}
	if src == "" {
		return "", false
	}
	if hb := s.headlessAt(src); hb != nil {
		// Shared by the pages that use it: one copy, under /media/.
		s.rep.converted("headless bundle file")
		return hb.url(strings.TrimPrefix(src, hb.dir+"/")), true
	}
	return p.addFile(src, name), true
}

// aliased is the source file an aliased name (@assets/a.png) is, and
// its name under the alias's folder; "" when dest uses no alias.
func (s *source) aliased(dest string) (src, name string) {
	for _, a := range s.pathAliases {
		if rest, ok := strings.CutPrefix(dest, a.prefix); ok {
			if c := path.Join(a.dir, rest); s.exists(c) {
				return c, path.Clean(rest)
			}
			return "", ""
		}
	}
	return "", ""
}

// findAbsolute looks a site path up in the static folders, then among
// the bundle files of the post at its folder.
func findAbsolute(s *source, r *resolver, p string) (string, bool) {
	p = strings.TrimPrefix(p, s.basePath())
	for _, root := range s.staticRoots {
		if c := path.Join(root, strings.TrimPrefix(p, "/")); s.exists(c) {
			return c, true
		}
	}
	// A headless bundle has no URL of its own; a post names its files by
	// the bundle's path under content/, as Hugo's GetPage does.
	for _, hb := range s.headless {
		if rest, ok := strings.CutPrefix(p, "/"+hb.rel+"/"); ok {
			if c := path.Join(hb.dir, rest); s.exists(c) {
				return c, true
			}
		}
	}
	if q := r.old(path.Dir(p)); q != nil && q.bundle {
		if c := path.Join(q.dir, path.Base(p)); s.exists(c) {
			return c, true
		}
	}
	return "", false
}

// addFile puts src into the bundle under name, or under a numbered name
// when another file took it.
func (p *post) addFile(src, name string) string {
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	for n := 2; ; n++ {
		have, ok := p.files[name]
		if !ok || have == src {
			p.files[name] = src
			if p.used == nil {
				p.used = map[string]bool{}
			}
			p.used[name] = true
			return name
		}
		ext := path.Ext(name)
		name = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(name, ext), n, ext)
	}
}

func (s *source) oldHost(u *url.URL) bool {
	if s.baseURL == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "") {
		return false
	}
	b, err := url.Parse(s.baseURL)
	return err == nil && b.Host != "" && strings.EqualFold(b.Host, u.Host)
}

// cover resolves the cover the front matter named to a bundle file; one
// that is not a file of the source stays under extra:.
func cover(s *source, r *resolver, p *post) {
	c := p.meta.Cover
	if c == "" {
		return
	}
	u, err := url.Parse(c)
	if err == nil && u.Scheme == "" && u.Host == "" {
		if name, ok := findFile(s, r, p, u.Path); ok {
			p.meta.Cover = name
			if p.meta.CoverAlt == "" {
				// check requires a description; the file's name stands in
				// until someone writes one.
				p.meta.CoverAlt = altFromFile(name)
				s.rep.look(s.display(p.src), p.meta.Lines["cover"], "cover %s has no alt text: cover_alt is %q for now: describe the picture", c, p.meta.CoverAlt)
			}
			s.rep.converted("cover")
			return
		}
	}
	s.rep.look(s.display(p.src), p.meta.Lines["cover"], "cover %s is not a file of the source: kept under extra: as cover", c)
	p.meta.Extra = append(p.meta.Extra, field{Key: "cover", Value: c})
	p.meta.Cover, p.meta.CoverAlt = "", ""
}

func isImage(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".avif", ".heic", ".tif", ".tiff", ".bmp":
		return true
	}
	return false
}

// altFromFile is a stand-in alt text from a file's name, "rack tour" for
// img/rack-tour.jpg; the report asks for a real one.
func altFromFile(name string) string {
	base := strings.TrimSuffix(path.Base(name), path.Ext(name))
	base = strings.NewReplacer("-", " ", "_", " ").Replace(base)
	if strings.TrimSpace(base) == "" {
		return "image"
	}
	return base
}

// escapeDest writes a bundle name as a Markdown link destination.
func escapeDest(name string) string {
	if strings.ContainsAny(name, " ()<>") {
		return (&url.URL{Path: name}).EscapedPath()
	}
	return name
}

// mdText escapes text for the inside of [...].
func mdText(s string) string {
	return strings.NewReplacer("[", `\[`, "]", `\]`, "\n", " ").Replace(s)
}
