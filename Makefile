# qunguan's build. SQLite full-text search (FTS5, trigram tokenizer) needs the cgo build tag
# sqlite_fts5: every target passes it, so nobody has to remember it.
GO      ?= go
TAGS    := sqlite_fts5
PKGS    := ./...

.PHONY: demo build test vet fuzz soak bench clean

demo: build      ## the simulator and the bot together, nothing else needed
	./bin/qunguan demo

build:           ## ./bin/qunguan
	$(GO) build -tags $(TAGS) -o bin/qunguan ./cmd/qunguan

test: vet        ## every test, with the race detector
	$(GO) test -tags $(TAGS) -race -count=1 $(PKGS)

vet:
	$(GO) vet -tags $(TAGS) $(PKGS)

FUZZTIME ?= 10s
fuzz:            ## every Fuzz* target in the repository, FUZZTIME each (go fuzzes one target per run)
	@set -e; for file in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
		dir=$$(dirname $$file); \
		for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$file); do \
			echo "fuzz: $$dir $$target ($(FUZZTIME))"; \
			$(GO) test -tags $(TAGS) -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$dir; \
		done; \
	done

SOAKTIME ?= 10m
soak: build      ## faults, kicks and exactly-once checks for SOAKTIME (CI runs the short TestSoak)
	./bin/qunguan bench --soak --duration $(SOAKTIME) --rate 100

bench:           ## benchmarks; figures go to docs/BENCHMARKS.md
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin qunguan-demo.db qunguan-demo.db-*
