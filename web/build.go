// Package web is the static site generator: it turns a loaded content.Site
// into the files of dist/. A build runs in explicit stages — load, assemble,
// render, publish — and wraps each failure with its stage, so a message
// says whether the input was wrong or writing failed.
package web

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labfront/labfront/internal/card"
	"github.com/labfront/labfront/internal/content"
	"github.com/labfront/labfront/internal/diag"
	"github.com/labfront/labfront/internal/lab"
	"github.com/labfront/labfront/internal/markdown"
	"github.com/labfront/labfront/internal/picture"
	"github.com/labfront/labfront/internal/sitefs"
	"github.com/labfront/labfront/internal/siteurl"
	"github.com/labfront/labfront/internal/svgsafe"
	"github.com/labfront/labfront/templates"
)

// Options configure a build.
type Options struct {
	Src     string
	Out     string
	BaseURL string // overrides site.yaml's base_url when set
	Drafts  bool
	// Cache carries work from one build to the next (the dev server's
	// rebuilds); nil does everything afresh.
	Cache *Cache
	// Snapshot is a status snapshot file to colour the topology with.
	Snapshot string
	// Static holds the stylesheets and icons to fingerprint.
	Static fs.FS
	// Islands holds the TypeScript islands (see Islands).
	Islands fs.FS
	// Clean ignores the build cache (it is still refreshed for the next
	// build).
	Clean bool
	Log   *slog.Logger
	// CheckLab checks what lab.yaml holds for other parts of labfront:
	// the live: keys belong to the admin server's collector registry
	// (live.Kinds.CheckLab), which the generator does not import. Nil
	// checks nothing beyond lab's own rules.
	CheckLab func(*lab.Lab) error
	// AtRename, when set, is called just before and just after each
	// rename that publishes the build (the swap into Out, the cache
	// index), numbered from 1: a test hook, for stopping the process
	// at every one of them (see cmd/labfront's crash tests).
	AtRename func(n int, after bool)
	// exchange replaces the atomic directory swap in tests (see place).
	exchange func(a, b string) error
}

// Result summarises a finished build.
type Result struct {
	Files int
	Bytes int64
	Pages int
	// Rendered outputs went through their templates; Reused ones were
	// taken from the previous build by their key, without rendering.
	// Written is how many files got new bytes: the rest are the previous
	// build's, hard-linked.
	Rendered, Reused, Written int
	// ImagesProcessed is how many raster images were decoded and
	// encoded; the rest came from the build cache.
	ImagesProcessed int
	// CardsDrawn is how many social cards were drawn; the rest were
	// the previous build's files, unchanged (see cards.go).
	CardsDrawn int
	Duration   time.Duration
	// Warnings are what check would warn about; they did not stop the
	// build.
	Warnings diag.List
}

// output is one file of the site, rendered on demand so the render stage
// can spread the work over all cores and write as it goes.
type output struct {
	path   string // slash-separated, relative to the output root
	render func(ctx context.Context) ([]byte, error)
	// key, when set, fingerprints everything render reads besides
	// labfront itself; the build cache reuses the previous file when the
	// key is unchanged (see incremental.go). Computed by the render
	// workers, on all cores.
	key func() ([32]byte, error)
}

