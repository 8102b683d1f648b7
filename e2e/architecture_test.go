package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The topology island on /architecture/ (web/ts/topology.ts): these tests
// drive it as a visitor would, with the real CSP of the built site.

// archPage builds the example, opens /architecture/ and waits until the
// island has run and its data has arrived.
func archPage(t *testing.T) (context.Context, *consoleErrors) {
	t.Helper()
	srv := pagesServer(t, buildExample(t))
	ctx := browser(t)
	console := watchConsole(ctx)
	do(t, ctx, chromedp.Navigate(srv.URL+"/architecture/"))
	waitJS(t, ctx, `!!document.querySelector('figure.topology-figure.is-interactive.has-data')`, "the island to start and load /topology.json")
	return ctx, console
}

// waitJS polls a JavaScript condition until it is true. It polls from Go:
// chromedp.Poll runs its loop in the page, which stops with scripts off.
func waitJS(t *testing.T, ctx context.Context, cond, what string) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(25 * time.Millisecond) {
		if js[bool](t, ctx, cond) {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("waited 5s for %s", what)
		}
	}
}

func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return get(t, ctx, chromedp.Evaluate[T](expr))
}

// point is where an element's centre is on screen, after scrolling the
// graph into view without the page's smooth scrolling.
func point(t *testing.T, ctx context.Context, sel string) (x, y float64) {
	t.Helper()
	p := js[[]float64](t, ctx, fmt.Sprintf(`(() => {
		document.querySelector('.topology-figure').scrollIntoView({block: 'center', behavior: 'instant'});
		const r = document.querySelector(%q).getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2];
	})()`, sel))
	return p[0], p[1]
}

// emptyPoint finds a spot on the graph's background, away from every node
// and link.
func emptyPoint(t *testing.T, ctx context.Context) (x, y float64) {
	t.Helper()
	p := js[[]float64](t, ctx, `(() => {
		const svg = document.querySelector('svg.topology-svg');
		svg.scrollIntoView({block: 'center', behavior: 'instant'});
		const r = svg.getBoundingClientRect();
		for (let fy = .5; fy < .95; fy += .07) for (let fx = .5; fx < .95; fx += .05) {
			const x = r.left + r.width * fx, y = r.top + r.height * fy;
			let clear = true;
			for (let dx = -12; dx <= 12 && clear; dx += 6) for (let dy = -12; dy <= 12 && clear; dy += 6)
				clear = document.elementFromPoint(x + dx, y + dy) === svg;
			if (clear) return [x, y];
		}
		return [];
	})()`)
	if len(p) != 2 {
		t.Fatal("found no empty spot on the graph")
	}
	return p[0], p[1]
}

func drag(x0, y0, x1, y1 float64) chromedp.Action[chromedp.Void] {
	left := chromedp.ButtonType(input.MouseButtonLeft)
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MouseMoved, x0, y0), chromedp.MouseEvent(chromedp.MousePressed, x0, y0, left, chromedp.ClickCount(1))}
	for i := 1; i <= 8; i++ {
		f := float64(i) / 8
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, x0+(x1-x0)*f, y0+(y1-y0)*f, left))
	}
	steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, x1, y1, left, chromedp.ClickCount(1)))
	return chromedp.Steps(steps...)
}

func viewBox(t *testing.T, ctx context.Context) string {
	t.Helper()
	return js[string](t, ctx, `document.querySelector('svg.topology-svg').getAttribute('viewBox')`)
}

