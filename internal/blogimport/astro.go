package blogimport

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/labfront/labfront/internal/content"
)

var (
	astroConfigNames = []string{"astro.config.mjs", "astro.config.ts", "astro.config.js", "astro.config.mts", "astro.config.cjs"}
	astroSite        = regexp.MustCompile(`(?m)^\s*site\s*:\s*(['"` + "`" + `])(https?://[^'"` + "`" + `]+)['"` + "`" + `]`)
	astroBase        = regexp.MustCompile(`(?m)^\s*base\s*:\s*['"]([^'"]+)['"]`)
	astroSiteAny     = regexp.MustCompile(`(?m)^\s*site\s*:`)
	// glob({ pattern: "**/*.md", base: "./src/data/blog" }) in
	// src/content.config.ts: a collection's folder.
	astroGlobBase = regexp.MustCompile(`glob\(\s*\{[^}]*?base\s*:\s*['"]([^'"]+)['"]`)
	astroTitle    = regexp.MustCompile(`(?m)(?:SITE_TITLE\s*=|^\s*title\s*:)\s*['"]([^'"]+)['"]`)
	astroDesc     = regexp.MustCompile(`(?m)(?:SITE_DESCRIPTION\s*=|^\s*(?:desc|description)\s*:)\s*['"]([^'"]+)['"]`)
	mdxImport     = regexp.MustCompile(`^\s*(import|export)\s`)
	jsxTag        = regexp.MustCompile(`</?[A-Z][A-Za-z0-9.]*(?:\s[^<>]*)?/?>`)
)

// Astro imports the Astro site in dir into opt.Dest.
func Astro(ctx context.Context, dir string, opt Options) (*Report, error) {
	s, err := openSource("astro", dir, opt)
	if err != nil {
		return nil, err
	}
	defer s.fs.Close()
	var cfgText string
	for _, n := range astroConfigNames {
		if s.exists(n) {
			data, err := s.readText(n)
			if err != nil {
				return s.rep, err
			}
			cfgText = string(data)
			break
		}
	}
	if cfgText == "" {
		return s.rep, fmt.Errorf("%s: no astro.config.mjs (or .ts, .js): is this an Astro site?", dir)
	}
	base := ""
	if m := astroBase.FindStringSubmatch(cfgText); m != nil {
		base = strings.TrimSuffix(m[1], "/")
	}
	if m := astroSite.FindStringSubmatch(cfgText); m != nil {
		s.baseURL = strings.TrimSuffix(m[2], "/") + base
	} else if astroSiteAny.MatchString(cfgText) && opt.BaseURL == "" {
		s.rep.look(s.display("astro.config.mjs"), 0, "site: is not a literal URL: pass --base-url")
	}
	if opt.BaseURL != "" {
		s.baseURL = opt.BaseURL
	}
	for _, n := range []string{"src/consts.ts", "src/config.ts", "src/consts.js", "src/config.js", "src/site.config.ts"} {
		if !s.exists(n) {
			continue
		}
		data, err := s.readText(n)
		if err != nil {
			return s.rep, err
		}
		if m := astroTitle.FindSubmatch(data); m != nil && s.title == "" {
			s.title = string(m[1])
		}
		if m := astroDesc.FindSubmatch(data); m != nil && s.description == "" {
			s.description = string(m[1])
		}
	}
	s.staticRoots = []string{"public"}
	if err := readPathAliases(s); err != nil {
		return s.rep, err
	}
	a := &astro{s: s}
	bases, err := a.collections()
	if err != nil {
		return s.rep, err
	}
	if len(bases) == 0 {
		return s.rep, fmt.Errorf("%s: no content collection with Markdown (src/content/<name>/, or a glob base in src/content.config.ts)", dir)
	}
	for _, b := range bases {
		if err := a.readCollection(b); err != nil {
			return s.rep, err
		}
	}
	s.convert = a.convert
	return run(ctx, s, opt)
}

var (
	// "@assets/*": ["src/assets/*"] of compilerOptions.paths; tsconfig
	// allows comments and trailing commas, so it is matched, not decoded.
	tsPath    = regexp.MustCompile(`"([^"*\s]+)\*"\s*:\s*\[\s*"([^"*]*)\*"`)
	tsBaseURL = regexp.MustCompile(`"baseUrl"\s*:\s*"([^"]*)"`)
)

// readPathAliases reads the import aliases of tsconfig.json (or
// jsconfig.json) that pages use to name pictures: ![x](@assets/a.png),
// heroImage: "~/assets/b.jpg".
func readPathAliases(s *source) error {
	for _, n := range []string{"tsconfig.json", "jsconfig.json"} {
		if !s.exists(n) {
			continue
		}
		data, err := s.readText(n)
		if err != nil {
			return err
		}
		baseURL := "."
		if m := tsBaseURL.FindSubmatch(data); m != nil {
			baseURL = string(m[1])
		}
		for _, m := range tsPath.FindAllSubmatch(data, -1) {
			dir := path.Clean(path.Join(baseURL, string(m[2])))
			if !fs.ValidPath(dir) {
				continue
			}
			s.pathAliases = append(s.pathAliases, pathAlias{prefix: string(m[1]), dir: dir})
		}
		sort.SliceStable(s.pathAliases, func(i, j int) bool { return len(s.pathAliases[i].prefix) > len(s.pathAliases[j].prefix) })
		return nil
	}
	return nil
}

