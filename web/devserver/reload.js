// labfront dev server: live reload and the build-error overlay. Injected
// into pages by `labfront serve` only; it never reaches dist/.
(() => {
  "use strict";
  let seen = null;
  let overlay = null;
  function show(text) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "labfront-overlay";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;background:rgba(15,23,42,.94);color:#fecaca;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace;padding:2rem;overflow:auto";
      const h = document.createElement("h2");
      h.textContent = "labfront: the build failed";
      h.style.cssText = "color:#f87171;margin:0 0 1rem;font-size:18px";
      const pre = document.createElement("pre");
      pre.style.whiteSpace = "pre-wrap";
      const p = document.createElement("p");
      p.textContent = "Fix the file and save: the page reloads by itself. The last good build is still being served.";
      p.style.color = "#cbd5e1";
      overlay.append(h, pre, p);
    }
    overlay.querySelector("pre").textContent = text;
    if (!overlay.isConnected) document.body.append(overlay);
  }
  function hide() {
    if (overlay) overlay.remove();
  }
  const events = new EventSource("/_labfront/events");
  events.addEventListener("state", (ev) => {
    const s = JSON.parse(ev.data);
    // Lets tests (and curious people) see which build the page is tracking.
    document.documentElement.dataset.labfrontBuild = s.version;
    if (s.error) {
      show(s.error);
      seen = seen === null ? s.version : seen;
      return;
    }
    if (seen !== null && s.version !== seen) {
      location.reload();
      return;
    }
    hide();
    seen = s.version;
  });
})();
