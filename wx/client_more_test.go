package wx_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"qunguan/wx"
	"qunguan/wx/wxsim"
)

func firstGroup(t *testing.T) (name, member string) {
	sc, err := wxsim.DemoScenario()
	if err != nil {
		t.Fatal(err)
	}
	return sc.Groups[0].Name, sc.Groups[0].Members[0].Nickname
}

// A restart resumes the saved session without the phone: same UserNames, the saved SyncKey,
// and uploads still work because cookies came back with their domains.
func TestHotLoginAfterRestartKeepsCookiesAndCursor(t *testing.T) {
	s := startSim(t, wxsim.Options{})
	store := &memStore{}
	ctx, cancel := context.WithCancel(context.Background())
	first := s.newClient(store)
	login(t, ctx, first)
	group, member := firstGroup(t)
	col := &collector{store: store}
	run(t, ctx, first, col)
	s.inject(map[string]any{"kind": "text", "chat": group, "from": member, "text": "before restart"})
	waitFor(t, "first message", func() bool { return len(col.texts()) == 1 })
	cancel()
	<-col.done
	selfBefore := first.Book().Self().UserName

	// While the bot is down, more messages arrive.
	s.inject(map[string]any{"kind": "text", "chat": group, "from": member, "text": "while down"})

	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	confirmed := false
	second := s.newClient(store, func(o *wx.Options) {
		o.QR = func(context.Context, wx.QRCode) { confirmed = true }
	})
	ev := login(t, ctx2, second)
	if ev.Method != wx.LoginHot || confirmed {
		t.Fatalf("method = %s (QR shown: %v), want a hot login", ev.Method, confirmed)
	}
	if second.Book().Self().UserName != selfBefore {
		t.Errorf("hot login changed UserNames: it must resume the same login")
	}
	col2 := &collector{}
	run(t, ctx2, second, col2)
	waitFor(t, "the message sent while down", func() bool { return len(col2.texts()) >= 1 })
	if got := col2.texts(); got[0] != "while down" {
		t.Errorf("after restart got %q first, want only what arrived while down", got)
	}
	groupUser := second.Book().Find(group)[0].UserName
	if _, err := second.SendImage(ctx2, groupUser, "photo.jpg", []byte("not really a jpeg, but bytes")); err != nil {
		t.Fatalf("upload after hot login: %v (cookies for file.<host> lost?)", err)
	}
}

func TestPushLoginAfterSessionEnded(t *testing.T) {
	s := startSim(t, wxsim.Options{AutoConfirm: 50 * time.Millisecond})
	store := &memStore{}
	ctx := context.Background()
	first := s.newClient(store)
	login(t, ctx, first)
	uin := first.Session().Uin
	// The phone logs the web session out: hot login fails, push login should work.
	s.control("POST", "logout", map[string]any{"retcode": 1100}, nil)
	qrShown := false
	second := s.newClient(store, func(o *wx.Options) {
		o.QR = func(context.Context, wx.QRCode) { qrShown = true }
	})
	// The store still has the dead session (Run would have deleted it; this client never ran).
	ev := login(t, ctx, second)
	if ev.Method != wx.LoginPush || qrShown {
		t.Fatalf("method = %s, QR shown = %v; want push login", ev.Method, qrShown)
	}
	if ev.Uin != uin {
		t.Errorf("uin = %d, want %d", ev.Uin, uin)
	}
}

func TestKickEndsRunWithLogoutEvent(t *testing.T) {
	s := startSim(t, wxsim.Options{})
	store := &memStore{}
	ctx := context.Background()
	c := s.newClient(store)
	login(t, ctx, c)
	col := &collector{}
	run(t, ctx, c, col)
	time.Sleep(100 * time.Millisecond)
	s.control("POST", "logout", map[string]any{"retcode": 1101}, nil)
	var err error
	select {
	case err = <-col.done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not end after the kick")
	}
	if !errors.Is(err, wx.ErrSessionEnded) || !errors.Is(err, wx.ErrSessionInvalid) {
		t.Fatalf("Run ended with %v, want ErrSessionEnded wrapping ErrSessionInvalid", err)
	}
	col.mu.Lock()
	last := col.events[len(col.events)-1]
	col.mu.Unlock()
	lo, ok := last.(*wx.LogoutEvent)
	if !ok || lo.Code != 1101 || !strings.Contains(lo.Reason, "elsewhere") {
		t.Fatalf("last event = %#v, want a LogoutEvent 1101 saying why", last)
	}
	if _, err := store.LoadSession(ctx, "main"); !errors.Is(err, wx.ErrNoSession) {
		t.Errorf("the ended session is still saved")
	}
}

