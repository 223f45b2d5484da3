package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"qunguan/cmd/qunguan/internal/config"
	"qunguan/cmd/qunguan/internal/daemon"
	"qunguan/db"
	"qunguan/wx"
	"qunguan/wx/wxsim"
)

// harness is one run: its directory, simulators, store and counters.
type harness struct {
	opts Options
	dir  string
	rep  *Report
	feed *feed

	daemon    *daemon.Daemon // the one running
	sims      *simSet        // in process; nil with SimProcess
	child     *simChild      // SimProcess
	store     *db.DB
	dbPath    string
	cfg       *config.Config
	http      *http.Client
	delivered atomic.Int64 // messages the simulator delivered (account 0, in process)

	mu        sync.Mutex
	probeAt   map[int]time.Time // probe number → injected at
	latencies []time.Duration
	ids       []string // soak: every MsgId delivered
	unfetched []string // soak: delivered into sessions that ended before a client fetched them
}

// Run runs the scenario opts describes and returns what it measured. It returns an error
// when the harness itself could not run (a port, the scripts directory, a login that never
// came); a soak whose checks failed returns the report with Soak.Problems set and an error.
func Run(ctx context.Context, opts Options) (*Report, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "qunguan-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	h := &harness{opts: opts, dir: dir, rep: &Report{}, feed: newFeed(opts.Soak), probeAt: map[int]time.Time{}}
	return h.run(ctx)
}

func (h *harness) progress(format string, args ...any) {
	if h.opts.Progress != nil {
		fmt.Fprintf(h.opts.Progress, "bench: "+format+"\n", args...)
	}
}

