#!/usr/bin/env bash
# bench/images.sh — responsive images through `labfront build`, cold, warm
# and after a one-photo edit, against Hugo's image processing of the same
# photos; and the Cloudflare Pages file-count budget.
#
#   bench/images.sh                 # N = 200 photos of 12 MP, 4 per post
#   N=20 bench/images.sh            # a quick smoke run
#   bench/images.sh budget          # files of a 1,000-post site, 3 images each
#
# bench (the default): generates N deterministic 4000x3000 JPEGs
# (bench/cmd/photos) and a site whose posts are page bundles holding them,
# PER to a post, each shown with alt text (bench/cmd/photosite); Hugo gets
# the same bundles (bench/hugo-images, whose image render hook resizes to
# the same widths at the same quality). Then, each under /usr/bin/time -v
# and a timeout, after a sync:
#   labfront-cold  `labfront build`: no output, no build cache
#   labfront-warm  the same build again, nothing changed
#   labfront-edit  one photo replaced by another, then the build again
#   hugo-cold      no public/, no resources/, a new --cacheDir
#   hugo-warm      the same build again, with Hugo's resources cache
# The script checks, not the reader: the warm build rewrote no image file
# (path, inode, mtime, ctime and size of each are the same) and processed
# none; the edit build processed one image and changed the files of that
# photo's variants only. Prints wall time, CPU time (user + system), peak
# RSS, file count and output size of each run, and the ratios.
#
# budget: POSTS posts (default 1000) with PER=3 images each of WxH
# (default 2000x1500; 6 distinct photos reused, as the count does not
# depend on what they show), one labfront build, and the count of what
# dist/ holds, what Cloudflare Pages counts, plus one social card per
# post, against Pages' 20,000 files.
#
# Everything lives in one mktemp -d directory, removed on exit.
# Exit 0: every check passed and every target met (issue 12: cold <= 1x
# Hugo, warm <= 0.05x cold; budget: within 20,000 files); 1: a run
# failed, a check failed or a target was missed; 2: a prerequisite
# (/usr/bin/time, timeout) is missing. Without hugo the comparison is
# skipped, not failed.
set -euo pipefail

MODE=${1:-bench}
N=${N:-200}
RUN_TIMEOUT=${RUN_TIMEOUT:-1800}
GO=${GO:-go}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

case $MODE in
bench) PER=${PER:-4} ;;
budget) PER=${PER:-3} POSTS=${POSTS:-1000} W=${W:-2000} H=${H:-1500} ;;
*)
	echo "usage: bench/images.sh [bench|budget]" >&2
	exit 2
	;;
esac

[ -x /usr/bin/time ] || { echo "images.sh: /usr/bin/time is missing (Debian package 'time')" >&2; exit 2; }
command -v timeout >/dev/null || { echo "images.sh: timeout (coreutils) missing" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/labfront-bench-images.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# building labfront and the tools ($($GO version))" >&2
(cd "$root" && $GO build -o "$work/labfront" ./cmd/labfront &&
	$GO build -o "$work/photos" ./bench/cmd/photos &&
	$GO build -o "$work/photosite" ./bench/cmd/photosite)

# run_one NAME COMMAND...: one timed run; records "name wall cpu rss" in
# $work/raw and keeps the command's output in $work/log-NAME.
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
	printf '  %-14s %8.2f s wall %8.2f s cpu %8.1f MB   load %s\n' "$name" "$wall" "$cpu" "$rss" "$(cut -d' ' -f1 /proc/loadavg)" >&2
}

# images DIR: one line per image file of DIR — path, inode, mtime, ctime,
# size — sorted. A file rewritten in place changes its mtime and ctime, a
# file replaced changes its inode: equal lists mean nothing was written.
images() {
	find "$1" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.webp' -o -iname '*.gif' \) \
		-printf '%P %i %T@ %C@ %s\n' | LC_ALL=C sort
}

# built NAME FIELD: a field of labfront's "built site" log line of run NAME.
built() {
	sed -n 's/.*msg="built site".* '"$2"'=\([^ ]*\).*/\1/p' "$work/log-$1"
}

fail() {
	echo "images.sh: CHECK FAILED: $*" >&2
	exit 1
}