// plan is the assembled site: every output file and the assets.
type plan struct {
	site    *content.Site
	files   *sitefs.Site // the checkout, open until the build ends (pages read their bodies late)
	years   string       // the footer's span of years, see footerYears
	lab     *labSection  // nil when the site has no lab.yaml
	assets  *assets
	outputs []output
	// Lookups built once by indexPages before the pages are added.
	tags    map[string]*content.Tag
	entryOf map[*content.Page]templates.Entry
	// statics maps, per page, each link target that is a static file
	// to its fingerprinted URL (see checkLinks); pages without such
	// links have no entry.
	statics map[*content.Page]map[string]string
	// Raster images (see pictures.go): prevImages are the previous
	// build's Results by picture.CacheKey, images this build's; pictures
	// are by the URL path the original would have had, picBySrc by its
	// file; picsOf maps, per page, each image target to its picture.
	prevImages map[string]picture.Result
	images     map[string]picture.Result
	pictures   map[string]*picRef
	picBySrc   map[string]*picRef
	picsOf     map[*content.Page]map[string]*picRef
	// SVG resources by URL path, and per page the ones it shows as an
	// image, for their width and height (see svgSize).
	svgs      map[string]svgSize
	svgsOf    map[*content.Page]map[string]svgsafe.Size
	processed atomic.Int64 // images processed, see Result.ImagesProcessed
	// Link-preview pictures (see cards.go and covers.go): the card
	// renderer, the host cards show, the site card every page without
	// its own shows, and each page's cover.
	cards     *card.Renderer
	drawn     atomic.Int64 // cards drawn, see Result.CardsDrawn
	cardHost  string
	siteImage *templates.SocialImage
	covers    map[*content.Page]*picRef
	// nav is the header's links: site.yaml's nav, or the sections the
	// site has when it gives none (see defaultNav).
	nav []content.NavItem
	// unknown are URLs left out because their input has problems
	// (reported): a page, the lab pages, a refused image. See isUnknown.
	unknown []string
	// search is the site's search index (see search.go).
	search *siteSearch
	// warnings are the load's and assemble's warnings, for the caller
	// to show; a build with only warnings goes ahead.
	warnings diag.List
	scratch  sync.Pool // *bytes.Buffer for rendering pages (see html)
}

// Build runs every stage and swaps the result into opts.Out. A failure at
// any stage leaves the previous output untouched. Unless opts.Clean, it
// starts from the build cache beside opts.Out and refreshes it.
func Build(ctx context.Context, opts Options) (Result, error) {
	start := time.Now()
	// First, so that a build killed in the middle of the fallback swap
	// has its dist/ back even when this build then fails on its input.
	removeStale(opts.Out, opts.logger())
	dir := cacheDir(opts.Out)
	version, verr := opts.Cache.selfVersion()
	if verr != nil {
		opts.logger().Warn("build cache off: cannot fingerprint labfront itself", "err", verr)
	}
	ix := &buildIndex{Format: cacheFormat, Version: version, Outputs: map[string]outputRecord{}, dir: dir}
	if verr == nil && !opts.Clean {
		var err error
		if ix, err = loadIndex(dir, version); err != nil {
			opts.logger().Warn("build cache ignored", "err", err)
		}
	}
	pages := opts.Cache.pages()
	if pages == nil {
		pages = content.NewCache()
	}
	pages.Seed(ix.Pages)
	p, err := assemble(opts, pages, ix.Images)
	if err != nil {
		return Result{}, err
	}
	defer p.files.Close()
	rn := &renamer{hook: opts.AtRename, swap: opts.exchange}
	res, next, err := publish(ctx, opts.Out, p, ix, rn, opts.logger())
	if err != nil {
		return Result{}, err
	}
	res.ImagesProcessed = int(p.processed.Load())
	res.CardsDrawn = int(p.drawn.Load())
	res.Warnings = p.warnings
	if verr == nil {
		next.Pages = cachedPages(p.site)
		next.Images = p.images
		if err := next.save(rn); err != nil {
			// The site is built; only the next build loses its head start.
			opts.logger().Warn("build cache not saved", "dir", dir, "err", err)
		}
	}
	res.Duration = time.Since(start)
	opts.logger().Info("built site", "out", opts.Out, "files", res.Files, "pages", res.Pages, "bytes", res.Bytes,
		"rendered", res.Rendered, "written", res.Written, "reused", res.Reused, "images_processed", res.ImagesProcessed, "cards_drawn", res.CardsDrawn, "duration", res.Duration.Round(time.Millisecond))
	return res, nil
}

func (o Options) logger() *slog.Logger {
	if o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}

