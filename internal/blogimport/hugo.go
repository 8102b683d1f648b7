package blogimport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/sitefs"
	"github.com/labfront/labfront/internal/slug"
)

// hugoConfigNames are the configuration files Hugo reads at the site's
// root, in its order of preference; config/_default/ is the folder form.
var hugoConfigNames = []string{"hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml", "config.json"}

// Hugo imports the Hugo site in dir into opt.Dest.
func Hugo(ctx context.Context, dir string, opt Options) (*Report, error) {
	s, err := openSource("hugo", dir, opt)
	if err != nil {
		return nil, err
	}
	defer s.fs.Close()
	cfg, err := hugoConfig(s)
	if err != nil {
		return s.rep, err
	}
	s.title = cfg.str("title")
	s.baseURL = firstNonEmpty(opt.BaseURL, literalURL(cfg.str("baseurl")))
	s.description = firstNonEmpty(cfg.str("params", "description"), cfg.str("description"))
	defLang := firstNonEmpty(strings.ToLower(cfg.str("defaultcontentlanguage")), "en")
	s.language = firstNonEmpty(strings.ToLower(cfg.str("languagecode")), defLang)
	contentDir := firstNonEmpty(cfg.str("contentdir"), "content")
	staticDir := firstNonEmpty(cfg.str("staticdir"), "static")
	s.staticRoots = []string{staticDir, "assets"}
	h := &hugo{s: s, cfg: cfg, defLang: defLang, langs: map[string]string{}}
	h.permalinks = hugoPermalinks(cfg)
	// A language may set its own permalinks (languages.en.permalinks).
	if lc, ok := cfg.sub("languages")[defLang].(config); ok {
		for k, v := range hugoPermalinks(lc) {
			h.permalinks[k] = v
		}
	}
	h.filenameDate = hugoFilenameDate(cfg)
	h.uglyURLs = cfg.bool("uglyurls")
	h.langPrefix = ""
	if cfg.bool("defaultcontentlanguageinsubdir") {
		h.langPrefix = "/" + defLang
	}
	// Languages with their own content folder: the default language's is
	// where the posts are, the others' hold translations.
	dirs := map[string]string{}
	for lang, v := range cfg.sub("languages") {
		h.langs[lang] = lang
		if lc, ok := v.(config); ok && lc.str("contentdir") != "" {
			dirs[lang] = path.Clean(lc.str("contentdir"))
		}
	}
	if d, ok := dirs[defLang]; ok {
		contentDir = d
	}
	if _, err := s.fs.Stat(contentDir); err != nil {
		return s.rep, fmt.Errorf("%s: no %s/ folder: is this a Hugo site?", dir, contentDir)
	}
	if err := h.readPosts(contentDir, defLang); err != nil {
		return s.rep, err
	}
	for _, lang := range sortedKeys(dirs) {
		if lang == defLang {
			continue
		}
		if _, err := s.fs.Stat(dirs[lang]); err != nil {
			continue
		}
		if err := h.readPosts(dirs[lang], lang); err != nil {
			return s.rep, err
		}
	}
	h.attachTranslations()
	s.convert = h.convert
	return run(ctx, s, opt)
}

type hugo struct {
	s          *source
	cfg        config
	defLang    string
	langs      map[string]string
	permalinks map[string]string
	uglyURLs   bool
	langPrefix string
	// filenameDate is how frontmatter.date of the config uses the
	// ":filename" handler: 0 not at all, 1 when the front matter has no
	// date, 2 before the front matter.
	filenameDate int
	// pending translations, keyed by the content path of the page they
	// translate (section/name without language and extension).
	pending []*pendingTranslation
	byKey   map[string]*post
}

type pendingTranslation struct {
	key string
	t   *translation
}

func openSource(gen, dir string, opt Options) (*source, error) {
	if fi, err := statDir(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s: not a folder", dir)
	}
	site, err := sitefs.Open(dir)
	if err != nil {
		return nil, err
	}
	lim := opt.Limits.OrDefault()
	s := &source{gen: gen, dir: dir, fs: site, limits: lim, budget: lim.NewBudget(), rep: newReport(gen, dir)}
	s.rep.DryRun = opt.DryRun
	return s, nil
}

