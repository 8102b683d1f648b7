package blogimport

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/labfront/labfront/internal/content"
)

// Jekyll imports the Jekyll site in dir into opt.Dest.
func Jekyll(ctx context.Context, dir string, opt Options) (*Report, error) {
	s, err := openSource("jekyll", dir, opt)
	if err != nil {
		return nil, err
	}
	defer s.fs.Close()
	var cfg config
	for _, n := range []string{"_config.yml", "_config.yaml"} {
		if s.exists(n) {
			if cfg, err = readConfig(s, n); err != nil {
				return s.rep, err
			}
			break
		}
	}
	if cfg == nil {
		return s.rep, fmt.Errorf("%s: no _config.yml: is this a Jekyll site?", dir)
	}
	s.title = cfg.str("title")
	s.description = cfg.str("description")
	s.language = firstNonEmpty(cfg.str("lang"), cfg.str("locale"))
	if u := literalURL(cfg.str("url")); u != "" {
		s.baseURL = strings.TrimSuffix(u, "/") + "/" + strings.Trim(cfg.str("baseurl"), "/")
		s.baseURL = strings.TrimSuffix(s.baseURL, "/")
	}
	if opt.BaseURL != "" {
		s.baseURL = opt.BaseURL
	}
	// Jekyll copies every file that is not underscored to the site as it
	// is, so /assets/x.png is assets/x.png of the checkout.
	s.staticRoots = []string{"."}
	j := &jekyll{s: s, permalink: cfg.str("permalink")}
	if j.permalink == "" {
		j.permalink = "date"
	}
	names, err := s.walk(".")
	if err != nil {
		return s.rep, err
	}
	for _, name := range names {
		if strings.HasPrefix(name, "_site/") || strings.HasPrefix(name, "vendor/") {
			continue
		}
		dirs := strings.Split(path.Dir(name), "/")
		var kind string
		var cats []string
		for i, d := range dirs {
			if d == "_posts" || d == "_drafts" {
				kind = d
				cats = dirs[:i]
				break
			}
		}
		if kind == "" {
			continue
		}
		ext := path.Ext(name)
		if ext != ".md" && ext != ".markdown" && ext != ".html" && ext != ".htm" {
			if ext == ".textile" {
				s.rep.look(s.display(name), 0, "a %s post: not imported (Markdown and HTML posts are)", ext)
			}
			continue
		}
		if err := j.readPost(name, kind == "_drafts", cats); err != nil {
			return s.rep, err
		}
	}
	s.convert = func(p *post, r *resolver) string {
		if p.html {
			return j.convertHTML(p, r)
		}
		return j.convert(p, r)
	}
	return run(ctx, s, opt)
}

type jekyll struct {
	s         *source
	permalink string
}