// Check runs the load and assemble stages only: everything `build` would
// reject, without writing anything. It has no build cache, so it
// processes every image (a refused one is reported like any problem).
// A site with no errors may still have warnings, which it returns; with
// errors, the returned diag.List holds the warnings too, in file order.
func Check(opts Options) (diag.List, error) {
	p, err := assemble(opts, opts.Cache.pages(), nil)
	if err != nil {
		return nil, err
	}
	return p.warnings, p.files.Close()
}

// assemble reads everything of the site through one sitefs view of the
// checkout (see package sitefs: no symlink out of it, no special file).
// opts.Static and opts.Islands come from the caller, which makes them with
// sitefs.Folder when they are the site's own.
func assemble(opts Options, pages *content.Cache, images map[string]picture.Result) (*plan, error) {
	files, err := sitefs.Open(opts.Src)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	p, err := assembleFiles(opts, pages, files, images)
	if err != nil {
		return nil, errors.Join(err, files.Close())
	}
	return p, nil
}

// assembleFiles runs the load and assemble stages. Input problems do not
// stop it: each stage goes on with what loaded (a page with problems is
// left out, a lab.yaml with problems leaves the lab pages out), and every
// problem of every stage comes back in one sorted diag.List, so one check
// shows them all. Links to what was left out for its own problems are
// not reported again as broken (see plan.unknown).
func assembleFiles(opts Options, pages *content.Cache, files *sitefs.Site, images map[string]picture.Result) (*plan, error) {
	site, probs, err := content.LoadAll(files, content.Options{Drafts: opts.Drafts, Cache: pages})
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if opts.BaseURL != "" {
		// The override goes where base_url goes (feeds, robots.txt), so
		// it passes the same check.
		if err := siteurl.Check(opts.BaseURL, siteurl.Absolute); err != nil {
			return nil, fmt.Errorf("--base-url: %w", err)
		}
		site.Config.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	}
	var unknown []string
	ls, err := loadLab(opts, files)
	if err != nil {
		l, ok := diag.As(err)
		if !ok {
			return nil, fmt.Errorf("load lab: %w", err)
		}
		probs.Append(l)
		unknown = append(unknown, labURLs...)
	}
	a, err := loadAssets(opts.Static)
	if err != nil {
		return nil, fmt.Errorf("assets: %w", err)
	}
	if err := a.addIslands(opts.Islands); err != nil {
		return nil, fmt.Errorf("scripts: %w", err)
	}
	cards, err := newCards(opts.Static)
	if err != nil {
		return nil, fmt.Errorf("cards: %w", err)
	}
	p := &plan{site: site, files: files, years: footerYears(site), lab: ls, assets: a, prevImages: images,
		cards: cards, cardHost: cardHost(site.Config.BaseURL)}
	p.unknown = append(unknown, site.Skipped...)
	p.indexPages()
	p.nav = defaultNav(site, ls != nil)
	p.addSiteCard()
	p.addPages()
	if err := p.addArchitecture(); err != nil {
		return nil, err
	}
	p.addStatus()
	if err := p.addSearch(opts); err != nil {
		return nil, err
	}
	p.addFeeds()
	p.addMeta()
	p.addWorker()
	for _, stage := range []func() error{p.addResources, p.resolveCovers, p.checkLinks, p.checkAliases} {
		err := stage()
		if err == nil {
			continue
		}
		l, ok := diag.As(err)
		if !ok {
			return nil, err
		}
		probs.Append(l)
	}
	p.checkFileCount(&probs)
	if err := probs.Err(); err != nil {
		return nil, err
	}
	p.warnings = probs.Warnings()
	return p, nil
}

// pagesFileLimit is how many files Cloudflare Pages takes in one
// deployment on its free plan. deploy reads the account's own limit from
// the upload token; the build cannot, so it warns at the common one.
const pagesFileLimit = 20000

