package daemon

import (
	"context"
	"database/sql"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"qunguan/wx"
)

// TestStoreWritesDoNotWaitForTheWriter: while another connection holds the database's write
// lock (as the sync loop's commit of a page does), bot.store writes and dispatch marks are
// queued, not waited for: the rules go on, reading their own writes. Once the lock is free
// they are written in order — the batch's mark after its rules' writes.
func TestStoreWritesDoNotWaitForTheWriter(t *testing.T) {
	store := openStore(t)
	ctx := context.Background()
	self := &wx.Contact{UserName: "@self", NickName: "群管家", Uin: 2100000001}
	committed, err := store.Commit(ctx, &wx.Batch{Account: "main", Uin: self.Uin, Contacts: []*wx.Contact{self},
		Events: []wx.Event{&wx.LoginEvent{Self: wx.Peer{UserName: "@self", NickName: "群管家", IsSelf: true}, Uin: self.Uin, Method: wx.LoginQR, Time: time.Now()}}})
	if err != nil {
		t.Fatal(err)
	}
	k := newTestKV(t, store)

	lock, err := sql.Open("sqlite3", store.Path()+"?_busy_timeout=100")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	conn, err := lock.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	// A synchronous write would wait for the lock and fail with "database is locked".
	if err := k.Set(ctx, "steward", "flood:g1:u1", `{"count":1}`, time.Hour); err != nil {
		t.Fatalf("set while the writer is busy: %v", err)
	}
	// A key read before (found missing) is counted here; only a key never seen since the
	// start asks the store.
	if _, ok, err := k.Get(ctx, "steward", "flood:g1:u1:n"); err != nil || ok {
		t.Fatalf("get of a missing key: %v %v", ok, err)
	}
	if n, err := k.Incr(ctx, "steward", "flood:g1:u1:n", 1, time.Hour); err != nil || n != 1 {
		t.Fatalf("incr while the writer is busy: %d %v", n, err)
	}
	if err := k.wb.mark(committed.LastSeq); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := k.Get(ctx, "steward", "flood:g1:u1"); err != nil || !ok || v != `{"count":1}` {
		t.Fatalf("get of its own write = %q %v %v", v, ok, err)
	}
	if n := k.wb.pending(); n != 3 {
		t.Fatalf("%d writes queued, want the set, the incr and the mark", n)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}

	if err := k.wb.barrier(ctx); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"flood:g1:u1": `{"count":1}`, "flood:g1:u1:n": "1"} {
		if v, ok, err := store.KVGet(ctx, "main", "steward", key); err != nil || !ok || v != want {
			t.Errorf("store has %s = %q %v %v, want %q", key, v, ok, err, want)
		}
	}
	if r, err := store.Undispatched(ctx, "main", time.Hour); err != nil || len(r.Events) != 0 {
		t.Errorf("not marked dispatched after the writes: %+v %v", r, err)
	}
}

// TestWriteBehindFlushesOnStop: a clean stop writes what is queued, then refuses more.
func TestWriteBehindFlushesOnStop(t *testing.T) {
	store := openStore(t)
	wb := newWriteBehind(store, "main", quiet().WithField("module", "daemon"))
	ctx, cancel := context.WithCancel(context.Background())
	for i, key := range []string{"a", "b", "c"} {
		if err := wb.set("s", key, "1", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if err := wb.del("s", "a"); err != nil {
				t.Fatal(err)
			}
		}
	}
	cancel() // before the loop ever ran: everything is written at the stop
	wb.run(ctx)
	for key, want := range map[string]bool{"a": false, "b": true, "c": true} {
		if _, ok, _ := store.KVGet(context.Background(), "main", "s", key); ok != want {
			t.Errorf("%s in the store: %v, want %v", key, ok, want)
		}
	}
	if err := wb.set("s", "d", "1", time.Time{}); err != errStopped {
		t.Errorf("a write after the stop: %v, want errStopped", err)
	}
	if n := wb.pending(); n != 0 {
		t.Errorf("%d writes pending after the stop", n)
	}
}
