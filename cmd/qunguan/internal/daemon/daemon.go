package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"qunguan/cmd/qunguan/internal/config"
	"qunguan/db"
	"qunguan/engine"
	"qunguan/wx"
	"qunguan/wx/outbox"
)

// Feed is told what happens, for the demo's live view. Every method is optional to act on
// and must return quickly; calls come from the accounts' sync, engine and outbox goroutines.
type Feed interface {
	// Committed: events logged and about to be dispatched.
	Committed(account string, events []db.Pending)
	// RuleFired: a rule matched an event.
	RuleFired(account string, rule engine.RuleInfo, ev wx.Event)
	// Sent: the outbox finished a job (Err set when it failed).
	Sent(account string, res outbox.Result)
	// ScriptFailed: a handler raised an error.
	ScriptFailed(account string, err *engine.ScriptError)
}

// Options wire a Daemon.
type Options struct {
	Config *config.Config
	Store  *db.DB
	Logger *logrus.Logger
	// QR shows login QR codes of an account (terminal and PNG). Nil: logged only.
	QR func(account string) func(context.Context, wx.QRCode)
	// Feed, when set, is told what happens (the demo's live view).
	Feed Feed
	// HTTPClient for the protocol clients (default: the client's own).
	HTTPClient *http.Client
	// Client adjusts an account's client options (tests shorten retries).
	Client func(account string, o *wx.Options)
	// Clock for the engines; default the wall clock.
	Clock engine.Clock
	// Unpaced switches outbox pacing off: benchmarks only.
	Unpaced bool
	// MaxLoginAttempts bounds the logins tried in a row after a session ended before the
	// account gives up. Default 5.
	MaxLoginAttempts int
	// LoginRetry is the pause before the first retry; it doubles up to 10 minutes. Default 10s.
	LoginRetry time.Duration
}

// Daemon runs every configured account: login, sync, log, rules, outbox.
type Daemon struct {
	opts     Options
	log      *logrus.Entry
	accounts []*account
	// loadSlot lets one account at a time load its contact book after a login, and one at a
	// time log it: each book is tens of megabytes while it is decoded or mapped to stable
	// ids, and ten accounts starting together would need them all at once (on two cores it
	// is no slower).
	loadSlot chan struct{}
	// protos: the accounts' engines compile each script once, between them.
	protos engine.ProtoCache
}

// waitLoadSlot waits for the contact-book slot (the clients' ContactGate, and the logging of
// a book); release gives it back.
func (d *Daemon) waitLoadSlot(ctx context.Context) (release func(), err error) {
	select {
	case d.loadSlot <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-d.loadSlot }) }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// New builds the accounts; nothing runs until Run.
func New(opts Options) (*Daemon, error) {
	if opts.Config == nil || opts.Store == nil {
		return nil, errors.New("daemon: config and store are required")
	}
	if opts.Logger == nil {
		opts.Logger = logrus.StandardLogger()
	}
	if opts.MaxLoginAttempts <= 0 {
		opts.MaxLoginAttempts = 5
	}
	if opts.LoginRetry <= 0 {
		opts.LoginRetry = 10 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = engine.RealClock{}
	}
	if len(opts.Config.Accounts) == 0 {
		return nil, fmt.Errorf("daemon: no [[account]] in %s: add one (see qunguan.example.toml)", orDefault(opts.Config.Path, "the config"))
	}
	d := &Daemon{opts: opts, log: opts.Logger.WithField("module", "daemon"), loadSlot: make(chan struct{}, 1)}
	for _, ac := range opts.Config.Accounts {
		a, err := newAccount(d, ac)
		if err != nil {
			return nil, err
		}
		d.accounts = append(d.accounts, a)
	}
	return d, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Run runs every account until ctx ends, then lets the outboxes finish what they can within
// drain and returns. An account that cannot log in any more (refused with 1203, or out of
// retries) ends alone; the others go on.
func (d *Daemon) Run(ctx context.Context, drain time.Duration) error {
	var wg sync.WaitGroup
	errs := make([]error, len(d.accounts))
	for i, a := range d.accounts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = a.run(ctx)
			if errs[i] != nil && ctx.Err() == nil {
				a.log.WithError(errs[i]).Error("account stopped")
			}
		}()
	}
	wg.Wait()
	dctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	for _, a := range d.accounts {
		if n := a.outbox.Len(); n > 0 {
			sent := a.outbox.Drain(dctx)
			a.log.WithFields(logrus.Fields{"sent": sent, "left": a.outbox.Len()}).Info("outbox drained for shutdown")
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return errors.Join(errs...)
}

// Outstanding is how much work is queued inside the daemon: committed batches the rules have
// not finished, bot.store writes and dispatch marks not yet written, and jobs in the outboxes
// (waiting for pacing or a retry). Harnesses wait for it to be 0 before they compare what was
// sent with what was received.
func (d *Daemon) Outstanding() int {
	n := 0
	for _, a := range d.accounts {
		n += int(a.undispatched.Load()) + a.writes.pending() + a.outbox.Len()
	}
	return n
}

// Reload re-reads every account's scripts (SIGHUP). With a new config, the scripts also get
// its [scripts.*] sections; accounts, the database and outbox pacing take a restart. A script
// that fails to load keeps its old version; the errors are returned for the log.
func (d *Daemon) Reload(ctx context.Context, cfg *config.Config) error {
	var errs []error
	for _, a := range d.accounts {
		var err error
		if cfg != nil {
			err = a.engine.ReloadConfig(ctx, cfg.Scripts)
		} else {
			err = a.engine.Reload(ctx)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("account %s: %w", a.name, err))
		}
	}
	return errors.Join(errs...)
}

// alertOthers tells the other accounts' alert targets that one account's session ended:
// with every account of a person in one process, the phone is the place they will see it.
func (d *Daemon) alertOthers(from *account, text string) {
	target := orDefault(d.opts.Config.AlertTo, "filehelper")
	for _, a := range d.accounts {
		if a == from || !a.loggedIn() {
			continue
		}
		if err := a.outbox.Enqueue(outbox.Job{To: target, ChatID: target, Text: text, Origin: "daemon"}); err != nil {
			a.log.WithError(err).Warn("could not queue the alert")
		}
	}
}