func TestArchitectureNodePanel(t *testing.T) {
	ctx, console := archPage(t)

	if !js[bool](t, ctx, `document.querySelector('.node-panel').hidden`) {
		t.Error("the details panel is visible before any node is selected")
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`a.node[data-id="pve-io"] .shape`)))
	waitJS(t, ctx, `!document.querySelector('.node-panel').hidden`, "the panel to open")
	if title := get(t, ctx, chromedp.Text(chromedp.CSS(".node-panel .panel-title"))); !strings.HasPrefix(title, "pve-io") {
		t.Errorf("panel title = %q, want pve-io", title)
	}
	if hash := js[string](t, ctx, `location.hash`); hash != "" {
		t.Errorf("clicking a node navigated to %q; the island should open the panel instead", hash)
	}
	if !js[bool](t, ctx, `document.querySelector('a.node[data-id="pve-io"]').classList.contains('is-selected')`) {
		t.Error("pve-io is not marked .is-selected")
	}
	panel := get(t, ctx, chromedp.TextContent(chromedp.CSS(".node-panel")))
	for _, want := range []string{"Hypervisor", "Jove", "Intel Core i9-12900K", "64 GB", "Servers (VLAN 10)", "10.10.0.0/24", "Proxmox VE", "Full details"} {
		if !strings.Contains(panel, want) {
			t.Errorf("panel does not show %q:\n%s", want, panel)
		}
	}
	if href := js[string](t, ctx, `document.querySelector('.node-panel .panel-more').getAttribute('href')`); href != "#node-pve-io" {
		t.Errorf("full-details link = %q", href)
	}
	n := js[int](t, ctx, `document.querySelectorAll('.node-panel button.panel-link').length`)
	if want := js[int](t, ctx, `document.querySelectorAll('#node-pve-io .connections li').length`); n == 0 || n != want {
		t.Fatalf("panel lists %d connections, the static details %d", n, want)
	}
	// Hovering the selected node's neighbourhood dims the rest.
	if dimmed := js[int](t, ctx, `document.querySelectorAll('a.node.is-dimmed').length`); dimmed == 0 {
		t.Error("no node is dimmed around the selection")
	}

	// A connection selects that neighbour.
	next := js[string](t, ctx, `document.querySelector('.node-panel button.panel-link').dataset.node`)
	name := get(t, ctx, chromedp.Text(chromedp.CSS(".node-panel button.panel-link .panel-link-name")))
	do(t, ctx, chromedp.Click(chromedp.CSS(".node-panel button.panel-link")))
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector('a.node[data-id=%q]').classList.contains('is-selected')`, next), "the neighbour to be selected")
	if title := get(t, ctx, chromedp.Text(chromedp.CSS(".node-panel .panel-title"))); !strings.HasPrefix(title, name) {
		t.Errorf("after following the connection the panel shows %q, want %q", title, name)
	}
	if js[bool](t, ctx, `document.querySelector('a.node[data-id="pve-io"]').classList.contains('is-selected')`) {
		t.Error("pve-io is still selected")
	}

	// Clicking the background clears the selection.
	x, y := emptyPoint(t, ctx)
	do(t, ctx, chromedp.MouseClickXY(x, y))
	waitJS(t, ctx, `document.querySelector('.node-panel').hidden && !document.querySelector('a.node.is-selected')`, "a background click to clear the selection")
	console.check(t)
}

func TestArchitectureSiteFilter(t *testing.T) {
	ctx, console := archPage(t)
	status := get(t, ctx, chromedp.Text(chromedp.CSS(".topology-status")))
	if status == "" {
		t.Fatal("no live region with the count of shown nodes")
	}
	if role := js[string](t, ctx, `document.querySelector('.topology-status').getAttribute('role')`); role != "status" {
		t.Errorf("the count's role = %q, want status", role)
	}

	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.querySelector('select[data-filter="site"]');
		s.value = 'kronos';
		s.dispatchEvent(new Event('change', {bubbles: true}));
	})()`))
	// Every Jove node is gone, every Kronos node and cloud service stays.
	res := js[map[string]int](t, ctx, `(() => {
		const r = {jove: 0, joveShown: 0, kronos: 0, kronosShown: 0, cloudShown: 0, links: 0, linksShown: 0};
		for (const a of document.querySelectorAll('svg.topology-wide a.node')) {
			const shown = a.getBoundingClientRect().width > 0 && getComputedStyle(a).display !== 'none';
			const site = a.dataset.site || 'cloud';
			r[site] = (r[site] || 0) + 1;
			if (shown) r[site + 'Shown'] = (r[site + 'Shown'] || 0) + 1;
		}
		for (const l of document.querySelectorAll('.topology-svg line.link')) {
			r.links++;
			if (l.getBoundingClientRect().width + l.getBoundingClientRect().height > 0 && getComputedStyle(l).display !== 'none') r.linksShown++;
		}
		return r;
	})()`)
	if res["jove"] == 0 || res["kronos"] == 0 {
		t.Fatalf("the example has no nodes at jove or kronos: %v", res)
	}
	if res["joveShown"] != 0 {
		t.Errorf("%d of %d jove nodes are still visible with the kronos filter", res["joveShown"], res["jove"])
	}
	if res["kronosShown"] != res["kronos"] {
		t.Errorf("%d of %d kronos nodes are visible with the kronos filter", res["kronosShown"], res["kronos"])
	}
	if res["cloudShown"] == 0 {
		t.Error("the cloud services (no site) were hidden by the site filter")
	}
	if res["linksShown"] == 0 || res["linksShown"] == res["links"] {
		t.Errorf("%d of %d links shown: links to hidden nodes should hide, the rest stay", res["linksShown"], res["links"])
	}
	if !js[bool](t, ctx, `[...document.querySelectorAll('a.node[data-site="jove"]')].every(a => a.classList.contains('is-hidden'))`) {
		t.Error("jove nodes lack .is-hidden")
	}
	// The phone's drawing filters alike, out of sight or not.
	if !js[bool](t, ctx, `(() => { const n = [...document.querySelectorAll('svg.topology-narrow a.node[data-site="jove"]')];
		return n.length > 0 && n.every(a => a.classList.contains('is-hidden')); })()`) {
		t.Error("the narrow drawing's jove nodes lack .is-hidden")
	}
	after := get(t, ctx, chromedp.Text(chromedp.CSS(".topology-status")))
	want := fmt.Sprintf("Showing %d of %d nodes", res["kronos"]+res["cloud"], res["jove"]+res["kronos"]+res["cloud"])
	if after == status || !strings.Contains(after, want) {
		t.Errorf("live region after filtering = %q (before: %q), want it to say %q", after, status, want)
	}

	// Unticking a link type hides exactly those links.
	do(t, ctx, chromedp.Click(chromedp.CSS(`input[data-filter="link"][value="lan"]`)))
	if n := js[int](t, ctx, `[...document.querySelectorAll('.topology-svg line.link.l-lan')].filter(l => getComputedStyle(l).display !== 'none').length`); n != 0 {
		t.Errorf("%d LAN links still visible after unticking LAN", n)
	}

	// Reset brings everything back.
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[data-zoom="reset"]`)))
	if n := js[int](t, ctx, `document.querySelectorAll('.topology-svg .is-hidden').length`); n != 0 {
		t.Errorf("%d elements still hidden after Reset", n)
	}
	if v := js[string](t, ctx, `document.querySelector('select[data-filter="site"]').value`); v != "" {
		t.Errorf("site filter = %q after Reset", v)
	}
	console.check(t)
}

func TestArchitectureKeyboard(t *testing.T) {
	ctx, console := archPage(t)
	if ti := js[string](t, ctx, `document.querySelector('svg.topology-svg').getAttribute('tabindex')`); ti != "0" {
		t.Errorf("svg tabindex = %q, want 0", ti)
	}
	if n := js[int](t, ctx, `document.querySelectorAll('a.node[tabindex="-1"]').length`); n != 0 {
		t.Errorf("%d nodes were taken out of the tab order", n)
	}

	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(), window.scrollTo(0, 0)`))
	found := false
	for i := 0; i < 80 && !found; i++ {
		do(t, ctx, chromedp.KeyEvent(kb.Tab))
		found = js[bool](t, ctx, `document.activeElement.matches('a.node')`)
	}
	if !found {
		t.Fatal("80 presses of Tab never reached a node of the graph")
	}
	id := js[string](t, ctx, `document.activeElement.dataset.id`)

	// The pan and zoom keys work with a node focused.
	vb0 := viewBox(t, ctx)
	do(t, ctx, chromedp.KeyEvent("+"))
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector('svg.topology-svg').getAttribute('viewBox') !== %q`, vb0), "+ to zoom in")
	time.Sleep(300 * time.Millisecond)
	zoomed := viewBox(t, ctx)
	do(t, ctx, chromedp.KeyEvent(kb.ArrowRight))
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector('svg.topology-svg').getAttribute('viewBox') !== %q`, zoomed), "an arrow key to pan")
	if w0, w1 := vbField(t, vb0, 2), vbField(t, zoomed, 2); w1 >= w0 {
		t.Errorf("+ did not zoom in: viewBox width %v → %v", w0, w1)
	}

	do(t, ctx, chromedp.KeyEvent(kb.Enter))
	waitJS(t, ctx, `!document.querySelector('.node-panel').hidden`, "Enter to open the panel")
	name := js[string](t, ctx, fmt.Sprintf(`document.querySelector('a.node[data-id=%q] text').textContent`, id))
	if title := get(t, ctx, chromedp.Text(chromedp.CSS(".node-panel .panel-title"))); !strings.HasPrefix(title, name) {
		t.Errorf("Enter on %s opened the panel for %q", id, title)
	}
	if hash := js[string](t, ctx, `location.hash`); hash != "" {
		t.Errorf("Enter on a node navigated to %q", hash)
	}

	// Escape closes it and gives the focus back to the node.
	do(t, ctx, chromedp.KeyEvent(kb.Escape))
	waitJS(t, ctx, `document.querySelector('.node-panel').hidden`, "Escape to close the panel")
	if got := js[string](t, ctx, `document.activeElement.dataset.id || document.activeElement.tagName`); got != id {
		t.Errorf("after Escape the focus is on %q, want the node %q", got, id)
	}

	// 0 resets the view.
	do(t, ctx, chromedp.KeyEvent("0"))
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector('svg.topology-svg').getAttribute('viewBox') === %q`, vb0), "0 to reset the view")
	console.check(t)
}

func vbField(t *testing.T, vb string, i int) float64 {
	t.Helper()
	f := strings.Fields(vb)
	if len(f) != 4 {
		t.Fatalf("viewBox %q", vb)
	}
	v, err := strconv.ParseFloat(f[i], 64)
	if err != nil {
		t.Fatalf("viewBox %q: %v", vb, err)
	}
	return v
}

func TestArchitectureZoomAndPan(t *testing.T) {
	ctx, console := archPage(t)
	vb0 := viewBox(t, ctx)
	if vb0 == "" {
		t.Fatal("the svg has no viewBox")
	}

	// The zoom buttons.
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[data-zoom="in"]`)))
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector('svg.topology-svg').getAttribute('viewBox') !== %q`, vb0), "zoom in to change the viewBox")
	time.Sleep(300 * time.Millisecond) // let the glide end
	in := viewBox(t, ctx)
	if vbField(t, in, 2) >= vbField(t, vb0, 2) {
		t.Errorf("zoom in widened the viewBox: %q → %q", vb0, in)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[data-zoom="out"]`)), chromedp.Click(chromedp.CSS(`button[data-zoom="out"]`)))
	time.Sleep(300 * time.Millisecond)
	if out := viewBox(t, ctx); vbField(t, out, 2) <= vbField(t, in, 2) {
		t.Errorf("zoom out did not widen the viewBox: %q → %q", in, out)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[data-zoom="reset"]`)))
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector('svg.topology-svg').getAttribute('viewBox') === %q`, vb0), "Reset to restore the viewBox")

	// The wheel zooms around the pointer: the point under it stays put.
	x, y := emptyPoint(t, ctx)
	under := `((x, y) => { const s = document.querySelector('svg.topology-svg'); const m = s.getScreenCTM().inverse(); const p = new DOMPoint(x, y).matrixTransform(m); return [p.x, p.y]; })`
	before := js[[]float64](t, ctx, fmt.Sprintf(`%s(%v, %v)`, under, x, y))
	do(t, ctx, chromedp.MouseEvent(chromedp.MouseWheel, x, y, func(p *input.DispatchMouseEventParams) {
		p.DeltaY = -300
		p.DeltaX = 1e-6 // Chromium requires deltaX, and cdproto omits a zero
	}))
	waitJS(t, ctx, fmt.Sprintf(`document.querySelector('svg.topology-svg').getAttribute('viewBox') !== %q`, vb0), "the wheel to zoom")
	wheeled := viewBox(t, ctx)
	if vbField(t, wheeled, 2) >= vbField(t, vb0, 2) {
		t.Errorf("wheel up did not zoom in: %q", wheeled)
	}
	after := js[[]float64](t, ctx, fmt.Sprintf(`%s(%v, %v)`, under, x, y))
	if d := abs(after[0]-before[0]) + abs(after[1]-before[1]); d > 2 {
		t.Errorf("the point under the pointer moved by %.1f units while zooming: %v → %v", d, before, after)
	}

	// Dragging the background pans.
	x, y = emptyPoint(t, ctx)
	do(t, ctx, drag(x, y, x-120, y-60))
	panned := viewBox(t, ctx)
	if vbField(t, panned, 0) <= vbField(t, wheeled, 0) || vbField(t, panned, 1) <= vbField(t, wheeled, 1) {
		t.Errorf("dragging the background left and up did not pan right and down: %q → %q", wheeled, panned)
	}
	if !js[bool](t, ctx, `document.querySelector('.node-panel').hidden`) {
		t.Error("a pan opened the panel")
	}
	console.check(t)
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestArchitectureDragNode(t *testing.T) {
	ctx, console := archPage(t)
	const id = "workstation"
	lines := fmt.Sprintf(`[...document.querySelectorAll('line[data-from=%q], line[data-to=%q]')].map(l => [l.x1.baseVal.value, l.y1.baseVal.value, l.x2.baseVal.value, l.y2.baseVal.value].join(' '))`, id, id)
	before := js[[]string](t, ctx, lines)
	if len(before) == 0 {
		t.Fatalf("%s has no links", id)
	}
	centre := fmt.Sprintf(`(() => { const r = document.querySelector('a.node[data-id=%q] .shape').getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`, id)
	x, y := point(t, ctx, fmt.Sprintf(`a.node[data-id=%q] .shape`, id))
	do(t, ctx, drag(x, y, x+70, y+50))

	if tr := js[string](t, ctx, fmt.Sprintf(`document.querySelector('a.node[data-id=%q]').getAttribute('transform') || ''`, id)); !strings.HasPrefix(tr, "translate(") {
		t.Fatalf("the dragged node has transform %q", tr)
	}
	if c := js[[]float64](t, ctx, centre); abs(c[0]-(x+70)) > 3 || abs(c[1]-(y+50)) > 3 {
		t.Errorf("the node's shape is at %v, want it under the pointer at [%v %v]", c, x+70, y+50)
	}
	after := js[[]string](t, ctx, lines)
	for i := range before {
		if before[i] == after[i] {
			t.Errorf("link %d of %s did not follow the node: %s", i, id, after[i])
		}
	}
	if !js[bool](t, ctx, `document.querySelector('.node-panel').hidden`) || js[string](t, ctx, `location.hash`) != "" {
		t.Error("the end of a drag counted as a click")
	}

	// Reset puts it back.
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[data-zoom="reset"]`)))
	if tr := js[string](t, ctx, fmt.Sprintf(`document.querySelector('a.node[data-id=%q]').getAttribute('transform') || ''`, id)); tr != "" {
		t.Errorf("after Reset the node still has transform %q", tr)
	}
	if back := js[[]string](t, ctx, lines); strings.Join(back, ",") != strings.Join(before, ",") {
		t.Errorf("after Reset the links are %v, want %v", back, before)
	}
	console.check(t)
}

// touch sends one touch event with fingers at the given points.
func touch(typ input.DispatchTouchEventType, pts ...[2]float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		p := input.DispatchTouchEventParams{Type: typ, TouchPoints: []*input.TouchPoint{}}
		for i, pt := range pts {
			id := float64(i + 1)
			p.TouchPoints = append(p.TouchPoints, &input.TouchPoint{X: pt[0], Y: pt[1], ID: &id})
		}
		_, err := chromedp.Call(ctx, input.DispatchTouchEvent, p)
		return err
	})
}

// TestArchitectureTouch: on a phone a tap on a node of the narrow drawing
// opens the details as a sheet over the bottom of the screen, with the
// node still in sight above it, and a drag scrolls the page (the phone's
// drawing is read, not panned). On a tablet, which gets the wide drawing,
// two fingers zoom and one pans without scrolling the page.
func TestArchitectureTouch(t *testing.T) {
	srv := pagesServer(t, buildExample(t))
	t.Run("phone", func(t *testing.T) {
		ctx := browser(t)
		console := watchConsole(ctx)
		do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch), chromedp.Navigate(srv.URL+"/architecture/"))
		waitJS(t, ctx, `!!document.querySelector('figure.topology-figure.is-interactive.has-data')`, "the island")
		node := `svg.topology-narrow a.node[data-id="pve-titan"] .shape`
		x, y := point(t, ctx, node)
		do(t, ctx, chromedp.TapXY(x, y))
		waitJS(t, ctx, `!document.querySelector('.node-panel').hidden`, "a tap to open the panel")
		if title := get(t, ctx, chromedp.Text(chromedp.CSS(".node-panel .panel-title"))); !strings.HasPrefix(title, "pve-titan") {
			t.Errorf("panel title = %q, want pve-titan", title)
		}
		// The sheet's scroll glides; wait until it has settled.
		waitJS(t, ctx, fmt.Sprintf(`(() => {
			const p = document.querySelector('.node-panel').getBoundingClientRect(), n = document.querySelector(%q).getBoundingClientRect();
			return Math.abs(p.bottom - innerHeight) < 2 && p.width >= 388 && n.bottom <= p.top && n.top >= 0;
		})()`, node), "the panel to be a bottom sheet with the node in sight above it")
		if !js[bool](t, ctx, fmt.Sprintf(`document.querySelector(%q).closest('a').classList.contains('is-selected')`, node)) {
			t.Error("the tapped node is not marked .is-selected")
		}
		console.check(t)
	})
	t.Run("tablet", func(t *testing.T) {
		ctx := browser(t)
		console := watchConsole(ctx)
		do(t, ctx, chromedp.EmulateViewport(820, 1180, chromedp.EmulateMobile, chromedp.EmulateTouch), chromedp.Navigate(srv.URL+"/architecture/"))
		waitJS(t, ctx, `!!document.querySelector('figure.topology-figure.is-interactive.has-data')`, "the island")
		if !js[bool](t, ctx, `getComputedStyle(document.querySelector('svg.topology-wide')).display !== 'none'`) {
			t.Fatal("a tablet is not shown the wide drawing")
		}
		x, y := point(t, ctx, `a.node[data-id="pve-io"] .shape`)
		do(t, ctx, chromedp.TapXY(x, y))
		waitJS(t, ctx, `!document.querySelector('.node-panel').hidden`, "a tap to open the panel")

		// Two fingers spreading apart zoom in.
		x, y = emptyPoint(t, ctx)
		vb0 := viewBox(t, ctx)
		steps := []chromedp.Action[chromedp.Void]{touch(input.DispatchTouchEventTypeTouchStart, [2]float64{x - 20, y}, [2]float64{x + 20, y})}
		for d := 30.0; d <= 80; d += 10 {
			steps = append(steps, touch(input.DispatchTouchEventTypeTouchMove, [2]float64{x - d, y}, [2]float64{x + d, y}))
		}
		steps = append(steps, touch(input.DispatchTouchEventTypeTouchEnd))
		do(t, ctx, steps...)
		pinched := viewBox(t, ctx)
		if w0, w1 := vbField(t, vb0, 2), vbField(t, pinched, 2); w1 > w0/3 || w1 < w0/5 {
			t.Errorf("spreading two fingers 40 → 160 px apart zoomed the viewBox width %v → %v, want about a quarter", w0, w1)
		}

		// One finger on the background pans, and does not scroll the page.
		scroll := js[float64](t, ctx, `scrollY`)
		x, y = emptyPoint(t, ctx)
		do(t, ctx, touch(input.DispatchTouchEventTypeTouchStart, [2]float64{x, y}))
		for i := 1; i <= 6; i++ {
			do(t, ctx, touch(input.DispatchTouchEventTypeTouchMove, [2]float64{x - float64(i)*10, y - float64(i)*10}))
		}
		do(t, ctx, touch(input.DispatchTouchEventTypeTouchEnd))
		panned := viewBox(t, ctx)
		if vbField(t, panned, 0) <= vbField(t, pinched, 0) || vbField(t, panned, 1) <= vbField(t, pinched, 1) {
			t.Errorf("a one-finger drag up and left did not pan: %q → %q", pinched, panned)
		}
		if now := js[float64](t, ctx, `scrollY`); abs(now-scroll) > 1 {
			t.Errorf("dragging on the graph scrolled the page by %v px", now-scroll)
		}
		if !js[bool](t, ctx, `document.querySelector('a.node[data-id="pve-io"]').classList.contains('is-selected')`) {
			t.Error("a pan changed the selection")
		}
		console.check(t)
	})
}

func TestArchitectureWithoutJavaScript(t *testing.T) {
	srv := pagesServer(t, buildExample(t))
	ctx := browser(t)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(srv.URL+"/architecture/"), chromedp.WaitVisible(chromedp.CSS("svg.topology-svg")))
	if !js[bool](t, ctx, `[...document.querySelectorAll('.topology-controls, .topology-foot')].every((e) => getComputedStyle(e).display === 'none')`) {
		t.Error("without JavaScript the graph controls take room")
	}
	if !js[bool](t, ctx, `document.querySelector('.node-panel').hidden`) {
		t.Error("without JavaScript the empty details panel is visible")
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`a.node[data-id="pve-io"] .shape`)))
	waitJS(t, ctx, `location.hash === '#node-pve-io'`, "the node link to navigate")
	waitJS(t, ctx, `(() => { const r = document.getElementById('node-pve-io').getBoundingClientRect(); return r.top >= -1 && r.top < innerHeight - 40; })()`, "the node's details to scroll into view")
	if !js[bool](t, ctx, `document.querySelector('#node-pve-io').matches(':target')`) {
		t.Error("#node-pve-io is not the :target")
	}
}

// TestArchitectureScreenshots saves the page, with a node selected, on a
// desktop and a phone, light and dark, to LABFRONT_SCREENSHOTS.
func TestArchitectureScreenshots(t *testing.T) {
	shots := os.Getenv("LABFRONT_SCREENSHOTS")
	if shots == "" {
		t.Skip("set LABFRONT_SCREENSHOTS to a directory to save screenshots")
	}
	srv := pagesServer(t, buildExample(t))
	for _, v := range []struct {
		name string
		w, h int64
		opts []chromedp.EmulateViewportOption
	}{
		{"desktop", 1366, 900, nil},
		{"phone", 390, 844, []chromedp.EmulateViewportOption{chromedp.EmulateMobile}},
	} {
		for _, scheme := range []string{"light", "dark"} {
			t.Run(v.name+"-"+scheme, func(t *testing.T) {
				ctx := browser(t)
				console := watchConsole(ctx)
				if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
				}); err != nil {
					t.Fatal(err)
				}
				do(t, ctx, chromedp.EmulateViewport(v.w, v.h, v.opts...), chromedp.Navigate(srv.URL+"/architecture/"))
				waitJS(t, ctx, `!!document.querySelector('figure.topology-figure.has-data')`, "the island")
				if w := js[int](t, ctx, `document.documentElement.scrollWidth`); w > int(v.w) {
					t.Errorf("/architecture/ is %d px wide on a %d px screen", w, v.w)
				}
				save(t, ctx, filepath.Join(shots, "architecture-"+v.name+"-"+scheme+".jpg"))

				x, y := point(t, ctx, `a.node[data-id="pve-io"] .shape`)
				do(t, ctx, chromedp.MouseEvent(chromedp.MouseMoved, x, y), chromedp.MouseClickXY(x, y))
				waitJS(t, ctx, `!document.querySelector('.node-panel').hidden`, "the panel")
				time.Sleep(400 * time.Millisecond)
				if w := js[int](t, ctx, `document.documentElement.scrollWidth`); w > int(v.w) {
					t.Errorf("with the panel open /architecture/ is %d px wide on a %d px screen", w, v.w)
				}
				save(t, ctx, filepath.Join(shots, "architecture-"+v.name+"-"+scheme+"-selected.jpg"))
				console.check(t)
			})
		}
	}
}

func save(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	jpeg := get(t, ctx, chromedp.FullScreenshot(90))
	if err := os.WriteFile(path, jpeg, 0o644); err != nil {
		t.Fatal(err)
	}
}
