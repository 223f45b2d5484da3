package daemon

import (
	"context"
	"sync"
	"testing"
	"time"

	"qunguan/wx"
)

// TestContactBooksLoadOneAtATime: accounts starting together take turns loading their
// contact books (each is tens of megabytes while it is decoded), and all of them log in.
func TestContactBooksLoadOneAtATime(t *testing.T) {
	r := newRig(t, "a", "b", "c")
	var mu sync.Mutex
	active, most, loads := 0, 0, 0
	d, err := New(Options{Config: r.cfg, Store: r.store, Logger: quiet(), Client: func(_ string, o *wx.Options) {
		gate := o.ContactGate
		o.ContactGate = func(ctx context.Context) (func(), error) {
			release, err := gate(ctx)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			active++
			loads++
			most = max(most, active)
			mu.Unlock()
			time.Sleep(50 * time.Millisecond) // a slow load: overlapping ones would show
			return func() {
				mu.Lock()
				active--
				mu.Unlock()
				release()
			}, nil
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx, time.Second) }()
	defer func() { cancel(); <-done }()
	for _, name := range []string{"a", "b", "c"} {
		r.waitLogin(name)
	}
	eventually(t, "three contact books loaded", func() bool { mu.Lock(); defer mu.Unlock(); return loads == 3 && active == 0 })
	mu.Lock()
	defer mu.Unlock()
	if most != 1 {
		t.Errorf("%d contact books loaded at once, want one at a time", most)
	}
}
