// worker.ts — the edge worker of a labfront site (Cloudflare Pages
// advanced mode: `labfront build` bundles this file into dist/_worker.js).
//
// Every request for a static file goes to env.ASSETS, as plain Pages would
// serve it. Requests under /api/ go to the homelab's admin server through
// the tunnel (ORIGIN_URL), with a time limit. When the homelab cannot
// answer — it is down, the tunnel is down, it is too slow, or Cloudflare
// answers 502–504/52x for it, or, for the status only, the admin server
// answers 500 — a GET of the public status falls back to the newest of the
// last good answer in the Cache API, the snapshot the admin server pushed
// to KV (SNAPSHOTS, key "status"), and the snapshot baked into the site at
// build time (/snapshot.json). A fallback says so: the X-Labfront-Snapshot
// header names the source and its age, and the JSON carries stale: true
// and stale_since. The public status history (/api/v1/history) falls back
// the same way to the newer of its last good answer in the Cache API and
// the history baked into /snapshot.json. A request that is not a GET never
// falls back: it gets a 503 saying the homelab is unreachable.
//
// Constraints: one file, no imports and no npm dependencies (esbuild
// bundles it in-process; type declarations for the Workers runtime are
// written out below), no secret ever in a response or a log.

interface KVNamespace {
  get(key: string, type: "text"): Promise<string | null>;
}

interface Fetcher {
  fetch(input: Request | string, init?: RequestInit): Promise<Response>;
}

interface ExecutionContext {
  waitUntil(p: Promise<unknown>): void;
}

interface Env {
  ASSETS: Fetcher;
  SNAPSHOTS?: KVNamespace;
  ORIGIN_URL?: string;
  ORIGIN_TIMEOUT_MS?: string;
  CF_ACCESS_CLIENT_ID?: string;
  CF_ACCESS_CLIENT_SECRET?: string;
}

// The Workers runtime's default cache; declared here since the DOM types
// esbuild sees do not have it.
declare const caches: CacheStorage & { default: Cache };

/** The public, cacheable endpoints: the sanitised status of the lab, and
 * its status history. */
const STATUS_PATH = "/api/v1/status";
const HISTORY_PATH = "/api/v1/history";
/** The KV key the admin server and `labfront deploy` write the snapshot to. */
const KV_KEY = "status";
/** The snapshot baked into the site by `labfront build`. */
const STATIC_SNAPSHOT = "/snapshot.json";
const DEFAULT_TIMEOUT_MS = 1500;
/** How long the Cache API keeps the last good answer: it is the fallback
 * for a long outage, so far longer than the answer's own max-age. */
const CACHE_COPY_SECONDS = 7 * 24 * 3600;
/** Where a cached copy records when the origin gave it. */
const FETCHED_AT = "X-Labfront-Fetched-At";
const SNAPSHOT_HEADER = "X-Labfront-Snapshot";
/** How far ahead of the worker's clock a snapshot's time may be and still
 * count: clock skew between the homelab and the edge, not a time (a typo,
 * a garbled value) that would beat every real snapshot for years. */
const FUTURE_SKEW_MS = 5 * 60 * 1000;

/** Why the origin did not give a usable answer. Never names the origin. */
class OriginDown extends Error {}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/api" || url.pathname.startsWith("/api/")) {
      return api(request, url, env, ctx);
    }
    return env.ASSETS.fetch(request);
  },
};

async function api(request: Request, url: URL, env: Env, ctx: ExecutionContext): Promise<Response> {
  const isHistory = url.pathname === HISTORY_PATH;
  const isStatus = url.pathname === STATUS_PATH;
  const isPublic = isStatus || isHistory;
  let down: OriginDown;
  try {
    const res = await proxy(request, url, env, isPublic, isPublic && request.method === "GET");
    if (isPublic && request.method === "GET" && res.status === 200) {
      // Keep a copy of the good answer for the next outage.
      ctx.waitUntil((isHistory ? rememberHistory(res.clone(), url) : remember(res.clone(), url)).catch(() => undefined));
    }
    return res;
  } catch (err) {
    if (!(err instanceof OriginDown)) throw err;
    down = err;
  }
  if (request.method !== "GET") {
    return json(503, {
      error: "homelab unreachable",
      message: `The homelab cannot be reached right now (${down.message}), so this ${request.method} request was not delivered. Try again later.`,
    }, { "Retry-After": "30" });
  }
  if (isHistory) return historyFallback(url, env, down);
  if (!isStatus) {
    // Only the public status and history have snapshots; nothing else may
    // be answered from a shared copy.
    return json(503, { error: "homelab unreachable", message: `The homelab cannot be reached right now (${down.message}), and ${url.pathname} has no snapshot.` }, { "Retry-After": "30" });
  }
  return fallback(url, env, down);
}

