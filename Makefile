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
test: deps templ-check fmt-check vet
	go test -count=1 ./...

deps:
	@sh e2e/install-deps.sh

templ-check:
	@sh e2e/templ-check.sh

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -name '*_templ.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	go vet ./...
