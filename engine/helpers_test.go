package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"qunguan/wx"
)

// recSender records what scripts asked for.
type recSender struct {
	mu      sync.Mutex
	sent    []Outgoing
	actions []string
	kickErr error
}

func (r *recSender) Send(_ context.Context, out Outgoing) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, out)
	return nil
}

func (r *recSender) record(format string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.actions = append(r.actions, format)
}

func (r *recSender) Kick(_ context.Context, g string, ids []string) error {
	if r.kickErr != nil {
		return r.kickErr
	}
	r.record("kick " + g + " " + strings.Join(ids, ","))
	return nil
}
func (r *recSender) Invite(_ context.Context, g string, ids []string) error {
	r.record("invite " + g + " " + strings.Join(ids, ","))
	return nil
}
func (r *recSender) RenameGroup(_ context.Context, g, name string) error {
	r.record("rename " + g + " " + name)
	return nil
}
func (r *recSender) AcceptFriend(_ context.Context, req wx.FriendRequest, remark string) error {
	r.record("accept " + req.NickName + " " + remark)
	return nil
}
func (r *recSender) SetRemark(_ context.Context, id, remark string) error {
	r.record("remark " + id + " " + remark)
	return nil
}

func (r *recSender) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = nil
}

// texts returns the texts sent so far, "chat: text".
func (r *recSender) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.sent {
		out = append(out, s.ChatID+": "+s.Text)
	}
	return out
}

// testWorld is a tiny contact book: groups g1 ("徒步群") and friends u1 ("阿杰"), u2 ("小明").
type testWorld struct{}

var (
	group1  = wx.Peer{ID: "g1", NickName: "徒步群", IsGroup: true, MemberCount: 3}
	friend1 = wx.Peer{ID: "u1", NickName: "阿杰", IsFriend: true}
	friend2 = wx.Peer{ID: "u2", NickName: "小明", IsFriend: true}
	selfP   = wx.Peer{ID: "self", NickName: "管家", IsSelf: true}
)

func (testWorld) Contacts(context.Context) ([]wx.Peer, error) {
	return []wx.Peer{group1, friend1, friend2}, nil
}
func (testWorld) Find(_ context.Context, name string) ([]wx.Peer, error) {
	if name == "filehelper" {
		return []wx.Peer{{ID: "filehelper", NickName: "文件传输助手", IsSpecial: true}}, nil
	}
	var out []wx.Peer
	for _, p := range []wx.Peer{group1, friend1, friend2} {
		if p.ID == name || p.NickName == name {
			out = append(out, p)
		}
	}
	return out, nil
}
func (testWorld) Members(_ context.Context, id string) ([]wx.Peer, error) {
	if id != "g1" {
		return nil, ErrNotFound
	}
	return []wx.Peer{friend1, friend2, selfP}, nil
}

type harness struct {
	t      *testing.T
	e      *Engine
	sender *recSender
	clock  *VirtualClock
	dir    string
	logs   *test.Hook
	errs   []*ScriptError
	errMu  sync.Mutex
}

var testStart = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC) // a Monday

func writeScripts(t *testing.T, dir string, scripts map[string]string) {
	t.Helper()
	for name, src := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// newHarness loads scripts into a running engine on a virtual clock.
func newHarness(t *testing.T, scripts map[string]string, tune func(*Options)) *harness {
	t.Helper()
	dir := t.TempDir()
	writeScripts(t, dir, scripts)
	logger, hook := test.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	h := &harness{t: t, sender: &recSender{}, clock: NewVirtualClock(testStart), dir: dir, logs: hook}
	opts := Options{
		Dir: dir, Sender: h.sender, Contacts: testWorld{}, Clock: h.clock, Location: time.UTC,
		Logger: logger, HandlerTimeout: 200 * time.Millisecond,
		OnHandlerError: func(err *ScriptError) {
			h.errMu.Lock()
			h.errs = append(h.errs, err)
			h.errMu.Unlock()
		},
	}
	if tune != nil {
		tune(&opts)
	}
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := e.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return h
}

func (h *harness) dispatch(events ...wx.Event) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.e.DispatchSync(ctx, events); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.e.AdvanceClock(ctx, d); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) sync() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.e.Sync(ctx); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) handlerErrors() []*ScriptError {
	h.errMu.Lock()
	defer h.errMu.Unlock()
	return append([]*ScriptError(nil), h.errs...)
}

func (h *harness) expectTexts(want ...string) {
	h.t.Helper()
	got := h.sender.texts()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		h.t.Fatalf("sent:\n  %s\nwant:\n  %s\nhandler errors: %v", strings.Join(got, "\n  "), strings.Join(want, "\n  "), h.handlerErrors())
	}
}

var msgSeq int

// groupText is a text from a friend in group g1.
func groupText(from wx.Peer, text string) *wx.Message {
	msgSeq++
	return &wx.Message{MsgID: "m" + strconv.Itoa(msgSeq), Kind: wx.KindText, Chat: group1, Sender: from, Text: text, Time: testStart}
}

// privateText is a text in the 1:1 chat with from.
func privateText(from wx.Peer, text string) *wx.Message {
	msgSeq++
	return &wx.Message{MsgID: "m" + strconv.Itoa(msgSeq), Kind: wx.KindText, Chat: from, Sender: from, Text: text, Time: testStart}
}

func asLoadError(err error, target **LoadError) bool { return errors.As(err, target) }