/**
 * Sends the request to the origin; throws OriginDown on the failures that
 * call for a fallback. hasSnapshot says the request can be answered from a
 * snapshot (a GET of the status or the history).
 */
async function proxy(request: Request, url: URL, env: Env, isPublic: boolean, hasSnapshot: boolean): Promise<Response> {
  const origin = (env.ORIGIN_URL || "").replace(/\/+$/, "");
  if (!origin) throw new OriginDown("no origin is configured");
  let target: URL;
  try {
    target = new URL(url.pathname + url.search, origin + "/");
  } catch {
    throw new OriginDown("the origin URL is not valid");
  }
  const headers = new Headers(request.headers);
  headers.delete("Host");
  // The service token is the worker's own identity at Cloudflare Access,
  // which lets it read: it goes with reads of the public status and
  // history only, so no visitor can borrow it for viewer-only endpoints
  // or actions.
  headers.delete("CF-Access-Client-Id");
  headers.delete("CF-Access-Client-Secret");
  if (isPublic && (request.method === "GET" || request.method === "HEAD") && env.CF_ACCESS_CLIENT_ID && env.CF_ACCESS_CLIENT_SECRET) {
    headers.set("CF-Access-Client-Id", env.CF_ACCESS_CLIENT_ID);
    headers.set("CF-Access-Client-Secret", env.CF_ACCESS_CLIENT_SECRET);
  }
  const ms = timeoutMs(env);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  try {
    const init: RequestInit = { method: request.method, headers, redirect: "manual", signal: abort.signal };
    if (request.method !== "GET" && request.method !== "HEAD") init.body = await request.arrayBuffer();
    const res = await fetch(target.toString(), init);
    // A 500 is the admin server itself failing. For the status a snapshot
    // is the better answer (the page then says it is one, and why); for
    // every other route the admin server's own answer passes through, since
    // it says what went wrong — an action refused because its audit record
    // could not be written must not turn into "homelab unreachable".
    if (originFailed(res.status) || (res.status === 500 && hasSnapshot)) {
      res.body?.cancel().catch(() => undefined);
      throw new OriginDown(`it answered ${res.status}`);
    }
    if (request.method === "GET" && isPublic) {
      // Read the whole answer within the time limit too, so a stalled
      // body falls back rather than hanging the visitor.
      const body = await res.arrayBuffer();
      const h = new Headers(res.headers);
      // The runtime has already decoded the body.
      h.delete("Content-Length");
      h.delete("Content-Encoding");
      return new Response(body, { status: res.status, statusText: res.statusText, headers: h });
    }
    return new Response(res.body, res);
  } catch (err) {
    if (err instanceof OriginDown) throw err;
    if (abort.signal.aborted) throw new OriginDown(`no answer within ${ms} ms`);
    throw new OriginDown("the connection failed");
  } finally {
    clearTimeout(timer);
  }
}

function timeoutMs(env: Env): number {
  const n = Number(env.ORIGIN_TIMEOUT_MS);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 30000) : DEFAULT_TIMEOUT_MS;
}

/** 502–504 are gateway failures; 520–530 are Cloudflare's "origin" errors (530 with error 1033: the tunnel is down). */
function originFailed(status: number): boolean {
  return (status >= 502 && status <= 504) || (status >= 520 && status <= 530);
}

function cacheKey(url: URL): Request {
  return new Request(url.origin + STATUS_PATH, { method: "GET" });
}

