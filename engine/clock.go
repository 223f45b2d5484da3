package engine

import (
	"sort"
	"sync"
	"time"
)

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (RealClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// VirtualClock is a Clock that moves only when told to. Tests and `qunguan scripts test` use it
// so that "every 10 minutes" takes no time and always fires at the same instants.
//
// Timers fire from Step and Advance, on the caller's goroutine, never while the clock's lock is
// held: a callback may itself call AfterFunc or Now.
type VirtualClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    int64
	timers []*virtualTimer
}

type virtualTimer struct {
	clock   *VirtualClock
	due     time.Time
	seq     int64 // ties fire in creation order
	f       func()
	stopped bool
}

// NewVirtualClock returns a clock showing start.
func NewVirtualClock(start time.Time) *VirtualClock { return &VirtualClock{now: start} }

// Now returns the clock's current time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f at Now()+d. A d ≤ 0 timer fires at the next Step.
func (c *VirtualClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &virtualTimer{clock: c, due: c.now.Add(max(d, 0)), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return t
}

// Stop cancels the timer.
func (t *virtualTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	if t.stopped {
		return false
	}
	t.stopped = true
	for i, other := range t.clock.timers {
		if other == t {
			t.clock.timers = append(t.clock.timers[:i], t.clock.timers[i+1:]...)
			break
		}
	}
	return true
}

// NextDue returns when the earliest pending timer fires.
func (c *VirtualClock) NextDue() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	c.sortLocked()
	return c.timers[0].due, true
}

func (c *VirtualClock) sortLocked() {
	sort.Slice(c.timers, func(i, j int) bool {
		a, b := c.timers[i], c.timers[j]
		if !a.due.Equal(b.due) {
			return a.due.Before(b.due)
		}
		return a.seq < b.seq
	})
}

// Step fires the earliest timer if it is due at or before until, moving the clock to its due
// time first. It reports whether a timer fired. Callers that need each firing handled before
// the next (the engine loop) call Step repeatedly with a barrier in between.
func (c *VirtualClock) Step(until time.Time) bool {
	c.mu.Lock()
	c.sortLocked()
	if len(c.timers) == 0 || c.timers[0].due.After(until) {
		c.mu.Unlock()
		return false
	}
	t := c.timers[0]
	c.timers = c.timers[1:]
	t.stopped = true
	if t.due.After(c.now) {
		c.now = t.due
	}
	c.mu.Unlock()
	t.f()
	return true
}

// Set moves the clock to t without firing anything (t earlier than Now is ignored).
func (c *VirtualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}

// Advance fires every timer due within d, in order, then shows Now()+d. It does not wait for
// whatever the callbacks start; use Engine.AdvanceClock for that.
func (c *VirtualClock) Advance(d time.Duration) {
	until := c.Now().Add(d)
	for c.Step(until) {
	}
	c.Set(until)
}
