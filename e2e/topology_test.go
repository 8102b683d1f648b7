package e2e

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/labfront/labfront/internal/testkit/sitetest"
)

// The topology graph as a browser draws it: these tests measure the
// rendered labels, in the real fonts, against the layout's promises
// (internal/topology checks the same from the layout's own geometry).

// labelBoxes is a script that returns every node label of the drawing
// sel as it is on screen: its text, its font size in CSS pixels after the
// drawing's scaling, and its box in CSS pixels.
const labelBoxes = `((sel) => [...document.querySelectorAll(sel + ' a.node text')].map((t) => {
	const r = t.getBoundingClientRect();
	return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
		x0: r.left, y0: r.top, x1: r.right, y1: r.bottom};
}))`

type screenLabel struct {
	Text           string
	Px             float64
	X0, Y0, X1, Y1 float64
}

func (a screenLabel) overlaps(b screenLabel) bool {
	return min(a.X1, b.X1) > max(a.X0, b.X0) && min(a.Y1, b.Y1) > max(a.Y0, b.Y0)
}

// TestTopologyOnAPhone: at 390 px the page shows the narrow drawing, not
// the wide one, and every node label is at least 11 CSS px (the smallest
// text the rest of the page uses, .72rem chips aside) with no two labels
// overlapping, all without pinching: the page does not scroll sideways.
func TestTopologyOnAPhone(t *testing.T) {
	srv := pagesServer(t, buildExample(t))
	for _, w := range []int64{390, 360} {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			ctx := browser(t)
			do(t, ctx, chromedp.EmulateViewport(w, 844, chromedp.EmulateMobile), chromedp.Navigate(srv.URL+"/architecture/"))
			if !js[bool](t, ctx, `getComputedStyle(document.querySelector('svg.topology-wide')).display === 'none' && getComputedStyle(document.querySelector('svg.topology-narrow')).display !== 'none'`) {
				t.Fatal("the phone is not shown the narrow drawing alone")
			}
			labels := js[[]screenLabel](t, ctx, labelBoxes+`('svg.topology-narrow')`)
			if n := js[int](t, ctx, `document.querySelectorAll('svg.topology-wide a.node').length`); len(labels) != n || n < 20 {
				t.Fatalf("%d labels in the narrow drawing, %d nodes in the wide one", len(labels), n)
			}
			for i, a := range labels {
				if a.Px < 11 {
					t.Errorf("%q is drawn at %.1f px", a.Text, a.Px)
				}
				if a.X1 > float64(w) || a.X0 < 0 {
					t.Errorf("%q runs off the screen (%.0f–%.0f)", a.Text, a.X0, a.X1)
				}
				for _, b := range labels[i+1:] {
					if a.overlaps(b) {
						t.Errorf("labels %q and %q overlap", a.Text, b.Text)
					}
				}
			}
			if sw := js[int](t, ctx, `document.documentElement.scrollWidth`); sw > int(w) {
				t.Errorf("the page is %d px wide on a %d px screen", sw, w)
			}
		})
	}
}

