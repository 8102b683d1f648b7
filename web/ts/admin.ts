// Admin island: live updates. The pages are complete without it; with it,
// every change the server announces over server-sent events refreshes the
// page's main content in place, and the footer says whether the stream is
// connected.
(() => {
  const body = document.body;
  const url = body.dataset.events;
  const main = document.getElementById("main");
  const state = document.querySelector<HTMLElement>(".live-state");
  if (!url || !main || typeof EventSource === "undefined") return;

  const say = (text: string, live: boolean) => {
    if (state) state.textContent = text;
    body.classList.toggle("is-live", live);
  };
  let busy = false;
  let again = false;
  // Signing out revokes the session at once: a stream reconnect or a
  // refresh still under way would then be refused with a 401. The page is
  // leaving, so it stops asking.
  let stopped = false;
  const inflight = new AbortController();

  // refresh fetches this page again and swaps its main content. The HTML
  // comes from our own server over the same origin, like a reload would.
  const refresh = async (): Promise<void> => {
    if (stopped) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      const res = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" }, signal: inflight.signal });
      if (!res.ok) throw new Error("HTTP " + res.status);
      const doc = new DOMParser().parseFromString(await res.text(), "text/html");
      const next = doc.getElementById("main");
      // Don't pull a form out from under someone who is using it.
      const focused = document.activeElement;
      const inUse = focused !== null && focused !== document.body && main.contains(focused);
      if (next && !inUse) main.replaceChildren(...Array.from(next.childNodes));
      say("Live · updated " + new Date().toLocaleTimeString(), true);
    } catch {
      if (!stopped) say("Live updates paused; reload for fresh data.", false);
    } finally {
      busy = false;
      if (again) {
        again = false;
        void refresh();
      }
    }
  };

  const es = new EventSource(url);
  es.addEventListener("open", () => say("Live · connected", true));
  es.addEventListener("update", () => void refresh());
  es.addEventListener("error", () => say("Disconnected; retrying…", false));
  const stop = () => {
    stopped = true;
    es.close();
    inflight.abort();
  };
  document.querySelector("form.logout")?.addEventListener("submit", stop);
  window.addEventListener("pagehide", stop);
})();
