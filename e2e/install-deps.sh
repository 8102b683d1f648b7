#!/bin/sh
# Installs what the end-to-end tests need when it is missing: Debian's
# chromium. As root it uses apt; otherwise it says what to install. With
# CI=true a tool that cannot be installed is an error, never a skip.
set -eu

need_chromium() {
	for b in chromium chromium-browser google-chrome; do
		command -v "$b" >/dev/null 2>&1 && return 1
	done
	return 0
}

if need_chromium; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "installing chromium (Debian package) for the browser tests"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq chromium >/dev/null
	elif [ "${CI:-}" = true ]; then
		echo "chromium is missing and cannot be installed (not root or no apt-get)" >&2
		exit 1
	else
		echo "note: chromium is missing; browser tests will be skipped (install Debian's chromium package)" >&2
	fi
fi
