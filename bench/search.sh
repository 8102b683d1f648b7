#!/usr/bin/env bash
# bench/search.sh — the site search's budgets (issue 16), labfront's
# index beside Pagefind's on the same built site.
#
#   bench/search.sh                     # N = 10000 posts, 3 rounds per query
#   SIZES=1000 ROUNDS=1 bench/search.sh # a quick run
#   PAGEFIND=0 bench/search.sh          # labfront alone
#
# For each N: the deterministic corpus (internal/corpus, the one
# bench/build.sh uses) with page_cards: false, the build a site of this
# size deploys (a card per post is over Pages' 20,000 files). Then, each
# under /usr/bin/time -v and a timeout, after a sync:
#   labfront   `labfront build --clean --verbose`: the whole build, and the
#              search index's share from its debug line
#              (msg="search index" … duration=…)
#   edit       a paragraph appended to one post, then the build again: how
#              many index files it rewrote, out of how many
#   pagefind   Pagefind (npm package pagefind@$PAGEFIND_VERSION, installed
#              into this run's temporary directory) over the same dist/
# and bench/cmd/searchbench in headless Chromium for both: bytes fetched
# per query (compressed) and the time from the last keystroke to results
# on a mid-range phone profile (4x CPU slowdown; with and without a
# slow-4G network). Prints one table of each budget against our number
# and Pagefind's.
#
# Everything lives in one mktemp -d directory, removed on exit; nothing
# is installed outside it (Chromium must already be there:
# e2e/install-deps.sh installs it).
# Exit 0: every budget met; 1: a run failed or a budget was missed;
# 2: a prerequisite (/usr/bin/time, timeout, chromium, npm for Pagefind)
# is missing.
set -euo pipefail

SIZES=${SIZES:-10000}
ROUNDS=${ROUNDS:-3}
RUN_TIMEOUT=${RUN_TIMEOUT:-900}
PAGEFIND=${PAGEFIND:-1}
PAGEFIND_VERSION=${PAGEFIND_VERSION:-1.6.0}
QUERIES=${QUERIES:-proxmox backup,tunnel cloudflare,cluster latency}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
GO=${GO:-go}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

[ -x /usr/bin/time ] || { echo "search.sh: /usr/bin/time is missing (Debian package 'time')" >&2; exit 2; }
command -v timeout >/dev/null || { echo "search.sh: timeout (coreutils) missing" >&2; exit 2; }
[ -x "$CHROMIUM" ] || { echo "search.sh: $CHROMIUM is missing (e2e/install-deps.sh installs Debian's chromium)" >&2; exit 2; }
if [ "$PAGEFIND" = 1 ] && ! command -v npm >/dev/null; then
	echo "search.sh: npm is missing: it installs Pagefind (or run with PAGEFIND=0)" >&2
	exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/labfront-bench-search.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# building labfront and the tools ($($GO version))" >&2
(cd "$root" && $GO build -o "$work/labfront" ./cmd/labfront &&
	$GO build -o "$work/corpus" ./bench/cmd/corpus &&
	$GO build -o "$work/searchbench" ./bench/cmd/searchbench)

pagefind="" pf_version="not run"
if [ "$PAGEFIND" = 1 ]; then
	echo "# installing pagefind@$PAGEFIND_VERSION from npm into $work/npm" >&2
	mkdir -p "$work/npm"
	if ! (cd "$work/npm" && npm install --no-audit --no-fund --loglevel=error --prefix "$work/npm" "pagefind@$PAGEFIND_VERSION") >"$work/npm.log" 2>&1; then
		cat "$work/npm.log" >&2
		echo "search.sh: could not install pagefind from npm" >&2
		exit 2
	fi
	pagefind="$work/npm/node_modules/.bin/pagefind"
	pf_version=$PAGEFIND_VERSION
fi

