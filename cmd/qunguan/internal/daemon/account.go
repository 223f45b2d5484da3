package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"qunguan/cmd/qunguan/internal/config"
	"qunguan/db"
	"qunguan/engine"
	"qunguan/wx"
	"qunguan/wx/outbox"
)

// account is one WeChat login with its own client, outbox and engine, sharing the store.
type account struct {
	d      *Daemon
	name   string
	store  *db.DB
	client *wx.Client
	outbox *outbox.Outbox
	engine *engine.Engine
	writes *writeBehind // bot.store writes and dispatch marks
	log    *logrus.Entry
	online atomic.Bool

	// committed carries committed events from the sync goroutine to the dispatcher, in order.
	// The sync loop commits the next page while the engine handles this one: on two cores the
	// Lua rules and the next HTTP + decode + commit run side by side. Its capacity bounds how
	// far the log may run ahead of the rules.
	committed chan []db.Pending
	// undispatched counts the batches handed to the dispatcher and not yet handled.
	undispatched atomic.Int64
}

// dispatchAhead is how many committed batches may wait for the engine before the sync loop
// waits: enough to keep both busy, few enough that a crash replays little.
const dispatchAhead = 4

func newAccount(d *Daemon, ac config.Account) (*account, error) {
	cfg := d.opts.Config
	log := d.opts.Logger.WithField("account", ac.Name)
	a := &account{d: d, name: ac.Name, store: d.opts.Store, log: log.WithField("module", "daemon"),
		committed: make(chan []db.Pending, dispatchAhead)}
	a.writes = newWriteBehind(a.store, ac.Name, a.log)

	copts := wx.Options{
		Account: ac.Name, Mode: string(ac.Mode), Extspam: ac.Extspam, Endpoint: ac.Endpoint,
		HTTPClient: d.opts.HTTPClient, Store: d.opts.Store, Logger: log, ContactGate: d.waitLoadSlot,
	}
	if d.opts.QR != nil {
		copts.QR = d.opts.QR(ac.Name)
	}
	if d.opts.Client != nil {
		d.opts.Client(ac.Name, &copts)
	}
	client, err := wx.New(copts)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", ac.Name, err)
	}
	a.client = client

	a.outbox = outbox.New(client, outbox.Options{
		PerSecond: cfg.Outbox.PerSecond, PerChatPerMinute: cfg.Outbox.PerChatPerMinute,
		Backoff1205: cfg.Outbox.Backoff1205.Std(), Unpaced: d.opts.Unpaced, Logger: log,
		OnResult: a.sent,
	})

	eopts := engine.Options{
		Account: ac.Name, Dir: cfg.ScriptsDir, Sender: &sender{a: a},
		History: &history{store: a.store, account: ac.Name}, KV: newKV(a.store, ac.Name, a.writes),
		Contacts: &contacts{store: a.store, account: ac.Name}, Clock: d.opts.Clock,
		Location: cfg.TimeZone.Location(), Config: cfg.Scripts, Logger: log,
		ConfigDefaults: map[string]any{"alert_to": orDefault(cfg.AlertTo, "filehelper")},
		HandlerTimeout: cfg.Engine.HandlerTimeout.Std(), MaxFailures: cfg.Engine.MaxFailures, Watch: true,
		Protos: &d.protos,
	}
	if feed := d.opts.Feed; feed != nil {
		eopts.OnRuleFired = func(r engine.RuleInfo, ev wx.Event) { feed.RuleFired(ac.Name, r, ev) }
		eopts.OnHandlerError = func(err *engine.ScriptError) { feed.ScriptFailed(ac.Name, err) }
	}
	eng, err := engine.New(eopts)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", ac.Name, err)
	}
	a.engine = eng
	return a, nil
}

func (a *account) loggedIn() bool { return a.online.Load() }

// run logs in, syncs and dispatches until ctx ends or logins keep failing.
func (a *account) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		if err := a.engine.Run(ctx); err != nil {
			a.log.WithError(err).Error("engine stopped")
		}
	}()
	go func() { _ = a.outbox.Run(ctx) }()
	dispatched, written := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(dispatched)
		a.dispatchLoop(ctx)
	}()
	go func() {
		defer close(written)
		a.writes.run(ctx)
	}()
	// The dispatcher ends with ctx (what it had not dispatched is replayed at the next start);
	// the write-behind then writes what is queued, so a clean stop loses nothing.
	defer func() { cancel(); <-dispatched; <-written }()

	replayed := false
	failures := 0
	for {
		login, err := a.client.Login(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, wx.ErrWebLoginForbidden) {
				return fmt.Errorf("login refused: %w", err)
			}
			failures++
			if failures >= a.d.opts.MaxLoginAttempts {
				return fmt.Errorf("giving up after %d failed logins: %w", failures, err)
			}
			wait := min(a.d.opts.LoginRetry<<(failures-1), 10*time.Minute)
			a.log.WithError(err).WithField("retry_in", wait.String()).Warn("login failed; will try again")
			if !sleepCtx(ctx, wait) {
				return nil
			}
			continue
		}
		failures = 0
		a.online.Store(true)
		if err := a.afterLogin(ctx, login, !replayed); err != nil {
			a.online.Store(false)
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		replayed = true
		a.log.Info("syncing")
		err = a.client.Run(ctx, a.handle)
		a.online.Store(false)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, wx.ErrSessionEnded) {
			a.d.alertOthers(a, fmt.Sprintf("[qunguan] 账号 %s 已掉线（%v），正在尝试重新登录。", a.name, err))
			a.log.WithError(err).Warn("session ended; logging in again (push login first, then a QR code)")
			if !sleepCtx(ctx, time.Second) {
				return nil
			}
			continue
		}
		return fmt.Errorf("sync stopped: %w", err)
	}
}