type astro struct {
	s *source
}

// collections lists the folders that hold posts: the glob bases of
// src/content.config.ts (Astro 5) or src/content/config.ts, else every
// folder of src/content/.
func (a *astro) collections() ([]string, error) {
	s := a.s
	var bases []string
	for _, n := range []string{"src/content.config.ts", "src/content.config.mjs", "src/content.config.js", "src/content/config.ts", "src/content/config.js"} {
		if !s.exists(n) {
			continue
		}
		data, err := s.readText(n)
		if err != nil {
			return nil, err
		}
		for _, m := range astroGlobBase.FindAllSubmatch(data, -1) {
			b := path.Clean(strings.TrimPrefix(string(m[1]), "./"))
			if fi, err := s.fs.Stat(b); err == nil && fi.IsDir() {
				bases = append(bases, b)
			} else {
				s.rep.look(s.display(n), 0, "glob base %s is not a folder of the site: skipped", m[1])
			}
		}
	}
	if len(bases) > 0 {
		return bases, nil
	}
	entries, err := s.fs.ReadDir("src/content")
	if err != nil {
		return nil, nil
	}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			bases = append(bases, "src/content/"+e.Name())
		}
	}
	return bases, nil
}

func (a *astro) readCollection(base string) error {
	s := a.s
	names, err := s.walk(base)
	if err != nil {
		return err
	}
	coll := path.Base(base)
	kind := content.Post
	if coll == "notes" {
		kind = content.Note
	}
	guessed := false
	for _, name := range names {
		ext := path.Ext(name)
		if ext != ".md" && ext != ".mdx" && ext != ".markdown" {
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
		id := strings.TrimSuffix(strings.TrimPrefix(name, base+"/"), ext)
		id = strings.TrimSuffix(id, "/index")
		p := &post{src: name, dir: path.Dir(name), kind: kind, body: fm.Body, bodyLine: fm.BodyLine, slug: path.Base(id)}
		p.meta = mapFrontMatter(fm.Fields, s.display(name), s.rep)
		if p.meta.Date == "" {
			s.fallbackDate(p, path.Base(id))
		}
		// Astro's routes are code (src/pages/blog/[...slug].astro); the
		// usual one is /<collection>/<id>/.
		sl := id
		if p.meta.Slug != "" {
			sl = p.meta.Slug
		}
		p.oldURLs = []string{s.basePath() + "/" + coll + "/" + strings.ToLower(sl) + "/"}
		if !guessed {
			s.rep.look(s.display(base), 0, "old URLs taken to be /%s/<id>/ (Astro's routes are code): check the redirects if src/pages says otherwise", coll)
			guessed = true
		}
		for _, al := range p.meta.Aliases {
			if al = strings.TrimSpace(al); al != "" && !strings.Contains(al, "://") {
				p.oldURLs = append(p.oldURLs, s.basePath()+"/"+strings.TrimPrefix(al, "/"))
			}
		}
		p.meta.Aliases = nil
		p.refKeys = []string{name, id}
		s.posts = append(s.posts, p)
	}
	return nil
}

// convert keeps Markdown as it is and makes MDX visible: import and
// export lines and components (<Chart data={x} />), which labfront
// cannot run, are shown as code and listed in the report.
func (a *astro) convert(p *post, r *resolver) string {
	if path.Ext(p.src) != ".mdx" {
		return p.body
	}
	s := a.s
	lines := strings.Split(p.body, "\n")
	fence := ""
	for i, line := range lines {
		at := p.bodyLine + i
		if fence != "" {
			if strings.HasPrefix(strings.TrimSpace(line), fence) {
				fence = ""
			}
			continue
		}
		if m := fenceOpen.FindStringSubmatch(line); m != nil {
			fence = m[1]
			continue
		}
		if mdxImport.MatchString(line) {
			s.rep.look(s.display(p.src), at, "MDX %s: labfront runs no code; left as text", strings.TrimSpace(line))
			lines[i] = code(strings.TrimSpace(line))
			continue
		}
		masked := maskCode(line)
		idx := jsxTag.FindAllStringIndex(masked, -1)
		if idx == nil {
			continue
		}
		var b strings.Builder
		last := 0
		for _, m := range idx {
			b.WriteString(line[last:m[0]])
			b.WriteString(code(line[m[0]:m[1]]))
			last = m[1]
		}
		b.WriteString(line[last:])
		s.rep.look(s.display(p.src), at, "MDX component %s: labfront renders no components; left as text", line[idx[0][0]:idx[0][1]])
		lines[i] = b.String()
	}
	return strings.Join(lines, "\n")
}