// checkFileCount warns when the site has more files than one Pages
// deployment may hold: deploy would refuse it, and the operator is
// better told at check time, with the way out when cards are the cause.
func (p *plan) checkFileCount(probs *diag.List) {
	if msg := fileCountProblem(p.outputs, pagesFileLimit); msg != "" {
		probs.Warn(p.files.Display("content/site.yaml"), 0, "", "%s", msg)
	}
}

// fileCountProblem says why outputs are too many files for one
// deployment of at most limit, or "" when they are not.
func fileCountProblem(outputs []output, limit int) string {
	n, cards := 0, 0
	for _, o := range outputs {
		// _headers, _redirects and _worker.js go with the deployment,
		// not as files (deploy's Walk leaves them out).
		if strings.HasPrefix(o.path, "_") && !strings.Contains(o.path, "/") {
			continue
		}
		n++
		if strings.HasPrefix(o.path, cardsDir+"posts/") || strings.HasPrefix(o.path, cardsDir+"notes/") {
			cards++
		}
	}
	if n <= limit {
		return ""
	}
	msg := fmt.Sprintf("the site has %d files, more than the %d Cloudflare Pages takes in one deployment, so deploy will refuse it", n, limit)
	if cards > 0 && n-cards <= limit {
		msg += fmt.Sprintf("; %d of them are the social cards of posts and notes without a cover: page_cards: false in site.yaml lets those share the site's card (%d files then)", cards, n-cards)
	}
	return msg
}

// labURLs are the outputs made from lab.yaml: when it has problems they
// are left out, and links to them are not reported as broken on top.
var labURLs = []string{"/architecture/", "/status/", "/topology.json", "/snapshot.json"}

// isUnknown reports whether target is at or under a URL left out of the
// plan because its input has problems of its own.
func (p *plan) isUnknown(target string) bool {
	for _, u := range p.unknown {
		if target == u || strings.HasPrefix(target, u) && strings.HasSuffix(u, "/") || target+"/" == u {
			return true
		}
	}
	return false
}

// render hands every output to do, on twice as many workers as cores: a
// worker blocked in a file-system call (creating a directory or a file
// costs a journal update) leaves its core to one that is rendering.
func (p *plan) render(ctx context.Context, do func(ctx context.Context, o output) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan output)
	var wg sync.WaitGroup
	for range 2 * runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for o := range work {
				if err := do(ctx, o); err != nil {
					cancel(fmt.Errorf("render %s: %w", o.path, err))
				}
			}
		})
	}