// TestTopologyOnADesktop: in the wide drawing no link runs through a
// label and no two labels overlap, measured with getBBox in the drawing's
// own units, with the fonts the browser really used. The same check on a
// link drawn on purpose through a label must see it.
func TestTopologyOnADesktop(t *testing.T) {
	srv := pagesServer(t, buildExample(t))
	ctx := browser(t)
	do(t, ctx, chromedp.EmulateViewport(1366, 900), chromedp.Navigate(srv.URL+"/architecture/"))
	type result struct {
		Labels, Links int
		Overlaps      []string
		Crossings     []string
		Control       bool
		Px            float64
	}
	r := js[result](t, ctx, `(() => {
		const svg = document.querySelector('svg.topology-wide');
		// Liang–Barsky: does the segment pass through the box's inside?
		const crosses = (x1, y1, x2, y2, b) => {
			let t0 = 0, t1 = 1;
			const dx = x2 - x1, dy = y2 - y1;
			for (const [p, q] of [[-dx, x1 - b.x], [dx, b.x + b.width - x1], [-dy, y1 - b.y], [dy, b.y + b.height - y1]]) {
				if (p === 0) { if (q <= 0) return false; continue; }
				const r = q / p;
				if (p < 0) t0 = Math.max(t0, r); else t1 = Math.min(t1, r);
				if (t0 >= t1) return false;
			}
			return (t1 - t0) * Math.hypot(dx, dy) > 1e-6;
		};
		const labels = [...svg.querySelectorAll('a.node text')].map((t) => ({name: t.textContent, b: t.getBBox()}));
		const links = [...svg.querySelectorAll('line.link')].map((l) => ({name: l.dataset.from + '–' + l.dataset.to,
			c: ['x1', 'y1', 'x2', 'y2'].map((a) => parseFloat(l.getAttribute(a)))}));
		const overlaps = [], crossings = [];
		labels.forEach((a, i) => labels.slice(i + 1).forEach((b) => {
			if (Math.min(a.b.x + a.b.width, b.b.x + b.b.width) > Math.max(a.b.x, b.b.x) &&
				Math.min(a.b.y + a.b.height, b.b.y + b.b.height) > Math.max(a.b.y, b.b.y)) overlaps.push(a.name + ' / ' + b.name);
		}));
		for (const l of links) for (const a of labels) if (crosses(...l.c, a.b)) crossings.push(l.name + ' through ' + a.name);
		const b = labels[0].b;
		const t = svg.querySelector('a.node text');
		return {labels: labels.length, links: links.length, overlaps, crossings,
			control: crosses(b.x - 5, b.y + b.height / 2, b.x + b.width + 5, b.y + b.height / 2, b),
			px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a};
	})()`)
	if r.Labels < 20 || r.Links < 20 {
		t.Fatalf("measured %d labels and %d links", r.Labels, r.Links)
	}
	if !r.Control {
		t.Fatal("a line drawn through a label was not seen to cross it: the check is blind")
	}
	for _, o := range r.Overlaps {
		t.Errorf("labels overlap: %s", o)
	}
	for _, c := range r.Crossings {
		t.Errorf("link runs through a label: %s", c)
	}
	if r.Px < 11 {
		t.Errorf("desktop labels are %.1f px", r.Px)
	}
}

// TestArchitectureDoesNotShift: loading /architecture/, the island
// starting, its data and the status arriving shift nothing: CLS is 0 on a
// phone and a desktop. The harness sees a shift when one is made: the
// controls taken out of the layout until the island shows them (as the
// page once did) shift the graph.
func TestArchitectureDoesNotShift(t *testing.T) {
	srv := pagesServer(t, buildExample(t))
	measure := func(t *testing.T, w, h int64, mobile bool, before string) clsResult {
		ctx := sitetest.Browser(t)
		opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
		if mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		do(t, ctx, chromedp.EmulateViewport(w, h, opts...))
		if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: clsObserver + before}); err != nil {
			t.Fatal(err)
		}
		do(t, ctx, chromedp.Navigate(srv.URL+"/architecture/"))
		// (The last term waits out the control case's late controls.)
		waitJS(t, ctx, `!!document.querySelector('figure.topology-figure.is-interactive.has-data') && document.querySelector('.topology-live').textContent !== '' &&
			document.querySelector('.topology-controls').style.display !== 'none'`, "the island, its data and the status")
		// Two frames for the last changes to be laid out and reported.
		do(t, ctx, chromedp.Evaluate[chromedp.Void](`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise))
		save(t, ctx, filepath.Join(t.ArtifactDir(), fmt.Sprintf("architecture-%d.jpg", w)))
		return get(t, ctx, chromedp.Evaluate[clsResult](`window.__cls`))
	}
	for _, v := range []struct {
		name   string
		w, h   int64
		mobile bool
	}{{"phone", 390, 844, true}, {"desktop", 1366, 900, false}} {
		t.Run(v.name, func(t *testing.T) {
			if got := measure(t, v.w, v.h, v.mobile, ""); got.Total != 0 {
				t.Errorf("CLS = %v, want 0; shifts: %q", got.Total, got.Shifts)
			}
		})
	}
	t.Run("controls out of the layout shift it", func(t *testing.T) {
		// From the first byte: each .needs-js element takes no room until
		// a while after the island clears the class, as when the controls
		// were hidden and a slow phone painted before the island ran.
		hide := `new MutationObserver((records) => { for (const r of records) for (const e of r.addedNodes) {
			if (!(e instanceof HTMLElement) || !e.classList.contains('needs-js')) continue;
			e.style.display = 'none';
			new MutationObserver(() => { if (!e.classList.contains('needs-js')) setTimeout(() => { e.style.display = ''; }, 300); }).observe(e, {attributes: true});
		} }).observe(document, {childList: true, subtree: true});`
		got := measure(t, 1366, 900, false, hide)
		if got.Total <= 0 {
			t.Errorf("CLS = %v with the controls appearing late: the harness cannot see a layout shift", got.Total)
		}
		t.Logf("controls appearing late: CLS %.4f, shifts %q", got.Total, got.Shifts)
	})
}