func (h *harness) run(ctx context.Context) (*Report, error) {
	o := h.opts
	r := h.rep
	r.Date, r.Machine, r.Go, r.Procs = time.Now().Format("2006-01-02"), machine(), runtime.Version(), runtime.GOMAXPROCS(0)
	r.Scenario.Accounts, r.Scenario.Friends, r.Scenario.Groups, r.Scenario.Members = o.Accounts, o.Friends, o.Groups, o.Members
	r.Scenario.Rate, r.Scenario.Duration, r.Scenario.Warmup = o.Rate, o.Duration.String(), o.Warmup.String()
	r.Scenario.PageSize, r.Scenario.Mix = o.PageSize, FormatMix(o.Mix)
	if r.Scenario.PageSize == 0 {
		r.Scenario.PageSize = 50 // the simulator's default
	}
	r.Scenario.SimProcess, r.Scenario.Soak, r.Scenario.Backlog = len(o.SimProcess) > 0, o.Soak, o.Backlog

	mem := startMemSampler(100*time.Millisecond, o.PeakProfile)
	memDone := false
	defer func() {
		if !memDone {
			mem.finish()
		}
	}()

	scripts := filepath.Join(h.dir, "scripts")
	if err := prepareScripts(o.ScriptsDir, scripts); err != nil {
		return nil, err
	}
	simCtx, stopSims := context.WithCancel(ctx)
	defer stopSims()
	endpoints, err := h.startSimulators(simCtx)
	if err != nil {
		return nil, err
	}
	defer h.stopSimulators()

	h.dbPath = o.DBPath
	if h.dbPath == "" {
		h.dbPath = filepath.Join(h.dir, "bench.db")
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(h.dbPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("bench: replacing %s: %w", h.dbPath, err)
		}
	}
	h.store, err = db.Open(ctx, h.dbPath, db.Options{Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	storeOpen := true
	defer func() {
		if storeOpen {
			h.store.Close()
		}
	}()
	h.cfg = config.Default()
	h.cfg.DataDir, h.cfg.Database, h.cfg.ScriptsDir = filepath.Join(h.dir, "data"), h.dbPath, scripts
	// 1205 (injected in the soak) pauses the outbox this long instead of minutes.
	h.cfg.Outbox.Backoff1205 = config.Duration(200 * time.Millisecond)
	for i, ep := range endpoints {
		h.cfg.Accounts = append(h.cfg.Accounts, config.Account{Name: accountName(i), Mode: config.ModeNormal, Endpoint: ep})
	}
	h.http = &http.Client{
		Timeout: o.LongPoll + 10*time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 32, // a sync loop and an outbox per account: no new connection per request
			IdleConnTimeout:     90 * time.Second,
		},
	}
	defer h.http.CloseIdleConnections()
	base, _ := heapAfterGC()
	r.Memory.Baseline = mb(base)

	// The daemon, exactly as `qunguan run` wires it, its outbox unpaced.
	h.progress("starting the daemon: %d account(s)", o.Accounts)
	dctx, stopDaemon := context.WithCancel(ctx)
	defer stopDaemon()
	started := time.Now()
	d, err := h.newDaemon()
	if err != nil {
		return nil, err
	}
	h.daemon = d
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(dctx, 2*time.Second) }()
	daemonRunning := true
	defer func() {
		if daemonRunning {
			stopDaemon()
			<-runErr
		}
	}()
	if err := h.waitLogins(ctx, o.Accounts, started, runErr, 10*time.Minute); err != nil {
		return nil, err
	}
	r.Login.Seconds = time.Since(started).Seconds()
	sizeAtLogin, loggedAtLogin := h.dbSize(), h.feed.logged.Load()
	if info, err := h.scriptInfo(scripts); err == nil {
		r.Scenario.Scripts, r.Scenario.Rules = info[0], info[1]
	}
	h.progress("logged in after %.1f s; generating %.0f msgs/s for %v", r.Login.Seconds, o.Rate, o.Duration)

	if o.Backlog > 0 {
		stopDaemon()
		<-runErr
		daemonRunning = false
		if err := h.backlog(ctx); err != nil {
			return nil, err
		}
	} else {
		if err := h.load(ctx); err != nil {
			return nil, err
		}
		h.drain(ctx)
		if o.Soak {
			h.checkSoak(ctx)
		}
		stopDaemon()
		<-runErr
		daemonRunning = false
	}
	if !o.NoRestart && o.Accounts == 1 && h.sims != nil {
		h.progress("restarting the daemon against the same database and simulator")
		rs, err := h.restart(ctx)
		if err != nil {
			return nil, err
		}
		r.Restart = rs
	}

	heap, sys := mem.finish()
	memDone = true
	r.Memory.PeakHeapInuse, r.Memory.PeakSys = mb(heap), mb(sys)
	if v, err := procStatus("self", "VmHWM"); err == nil {
		r.Memory.VmHWM = mb(v)
	}
	if h.child != nil {
		if v, err := procStatus(strconv.Itoa(h.child.cmd.Process.Pid), "VmHWM"); err == nil {
			r.Memory.SimVmHWM = mb(v)
		}
	}

	stats, err := h.store.Stats(ctx, db.Filter{}, db.ByKind)
	if err != nil {
		return nil, err
	}
	for _, s := range stats {
		r.Database.Messages += s.Count
	}
	h.store.Close()
	storeOpen = false
	r.Database.Bytes = h.dbSize()
	if r.Database.Messages > 0 {
		r.Database.BytesPerMillion = float64(r.Database.Bytes) / float64(r.Database.Messages) * 1e6
	}
	if n := h.feed.logged.Load() - loggedAtLogin; n > 0 {
		r.Database.GrowthPerMillion = float64(r.Database.Bytes-sizeAtLogin) / float64(n) * 1e6
	}
	f := h.feed
	r.Activity.RulesFired, r.Activity.SentOK, r.Activity.SentFailed = f.fired.Load(), f.sentOK.Load(), f.sentErr.Load()
	r.Activity.ScriptErrors = f.scriptErrors.Load()
	f.mu.Lock()
	r.Activity.LastError = f.lastError
	f.mu.Unlock()
	if r.Soak != nil && !r.Soak.OK() {
		return r, fmt.Errorf("bench: soak failed: %s", strings.Join(r.Soak.Problems, "; "))
	}
	return r, nil
}

