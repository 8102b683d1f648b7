#!/bin/sh
# Fails when the committed *_templ.go files are not what `templ generate`
# makes from the .templ sources (the generated code is committed).
set -eu
sum() { find . -name '*_templ.go' -not -path './.git/*' | sort | xargs cat 2>/dev/null | cksum; }
before=$(sum)
go tool templ generate >/dev/null
after=$(sum)
if [ "$before" != "$after" ]; then
	echo "templ generate changed the generated files: they were stale. Commit the regenerated *_templ.go files." >&2
	exit 1
fi