// A handler that fails makes the client keep the old SyncKey: the batch comes again.
func TestFailedHandlerGetsTheBatchAgain(t *testing.T) {
	s := startSim(t, wxsim.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := s.newClient(nil)
	login(t, ctx, c)
	group, member := firstGroup(t)
	col := &collector{fail: 2}
	run(t, ctx, c, col)
	s.inject(map[string]any{"kind": "text", "chat": group, "from": member, "text": "must not be lost"})
	waitFor(t, "the message after two failed commits", func() bool { return len(col.texts()) == 1 })
	time.Sleep(300 * time.Millisecond)
	if n := len(col.texts()); n != 1 {
		t.Fatalf("got the message %d times, want exactly once", n)
	}
}

func TestSurvivesFaultsWithoutLossOrDuplicates(t *testing.T) {
	s := startSim(t, wxsim.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := s.newClient(nil)
	login(t, ctx, c)
	group, member := firstGroup(t)
	s.control("POST", "faults", map[string]any{"error_rate": 0.2, "reset_rate": 0.1, "duplicate_rate": 0.3, "latency": "5ms"}, nil)
	col := &collector{}
	run(t, ctx, c, col)
	const n = 60
	for i := 0; i < n; i++ {
		s.inject(map[string]any{"kind": "text", "chat": group, "from": member, "text": fmt.Sprintf("f%02d", i)})
	}
	waitFor(t, "every message despite faults", func() bool { return len(col.texts()) >= n })
	time.Sleep(300 * time.Millisecond)
	texts := col.texts()
	if len(texts) != n {
		t.Fatalf("got %d messages, want exactly %d (duplicates dropped)", len(texts), n)
	}
	for i, txt := range texts {
		if txt != fmt.Sprintf("f%02d", i) {
			t.Fatalf("message %d = %q: order broken", i, txt)
		}
	}
}

func TestContinueFlagPagesABacklog(t *testing.T) {
	s := startSim(t, wxsim.Options{SyncPageSize: 10})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := s.newClient(nil)
	login(t, ctx, c)
	group, member := firstGroup(t)
	for i := 0; i < 95; i++ {
		s.inject(map[string]any{"kind": "text", "chat": group, "from": member, "text": fmt.Sprintf("b%03d", i)})
	}
	col := &collector{}
	run(t, ctx, c, col)
	waitFor(t, "the whole backlog", func() bool { return len(col.texts()) >= 95 })
	col.mu.Lock()
	batches := col.batches
	col.mu.Unlock()
	if batches < 10 {
		t.Errorf("95 messages came in %d batches; with pages of 10 want at least 10 (one per webwxsync)", batches)
	}
}

func TestEverySendKindReachesTheServer(t *testing.T) {
	s := startSim(t, wxsim.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := s.newClient(nil)
	login(t, ctx, c)
	group, _ := firstGroup(t)
	to := c.Book().Find(group)[0].UserName
	col := &collector{}
	run(t, ctx, c, col)

	big := make([]byte, 1300*1024) // three upload chunks
	for i := range big {
		big[i] = byte(i)
	}
	text, err := c.SendText(ctx, to, wx.MentionText("小明")+"明早 <8点> & 不见不散")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendImage(ctx, to, "a.png", []byte("png bytes")); err != nil {
		t.Fatal("image:", err)
	}
	if _, err := c.SendFile(ctx, to, "report.pdf", big); err != nil {
		t.Fatal("file:", err)
	}
	if _, err := c.SendVideo(ctx, to, "v.mp4", []byte("mp4 bytes")); err != nil {
		t.Fatal("video:", err)
	}
	if _, err := c.SendEmoticon(ctx, to, "e.gif", []byte("gif bytes")); err != nil {
		t.Fatal("emoticon:", err)
	}
	if err := c.Revoke(ctx, to, text); err != nil {
		t.Fatal("revoke:", err)
	}
	var sent []map[string]any
	s.control("GET", "sent", nil, &sent)
	if len(sent) < 6 {
		t.Fatalf("/_sim/sent has %d entries, want 6: %v", len(sent), sent)
	}
	joined := fmt.Sprint(sent)
	for _, want := range []string{"明早 <8点> & 不见不散", "a.png", "report.pdf", "v.mp4", "e.gif"} {
		if !strings.Contains(joined, want) {
			t.Errorf("/_sim/sent lacks %q: %s", want, joined)
		}
	}
	// Our own sends come back through the sync stream as echoes, recognised as ours.
	waitFor(t, "echoes", func() bool { return col.count(func(m *wx.Message) bool { return m.IsSelf }) >= 1 })
	if n := col.count(func(m *wx.Message) bool { return m.IsSelf && !m.Echo && m.Kind != wx.KindOwnerActive }); n != 0 {
		col.mu.Lock()
		for _, m := range col.msgs {
			if m.IsSelf && !m.Echo {
				t.Logf("not an echo: %s %d %q", m.Kind, m.MsgType, m.Raw)
			}
		}
		col.mu.Unlock()
		t.Errorf("%d of our own sends were not recognised as echoes", n)
	}
}

func TestEveryHostFamily(t *testing.T) {
	for _, host := range []string{"wx.qq.com", "wx2.qq.com", "wx8.qq.com", "web.wechat.com", "web2.wechat.com"} {
		t.Run(host, func(t *testing.T) {
			s := startSim(t, wxsim.Options{Host: host})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := s.newClient(nil)
			ev := login(t, ctx, c)
			if ev.Host != host {
				t.Fatalf("host = %q, want %q", ev.Host, host)
			}
			group, member := firstGroup(t)
			col := &collector{}
			run(t, ctx, c, col)
			s.inject(map[string]any{"kind": "text", "chat": group, "from": member, "text": "hi " + host})
			waitFor(t, "a message via "+host, func() bool { return len(col.texts()) == 1 })
			to := c.Book().Find(group)[0].UserName
			if _, err := c.SendImage(ctx, to, "x.jpg", []byte("bytes")); err != nil {
				t.Fatalf("upload on file.%s: %v", host, err)
			}
		})
	}
}

func TestWebForbiddenAccountSuggestsDesktopMode(t *testing.T) {
	sc, err := wxsim.DemoScenario()
	if err != nil {
		t.Fatal(err)
	}
	sc.WebForbidden = true
	s := startSim(t, wxsim.Options{Scenario: sc})
	c := s.newClient(nil)
	_, err = c.Login(context.Background())
	if !errors.Is(err, wx.ErrWebLoginForbidden) || !strings.Contains(err.Error(), "desktop") {
		t.Fatalf("err = %v, want ErrWebLoginForbidden suggesting desktop mode", err)
	}
	d := s.newClient(nil, func(o *wx.Options) { o.Mode = "desktop"; o.Extspam = "Go8FCIkFEokFCggwMDAwMDAw" })
	if _, err := d.Login(context.Background()); err != nil {
		t.Fatalf("desktop mode: %v", err)
	}
}

func TestQRCodeIsReplacedWhenItExpires(t *testing.T) {
	s := startSim(t, wxsim.Options{QRExpiry: 200 * time.Millisecond})
	var codes []wx.QRCode
	c := s.newClient(nil, func(o *wx.Options) {
		o.QR = func(_ context.Context, qr wx.QRCode) {
			codes = append(codes, qr)
			if qr.N == 2 {
				go s.control("POST", "confirm", map[string]any{}, nil)
			}
		}
	})
	if _, err := c.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(codes) != 2 || codes[0].UUID == codes[1].UUID || !strings.HasPrefix(codes[1].URL, "https://login.weixin.qq.com/l/") {
		t.Fatalf("codes = %+v, want a second, different code after expiry", codes)
	}
}

func TestUploadWithoutDataTicketSaysWhy(t *testing.T) {
	// A session restored without cookie domains is the classic failure: make sure the error
	// names the missing ticket rather than failing obscurely.
	s := startSim(t, wxsim.Options{})
	store := &memStore{}
	ctx := context.Background()
	first := s.newClient(store)
	login(t, ctx, first)
	saved, _ := store.LoadSession(ctx, "main")
	for i := range saved.Cookies {
		saved.Cookies[i].Domain = "wx2.qq.com" // host-only, as openwechat saved them
	}
	_ = store.SaveSession(ctx, "main", saved)
	second := s.newClient(store)
	login(t, ctx, second)
	group, _ := firstGroup(t)
	to := second.Book().Find(group)[0].UserName
	_, err := second.SendImage(ctx, to, "x.jpg", []byte("b"))
	if err == nil || !strings.Contains(err.Error(), "webwx_data_ticket") {
		t.Fatalf("err = %v, want one naming webwx_data_ticket", err)
	}
}

// TestLoginChatListTeachesRawIDsWithoutMemberLists: the status-notify chat list after a
// login reveals every group's raw id. The book learns it with the group whole; the batch
// hands the store the groups without member lists (unchanged: resending them makes the
// store re-resolve every member after every login).
func TestLoginChatListTeachesRawIDsWithoutMemberLists(t *testing.T) {
	s := startSim(t, wxsim.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := s.newClient(nil)
	login(t, ctx, c)
	var mu sync.Mutex
	var groups []*wx.Contact
	done := make(chan error, 1)
	go func() {
		done <- c.Run(ctx, func(_ context.Context, b *wx.Batch) error {
			mu.Lock()
			defer mu.Unlock()
			for _, ct := range b.Contacts {
				if ct.IsGroup() && ct.RawID != "" {
					groups = append(groups, ct)
				}
			}
			return nil
		})
	}()
	waitFor(t, "groups with raw ids in a batch", func() bool { mu.Lock(); defer mu.Unlock(); return len(groups) > 0 })
	mu.Lock()
	defer mu.Unlock()
	for _, g := range groups {
		if len(g.Members) != 0 {
			t.Errorf("group %q came with %d members for a raw id", g.NickName, len(g.Members))
		}
		book := c.Book().Contact(g.UserName)
		if book == nil || book.RawID != g.RawID || len(book.Members) == 0 {
			t.Errorf("the book has %+v for %q, want the raw id %q and the members", book, g.NickName, g.RawID)
		}
	}
}

// TestPushLoginAfterKickInTheSameProcess: a kick (1101) ends Run, which deletes the saved
// session; logging in again in the same process is still a push login (the phone confirms),
// not a QR code nobody is there to scan.
func TestPushLoginAfterKickInTheSameProcess(t *testing.T) {
	s := startSim(t, wxsim.Options{AutoConfirm: 50 * time.Millisecond})
	store := &memStore{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	qrShown := 0
	c := s.newClient(store, func(o *wx.Options) {
		o.QR = func(context.Context, wx.QRCode) { mu.Lock(); qrShown++; mu.Unlock() }
	})
	login(t, ctx, c)
	col := &collector{}
	run(t, ctx, c, col)
	s.control("POST", "logout", map[string]any{"retcode": 1101}, nil)
	select {
	case err := <-col.done:
		if !wx.IsSessionEnded(err) {
			t.Fatalf("Run ended with %v, want a session end", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not end after the kick")
	}
	if _, err := store.LoadSession(ctx, "main"); !errors.Is(err, wx.ErrNoSession) {
		t.Fatalf("the ended session is still saved: %v", err)
	}
	ev := login(t, ctx, c)
	mu.Lock()
	defer mu.Unlock()
	if ev.Method != wx.LoginPush || qrShown != 1 {
		t.Fatalf("method = %s after %d QR codes; want push login and only the first login's QR", ev.Method, qrShown)
	}
}

// TestLoginThroughANetworkOutageKeepsTheSession: while the server answers 5xx or resets
// connections, a hot login fails without forgetting the saved session, and a push login
// fails without falling back to a QR code; once the network is back both work.
func TestLoginThroughANetworkOutageKeepsTheSession(t *testing.T) {
	s := startSim(t, wxsim.Options{AutoConfirm: 50 * time.Millisecond})
	store := &memStore{}
	ctx := context.Background()
	login(t, ctx, s.newClient(store))
	faults := func(f map[string]any) { s.control("POST", "faults", f, nil) }

	faults(map[string]any{"error_rate": 1}) // every answer a 5xx
	qr := 0
	c := s.newClient(store, func(o *wx.Options) { o.QR = func(context.Context, wx.QRCode) { qr++ } })
	if _, err := c.Login(ctx); !wx.IsTransient(err) {
		t.Fatalf("hot login during an outage: %v, want a transient error", err)
	}
	if _, err := store.LoadSession(ctx, "main"); err != nil {
		t.Fatalf("the saved session was forgotten during an outage: %v", err)
	}
	faults(map[string]any{})
	if ev := login(t, ctx, c); ev.Method != wx.LoginHot {
		t.Fatalf("after the outage: %s login, want hot", ev.Method)
	}

	// The phone ends the session: the next login is a push login, and during an outage
	// (every connection reset) it must wait for the network, not show a QR code.
	s.control("POST", "logout", map[string]any{"retcode": 1100}, nil)
	faults(map[string]any{"reset_rate": 1})
	if _, err := c.Login(ctx); !wx.IsTransient(err) {
		t.Fatalf("login during an outage: %v, want a transient error", err)
	}
	faults(map[string]any{})
	ev := login(t, ctx, c)
	if ev.Method != wx.LoginPush || qr != 0 {
		t.Fatalf("after the outage: %s login with %d QR codes, want push login and none", ev.Method, qr)
	}
}

func TestIsTransient(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&wx.HTTPError{Op: "webwxinit", Status: 502}, true},
		{fmt.Errorf("x: %w", &wx.HTTPError{Op: "webwxinit", Status: 404}), false},
		{&wx.RetError{Op: "webwxinit", Ret: 1101}, false},
		{fmt.Errorf("webwxinit: %w", &url.Error{Op: "Post", URL: "https://wx2.qq.com", Err: errors.New("connection reset by peer")}), true},
		{fmt.Errorf("webwxinit: reading answer: %w", io.ErrUnexpectedEOF), true},
		{context.Canceled, false},
		{fmt.Errorf("webwxinit: %w", &url.Error{Op: "Post", URL: "https://wx2.qq.com", Err: context.Canceled}), false},
		{errors.New("webwxinit: malformed answer"), false},
		{nil, false},
	} {
		if got := wx.IsTransient(c.err); got != c.want {
			t.Errorf("IsTransient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// TestSessionCarriesTheCookies: the session a caller saves right after a login (the daemon
// logs the login with client.Session() before any sync) resumes with a hot login that can
// sync: the cookies synccheck needs are in it.
func TestSessionCarriesTheCookies(t *testing.T) {
	s := startSim(t, wxsim.Options{})
	store := &memStore{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := s.newClient(store)
	login(t, ctx, first)
	if err := store.SaveSession(ctx, "main", first.Session()); err != nil {
		t.Fatal(err)
	}
	second := s.newClient(store)
	if ev := login(t, ctx, second); ev.Method != wx.LoginHot {
		t.Fatalf("%s login, want hot", ev.Method)
	}
	col := &collector{}
	run(t, ctx, second, col)
	group, member := firstGroup(t)
	s.inject(map[string]any{"kind": "text", "chat": group, "from": member, "text": "after the restart"})
	select {
	case err := <-col.done:
		t.Fatalf("sync ended after a hot login: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	waitFor(t, "the message after a hot login", func() bool { return len(col.texts()) == 1 })
}