// dbSize is the database file and its WAL, in bytes.
func (h *harness) dbSize() int64 {
	var n int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(h.dbPath + suffix); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func accountName(i int) string { return fmt.Sprintf("bench%02d", i+1) }

// startSimulators serves the simulators, in a child process or in this one (with the
// hooks probes and the soak need on account 0).
func (h *harness) startSimulators(ctx context.Context) ([]string, error) {
	o := h.opts
	if len(o.SimProcess) > 0 {
		child, err := startSimChild(ctx, o.SimProcess)
		if err != nil {
			return nil, err
		}
		h.child = child
		return child.endpoints, nil
	}
	sims, err := startSims(ctx, o.simSpec(), func(i int, so *wxsim.Options) {
		so.Logger = o.Logger.WithField("module", "wxsim")
		if i != 0 {
			return
		}
		so.OnMessage = h.onMessage
		so.OnSent = h.onSent
		so.OnUnfetched = h.onUnfetched
		if o.Soak {
			// The log of a long soak is trimmed (a join's entry holds the group's whole member
			// list): the client is never that far behind, and the heap the soak compares is
			// then the bot's and the harness's, not a growing simulator log.
			so.MaxBacklog = 5_000
		}
	})
	if err != nil {
		return nil, err
	}
	h.sims = sims
	return sims.endpoints, nil
}

func (h *harness) stopSimulators() {
	if h.sims != nil {
		h.sims.close()
	}
	if h.child != nil {
		h.child.stop()
	}
}

func (h *harness) newDaemon() (*daemon.Daemon, error) {
	o := h.opts
	return daemon.New(daemon.Options{
		Config: h.cfg, Store: h.store, Logger: o.Logger, Feed: h.feed, HTTPClient: h.http,
		Unpaced: true, LoginRetry: 200 * time.Millisecond, MaxLoginAttempts: 20,
		Client: func(_ string, co *wx.Options) {
			// Faults are frequent in a soak: retry within a second, not a minute.
			co.RetryBase, co.RetryMax = 20*time.Millisecond, time.Second
		},
	})
}

// waitLogins waits until n logins after since were logged.
func (h *harness) waitLogins(ctx context.Context, n int, since time.Time, runErr <-chan error, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		got := 0
		for _, l := range h.feed.loginsSeen() {
			if !l.at.Before(since) {
				got++
			}
		}
		if got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: %d of %d logins after %v", got, n, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-runErr:
			return fmt.Errorf("bench: the daemon stopped before logging in: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// scriptInfo counts the scripts the engine will load and their rule registrations, by
// reading the files (the daemon does not expose its engines).
func (h *harness) scriptInfo(dir string) ([2]int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return [2]int{}, err
	}
	var n [2]int
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".lua") && !strings.HasSuffix(e.Name(), "_test.lua") {
			n[0]++
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			for _, call := range []string{"bot.hear(", "bot.respond(", "bot.on("} {
				n[1] += strings.Count(string(b), call)
			}
		}
	}
	return n, nil
}

// onMessage is the simulator's hook: it runs under the simulator's lock.
func (h *harness) onMessage(id string) {
	h.delivered.Add(1)
	if h.opts.Soak {
		h.mu.Lock()
		h.ids = append(h.ids, id)
		h.mu.Unlock()
	}
}

// onUnfetched is the simulator's hook: it runs under the simulator's lock.
func (h *harness) onUnfetched(ids []string) {
	if h.opts.Soak {
		h.mu.Lock()
		h.unfetched = append(h.unfetched, ids...)
		h.mu.Unlock()
	}
}

// onSent matches probe replies: it runs under the simulator's lock.
func (h *harness) onSent(s wxsim.Sent) {
	now := time.Now()
	rest, ok := strings.CutPrefix(s.Text, replyPrefix)
	if !ok {
		return
	}
	n, err := strconv.Atoi(rest)
	if err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if at, ok := h.probeAt[n]; ok {
		h.latencies = append(h.latencies, now.Sub(at))
		delete(h.probeAt, n)
	}
}

// probe injects probe number n into a load group of account 0.
func (h *harness) probe(n int) error {
	g := n % h.opts.Groups
	h.mu.Lock()
	h.probeAt[n] = time.Now()
	h.mu.Unlock()
	_, err := h.sims.servers[0].Inject(wxsim.Injection{Kind: "text", Chat: probeChat(g), From: probeFrom(g), Text: probePrefix + strconv.Itoa(n)})
	if err != nil {
		h.mu.Lock()
		delete(h.probeAt, n)
		h.mu.Unlock()
	}
	return err
}

