// Package wxsim is a protocol-faithful fake of web WeChat (wx.qq.com and its sister
// hosts): a server that unmodified web WeChat clients can log into, sync from and send
// through, byte-exact where clients parse (PROTOCOL.md, "Checklist for a faithful
// simulator"). It is how qunguan is demonstrated, tested, benchmarked and broken without
// a phone.
//
// It deliberately shares no code with qunguan's client: it encodes the protocol from its
// own model of the world, so a misunderstanding in the client is not mirrored here.
//
// # Lifecycle
//
// New builds a Server from Options: a world (the self account, friends, official
// accounts, groups) taken from a Scenario, and a seed that makes every UserName, ticket
// and MsgId reproducible. The Server is an http.Handler; serve it with httptest or
// http.Server. It routes by the Host header (login.wx.qq.com, wx2.qq.com,
// webpush.wx2.qq.com, file.wx2.qq.com, …) and also answers the plain paths on any other
// address (http://127.0.0.1:PORT/cgi-bin/mmwebwx-bin/…).
//
// A login starts with jslogin; the "phone" confirms it through Confirm (or POST
// /_sim/confirm, or Options.AutoConfirm). Redeeming the ticket at webwxnewloginpage
// starts a session with fresh UserNames; a new login ends the previous one (1101), as
// does a kick, and Logout ends it the way the phone would. Everything that happens —
// Inject, Members, the client's own sends — is appended to the live session's event log;
// the SyncKey is a cursor into that log, so an old key replays what followed it.
//
// RunTimeline plays a scenario's timeline relative to the login; RunLoad generates
// traffic for benchmarks. Both stop with their context. The control API under /_sim/
// (state, confirm, inject, members, logout, faults, sent) mirrors the Go methods.
//
// # Example
//
//	srv, err := wxsim.New(wxsim.Options{Seed: 1, AutoConfirm: 2 * time.Second})
//	if err != nil {
//		return err
//	}
//	hs := &http.Server{Addr: "127.0.0.1:8080", Handler: srv}
//	go hs.ListenAndServe()
//	go srv.RunTimeline(ctx)
//	// A client with Endpoint http://127.0.0.1:8080 logs in; then:
//	id, err := srv.Inject(wxsim.Injection{Kind: "text", Chat: "周末徒步群", From: "小明", Text: "@管家 明早几点出发"})
//	sent := srv.Sent() // what the client answered
package wxsim
