package daemon

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"qunguan/db"
)

// errStopped is returned for writes queued after the account stopped.
var errStopped = errors.New("daemon: the account is stopping")

// maxWriteBehind bounds the queued writes: past it, scripts wait for the store (backpressure).
// A wait counts against the handler's deadline, so the bound is for runaway growth only:
// at 10,000, a backlog of join-heavy pages (each commit holding the writer for long) made
// steward's writes wait past 2 s, and the engine stopped the handler as if it looped.
const maxWriteBehind = 100_000

// writeBehind applies an account's small writes — bot.store changes and the dispatch marks —
// in order, on its own goroutine. The store has one writer: when the rules wrote bot.store
// themselves, every write waited for the sync loop's commit of the next page, and the rules
// and the log took turns instead of running side by side.
//
// Crash safety is unchanged: a batch's mark is queued after every bot.store write its rules
// made, so a batch is marked dispatched only once its writes are in the store; a crash
// before that replays the batch, as before.
type writeBehind struct {
	store   *db.DB
	account string
	log     *logrus.Entry
	now     func() time.Time
	// onFail is told of a bot.store write that failed, so a cache can forget the key.
	onFail func(script, key string)

	mu      sync.Mutex
	ops     []wbOp
	busy    bool          // the loop is applying ops it took
	wake    chan struct{} // the loop has something to do
	changed *sync.Cond    // ops were taken or applied, or the loop stopped
	stopped bool
}

type wbKind uint8

const (
	wbSet wbKind = iota
	wbDel
	wbMark
	wbBarrier
)

type wbOp struct {
	kind               wbKind
	script, key, value string
	expires            time.Time // wbSet: zero for never
	seq                int64     // wbMark
	done               chan struct{}
}

func newWriteBehind(store *db.DB, account string, log *logrus.Entry) *writeBehind {
	w := &writeBehind{store: store, account: account, log: log, now: time.Now, wake: make(chan struct{}, 1)}
	w.changed = sync.NewCond(&w.mu)
	return w
}

func (w *writeBehind) enqueue(op wbOp) error {
	w.mu.Lock()
	for len(w.ops) >= maxWriteBehind && !w.stopped {
		w.changed.Wait()
	}
	if w.stopped {
		w.mu.Unlock()
		return errStopped
	}
	w.ops = append(w.ops, op)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return nil
}

// set queues a bot.store write that expires at expires (zero: never).
func (w *writeBehind) set(script, key, value string, expires time.Time) error {
	return w.enqueue(wbOp{kind: wbSet, script: script, key: key, value: value, expires: expires})
}

func (w *writeBehind) del(script, key string) error {
	return w.enqueue(wbOp{kind: wbDel, script: script, key: key})
}

// mark queues MarkDispatched(seq), to be applied after every write queued before it.
func (w *writeBehind) mark(seq int64) error { return w.enqueue(wbOp{kind: wbMark, seq: seq}) }

// barrier returns once everything queued before it is in the store.
func (w *writeBehind) barrier(ctx context.Context) error {
	done := make(chan struct{})
	if err := w.enqueue(wbOp{kind: wbBarrier, done: done}); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pending is how many writes are queued or being applied.
func (w *writeBehind) pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(w.ops)
	if w.busy {
		n++
	}
	return n
}

// run applies queued writes until ctx ends, then what is still queued (a clean stop loses
// nothing), and refuses new ones. Writes are not cancelled with ctx: a write the rules made
// must not be lost because the daemon is stopping.
func (w *writeBehind) run(ctx context.Context) {
	wctx := context.WithoutCancel(ctx)
	for {
		select {
		case <-ctx.Done():
			w.applyQueued(wctx)
			w.mu.Lock()
			w.stopped = true
			for _, op := range w.ops {
				if op.done != nil {
					close(op.done)
				}
			}
			w.ops = nil
			w.changed.Broadcast()
			w.mu.Unlock()
			return
		case <-w.wake:
			w.applyQueued(wctx)
		}
	}
}

// applyQueued applies everything queued, in order; of consecutive marks only the last is
// written (MarkDispatched covers everything before it).
func (w *writeBehind) applyQueued(ctx context.Context) {
	for {
		w.mu.Lock()
		ops := w.ops
		w.ops = nil
		w.busy = len(ops) > 0
		w.changed.Broadcast()
		w.mu.Unlock()
		if len(ops) == 0 {
			return
		}
		for i, op := range ops {
			w.apply(ctx, op, i+1 < len(ops) && ops[i+1].kind == wbMark)
		}
		w.mu.Lock()
		w.busy = false
		w.changed.Broadcast()
		w.mu.Unlock()
	}
}

func (w *writeBehind) apply(ctx context.Context, op wbOp, markFollows bool) {
	var err error
	switch op.kind {
	case wbSet:
		ttl := time.Duration(0)
		if !op.expires.IsZero() {
			// The store takes a time to live: what is left of it now (at least a millisecond,
			// so a value that expired in the queue is written expired, not forever).
			ttl = max(op.expires.Sub(w.now()), time.Millisecond)
		}
		err = w.store.KVSet(ctx, w.account, op.script, op.key, op.value, ttl)
	case wbDel:
		err = w.store.KVDel(ctx, w.account, op.script, op.key)
	case wbMark:
		if markFollows {
			return
		}
		if err = w.store.MarkDispatched(ctx, w.account, op.seq); err != nil && ctx.Err() == nil {
			// The batch is logged: a failure to mark it only means a replay after a crash.
			w.log.WithError(err).Warn("could not mark events dispatched")
		}
		return
	case wbBarrier:
		close(op.done)
		return
	}
	if err != nil {
		if ctx.Err() == nil {
			w.log.WithError(err).WithFields(logrus.Fields{"script": op.script, "key": op.key}).Error("could not write bot.store")
		}
		if w.onFail != nil {
			w.onFail(op.script, op.key)
		}
	}
}
