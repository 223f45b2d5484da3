// Package db is qunguan's store: one SQLite file holding the chat log, the contact book with
// stable ids, sessions, the dispatch queue, the scripts' key-value store and the views people
// query with the sqlite3 shell (docs/SCHEMA.md).
//
// # Build
//
// Full-text search uses FTS5 with the trigram tokenizer, compiled into go-sqlite3 only with
// the build tag sqlite_fts5: build and test with -tags sqlite_fts5 (the Makefile does). Without
// the tag the package does not compile, so nobody runs without search by accident.
//
// # Lifecycle
//
// Open applies the embedded migrations (db/migrations) and refuses a file written by a newer
// qunguan (ErrSchemaTooNew). A DB has one writer connection (every write is serialised
// through it, in WAL mode with synchronous=NORMAL and foreign keys on), a pool of read-only
// connections for queries, and a locked-down connection for scripts' SQL (ReadOnlyQuery).
// Methods are safe for concurrent use. Close when done.
//
// The sync loop hands every wx.Batch to Commit, which stores messages (deduplicated on account
// + MsgId), contacts, member changes, events and batch.Session (the new SyncKey) in one
// transaction: the SyncKey on disk never runs ahead of the log, so every delivered message
// is logged exactly once across crashes. Commit returns the new events with every wx.Peer.ID
// set to its stable id, already queued for dispatch; once the engine has handled them the
// caller calls MarkDispatched. At startup, Undispatched returns what was committed but never
// dispatched, skipping (and counting) what is older than the replay window.
//
// UserNames change at every login; stable ids do not: u<uin> for self, c<N> for persons and
// official accounts, g<N> for groups, the fixed name for special accounts (filehelper). See
// identity.go for the matching rules.
//
// # Usage
//
//	store, err := db.Open(ctx, "data/qunguan.db", db.Options{Logger: log})
//	if err != nil {
//		return err // errors.Is(err, db.ErrSchemaTooNew): upgrade qunguan
//	}
//	defer store.Close()
//
//	replay, err := store.Undispatched(ctx, "main", 10*time.Minute)
//	// log replay.Skipped, dispatch replay.Events, MarkDispatched …
//
//	// After login, hand the store the whole contact book (groups with their members) with the
//	// LoginEvent: that is what lets it match the new UserNames to stable ids well.
//	login, err := client.Login(ctx)
//	book := client.Book()
//	res, err := store.Commit(ctx, &wx.Batch{Account: "main", Uin: login.Uin,
//		Events: []wx.Event{login}, Contacts: append(book.Contacts(), book.Self()),
//		Session: client.Session()})
//
//	err = client.Run(ctx, func(ctx context.Context, b *wx.Batch) error {
//		res, err := store.Commit(ctx, b)
//		if err != nil {
//			return err // the client keeps the old SyncKey: the server delivers again
//		}
//		for _, p := range res.Events {
//			engine.Dispatch(p.Event)
//		}
//		return store.MarkDispatched(ctx, b.Account, res.LastSeq)
//	})
//
//	hits, err := store.Search(ctx, db.SearchQuery{Text: "明早几点", Filter: db.Filter{Account: "main"}})
package db
