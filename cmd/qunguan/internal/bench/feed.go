package bench

import (
	"sync"
	"sync/atomic"
	"time"

	"qunguan/cmd/qunguan/internal/daemon"
	"qunguan/db"
	"qunguan/engine"
	"qunguan/wx"
	"qunguan/wx/outbox"
)

var _ daemon.Feed = (*feed)(nil)

// feed counts what the daemon did. Its methods run on the accounts' sync, engine and outbox
// goroutines; counting is atomic, and the per-message records a soak needs are kept only
// when track is set.
type feed struct {
	track bool

	logged       atomic.Int64 // messages committed (new in the log), echoes of our sends included
	received     atomic.Int64 // of those, not echoes: what the throughput counts
	fired        atomic.Int64 // rules fired
	probes       atomic.Int64 // probe rules fired
	sentOK       atomic.Int64
	sentErr      atomic.Int64
	scriptErrors atomic.Int64
	changed      atomic.Int64 // unix nanoseconds of the last commit or send result

	mu        sync.Mutex
	logins    []loginSeen
	ids       map[string]int // soak: MsgId → times committed as new
	results   []outbox.Result
	lastError string
}

type loginSeen struct {
	account string
	method  wx.LoginMethod
	at      time.Time
}

func newFeed(track bool) *feed {
	f := &feed{track: track}
	if track {
		f.ids = map[string]int{}
	}
	return f
}

func (f *feed) Committed(account string, events []db.Pending) {
	var msgs, received int64
	var logins []loginSeen
	for _, p := range events {
		switch ev := p.Event.(type) {
		case *wx.Message:
			msgs++
			if !ev.Echo {
				received++
			}
		case *wx.LoginEvent:
			logins = append(logins, loginSeen{account: account, method: ev.Method, at: time.Now()})
		}
	}
	f.logged.Add(msgs)
	f.received.Add(received)
	f.changed.Store(time.Now().UnixNano())
	if !f.track && len(logins) == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logins = append(f.logins, logins...)
	if f.track {
		for _, p := range events {
			if m, ok := p.Event.(*wx.Message); ok {
				f.ids[m.MsgID]++
			}
		}
	}
}

func (f *feed) RuleFired(_ string, r engine.RuleInfo, _ wx.Event) {
	f.fired.Add(1)
	if r.Name == probeRule {
		f.probes.Add(1)
	}
}

func (f *feed) Sent(_ string, res outbox.Result) {
	f.changed.Store(time.Now().UnixNano())
	if res.Err != nil {
		f.sentErr.Add(1)
	} else {
		f.sentOK.Add(1)
	}
	if !f.track && res.Err == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if res.Err != nil {
		f.lastError = res.Err.Error()
	}
	if f.track {
		res.Job.Do = nil // keep no closures alive
		f.results = append(f.results, res)
	}
}

func (f *feed) ScriptFailed(_ string, err *engine.ScriptError) {
	f.scriptErrors.Add(1)
	f.mu.Lock()
	f.lastError = err.Error()
	f.mu.Unlock()
}

// loginsSeen returns the logins seen so far (a copy).
func (f *feed) loginsSeen() []loginSeen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]loginSeen(nil), f.logins...)
}

func (f *feed) lastChange() time.Time { return time.Unix(0, f.changed.Load()) }
