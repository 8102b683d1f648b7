package content

import (
	"cmp"
	"errors"
	"io/fs"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/markdown"
	"github.com/labfront/labfront/internal/sitefs"
)

// Site is everything loaded from a source directory.
type Site struct {
	Src    string
	Config Config
	// Posts and Notes are sorted newest first, then by slug. Drafts are
	// included only when the load asked for them.
	Posts []*Page
	Notes []*Page
	Tags  []*Tag // sorted by slug
	// Media are the files of content/media (see MediaDir), relative to
	// it, sorted; hidden ones are left out. They are published at /media/.
	Media []string
	// Series are the published series, sorted by slug.
	Series []*Series
	// Skipped are the URLs of pages left out because their files have
	// problems (reported), so later stages can tell a link to such a page
	// from a broken one.
	Skipped []string
	// Warnings are the load's warnings (see diag.Problem.Warning).
	Warnings diag.List

	seriesOf map[*Page]*Series
	files    *sitefs.Site        // the checkout, for Body
	conv     *markdown.Converter // for Body
	bodies   sync.Map            // *Page → []byte converted by Body
}

// Tag groups the pages that carry one tag, compared case-insensitively.
type Tag struct {
	Slug  string
	Name  string // the most common spelling
	Pages []*Page
}

// URL is the tag page's site-relative URL.
func (t *Tag) URL() string { return "/tags/" + t.Slug + "/" }

// Options change what Load includes.
type Options struct {
	Drafts bool
	// Cache, when set, reuses pages whose files have not changed since the
	// last load with the same cache.
	Cache *Cache
}

// Load reads src/content. A returned error is a diag.List when the input is
// at fault; anything else is an I/O failure.
//
// Every file is read through package sitefs: a symlink out of the site or
// a special file is a problem of the file, never read.
func Load(src string, opts Options) (*Site, error) {
	files, err := sitefs.Open(src)
	if err != nil {
		return nil, err
	}
	return LoadFiles(files, opts)
}

// LoadFiles is Load of a site the caller has opened.
func LoadFiles(files *sitefs.Site, opts Options) (*Site, error) {
	site, probs, err := LoadAll(files, opts)
	if err != nil {
		return nil, err
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return site, nil
}

// LoadAll is LoadFiles that goes on past problems: it returns the site
// made of everything that loaded (a page with problems is left out, its
// siblings are not) together with every problem and warning, so a check
// can run the later stages and report all at once. error is for I/O
// failures only; a site with problems must not be published.
func LoadAll(files *sitefs.Site, opts Options) (*Site, diag.List, error) {
	var probs diag.List
	conv := markdown.New()
	site := &Site{Src: files.Dir(), files: files, conv: conv}
	site.Config = loadConfig(files, &probs)

	var all []*Page
	for _, kind := range []Kind{Post, Note} {
		pages, skipped, err := loadDir(conv, opts.Cache, files, kind, &probs)
		if err != nil {
			return nil, nil, err
		}
		site.Skipped = append(site.Skipped, skipped...)
		// Before filtering, which reuses pages' array: a draft that shares
		// a slug would collide as soon as it is published.
		checkDuplicateSlugs(pages, &probs)
		all = append(all, pages...)
		kept := pages[:0]
		for _, p := range pages {
			if !p.Draft || opts.Drafts {
				kept = append(kept, p)
			}
		}
		slices.SortFunc(kept, newestFirst)
		if kind == Post {
			site.Posts = kept
		} else {
			site.Notes = kept
		}
	}
	checkDuplicateAliases(site.Config, files.Display("content/site.yaml"), all, &probs)
	site.Tags = collectTags(site.Posts, site.Notes)
	site.Series, site.seriesOf = assembleSeries(append(slices.Clone(site.Posts), site.Notes...), &probs)
	media, err := listFiles(files, MediaDir, &probs)
	if err != nil {
		return nil, nil, err
	}
	site.Media = media
	site.Warnings = probs.Warnings()
	slices.Sort(site.Skipped)
	probs.Sort()
	return site, probs, nil
}

// SeriesOf returns the series pg is a part of and its index in it, or nil.
func (s *Site) SeriesOf(pg *Page) (*Series, int) {
	sr := s.seriesOf[pg]
	if sr == nil {
		return nil, 0
	}
	return sr, slices.Index(sr.Pages, pg)
}

// AuthorOf is the name shown as the page's author: its author:, else
// site.yaml's author.name ("" when neither is set).
func (s *Site) AuthorOf(pg *Page) string {
	if pg.Author != "" {
		return pg.Author
	}
	return s.Config.Author.Name
}

// addReadProblem records why a file could not be read: a refusal of
// package sitefs names the file itself, anything else gets display.
func addReadProblem(probs *diag.List, display string, err error) {
	if p, ok := diag.As(err); ok {
		probs.Append(p)
		return
	}
	probs.Add(display, 0, "", "%v", err)
}

func newestFirst(a, b *Page) int {
	if c := b.Date.Compare(a.Date); c != 0 {
		return c
	}
	return strings.Compare(a.Slug, b.Slug)
}

// loadDir converts every .md file and page bundle of one section on all
// cores; Markdown rendering dominates load time.
//
// It also returns the URLs of the pages it had to leave out.
func loadDir(conv *markdown.Converter, cache *Cache, files *sitefs.Site, kind Kind, probs *diag.List) ([]*Page, []string, error) {
	dir := "content/" + kind.Dir()
	entries, err := files.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if p, ok := diag.As(err); ok {
		probs.Append(p)
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	// A folder is a page bundle (see Bundle): its index.md is the page,
	// the folder's name gives the slug, the rest are its files.
	type job struct{ file, bundle string }
	var jobs []job
	var skippedDirs []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case hidden(name):
		case e.IsDir():
			bdir := dir + "/" + name
			_, err := files.Stat(bdir + "/" + bundleIndex)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				skippedDirs = append(skippedDirs, (&Page{Kind: kind, Slug: SlugFromFile(bdir)}).URL())
				probs.Add(files.Display(bdir), 0, "", "folder without %s: a folder in %s is a page bundle, %s/%s plus the files it shows; add the %s or move the folder out of content/%s",
					bundleIndex, dir, name, bundleIndex, bundleIndex, kind.Dir())
			case err != nil:
				skippedDirs = append(skippedDirs, (&Page{Kind: kind, Slug: SlugFromFile(bdir)}).URL())
				addReadProblem(probs, files.Display(bdir+"/"+bundleIndex), err)
			default:
				jobs = append(jobs, job{file: bdir + "/" + bundleIndex, bundle: bdir})
			}
		case strings.HasSuffix(name, ".md"):
			jobs = append(jobs, job{file: dir + "/" + name})
		}
	}
	pages := make([]*Page, len(jobs))
	skipped := make([]string, len(jobs))
	fileProbs := make([]diag.List, len(jobs))
	errs := make([]error, len(jobs))
	work := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range work {
				j := jobs[i]
				slugName := j.file
				if j.bundle != "" {
					slugName = j.bundle
				}
				p, skip := loadPage(conv, cache, files, kind, j.file, slugName, &fileProbs[i])
				skipped[i] = skip
				if p != nil && j.bundle != "" {
					// Listed on every load, never cached with the page: a
					// file added beside an unchanged index.md counts.
					b, err := loadBundle(files, j.bundle, &fileProbs[i])
					if err != nil {
						errs[i] = err
						continue
					}
					// Cached pages are shared between loads: a copy.
					cp := *p
					cp.Bundle = b
					p = &cp
				}
				pages[i] = p
			}
		})
	}
	for i := range jobs {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	out := make([]*Page, 0, len(pages))
	for i, p := range pages {
		probs.Append(fileProbs[i])
		if p != nil {
			out = append(out, p)
		} else if skipped[i] != "" {
			skippedDirs = append(skippedDirs, skipped[i])
		}
	}
	return out, skippedDirs, nil
}