// runProbes injects probes at ProbeRate from notBefore until ctx ends, numbering from *next.
// Probes wait for the warm-up: the latency is a steady-state figure.
func (h *harness) runProbes(ctx context.Context, notBefore time.Time, next *int, sent *int) {
	if h.opts.ProbeRate <= 0 || h.sims == nil {
		return
	}
	if d := time.Until(notBefore); d > 0 {
		select {
		case <-ctx.Done():
			return
		case <-time.After(d):
		}
	}
	t := time.NewTicker(time.Duration(float64(time.Second) / h.opts.ProbeRate))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		*next++
		if h.probe(*next) == nil {
			*sent++
		}
	}
}

// load generates the traffic for Duration and measures the sustained rate after Warmup. In a
// soak it also injects faults, kicks the session and takes the 1/3 snapshot.
func (h *harness) load(ctx context.Context) error {
	o := h.opts
	spec := o.simSpec()
	start := time.Now()
	var probeN, probesSent int
	var wg sync.WaitGroup

	type mark struct {
		at                  time.Time
		received, delivered int64
	}
	take := func() mark {
		return mark{time.Now(), h.feed.received.Load(), h.delivered.Load()}
	}
	var warmMu sync.Mutex
	var warm, end mark
	warmTimer := time.AfterFunc(o.Warmup, func() {
		m := take()
		warmMu.Lock()
		warm = m
		warmMu.Unlock()
	})
	defer warmTimer.Stop()

	if o.Soak {
		if err := h.sims.servers[0].SetFaults(o.Faults); err != nil {
			return err
		}
		h.rep.Soak = &SoakReport{Faults: fmt.Sprintf("%+v", o.Faults), Kicks: max(0, o.Kicks)}
		third := time.AfterFunc(o.Duration/3, func() {
			heap, g := heapAfterGC()
			h.mu.Lock()
			h.rep.Soak.HeapThird, h.rep.Soak.GoroutinesThird = mb(heap), g
			h.mu.Unlock()
		})
		defer third.Stop()
	}

	segments := 1
	if o.Soak && o.Kicks > 0 {
		segments = o.Kicks + 1
	}
	for seg := 0; seg < segments; seg++ {
		until := start.Add(o.Duration * time.Duration(seg+1) / time.Duration(segments))
		lctx, stop := context.WithDeadline(ctx, until)
		if h.sims != nil {
			wg.Add(2)
			go func() { defer wg.Done(); _ = h.sims.runLoad(lctx, spec) }()
			go func() { defer wg.Done(); h.runProbes(lctx, start.Add(o.Warmup), &probeN, &probesSent) }()
		}
		<-lctx.Done()
		stop()
		wg.Wait()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if seg == segments-1 {
			break
		}
		if err := h.kick(ctx); err != nil {
			return err
		}
	}
	end = take()
	warmTimer.Stop()
	warmMu.Lock()
	defer warmMu.Unlock()
	h.rep.Latency.Probes = probesSent // the answers are counted after the drain
	if warm.at.IsZero() {
		warm = mark{at: start}
	}
	t := &h.rep.Throughput
	t.Window = end.at.Sub(warm.at).Seconds()
	t.Sustained = float64(end.received-warm.received) / t.Window
	if h.sims != nil {
		t.Offered = float64(end.delivered-warm.delivered) / t.Window
	}
	return nil
}

// pending is the events the in-process simulators hold that no webwxsync fetched yet.
func (h *harness) pending() int {
	n := 0
	if h.sims != nil {
		for _, s := range h.sims.servers {
			n += s.Backlog()
		}
	}
	return n
}

// drain waits until the simulators hold nothing more and the daemon has been quiet for half
// a second (at most two minutes), and records how long that took.
func (h *harness) drain(ctx context.Context) {
	t := &h.rep.Throughput
	t.Backlog = h.pending()
	defer func() { t.Logged = h.feed.received.Load() }()
	if h.sims == nil {
		t.CaughtUp = true // the child keeps generating: nothing to wait for
		return
	}
	start := time.Now()
	t.CaughtUp = h.waitQuiet(ctx, 2*time.Minute)
	t.Drain = time.Since(start).Seconds()
	h.mu.Lock()
	h.rep.setLatency(h.rep.Latency.Probes, append([]time.Duration(nil), h.latencies...))
	h.mu.Unlock()
}

