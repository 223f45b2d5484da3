package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
	lua "github.com/yuin/gopher-lua"

	"qunguan/wx"
)

// Defaults for Options fields left zero.
const (
	DefaultHandlerTimeout = 2 * time.Second
	DefaultMaxFailures    = 5
	DefaultQueueSize      = 64
	DefaultHTTPTimeout    = 10 * time.Second
	DefaultHTTPMaxBody    = 1 << 20
	DefaultMaxStringSize  = 16 << 20
	DefaultWatchDebounce  = 300 * time.Millisecond
)

// Options configures an Engine. Only Sender is required; every other zero value has a
// documented default.
type Options struct {
	// Account names the account this engine serves (log field "account").
	Account string
	// Dir is the scripts directory: every *.lua file in it except *_test.lua is a script,
	// loaded in file-name order (which is also the tie-break between equal priorities).
	Dir string
	// Files are script files to load in addition to Dir (scripttest uses this alone).
	Files []string

	Sender   Sender   // required: where replies, sends and group operations go
	History  History  // nil: ev.original is nil and bot.db.* return an error
	KV       KV       // nil: an in-memory store, lost on restart
	Contacts Contacts // nil: chats can be named only by stable id; bot.contacts & co. fail

	// Clock drives schedules, bot.sleep, cooldowns and os.time. Default: the wall clock.
	Clock Clock
	// Location is the time zone of cron specs, bot.at and os.date. Default: time.Local.
	Location *time.Location
	// Config holds each script's bot.config, by script name (file name without ".lua").
	Config map[string]map[string]any
	// ConfigDefaults are keys every script's bot.config has unless its own section sets them
	// (the daemon puts the global alert_to here).
	ConfigDefaults map[string]any
	// Logger receives everything the engine logs (with module=engine). Default: logrus's
	// standard logger.
	Logger logrus.FieldLogger

	// HandlerTimeout bounds the CPU time of every handler call between two yields, and of a
	// script's top-level chunk. Default 2 s.
	HandlerTimeout time.Duration
	// MaxFailures is how many consecutive failed handler calls disable a script. Default 5.
	MaxFailures int
	// QueueSize is how many Dispatch batches may wait for the loop before Dispatch blocks.
	// Default 64.
	QueueSize int
	// MaxStringSize caps strings built by string.rep, string.gsub and table.concat, in bytes.
	// Default 16 MiB.
	MaxStringSize int

	// HTTPClient makes bot.http requests. Default: a client with no overall timeout (each
	// request has its own, see HTTPTimeout).
	HTTPClient *http.Client
	// HTTPTimeout is a bot.http request's default timeout. Default 10 s.
	HTTPTimeout time.Duration
	// HTTPMaxBody caps a bot.http response body, in bytes. Default 1 MiB.
	HTTPMaxBody int64

	// Protos, when set, shares compiled scripts with the other engines given the same cache
	// (a daemon's accounts). Default: each engine compiles its own.
	Protos *ProtoCache

	// Watch reloads scripts when files in Dir change (fsnotify), after WatchDebounce of quiet.
	Watch         bool
	WatchDebounce time.Duration // default 300 ms

	// OnHandlerError, if set, is called on the loop goroutine after each failed handler call
	// (scripttest turns these into test failures). It must not call into the Engine.
	OnHandlerError func(*ScriptError)
	// OnRuleFired, if set, is called on the loop goroutine each time a rule matched an event,
	// just before its handler runs: the demo's live feed shows which rule fired.
	OnRuleFired func(rule RuleInfo, ev wx.Event)
}

// Engine runs the Lua scripts of one account. All Lua runs on the goroutine that calls Run.
type Engine struct {
	opts  Options
	log   logrus.FieldLogger
	clock Clock
	loc   *time.Location
	kv    KV
	http  *http.Client

	events    chan *batch
	jobsMu    sync.Mutex
	jobs      []func()
	jobSignal chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
	running   atomic.Bool
	// httpInFlight counts bot.http requests whose answer has not been posted to the loop
	// yet, so that Sync can wait for them.
	httpInFlight atomic.Int64

	statusMu sync.Mutex
	status   []ScriptInfo

	// Everything below is owned by the loop goroutine (or by New's caller before Run).
	baseCtx     context.Context
	scripts     []*script // in load order (file name)
	rules       []*rule   // sorted by priority, then script order, then registration order
	byKind      map[string][]*rule
	cooldowns   map[cooldownKey]time.Time
	owner       ownerActivity
	activations map[*lua.LState]*activation
	selfNames   map[string]bool // the bot's names: nickname from the login, display names per group
}

