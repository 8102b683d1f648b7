#!/usr/bin/env bash
# bench/images.sh — responsive-image processing, labfront's
# internal/picture against Hugo's image processing, on the same photos.
#
#   bench/images.sh            # N = 200 photos of 12 MP
#   N=20 bench/images.sh
#
# Generates N deterministic 12 MP JPEGs (bench/cmd/photos), then one cold
# run of each tool into an output directory that does not exist yet, each
# under /usr/bin/time -v and a timeout: bench/cmd/pictures (Process on all
# cores, 480/960/1600/2400 px) and, when hugo is installed, a Hugo site
# (bench/hugo-images) that resizes the same photos to the same widths with
# a fresh cache (the site's resources/ starts empty and --cacheDir is
# new). Prints wall time, CPU time (user + system), peak RSS and the
# labfront/Hugo ratio. Warm runs need the build cache, which this
# package leaves to the build: not measured here.
# Exit 0: done; 1: a run failed; 2: a prerequisite (/usr/bin/time) is
# missing. Without hugo the comparison is skipped, not failed.
set -euo pipefail

N=${N:-200}
RUN_TIMEOUT=${RUN_TIMEOUT:-1800}
GO=${GO:-go}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/labfront-bench-images.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x /usr/bin/time ] || { echo "images.sh: /usr/bin/time is missing (Debian package 'time')" >&2; exit 2; }
command -v timeout >/dev/null || { echo "images.sh: timeout (coreutils) missing" >&2; exit 2; }

echo "# building the tools ($($GO version))" >&2
(cd "$root" && $GO build -o "$work/photos" ./bench/cmd/photos && $GO build -o "$work/pictures" ./bench/cmd/pictures)

echo "# generating $N photos of 4000x3000" >&2
mkdir -p "$work/hugo/assets"
cp -r "$here/hugo-images/." "$work/hugo/"
timeout "$RUN_TIMEOUT" "$work/photos" -n "$N" -out "$work/hugo/assets/photos"
echo "# sources: $(du -sh "$work/hugo/assets/photos" | cut -f1)" >&2

# run_one NAME COMMAND...: one timed run; prints and records "name wall cpu rss files".
run_one() {
	local name=$1 tf="$work/time-$1"
	shift
	sync
	if ! timeout "$RUN_TIMEOUT" /usr/bin/time -v -o "$tf" "$@" >"$work/log-$name" 2>&1; then
		echo "images.sh: $name failed or timed out:" >&2
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
	printf '  %-8s %8.2f s wall %8.2f s cpu %8.1f MB\n' "$name" "$wall" "$cpu" "$rss" >&2
}

: >"$work/raw"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
run_one labfront "$work/pictures" -in "$work/hugo/assets/photos" -out "$work/out-labfront"
lf_files=$(find "$work/out-labfront" -type f | wc -l)
lf_mb=$(du -sm "$work/out-labfront" | cut -f1)
hugo_files="" hugo_mb=""
if command -v hugo >/dev/null 2>&1; then
	run_one hugo hugo --quiet -s "$work/hugo" -d "$work/out-hugo" --cacheDir "$work/hugo-cache"
	hugo_files=$(find "$work/out-hugo" -name '*.jpg' | wc -l)
	hugo_mb=$(find "$work/out-hugo" -name '*.jpg' -print0 | du -cm --files0-from=- | tail -1 | cut -f1)
else
	echo "images.sh: hugo is not installed (apt-get install -y hugo): no comparison" >&2
fi

echo
echo "N=$N photos of 12 MP, cold, $(nproc) cores; CPU = user + system"
awk -v lff="$lf_files" -v hf="$hugo_files" -v lfm="$lf_mb" -v hm="$hugo_mb" '
{ W[$1] = $2; C[$1] = $3; R[$1] = $4 }
END {
	printf "| %-8s | %7s | %7s | %8s | %6s | %9s | %10s | %9s |\n", "tool", "wall s", "CPU s", "RSS MB", "files", "output MB", "wall ratio", "CPU ratio"
	printf "|----------|--------:|--------:|---------:|-------:|----------:|-----------:|----------:|\n"
	if ("hugo" in W) printf "| %-8s | %7.2f | %7.2f | %8.1f | %6s | %9s | %10s | %9s |\n", "hugo", W["hugo"], C["hugo"], R["hugo"], hf, hm, "", ""
	lw = "hugo" in W ? sprintf("%.2fx", W["labfront"] / W["hugo"]) : "-"
	lc = "hugo" in W ? sprintf("%.2fx", C["labfront"] / C["hugo"]) : "-"
	printf "| %-8s | %7.2f | %7.2f | %8.1f | %6s | %9s | %10s | %9s |\n", "labfront", W["labfront"], C["labfront"], R["labfront"], lff, lfm, lw, lc
}' "$work/raw"
echo "labfront per image: $(awk '$1 == "labfront" {printf "%.2f s CPU", $3 / '"$N"'}' "$work/raw")"
grep '^images' "$work/log-labfront" || true
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