// waitQuiet waits until nothing is pending at the simulators or queued in the daemon, and the
// daemon committed and sent nothing for 500 ms.
func (h *harness) waitQuiet(ctx context.Context, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if h.pending() == 0 && h.daemon.Outstanding() == 0 && time.Since(h.feed.lastChange()) > 500*time.Millisecond {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return false
}

// backlog measures the daemon alone: with the daemon stopped, the simulator queues Backlog
// messages in the live session; a new daemon (hot login) then syncs, logs and dispatches
// them with no traffic being generated beside it. The rate is the backlog over the time from
// its first message logged to its last one handled by the rules.
func (h *harness) backlog(ctx context.Context) error {
	o := h.opts
	spec := o.simSpec()
	spec.Rate = 20_000
	before := h.delivered.Load()
	h.progress("queueing %d messages at the simulator with the daemon stopped", o.Backlog)
	lctx, stop := context.WithCancel(ctx)
	loaded := make(chan struct{})
	go func() { defer close(loaded); _ = h.sims.runLoad(lctx, spec) }()
	for h.delivered.Load()-before < int64(o.Backlog) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	<-loaded
	queued := h.delivered.Load() - before
	t := &h.rep.Throughput
	t.Backlog = h.pending()

	h.progress("starting the daemon on a backlog of %d messages", queued)
	dctx, stopDaemon := context.WithCancel(ctx)
	defer stopDaemon()
	received := h.feed.received.Load()
	started := time.Now()
	d, err := h.newDaemon()
	if err != nil {
		return err
	}
	h.daemon = d
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(dctx, time.Second) }()
	defer func() { stopDaemon(); <-runErr }()
	var first time.Time
	deadline := started.Add(10 * time.Minute)
	for {
		n := h.feed.received.Load() - received
		if first.IsZero() && n > 0 {
			first = time.Now()
		}
		if n >= queued && d.Outstanding() == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: %d of %d backlog messages handled after 10 minutes", n, queued)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-runErr:
			return fmt.Errorf("bench: the daemon stopped: %v", err)
		case <-time.After(2 * time.Millisecond):
		}
	}
	t.Window = time.Since(first).Seconds()
	t.Sustained = float64(queued) / t.Window
	t.Drain = time.Since(started).Seconds()
	t.CaughtUp = true
	t.Logged = h.feed.received.Load()
	return nil
}

// restart starts a second daemon against the same database and simulator and measures how
// long it takes to log in (hot) and to be syncing again; a probe then proves it works.
func (h *harness) restart(ctx context.Context) (*RestartReport, error) {
	w := h.sims.watches[0]
	w.arm()
	dctx, stop := context.WithCancel(ctx)
	defer stop()
	started := time.Now()
	d, err := h.newDaemon()
	if err != nil {
		return nil, err
	}
	h.daemon = d
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(dctx, time.Second) }()
	defer func() { stop(); <-runErr }()
	if err := h.waitLogins(ctx, 1, started, runErr, time.Minute); err != nil {
		return nil, err
	}
	rs := &RestartReport{}
	for _, l := range h.feed.loginsSeen() {
		if !l.at.Before(started) {
			rs.Method, rs.ToLogin = string(l.method), ms(l.at.Sub(started))
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for w.firstSyncCheck().IsZero() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if at := w.firstSyncCheck(); !at.IsZero() {
		rs.ToSyncing = ms(at.Sub(started))
	}
	h.mu.Lock()
	answered := len(h.latencies)
	h.mu.Unlock()
	if err := h.probe(1_000_000_000); err == nil {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !rs.Answered; {
			time.Sleep(5 * time.Millisecond)
			h.mu.Lock()
			rs.Answered = len(h.latencies) > answered
			h.mu.Unlock()
		}
	}
	return rs, nil
}
