# labfront: the two commands a newcomer needs are `make run` and `make test`.
.PHONY: run build test deps generate fmt-check templ-check vet

run:
	go run ./cmd/labfront serve

build:
	go run ./cmd/labfront build

generate:
	go tool templ generate

# test installs what the browser tests need, checks generated code and
# formatting, vets, and runs every test. With CI=true a missing tool fails.
# The timeout is per package binary: the web package's privacy sweep builds
# the example site once per lab field, which on a loaded 2-core machine has
# taken over go test's default of 10 minutes.
test: deps templ-check fmt-check vet
	go test -count=1 -timeout 30m ./...

deps:
	@sh e2e/install-deps.sh

templ-check:
	@sh e2e/templ-check.sh

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -name '*_templ.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	go vet ./...
