package wx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"qunguan/wx"
	"qunguan/wx/wxsim"
)

// sim is a running simulator on loopback.
type sim struct {
	t   *testing.T
	srv *httptest.Server
	URL string
}

func startSim(t *testing.T, opts wxsim.Options) *sim {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 42
	}
	if opts.LongPoll == 0 {
		opts.LongPoll = 300 * time.Millisecond
	}
	s, err := wxsim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &sim{t: t, srv: srv, URL: srv.URL}
}

// control calls the simulator's control API and decodes the answer into out (if not nil).
func (s *sim) control(method, path string, body any, out any) {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.URL+"/_sim/"+path, r)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		s.t.Fatalf("%s /_sim/%s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("/_sim/%s: %v: %s", path, err, data)
		}
	}
}

func (s *sim) inject(body map[string]any) string {
	var ans struct{ MsgId string }
	s.control("POST", "inject", body, &ans)
	return ans.MsgId
}

// memStore is a SessionStore in memory: the persistence of sessions is the db package's job
// and is tested there; here only what the client saves and restores matters.
type memStore struct {
	mu sync.Mutex
	m  map[string]*wx.Session
}

func (m *memStore) LoadSession(_ context.Context, account string) (*wx.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.m[account]; ok {
		// Round-trip through JSON, as a store on disk would.
		b, _ := json.Marshal(s)
		var out wx.Session
		_ = json.Unmarshal(b, &out)
		return &out, nil
	}
	return nil, wx.ErrNoSession
}

func (m *memStore) SaveSession(_ context.Context, account string, s *wx.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]*wx.Session{}
	}
	m.m[account] = s.Clone()
	return nil
}

func (m *memStore) DeleteSession(_ context.Context, account string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, account)
	return nil
}

func quietLogger() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return logrus.NewEntry(l)
}

// newClient returns a client talking to the simulator, confirming QR codes at once.
func (s *sim) newClient(store wx.SessionStore, mutate ...func(*wx.Options)) *wx.Client {
	s.t.Helper()
	opts := wx.Options{
		Account: "main", Endpoint: s.URL, Store: store, Logger: quietLogger(),
		RetryBase: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond,
		LoginTimeout: 20 * time.Second,
		QR: func(ctx context.Context, qr wx.QRCode) {
			go s.control("POST", "confirm", map[string]any{}, nil)
		},
	}
	for _, m := range mutate {
		m(&opts)
	}
	c, err := wx.New(opts)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// collector runs the sync loop and gathers what it hands over.
type collector struct {
	store   wx.SessionStore // when set, saves each batch's session as the db's Commit does
	mu      sync.Mutex
	msgs    []*wx.Message
	events  []wx.Event
	batches int
	fail    int // fail this many handler calls first
	done    chan error
}

func (c *collector) handle(_ context.Context, b *wx.Batch) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail > 0 {
		c.fail--
		return errors.New("commit failed")
	}
	c.batches++
	if c.store != nil && b.Session != nil {
		if err := c.store.SaveSession(context.Background(), b.Account, b.Session); err != nil {
			return err
		}
	}
	for _, e := range b.Events {
		c.events = append(c.events, e)
		if m, ok := e.(*wx.Message); ok {
			c.msgs = append(c.msgs, m)
		}
	}
	return nil
}

func run(t *testing.T, ctx context.Context, c *wx.Client, col *collector) {
	col.done = make(chan error, 1)
	go func() { col.done <- c.Run(ctx, col.handle) }()
}

// waitFor polls cond until it holds or the test times out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func (c *collector) texts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.msgs {
		if m.Kind == wx.KindText {
			out = append(out, m.Text)
		}
	}
	return out
}

func (c *collector) count(pred func(*wx.Message) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range c.msgs {
		if pred(m) {
			n++
		}
	}
	return n
}

func login(t *testing.T, ctx context.Context, c *wx.Client) *wx.LoginEvent {
	t.Helper()
	ev, err := c.Login(ctx)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	return ev
}

func TestQRLoginLoadsContactBook(t *testing.T) {
	s := startSim(t, wxsim.Options{})
	ctx := context.Background()
	c := s.newClient(nil)
	ev := login(t, ctx, c)
	if ev.Method != wx.LoginQR || ev.Uin == 0 || ev.Self.NickName == "" {
		t.Fatalf("login event = %+v", ev)
	}
	if ev.Host != "wx2.qq.com" {
		t.Errorf("host = %q, want the redirect's wx2.qq.com", ev.Host)
	}
	book := c.Book()
	var groups, unsavedFound int
	for _, ct := range book.Contacts() {
		if ct.IsGroup() {
			groups++
			if len(ct.Members) == 0 {
				t.Errorf("group %q has no members after login", ct.NickName)
			}
		}
	}
	sc, _ := wxsim.DemoScenario()
	for _, g := range sc.Groups {
		if g.Saved != nil && !*g.Saved {
			if len(book.Find(g.Name)) == 1 {
				unsavedFound++
			}
		}
	}
	if groups != len(sc.Groups) {
		t.Errorf("groups = %d, want all %d of the scenario (unsaved ones from init/ChatSet)", groups, len(sc.Groups))
	}
	if unsavedFound == 0 {
		t.Errorf("the group not saved to contacts was not found")
	}
	if ev.Friends < len(sc.Friends) {
		t.Errorf("friends = %d, want at least %d", ev.Friends, len(sc.Friends))
	}
}

func TestSyncDeliversInjectedMessagesInOrder(t *testing.T) {
	s := startSim(t, wxsim.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := s.newClient(nil)
	login(t, ctx, c)
	sc, _ := wxsim.DemoScenario()
	group := sc.Groups[0]
	col := &collector{}
	run(t, ctx, c, col)
	for i := 0; i < 20; i++ {
		s.inject(map[string]any{"kind": "text", "chat": group.Name, "from": group.Members[0].Nickname, "text": fmt.Sprintf("消息 %02d <&>", i)})
	}
	waitFor(t, "20 messages", func() bool { return len(col.texts()) >= 20 })
	texts := col.texts()
	for i, txt := range texts[:20] {
		if want := fmt.Sprintf("消息 %02d <&>", i); txt != want {
			t.Fatalf("message %d = %q, want %q (order or decoding broken)", i, txt, want)
		}
	}
	m := col.msgs[len(col.msgs)-1]
	if !m.Chat.IsGroup || m.Chat.NickName != group.Name || m.Sender.NickName != group.Members[0].Nickname {
		t.Errorf("chat/sender = %+v / %+v", m.Chat, m.Sender)
	}
}