var jekyllName = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})-(.+)$`)

func (j *jekyll) readPost(name string, draft bool, folderCats []string) error {
	s := j.s
	data, err := s.readText(name)
	if err != nil {
		return err
	}
	fm, err := splitFrontMatter(data)
	if err != nil {
		s.rep.look(s.display(name), 0, "%v: not imported", err)
		return nil
	}
	base := strings.TrimSuffix(path.Base(name), path.Ext(name))
	fileDate, slugPart := "", base
	if m := jekyllName.FindStringSubmatch(base); m != nil {
		fileDate, slugPart = m[1], m[2]
	} else if !draft {
		s.rep.look(s.display(name), 0, "not named YYYY-MM-DD-title.md: Jekyll does not publish it, imported anyway")
	}
	p := &post{src: name, dir: path.Dir(name), kind: content.Post, body: fm.Body, bodyLine: fm.BodyLine, slug: slugPart}
	p.html = strings.HasPrefix(path.Ext(name), ".htm")
	p.meta = mapFrontMatter(fm.Fields, s.display(name), s.rep)
	p.meta.Draft = p.meta.Draft || draft
	if p.meta.Date == "" {
		if fileDate != "" {
			p.meta.Date = fileDate
		} else {
			s.fallbackDate(p, base)
		}
	}
	var cats []string
	cats = append(cats, folderCats...)
	if f, ok := (&frontMatter{Fields: fm.Fields}).get("categories"); ok {
		cats = append(cats, jekyllList(f.Value)...)
	}
	if f, ok := (&frontMatter{Fields: fm.Fields}).get("category"); ok {
		cats = append(cats, jekyllList(f.Value)...)
	}
	// Folder categories are tags too.
	for _, c := range folderCats {
		if !containsFold(p.meta.Tags, c) {
			p.meta.Tags = append(p.meta.Tags, c)
		}
	}
	p.meta.Tags = splitSpaced(p.meta.Tags, fm.Fields)
	if p.meta.URL != "" {
		p.oldURLs = []string{s.basePath() + "/" + strings.TrimPrefix(j.expand(p.meta.URL, p, cats, slugPart), "/")}
	} else {
		p.oldURLs = []string{s.basePath() + j.expand(j.permalink, p, cats, slugPart)}
	}
	for _, a := range p.meta.Aliases {
		if a = strings.TrimSpace(a); a != "" && !strings.Contains(a, "://") {
			p.oldURLs = append(p.oldURLs, s.basePath()+"/"+strings.TrimPrefix(a, "/"))
		}
	}
	p.meta.Aliases = nil
	inPosts := strings.TrimSuffix(name, path.Ext(name))
	if i := strings.Index(inPosts, "_posts/"); i >= 0 {
		inPosts = inPosts[i+len("_posts/"):]
	}
	p.refKeys = []string{name, base, inPosts}
	s.posts = append(s.posts, p)
	return nil
}

// jekyllList reads categories: [a, b] or categories: "a b".
func jekyllList(v any) []string {
	if s, ok := v.(string); ok {
		return strings.Fields(s)
	}
	return stringList(v)
}

// splitSpaced splits a space-separated tags: or categories: string the
// way Jekyll does ("tags: linux homelab" is two tags).
func splitSpaced(tags []string, fields []field) []string {
	spaced := false
	for _, f := range fields {
		if s, ok := f.Value.(string); ok && (f.Key == "tags" || f.Key == "categories") && strings.Contains(strings.TrimSpace(s), " ") {
			spaced = true
		}
	}
	if !spaced {
		return tags
	}
	var out []string
	for _, t := range tags {
		for _, w := range strings.Fields(t) {
			if !containsFold(out, w) {
				out = append(out, w)
			}
		}
	}
	return out
}

var jekyllStyles = map[string]string{
	"date":     "/:categories/:year/:month/:day/:title:output_ext",
	"pretty":   "/:categories/:year/:month/:day/:title/",
	"ordinal":  "/:categories/:year/:y_day/:title:output_ext",
	"weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
	"none":     "/:categories/:title:output_ext",
}

var jekyllToken = regexp.MustCompile(`:(output_ext|slugified_categories|categories|short_year|short_day|i_month|i_day|y_day|year|month|day|hour|minute|second|title|slug|week|name)`)

// expand is Jekyll's URL template: a built-in style or a custom
// pattern; empty segments (no categories) collapse.
func (j *jekyll) expand(pat string, p *post, cats []string, slugPart string) string {
	if st, ok := jekyllStyles[pat]; ok {
		pat = st
	}
	t, err := time.Parse(time.RFC3339, p.meta.Date)
	if err != nil {
		t, _ = time.Parse(time.DateOnly, dayOf(p.meta.Date))
	}
	title := slugPart
	if p.meta.Slug != "" {
		title = p.meta.Slug
	}
	var lower []string
	for _, c := range cats {
		lower = append(lower, strings.ToLower(c))
	}
	_, week := t.ISOWeek()
	out := jekyllToken.ReplaceAllStringFunc(pat, func(tok string) string {
		switch tok[1:] {
		case "output_ext":
			return ".html"
		case "categories":
			return strings.Join(lower, "/")
		case "slugified_categories":
			var sl []string
			for _, c := range lower {
				sl = append(sl, jekyllSlugify(c))
			}
			return strings.Join(sl, "/")
		case "year":
			return t.Format("2006")
		case "short_year":
			return t.Format("06")
		case "month":
			return t.Format("01")
		case "i_month":
			return fmt.Sprint(int(t.Month()))
		case "day":
			return t.Format("02")
		case "i_day":
			return fmt.Sprint(t.Day())
		case "y_day":
			return fmt.Sprintf("%03d", t.YearDay())
		case "short_day":
			return t.Format("Mon")
		case "week":
			return fmt.Sprintf("%02d", week)
		case "hour":
			return t.Format("15")
		case "minute":
			return t.Format("04")
		case "second":
			return t.Format("05")
		case "title", "name":
			return jekyllSlugify(title)
		case "slug":
			return jekyllSlugify(title)
		}
		return tok
	})
	for strings.Contains(out, "//") {
		out = strings.ReplaceAll(out, "//", "/")
	}
	if !strings.HasPrefix(out, "/") {
		out = "/" + out
	}
	return out
}

// jekyllSlugify is Jekyll's default slugify: lower case, runs of
// anything but letters and digits to one dash.
func jekyllSlugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

var (
	liquidTag     = regexp.MustCompile(`\{%-?\s*([a-z_]+)\s*(.*?)\s*-?%\}`)
	liquidOutput  = regexp.MustCompile(`\{\{-?\s*(.*?)\s*-?\}\}`)
	liquidURL     = regexp.MustCompile(`^["']([^"']*)["']\s*\|\s*(relative_url|absolute_url|prepend:\s*site\.baseurl|prepend:\s*site\.url)\s*$`)
	kramdownIAL   = regexp.MustCompile(`\{:\s*[^}]*\}`)
	liquidRaw     = regexp.MustCompile(`\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}`)
	liquidComment = regexp.MustCompile(`\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}`)
	endRaw        = regexp.MustCompile(`\{%-?\s*endraw\s*-?%\}`)
	endComment    = regexp.MustCompile(`\{%-?\s*endcomment\s*-?%\}`)
	endHighlight  = regexp.MustCompile(`\{%-?\s*endhighlight\s*-?%\}`)
)

// convert turns Jekyll's Liquid in a post into Markdown.
func (j *jekyll) convert(p *post, r *resolver) string {
	s := j.s
	lines := strings.Split(p.body, "\n")
	var out []string
	raw, comment := false, false
	var hl *strings.Builder
	hlFence := ""
	for i, line := range lines {
		at := p.bodyLine + i
		if raw {
			if m := endRaw.FindStringIndex(line); m != nil {
				raw = false
				line = line[:m[0]] + line[m[1]:]
			}
			out = append(out, line)
			continue
		}
		if comment {
			// Jekyll renders nothing of a comment; neither does labfront.
			// Its lines stay, empty, so later lines keep their numbers.
			rest := ""
			if m := endComment.FindStringIndex(line); m != nil {
				comment = false
				rest = line[m[1]:]
			}
			out = append(out, rest)
			continue
		}
		if hl != nil {
			if m := endHighlight.FindStringIndex(line); m != nil {
				hl.WriteString(line[:m[0]])
				out = append(out, strings.TrimRight(hl.String(), "\n"), hlFence)
				hl = nil
				continue
			}
			hl.WriteString(line + "\n")
			continue
		}
		if strings.TrimSpace(kramdownIAL.ReplaceAllString(line, "")) == "" && kramdownIAL.MatchString(line) {
			s.rep.converted("kramdown attributes")
			out = append(out, "") // kept as an empty line, for the line numbers
			continue
		}
		if kramdownIAL.MatchString(line) {
			line = kramdownIAL.ReplaceAllString(line, "")
			s.rep.converted("kramdown attributes")
		}
		// {% raw %}…{% endraw %} on one line: kept as written.
		var raws []string
		line = liquidRaw.ReplaceAllStringFunc(line, func(m string) string {
			raws = append(raws, liquidRaw.FindStringSubmatch(m)[1])
			return fmt.Sprintf("\x00R%d\x00", len(raws)-1)
		})
		if liquidComment.MatchString(line) {
			line = liquidComment.ReplaceAllString(line, "")
			s.rep.converted("comment")
		}
		line = liquidTag.ReplaceAllStringFunc(line, func(tag string) string {
			m := liquidTag.FindStringSubmatch(tag)
			name, args := m[1], m[2]
			switch name {
			case "raw":
				raw = true
				return ""
			case "endraw":
				return ""
			case "highlight":
				f := strings.Fields(args)
				lang := ""
				if len(f) > 0 {
					lang = f[0]
				}
				hl = &strings.Builder{}
				hlFence = "```"
				s.rep.converted("highlight")
				return "\x00HL" + lang
			case "comment":
				comment = true
				s.rep.converted("comment")
				return ""
			case "endcomment":
				comment = false
				return ""
			}
			return j.liquidTag(p, r, at, tag, name, args)
		})
		if k := strings.Index(line, "\x00HL"); k >= 0 {
			lang := line[k+3:]
			if pre := strings.TrimSpace(line[:k]); pre != "" {
				out = append(out, pre)
			}
			out = append(out, "```"+lang)
			continue
		}
		line = liquidOutput.ReplaceAllStringFunc(line, func(expr string) string { return j.liquidOutput(p, at, expr) })
		for i, r := range raws {
			line = strings.Replace(line, fmt.Sprintf("\x00R%d\x00", i), r, 1)
		}
		out = append(out, line)
	}
	if hl != nil {
		s.rep.look(s.display(p.src), p.bodyLine, "{%% highlight %%} is never closed: the rest of the post is its code")
		out = append(out, strings.TrimRight(hl.String(), "\n"), hlFence)
	}
	return strings.Join(out, "\n")
}

