// Command searchbench measures a built site's search in headless
// Chromium, side by side with Pagefind when the site also holds a
// Pagefind index (dist/pagefind/, made by `npx pagefind --site dist`):
// bytes fetched per query (compressed, as a CDN sends them) and the time
// from the query's last keystroke to its results, on a throttled phone
// profile. bench/search.sh runs it; it prints one line per measurement.
//
// The site is served from loopback with gzip for text files, as
// Cloudflare compresses them; Pagefind's own index files are compressed
// already and are served as they are. Every measurement starts in a fresh
// browser profile: nothing cached.
package main

import (
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "searchbench:", err)
		os.Exit(1)
	}
}

// profile is a device to measure on.
type profile struct {
	name string
	cpu  float64 // slowdown
	// latency in ms and throughput in bytes/s; zero latency is loopback.
	latency, down, up float64
}

// Lighthouse's mobile profile ("slow 4G", a mid-range phone): 150 ms RTT,
// 1.6 Mbit/s down, 750 kbit/s up, 4x CPU slowdown; and the same CPU on
// loopback, which leaves what the engine itself costs.
var profiles = []profile{
	{name: "phone-cpu", cpu: 4},
	{name: "phone-4g", cpu: 4, latency: 150, down: 1.6e6 / 8, up: 750e3 / 8},
}

func run(args []string) error {
	fl := flag.NewFlagSet("searchbench", flag.ContinueOnError)
	dist := fl.String("dist", "", "the built site (required)")
	queries := fl.String("queries", "proxmox backup,tunnel cloudflare,cluster latency", "comma-separated queries")
	chromium := fl.String("chromium", "/usr/bin/chromium", "Chromium to run")
	rounds := fl.Int("rounds", 3, "measurements per query, engine and profile (the median is printed)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *dist == "" {
		return errors.New("usage: searchbench -dist DIR [-queries a,b] [-rounds N]")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	counts := &sent{byPath: map[string]int64{}}
	srv := &http.Server{Handler: serve(*dist, counts), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		srv.Close()
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "searchbench: server:", err)
		}
	}()
	base := "http://" + ln.Addr().String()

	engines := []engine{labfront{}}
	if _, err := os.Stat(filepath.Join(*dist, "pagefind", "pagefind.js")); err == nil {
		engines = append(engines, pagefind{})
	}
	for _, q := range strings.Split(*queries, ",") {
		for _, pr := range profiles {
			for _, e := range engines {
				var times []float64
				var bytes, runtime int64
				var hits int
				for range *rounds {
					m, err := measure(*chromium, base, e, pr, q, counts)
					if err != nil {
						return fmt.Errorf("%s %q %s: %w", e.name(), q, pr.name, err)
					}
					times = append(times, m.ms)
					bytes, runtime, hits = m.queryBytes, m.runtimeBytes, m.hits
				}
				slices.Sort(times)
				fmt.Printf("engine=%s profile=%s query=%q first_results_ms=%.0f query_bytes=%d runtime_bytes=%d hits=%d\n",
					e.name(), pr.name, q, times[len(times)/2], bytes, runtime, hits)
			}
		}
	}
	return nil
}

// sent counts the bytes the server sends per path, as they go on the
// wire (compressed). The browser's resource timing cannot be trusted
// for this: it reports no size for what a worker fetches and zero for
// some fetches, while the server sees every byte. Measurements run one
// at a time, each in a fresh browser, so a reset between them is exact.
type sent struct {
	mu     sync.Mutex
	byPath map[string]int64
}

func (s *sent) add(path string, n int) {
	s.mu.Lock()
	s.byPath[path] += int64(n)
	s.mu.Unlock()
}

// take returns what was sent since the last take and starts again.
func (s *sent) take() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.byPath
	s.byPath = map[string]int64{}
	return m
}

type countingWriter struct {
	http.ResponseWriter
	path string
	sent *sent
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.sent.add(c.path, n)
	return n, err
}