if [ "$MODE" = budget ]; then
	echo "# budget: $POSTS posts x $PER images of ${W}x${H}" >&2
	"$work/photos" -n 6 -w "$W" -h "$H" -out "$work/photos-src"
	"$work/photosite" -photos "$work/photos-src" -src "$work/site" -posts "$POSTS" -per "$PER"
	: >"$work/raw"
	echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	run_one labfront-budget "$work/labfront" build --src "$work/site" --out "$work/dist"
	d="$work/dist"
	total=$(find "$d" -type f | wc -l)
	imgs=$(images "$d" | wc -l)
	html=$(find "$d" -type f -name '*.html' | wc -l)
	# wrangler (and labfront deploy) upload neither these nor count them.
	special=$(find "$d" -maxdepth 1 -type f \( -name _worker.js -o -name _redirects -o -name _headers -o -name _routes.json \) | wc -l)
	other=$((total - imgs - html))
	counted=$((total - special))
	# The social cards: one PNG per post and note (another branch adds them).
	cards=$POSTS
	with_cards=$((counted + cards))
	mb=$(du -sm "$d" | cut -f1)
	echo
	echo "$POSTS posts x $PER images of ${W}x${H}, labfront $(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?')"
	printf '| %-38s | %7s |\n' "files in dist/" "count"
	printf '|%s|%s|\n' "----------------------------------------" "--------:"
	printf '| %-38s | %7d |\n' "image variants" "$imgs" "HTML pages" "$html" "other (feeds, assets, sitemap, ...)" "$other" \
		"total in dist/" "$total" "counted by Pages (no _worker.js, ...)" "$counted" "+ one social card per post" "$cards" \
		"counted with cards" "$with_cards"
	echo "variants per image: $(awk -v i="$imgs" -v n="$((POSTS * PER))" 'BEGIN {printf "%.2f", i / n}'); output $mb MB"
	echo "headroom under Cloudflare Pages' 20,000 files: $((20000 - with_cards))"
	awk '{printf "build: %.1f s wall, %.1f s CPU, %.0f MB peak RSS\n", $2, $3, $4}' "$work/raw"
	echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	[ "$with_cards" -le 20000 ] || { echo "budget: MISSED, $with_cards files > 20,000" >&2; exit 1; }
	exit 0
fi

if ((N < PER || N % PER)); then
	echo "images.sh: N=$N must be a multiple of PER=$PER" >&2
	exit 2
fi
posts=$((N / PER))

echo "# generating $N photos of 4000x3000, plus one for the edit" >&2
# Photo i is the same whatever N is: photo N is new to the site.
timeout "$RUN_TIMEOUT" "$work/photos" -n "$((N + 1))" -out "$work/photos-src"
edit_src="$work/edit.jpg"
mv "$work/photos-src/photo-$(printf %04d "$N").jpg" "$edit_src"
echo "# sources: $(du -sh "$work/photos-src" | cut -f1)" >&2
mkdir -p "$work/hugo"
cp -r "$here/hugo-images/." "$work/hugo/"
"$work/photosite" -photos "$work/photos-src" -src "$work/site" -hugo "$work/hugo" -posts "$posts" -per "$PER"

out="$work/out-labfront"
# The build cache of --out DIR is DIR's sibling .DIR.cache (web/incremental.go).
cache="$work/.out-labfront.cache"
[ ! -e "$out" ] && [ ! -e "$cache" ] || fail "labfront's output or build cache exists before the cold run"

: >"$work/raw"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
lf=("$work/labfront" build --src "$work/site" --out "$out")
run_one labfront-cold "${lf[@]}"
[ -d "$cache" ] || fail "no build cache at $cache after the cold build"
images "$out" >"$work/images-cold"
[ "$(built labfront-cold images_processed)" = "$N" ] || fail "cold build processed $(built labfront-cold images_processed) images, not $N"
lf_files=$(find "$out" -type f | wc -l)
lf_imgs=$(wc -l <"$work/images-cold")
lf_mb=$(du -sm "$out" | cut -f1)

run_one labfront-warm "${lf[@]}"
images "$out" >"$work/images-warm"
if ! cmp -s "$work/images-cold" "$work/images-warm"; then
	diff "$work/images-cold" "$work/images-warm" | head -20 >&2
	fail "the warm build rewrote, replaced or removed image files (above: < cold, > warm)"
fi
[ "$(built labfront-warm images_processed)" = 0 ] || fail "warm build processed $(built labfront-warm images_processed) images, not 0"