# run_one NAME COMMAND...: one timed run; records "name wall cpu rss" in
# $work/raw and keeps the command's output in $work/log-NAME.
run_one() {
	local name=$1 tf="$work/time-$1"
	shift
	sync
	if ! timeout "$RUN_TIMEOUT" /usr/bin/time -v -o "$tf" "$@" >"$work/log-$name" 2>&1; then
		echo "search.sh: $name failed or timed out:" >&2
		tail -20 "$work/log-$name" >&2
		exit 1
	fi
	local wall cpu rss
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0
		for (i = 1; i <= n; i++) s = s * 60 + p[i]
		printf "%.3f", s }' "$tf")
	cpu=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ {s += $2} END {printf "%.2f", s}' "$tf")
	rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$tf")
	echo "$name $wall $cpu $rss" >>"$work/raw"
	printf '  %-12s %8.2f s wall %8.2f s cpu %8.1f MB   load %s\n' "$name" "$wall" "$cpu" "$rss" "$(cut -d' ' -f1 /proc/loadavg)" >&2
}

# field NAME KEY: KEY's value in run NAME's raw line (wall, cpu, rss).
field() {
	awk -v n="$1" -v k="$2" '$1 == n { print (k == "wall" ? $2 : k == "cpu" ? $3 : $4) }' "$work/raw"
}

# seconds DURATION: a Go duration (850ms, 1.234s, 1m2.5s) in seconds.
seconds() {
	awk -v d="$1" 'BEGIN { s = 0
		if (match(d, /[0-9.]+m[^s]/)) { s += substr(d, RSTART, RLENGTH - 2) * 60; d = substr(d, RSTART + RLENGTH - 1) }
		if (d ~ /ms$/) s += substr(d, 1, length(d) - 2) / 1000
		else if (d ~ /µs$/) s += 0
		else if (d ~ /s$/) s += substr(d, 1, length(d) - 1)
		printf "%.3f", s }'
}

# gz FILE...: the total gzip -6 size of FILEs, as a CDN would send them.
gz() {
	local f t=0
	for f in "$@"; do t=$((t + $(gzip -6 -c "$f" | wc -c))); done
	echo "$t"
}

# listing DIR: the content hash and path of every file under DIR, sorted
# (for comm: a line only after is a file written or changed).
listing() {
	(cd "$1" && find . -type f -print0 | xargs -0 sha256sum | LC_ALL=C sort)
}