// serve serves dist as a static host with pretty URLs, gzipping text,
// and counts what it sends.
func serve(dist string, counts *sent) http.Handler {
	files := http.FileServer(http.Dir(dist))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w = countingWriter{ResponseWriter: w, path: r.URL.Path, sent: counts}
		if r.URL.Path == "/__pagefind/" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!DOCTYPE html><html lang="en"><head><title>pagefind</title></head><body><main></main></body></html>`)
			return
		}
		ext := filepath.Ext(r.URL.Path)
		text := ext == ".json" || ext == ".js" || ext == ".css" || ext == ".html" || strings.HasSuffix(r.URL.Path, "/")
		w.Header().Set("Cache-Control", "no-store")
		if !text || !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			files.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		zw, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer zw.Close()
		files.ServeHTTP(gzipWriter{w, zw}, r)
	})
}

type gzipWriter struct {
	http.ResponseWriter
	zw *gzip.Writer
}

func (g gzipWriter) Write(b []byte) (int, error) { return g.zw.Write(b) }

func (g gzipWriter) WriteHeader(code int) {
	g.ResponseWriter.Header().Del("Content-Length")
	g.ResponseWriter.WriteHeader(code)
}

// measurement is one query on one engine and profile.
type measurement struct {
	ms           float64 // last keystroke (or call) to results
	queryBytes   int64   // index files fetched, as sent (compressed)
	runtimeBytes int64   // the engine's code: script (and wasm), as sent
	hits         int
}

type engine interface {
	name() string
	// open loads the page and waits until the engine is ready for a
	// query (its first files fetched); ask runs the query and returns
	// the milliseconds to results and their number.
	open(ctx context.Context, base string) error
	ask(ctx context.Context, q string) (float64, int, error)
	// runtime reports whether a fetched path is the engine's code, and
	// index whether it is its index.
	runtime(path string) bool
	index(path string) bool
}

func measure(chromium, base string, e engine, pr profile, q string, counts *sent) (measurement, error) {
	dir, err := os.MkdirTemp("", "searchbench-profile-")
	if err != nil {
		return measurement{}, err
	}
	defer os.RemoveAll(dir)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.UserDataDir(dir),
		chromedp.WindowSize(412, 915))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelT()
	if err := chromedp.Do(ctx); err != nil {
		return measurement{}, err
	}
	if _, err := chromedp.Call(ctx, emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: pr.cpu}); err != nil {
		return measurement{}, err
	}
	if pr.latency > 0 {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return measurement{}, err
		}
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Latency: pr.latency, DownloadThroughput: pr.down, UploadThroughput: pr.up}},
		}); err != nil {
			return measurement{}, err
		}
	}
	counts.take()
	if err := e.open(ctx, base); err != nil {
		return measurement{}, fmt.Errorf("open: %w", err)
	}
	ms, hits, err := e.ask(ctx, q)
	if err != nil {
		return measurement{}, fmt.Errorf("ask: %w", err)
	}
	m := measurement{ms: ms, hits: hits}
	for path, n := range counts.take() {
		switch {
		case e.runtime(path):
			m.runtimeBytes += n
		case e.index(path):
			m.queryBytes += n
		}
	}
	return m, nil
}

// labfront drives the real /search/ page: it types the query into the
// box and times the last keystroke's input event to the status line
// announcing that query's results.
type labfront struct{}

func (labfront) name() string { return "labfront" }

func (labfront) open(ctx context.Context, base string) error {
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/search/"), chromedp.WaitVisible(chromedp.CSS("#search-q"))); err != nil {
		return err
	}
	return poll(ctx, `performance.getEntriesByType('resource').some(e => e.name.includes('/search/meta.json') && e.responseEnd > 0)`)
}

func (labfront) ask(ctx context.Context, q string) (float64, int, error) {
	q = strings.TrimSpace(q)
	last := len(q) - 1
	for last > 0 && !utf8.RuneStart(q[last]) {
		last--
	}
	// A visitor types at a few keys a second: every keystroke's query
	// has its answer before the next key. So the query is typed up to
	// its last key and left to settle (its results shown), and the time
	// is that of the last key alone, from the key event to the status
	// line naming the whole query. Nothing polls the page meanwhile: a
	// CDP evaluation every few milliseconds took as much of the
	// throttled main thread as the search itself.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#search-q")), chromedp.SendKeys(chromedp.CSS("#search-q"), q[:last])); err != nil {
		return 0, 0, err
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](statusNames(q[:last]), chromedp.EvalAwaitPromise)); err != nil {
		return 0, 0, fmt.Errorf("typing %q: %w", q[:last], err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		window.__bench = {};
		const box = document.getElementById('search-q');
		// The keystroke's own time (when the browser got it), taken
		// in the capture phase: the island's listener on the box runs
		// before one added to the box after it, and with every file
		// it needs loaded it answers in that listener's microtasks.
		document.addEventListener('input', (e) => { if (e.target === box) window.__bench.input = e.timeStamp; }, true);
		window.__bench.shown = `+statusNames(q)+`.then(() => performance.now());
		return true;
	})()`)); err != nil {
		return 0, 0, err
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#search-q"), q[last:])); err != nil {
		return 0, 0, err
	}
	ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.__bench.shown.then(t => t - window.__bench.input)`, chromedp.EvalAwaitPromise))
	if err != nil {
		return 0, 0, err
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#search-results li').length`))
	return ms, n, err
}

