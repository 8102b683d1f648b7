#!/bin/sh
# Installs what the end-to-end tests need when it is missing: Debian's
# chromium (browser tests) and prometheus with prometheus-node-exporter
# (live-data tests). As root it uses apt; otherwise it says what to
# install. With CI=true a tool that cannot be installed is an error, never
# a skip.
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