func checkDuplicateSlugs(pages []*Page, probs *diag.List) {
	first := map[string]*Page{}
	sorted := slices.Clone(pages)
	slices.SortFunc(sorted, func(a, b *Page) int { return strings.Compare(a.Path, b.Path) })
	for _, p := range sorted {
		if q, ok := first[p.Slug]; ok {
			probs.Add(p.Path, 0, "slug", "duplicate slug %q: %s has the same URL %s", p.Slug, q.Path, p.URL())
			continue
		}
		first[p.Slug] = p
	}
}

func collectTags(lists ...[]*Page) []*Tag {
	bySlug := map[string]*Tag{}
	// Per tag, how often each spelling occurs and where it was first seen:
	// the most common wins, ties go to the newest page's spelling.
	spellings := map[string]map[string]int{}
	firstSeen := map[string]int{}
	for _, pages := range lists {
		for _, p := range pages {
			seen := map[string]bool{}
			for _, name := range p.Tags {
				slug := TagSlug(name)
				if seen[slug] {
					continue
				}
				seen[slug] = true
				t := bySlug[slug]
				if t == nil {
					t = &Tag{Slug: slug}
					bySlug[slug] = t
					spellings[slug] = map[string]int{}
				}
				t.Pages = append(t.Pages, p)
				name = strings.TrimSpace(name)
				spellings[slug][name]++
				if _, ok := firstSeen[name]; !ok {
					firstSeen[name] = len(firstSeen)
				}
			}
		}
	}
	tags := make([]*Tag, 0, len(bySlug))
	for slug, t := range bySlug {
		best, n := "", 0
		for name, c := range spellings[slug] {
			if c > n || (c == n && firstSeen[name] < firstSeen[best]) {
				best, n = name, c
			}
		}
		t.Name = best
		slices.SortFunc(t.Pages, newestFirst)
		tags = append(tags, t)
	}
	slices.SortFunc(tags, func(a, b *Tag) int { return cmp.Compare(a.Slug, b.Slug) })
	return tags
}
