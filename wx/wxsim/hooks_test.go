package wxsim

import (
	"slices"
	"sync"
	"testing"
)

// TestHooks: OnMessage sees every message delivered into a live session — the login's
// notice, injections (raw too), echoes of sends — and nothing while nobody is logged in;
// OnSent sees exactly what Sent lists.
func TestHooks(t *testing.T) {
	var mu sync.Mutex
	var delivered []string
	var sent []Sent
	e := newEnv(t, Options{
		OnMessage: func(id string) { mu.Lock(); delivered = append(delivered, id); mu.Unlock() },
		OnSent:    func(s Sent) { mu.Lock(); sent = append(sent, s); mu.Unlock() },
	})
	if _, err := e.srv.Inject(Injection{Kind: "text", Chat: "周末徒步群", From: "小明", Text: "offline"}); err != nil {
		t.Fatal(err)
	}
	if len(delivered) != 0 {
		t.Fatalf("delivered while nobody was logged in: %v", delivered)
	}
	c := e.loggedIn()
	if len(delivered) != 1 {
		t.Fatalf("after login: %v, want the status notice only", delivered)
	}
	var want []string
	want = append(want, delivered[0])
	for _, in := range []Injection{
		{Kind: "text", Chat: "周末徒步群", From: "小明", Text: "hi", Label: "a"},
		{Kind: "recall", Of: "a"},
		{Raw: []byte(`{"MsgType":1,"FromUserName":"{{user:阿杰🏃}}","ToUserName":"{{self}}","Content":"raw"}`)},
	} {
		id, err := e.srv.Inject(in)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	r := e.sendText(c, "filehelper", "out")
	want = append(want, decode(t, r.body)["MsgID"].(string))
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(delivered, want) {
		t.Errorf("OnMessage saw %v, want %v", delivered, want)
	}
	if all := e.srv.Sent(); !slices.EqualFunc(sent, all, func(a, b Sent) bool { return a.Seq == b.Seq && a.MsgID == b.MsgID && a.Text == b.Text }) || len(sent) != 1 {
		t.Errorf("OnSent saw %+v, Sent lists %+v", sent, all)
	}
}

// TestBacklog: Backlog is what State reports pending, and webwxsync empties it.
func TestBacklog(t *testing.T) {
	e := newEnv(t, Options{})
	if n := e.srv.Backlog(); n != 0 {
		t.Fatalf("backlog before any login = %d", n)
	}
	c := e.loggedIn()
	before := e.srv.Backlog()
	for i := 0; i < 3; i++ {
		e.inject(`{"kind":"text","chat":"周末徒步群","from":"小明","text":"x"}`)
	}
	if got, pending := e.srv.Backlog(), e.srv.State().Accounts[0].Pending; got != before+3 || got != pending {
		t.Errorf("backlog = %d, want %d+3 and State's pending %d", got, before, pending)
	}
	e.syncAll(c)
	if n := e.srv.Backlog(); n != 0 {
		t.Errorf("backlog after syncing = %d", n)
	}
}

// TestOnUnfetched: a session that ends reports the messages no webwxsync handed out; what
// was fetched is not reported, and neither is anything of a session that was caught up.
func TestOnUnfetched(t *testing.T) {
	var mu sync.Mutex
	var lost [][]string
	e := newEnv(t, Options{OnUnfetched: func(ids []string) {
		mu.Lock()
		lost = append(lost, ids)
		mu.Unlock()
	}})
	c := e.loggedIn()
	e.syncAll(c)
	fetched, _ := e.srv.Inject(Injection{Kind: "text", Chat: "周末徒步群", From: "小明", Text: "fetched"})
	e.syncAll(c)
	var want []string
	for _, text := range []string{"a", "b"} {
		id, err := e.srv.Inject(Injection{Kind: "text", Chat: "周末徒步群", From: "小明", Text: text})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	if err := e.srv.Logout(1101); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lost) != 1 || !slices.Equal(lost[0], want) || slices.Contains(lost[0], fetched) {
		t.Errorf("unfetched = %v, want [%v] (not %s)", lost, want, fetched)
	}
}

// TestEndedSessionFreesItsLog: a session that ended (here by a kick) keeps no log — every
// call of it is answered with its retcode — while State still counts what it delivered.
func TestEndedSessionFreesItsLog(t *testing.T) {
	e := newEnv(t, Options{})
	e.loggedIn()
	for range 5 {
		e.inject(`{"kind":"text","chat":"周末徒步群","from":"小明","text":"x"}`)
	}
	e.srv.mu.Lock()
	sess := e.srv.active
	before := sess.end()
	e.srv.mu.Unlock()
	if err := e.srv.Logout(1101); err != nil {
		t.Fatal(err)
	}
	e.srv.mu.Lock()
	defer e.srv.mu.Unlock()
	if len(sess.entries) != 0 || sess.end() != before {
		t.Errorf("ended session holds %d entries, end %d (was %d)", len(sess.entries), sess.end(), before)
	}
}