/** Stores a good status answer in the Cache API, for far longer than its own max-age. */
async function remember(res: Response, url: URL): Promise<void> {
  const body = await res.text();
  const snap = parseSnapshot(body);
  if (!snap) return; // not a snapshot: never serve it as one
  const copy = new Response(body, {
    headers: {
      "Content-Type": "application/json",
      "Cache-Control": `public, max-age=${CACHE_COPY_SECONDS}`,
      [FETCHED_AT]: new Date().toISOString(),
    },
  });
  await caches.default.put(cacheKey(url), copy);
}

interface NodeStatus {
  status: string;
  checked_at?: string;
}

interface SourceState {
  name: string;
  state: string;
  fetched_at?: string;
}

/** The public fields of a status snapshot, the only ones a fallback passes on. */
interface Snapshot {
  version: number;
  generated_at?: string;
  nodes: Record<string, NodeStatus>;
  sources?: SourceState[];
}

const STATUSES = new Set(["up", "down", "unknown"]);

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** A timestamp, as it was written, if it is a real one (Go writes its zero time as year 1). */
function time(v: unknown): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) && t > 0 ? s : undefined;
}

/**
 * Reads a snapshot (snapshot.json, a KV value or an /api/v1/status
 * answer) and keeps only its public fields, so whatever else a stored copy
 * might hold never reaches a visitor. Returns null when it is not one.
 */
function parseSnapshot(text: string): Snapshot | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!raw || typeof raw !== "object") return null;
  const r = raw as Record<string, unknown>;
  if (typeof r.version !== "number" || !r.nodes || typeof r.nodes !== "object" || Array.isArray(r.nodes)) return null;
  const snap: Snapshot = { version: r.version, nodes: {} };
  const gen = time(r.generated_at);
  if (gen) snap.generated_at = gen;
  for (const [id, v] of Object.entries(r.nodes as Record<string, unknown>)) {
    const n = (v || {}) as Record<string, unknown>;
    const status = typeof n.status === "string" && STATUSES.has(n.status) ? n.status : "unknown";
    const ns: NodeStatus = { status };
    const checked = time(n.checked_at);
    if (checked) ns.checked_at = checked;
    snap.nodes[id] = ns;
  }
  if (Array.isArray(r.sources)) {
    snap.sources = [];
    for (const v of r.sources) {
      const s = (v || {}) as Record<string, unknown>;
      const name = str(s.name);
      const state = str(s.state);
      if (!name || !state) continue;
      const src: SourceState = { name, state };
      const fetched = time(s.fetched_at);
      if (fetched) src.fetched_at = fetched;
      snap.sources.push(src);
    }
  }
  return snap;
}

type Source = "cache" | "kv" | "static";

/**
 * Answers GET /api/v1/status from the newest snapshot there is. All three
 * places are read, and the one taken last wins: the order they are tried in
 * says nothing about their age (a KV value pushed hours ago against a site
 * built a minute ago). A snapshot without a usable time counts as the
 * oldest; on a tie the cache wins, then KV, then the build's.
 */
async function fallback(url: URL, env: Env, down: OriginDown): Promise<Response> {
  const found = (await Promise.all([fromCache(url), fromKV(env), fromStatic(url, env)])).filter((f): f is Found => f !== null);
  const now = Date.now();
  let best: { f: Found; at?: { iso: string; ms: number } } | undefined;
  const candidates: Partial<Record<Source, number | null>> = {};
  for (const f of found) {
    const at = takenAt(f, now);
    candidates[f.source] = at ? ageSeconds(at.ms, now) : null;
    // Strictly newer only, so a tie keeps the earlier source.
    if (!best || (at?.ms ?? -Infinity) > (best.at?.ms ?? -Infinity)) best = { f, at };
  }
  if (!best) {
    return json(503, { error: "homelab unreachable", message: `The homelab cannot be reached right now (${down.message}), and no snapshot of its status is available.` }, { "Retry-After": "30" });
  }
  const { snap, source } = best.f;
  const at = best.at;
  const age = at ? ageSeconds(at.ms, now) : undefined;
  const body = {
    ...snap,
    stale: true,
    stale_since: at ? at.iso : null,
    // candidates: the age of every snapshot the worker found (null: no
    // usable time), so an answer shows why it is the one it is.
    snapshot: { source, age_seconds: age === undefined ? null : age, reason: down.message, candidates },
  };
  return json(200, body, {
    [SNAPSHOT_HEADER]: `${source}; age=${age === undefined ? "unknown" : age}`,
    // A fallback is for this moment only: the next request should try the
    // homelab again.
    "Cache-Control": "no-store",
  });
}

