//go:build !sqlite_fts5

package db

// The store's search needs SQLite's FTS5 with the trigram tokenizer, which
// github.com/mattn/go-sqlite3 compiles in only with the build tag sqlite_fts5. Without it the
// migrations would fail at run time ("no such module: fts5"); this file makes the mistake a
// compile error instead. Build and test with:
//
//	go build -tags sqlite_fts5 ./...
//	go test -tags sqlite_fts5 ./...
//
// (the Makefile passes the tag).
const _ = db_requires_build_tag_sqlite_fts5