# The edit: the first photo of the middle post becomes another photo, as
# an editor saves one (a new file renamed over the old: the Hugo site's
# hard link keeps the old bytes).
bundle=$(find "$work/site/content/posts" -mindepth 1 -maxdepth 1 -type d -name "*-photos-$(printf %04d $((posts / 2)))")
slug=${bundle##*/[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]-}
edited=$(find "$bundle" -name 'photo-*.jpg' | LC_ALL=C sort | head -1)
stem=$(basename "$edited" .jpg)
cp "$edit_src" "$work/edit.tmp" && mv -f "$work/edit.tmp" "$edited"
run_one labfront-edit "${lf[@]}"
images "$out" >"$work/images-edit"
[ "$(built labfront-edit images_processed)" = 1 ] || fail "edit build processed $(built labfront-edit images_processed) images, not 1"
# Lines only before (old variants) and only after (new ones): all must be
# the edited photo's, and there must be some of each.
LC_ALL=C comm -3 "$work/images-warm" "$work/images-edit" | tr -d '\t' >"$work/changed"
gone=$(LC_ALL=C comm -23 "$work/images-warm" "$work/images-edit" | wc -l)
came=$(LC_ALL=C comm -13 "$work/images-warm" "$work/images-edit" | wc -l)
if grep -v "^blog/$slug/$stem\.[0-9]*\.[0-9a-f]*\.[a-z]* " "$work/changed" >&2; then
	fail "the edit of $slug/$stem.jpg changed the image files above too"
fi
((gone > 0 && came > 0)) || fail "the edit of $slug/$stem.jpg changed no variant ($gone gone, $came new)"
# And every other image file is exactly as it was.
grep -v "^blog/$slug/$stem\." "$work/images-warm" >"$work/others-warm"
grep -v "^blog/$slug/$stem\." "$work/images-edit" >"$work/others-edit"
cmp -s "$work/others-warm" "$work/others-edit" || fail "image files other than $slug/$stem's changed"
echo "# checks passed: warm rewrote none of $lf_imgs image files; the edit replaced $gone variants of $slug/$stem.jpg with $came" >&2

hugo_files="" hugo_imgs="" hugo_mb=""
if command -v hugo >/dev/null 2>&1; then
	[ ! -e "$work/hugo/resources" ] || fail "Hugo's resources/ exists before its cold run"
	hg=(hugo --quiet -s "$work/hugo" -d "$work/out-hugo" --cacheDir "$work/hugo-cache")
	run_one hugo-cold "${hg[@]}"
	run_one hugo-warm "${hg[@]}"
	hugo_files=$(find "$work/out-hugo" -type f | wc -l)
	hugo_imgs=$(images "$work/out-hugo" | wc -l)
	hugo_mb=$(du -sm "$work/out-hugo" | cut -f1)
	((hugo_imgs == lf_imgs)) || echo "images.sh: note: Hugo wrote $hugo_imgs image files, labfront $lf_imgs" >&2
else
	echo "images.sh: hugo is not installed (apt-get install -y hugo): no comparison" >&2
fi

echo
echo "N=$N photos of 12 MP in $posts page bundles, $(nproc) cores; CPU = user + system; hugo $(command -v hugo >/dev/null && hugo version | awk '{print $2}')"
awk -v lff="$lf_files" -v lfi="$lf_imgs" -v lfm="$lf_mb" -v hf="$hugo_files" -v hi="$hugo_imgs" -v hm="$hugo_mb" -v verdict="$work/verdict" '
{ W[$1] = $2; C[$1] = $3; R[$1] = $4; order[++n] = $1 }
function row(name, files, imgs, mb, ratio) {
	printf "| %-14s | %7.2f | %7.2f | %7.1f | %6s | %6s | %9s | %s |\n", name, W[name], C[name], R[name], files, imgs, mb, ratio
}
function x(a, b) { return sprintf("%.3fx", a / b) }
END {
	printf "| %-14s | %7s | %7s | %7s | %6s | %6s | %9s | %s |\n", "run", "wall s", "CPU s", "RSS MB", "files", "images", "output MB", "ratio (wall / CPU)"
	printf "|----------------|--------:|--------:|--------:|-------:|-------:|----------:|---|\n"
	h = ("hugo-cold" in W)
	row("labfront-cold", lff, lfi, lfm, h ? x(W["labfront-cold"], W["hugo-cold"]) " / " x(C["labfront-cold"], C["hugo-cold"]) " of hugo-cold" : "")
	row("labfront-warm", lff, lfi, lfm, x(W["labfront-warm"], W["labfront-cold"]) " / " x(C["labfront-warm"], C["labfront-cold"]) " of labfront-cold")
	row("labfront-edit", lff, lfi, lfm, x(W["labfront-edit"], W["labfront-cold"]) " / " x(C["labfront-edit"], C["labfront-cold"]) " of labfront-cold")
	if (h) {
		row("hugo-cold", hf, hi, hm, "")
		row("hugo-warm", hf, hi, hm, x(W["hugo-warm"], W["hugo-cold"]) " / " x(C["hugo-warm"], C["hugo-cold"]) " of hugo-cold")
	}
	print ""
	ok = 1
	if (h) {
		r = W["labfront-cold"] / W["hugo-cold"]; rc = C["labfront-cold"] / C["hugo-cold"]
		printf "target cold <= 1x Hugo cold:      %.3fx wall, %.3fx CPU  %s\n", r, rc, r <= 1 ? "PASS" : "MISS"
		if (r > 1) ok = 0
	}
	r = W["labfront-warm"] / W["labfront-cold"]
	printf "target warm <= 0.05x cold:        %.3fx wall, %.3fx CPU  %s\n", r, C["labfront-warm"] / C["labfront-cold"], r <= 0.05 ? "PASS" : "MISS"
	if (r > 0.05) ok = 0
	print ok > verdict
}' "$work/raw"
echo "labfront per image, cold: $(awk '$1 == "labfront-cold" {printf "%.2f s CPU", $3 / '"$N"'}' "$work/raw")"
for r in cold warm edit; do
	echo "labfront-$r: $(grep -o 'msg="built site".*' "$work/log-labfront-$r" | sed 's/ out=[^ ]*//')"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$(cat "$work/verdict")" = 1 ]