interface Found {
  snap: Snapshot;
  source: Source;
  fetchedAt?: string;
}

/**
 * When a snapshot was taken: its generated_at, or, for a cached copy of an
 * answer without a usable one, when the origin gave it. A time further
 * ahead than FUTURE_SKEW_MS is not usable; undefined when there is none.
 */
function takenAt(f: Found, now: number): { iso: string; ms: number } | undefined {
  for (const iso of [f.snap.generated_at, f.fetchedAt]) {
    if (!iso) continue;
    const ms = Date.parse(iso);
    if (Number.isFinite(ms) && ms > 0 && ms <= now + FUTURE_SKEW_MS) return { iso, ms };
  }
  return undefined;
}

function ageSeconds(ms: number, now: number): number {
  return Math.max(0, Math.floor((now - ms) / 1000));
}

async function fromCache(url: URL): Promise<Found | null> {
  try {
    const res = await caches.default.match(cacheKey(url));
    if (!res) return null;
    const snap = parseSnapshot(await res.text());
    return snap ? { snap, source: "cache", fetchedAt: time(res.headers.get(FETCHED_AT)) } : null;
  } catch {
    return null;
  }
}

async function fromKV(env: Env): Promise<Found | null> {
  if (!env.SNAPSHOTS) return null;
  try {
    const text = await env.SNAPSHOTS.get(KV_KEY, "text");
    const snap = text ? parseSnapshot(text) : null;
    return snap ? { snap, source: "kv" } : null;
  } catch {
    return null;
  }
}

async function fromStatic(url: URL, env: Env): Promise<Found | null> {
  try {
    const res = await env.ASSETS.fetch(new Request(url.origin + STATIC_SNAPSHOT, { method: "GET" }));
    if (!res.ok) return null;
    const snap = parseSnapshot(await res.text());
    return snap ? { snap, source: "static" } : null;
  } catch {
    return null;
  }
}

// == The status history ==