type batch struct {
	events []wx.Event
	done   chan struct{} // nil for Dispatch; closed after handling for DispatchSync
}

// New builds an engine and loads its scripts. A script that fails to load is reported (log
// and Scripts()) and skipped; New fails only on unusable options.
func New(opts Options) (*Engine, error) {
	if opts.Sender == nil {
		return nil, errors.New("engine: Options.Sender is required")
	}
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Logger == nil {
		opts.Logger = logrus.StandardLogger()
	}
	if opts.HandlerTimeout <= 0 {
		opts.HandlerTimeout = DefaultHandlerTimeout
	}
	if opts.MaxFailures <= 0 {
		opts.MaxFailures = DefaultMaxFailures
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.MaxStringSize <= 0 {
		opts.MaxStringSize = DefaultMaxStringSize
	}
	if opts.HTTPTimeout <= 0 {
		opts.HTTPTimeout = DefaultHTTPTimeout
	}
	if opts.HTTPMaxBody <= 0 {
		opts.HTTPMaxBody = DefaultHTTPMaxBody
	}
	if opts.WatchDebounce <= 0 {
		opts.WatchDebounce = DefaultWatchDebounce
	}
	if opts.Watch && opts.Dir == "" {
		return nil, errors.New("engine: Options.Watch needs Options.Dir")
	}
	e := &Engine{
		opts:        opts,
		log:         opts.Logger.WithFields(logrus.Fields{"module": "engine", "account": opts.Account}),
		clock:       opts.Clock,
		loc:         opts.Location,
		kv:          opts.KV,
		http:        opts.HTTPClient,
		events:      make(chan *batch, opts.QueueSize),
		jobSignal:   make(chan struct{}, 1),
		closed:      make(chan struct{}),
		baseCtx:     context.Background(),
		cooldowns:   make(map[cooldownKey]time.Time),
		activations: make(map[*lua.LState]*activation),
		selfNames:   make(map[string]bool),
	}
	if e.kv == nil {
		e.kv = NewMemoryKV(opts.Clock)
	}
	if e.http == nil {
		e.http = &http.Client{}
	}
	paths, err := e.scriptPaths()
	if err != nil {
		return nil, err
	}
	for _, path := range paths {
		s, err := e.loadScript(path)
		if err != nil {
			e.reportLoadError(path, err)
			e.scripts = append(e.scripts, &script{name: scriptName(path), path: path, loadErr: err, closed: true})
			continue
		}
		e.scripts = append(e.scripts, s)
		e.commitScript(s)
	}
	e.rebuildRules()
	return e, nil
}

// scriptPaths lists the scripts to load: Dir's *.lua (not *_test.lua) and Files, sorted by
// file name so load order and priority ties do not depend on the file system.
func (e *Engine) scriptPaths() ([]string, error) {
	var paths []string
	if e.opts.Dir != "" {
		entries, err := os.ReadDir(e.opts.Dir)
		if err != nil {
			return nil, fmt.Errorf("engine: read scripts dir: %w", err)
		}
		for _, entry := range entries {
			name := entry.Name()
			if entry.IsDir() || !IsScriptFile(name) {
				continue
			}
			paths = append(paths, filepath.Join(e.opts.Dir, name))
		}
	}
	paths = append(paths, e.opts.Files...)
	sort.SliceStable(paths, func(i, j int) bool { return filepath.Base(paths[i]) < filepath.Base(paths[j]) })
	return paths, nil
}

// IsScriptFile reports whether a file name is a script (not a test file).
func IsScriptFile(name string) bool {
	return strings.HasSuffix(name, ".lua") && !strings.HasSuffix(name, "_test.lua") && !strings.HasPrefix(name, ".")
}

func scriptName(path string) string { return strings.TrimSuffix(filepath.Base(path), ".lua") }

// Run is the engine loop: it handles dispatched events in order, fires schedules and resumes
// sleeping handlers until ctx ends. Then it stops every timer and closes every Lua state; the
// Engine cannot be used again. Run returns nil when ctx ends, an error if it could not start.
func (e *Engine) Run(ctx context.Context) error {
	if !e.running.CompareAndSwap(false, true) {
		return errors.New("engine: Run called twice")
	}
	e.baseCtx = ctx
	defer e.shutdown()
	if e.opts.Watch {
		stopWatch, err := e.watch(ctx)
		if err != nil {
			return err
		}
		defer stopWatch()
	}
	e.log.WithField("scripts", len(e.scripts)).Info("engine running")
	for {
		select {
		case <-ctx.Done():
			return nil
		case b := <-e.events:
			e.handleBatch(b)
		case <-e.jobSignal:
			e.runJobs()
		}
	}
}

func (e *Engine) shutdown() {
	e.closeOnce.Do(func() { close(e.closed) })
	for _, s := range e.scripts {
		e.unloadScript(s)
	}
	e.activations = map[*lua.LState]*activation{}
	e.log.Info("engine stopped")
}

// Dispatch hands events to the loop, which handles them in order after everything dispatched
// before. It blocks while the queue is full (backpressure) until ctx ends.
func (e *Engine) Dispatch(ctx context.Context, events []wx.Event) error {
	return e.enqueue(ctx, &batch{events: events})
}

// DispatchSync is Dispatch that returns once every event has been handled: each matching
// handler has returned or is suspended in bot.sleep / bot.http (its rest runs later). The
// daemon marks events dispatched in the store after it returns. Must not be called from a
// handler (the loop would wait for itself).
func (e *Engine) DispatchSync(ctx context.Context, events []wx.Event) error {
	b := &batch{events: events, done: make(chan struct{})}
	if err := e.enqueue(ctx, b); err != nil {
		return err
	}
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("engine dispatch: %w", ctx.Err())
	case <-e.closed:
		return ErrClosed
	}
}