func hugoConfig(s *source) (config, error) {
	cfg := config{}
	found := false
	for _, n := range hugoConfigNames {
		if !s.exists(n) {
			continue
		}
		c, err := readConfig(s, n)
		if err != nil {
			return nil, err
		}
		cfg.merge(c)
		found = true
		break
	}
	// config/_default/: hugo.toml or config.toml, plus one file per
	// top-level key (permalinks.toml, languages.toml, params.toml …).
	const folder = "config/_default"
	if entries, err := s.fs.ReadDir(folder); err == nil {
		for _, e := range entries {
			ext := path.Ext(e.Name())
			if ext != ".toml" && ext != ".yaml" && ext != ".yml" && ext != ".json" {
				continue
			}
			c, err := readConfig(s, folder+"/"+e.Name())
			if err != nil {
				return nil, err
			}
			key := strings.ToLower(strings.TrimSuffix(e.Name(), ext))
			if key == "hugo" || key == "config" {
				cfg.merge(c)
			} else if _, ok := cfg[key]; !ok {
				cfg[key] = c
			}
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: no Hugo configuration (%s or config/_default/): is this a Hugo site?", s.dir, strings.Join(hugoConfigNames[:4], ", "))
	}
	return cfg, nil
}

// hugoFilenameDate reads frontmatter: {date: [":filename", ":default"]}:
// 2 when :filename comes before every other date source, 1 when after
// one, 0 when it is not there.
func hugoFilenameDate(cfg config) int {
	list, _ := cfg.sub("frontmatter")["date"].([]any)
	for i, v := range list {
		if s, _ := v.(string); strings.EqualFold(s, ":filename") {
			if i == 0 {
				return 2
			}
			return 1
		}
	}
	return 0
}

// hugoPermalinks reads permalinks = {posts = "/:year/:slug/"}, and the
// newer permalinks.page.posts form.
func hugoPermalinks(cfg config) map[string]string {
	out := map[string]string{}
	pl := cfg.sub("permalinks")
	if page := pl.sub("page"); page != nil {
		pl = page
	}
	for k, v := range pl {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

var langSuffix = regexp.MustCompile(`^(.+)\.([a-z]{2,3}(?:-[a-zA-Z0-9]{2,8})?)$`)

// readPosts reads the pages of one content folder.
func (h *hugo) readPosts(contentDir, lang string) error {
	s := h.s
	names, err := s.walk(contentDir)
	if err != nil {
		return err
	}
	if h.byKey == nil {
		h.byKey = map[string]*post{}
	}
	// Every page is read first: a headless bundle's index.md may sort
	// after the other Markdown files of its folder, which are its
	// resources, not pages.
	type page struct {
		name, rel, base, fileLang string
		fm                        *frontMatter
	}
	var pages []page
	for _, name := range names {
		ext := path.Ext(name)
		if ext != ".md" && ext != ".markdown" {
			if isContentFile(name) && s.headlessAt(name) == nil && !strings.HasPrefix(path.Base(name), "_index.") {
				// Hugo renders .html, .org, .adoc … content too; the import
				// reads Markdown only, and says which pages it left.
				s.rep.look(s.display(name), 1, "a %s page: not imported (the import reads Markdown pages); write it as Markdown to keep it", ext)
			}
			continue
		}
		rel := strings.TrimPrefix(name, contentDir+"/")
		base := strings.TrimSuffix(path.Base(rel), ext)
		fileLang := lang
		if m := langSuffix.FindStringSubmatch(base); m != nil && (h.langs[m[2]] != "" || len(h.langs) == 0) {
			base, fileLang = m[1], m[2]
		}
		if base == "_index" {
			s.rep.look(s.display(name), 1, "a section page (branch bundle _index.md): not imported; labfront lists posts at /blog/")
			continue
		}
		data, err := s.readText(name)
		if err != nil {
			return err
		}
		fm, err := splitFrontMatter(data)
		if err != nil {
			s.rep.look(s.display(name), 0, "%v: not imported", err)
			continue
		}
		pages = append(pages, page{name: name, rel: rel, base: base, fileLang: fileLang, fm: fm})
	}
	for _, pg := range pages {
		if pg.base == "index" && headless(pg.fm) {
			h.addHeadless(contentDir, path.Dir(pg.name), pg.fm)
		}
	}
	for _, pg := range pages {
		name, rel, base, fileLang, fm := pg.name, pg.rel, pg.base, pg.fileLang, pg.fm
		if hb := s.headlessAt(name); hb != nil {
			if name != hb.index && strings.TrimSpace(fm.Body) != "" {
				s.rep.look(s.display(name), fm.BodyLine, "a page of the headless bundle %s (a resource other pages include): not imported; its text is still in the source", s.display(hb.dir))
			}
			continue
		}
		folder := path.Dir(rel)
		bundle := base == "index"
		slugBase, key := base, path.Join(folder, base)
		if bundle {
			slugBase, key = path.Base(folder), folder
		}
		if fileLang != h.defLang {
			var t translation
			t.lang, t.src, t.body, t.bodyLine = fileLang, name, fm.Body, fm.BodyLine
			t.meta = mapFrontMatter(fm.Fields, s.display(name), s.rep)
			h.pending = append(h.pending, &pendingTranslation{key: key, t: &t})
			continue
		}
		p := &post{src: name, dir: path.Dir(name), bundle: bundle, body: fm.Body, bodyLine: fm.BodyLine, slug: slugBase}
		p.meta = mapFrontMatter(fm.Fields, s.display(name), s.rep)
		section := ""
		if i := strings.Index(rel, "/"); i > 0 && !(bundle && strings.Count(rel, "/") == 1) {
			section = rel[:i]
		}
		p.kind = content.Post
		// "page" is where themes such as Stack keep about and search
		// pages: standing pages, which labfront calls notes.
		if section == "" || section == "notes" || section == "page" || section == "pages" {
			p.kind = content.Note
			if section == "" {
				s.rep.look(s.display(name), 1, "a page outside any section: imported as a note (labfront has posts and notes)")
			}
		}
		if m := jekyllName.FindStringSubmatch(slugBase); m != nil && h.filenameDate > 0 {
			// Hugo's :filename date handler: 2022-02-10-redesign.md is
			// dated by its name, and its slug is the rest of it.
			if h.filenameDate == 2 || p.meta.Date == "" {
				p.meta.Date = m[1]
			}
			if p.meta.Slug == "" {
				p.meta.Slug = m[2]
			}
		}
		if p.meta.Date == "" {
			h.s.fallbackDate(p, base)
		}
		p.oldURLs = h.oldURLs(p, rel, section, slugBase)
		for _, a := range p.meta.Aliases {
			a = strings.TrimSpace(a)
			if a != "" && !strings.Contains(a, "://") {
				p.oldURLs = append(p.oldURLs, h.s.basePath()+"/"+strings.TrimPrefix(a, "/"))
			}
		}
		p.meta.Aliases = nil
		p.refKeys = []string{key, name, path.Join(contentDir, key), path.Base(key)}
		h.byKey[key] = p
		s.posts = append(s.posts, p)
	}
	return nil
}

// headless reports whether a bundle's index.md makes it a headless
// bundle: headless: true, or the newer build options that render it
// never (build: {render: never}, or _build: {render: false}).
func headless(fm *frontMatter) bool {
	if f, ok := fm.get("headless"); ok {
		if b, ok := f.Value.(bool); ok && b {
			return true
		}
	}
	for _, key := range []string{"build", "_build"} {
		f, ok := fm.get(key)
		if !ok {
			continue
		}
		m, ok := f.Value.(orderedMap)
		if !ok {
			continue
		}
		switch v, _ := m.get("render"); v {
		case "never", false:
			return true
		}
	}
	return false
}

// addHeadless records the headless bundle in folder dir (a name of the
// source): a page of its own Hugo never published, whose files other
// pages use. Its files go to content/media/<its path under content>/,
// published at /media/…, and links to them point there.
func (h *hugo) addHeadless(contentDir, dir string, fm *frontMatter) {
	s := h.s
	rel := strings.TrimPrefix(dir, contentDir+"/")
	var segs []string
	for _, seg := range strings.Split(rel, "/") {
		segs = append(segs, firstNonEmpty(slug.Make(seg), "bundle"))
	}
	hb := &headlessBundle{dir: dir, rel: rel, media: path.Join(content.MediaDir, path.Join(segs...))}
	for _, n := range []string{"index.md", "index.markdown"} {
		if s.exists(path.Join(dir, n)) {
			hb.index = path.Join(dir, n)
		}
	}
	if strings.TrimSpace(fm.Body) != "" {
		s.rep.look(s.display(hb.index), fm.BodyLine, "the headless bundle's own text is not imported (Hugo never published it either); its files are in %s/", hb.media)
	}
	s.headless = append(s.headless, hb)
}

func (h *hugo) attachTranslations() {
	for _, pt := range h.pending {
		if p, ok := h.byKey[pt.key]; ok {
			p.trans = append(p.trans, pt.t)
			sort.Slice(p.trans, func(i, j int) bool { return p.trans[i].lang < p.trans[j].lang })
			continue
		}
		// A page that exists only in another language is still kept.
		s := h.s
		t := pt.t
		orphan := &post{src: t.src, kind: content.Post, slug: path.Base(pt.key), meta: t.meta}
		if orphan.meta.Date == "" {
			orphan.meta.Date = "1970-01-01"
		}
		t.out = path.Join("content/translations", t.lang, pt.key+".md")
		t.text = renderTranslation(t, &post{kind: content.Post, slug: "", meta: t.meta}, t.body)
		s.rep.look(s.display(t.src), 1, "a %s page with no %s original: kept as a translation, not published", t.lang, h.defLang)
		s.rep.Translations = append(s.rep.Translations, Kept{Lang: t.lang, Path: t.out, From: s.display(t.src)})
		s.orphans = append(s.orphans, t)
	}
}

// oldURLs is where Hugo published p: url: when set, else the section's
// permalink pattern, else /section/slug/; lower-cased as Hugo does by
// default, under the base URL's path and the language folder.
func (h *hugo) oldURLs(p *post, rel, section, slugBase string) []string {
	bp := h.s.basePath()
	if p.meta.URL != "" {
		return []string{bp + "/" + strings.TrimPrefix(p.meta.URL, "/")}
	}
	var u string
	if pat, ok := h.permalinks[section]; ok && section != "" {
		u = h.expand(pat, p, rel, section, slugBase)
	} else {
		sl := slugBase
		if p.meta.Slug != "" {
			sl = p.meta.Slug
		}
		u = "/" + path.Join(path.Dir(strings.TrimSuffix(rel, "/index.md")), urlize(sl)) + "/"
		if p.bundle {
			u = "/" + path.Join(path.Dir(path.Dir(rel)), urlize(sl)) + "/"
		}
		u = strings.Replace(u, "/./", "/", 1)
		if h.uglyURLs {
			u = strings.TrimSuffix(u, "/") + ".html"
		}
	}
	if !h.cfg.bool("disablepathtolower") {
		u = strings.ToLower(u)
	}
	return []string{bp + h.langPrefix + u}
}

var permalinkToken = regexp.MustCompile(`:[a-z_]+`)

func (h *hugo) expand(pat string, p *post, rel, section, slugBase string) string {
	t, _ := time.Parse(time.DateOnly, dayOf(p.meta.Date))
	sl := p.meta.Slug
	if sl == "" {
		sl = urlize(p.meta.Title)
	}
	out := permalinkToken.ReplaceAllStringFunc(pat, func(tok string) string {
		switch tok {
		case ":year":
			return t.Format("2006")
		case ":month":
			return t.Format("01")
		case ":monthname":
			return strings.ToLower(t.Format("January"))
		case ":day":
			return t.Format("02")
		case ":weekday":
			return fmt.Sprint(int(t.Weekday()))
		case ":weekdayname":
			return strings.ToLower(t.Format("Monday"))
		case ":yearday":
			return fmt.Sprint(t.YearDay())
		case ":section":
			return section
		case ":sections":
			return path.Dir(strings.TrimSuffix(rel, "/index.md"))
		case ":title":
			return urlize(p.meta.Title)
		case ":slug":
			return urlize(sl)
		case ":filename", ":contentbasename", ":slugorfilename", ":slugorcontentbasename":
			if (tok == ":slugorfilename" || tok == ":slugorcontentbasename") && p.meta.Slug != "" {
				return urlize(p.meta.Slug)
			}
			return urlize(slugBase)
		}
		return tok
	})
	if !strings.HasPrefix(out, "/") {
		out = "/" + out
	}
	if !strings.HasSuffix(out, "/") && path.Ext(out) == "" {
		out += "/"
	}
	return out
}

// urlize is Hugo's: lower case (done by the caller), spaces to dashes,
// only letters, digits and a few marks kept.
func urlize(s string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r == ' ' || r == '-':
			b.WriteRune('-')
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' || r == '~':
			b.WriteRune(r)
		}
	}
	return b.String()
}

var fileDate = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})`)

// fallbackDate dates a post whose front matter has none: from lastmod,
// from a YYYY-MM-DD file name, or from the file's modification time,
// and says so.
func (s *source) fallbackDate(p *post, base string) {
	if p.meta.Updated != "" {
		p.meta.Date = p.meta.Updated
		s.rep.look(s.display(p.src), 1, "no date: used lastmod, %s", p.meta.Date)
		return
	}
	name := base
	if p.bundle {
		name = path.Base(p.dir)
	}
	if m := fileDate.FindStringSubmatch(name); m != nil {
		p.meta.Date = m[1]
		return
	}
	date := "1970-01-01"
	if fi, err := s.fs.Stat(p.src); err == nil {
		date = fi.ModTime().UTC().Format(time.DateOnly)
	}
	p.meta.Date = date
	s.rep.look(s.display(p.src), 1, "no date in the front matter: used the file's modification time, %s; set date:", date)
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// literalURL keeps a configured base URL only if it is one: "/" or a
// template is not an address.
func literalURL(u string) string {
	if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
		return u
	}
	return ""
}

var errNotDir = errors.New("not a folder")

func statDir(dir string) (fs.FileInfo, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, errNotDir
	}
	return fi, nil
}
