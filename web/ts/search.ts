// The search island of /search/. It answers from the static index that
// `labfront build` writes under /search/ (see internal/search): meta.json
// first, then only the term shards of the query's words and the document
// shards of the hits it shows. Words, stems, candidates and scores are
// computed exactly as internal/search's Reader computes them; the
// end-to-end test compares the two.

interface Meta {
  format: number;
  docs: number;
  perShard: number;
  kinds: string;
  terms: [string, string][];
  docShards: string[];
  words: [string, string][];
  tags: { slug: string; name: string; count: number }[];
}

type Postings = Record<string, number[]>;
type DocRecord = [string, string, string, string, string[], string];

interface Hit {
  id: number;
  score: number;
  doc: DocRecord;
}

// ---- words and stems (internal/search/tokenize.go, stem.go) ----

const STOP = new Set(
  "an and are as at be but by for from has have if in into is it its of on or that the their then there these this to was were will with".split(" "),
);

export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[\p{L}\p{Nd}]+/gu)) {
    const w = m[0].toLowerCase();
    const n = [...w].length;
    if (n < 2 || n > 32 || STOP.has(w)) continue;
    out.push(w);
  }
  return out;
}

const EXCEPTIONS: Record<string, string> = {
  skis: "ski", skies: "sky", dying: "die", lying: "lie", tying: "tie", idly: "idl", gently: "gentl",
  ugly: "ugli", early: "earli", only: "onli", singly: "singl", sky: "sky", news: "news", howe: "howe",
  atlas: "atlas", cosmos: "cosmos", bias: "bias", andes: "andes",
};
const INVARIANT = new Set(["inning", "outing", "canning", "herring", "earring", "proceed", "exceed", "succeed"]);

const vowel = (c: string) => "aeiouy".includes(c) && c !== "";
const ends = (w: string, s: string) => w.endsWith(s);
const longest = (w: string, list: string[]) => list.reduce((b, s) => (s.length > b.length && w.endsWith(s) ? s : b), "");
const hasVowel = (w: string) => [...w].some(vowel);
const isDouble = (w: string) => w.length >= 2 && w[w.length - 1] === w[w.length - 2] && "bdfgmnprt".includes(w[w.length - 1]);

function regionAfter(w: string, from: number): number {
  for (let i = from + 1; i < w.length; i++) if (!vowel(w[i]) && vowel(w[i - 1])) return i + 1;
  return w.length;
}

function shortSyllable(w: string): boolean {
  const n = w.length;
  if (n === 2) return vowel(w[0]) && !vowel(w[1]);
  if (n < 3) return false;
  const c = w[n - 1];
  return !vowel(w[n - 3]) && vowel(w[n - 2]) && !vowel(c) && c !== "w" && c !== "x" && c !== "Y";
}

const STEP2: Record<string, string> = {
  tional: "tion", enci: "ence", anci: "ance", abli: "able", entli: "ent", izer: "ize", ization: "ize",
  ational: "ate", ation: "ate", ator: "ate", alism: "al", aliti: "al", alli: "al", fulness: "ful",
  ousli: "ous", ousness: "ous", iveness: "ive", iviti: "ive", biliti: "ble", bli: "ble", ogi: "og",
  fulli: "ful", lessli: "less", li: "",
};
const STEP3: Record<string, string> = {
  tional: "tion", ational: "ate", alize: "al", icate: "ic", iciti: "ic", ical: "ic", ful: "", ness: "", ative: "",
};
const STEP4 = "al ance ence er ic able ible ant ement ment ent ism ate iti ous ive ize ion".split(" ");