// statusNames is a script whose promise resolves when the search page's
// status line announces the results of query q (and at once if it does
// already), or rejects after 60 s.
func statusNames(q string) string {
	return `new Promise((resolve, reject) => {
		const want = '“' + ` + jsQuote(strings.TrimSpace(q)) + ` + '”';
		const status = document.getElementById('search-status');
		if (status.textContent.includes(want)) return resolve(true);
		const timer = setTimeout(() => reject(new Error('no results announced for ' + want)), 60000);
		new MutationObserver((_, obs) => {
			if (!status.textContent.includes(want)) return;
			obs.disconnect();
			clearTimeout(timer);
			resolve(true);
		}).observe(status, {childList: true, characterData: true, subtree: true});
	})`
}

func (labfront) runtime(p string) bool {
	return strings.HasPrefix(p, "/assets/search.") && strings.HasSuffix(p, ".js")
}
func (labfront) index(p string) bool {
	return strings.HasPrefix(p, "/search/") && strings.HasSuffix(p, ".json")
}

// pagefind uses Pagefind's JavaScript API, as its own UI does: init on
// load, then search and load the first ten results' data.
type pagefind struct{}

func (pagefind) name() string { return "pagefind" }

func (pagefind) open(ctx context.Context, base string) error {
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/__pagefind/"), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
		return err
	}
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(async () => {
		window.__pf = await import('/pagefind/pagefind.js');
		await window.__pf.init();
		return true;
	})()`, chromedp.EvalAwaitPromise))
	return err
}

func (pagefind) ask(ctx context.Context, q string) (float64, int, error) {
	type out struct {
		MS   float64 `json:"ms"`
		Hits int     `json:"hits"`
	}
	// As for labfront: the query up to its last key first, as
	// Pagefind's own UI searches while the visitor types, then the time
	// of the whole query.
	q = strings.TrimSpace(q)
	last := len(q) - 1
	for last > 0 && !utf8.RuneStart(q[last]) {
		last--
	}
	o, err := chromedp.Run(ctx, chromedp.Evaluate[out](`(async () => {
		const before = await window.__pf.search(`+jsQuote(q[:last])+`);
		await Promise.all(before.results.slice(0, 10).map(x => x.data()));
		const t0 = performance.now();
		const r = await window.__pf.search(`+jsQuote(q)+`);
		const data = await Promise.all(r.results.slice(0, 10).map(x => x.data()));
		return {ms: performance.now() - t0, hits: data.length};
	})()`, chromedp.EvalAwaitPromise))
	return o.MS, o.Hits, err
}

func (pagefind) runtime(p string) bool {
	return strings.HasPrefix(p, "/pagefind/") && (strings.HasSuffix(p, ".js") || strings.Contains(p, "wasm"))
}
func (pagefind) index(p string) bool {
	return strings.HasPrefix(p, "/pagefind/") && !strings.HasSuffix(p, ".js") && !strings.Contains(p, "wasm")
}

func poll(ctx context.Context, cond string) error {
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("waited 60 s for %s", cond)
}

func jsQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