// liquidTag is the Markdown for a Liquid tag that is not a block:
// post_url and link become the new URL of the post they name; any other
// tag (include, assign, if …) is reported and left as visible code.
func (j *jekyll) liquidTag(p *post, r *resolver, at int, tag, name, args string) string {
	s := j.s
	switch name {
	case "post_url", "link":
		target := strings.Trim(strings.TrimSpace(args), `"'`)
		if q := j.findPost(r, target); q != nil {
			s.rep.converted(name)
			return r.linkTo(p, q, "", at)
		}
		s.rep.look(s.display(p.src), at, "{%% %s %s %%} names no imported post: left as text", name, args)
		return code(tag)
	}
	s.rep.look(s.display(p.src), at, "Liquid tag {%% %s %%} is not known to the import: left as text", name)
	return code(tag)
}

// liquidOutput is the text for a Liquid {{ … }}: the site's base URL is
// the new site's root, so it goes; a quoted path through relative_url or
// absolute_url is that path; anything else is reported and left as code.
func (j *jekyll) liquidOutput(p *post, at int, expr string) string {
	s := j.s
	e := liquidOutput.FindStringSubmatch(expr)[1]
	switch strings.ReplaceAll(e, " ", "") {
	case "site.baseurl", "site.url", "site.url}}{{site.baseurl", "site.url|append:site.baseurl":
		s.rep.converted("site.baseurl")
		return ""
	}
	if m := liquidURL.FindStringSubmatch(e); m != nil {
		s.rep.converted(strings.Fields(m[2])[0])
		return m[1]
	}
	s.rep.look(s.display(p.src), at, "Liquid output {{ %s }} is not known to the import: left as text", e)
	return code(expr)
}

// findPost resolves post_url's "2010-07-21-name" (with a subfolder of
// _posts/ if any) and link's "_posts/2010-07-21-name.md".
func (j *jekyll) findPost(r *resolver, target string) *post {
	target = strings.TrimPrefix(target, "/")
	if q := r.byRef[target]; q != nil {
		return q
	}
	return r.byRef[strings.TrimSuffix(target, path.Ext(target))]
}
