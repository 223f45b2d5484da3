// Package engine runs qunguan's Lua rules (gopher-lua) against the events of one WeChat
// account.
//
// # Lifecycle
//
// New loads every script of Options.Dir (each *.lua except *_test.lua): each file is compiled
// once into its own *lua.LState with an allow-listed sandbox, and its top-level chunk runs to
// register rules (bot.hear, bot.respond, bot.on) and schedules (bot.every, bot.cron, bot.at,
// bot.after). A script that fails to load is reported and skipped. Run is the loop; it owns
// every LState from then on and returns when its context ends, after stopping all timers
// and closing all states.
//
// # Threading
//
// All Lua runs on the goroutine that calls Run: events in arrival order, script globals keep
// their state between events, no locks on the hot path. Other goroutines talk to the loop
// only through Dispatch/DispatchSync (a bounded queue: Dispatch blocks when it is full),
// Reload, Sync, and an internal job list that timers and bot.http requests post to. Timers
// never run Lua themselves. Sender, History, KV and Contacts are called on the loop goroutine
// and must return quickly (the Sender queues to the outbox, it does not send).
//
// Matching is done in Go (RE2, keywords, chats, senders, cooldowns, owner activity); Lua runs
// only for rules that match. Each handler call is a coroutine, so bot.sleep and bot.http
// suspend it while the loop goes on; each run between two suspensions has a deadline
// (Options.HandlerTimeout, checked by gopher-lua between instructions). A script whose
// handlers fail MaxFailures times in a row is disabled and reported once; one script's
// error never affects another.
//
// # Usage
//
//	eng, err := engine.New(engine.Options{
//		Account:  "main",
//		Dir:      "./scripts",
//		Sender:   outbox,  // engine.Sender
//		History:  store,   // engine.History
//		KV:       store,   // engine.KV
//		Contacts: store,   // engine.Contacts
//		Config:   cfg.Scripts,
//		Watch:    true,
//	})
//	if err != nil { … }
//	go eng.Run(ctx)
//	…
//	// after db.Commit(batch):
//	if err := eng.DispatchSync(ctx, batch.Events); err == nil {
//		store.MarkDispatched(ctx, batch)
//	}
//	// on SIGHUP:
//	err = eng.Reload(ctx)
//
// Script tests (scripts/*_test.lua) run with package engine/scripttest on a VirtualClock.
package engine
