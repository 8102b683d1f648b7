#!/usr/bin/env bash
# Speed check of the labfront admin server against nginx, in one run.
#
#   bench/admin.sh            (from the repository root, or from anywhere)
#
# It builds labfront, generates a site with a 500-node lab
# (bench/cmd/biglab), runs `labfront admin` in dev mode with the demo
# source on 127.0.0.1, and nginx on 127.0.0.1 serving static copies of the
# two answers it measures (same bytes, same size). For /admin/ and
# /api/v1/status it runs wrk alternately against nginx and labfront and
# prints, per target, the median req/s and p99 of the rounds, the ratio
# labfront/nginx, and PASS/FAIL against the targets:
#
#   ratio labfront/nginx >= 0.5   and   labfront p99 < 20 ms
#
# Knobs (environment): NODES=500 ROUNDS=2 DURATION=10s WARMUP=2s
# CONNS=50 THREADS=2. Everything listens on loopback; every process it
# starts is stopped on exit. Exit status: 0 when both targets are met, 1
# when one is missed, 2 when the check could not run.
set -euo pipefail

NODES=${NODES:-500}
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNS=${CONNS:-50}
THREADS=${THREADS:-2}
MIN_RATIO=0.5 # labfront must reach at least this fraction of nginx's req/s
MAX_P99_MS=20

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

die() {
	echo "admin.sh: $*" >&2
	exit 2
}

# ── 1. tools ────────────────────────────────────────────────────────────────
nginx_bin=$(command -v nginx || true)
[[ -z $nginx_bin && -x /usr/sbin/nginx ]] && nginx_bin=/usr/sbin/nginx
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[[ -n $nginx_bin ]] || missing+=(nginx)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
		echo "installing ${missing[*]} with apt-get..."
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
		# The Debian package starts a system nginx on port 80; this check
		# runs its own, so stop the service again if the package started it.
		if [[ " ${missing[*]} " == *" nginx "* ]] && command -v systemctl >/dev/null; then
			systemctl stop nginx >/dev/null 2>&1 || true
		fi
		nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
	else
		die "missing ${missing[*]}: install them (Debian: sudo apt-get install ${missing[*]}) or run as root"
	fi
fi
command -v go >/dev/null || die "go is not on PATH"

# ── temp dir and cleanup ────────────────────────────────────────────────────
tmp=$(mktemp -d "${TMPDIR:-/tmp}/labfront-bench.XXXXXX")
server_pid=""
nginx_pid=""
cleanup() {
	local rc=$?
	for pid in $server_pid $nginx_pid; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $server_pid $nginx_pid; do
		# bounded: give each process up to 5 s, then kill it
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [[ $rc -ne 0 && $rc -ne 1 ]]; then
		for log in "$tmp/labfront.log" "$tmp/nginx-error.log"; do
			[[ -s $log ]] && { echo "--- $log (last lines)" >&2; tail -n 20 "$log" >&2; }
		done
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# free_port prints a TCP port on 127.0.0.1 that nothing answers on.
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}

# wait_ready NAME PID URL TENTHS: polls URL until it answers 200, for at
# most TENTHS tenths of a second; gives up at once if PID has exited.
wait_ready() {
	local name=$1 pid=$2 url=$3 tenths=$4
	for _ in $(seq "$tenths"); do
		kill -0 "$pid" 2>/dev/null || die "$name exited during startup"
		if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true) == 200 ]]; then
			return 0
		fi
		sleep 0.1
	done
	die "$name was not ready within $((tenths / 10)) s"
}

# ── 2. build ────────────────────────────────────────────────────────────────
echo "building labfront..."
go build -o "$tmp/labfront" ./cmd/labfront
go build -o "$tmp/biglab" ./bench/cmd/biglab

# ── 3. the site ─────────────────────────────────────────────────────────────
site="$tmp/site"
"$tmp/biglab" -nodes "$NODES" -out "$site"
"$tmp/labfront" check --src "$site" >/dev/null || die "the generated lab does not pass labfront check"
nodes=$(grep -c '^  - id:' "$site/content/lab.yaml")
nodes=$((nodes - 2)) # minus the two sites
links=$(grep -c '^  - {from:' "$site/content/lab.yaml")
echo "site: $nodes nodes, $links links (labfront check: ok)"

# ── 4. the admin server ─────────────────────────────────────────────────────
lf_port=$(free_port)
mkdir -p "$tmp/state"
cat >"$tmp/admin.yaml" <<EOF
listen: 127.0.0.1:$lf_port
site: $site
state_dir: $tmp/state
auth: {mode: dev}
sources:
  - {name: demo, type: demo, interval: 5s}
