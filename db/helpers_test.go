package db

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"qunguan/wx"
)

// testClock is a settable clock for Options.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testDB opens a fresh database file in t.TempDir(). The returned hook collects log lines.
func testDB(t testing.TB) (*DB, *test.Hook, *testClock) {
	t.Helper()
	logger, hook := test.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	clock := &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.Local)}
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), Options{Logger: logger, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, hook, clock
}

// hexName makes a per-login UserName: '@' + 32 hex (persons) or '@@' + 64 hex (groups),
// different for every (login, name).
func hexName(login int, name string, group bool) string {
	h := fmt.Sprintf("%032x", uint64(login)*1_000_003+hashString(name))
	if group {
		return "@@" + h + h
	}
	return "@" + h
}

func hashString(s string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// textMsg builds a received text message.
func textMsg(id string, chat, sender wx.Peer, text string, at time.Time) *wx.Message {
	return &wx.Message{MsgID: id, NewMsgID: "9" + id, Kind: wx.KindText, MsgType: 1, Time: at,
		Chat: chat, Sender: sender, Text: text}
}

func mustCommit(t testing.TB, d *DB, b *wx.Batch) *Committed {
	t.Helper()
	res, err := d.Commit(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// quiet is Options with a logger that discards.
func quiet() Options {
	logger, _ := test.NewNullLogger()
	return Options{Logger: logger}
}
