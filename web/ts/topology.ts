// topology.ts — the interactive island of the topology graph on
// /architecture/.
//
// Progressive enhancement: the server renders the whole graph as inline SVG
// whose nodes are plain links to their static details (#node-<id>), and a
// "Systems" section that holds those details. This island adds zoom and pan,
// node dragging, neighbourhood highlighting, filters and a details panel,
// and recolours the nodes from /api/v1/status (live, or the edge's
// snapshot when the lab is out of reach), saying which.
// If it fails to run, or /topology.json does not load, the page keeps
// working as it does without JavaScript.
//
// Constraints: one file, no imports, DOM APIs only; the CSP allows no inline
// styles, so every visual state is a class (styled by static/topology.css)
// or an SVG attribute, and JSON data only ever reaches the DOM as text.

interface NetworkData {
  id: string;
  name: string;
  cidr?: string;
}

interface SiteData {
  id: string;
  name: string;
  role?: string;
  networks?: NetworkData[];
}

interface SpecsData {
  cores?: number;
  memory_gb?: number;
  storage_tb?: number;
  cpu?: string;
  os?: string;
}

interface NodeData {
  id: string;
  name: string;
  type: string;
  site?: string;
  parent?: string;
  description?: string;
  networks?: string[];
  specs?: SpecsData;
  services?: { id: string; name: string }[];
  x: number;
  y: number;
  status?: string;
  checked_at?: string;
}

interface LinkData {
  from: string;
  to: string;
  type: string;
  label?: string;
  latency_ms?: number;
}

interface TopologyData {
  version: number;
  width: number;
  height: number;
  as_of?: string;
  type_labels?: Record<string, string>;
  sites?: SiteData[];
  nodes: NodeData[];
  links: LinkData[];
}

/** A node as drawn: its <a> element in the wide drawing, the same node in
 *  every drawing (wide and narrow), and how far it has been dragged. */
interface GNode {
  el: SVGAElement;
  all: SVGAElement[];
  id: string;
  site: string;
  nets: string[];
  dx: number;
  dy: number;
  hidden: boolean;
  links: GLink[];
}

/** A link as drawn in the wide drawing, with the endpoints the server laid
 *  out, and the same link in every drawing. */