export function stem(word: string): string {
  if (word.length <= 2 || !/^[a-z']+$/.test(word)) return word;
  if (word in EXCEPTIONS) return EXCEPTIONS[word];
  let w = word.replace(/^'/, "");
  let y = "";
  for (let i = 0; i < w.length; i++) y += w[i] === "y" && (i === 0 || vowel(y[i - 1])) ? "Y" : w[i];
  w = y;
  let r1 = /^(gener|arsen)/.test(w) ? 5 : /^commun/.test(w) ? 6 : regionAfter(w, 0);
  const r2 = regionAfter(w, r1);
  let s = longest(w, ["'s'", "'s", "'"]);
  w = w.slice(0, w.length - s.length);
  s = longest(w, ["sses", "ied", "ies", "us", "ss", "s"]);
  if (s === "sses") w = w.slice(0, -2);
  else if (s === "ied" || s === "ies") w = w.slice(0, -3) + (w.length > 4 ? "i" : "ie");
  else if (s === "s" && w.length > 2 && hasVowel(w.slice(0, -2))) w = w.slice(0, -1);
  if (INVARIANT.has(w)) return w.replace(/Y/g, "y");
  s = longest(w, ["eed", "eedly", "ed", "edly", "ing", "ingly"]);
  if (s === "eed" || s === "eedly") {
    if (w.length - s.length >= r1) w = w.slice(0, w.length - s.length) + "ee";
  } else if (s !== "" && hasVowel(w.slice(0, w.length - s.length))) {
    w = w.slice(0, w.length - s.length);
    if (ends(w, "at") || ends(w, "bl") || ends(w, "iz")) w += "e";
    else if (isDouble(w)) w = w.slice(0, -1);
    else if (r1 >= w.length && shortSyllable(w)) w += "e";
  }
  const n = w.length;
  if (n > 2 && (w[n - 1] === "y" || w[n - 1] === "Y") && !vowel(w[n - 2])) w = w.slice(0, -1) + "i";
  s = longest(w, Object.keys(STEP2));
  if (s !== "" && w.length - s.length >= r1) {
    const st = w.slice(0, w.length - s.length);
    if ((s !== "ogi" || ends(st, "l")) && (s !== "li" || (st !== "" && "cdeghkmnrt".includes(st[st.length - 1])))) w = st + STEP2[s];
  }
  s = longest(w, Object.keys(STEP3));
  if (s !== "" && w.length - s.length >= r1 && (s !== "ative" || w.length - s.length >= r2)) w = w.slice(0, w.length - s.length) + STEP3[s];
  s = longest(w, STEP4);
  if (s !== "" && w.length - s.length >= r2) {
    const st = w.slice(0, w.length - s.length);
    if (s !== "ion" || ends(st, "s") || ends(st, "t")) w = st;
  }
  const m = w.length;
  if (m > 0 && w[m - 1] === "e") {
    if (m - 1 >= r2 || (m - 1 >= r1 && !shortSyllable(w.slice(0, -1)))) w = w.slice(0, -1);
  } else if (m > 0 && w[m - 1] === "l" && m - 1 >= r2 && ends(w.slice(0, -1), "l")) w = w.slice(0, -1);
  return w.replace(/Y/g, "y");
}

// ---- the index (internal/search/query.go) ----

const PREFIX = 0.7, TYPO1 = 0.5, TYPO2 = 0.3, K = 5;

function editDistance(a: string, b: string, max: number): number {
  const ra = [...a], rb = [...b];
  if (Math.abs(ra.length - rb.length) > max) return max + 1;
  let prev = rb.map((_, j) => j).concat(rb.length), cur = new Array(rb.length + 1).fill(0);
  for (let i = 1; i <= ra.length; i++) {
    cur[0] = i;
    let low = i;
    for (let j = 1; j <= rb.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ra[i - 1] === rb[j - 1] ? 0 : 1));
      low = Math.min(low, cur[j]);
    }
    if (low > max) return max + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[rb.length];
}

function fileKey(key: string): string {
  if (key === "") return "_";
  if (/^[a-z0-9]+$/.test(key)) return key;
  return "~" + [...new TextEncoder().encode(key)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// Go compares strings by UTF-8 bytes; for the index's letters and digits
// that is code point order, which this is.
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function shortest(word: string): string {
  const r = [...word];
  const keep = Math.max(3, r.length - 2);
  return keep >= r.length ? word : r.slice(0, keep).join("");
}

const isPrefixMatch = (word: string, st: string, term: string) =>
  term.startsWith(st) || (word.startsWith(term) && term.length >= shortest(word).length);

export class Index {
  meta!: Meta;
  private base: string;
  private shards = new Map<number, Promise<Postings>>();
  private docs = new Map<number, Promise<DocRecord[]>>();
  private lists = new Map<string, Promise<string[]>>();
  fetched: string[] = [];

  constructor(base: string) {
    this.base = base;
  }

  async open(): Promise<void> {
    this.meta = await this.get("meta.json", "");
  }

  private async get(name: string, hash: string): Promise<any> {
    this.fetched.push(name);
    const r = await fetch(this.base + name + (hash ? "?h=" + hash : ""));
    if (!r.ok) throw new Error(name + ": " + r.status);
    return r.json();
  }

  private shardFor(key: string): number {
    const t = this.meta.terms;
    let lo = 0, hi = t.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(t[mid][0], key) > 0) hi = mid;
      else lo = mid + 1;
    }
    return lo - 1;
  }

  private shard(i: number): Promise<Postings> {
    let p = this.shards.get(i);
    if (!p) {
      const [key, hash] = this.meta.terms[i];
      p = this.get("t/" + fileKey(key) + ".json", hash).then((raw: Postings) => {
        for (const t in raw) {
          const list = raw[t];
          for (let j = 0, id = 0; j + 1 < list.length; j += 2) list[j] = id += list[j];
        }
        return raw;
      });
      this.shards.set(i, p);
    }
    return p;
  }

  private async postings(term: string): Promise<number[]> {
    const i = this.shardFor(term);
    if (i < 0) return [];
    const sh = await this.shard(i);
    return Object.prototype.hasOwnProperty.call(sh, term) ? sh[term] : [];
  }

  private async termsIn(lo: string, hi: string): Promise<string[]> {
    const out: string[] = [];
    const t = this.meta.terms;
    const first = Math.max(0, this.shardFor(lo));
    const want: number[] = [];
    for (let i = first; i < t.length && cmp(t[i][0], hi) < 0; i++) want.push(i);
    for (const sh of await Promise.all(want.map((i) => this.shard(i)))) {
      for (const term in sh) if (cmp(term, lo) >= 0 && cmp(term, hi) < 0) out.push(term);
    }
    return out.sort(cmp);
  }

  private wordList(st: string): Promise<string[]> {
    const first = [...st][0];
    const entry = this.meta.words.find((w) => w[0] === first);
    if (!entry) return Promise.resolve([]);
    let p = this.lists.get(first);
    if (!p) {
      p = this.get("w/" + fileKey(first) + ".json", entry[1]);
      this.lists.set(first, p);
    }
    return p;
  }

  private async candidates(word: string, typing: boolean): Promise<[string, number][]> {
    const st = stem(word);
    const out: [string, number][] = [[st, 1]];
    const exact = this.postings(st);
    if (typing) {
      const lo = [st, shortest(word)].sort(cmp)[0];
      const hi = [st, word].sort(cmp)[1] + "\u{10FFFF}";
      for (const t of await this.termsIn(lo, hi)) if (t !== st && isPrefixMatch(word, st, t)) out.push([t, PREFIX]);
    }
    await exact;
    for (const [t] of out) if ((await this.postings(t)).length > 0) return out;
    const n = [...st].length;
    if (n < 5) return out;
    const max = n >= 9 ? 2 : 1;
    for (const t of await this.wordList(st)) {
      const d = editDistance(st, t, max);
      if (d > 0 && d <= max) out.push([t, d === 2 ? TYPO2 : TYPO1]);
    }
    return out;
  }

  private doc(id: number): Promise<DocRecord> {
    const n = Math.floor(id / this.meta.perShard);
    let p = this.docs.get(n);
    if (!p) {
      p = this.get("d/" + n + ".json", this.meta.docShards[n]);
      this.docs.set(n, p);
    }
    return p.then((recs) => recs[id % this.meta.perShard]);
  }

  // search ranks text's matches. A query that stale() says was overtaken
  // (the visitor typed on) stops before scoring and before fetching
  // document shards: while typing fast, only the words' term shards of
  // the keystrokes in between are fetched, and no CPU goes to results
  // nobody will see.
  async search(text: string, typing: boolean, kind: string, tag: string, limit: number, stale: () => boolean = () => false): Promise<{ total: number; hits: Hit[]; terms: string[] }> {
    const none = { total: 0, hits: [], terms: [] };
    const ws = words(text);
    if (ws.length === 0) return none;
    // Every word's candidates at once: their shards load in parallel.
    const cands = await Promise.all(ws.map((w, i) => this.candidates(w, typing && i === ws.length - 1)));
    if (stale()) return none;
    // Scores live in arrays indexed by document id, not in Maps: at
    // 10,000 documents a common word has 10,000 postings per term. In a
    // CPU profile of the last keystroke of "proxmox backup" on the
    // 10,000-post corpus, Maps took twice the samples in search() and
    // in the garbage collector that these arrays take. The sums are
    // taken in the same order as the Go reader's, so the scores are the
    // same numbers.
    const N = this.meta.docs;
    const total = new Float64Array(N);
    const matched = new Uint16Array(N); // how many of the words matched so far
    const terms: string[] = [];
    for (let w = 0; w < cands.length; w++) {
      const best = new Float64Array(N);
      for (const [term, factor] of cands[w]) {
        const p = await this.postings(term);
        if (p.length === 0) continue;
        terms.push(term);
        const df = p.length / 2;
        const idf = Math.log(1 + (N - df + 0.5) / (df + 0.5));
        for (let j = 0; j < p.length; j += 2) {
          const wt = p[j + 1];
          const s = (factor * idf * wt * (K + 1)) / (wt + K);
          if (s > best[p[j]]) best[p[j]] = s;
        }
      }
      for (let id = 0; id < N; id++) {
        if (best[id] > 0 && matched[id] === w) {
          total[id] += best[id];
          matched[id] = w + 1;
        }
      }
    }
    let allow: Uint8Array | null = null;
    if (tag) {
      const p = await this.postings("#" + tag);
      allow = new Uint8Array(N);
      for (let j = 0; j < p.length; j += 2) allow[p[j]] = 1;
    }
    const code = kind ? ({ post: "p", note: "n", tag: "t", lab: "l" } as Record<string, string>)[kind] : "";
    // The best limit, best first, and among equals the newer document
    // (higher id): kept in order while counting, without sorting every
    // match.
    const better = (a: number, b: number) => (total[a] !== total[b] ? total[a] > total[b] : a > b);
    const top: number[] = [];
    let count = 0;
    for (let id = 0; id < N; id++) {
      if (matched[id] !== cands.length || (code && this.meta.kinds[id] !== code) || (allow && !allow[id])) continue;
      count++;
      if (limit <= 0 || (top.length === limit && !better(id, top[limit - 1]))) continue;
      let at = top.length < limit ? top.push(id) - 1 : limit - 1;
      while (at > 0 && better(id, top[at - 1])) {
        top[at] = top[at - 1];
        at--;
      }
      top[at] = id;
    }
    if (stale()) return none;
    const docs = await Promise.all(top.map((id) => this.doc(id)));
    return { total: count, hits: top.map((id, i) => ({ id, score: total[id], doc: docs[i] })), terms };
  }
}

// ---- the page ----

// marked appends text to el with every word the query matched in <mark>.
function marked(el: HTMLElement, text: string, terms: Set<string>) {
  let at = 0;
  for (const m of text.matchAll(/[\p{L}\p{Nd}]+/gu)) {
    if (!matches(m[0], terms)) continue;
    el.append(text.slice(at, m.index), Object.assign(document.createElement("mark"), { textContent: m[0] }));
    at = m.index! + m[0].length;
  }
  el.append(text.slice(at));
}

function matches(word: string, terms: Set<string>): boolean {
  const w = word.toLowerCase();
  if (terms.has(stem(w))) return true;
  for (const t of terms) if (t.length >= 3 && w.startsWith(t)) return true;
  return false;
}

// excerpt starts the text near its first match when that is far in.
function excerpt(text: string, terms: Set<string>): string {
  for (const m of text.matchAll(/[\p{L}\p{Nd}]+/gu)) {
    if (!matches(m[0], terms)) continue;
    if (m.index! < 160) return text;
    const from = text.lastIndexOf(" ", m.index! - 60);
    return "… " + text.slice(from + 1);
  }
  return text;
}

const KINDS: Record<string, string> = { post: "Post", note: "Note", tag: "Tag", lab: "Lab" };
const PAGE = 10;

function start() {
  const form = document.querySelector<HTMLFormElement>("form.search-form");
  const box = document.getElementById("search-q") as HTMLInputElement | null;
  const status = document.getElementById("search-status");
  const results = document.getElementById("search-results") as HTMLOListElement | null;
  const help = document.getElementById("search-help");
  if (!form || !box || !status || !results) return;
  const kindSel = document.getElementById("search-kind") as HTMLSelectElement | null;
  const tagSel = document.getElementById("search-tag") as HTMLSelectElement | null;
  if (help && help.dataset.js) help.textContent = help.dataset.js;
  const index = new Index(form.dataset.index || "/search/");
  const opened = index.open();
  let seq = 0;
  let limit = PAGE;
  const more = Object.assign(document.createElement("button"), { type: "button", className: "button search-more", textContent: "More results", hidden: true });
  results.after(more);

  const params = new URLSearchParams(location.search);
  box.value = params.get("q") || "";
  if (kindSel) kindSel.value = params.get("kind") || "";
  if (tagSel) tagSel.value = params.get("tag") || "";

  async function run(typing: boolean) {
    const mine = ++seq;
    const q = box!.value, kind = kindSel?.value || "", tag = tagSel?.value || "";
    const url = new URL(location.href);
    for (const [k, v] of [["q", q], ["kind", kind], ["tag", tag]]) v ? url.searchParams.set(k, v) : url.searchParams.delete(k);
    history.replaceState(null, "", url);
    if (words(q).length === 0) {
      results!.replaceChildren();
      status!.textContent = "";
      more.hidden = true;
      return;
    }
    let res;
    try {
      await opened;
      res = await index.search(q, typing, kind, tag, limit, () => mine !== seq);
    } catch (err) {
      if (mine === seq) status!.textContent = "Search is unavailable right now: " + (err as Error).message;
      return;
    }
    if (mine !== seq) return;
    const terms = new Set(res.terms);
    const items = res.hits.map(({ doc: [url, title, kind, date, tags, text] }) => {
      const li = document.createElement("li");
      li.className = "search-hit";
      const a = document.createElement("a");
      a.href = url;
      marked(a, title, terms);
      const h = document.createElement("h2");
      h.append(a);
      const meta = document.createElement("p");
      meta.className = "meta";
      meta.textContent = [KINDS[kind] || kind, date, tags.join(", ")].filter(Boolean).join(" · ");
      li.append(h, meta);
      if (text) {
        const p = document.createElement("p");
        p.className = "excerpt";
        marked(p, excerpt(text, terms), terms);
        li.append(p);
      }
      return li;
    });
    results!.replaceChildren(...items);
    more.hidden = res.total <= res.hits.length;
    const n = res.total;
    status!.textContent =
      (n === 0 ? "No results" : n === 1 ? "1 result" : n + " results") + " for “" + q.trim() + "”" +
      (n > res.hits.length ? ", showing the first " + res.hits.length : "") + ".";
  }

  const fresh = () => {
    limit = PAGE;
    run(true);
  };
  box.addEventListener("input", fresh);
  kindSel?.addEventListener("change", fresh);
  tagSel?.addEventListener("change", fresh);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    limit = PAGE;
    run(false);
  });
  more.addEventListener("click", () => {
    const next = results!.children.length;
    limit += PAGE;
    run(false).then(() => (results!.querySelectorAll("a")[next] as HTMLElement | undefined)?.focus());
  });

  // Arrow keys move between the box and the results; Escape goes back.
  const links = () => [...results!.querySelectorAll<HTMLAnchorElement>("a")];
  box.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && links().length) {
      e.preventDefault();
      links()[0].focus();
    }
  });
  results.addEventListener("keydown", (e) => {
    const all = links();
    const i = all.indexOf(document.activeElement as HTMLAnchorElement);
    if (i < 0) return;
    if (e.key === "ArrowDown" && i + 1 < all.length) all[i + 1].focus();
    else if (e.key === "ArrowUp") (i > 0 ? all[i - 1] : box).focus();
    else if (e.key === "Escape") box.focus();
    else return;
    e.preventDefault();
  });

  if (box.value) run(false);
}

start();
