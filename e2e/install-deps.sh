#!/bin/sh
# Installs what the end-to-end tests need when it is missing: Debian's
# chromium (browser tests) and prometheus with prometheus-node-exporter
# (live-data tests), and wrangler from npm (edge tests). As root it uses
# apt (and npm); otherwise it says what to install. With CI=true a tool
# that cannot be installed is an error, never a skip.
set -eu

missing=""
have() {
	for b in "$@"; do
		command -v "$b" >/dev/null 2>&1 && return 0
	done
	return 1
}
have chromium chromium-browser google-chrome || missing="$missing chromium"
have prometheus || missing="$missing prometheus"
have prometheus-node-exporter || missing="$missing prometheus-node-exporter"

if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "installing Debian packages for the end-to-end tests:$missing"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		# shellcheck disable=SC2086 # one word per package
		apt-get install -y -qq --no-install-recommends $missing >/dev/null
	elif [ "${CI:-}" = true ]; then
		echo "missing and not installable here (not root or no apt-get):$missing" >&2
		exit 1
	else
		echo "note: missing$missing; the tests that need them will be skipped" >&2
	fi
fi

# wrangler (workerd) runs the edge worker in the edge tests. It goes into a
# cache outside the repository, once; LABFRONT_WRANGLER_DIR moves it. 4.86.0
# is the last release that runs on Node 20.
wrangler_version=4.86.0
wrangler_dir=${LABFRONT_WRANGLER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/labfront/wrangler-$wrangler_version}
if [ ! -x "$wrangler_dir/node_modules/.bin/wrangler" ]; then
	if command -v npm >/dev/null 2>&1; then
		echo "installing wrangler@$wrangler_version into $wrangler_dir for the edge tests"
		mkdir -p "$(dirname "$wrangler_dir")"
		tmp=$(mktemp -d "$wrangler_dir.new-XXXXXX")
		# Install beside the target and rename, so an interrupted install
		# never looks like a finished one.
		if npm install --prefix "$tmp" --no-audit --no-fund --loglevel=error "wrangler@$wrangler_version" >/dev/null &&
			rm -rf "$wrangler_dir" && mv "$tmp" "$wrangler_dir"; then
			:
		else
			rm -rf "$tmp"
			if [ "${CI:-}" = true ]; then
				echo "could not install wrangler@$wrangler_version into $wrangler_dir" >&2
				exit 1
			fi
			echo "note: could not install wrangler; the edge tests will be skipped" >&2
		fi
	elif [ "${CI:-}" = true ]; then
		echo "npm is missing: the edge tests need wrangler@$wrangler_version (install Node.js 20 and npm)" >&2
		exit 1
	else
		echo "note: npm is missing; the edge tests (wrangler) will be skipped" >&2
	fi
fi
