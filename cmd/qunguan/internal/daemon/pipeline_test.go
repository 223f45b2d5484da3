package daemon

import (
	"context"
	"sync"
	"testing"
	"time"

	"qunguan/db"
	"qunguan/engine"
	"qunguan/wx"
	"qunguan/wx/outbox"
	"qunguan/wx/wxsim"
)

// gateFeed holds the engine inside a rule for as long as the test wants: RuleFired runs on
// the engine's loop goroutine.
type gateFeed struct {
	gate chan struct{}
	once sync.Once
	held chan struct{}

	mu        sync.Mutex
	committed map[string]bool // texts of committed messages
}

func (f *gateFeed) Committed(_ string, events []db.Pending) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range events {
		if m, ok := p.Event.(*wx.Message); ok {
			f.committed[m.Text] = true
		}
	}
}

func (f *gateFeed) RuleFired(_ string, _ engine.RuleInfo, ev wx.Event) {
	if m, ok := ev.(*wx.Message); ok && m.Text == "ping slow" {
		f.once.Do(func() { close(f.held) })
		<-f.gate
	}
}

func (f *gateFeed) Sent(string, outbox.Result)               {}
func (f *gateFeed) ScriptFailed(string, *engine.ScriptError) {}

func (f *gateFeed) isCommitted(text string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.committed[text]
}

// TestLogKeepsSyncingWhileRulesRun: the sync loop logs the next messages while the engine
// is still busy with earlier ones (the two run side by side), and events are marked
// dispatched only once the rules have handled them.
func TestLogKeepsSyncingWhileRulesRun(t *testing.T) {
	r := newRig(t, "main")
	feed := &gateFeed{gate: make(chan struct{}), held: make(chan struct{}), committed: map[string]bool{}}
	d, err := New(Options{Config: r.cfg, Store: r.store, Logger: quiet(), Feed: feed})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx, time.Second) }()
	released := false
	release := func() {
		if !released {
			released = true
			close(feed.gate)
		}
	}
	defer func() { release(); cancel(); <-done }()
	r.waitLogin("main")
	sim := r.sims["main"]
	inject := func(text string) {
		if _, err := sim.Inject(wxsim.Injection{Kind: "text", Chat: "周末徒步群", From: "小明", Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	inject("ping slow")
	select {
	case <-feed.held:
	case <-time.After(15 * time.Second):
		t.Fatal("the rule never fired")
	}
	inject("ping next")
	eventually(t, "the next message logged while the engine is busy", func() bool { return feed.isCommitted("ping next") })
	if n := sentTo(sim, "周末徒步群", "pong ping next"); n != 0 {
		t.Fatalf("the next message was answered before the engine got to it")
	}
	pending, err := r.store.Undispatched(context.Background(), "main", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending.Events) == 0 {
		t.Fatalf("events held by the engine are already marked dispatched")
	}
	if n := d.Outstanding(); n == 0 {
		t.Errorf("Outstanding = 0 with a batch waiting for the engine")
	}
	release()
	eventually(t, "both answered", func() bool {
		return sentTo(sim, "周末徒步群", "pong ping slow") == 1 && sentTo(sim, "周末徒步群", "pong ping next") == 1
	})
	eventually(t, "everything marked dispatched", func() bool {
		p, err := r.store.Undispatched(context.Background(), "main", time.Hour)
		return err == nil && len(p.Events) == 0
	})
	eventually(t, "nothing outstanding", func() bool { return d.Outstanding() == 0 })
}
