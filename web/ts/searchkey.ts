// The search shortcut, on every page: "/" focuses the search box (the
// search page's own, else the header's), unless the visitor is typing
// into a field already.
document.addEventListener("keydown", (e: KeyboardEvent) => {
  if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
  const t = e.target as HTMLElement | null;
  if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
  const box = (document.getElementById("search-q") || document.getElementById("site-search-q")) as HTMLInputElement | null;
  if (!box) return;
  e.preventDefault();
  box.focus();
  box.select();
});
