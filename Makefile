# Chorus: everyday commands. Go must be on PATH (the go directive in go.mod
# names the version); tests and benchmarks also need ffmpeg and ffprobe, and
# the browser tests Debian's chromium (/usr/bin/chromium).

GO ?= go

# staticcheck is run from the module proxy at this version rather than kept
# in go.mod, so the project's own dependencies stay as they are.
STATICCHECK_VERSION ?= v0.8.2

.PHONY: run build test lint bench clean

## run: start the server on 127.0.0.1:8080 with data in ./chorus-data
run:
	$(GO) run ./cmd/chorus serve

## build: build bin/chorus
build:
	$(GO) build -o bin/chorus ./cmd/chorus

## test: every test, with the race detector, in random order; database
## tests also run on PostgreSQL when CHORUS_TEST_POSTGRES_URL is set
test:
	$(GO) test -race -shuffle=on -count=1 -timeout 45m ./...

## lint: gofmt, go vet, staticcheck, and go.mod/go.sum tidiness; runs every
## check and fails if any of them does
lint:
	@status=0; \
	echo '--- gofmt -l'; \
	unformatted=$$(gofmt -l .); \
	if [ -n "$$unformatted" ]; then \
		echo "$$unformatted"; echo 'gofmt: the files above are not formatted (gofmt -w FILE)'; status=1; \
	fi; \
	echo '--- go vet'; \
	$(GO) vet ./... || status=1; \
	echo '--- staticcheck $(STATICCHECK_VERSION)'; \
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./... || status=1; \
	echo '--- go mod tidy -diff'; \
	$(GO) mod tidy -diff || { echo 'go.mod/go.sum are not tidy (go mod tidy)'; status=1; }; \
	if [ $$status -eq 0 ]; then echo 'lint: ok'; else echo 'lint: FAILED'; fi; \
	exit $$status

## bench: the Go benchmarks, then the import of a real music corpus timed
## against bare ffmpeg (bench/README.md)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	bench/import-real-music.sh

## clean: remove build and test output (never chorus-data/)
clean:
	rm -rf bin
	rm -rf coverage
	rm -f *.test cover*.out *.coverprofile coverage.html
