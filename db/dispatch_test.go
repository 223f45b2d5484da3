package db

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"qunguan/wx"
)

// loggedIn commits the first login of the test world and returns it.
func loggedIn(t *testing.T, d *DB) *world {
	t.Helper()
	w := buildWorld(1)
	res := mustCommit(t, d, w.batch(false))
	if err := d.MarkDispatched(context.Background(), "main", res.LastSeq); err != nil {
		t.Fatal(err)
	}
	return w
}

func msgBatch(w *world, prefix string, n int, syncVal int64, at time.Time) *wx.Batch {
	hike := w.groups[0].Peer()
	m := w.groups[0].Members[3]
	sender := wx.Peer{UserName: m.UserName, NickName: m.NickName}
	b := &wx.Batch{Account: "main", Uin: selfUin,
		Session: &wx.Session{Uin: selfUin, SelfUserName: w.self.UserName,
			SyncKey: wx.SyncKey{Count: 1, List: []wx.KeyVal{{Key: 1, Val: syncVal}}}}}
	for i := 0; i < n; i++ {
		b.Events = append(b.Events, textMsg(fmt.Sprintf("%s-%d", prefix, i), hike, sender, fmt.Sprintf("消息 %s %d", prefix, i), at))
	}
	return b
}

func TestDispatchQueue(t *testing.T) {
	d, _, clock := testDB(t)
	ctx := context.Background()
	w := loggedIn(t, d)

	res := mustCommit(t, d, msgBatch(w, "a", 3, 10, clock.Now()))
	if len(res.Events) != 3 || res.Messages != 3 || res.Duplicates != 0 {
		t.Fatalf("committed %+v", res)
	}
	for i, p := range res.Events {
		if i > 0 && p.Seq != res.Events[i-1].Seq+1 {
			t.Errorf("queue positions not consecutive: %v", res.Events)
		}
	}
	if res.LastSeq != res.Events[2].Seq {
		t.Errorf("LastSeq %d, last event %d", res.LastSeq, res.Events[2].Seq)
	}

	// The process "dies" before dispatch: the events come back, decoded, with their ids.
	r, err := d.Undispatched(ctx, "main", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if r.Skipped != 0 || len(r.Events) != 3 {
		t.Fatalf("undispatched %+v", r)
	}
	for i, p := range r.Events {
		m, ok := p.Event.(*wx.Message)
		orig := res.Events[i].Event.(*wx.Message)
		if !ok || p.Seq != res.Events[i].Seq || m.MsgID != orig.MsgID || m.Text != orig.Text ||
			m.Chat.ID == "" || m.Chat.ID != orig.Chat.ID || m.Sender.ID != orig.Sender.ID || !m.Time.Equal(orig.Time) {
			t.Errorf("replayed %d: %+v, want %+v", i, p.Event, orig)
		}
	}

	// Dispatching the first two leaves the third.
	if err := d.MarkDispatched(ctx, "main", res.Events[1].Seq); err != nil {
		t.Fatal(err)
	}
	r, _ = d.Undispatched(ctx, "main", 10*time.Minute)
	if len(r.Events) != 1 || r.Events[0].Seq != res.LastSeq {
		t.Errorf("after MarkDispatched: %+v", r)
	}
	d.MarkDispatched(ctx, "main", res.LastSeq)
	r, _ = d.Undispatched(ctx, "main", 10*time.Minute)
	if len(r.Events) != 0 || r.Skipped != 0 {
		t.Errorf("after all dispatched: %+v", r)
	}
}

func TestDispatchReplayWindowSkips(t *testing.T) {
	d, _, clock := testDB(t)
	ctx := context.Background()
	w := loggedIn(t, d)

	old := mustCommit(t, d, msgBatch(w, "old", 4, 10, clock.Now()))
	clock.Add(30 * time.Minute)
	fresh := mustCommit(t, d, msgBatch(w, "new", 2, 11, clock.Now()))
	clock.Add(time.Minute)

	r, err := d.Undispatched(ctx, "main", 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if r.Skipped != 4 || r.FirstSkipped != old.Events[0].Seq || r.LastSkipped != old.LastSeq {
		t.Errorf("skipped %d (%d..%d), want 4 (%d..%d)", r.Skipped, r.FirstSkipped, r.LastSkipped, old.Events[0].Seq, old.LastSeq)
	}
	if len(r.Events) != 2 || r.Events[0].Seq != fresh.Events[0].Seq {
		t.Errorf("replayed %+v, want the 2 fresh events", r.Events)
	}
	// The skip is on record in the log, not only in the caller's log line.
	var text string
	var n int
	d.readers.QueryRow(`SELECT COUNT(*), COALESCE(MAX(text), '') FROM events WHERE type = 'dispatch_skipped'`).Scan(&n, &text)
	if n != 1 || text == "" {
		t.Errorf("dispatch_skipped events: %d %q", n, text)
	}
	// Skipped events are gone from the queue; the messages stay in the log.
	r, _ = d.Undispatched(ctx, "main", 10*time.Minute)
	if r.Skipped != 0 || len(r.Events) != 2 {
		t.Errorf("second Undispatched %+v", r)
	}
	if _, err := d.MessageByMsgID(ctx, "main", "old-0"); err != nil {
		t.Errorf("skipped message not in the log: %v", err)
	}
	// A window of zero skips everything.
	r, _ = d.Undispatched(ctx, "main", 0)
	if r.Skipped != 2 || len(r.Events) != 0 {
		t.Errorf("window 0: %+v", r)
	}
}

func TestDispatchRedeliveredBatch(t *testing.T) {
	d, _, clock := testDB(t)
	ctx := context.Background()
	w := loggedIn(t, d)

	b := msgBatch(w, "r", 5, 20, clock.Now())
	first := mustCommit(t, d, b)
	if len(first.Events) != 5 {
		t.Fatalf("first commit: %d events", len(first.Events))
	}
	// The server delivers the same messages again (a client restarted from an old key): no
	// events, no second rows, but the newer session is saved.
	b.Session = b.Session.Clone()
	b.Session.SyncKey.List[0].Val = 21
	again := mustCommit(t, d, b)
	if len(again.Events) != 0 || again.Duplicates != 5 || again.Messages != 0 || again.LastSeq != 0 {
		t.Errorf("redelivered: %+v", again)
	}
	s, err := d.LoadSession(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if s.SyncKey.List[0].Val != 21 {
		t.Errorf("session SyncKey %v, want 21", s.SyncKey)
	}
	var n int
	d.readers.QueryRow(`SELECT COUNT(*) FROM messages WHERE msg_id LIKE 'r-%'`).Scan(&n)
	if n != 5 {
		t.Errorf("%d rows for 5 messages delivered twice", n)
	}
}

func TestLoginLogoutEventsBothPaths(t *testing.T) {
	d, _, clock := testDB(t)
	ctx := context.Background()
	w := loggedIn(t, d)

	// Logout through LogEvent.
	res, err := d.LogEvent(ctx, "main", &wx.LogoutEvent{Code: 1101, Reason: wx.LogoutReason(1101),
		Err: wx.ErrSessionInvalid, Time: clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 1 {
		t.Fatalf("LogEvent queued %d events", len(res.Events))
	}
	// Login through LogEvent: the self peer gets its id.
	res, err = d.LogEvent(ctx, "main", &wx.LoginEvent{Self: w.self.Peer(), Uin: selfUin, Method: wx.LoginHot, Time: clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if l := res.Events[0].Event.(*wx.LoginEvent); l.Self.ID != "u2100000001" {
		t.Errorf("login self id %q", l.Self.ID)
	}
	r, err := d.Undispatched(ctx, "main", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Events) != 2 {
		t.Fatalf("queue %+v", r)
	}
	lo, ok := r.Events[0].Event.(*wx.LogoutEvent)
	if !ok || lo.Code != 1101 || !errors.Is(lo.Err, wx.ErrSessionInvalid) {
		t.Errorf("replayed logout %+v (err %v)", r.Events[0].Event, lo.Err)
	}
	if _, ok := r.Events[1].Event.(*wx.LoginEvent); !ok {
		t.Errorf("replayed %T, want login", r.Events[1].Event)
	}
	// Both paths write the same events rows: the login from the batch and the two above.
	var logins, logouts int
	d.readers.QueryRow(`SELECT COUNT(*) FILTER (WHERE type = 'login'), COUNT(*) FILTER (WHERE type = 'logout') FROM events`).Scan(&logins, &logouts)
	if logins != 2 || logouts != 1 {
		t.Errorf("events: %d logins, %d logouts; want 2 and 1", logins, logouts)
	}
}

func TestSessionStore(t *testing.T) {
	d, _, _ := testDB(t)
	ctx := context.Background()
	if _, err := d.LoadSession(ctx, "main"); !errors.Is(err, wx.ErrNoSession) {
		t.Fatalf("LoadSession of nothing: %v", err)
	}
	exp := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	s := &wx.Session{Uin: selfUin, Host: "wx2.qq.com", PassTicket: "pt%2B", SelfUserName: "@self",
		BaseRequest: wx.BaseRequest{Uin: selfUin, Sid: "sid", Skey: "@crypt_x", DeviceID: "e123"},
		Cookies: []wx.Cookie{{Name: "webwx_data_ticket", Value: "t", Domain: ".qq.com", Path: "/", Expires: exp, HTTPOnly: true},
			{Name: "wxsid", Value: "sid", Domain: "wx2.qq.com", Path: "/", Secure: true}},
		SyncKey: wx.SyncKey{Count: 2, List: []wx.KeyVal{{Key: 1, Val: 698325105}, {Key: 201, Val: 1546211542}}}}
	if err := d.SaveSession(ctx, "main", s); err != nil {
		t.Fatal(err)
	}
	got, err := d.LoadSession(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if got.Cookies[0].Domain != ".qq.com" || !got.Cookies[0].Expires.Equal(exp) || !got.Cookies[0].HTTPOnly ||
		got.Cookies[1].Domain != "wx2.qq.com" || got.SyncKey.String() != s.SyncKey.String() ||
		got.BaseRequest != s.BaseRequest || got.PassTicket != "pt%2B" || got.SavedAt.IsZero() {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
	}
	var sk string
	d.readers.QueryRow(`SELECT sync_key FROM sessions WHERE account = 'main'`).Scan(&sk)
	if sk != "1_698325105|201_1546211542" {
		t.Errorf("sync_key column %q", sk)
	}
	if _, err := d.LoadSession(ctx, "other"); !errors.Is(err, wx.ErrNoSession) {
		t.Errorf("other account: %v", err)
	}
	if err := d.DeleteSession(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.LoadSession(ctx, "main"); !errors.Is(err, wx.ErrNoSession) {
		t.Errorf("after delete: %v", err)
	}
}