interface GLink {
  el: SVGLineElement;
  all: Element[];
  from: string;
  to: string;
  type: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  hidden: boolean;
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** An active pointer gesture on the SVG. */
interface Gesture {
  mode: "pan" | "node" | "pinch";
  id: number; // pointer id (pan, node)
  node?: GNode;
  sx: number; // client position at pointerdown
  sy: number;
  ox: number; // view box origin (pan) or node offset (node) at pointerdown
  oy: number;
  s: number; // SVG units per CSS pixel at pointerdown
  moved: boolean;
}

/** A node in an answer of the status endpoint (/api/v1/status). */
interface LiveStatus {
  status: string;
  checked_at?: string;
}

interface LiveAnswer {
  generated_at?: string;
  nodes?: Record<string, { status?: string; checked_at?: string }>;
  stale_since?: string | null;
}

/** Where the current status is: the edge worker answers it, live or from a snapshot. */
const STATUS_URL = "/api/v1/status";
const STATUSES = ["up", "down", "unknown"];

const MIN_ZOOM = 0.5;
const MAX_ZOOM = 6;
const STEP = 1.4; // zoom factor of a button or key press
const SLOP = 4; // pixels a pointer moves before a press becomes a drag

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
const round = (v: number): string => String(Math.round(v * 100) / 100);

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function button(cls: string, text: string, label?: string): HTMLButtonElement {
  const b = el("button", cls, text);
  b.type = "button";
  if (label) b.setAttribute("aria-label", label);
  return b;
}

/** "2026-05-01T12:30:00Z" → "2026-05-01 12:30 UTC"; anything else as is. */
function when(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** Sets a class on every drawing of a node or link. */
function mark(els: Element[], cls: string, on: boolean): void {
  for (const e of els) e.classList.toggle(cls, on);
}

/** Whether an element is rendered: the stylesheet shows one drawing. */
const shown = (e: Element): boolean => e.getClientRects().length > 0;

function setup(fig: HTMLElement): void {
  // The wide drawing zooms, pans and drags; the narrow one (phones) is
  // made to be read as it is, and shares selection, highlight and filters.
  const svg = fig.querySelector<SVGSVGElement>("svg.topology-svg:not(.topology-narrow)");
  const narrow = fig.querySelector<SVGSVGElement>("svg.topology-narrow");
  if (!svg || fig.classList.contains("is-interactive")) return;
  const views = narrow ? [svg, narrow] : [svg];
  const root: ParentNode = fig.closest(".topology") || document;
  const controls = root.querySelector<HTMLElement>(".topology-controls");
  const panel = root.querySelector<HTMLElement>(".node-panel");
  const base = svg.viewBox.baseVal;
  if (!base || !base.width || !base.height) return;
  const home: Box = { x: base.x, y: base.y, w: base.width, h: base.height };
  const homeAttr = svg.getAttribute("viewBox") || "";
  let vb: Box = { ...home };

  // ---------- The drawn graph ----------
  const nodes = new Map<string, GNode>();
  const links: GLink[] = [];
  svg.querySelectorAll<SVGAElement>("a.node[data-id]").forEach((a) => {
    const id = a.dataset.id || "";
    nodes.set(id, {
      el: a,
      all: [a],
      id,
      site: a.dataset.site || "",
      nets: (a.dataset.networks || "").split(/\s+/).filter(Boolean),
      dx: 0,
      dy: 0,
      hidden: false,
      links: [],
    });
  });
  svg.querySelectorAll<SVGLineElement>("line.link").forEach((line) => {
    const num = (name: string) => parseFloat(line.getAttribute(name) || "0") || 0;
    const l: GLink = {
      el: line,
      all: [line],
      from: line.dataset.from || "",
      to: line.dataset.to || "",
      type: line.dataset.type || "",
      x1: num("x1"),
      y1: num("y1"),
      x2: num("x2"),
      y2: num("y2"),
      hidden: false,
    };
    links.push(l);
    nodes.get(l.from)?.links.push(l);
    if (l.to !== l.from) nodes.get(l.to)?.links.push(l);
  });
  if (narrow) {
    // The narrow drawing has the same nodes and links in the same order.
    narrow.querySelectorAll<SVGAElement>("a.node[data-id]").forEach((a) => nodes.get(a.dataset.id || "")?.all.push(a));
    narrow.querySelectorAll(".link").forEach((e, i) => links[i]?.all.push(e));
  }
  const nodeOf = (t: EventTarget | null): GNode | undefined => {
    const a = t instanceof Element ? t.closest<SVGAElement>("a.node") : null;
    return a && views.some((v) => v.contains(a)) ? nodes.get(a.dataset.id || "") : undefined;
  };
  /** The node's element in the drawing on screen. */
  const visible = (n: GNode): SVGAElement => n.all.find(shown) || n.el;

  // ---------- Data (the panel needs it; everything else reads the DOM) ----------
  let data: TopologyData | null = null;
  const byId = new Map<string, NodeData>();
  const siteName = new Map<string, string>();
  const network = new Map<string, NetworkData>();
  const typeLabel = (t: string): string => (data && data.type_labels && data.type_labels[t]) || t;
  const src = fig.dataset.src;
  if (src && new URL(src, location.href).origin === location.origin) {
    fetch(src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${src}: HTTP ${r.status}`))))
      .then((d: TopologyData) => {
        if (!d || !Array.isArray(d.nodes) || !Array.isArray(d.links)) return;
        for (const s of d.sites || []) {
          siteName.set(s.id, s.name);
          for (const n of s.networks || []) network.set(n.id, n);
        }
        for (const n of d.nodes) byId.set(n.id, n);
        data = d;
        mergeLive();
        fig.classList.add("has-data");
      })
      .catch(() => {
        // Without the data a node stays a link to its static details.
      });
  }

  // ---------- Live status: recolour the nodes from the status endpoint ----------
  // Only the public page (the one with data-src) asks: its answer uses
  // public ids. Without an answer the colours stay those of the build.
  // The controls and their foot are in the page from the start, with room
  // kept for them, so showing them shifts nothing.
  const live = root.querySelector<HTMLElement>(".topology-live") || el("p", "topology-live");
  let liveNodes: Record<string, LiveStatus> | null = null;

  function mergeLive(): void {
    if (!liveNodes) return;
    for (const [id, st] of Object.entries(liveNodes)) {
      const d = byId.get(id);
      if (!d) continue;
      d.status = st.status;
      if (st.checked_at) d.checked_at = st.checked_at;
    }
  }

  function recolour(answer: LiveAnswer, via: string | null): void {
    const got: Record<string, LiveStatus> = {};
    for (const [id, st] of Object.entries(answer.nodes || {})) {
      got[id] = { status: st && st.status && STATUSES.includes(st.status) ? st.status : "unknown", checked_at: st && st.checked_at };
    }
    for (const n of nodes.values()) {
      const st = got[n.id];
      if (!st) continue;
      for (const s of STATUSES) mark(n.all, `s-${s}`, s === st.status);
      for (const a of n.all) {
        const tip = a.querySelector("title");
        if (tip && tip.textContent) tip.textContent = tip.textContent.replace(/( — (up|down|unknown))?$/, ` — ${st.status}`);
        const name = a.getAttribute("aria-label");
        if (name) a.setAttribute("aria-label", name.replace(/( — (up|down|unknown))?$/, ` — ${st.status}`));
      }
      // The static details below the graph carry a chip when the build
      // had a snapshot: keep it in step.
      const chip = document.getElementById(`node-${n.id}`)?.querySelector(".status");
      if (chip) {
        for (const s of STATUSES) chip.classList.toggle(`s-${s}`, s === st.status);
        chip.textContent = st.status;
      }
    }
    liveNodes = got;
    mergeLive();
    if (selected) {
      const d = byId.get(selected.id);
      if (d) render(d);
    }
    const since = via ? answer.stale_since || answer.generated_at : answer.generated_at;
    const at = since ? when(since) : "";
    live.dataset.state = via ? "snapshot" : "live";
    live.textContent = via
      ? at
        ? `Status from a snapshot of ${at}: the lab is out of reach.`
        : "Status from a snapshot of unknown age: the lab is out of reach."
      : at
        ? `Live status, updated ${at}.`
        : "Live status.";
  }

  if (src) {
    fetch(STATUS_URL, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then((r) =>
        r.ok
          ? r.json().then((a: LiveAnswer) => ({ a, via: r.headers.get("X-Labfront-Snapshot") }))
          : Promise.reject(new Error(`${STATUS_URL}: HTTP ${r.status}`)),
      )
      .then(({ a, via }) => {
        if (a && typeof a.nodes === "object" && a.nodes !== null) recolour(a, via);
      })
      .catch(() => {
        // Without an answer the graph keeps the colours of the build.
      });
  }

  // ---------- View box: zoom and pan ----------
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
  let frame = 0;
  let goal: Box | null = null; // where a glide is going

  function show(v: Box): void {
    vb = v;
    const same = v.x === home.x && v.y === home.y && v.w === home.w && v.h === home.h;
    svg!.setAttribute("viewBox", same ? homeAttr : `${round(v.x)} ${round(v.y)} ${round(v.w)} ${round(v.h)}`);
  }

  /** Keeps part of the graph in view however far it is panned. */
  function bound(v: Box): Box {
    const mx = Math.min(v.w, home.w) / 4;
    const my = Math.min(v.h, home.h) / 4;
    return {
      x: clamp(v.x, home.x - v.w + mx, home.x + home.w - mx),
      y: clamp(v.y, home.y - v.h + my, home.y + home.h - my),
      w: v.w,
      h: v.h,
    };
  }

  /** How the view box maps to the screen (preserveAspectRatio="xMidYMid meet"). */
  function fit() {
    const r = svg!.getBoundingClientRect();
    const s = Math.max(vb.w / (r.width || 1), vb.h / (r.height || 1)) || 1;
    return { r, s, ox: r.left + (r.width - vb.w / s) / 2, oy: r.top + (r.height - vb.h / s) / 2 };
  }

  const zoom = (): number => home.w / vb.w;

  /** The view box at zoom z that keeps the point under (cx, cy) in place. */
  function zoomed(z: number, cx?: number, cy?: number): Box {
    z = clamp(z, MIN_ZOOM, MAX_ZOOM);
    const { r, s, ox, oy } = fit();
    if (cx === undefined || cy === undefined) {
      cx = r.left + r.width / 2;
      cy = r.top + r.height / 2;
    }
    const w = home.w / z;
    const k = w / vb.w; // the scale changes by k; the letterbox offset does not
    const px = vb.x + (cx - ox) * s;
    const py = vb.y + (cy - oy) * s;
    return bound({ x: px - (cx - ox) * s * k, y: py - (cy - oy) * s * k, w, h: home.h / z });
  }

  /** Stops a glide where it was going, so the next step starts from there. */
  function settle(): void {
    cancelAnimationFrame(frame);
    if (goal) show(goal);
    goal = null;
  }

  function glide(to: Box): void {
    cancelAnimationFrame(frame);
    goal = null;
    if (reduceMotion.matches) return show(to);
    goal = to;
    const from = { ...vb };
    const t0 = performance.now();
    const tick = (now: number) => {
      const t = Math.min(1, (now - t0) / 220);
      const e = 1 - (1 - t) ** 3;
      if (t >= 1) {
        goal = null;
        return show(to);
      }
      show({ x: from.x + (to.x - from.x) * e, y: from.y + (to.y - from.y) * e, w: from.w + (to.w - from.w) * e, h: from.h + (to.h - from.h) * e });
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
  }

  function panBy(fx: number, fy: number): void {
    settle();
    glide(bound({ ...vb, x: vb.x + vb.w * fx, y: vb.y + vb.h * fy }));
  }

  // ---------- Dragging nodes ----------
  function place(n: GNode, dx: number, dy: number): void {
    n.dx = dx;
    n.dy = dy;
    if (dx || dy) n.el.setAttribute("transform", `translate(${round(dx)} ${round(dy)})`);
    else n.el.removeAttribute("transform");
    for (const l of n.links) {
      const a = nodes.get(l.from);
      const b = nodes.get(l.to);
      l.el.setAttribute("x1", round(l.x1 + (a ? a.dx : 0)));
      l.el.setAttribute("y1", round(l.y1 + (a ? a.dy : 0)));
      l.el.setAttribute("x2", round(l.x2 + (b ? b.dx : 0)));
      l.el.setAttribute("y2", round(l.y2 + (b ? b.dy : 0)));
    }
  }

  // ---------- Highlight: hovered, focused or selected node and its neighbours ----------
  let hovered: GNode | undefined;
  let focused: GNode | undefined;
  let selected: GNode | undefined;
  let gesture: Gesture | null = null;

  function paint(): void {
    const c = (gesture && gesture.node) || hovered || focused || selected;
    const near = new Set<string>();
    if (c) {
      near.add(c.id);
      for (const l of c.links) if (!l.hidden) near.add(l.from === c.id ? l.to : l.from);
    }
    for (const n of nodes.values()) {
      const on = near.has(n.id);
      mark(n.all, "is-highlighted", !!c && on);
      mark(n.all, "is-dimmed", !!c && !on);
      mark(n.all, "is-selected", n === selected);
    }
    for (const l of links) {
      const on = !!c && (l.from === c.id || l.to === c.id);
      mark(l.all, "is-highlighted", on);
      mark(l.all, "is-dimmed", !!c && !on);
    }
  }

  // ---------- Filters ----------
  const siteSelect = controls?.querySelector<HTMLSelectElement>('select[data-filter="site"]');
  const netSelect = controls?.querySelector<HTMLSelectElement>('select[data-filter="network"]');
  const linkBoxes = Array.from(controls?.querySelectorAll<HTMLInputElement>('input[data-filter="link"]') || []);
  const status = root.querySelector<HTMLElement>(".topology-status") || el("p", "topology-status");
  const foot = root.querySelector<HTMLElement>(".topology-foot");

  function filter(): void {
    const site = siteSelect ? siteSelect.value : "";
    const net = netSelect ? netSelect.value : "";
    const off = new Set(linkBoxes.filter((b) => !b.checked).map((b) => b.value));
    let shownNodes = 0;
    let shownLinks = 0;
    for (const n of nodes.values()) {
      n.hidden = (!!site && !!n.site && n.site !== site) || (!!net && !n.nets.includes(net));
      mark(n.all, "is-hidden", n.hidden);
      if (!n.hidden) shownNodes++;
    }
    for (const l of links) {
      const a = nodes.get(l.from);
      const b = nodes.get(l.to);
      l.hidden = off.has(l.type) || !!(a && a.hidden) || !!(b && b.hidden);
      mark(l.all, "is-hidden", l.hidden);
      if (!l.hidden) shownLinks++;
    }
    status.textContent =
      shownNodes === nodes.size && shownLinks === links.length
        ? `Showing all ${nodes.size} nodes and ${links.length} connections`
        : `Showing ${shownNodes} of ${nodes.size} nodes and ${shownLinks} of ${links.length} connections`;
    if (hovered && hovered.hidden) hovered = undefined;
    if (focused && focused.hidden) focused = undefined;
    if (selected && selected.hidden) close(false);
    paint();
  }

  // ---------- The details panel ----------
  function section(title: string, body: HTMLElement): HTMLElement {
    const s = el("section", "panel-section");
    s.append(el("h4", "", title), body);
    return s;
  }

  function render(n: NodeData): void {
    if (!panel) return;
    const head = el("div", "panel-head");
    const kind = el("p", `panel-kind t-${n.type}`, typeLabel(n.type));
    const x = button("panel-close", "×", "Close details");
    head.append(kind, x);

    const title = el("h3", "panel-title", n.name);
    title.id = "node-panel-title";
    title.tabIndex = -1;
    if (n.status) title.append(" ", el("span", `status s-${n.status}`, n.status));

    const body: HTMLElement[] = [head, title];
    const meta = el("p", "panel-meta");
    if (n.site) meta.append(el("span", "", siteName.get(n.site) || n.site));
    if (n.parent) {
      const p = byId.get(n.parent);
      const b = button("panel-jump", p ? p.name : n.parent);
      b.dataset.node = n.parent;
      meta.append(el("span", "", "on "), b);
    }
    if (meta.childElementCount) body.push(meta);
    if (n.checked_at) body.push(el("p", "panel-meta", `Last checked ${when(n.checked_at)}`));
    if (n.description) body.push(el("p", "panel-desc", n.description));

    const sp = n.specs || {};
    const specs: [string, string | undefined][] = [
      ["CPU", sp.cpu],
      ["Cores", sp.cores ? String(sp.cores) : undefined],
      ["Memory", sp.memory_gb ? `${sp.memory_gb} GB` : undefined],
      ["Storage", sp.storage_tb ? `${sp.storage_tb} TB` : undefined],
      ["OS", sp.os],
    ];
    const dl = el("dl", "specs");
    for (const [k, v] of specs) {
      if (!v) continue;
      const row = el("div");
      row.append(el("dt", "", k), el("dd", "", v));
      dl.append(row);
    }
    if (dl.childElementCount) body.push(dl);

    if (n.networks && n.networks.length) {
      const ul = el("ul", "panel-nets");
      for (const id of n.networks) {
        const net = network.get(id);
        const li = el("li", "", net ? net.name : id);
        if (net && net.cidr) li.append(" ", el("code", "", net.cidr));
        ul.append(li);
      }
      body.push(section("Networks", ul));
    }

    if (n.services && n.services.length) {
      const ul = el("ul", "panel-services");
      for (const s of n.services) ul.append(el("li", "chip", s.name || s.id));
      body.push(section("Services", ul));
    }

    const conns = (data ? data.links : []).filter((l) => l.from === n.id || l.to === n.id);
    if (conns.length) {
      const ul = el("ul", "panel-links");
      for (const l of conns) {
        const other = l.from === n.id ? l.to : l.from;
        const o = byId.get(other);
        const li = el("li");
        const b = button("panel-link", "");
        b.dataset.node = other;
        b.append(el("span", `chip l-${l.type}`, typeLabel(l.type)), el("span", "panel-link-name", o ? o.name : other));
        li.append(b);
        const note = [l.label, l.latency_ms ? `${l.latency_ms} ms` : ""].filter(Boolean).join(" · ");
        if (note) li.append(el("span", "panel-note", note));
        ul.append(li);
      }
      body.push(section(`Connections (${conns.length})`, ul));
    }

    const more = el("a", "panel-more", "Full details ↓");
    more.href = `#node-${n.id}`;
    body.push(more);

    panel.replaceChildren(...body);
    panel.setAttribute("aria-labelledby", title.id);
  }

  /** Pans so a node is not hidden behind the panel or off the edge. */
  function reveal(n: GNode): void {
    if (n.hidden || !shown(svg!)) return;
    const r = svg!.getBoundingClientRect();
    const b = n.el.getBoundingClientRect();
    let right = r.right;
    if (panel && !panel.hidden && getComputedStyle(panel).position === "absolute") {
      const p = panel.getBoundingClientRect();
      if (p.left > r.left + r.width / 3) right = Math.min(right, p.left);
    }
    const cx = b.left + b.width / 2;
    const cy = b.top + b.height / 2;
    const m = 32;
    if (cx > r.left + m && cx < right - m && cy > r.top + m && cy < r.bottom - m) return;
    const { s } = fit();
    glide(bound({ ...vb, x: vb.x + (cx - (r.left + right) / 2) * s, y: vb.y + (cy - (r.top + r.bottom) / 2) * s }));
  }

  function select(n: GNode): void {
    const d = byId.get(n.id);
    if (!d || !panel) return;
    selected = n;
    render(d);
    panel.hidden = false;
    fig.classList.add("has-selection");
    paint();
    reveal(n);
    const how = reduceMotion.matches ? "auto" : "smooth";
    const pos = getComputedStyle(panel).position;
    if (pos === "fixed") {
      // On a phone the panel is a sheet over the bottom of the screen:
      // keep the node in sight above it.
      const r = visible(n).getBoundingClientRect();
      const top = panel.getBoundingClientRect().top;
      if (r.bottom > top - 12) window.scrollBy({ top: r.bottom - top + 48, behavior: how });
    } else if (pos !== "absolute") {
      // Below the graph: bring its top into view.
      const top = panel.getBoundingClientRect().top;
      if (top > window.innerHeight - 96) panel.scrollIntoView({ block: "nearest", behavior: how });
    }
  }

  function close(refocus: boolean): void {
    const n = selected;
    selected = undefined;
    if (panel) panel.hidden = true;
    fig.classList.remove("has-selection");
    paint();
    if (refocus && n && !n.hidden) visible(n).focus({ preventScroll: true });
  }

  function reset(): void {
    if (siteSelect) siteSelect.value = "";
    if (netSelect) netSelect.value = "";
    for (const b of linkBoxes) b.checked = true;
    for (const n of nodes.values()) if (n.dx || n.dy) place(n, 0, 0);
    if (selected) close(false);
    filter();
    glide(home);
  }

  // ---------- Pointer: pan the background, drag nodes, pinch ----------
  const pointers = new Map<number, { x: number; y: number }>();
  let pinch: { d: number; x: number; y: number } | null = null;
  let swallowClick = false;

  const spread = () => {
    const [a, b] = Array.from(pointers.values());
    return { d: Math.hypot(a.x - b.x, a.y - b.y) || 1, x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  };

  svg.addEventListener("pointerdown", (e) => {
    if (e.pointerType === "mouse" && e.button !== 0) return;
    swallowClick = false;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    cancelAnimationFrame(frame);
    goal = null;
    if (pointers.size === 2) {
      if (gesture && gesture.node) {
        gesture.node.el.classList.remove("is-dragging");
        fig.classList.remove("is-dragging");
      }
      gesture = { mode: "pinch", id: -1, sx: 0, sy: 0, ox: 0, oy: 0, s: 1, moved: true };
      pinch = spread();
      for (const id of pointers.keys()) if (!svg.hasPointerCapture(id)) svg.setPointerCapture(id);
      fig.classList.add("is-panning");
      return;
    }
    if (pointers.size > 2) return;
    const n = nodeOf(e.target);
    const { s } = fit();
    gesture = n
      ? { mode: "node", id: e.pointerId, node: n, sx: e.clientX, sy: e.clientY, ox: n.dx, oy: n.dy, s, moved: false }
      : { mode: "pan", id: e.pointerId, sx: e.clientX, sy: e.clientY, ox: vb.x, oy: vb.y, s, moved: false };
  });

  svg.addEventListener("pointermove", (e) => {
    const p = pointers.get(e.pointerId);
    if (!p || !gesture) return;
    p.x = e.clientX;
    p.y = e.clientY;
    if (gesture.mode === "pinch") {
      if (pointers.size < 2 || !pinch) return;
      const now = spread();
      const next = zoomed(zoom() * (now.d / pinch.d), now.x, now.y);
      const s = fit().s * (next.w / vb.w);
      show(bound({ ...next, x: next.x - (now.x - pinch.x) * s, y: next.y - (now.y - pinch.y) * s }));
      pinch = now;
      return;
    }
    if (e.pointerId !== gesture.id) return;
    const mx = e.clientX - gesture.sx;
    const my = e.clientY - gesture.sy;
    if (!gesture.moved) {
      if (Math.hypot(mx, my) < SLOP) return;
      // Capture only once it is a drag, so a plain click keeps its target.
      gesture.moved = true;
      svg.setPointerCapture(e.pointerId);
      fig.classList.add(gesture.node ? "is-dragging" : "is-panning");
      if (gesture.node) {
        gesture.node.el.classList.add("is-dragging");
        paint();
      }
    }
    if (gesture.node) place(gesture.node, gesture.ox + mx * gesture.s, gesture.oy + my * gesture.s);
    else show(bound({ ...vb, x: gesture.ox - mx * gesture.s, y: gesture.oy - my * gesture.s }));
  });

  const release = (e: PointerEvent) => {
    if (!pointers.delete(e.pointerId)) return;
    if (svg.hasPointerCapture(e.pointerId)) svg.releasePointerCapture(e.pointerId);
    const g = gesture;
    if (!g) return;
    if (g.mode === "pinch") {
      swallowClick = true;
      if (pointers.size > 0) return; // wait for the last finger
    } else if (e.pointerId !== g.id) return;
    if (g.moved && e.type === "pointerup") swallowClick = true;
    if (g.node) g.node.el.classList.remove("is-dragging");
    fig.classList.remove("is-dragging", "is-panning");
    gesture = null;
    pinch = null;
    paint();
  };
  svg.addEventListener("pointerup", release);
  svg.addEventListener("pointercancel", release);
  // A drag that ends outside the SVG fires no click: forget it.
  svg.addEventListener("lostpointercapture", (e) => {
    if (gesture && gesture.id === e.pointerId && pointers.has(e.pointerId)) release(e);
  });

  const onClick = (e: MouseEvent) => {
    if (swallowClick) {
      // The end of a drag or a pan is not a click.
      swallowClick = false;
      e.preventDefault();
      e.stopPropagation();
      return;
    }
    const n = nodeOf(e.target);
    if (n) {
      if (!panel || !byId.has(n.id)) return; // no data (yet): follow the link to the static details
      e.preventDefault();
      select(n);
    } else if (selected) {
      close(false);
    }
  };
  for (const v of views) v.addEventListener("click", onClick);

  svg.addEventListener(
    "wheel",
    (e) => {
      if (e.deltaY === 0) return;
      const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaMode === 2 ? e.deltaY * 400 : e.deltaY;
      const z = zoom();
      const next = clamp(z * Math.exp(-dy * (e.ctrlKey ? 0.01 : 0.002)), MIN_ZOOM, MAX_ZOOM);
      if (Math.abs(next - z) < 1e-9) return; // at a limit: let the page scroll
      e.preventDefault();
      cancelAnimationFrame(frame);
      goal = null;
      show(zoomed(next, e.clientX, e.clientY));
    },
    { passive: false },
  );

  // ---------- Hover and focus ----------
  for (const v of views) {
    v.addEventListener("pointerover", (e) => {
      const n = nodeOf(e.target);
      if (n !== hovered && !(gesture && gesture.moved)) {
        hovered = n;
        paint();
      }
    });
    v.addEventListener("pointerleave", () => {
      if (hovered) {
        hovered = undefined;
        paint();
      }
    });
    v.addEventListener("focusin", (e) => {
      // Keyboard focus only: a node clicked or dragged with the mouse also
      // takes focus, and should not stay lit once the pointer leaves it.
      const n = nodeOf(e.target);
      const a = e.target instanceof Element ? e.target.closest("a.node") : null;
      focused = n && a && a.matches(":focus-visible") ? n : undefined;
      paint();
    });
    v.addEventListener("focusout", () => {
      focused = undefined;
      paint();
    });
  }

  // ---------- Keyboard ----------
  svg.setAttribute("tabindex", "0");
  const onKey = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const n = nodeOf(e.target);
    // The narrow drawing neither zooms nor pans: its keys are the page's.
    const still = e.currentTarget !== svg && !["Enter", " ", "Escape"].includes(e.key);
    if (still) return;
    switch (e.key) {
      case "+":
      case "=":
        settle();
        glide(zoomed(zoom() * STEP));
        break;
      case "-":
      case "_":
        settle();
        glide(zoomed(zoom() / STEP));
        break;
      case "0":
        reset();
        break;
      case "ArrowLeft":
        panBy(-0.1, 0);
        break;
      case "ArrowRight":
        panBy(0.1, 0);
        break;
      case "ArrowUp":
        panBy(0, -0.1);
        break;
      case "ArrowDown":
        panBy(0, 0.1);
        break;
      case "Enter":
      case " ":
        if (!n || !panel || !byId.has(n.id)) return;
        select(n);
        break;
      case "Escape":
        if (!selected) return;
        close(true);
        break;
      default:
        return;
    }
    e.preventDefault();
  };
  for (const v of views) v.addEventListener("keydown", onKey);

  if (panel) {
    panel.addEventListener("click", (e) => {
      const t = e.target instanceof Element ? e.target : null;
      if (t && t.closest(".panel-close")) return close(true);
      const b = t && t.closest<HTMLElement>("button[data-node]");
      const n = b && nodes.get(b.dataset.node || "");
      if (!n) return;
      select(n);
      panel.querySelector<HTMLElement>(".panel-title")?.focus({ preventScroll: true });
    });
    panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && selected) {
        e.preventDefault();
        close(true);
      }
    });
  }

  // ---------- Controls ----------
  if (controls) {
    controls.addEventListener("change", (e) => {
      if (e.target instanceof Element && e.target.matches("[data-filter]")) filter();
    });
    controls.addEventListener("click", (e) => {
      const b = e.target instanceof Element ? e.target.closest<HTMLElement>("button[data-zoom]") : null;
      if (!b) return;
      const how = b.dataset.zoom;
      settle();
      if (how === "in") glide(zoomed(zoom() * STEP));
      else if (how === "out") glide(zoomed(zoom() / STEP));
      else if (how === "reset") reset();
    });
    controls.classList.remove("needs-js");
    if (foot) foot.classList.remove("needs-js");
    if (document.getElementById("topology-hint")) svg.setAttribute("aria-describedby", "topology-hint");
  }

  fig.classList.add("is-interactive");
  filter();
}

function start(): void {
  document.querySelectorAll<HTMLElement>("figure.topology-figure").forEach((fig) => {
    try {
      setup(fig);
    } catch (err) {
      // Leave the server-rendered graph as it is: it works without us.
      fig.classList.remove("is-interactive");
      if (typeof console !== "undefined") console.warn("topology:", err);
    }
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
