# qunguan's build. SQLite full-text search (FTS5, trigram tokenizer) needs the cgo build tag
# sqlite_fts5: every target passes it, so nobody has to remember it.
GO      ?= go
TAGS    := sqlite_fts5
PKGS    := ./...

.PHONY: demo build test vet fuzz bench clean

demo: build      ## the simulator and the bot together, nothing else needed
	./bin/qunguan demo

build:           ## ./bin/qunguan
	$(GO) build -tags $(TAGS) -o bin/qunguan ./cmd/qunguan

test: vet        ## every test, with the race detector
	$(GO) test -tags $(TAGS) -race -count=1 $(PKGS)

vet:
	$(GO) vet -tags $(TAGS) $(PKGS)

bench:           ## benchmarks; figures go to docs/BENCHMARKS.md
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin qunguan-demo.db qunguan-demo.db-*
