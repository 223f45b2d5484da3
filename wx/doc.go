// Package wx is a client for the web WeChat protocol: QR, push and hot login (and the UOS
// desktop mode for accounts barred from the web), the contact book, the sync loop, every
// message kind as a typed Message, sending text and media, revoking, group operations,
// friend requests, media downloads and logout. It knows nothing of Lua or SQL.
//
// Lifecycle: New (no I/O), Login (hot → push → QR), then Run in one goroutine. Run hands every
// webwxsync answer to the handler as a Batch and moves the sync cursor only after the handler
// returned nil, so a crash or a failed commit means the server delivers the batch again: with
// a store that commits each batch in one transaction, every message is logged exactly once.
// Sends and group operations may be called from other goroutines while Run runs; pace them
// with package outbox.
//
//	c, err := wx.New(wx.Options{Account: "main", Store: store, QR: showQR})
//	if err != nil { … }
//	login, err := c.Login(ctx)
//	if err != nil { … } // errors.Is(err, wx.ErrWebLoginForbidden): try Mode "desktop"
//	err = c.Run(ctx, func(ctx context.Context, b *wx.Batch) error {
//		return store.Commit(ctx, b) // then dispatch b.Events
//	})
//	// errors.Is(err, wx.ErrSessionEnded): log in again (push first, then QR)
//
// UserNames (@…, @@…) change at every QR or push login: Peers carry them for the wire, and the
// store maps them to stable ids. Endpoint points every request at a simulator (package wxsim)
// while the Host header and cookies keep the real host names.
package wx