EOF
"$tmp/labfront" admin --config "$tmp/admin.yaml" >"$tmp/labfront.log" 2>&1 &
server_pid=$!
lf="http://127.0.0.1:$lf_port"
wait_ready "labfront admin" "$server_pid" "$lf/readyz" 600
echo "labfront admin ready on $lf"

# ── 5. nginx with same-size static copies ───────────────────────────────────
www="$tmp/www"
mkdir -p "$www"
admin_size=$(curl -sf --max-time 10 -o "$www/admin.html" -w '%{size_download}' "$lf/admin/") || die "GET /admin/ failed"
status_size=$(curl -sf --max-time 10 -o "$www/status.json" -w '%{size_download}' "$lf/api/v1/status") || die "GET /api/v1/status failed"
grep -q 'data-node\|pve-jove-00' "$www/admin.html" || die "/admin/ does not look like the dashboard"
# nginx workers may run as another user: let them read the files.
chmod 755 "$tmp" "$www"
chmod 644 "$www"/*
ngx_port=$(free_port)
cat >"$tmp/nginx.conf" <<EOF
daemon off;
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log warn;
events { worker_connections 1024; }
http {
    types { text/html html; application/json json; }
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    client_body_temp_path $tmp/ngx-body;
    proxy_temp_path $tmp/ngx-proxy;
    fastcgi_temp_path $tmp/ngx-fastcgi;
    uwsgi_temp_path $tmp/ngx-uwsgi;
    scgi_temp_path $tmp/ngx-scgi;
    server {
        listen 127.0.0.1:$ngx_port;
        root $www;
    }
}
EOF
"$nginx_bin" -p "$tmp" -e "$tmp/nginx-error.log" -c "$tmp/nginx.conf" &
nginx_pid=$!
ngx="http://127.0.0.1:$ngx_port"
wait_ready nginx "$nginx_pid" "$ngx/admin.html" 100
[[ $(curl -s --max-time 5 -o /dev/null -w '%{size_download}' "$ngx/admin.html") == "$admin_size" ]] || die "nginx serves a different size"
echo "nginx ready on $ngx; /admin/ is $admin_size bytes, /api/v1/status is $status_size bytes"

# ── 6. measure ──────────────────────────────────────────────────────────────
secs() { # 10s -> 10, 2m -> 120
	local d=$1
	case $d in
	*m) echo $((${d%m} * 60)) ;;
	*s) echo "${d%s}" ;;
	*) echo "$d" ;;
	esac
}
wrk_limit=$(($(secs "$DURATION") + 20))
WRK_TIMEOUT_S=5

# run_wrk URL OUTFILE: one bounded wrk run.
run_wrk() {
	timeout --foreground "$wrk_limit" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout "${WRK_TIMEOUT_S}s" --latency "$1" >"$2" 2>&1 ||
		die "wrk against $1 failed: $(tail -n 3 "$2")"
}

# parse OUTFILE: prints "req/s p99_ms errors bound" from wrk's output. wrk
# leaves answers slower than --timeout out of its latency histogram and
# counts them as timeout errors; when they are more than 1 % of the
# requests (or nothing completed), the real p99 is at least the timeout:
# that is what counts, and bound=1 marks it as a lower bound.
parse() {
	awk -v timeout_ms="$((WRK_TIMEOUT_S * 1000))" '
	function ms(v) {
		if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
		if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
		if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000
		if (v ~ /m$/)  return substr(v, 1, length(v) - 1) * 60000
		return v + 0
	}
	/^ +99%/ { p99 = ms($2) }
	/^Requests\/sec:/ { rps = $2 }
	/Non-2xx or 3xx responses:/ { err += $NF }
	/ requests in / { reqs = $1 }
	/Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10; timeouts = $10 }
	END {
		if (rps == "" || p99 == "") exit 1
		bound = 0
		if ((reqs == 0 || timeouts * 100 > reqs) && p99 < timeout_ms) { p99 = timeout_ms; bound = 1 }
		printf "%s %.3f %d %d\n", rps, p99, err, bound
	}
	' "$1"
}

median() { # numbers on stdin, one per line
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# cpu_ticks prints the CPU time (user+system, in clock ticks) labfront
# has used so far.
cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$server_pid/stat"
}

# settle waits until labfront is idle. Go keeps computing the answers of
# requests whose client has gone, so after a run against a slow handler
# the server can stay busy for seconds; the next run, against either
# server, must not share the CPU with that backlog. Bounded: 60 s.
settle() {
	local before after hz
	hz=$(getconf CLK_TCK)
	for _ in $(seq 120); do
		before=$(cpu_ticks)
		sleep 0.5
		after=$(cpu_ticks)
		# idle: under 10 % of one core over the half second
		if ((after - before < hz / 20 + 1)); then
			return 0
		fi
	done
	echo "  (labfront still busy after 60 s; measuring anyway)"
}

declare -A RPS P99 ERRS BOUND
measure() { # name url
	local name=$1 url=$2 out rps p99 err bound note=""
	out="$tmp/wrk-$name-$round.txt"
	settle
	run_wrk "$url" "$out"
	read -r rps p99 err bound < <(parse "$out") || die "cannot parse wrk output for $name: $(cat "$out")"
	((bound)) && note="  (p99 is a lower bound: answers slower than the ${WRK_TIMEOUT_S} s timeout)"
	printf '  round %d  %-16s %10.1f req/s  p99 %8.2f ms  errors %d%s\n' "$round" "$name" "$rps" "$p99" "$err" "$note"
	RPS[$name]+="$rps"$'\n'
	P99[$name]+="$p99"$'\n'
	ERRS[$name]=$((${ERRS[$name]:-0} + err))
	BOUND[$name]=$((${BOUND[$name]:-0} + bound))
}

pairs=("admin|$lf/admin/|$ngx/admin.html|$admin_size" "status|$lf/api/v1/status|$ngx/status.json|$status_size")
echo "machine: $(nproc) CPUs, load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency; $ROUNDS rounds per server, alternating nginx and labfront"
for pair in "${pairs[@]}"; do
	IFS='|' read -r what lf_url ngx_url _ <<<"$pair"
	echo "$what: warm-up ($WARMUP each)"
	settle
	timeout --foreground "$wrk_limit" wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "$ngx_url" >/dev/null 2>&1 || true
	timeout --foreground "$wrk_limit" wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "$lf_url" >/dev/null 2>&1 || true
	for round in $(seq "$ROUNDS"); do
		measure "$what-nginx" "$ngx_url"
		measure "$what-labfront" "$lf_url"
	done
	kill -0 "$server_pid" 2>/dev/null || die "labfront admin died during the run"
done

# ── table ───────────────────────────────────────────────────────────────────
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-16s %-9s %9s %12s %9s %7s  %s\n' target server "size (B)" "req/s (med)" "p99 (ms)" ratio result
failed=0
for pair in "${pairs[@]}"; do
	IFS='|' read -r what _ _ size <<<"$pair"
	path=/admin/
	[[ $what == status ]] && path=/api/v1/status
	n_rps=$(printf '%s' "${RPS[$what-nginx]}" | median)
	n_p99=$(printf '%s' "${P99[$what-nginx]}" | median)
	l_rps=$(printf '%s' "${RPS[$what-labfront]}" | median)
	l_p99=$(printf '%s' "${P99[$what-labfront]}" | median)
	ratio=$(awk -v a="$l_rps" -v b="$n_rps" 'BEGIN { printf "%.3g", (b > 0 ? a / b : 0) }')
	why=()
	awk -v r="$ratio" -v m="$MIN_RATIO" 'BEGIN { exit !(r < m) }' && why+=("ratio < $MIN_RATIO")
	awk -v p="$l_p99" -v m="$MAX_P99_MS" 'BEGIN { exit !(p >= m) }' && why+=("p99 >= $MAX_P99_MS ms")
	((${ERRS[$what-labfront]} == 0)) || why+=("${ERRS[$what-labfront]} errors/timeouts")
	result=PASS
	if ((${#why[@]})); then
		result="FAIL ($(
			IFS=,
			echo "${why[*]}"
		))"
		failed=1
	fi
	n_mark=" " l_mark=" "
	((${BOUND[$what-nginx]} == 0)) || n_mark=">"
	((${BOUND[$what-labfront]} == 0)) || l_mark=">"
	printf '%-16s %-9s %9s %12.1f %s%8.2f %7s  %s\n' "$path" nginx "$size" "$n_rps" "$n_mark" "$n_p99" "" ""
	printf '%-16s %-9s %9s %12.1f %s%8.2f %7s  %s\n' "$path" labfront "$size" "$l_rps" "$l_mark" "$l_p99" "$ratio" "$result"
done
echo
echo "targets: labfront req/s >= $MIN_RATIO x nginx's for the same bytes, labfront p99 < $MAX_P99_MS ms, at $CONNS connections"
echo "(> marks a p99 that is a lower bound: more than 1 % of the answers took longer than wrk's ${WRK_TIMEOUT_S} s timeout)"
exit "$failed"
