#!/usr/bin/env bash
# bench/lighthouse.sh — Lighthouse performance of every page type of the
# built example site, on its mobile and desktop settings, side by side with
# a plain static page (no CSS, no script, a few paragraphs) served by the
# same server in the same rounds.
#
#   bench/lighthouse.sh                 # 5 rounds, results into bench/LIGHTHOUSE.md
#   ROUNDS=3 OUT=/tmp/lh.md bench/lighthouse.sh
#
# Lighthouse's performance score is noisy on a shared machine (its CPU
# throttling multiplies whatever else runs), so this is a script and not a
# test: each round visits every page in turn, and the table reports the
# median of the rounds, with the plain page's median as the yardstick —
# what the site costs over the least a page can cost here, in one run.
# Needs node, Chromium and Lighthouse 12.2.3 (e2e/install-deps.sh installs
# them). Exit 0 when every run finished; 1 when one failed; 2 when a
# prerequisite is missing.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
GO=${GO:-go}
RUN_TIMEOUT=${RUN_TIMEOUT:-180}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
OUT=${OUT:-$here/LIGHTHOUSE.md}
lh=${LABFRONT_LIGHTHOUSE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/labfront/lighthouse-12.2.3}/node_modules/lighthouse/cli/index.js
chromium=$(command -v chromium || command -v chromium-browser || true)
for need in node "$chromium" "$lh"; do
	if [ -z "$need" ] || { [ ! -e "$need" ] && ! command -v "$need" >/dev/null; }; then
		echo "lighthouse.sh: missing ${need:-chromium}; run sh e2e/install-deps.sh" >&2
		exit 2
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/labfront-bench-lh.XXXXXX")
server=""
cleanup() {
	if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building the example site and the server" >&2
(cd "$root" && "$GO" run ./cmd/labfront build --src . --out "$work/dist" >/dev/null)
(cd "$root" && "$GO" build -o "$work/pagesserve" ./bench/cmd/pagesserve)

# The yardstick: the least a page can be, served the same way.
mkdir -p "$work/dist/plain"
cat >"$work/dist/plain/index.html" <<'HTML'
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>A plain page</title>
<meta name="description" content="A plain static page: the yardstick of bench/lighthouse.sh.">
</head>
<body>
<main>
<h1>A plain page</h1>
<p>This page has no stylesheet, no script, no image and no font: what
a page costs when it costs nothing but its bytes. The site's pages are
measured against it in the same rounds, by the same server.</p>
<p>It is served by the same handler as the site, with the same headers,
from the same directory.</p>
</main>
</body>
</html>
HTML

"$work/pagesserve" -root "$work/dist" >"$work/url" 2>"$work/server.log" &
server=$!
for _ in $(seq 1 100); do
	[ -s "$work/url" ] && break
	sleep 0.1
done
url=$(head -n1 "$work/url")
[ -n "$url" ] || { echo "lighthouse.sh: the server did not start" >&2; cat "$work/server.log" >&2; exit 1; }

pages="home:/ blog:/blog/ post:/blog/static-blog-ssr-admin/ note:/notes/cloudflared-ingress-rules/ tag:/tags/go/ tags:/tags/ architecture:/architecture/ status:/status/ plain:/plain/"
flags="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"
failed=0
echo "form page round score fcp_ms lcp_ms tbt_ms cls si_ms dom" >"$work/runs.txt"
for round in $(seq 1 "$ROUNDS"); do
	for form in mobile desktop; do
		for pg in $pages; do
			name=${pg%%:*} path=${pg#*:}
			rep="$work/$form-$name-$round.json"
			preset=()
			[ "$form" = desktop ] && preset=(--preset=desktop)
			if ! CHROME_PATH=$chromium timeout "$RUN_TIMEOUT" node "$lh" "$url$path" --quiet \
				--only-categories=performance --output=json --output-path="$rep" "${preset[@]}" \
				--chrome-flags="$flags --user-data-dir=$work/profile-$form-$name-$round" >/dev/null 2>"$work/lh.err"; then
				echo "lighthouse.sh: $form $path round $round failed: $(tail -n 3 "$work/lh.err")" >&2
				failed=1
				continue
			fi
			node -e '
				const r = require(process.argv[1]), a = r.audits, v = (id) => (a[id] && a[id].numericValue) || 0;
				const dom = a["dom-size"] ? a["dom-size"].numericValue : 0;
				console.log([process.argv[2], process.argv[3], process.argv[4], Math.round(r.categories.performance.score * 100),
					Math.round(v("first-contentful-paint")), Math.round(v("largest-contentful-paint")), Math.round(v("total-blocking-time")),
					v("cumulative-layout-shift").toFixed(3), Math.round(v("speed-index")), dom].join(" "));
			' "$rep" "$form" "$name" "$round" >>"$work/runs.txt"
			echo "round $round/$ROUNDS: $form $name done" >&2
		done
	done
done

# Medians per form and page, and the page against the plain one.
node -e '
	const fs = require("fs");
	const [, file, rounds, out, commit] = process.argv;
	const rows = fs.readFileSync(file, "utf8").trim().split("\n").slice(1).map((l) => l.split(" "));
	const med = (xs) => { const s = xs.map(Number).sort((a, b) => a - b); return s.length ? s[(s.length - 1) >> 1] : NaN; };
	const by = {};
	for (const [form, page, , ...m] of rows) ((by[form] ||= {})[page] ||= []).push(m);
	const col = (ms, i) => med(ms.map((m) => m[i]));
	let md = "# Lighthouse performance, page by page\n\n";
	md += "`bench/lighthouse.sh` (Lighthouse 12.2.3, its default mobile and desktop settings, with their simulated throttling), " +
		`the median of ${rounds} rounds; each round visits every page once, the plain page among them. ` +
		"The plain page has no CSS, script, image or font, and is served by the same server from the same directory: " +
		"`vs plain` is the page's median score minus the plain page'\''s, in the same run. " +
		"TBT is total blocking time, DOM the number of elements. Measured on a shared 2-core machine, so read the ratios, not the absolutes.\n\n";
	md += `Commit: ${commit}\n\n`;
	for (const form of ["mobile", "desktop"]) {
		const pages = by[form] || {};
		const plain = pages.plain ? col(pages.plain, 0) : NaN;
		md += `## ${form}\n\n| page | runs | score | vs plain | FCP ms | LCP ms | TBT ms | CLS | SI ms | DOM |\n|---|---|---|---|---|---|---|---|---|---|\n`;
		for (const [page, ms] of Object.entries(pages)) {
			md += `| ${page} | ${ms.length} | ${col(ms, 0)} | ${page === "plain" ? "—" : (col(ms, 0) - plain >= 0 ? "+" : "") + (col(ms, 0) - plain)} | ` +
				`${col(ms, 1)} | ${col(ms, 2)} | ${col(ms, 3)} | ${col(ms, 4).toFixed(3)} | ${col(ms, 5)} | ${col(ms, 6)} |\n`;
		}
		md += "\n";
	}
	fs.writeFileSync(out, md);
' "$work/runs.txt" "$ROUNDS" "$OUT" "$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)"
cat "$OUT"
exit "$failed"
