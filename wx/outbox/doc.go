// Package outbox sends what rules queue, one account at a time, the way a careful person
// would: paced (at most PerSecond messages a second with jitter, at most PerChatPerMinute to any
// one chat), backing off for minutes when the server answers Ret 1205 (too often) and retrying
// the same message, and reporting every send with the MsgID the server returned so the caller
// can log it.
//
// Lifecycle: New, then Run in one goroutine (the only one that sends); Enqueue from anywhere.
// When Run's context ends it stops; Drain sends what it can before a deadline, for shutdown.
//
//	ob := outbox.New(client, outbox.Options{OnResult: func(r outbox.Result) { … }})
//	go ob.Run(ctx)
//	ob.Enqueue(outbox.Job{To: "@@5e1c…", Text: "早上好"})
//
// Bulk blasting is how accounts get banned: pacing is not optional, only Unpaced benchmarks
// switch it off.
package outbox