func (e *Engine) enqueue(ctx context.Context, b *batch) error {
	select {
	case <-e.closed:
		return ErrClosed
	default:
	}
	select {
	case e.events <- b:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("engine dispatch: %w", ctx.Err())
	case <-e.closed:
		return ErrClosed
	}
}

// post queues work for the loop. It never blocks: timer goroutines and HTTP goroutines use
// it, and their number is bounded by the schedules and requests in flight.
func (e *Engine) post(job func()) {
	e.jobsMu.Lock()
	e.jobs = append(e.jobs, job)
	e.jobsMu.Unlock()
	select {
	case e.jobSignal <- struct{}{}:
	default:
	}
}

func (e *Engine) runJobs() {
	e.jobsMu.Lock()
	jobs := e.jobs
	e.jobs = nil
	e.jobsMu.Unlock()
	for _, job := range jobs {
		e.guard("job", job)
	}
}

// guard runs f and turns a Go panic into a logged error: one bad event or script must not
// take the daemon down.
func (e *Engine) guard(what string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			e.log.WithFields(logrus.Fields{"what": what, "panic": fmt.Sprint(r)}).Error("engine recovered from a panic")
		}
	}()
	f()
}

// onLoop runs f on the loop and waits for it.
func (e *Engine) onLoop(ctx context.Context, f func()) error {
	done := make(chan struct{})
	e.post(func() {
		defer close(done)
		f()
	})
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-e.closed:
		return ErrClosed
	}
}