fail=0
: >"$work/raw"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for n in $SIZES; do
	echo "# N=$n: generating the corpus (page_cards: false)" >&2
	src="$work/src-$n" dist="$work/dist-$n"
	"$work/corpus" -n "$n" -out "$src"
	echo "page_cards: false" >>"$src/content/site.yaml"

	run_one "labfront-$n" "$work/labfront" build --clean --verbose --src "$src" --out "$dist"
	dur=$(sed -n 's/.*msg="search index".* duration=\([^ ]*\).*/\1/p' "$work/log-labfront-$n")
	[ -n "$dur" ] || { echo "search.sh: no \"search index\" debug line in the build's log" >&2; exit 1; }
	idx_s=$(seconds "$dur")
	docs=$(sed -n 's/.*msg="search index" documents=\([0-9]*\).*/\1/p' "$work/log-labfront-$n")
	idx_files=$(find "$dist/search" -type f ! -name index.html | wc -l)
	idx_bytes=$(find "$dist/search" -type f ! -name index.html -printf '%s\n' | awk '{s += $1} END {print s}')
	site_files=$(find "$dist" -type f | wc -l)
	island=$(find "$dist/assets" -maxdepth 1 -name 'search.*.js' | head -1)
	key=$(find "$dist/assets" -maxdepth 1 -name 'searchkey.*.js' | head -1)
	[ -n "$island" ] || { echo "search.sh: no assets/search.*.js in the build" >&2; exit 1; }
	island_gz=$(gz "$island")
	key_gz=0
	[ -z "$key" ] || key_gz=$(gz "$key")

	# A one-post edit: which index files does the next build rewrite?
	listing "$dist/search" >"$work/search-before"
	posts=("$src"/content/posts/*.md)
	printf '\nAn edit that mentions zeppelin and kubernetes.\n' >>"${posts[$((${#posts[@]} / 2))]}"
	run_one "edit-$n" "$work/labfront" build --verbose --src "$src" --out "$dist"
	listing "$dist/search" >"$work/search-after"
	edit_changed=$(LC_ALL=C comm -13 "$work/search-before" "$work/search-after" | wc -l)
	edit_dur=$(seconds "$(sed -n 's/.*msg="search index".* duration=\([^ ]*\).*/\1/p' "$work/log-edit-$n")")

	pf_s="" pf_files="" pf_bytes="" pf_changed=""
	if [ -n "$pagefind" ]; then
		# Pagefind indexes the built HTML as it is: the same site, after
		# the edit, so both indexes hold the same text.
		run_one "pagefind-$n" "$pagefind" --site "$dist"
		pf_s=$(field "pagefind-$n" wall)
		pf_files=$(find "$dist/pagefind" -type f | wc -l)
		pf_bytes=$(find "$dist/pagefind" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
		# Pagefind has no incremental mode: after the same kind of edit
		# it indexes everything again; count what it rewrote.
		listing "$dist/pagefind" >"$work/pf-before"
		printf '\nA second edit that mentions zeppelin.\n' >>"${posts[$((${#posts[@]} / 2))]}"
		"$work/labfront" build --src "$src" --out "$dist" >"$work/log-edit2-$n" 2>&1
		run_one "pagefind-edit-$n" "$pagefind" --site "$dist"
		listing "$dist/pagefind" >"$work/pf-after"
		pf_changed=$(LC_ALL=C comm -13 "$work/pf-before" "$work/pf-after" | wc -l)
	fi

	echo "# N=$n: searchbench, $ROUNDS rounds per query, engine and profile" >&2
	if ! timeout "$RUN_TIMEOUT" "$work/searchbench" -dist "$dist" -chromium "$CHROMIUM" -rounds "$ROUNDS" -queries "$QUERIES" >"$work/bench-$n" 2>"$work/bench-$n.err"; then
		cat "$work/bench-$n.err" >&2
		echo "search.sh: searchbench failed" >&2
		exit 1
	fi
	cat "$work/bench-$n" >&2

	build_s=$(field "labfront-$n" wall)
	echo
	echo "N=$n posts ($docs documents in the index), $(nproc) cores, labfront $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?'), pagefind $pf_version, $(basename "$CHROMIUM") $("$CHROMIUM" --version 2>/dev/null | awk '{print $2}')"
	echo "site build: $build_s s wall, $(field "labfront-$n" cpu) s CPU, $site_files files; search index $idx_files files, $idx_bytes bytes"
	[ -z "$pagefind" ] || echo "pagefind: $pf_s s wall, $(field "pagefind-$n" cpu) s CPU, $pf_files files, $pf_bytes bytes"
	echo "one-post edit: labfront changed $edit_changed of $idx_files index files (index $edit_dur s, build $(field "edit-$n" wall) s)${pagefind:+; pagefind indexed every page again ($(field "pagefind-edit-$n" wall) s) and changed $pf_changed of $pf_files}"
	echo
	awk -v n="$n" -v build="$build_s" -v idx="$idx_s" -v files="$idx_files" -v island="$island_gz" -v key="$key_gz" \
		-v pfs="$pf_s" -v pff="$pf_files" -v verdict="$work/verdict-$n" '
	# key=value fields of searchbench lines, quoted query kept whole.
	{
		line = $0; delete f
		while (match(line, /[a-z_]+=("[^"]*"|[^ ]*)/)) {
			kv = substr(line, RSTART, RLENGTH); line = substr(line, RSTART + RLENGTH)
			i = index(kv, "="); v = substr(kv, i + 1); gsub(/"/, "", v); f[substr(kv, 1, i - 1)] = v
		}
		e = f["engine"]; p = f["profile"]; q = f["query"]
		ms[e, p, q] = f["first_results_ms"]
		# The bytes depend on the profile (on a fast network every
		# keystroke gets its results and their documents): keep
		# the most.
		if (f["query_bytes"] + 0 > qb[e, q] + 0) qb[e, q] = f["query_bytes"]
		 rt[e] = f["runtime_bytes"]; hits[e, q] = f["hits"]
		if (!(q in seenq)) { seenq[q] = 1; qs[++nq] = q }
		has[e] = 1
	}
	function kb(b) { return sprintf("%.1f KB", b / 1024) }
	function mark(ok) { if (!ok) bad = 1; return ok ? "PASS" : "MISS" }
	END {
		pf = ("pagefind" in has)
		printf "| %-44s | %-10s | %-22s | %-22s |\n", "budget (issue 16)", "target", "labfront", "pagefind"
		printf "|----------------------------------------------|------------|------------------------|------------------------|\n"
		printf "| %-44s | %-10s | %-22s | %-22s |\n", "index build, share of the site build", "<= 10 %", \
			sprintf("%.1f %% (%.2f of %.2f s) %s", 100 * idx / build, idx, build, mark(idx + 0 <= 0.1 * build)), \
			pfs == "" ? "not run" : sprintf("%.0f %% (%.2f s more)", 100 * pfs / build, pfs)
		printf "| %-44s | %-10s | %-22s | %-22s |\n", "index files", "<= 1,000", sprintf("%d %s", files, mark(files + 0 <= 1000)), pff == "" ? "not run" : pff
		for (i = 1; i <= nq; i++) {
			q = qs[i]
			printf "| %-44s | %-10s | %-22s | %-22s |\n", "bytes fetched for \"" q "\" (gzip, most of both profiles)", "<= 100 KB", \
				sprintf("%s %s", kb(qb["labfront", q]), mark(qb["labfront", q] + 0 <= 100 * 1024)), pf ? kb(qb["pagefind", q]) : "not run"
		}
		for (i = 1; i <= nq; i++) {
			q = qs[i]
			printf "| %-44s | %-10s | %-22s | %-22s |\n", "first results \"" q "\", phone CPU", "<= 100 ms", \
				sprintf("%d ms %s", ms["labfront", "phone-cpu", q], mark(ms["labfront", "phone-cpu", q] + 0 <= 100)), pf ? sprintf("%d ms", ms["pagefind", "phone-cpu", q]) : "not run"
			printf "| %-44s | %-10s | %-22s | %-22s |\n", "  the same on slow 4G (150 ms RTT)", "", \
				sprintf("%d ms", ms["labfront", "phone-4g", q]), pf ? sprintf("%d ms", ms["pagefind", "phone-4g", q]) : "not run"
		}
		printf "| %-44s | %-10s | %-22s | %-22s |\n", "search island, gzipped", "<= 10 KB", \
			sprintf("%s %s", kb(island), mark(island + 0 <= 10 * 1024)), pf ? kb(rt["pagefind"]) " (JS + wasm, as sent)" : "not run"
		printf "| %-44s | %-10s | %-22s | %-22s |\n", "header key script (every page), gzipped", "", kb(key), ""
		printf "\nresults shown (first page): "
		for (i = 1; i <= nq; i++) printf "%s\"%s\" labfront %d%s", (i > 1 ? ", " : ""), qs[i], hits["labfront", qs[i]], (pf ? sprintf(" pagefind %d", hits["pagefind", qs[i]]) : "")
		print ""
		print bad ? "fail" : "pass" > verdict
	}' "$work/bench-$n"
	[ "$(cat "$work/verdict-$n")" = pass ] || fail=1
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$fail"
