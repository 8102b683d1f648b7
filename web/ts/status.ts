// status.ts — the island of the public /status/ page.
//
// Progressive enhancement: the server renders the page from the snapshot
// baked into the build, and it is complete without JavaScript. This island
// asks the status endpoint (through the edge worker) for the current state,
// updates the rows and counts in place, and says whether what the page
// shows is live or a snapshot, and from when. If the request fails the page
// keeps what it has.
//
// Constraints: one file, no imports, DOM APIs only; no inline styles (the
// CSP forbids them): every visual state is a class. JSON only ever reaches
// the DOM as text.

interface NodeStatus {
  status?: string;
  checked_at?: string;
}

interface SourceState {
  name?: string;
  state?: string;
  fetched_at?: string;
}

interface StatusAnswer {
  version?: number;
  generated_at?: string;
  nodes?: Record<string, NodeStatus>;
  sources?: SourceState[];
  stale?: boolean;
  stale_since?: string | null;
  snapshot?: { source?: string; age_seconds?: number | null };
}

const REFRESH_MS = 30000;
const REQUEST_MS = 10000;
const STATUSES = ["up", "down", "unknown"];
const SOURCE_NAMES: Record<string, string> = {
  cache: "the edge's last good copy",
  kv: "the snapshot the lab last pushed to the edge",
  static: "the snapshot built into this site",
};

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number): string => String(n).padStart(2, "0");

/** A time as the server renders it: "25 Nov 2026 14:02 UTC"; "" when not a time. */
function human(iso: string | null | undefined, seconds = false): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t) || t <= 0) return "";
  const d = new Date(t);
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${seconds ? ":" + pad(d.getUTCSeconds()) : ""}`;
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${hm} UTC`;
}

function isoOf(iso: string): string {
  return new Date(Date.parse(iso)).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function timeEl(iso: string, seconds = false): HTMLTimeElement {
  const t = el("time", "", human(iso, seconds));
  t.dateTime = isoOf(iso);
  return t;
}

/** Marks an element with one status class, s-up, s-down or s-unknown. */
function setStatus(e: Element, status: string): void {
  for (const s of STATUSES) e.classList.toggle(`s-${s}`, s === status);
}

function setup(board: HTMLElement): void {
  const src = board.dataset.src;
  if (!src || new URL(src, location.href).origin !== location.origin) return;
  const freshness = board.querySelector<HTMLElement>(".freshness");
  const text = board.querySelector<HTMLElement>(".freshness-text");
  const rows = new Map<string, HTMLElement>();
  document.querySelectorAll<HTMLElement>(".status-row[data-id]").forEach((r) => rows.set(r.dataset.id || "", r));
  const sources = document.querySelector<HTMLElement>(".status-sources");
  let lastLive = "";
  let busy = false;

  function say(state: string, ...parts: (string | Node)[]): void {
    if (!freshness || !text) return;
    freshness.dataset.state = state;
    text.replaceChildren(...parts);
  }

  function apply(d: StatusAnswer, via: string | null): void {
    const nodes = d.nodes || {};
    const counts: Record<string, number> = { up: 0, down: 0, unknown: 0 };
    for (const [id, row] of rows) {
      const n = nodes[id];
      const chip = row.querySelector<HTMLElement>(".status");
      let status = chip ? chip.textContent || "unknown" : "unknown";
      if (n) {
        status = n.status && STATUSES.includes(n.status) ? n.status : "unknown";
        setStatus(row, status);
        if (chip) {
          setStatus(chip, status);
          chip.textContent = status;
        }
        const checked = row.querySelector<HTMLElement>(".status-checked");
        if (checked) {
          if (human(n.checked_at)) checked.replaceChildren("checked ", timeEl(n.checked_at as string));
          else checked.replaceChildren("not checked yet");
        }
      }
      counts[status] = (counts[status] || 0) + 1;
    }
    for (const s of STATUSES) {
      const dd = board.querySelector<HTMLElement>(`dd[data-count="${s}"]`);
      if (!dd) continue;
      dd.textContent = String(counts[s] || 0);
      dd.parentElement?.classList.toggle("is-zero", !counts[s]);
    }

    if (sources) {
      const list = sources.querySelector<HTMLElement>(".source-list");
      const known = (d.sources || []).filter((s) => s && s.name && s.state);
      if (list && known.length) {
        list.replaceChildren(
          ...known.map((s) => {
            const li = el("li", `source s-${s.state === "live" ? "up" : s.state === "never" ? "unknown" : "down"}`);
            li.append(el("span", "source-name", s.name), " ", el("span", "source-state", s.state));
            if (human(s.fetched_at)) li.append(" ", el("span", "source-time", "last answer "), timeEl(s.fetched_at as string));
            return li;
          }),
        );
        sources.hidden = false;
      }
    }

    if (via) {
      // The edge answered from a snapshot: the lab is out of reach.
      const source = (d.snapshot && d.snapshot.source) || via.split(";")[0].trim();
      const from = SOURCE_NAMES[source] || "a snapshot";
      const since = d.stale_since || d.generated_at;
      if (human(since)) say("snapshot", "Snapshot from ", timeEl(since as string), `: the lab is out of reach, so this is ${from}.`);
      else say("snapshot", `Snapshot of unknown age: the lab is out of reach, so this is ${from}.`);
      return;
    }
    const at = human(d.generated_at, true) ? (d.generated_at as string) : new Date().toISOString();
    lastLive = at;
    if (d.stale) say("partial", "Live, updated ", timeEl(at, true), ", though some data sources of the lab are not answering.");
    else say("live", "Live, updated ", timeEl(at, true), ".");
  }

  async function refresh(): Promise<void> {
    if (busy) return;
    busy = true;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), REQUEST_MS);
    try {
      const r = await fetch(src as string, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" }, signal: abort.signal });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const d = (await r.json()) as StatusAnswer;
      if (!d || typeof d.nodes !== "object" || d.nodes === null) throw new Error("not a status answer");
      apply(d, r.headers.get("X-Labfront-Snapshot"));
    } catch {
      // Keep what the page shows; say so only if it claimed to be live.
      if (lastLive) say("snapshot", "Last live update ", timeEl(lastLive, true), ": the status service has not answered since.");
    } finally {
      clearTimeout(timer);
      busy = false;
    }
  }

  board.classList.add("is-live");
  void refresh();
  setInterval(() => {
    if (document.visibilityState === "visible") void refresh();
  }, REFRESH_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") void refresh();
  });
}

function start(): void {
  document.querySelectorAll<HTMLElement>(".status-board[data-src]").forEach((b) => {
    try {
      setup(b);
    } catch (err) {
      if (typeof console !== "undefined") console.warn("status:", err);
    }
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