// Sync waits until the loop has handled everything queued before the call: events, fired
// timers and resumed handlers, and the answers of bot.http requests in flight (in real
// time: they are not on the clock), with whatever the resumed handlers do next. Tests use it
// as a barrier.
func (e *Engine) Sync(ctx context.Context) error {
	for {
		// Read before the barrier: a request answered after this read has posted its
		// wake-up before the barrier's job, so the barrier runs it.
		idle := e.httpInFlight.Load() == 0
		// Events are a separate channel: a DispatchSync of nothing waits behind them.
		if err := e.DispatchSync(ctx, nil); err != nil {
			return err
		}
		if err := e.onLoop(ctx, func() {}); err != nil {
			return err
		}
		if idle && e.httpInFlight.Load() == 0 {
			return nil
		}
		if !idle {
			select {
			case <-time.After(time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			case <-e.closed:
				return ErrClosed
			}
		}
	}
}

// AdvanceClock moves a VirtualClock forward by d, firing each due timer and waiting for the
// loop to handle it before firing the next, so that handlers see the time they were due at.
func (e *Engine) AdvanceClock(ctx context.Context, d time.Duration) error {
	vc, ok := e.clock.(*VirtualClock)
	if !ok {
		return errors.New("engine: AdvanceClock needs a *VirtualClock")
	}
	until := vc.Now().Add(d)
	if err := e.Sync(ctx); err != nil {
		return err
	}
	for vc.Step(until) {
		if err := e.Sync(ctx); err != nil {
			return err
		}
	}
	vc.Set(until)
	return e.Sync(ctx)
}

// Reload reloads every script whose file changed, appeared or disappeared, plus disabled
// scripts. A new version replaces the old only if it compiles and its top-level chunk runs
// cleanly; otherwise the old version keeps running. The error joins every *LoadError.
func (e *Engine) Reload(ctx context.Context) error {
	var err error
	if e.running.Load() {
		if lerr := e.onLoop(ctx, func() { err = e.reload(true) }); lerr != nil {
			return fmt.Errorf("engine reload: %w", lerr)
		}
		return err
	}
	return e.reload(true)
}

// ReloadConfig replaces the scripts' config sections (bot.config) and reloads every script:
// what the daemon does on SIGHUP after the config file changed. As with Reload, a script that
// fails to load keeps running its old version.
func (e *Engine) ReloadConfig(ctx context.Context, sections map[string]map[string]any) error {
	var err error
	apply := func() {
		for _, sc := range e.scripts {
			if !reflect.DeepEqual(e.opts.Config[sc.name], sections[sc.name]) {
				sc.hash = [32]byte{} // its settings changed: load it again even if its file did not
			}
		}
		e.opts.Config = sections
		err = e.reload(true)
	}
	if e.running.Load() {
		if lerr := e.onLoop(ctx, apply); lerr != nil {
			return fmt.Errorf("engine reload: %w", lerr)
		}
		return err
	}
	apply()
	return err
}

// handleBatch runs every event of b in order.
func (e *Engine) handleBatch(b *batch) {
	for _, ev := range b.events {
		e.guard("event", func() { e.handleEvent(ev) })
	}
	if b.done != nil {
		close(b.done)
	}
}

// ScriptInfo describes one script as the engine last loaded it.
type ScriptInfo struct {
	Name      string
	Path      string
	Loaded    bool  // a version is running
	Disabled  bool  // stopped after MaxFailures consecutive failures
	Err       error // the last load error (*LoadError), nil if the last load succeeded
	Rules     []RuleInfo
	Schedules []ScheduleInfo
}

// Scripts returns what the engine runs. Safe to call from any goroutine.
func (e *Engine) Scripts() []ScriptInfo {
	e.statusMu.Lock()
	defer e.statusMu.Unlock()
	return append([]ScriptInfo(nil), e.status...)
}

// publishStatus copies the loop's view of scripts for Scripts().
func (e *Engine) publishStatus() {
	infos := make([]ScriptInfo, 0, len(e.scripts))
	for _, s := range e.scripts {
		info := ScriptInfo{Name: s.name, Path: s.path, Loaded: !s.closed, Disabled: s.disabled, Err: s.loadErr}
		if s.reloadErr != nil {
			info.Err = s.reloadErr
		}
		for _, r := range s.rules {
			info.Rules = append(info.Rules, r.info)
		}
		for _, sc := range s.schedules {
			info.Schedules = append(info.Schedules, sc.info())
		}
		infos = append(infos, info)
	}
	e.statusMu.Lock()
	e.status = infos
	e.statusMu.Unlock()
}
