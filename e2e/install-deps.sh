#!/bin/sh
# Installs what the end-to-end tests need when it is missing: Debian's
# chromium (browser tests), prometheus with prometheus-node-exporter
# (live-data tests) and a Java runtime (the HTML checker), and from npm
# wrangler (edge tests), axe-core (accessibility tests), Lighthouse and
# vnu-jar (the Nu HTML Checker). As root it uses
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
# Java runs the Nu HTML Checker (e2e/nu_test.go).
have java || missing="$missing default-jre-headless"

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

# npm_tool NAME VERSION DIR WHAT installs NAME@VERSION into DIR (an npm
# prefix) unless DIR/node_modules/NAME is there: once, into a cache outside
# the repository. Installed beside the target and renamed, so an
# interrupted install never looks like a finished one.
npm_tool() {
	name=$1 version=$2 dir=$3 what=$4
	[ -f "$dir/node_modules/$name/package.json" ] && return 0
	if ! command -v npm >/dev/null 2>&1; then
		if [ "${CI:-}" = true ]; then
			echo "npm is missing: the $what need $name@$version (install Node.js 20 and npm)" >&2
			exit 1
		fi
		echo "note: npm is missing; the $what ($name) will be skipped" >&2
		return 0
	fi
	echo "installing $name@$version into $dir for the $what"
	mkdir -p "$(dirname "$dir")"
	tmp=$(mktemp -d "$dir.new-XXXXXX")
	if npm install --prefix "$tmp" --no-audit --no-fund --loglevel=error "$name@$version" >/dev/null &&
		rm -rf "$dir" && mv "$tmp" "$dir"; then
		return 0
	fi
	rm -rf "$tmp"
	if [ "${CI:-}" = true ]; then
		echo "could not install $name@$version into $dir" >&2
		exit 1
	fi
	echo "note: could not install $name; the $what will be skipped" >&2
}

cache=${XDG_CACHE_HOME:-$HOME/.cache}/labfront

# wrangler (workerd) runs the edge worker in the edge tests; LABFRONT_WRANGLER_DIR
# moves it. 4.86.0 is the last release that runs on Node 20.
wrangler_version=4.86.0
npm_tool wrangler "$wrangler_version" "${LABFRONT_WRANGLER_DIR:-$cache/wrangler-$wrangler_version}" "edge tests"

# axe-core checks every page type for accessibility violations in the
# browser tests (e2e/a11y_test.go); LABFRONT_AXE_DIR moves it. Keep the
# version in step with internal/testkit/sitetest/axe.go.
axe_version=4.14.1
npm_tool axe-core "$axe_version" "${LABFRONT_AXE_DIR:-$cache/axe-core-$axe_version}" "accessibility tests"

# Lighthouse scores the accessibility, best-practices and SEO of every page
# type (e2e/lighthouse_test.go); LABFRONT_LIGHTHOUSE_DIR moves it. 12.2.3 is
# the last line that runs on Node 20 (13 needs Node 22). Keep the version
# in step with internal/testkit/sitetest/lighthouse.go.
lighthouse_version=12.2.3
npm_tool lighthouse "$lighthouse_version" "${LABFRONT_LIGHTHOUSE_DIR:-$cache/lighthouse-$lighthouse_version}" "Lighthouse tests"

# mailpit is the real SMTP server (STARTTLS, AUTH) of the notifier tests
# (internal/notify); LABFRONT_MAILPIT names another binary. Built with go
# install into the cache, beside the target and renamed like the npm
# tools. Keep the version in step with internal/testkit/notifytest/mailpit.go.
mailpit_version=v1.33.1
mailpit_dir=$cache/mailpit-$mailpit_version
if [ -z "${LABFRONT_MAILPIT:-}" ] && [ ! -x "$mailpit_dir/mailpit" ]; then
	echo "installing mailpit $mailpit_version into $mailpit_dir for the notifier tests"
	mkdir -p "$cache"
	tmp=$(mktemp -d "$mailpit_dir.new-XXXXXX")
	if GOBIN=$tmp go install "github.com/axllent/mailpit@$mailpit_version" >/dev/null &&
		rm -rf "$mailpit_dir" && mv "$tmp" "$mailpit_dir"; then
		:
	else
		rm -rf "$tmp"
		if [ "${CI:-}" = true ]; then
			echo "could not install mailpit $mailpit_version" >&2
			exit 1
		fi
		echo "note: could not install mailpit; the notifier end-to-end test will be skipped" >&2
	fi
fi

# The Nu HTML Checker checks every page of the built site (e2e/nu_test.go);
# the npm package vnu-jar ships its vnu.jar, run with Debian's Java.
# LABFRONT_VNU_DIR moves it. Keep the version in step with
# internal/testkit/sitetest/vnu.go.
vnu_version=26.9.27
npm_tool vnu-jar "$vnu_version" "${LABFRONT_VNU_DIR:-$cache/vnu-jar-$vnu_version}" "HTML checker tests"