// afterLogin logs the login with the whole contact book (so every UserName of this login maps
// to its stable id before anything is sent), replays what a crash left undispatched, and
// dispatches the login event.
func (a *account) afterLogin(ctx context.Context, login *wx.LoginEvent, replay bool) error {
	var pending []db.Pending
	if replay {
		r, err := a.store.Undispatched(ctx, a.name, a.d.opts.Config.ReplayWindow.Std())
		if err != nil {
			return err
		}
		if r.Skipped > 0 {
			a.log.WithField("skipped", r.Skipped).Warn("events older than replay_window were not dispatched after the restart (they are in the log)")
		}
		if len(r.Events) > 0 {
			a.log.WithField("events", len(r.Events)).Info("dispatching events a crash left undispatched")
		}
		pending = r.Events
	}
	release, err := a.d.waitLoadSlot(ctx)
	if err != nil {
		return err
	}
	book := a.client.Book()
	contacts := append([]*wx.Contact{book.Self()}, book.Contacts()...)
	committed, err := a.store.Commit(ctx, &wx.Batch{
		Account: a.name, Uin: login.Uin, Events: []wx.Event{login}, Contacts: contacts, Session: a.client.Session(),
	})
	release()
	if err != nil {
		return fmt.Errorf("logging the login: %w", err)
	}
	return a.dispatch(ctx, append(pending, committed.Events...))
}

// handle commits one sync batch and dispatches its new events. Returning an error makes the
// client keep its SyncKey: the server delivers the batch again.
func (a *account) handle(ctx context.Context, b *wx.Batch) error {
	committed, err := a.store.Commit(ctx, b)
	if err != nil {
		return err
	}
	return a.dispatch(ctx, committed.Events)
}

// dispatch hands committed events to the dispatcher, in order. It waits only when
// dispatchAhead batches are already waiting for the engine (backpressure), or ctx ends: the
// events are logged then, and a restart replays them.
func (a *account) dispatch(ctx context.Context, pending []db.Pending) error {
	if len(pending) == 0 {
		return nil
	}
	if a.d.opts.Feed != nil {
		a.d.opts.Feed.Committed(a.name, pending)
	}
	a.undispatched.Add(1)
	select {
	case a.committed <- pending:
		return nil
	case <-ctx.Done():
		a.undispatched.Add(-1)
		return fmt.Errorf("dispatch: %w", ctx.Err())
	}
}

// dispatchLoop runs the engine on each committed batch and, once it was handled, takes the
// batch off the store's dispatch queue. A crash in between replays it after the restart.
func (a *account) dispatchLoop(ctx context.Context) {
	for {
		var pending []db.Pending
		select {
		case <-ctx.Done():
			return
		case pending = <-a.committed:
		}
		events := make([]wx.Event, len(pending))
		for i, p := range pending {
			events[i] = p.Event
		}
		if err := a.engine.DispatchSync(ctx, events); err != nil {
			if ctx.Err() == nil {
				a.log.WithError(err).Error("dispatch failed; the events stay queued for the next start")
			}
			return
		}
		// Marked once the bot.store writes its rules made are written: queued after them.
		_ = a.writes.mark(pending[len(pending)-1].Seq)
		a.undispatched.Add(-1)
	}
}

// sent logs what the outbox sent (once: the echo is dropped by the store) and tells the feed.
func (a *account) sent(res outbox.Result) {
	if a.d.opts.Feed != nil {
		a.d.opts.Feed.Sent(a.name, res)
	}
	if res.Err != nil || res.Job.Kind == outbox.Op {
		return
	}
	kind, text := wx.KindText, res.Job.Text
	switch res.Job.Kind {
	case outbox.Image:
		kind, text = wx.KindImage, res.Job.Path
	case outbox.File:
		kind, text = wx.KindFile, res.Job.Path
	case outbox.Video:
		kind, text = wx.KindVideo, res.Job.Path
	}
	err := a.store.LogSent(context.Background(), a.name, db.Sent{
		MsgID: res.Sent.MsgID, ChatID: res.Job.ChatID, ChatUserName: res.Job.To, Kind: kind,
		Text: text, Path: res.Job.Path, Time: res.At,
	})
	if err != nil {
		a.log.WithError(err).WithField("msg_id", res.Sent.MsgID).Error("could not log a sent message")
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