/** A day's status, as the admin server writes it. */
const DAY_STATUSES = new Set(["up", "partial", "down", "maintenance", "unknown"]);

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function strs(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/**
 * Reads a status history (an /api/v1/history answer, or the history key
 * of snapshot.json) field by field, so only its public shape reaches a
 * visitor. Returns null when it is not one.
 */
function parseHistory(raw: unknown): Record<string, unknown> | null {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const days = num(r.days);
  if (days === undefined || !r.nodes || typeof r.nodes !== "object" || Array.isArray(r.nodes)) return null;
  const nodes: Record<string, unknown> = {};
  for (const [id, v] of Object.entries(r.nodes as Record<string, unknown>)) {
    const n = (v || {}) as Record<string, unknown>;
    const windows = (Array.isArray(n.windows) ? n.windows : []).map((w) => {
      const x = (w || {}) as Record<string, unknown>;
      return { name: str(x.name) ?? "", uptime: num(x.uptime) ?? null };
    });
    const dayList = (Array.isArray(n.days) ? n.days : []).map((d) => {
      const x = (d || {}) as Record<string, unknown>;
      const status = typeof x.status === "string" && DAY_STATUSES.has(x.status) ? x.status : "unknown";
      const out: Record<string, unknown> = { date: str(x.date) ?? "", status };
      for (const k of ["up", "degraded", "down", "maintenance", "unknown"]) {
        const s = num(x[k]);
        if (s) out[k] = s;
      }
      return out;
    });
    nodes[id] = { windows, days: dayList };
  }
  const incidents = (Array.isArray(r.incidents) ? r.incidents : []).map((i) => {
    const x = (i || {}) as Record<string, unknown>;
    const updates = (Array.isArray(x.updates) ? x.updates : []).map((u) => {
      const y = (u || {}) as Record<string, unknown>;
      return { at: time(y.at) ?? null, status: str(y.status) ?? "", text: str(y.text) ?? "" };
    });
    return {
      id: str(x.id) ?? "", title: str(x.title) ?? "", status: str(x.status) ?? "", cause: str(x.cause) ?? "",
      systems: strs(x.systems), summary: str(x.summary) ?? "", started: time(x.started) ?? null,
      resolved: time(x.resolved) ?? null, updates,
    };
  });
  const maintenance = (Array.isArray(r.maintenance) ? r.maintenance : []).map((m) => {
    const x = (m || {}) as Record<string, unknown>;
    return { systems: strs(x.systems), from: time(x.from) ?? null, to: time(x.to) ?? null, reason: str(x.reason) ?? "" };
  });
  const out: Record<string, unknown> = { days, nodes, incidents, maintenance };
  const gen = time(r.generated_at);
  if (gen) out.generated_at = gen;
  return out;
}

function historyCacheKey(url: URL): Request {
  return new Request(url.origin + HISTORY_PATH, { method: "GET" });
}

/** Stores a good history answer in the Cache API, like remember. */
async function rememberHistory(res: Response, url: URL): Promise<void> {
  const body = await res.text();
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return;
  }
  if (!parseHistory(raw)) return;
  const copy = new Response(body, {
    headers: { "Content-Type": "application/json", "Cache-Control": `public, max-age=${CACHE_COPY_SECONDS}`, [FETCHED_AT]: new Date().toISOString() },
  });
  await caches.default.put(historyCacheKey(url), copy);
}

/**
 * Answers GET /api/v1/history from the newer of the cached last good
 * answer and the history baked into /snapshot.json (whose time is the
 * snapshot's), marked stale with its age as the status fallback is.
 */
async function historyFallback(url: URL, env: Env, down: OriginDown): Promise<Response> {
  const found: { h: Record<string, unknown>; source: Source; at?: string }[] = [];
  try {
    const res = await caches.default.match(historyCacheKey(url));
    if (res) {
      const fetched = time(res.headers.get(FETCHED_AT));
      const h = parseHistory(JSON.parse(await res.text()));
      if (h) found.push({ h, source: "cache", at: (h.generated_at as string | undefined) ?? fetched });
    }
  } catch {
    // no usable copy
  }
  try {
    const res = await env.ASSETS.fetch(new Request(url.origin + STATIC_SNAPSHOT, { method: "GET" }));
    if (res.ok) {
      const snap = JSON.parse(await res.text()) as Record<string, unknown>;
      const h = snap && typeof snap === "object" ? parseHistory(snap.history) : null;
      if (h) {
        const at = time(snap.generated_at);
        if (at) h.generated_at = at;
        found.push({ h, source: "static", at });
      }
    }
  } catch {
    // no usable snapshot
  }
  const now = Date.now();
  const ms = (at?: string) => {
    const t = at ? Date.parse(at) : NaN;
    return Number.isFinite(t) && t > 0 && t <= now + FUTURE_SKEW_MS ? t : -Infinity;
  };
  let best: (typeof found)[number] | undefined;
  for (const f of found) if (!best || ms(f.at) > ms(best.at)) best = f;
  if (!best) {
    return json(503, { error: "homelab unreachable", message: `The homelab cannot be reached right now (${down.message}), and no snapshot of its status history is available.` }, { "Retry-After": "30" });
  }
  const t = ms(best.at);
  const age = t === -Infinity ? undefined : ageSeconds(t, now);
  return json(200, {
    ...best.h,
    stale: true,
    stale_since: age === undefined ? null : best.at,
    snapshot: { source: best.source, age_seconds: age ?? null, reason: down.message },
  }, { [SNAPSHOT_HEADER]: `${best.source}; age=${age ?? "unknown"}`, "Cache-Control": "no-store" });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers },
  });
}
