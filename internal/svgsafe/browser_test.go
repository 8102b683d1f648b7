package svgsafe

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// hits counts the requests payloads make to /…/hit/NAME.
type hits struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *hits) get(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[path]
}

// TestBrowser opens every hostile SVG as a top-level page — the worst
// case: an <img> never runs script, a document does — in headless
// Chromium. Each live payload must call home from the raw file (so the
// harness is shown to catch a payload that works), and must not from the
// sanitised file. Sanitised benign files must render as SVG documents.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	sitetest.Chromium(t) // skip before the fixtures when there is none
	h := &hits{n: map[string]int{}}
	docs := map[string][]byte{}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/hit/") {
			h.mu.Lock()
			h.n[r.URL.Path]++
			h.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return
		}
		doc, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		if _, err := w.Write(doc); err != nil {
			t.Errorf("serve %s: %v", r.URL.Path, err)
		}
	})
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	defer srv.Close()

	for _, c := range hostiles {
		docs["/raw/"+c.name+".svg"] = []byte(payload(c, srv.URL+"/raw"))
		if c.line == 0 {
			res, err := Sanitize(c.name, []byte(payload(c, srv.URL+"/safe")))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			docs["/safe/"+c.name+".svg"] = res.SVG
		}
	}
	benign, err := filepath.Glob(filepath.Join("testdata", "benign", "*.golden.svg"))
	if err != nil || len(benign) == 0 {
		t.Fatalf("no benign goldens: %v", err)
	}
	for _, p := range benign {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		docs["/benign/"+filepath.Base(p)] = b
	}

	ctx := sitetest.Browser(t)

	// open loads a document and lets it run: the load event (which waits
	// for scripts, style sheets and images), then two animation frames,
	// in which SMIL animations begin and fire their events.
	open := func(t *testing.T, url string) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx,
			chromedp.Navigate(url),
			chromedp.Evaluate[chromedp.Void](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r())))`, chromedp.EvalAwaitPromise),
		); err != nil {
			t.Fatalf("open %s: %v", url, err)
		}
	}

	for _, c := range hostiles {
		if !c.live && c.line != 0 {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			if c.live {
				open(t, srv.URL+"/raw/"+c.name+".svg")
				if h.get("/raw/hit/"+c.name) == 0 {
					t.Errorf("the raw payload did not run: the case is not live, or the harness cannot see a payload")
				}
			}
			if c.line == 0 {
				open(t, srv.URL+"/safe/"+c.name+".svg")
				if n := h.get("/safe/hit/" + c.name); n != 0 {
					t.Errorf("the sanitised SVG ran its payload (%d hits)", n)
				}
			}
		})
	}
	for _, p := range benign {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			open(t, srv.URL+"/benign/"+name)
			tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			ok, err := chromedp.Run(tctx, chromedp.Evaluate[bool](`document.documentElement.namespaceURI === "http://www.w3.org/2000/svg" && document.documentElement.localName === "svg" && document.getElementsByTagName("parsererror").length === 0 && document.documentElement.getBBox().width > 0`))
			if err != nil || !ok {
				t.Errorf("the sanitised file does not render as an SVG document: %v", err)
			}
		})
	}
}