feed:
	for _, o := range p.outputs {
		select {
		case work <- o:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return context.Cause(ctx)
}

// checkLinks reports every internal link or image in content that points at
// no file of the site, with the line it is on. Relative links resolve
// against the page's URL, which is where a bundle's files are published, so
// img/rack.png in a bundle's index.md finds /blog/<slug>/img/rack.png.
//
// A link to a static file by its own name (/photo.png for static/photo.png)
// resolves too: static files are only served fingerprinted, so the page
// links to /assets/photo.<hash>.png instead (see plan.body), which keeps
// working and stays immutable-cacheable. It records those rewrites.
func (p *plan) checkLinks() error {
	p.statics = map[*content.Page]map[string]string{}
	p.picsOf = map[*content.Page]map[string]*picRef{}
	p.svgsOf = map[*content.Page]map[string]svgsafe.Size{}
	files := make(map[string]bool, len(p.outputs)+len(p.assets.files))
	for _, o := range p.outputs {
		files["/"+o.path] = true
	}
	for _, f := range p.assets.files {
		files[f.url] = true
	}
	var probs diag.List
	for _, pages := range [][]*content.Page{p.site.Posts, p.site.Notes} {
		for _, pg := range pages {
			for _, l := range pg.Doc.Links {
				if l.Image && strings.TrimSpace(l.Alt) == "" {
					probs.Add(pg.Path, l.Line, "", "image without alt text: describe it for people who cannot see it (![what it shows](%s))", l.Dest)
				}
				target, ok := internalTarget(pg.URL(), l.Dest)
				if !ok {
					continue
				}
				if ref := p.pictures[target]; ref != nil {
					// Nothing is published at the original's URL: an
					// image shows its variants (see pictureMarkup), a
					// link opens the full-size one.
					if p.statics[pg] == nil {
						p.statics[pg] = map[string]string{}
					}
					if p.picsOf[pg] == nil {
						p.picsOf[pg] = map[string]*picRef{}
					}
					p.statics[pg][target] = ref.url(ref.res.Full())
					p.picsOf[pg][target] = ref
					continue
				}
				if svg, ok := p.svgs[target]; ok && l.Image {
					probs = append(probs, p.showSVG(pg, l.Line, target, svg)...)
					continue
				}
				if resolves(files, target) {
					continue
				}
				if asset := p.assets.url(strings.TrimPrefix(target, "/")); asset != "" {
					if p.statics[pg] == nil {
						p.statics[pg] = map[string]string{}
					}
					p.statics[pg][target] = asset
					continue
				}
				if p.isUnknown(target) {
					continue // its page, lab.yaml or file has problems, reported
				}
				probs.Add(pg.Path, l.Line, "", "broken link %s: %s", l.Dest, p.missing(pg, target))
			}
		}
	}
	return probs.Err()
}

// missing says why target is not there, naming the folder the file
// would be in when it is a bundle's or a media file.
func (p *plan) missing(pg *content.Page, target string) string {
	const none = "no page or file of the site has this URL"
	if rel, ok := strings.CutPrefix(target, "/media/"); ok {
		return fmt.Sprintf("no file %s/%s", p.files.Display(content.MediaDir), rel)
	}
	rel, ok := strings.CutPrefix(target, pg.URL())
	switch {
	case !ok || rel == "":
		return none
	case pg.Bundle != nil:
		return fmt.Sprintf("no file %s in the bundle %s", rel, p.files.Display(pg.Bundle.Dir))
	}
	return none + " (files beside a page need the page to be a bundle: a folder with an index.md)"
}

// internalTarget resolves a link destination against the page URL. It
// reports false for external links, fragments and destinations made unsafe
// (emptied) by the Markdown converter.
func internalTarget(pageURL, dest string) (string, bool) {
	if dest == "" || strings.HasPrefix(dest, "#") || strings.HasPrefix(dest, "//") || !markdown.SafeURL(dest) {
		return "", false
	}
	if i := strings.IndexAny(dest, ":"); i >= 0 && !strings.ContainsAny(dest[:i], "/?#") {
		return "", false // has a scheme
	}
	if i := strings.IndexAny(dest, "?#"); i >= 0 {
		dest = dest[:i]
	}
	if dest == "" {
		return "", false
	}
	// my%20photo.png names the file "my photo.png".
	if u, err := url.PathUnescape(dest); err == nil {
		dest = u
	}
	target := dest
	if !strings.HasPrefix(dest, "/") {
		target = path.Join(path.Dir(strings.TrimSuffix(pageURL, "/")+"/x"), dest)
		if strings.HasSuffix(dest, "/") {
			target += "/"
		}
	}
	return target, true
}

// resolves reports whether a URL path is served by one of the files, the
// way Cloudflare Pages serves them: /x/ and /x both find /x/index.html.
func resolves(files map[string]bool, target string) bool {
	if strings.HasSuffix(target, "/") {
		return files[target+"index.html"]
	}
	return files[target] || files[target+"/index.html"] || files[target+".html"]
}

// outputPaths lists the planned files, sorted; tests use it.
func (p *plan) outputPaths() []string {
	out := make([]string, 0, len(p.outputs))
	for _, o := range p.outputs {
		out = append(out, o.path)
	}
	slices.Sort(out)
	return out
}

// displayPath is how messages name a file under the source directory.
func displayPath(src, rel string) string { return filepath.ToSlash(filepath.Join(src, rel)) }
