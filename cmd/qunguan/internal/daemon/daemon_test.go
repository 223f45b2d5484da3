package daemon

import (
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"qunguan/cmd/qunguan/internal/config"
	"qunguan/db"
	"qunguan/wx"
	"qunguan/wx/wxsim"
)

// The daemon's tests run the real parts in one process: wxsim over loopback, SQLite in a
// temporary directory, real Lua.

const pingScript = `local bot = require("bot")
bot.hear("^ping", function(msg) msg:reply("pong " .. msg.text) end)
`

const scenarioYAML = `
self: {nickname: 群管家, uin: %UIN%}
friends: [{nickname: 阿杰}]
groups:
  - name: 周末徒步群
    owner: self
    members: [{nickname: 阿杰}, {nickname: 小明}]
`

type rig struct {
	t     *testing.T
	dir   string
	store *db.DB
	sims  map[string]*wxsim.Server
	cfg   *config.Config
}

func newRig(t *testing.T, accounts ...string) *rig {
	t.Helper()
	dir := t.TempDir()
	scripts := filepath.Join(dir, "scripts")
	if err := os.MkdirAll(scripts, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(scripts, "ping.lua"), []byte(pingScript), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DataDir, cfg.ScriptsDir, cfg.Database = dir, scripts, filepath.Join(dir, "q.db")
	cfg.Outbox.PerSecond = 100
	r := &rig{t: t, dir: dir, sims: map[string]*wxsim.Server{}, cfg: cfg}
	for i, name := range accounts {
		sc, err := wxsim.ParseScenario([]byte(strings.ReplaceAll(scenarioYAML, "%UIN%", string(rune('1'+i))+"100000001")))
		if err != nil {
			t.Fatal(err)
		}
		sim, err := wxsim.New(wxsim.Options{Scenario: sc, Seed: int64(i + 1), AutoConfirm: 20 * time.Millisecond, LongPoll: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		r.sims[name] = sim
		cfg.Accounts = append(cfg.Accounts, config.Account{Name: name, Mode: config.ModeNormal, Endpoint: srv.URL})
	}
	store, err := db.Open(context.Background(), cfg.Database, db.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	r.store = store
	return r
}

func quiet() *logrus.Logger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

// start runs a daemon until the test ends (or stop is called).
func (r *rig) start() (stop func()) {
	r.t.Helper()
	d, err := New(Options{Config: r.cfg, Store: r.store, Logger: quiet(), LoginRetry: 50 * time.Millisecond,
		Client: func(_ string, o *wx.Options) { o.RetryBase, o.RetryMax = 10*time.Millisecond, 100*time.Millisecond }})
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx, time.Second) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	r.t.Cleanup(stop)
	return stop
}

func (r *rig) waitLogin(account string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := r.sims[account].WaitLogin(ctx); err != nil {
		r.t.Fatalf("%s did not log in: %v", account, err)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
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

func sentTo(sim *wxsim.Server, chat, contains string) int {
	n := 0
	for _, s := range sim.Sent() {
		if s.Chat == chat && strings.Contains(s.Text, contains) {
			n++
		}
	}
	return n
}

func TestRulesAnswerAndRepliesAreLoggedOnce(t *testing.T) {
	r := newRig(t, "main")
	r.start()
	r.waitLogin("main")
	sim := r.sims["main"]
	if _, err := sim.Inject(wxsim.Injection{Kind: "text", Chat: "周末徒步群", From: "小明", Text: "ping 1"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the reply", func() bool { return sentTo(sim, "周末徒步群", "pong ping 1") == 1 })
	eventually(t, "the reply in the log", func() bool {
		rows, _ := r.store.Search(context.Background(), db.SearchQuery{Text: "pong ping 1"})
		return len(rows) == 1 && rows[0].Direction == db.Out && rows[0].Origin == db.OriginBot
	})
	time.Sleep(500 * time.Millisecond) // the echo has come back by now
	rows, _ := r.store.Search(context.Background(), db.SearchQuery{Text: "pong ping 1"})
	if len(rows) != 1 {
		t.Fatalf("the reply is logged %d times, want once (its echo must not add a row)", len(rows))
	}
}

// A kick ends one account's session: it logs in again by itself (push login), the other
// account's alert chat hears about it, and messages flow again.
func TestSessionEndRelogsInAndAlertsTheOtherAccount(t *testing.T) {
	r := newRig(t, "main", "second")
	r.start()
	r.waitLogin("main")
	r.waitLogin("second")
	time.Sleep(200 * time.Millisecond)
	if err := r.sims["main"].Logout(1101); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the alert on the other account", func() bool {
		return sentTo(r.sims["second"], "文件传输助手", "main") > 0 || sentTo(r.sims["second"], "filehelper", "main") > 0
	})
	eventually(t, "main logged in again", func() bool {
		st := r.sims["main"].State()
		return len(st.Accounts) > 0 && st.Accounts[0].LoggedIn
	})
	if _, err := r.sims["main"].Inject(wxsim.Injection{Kind: "text", Chat: "周末徒步群", From: "小明", Text: "ping again"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a reply after the new login", func() bool { return sentTo(r.sims["main"], "周末徒步群", "pong ping again") == 1 })
}

// Events committed but not dispatched when the process died are dispatched after the restart
// if they are younger than replay_window; older ones are skipped, not answered hours late.
func TestReplayAfterCrashHonoursTheWindow(t *testing.T) {
	r := newRig(t, "main")
	stop := r.start()
	r.waitLogin("main")
	sim := r.sims["main"]
	// What the crashed process had committed and never dispatched: a fresh ping and an old one.
	group := wx.Peer{UserName: mustUserName(t, sim, "周末徒步群"), NickName: "周末徒步群", IsGroup: true}
	sender := wx.Peer{UserName: mustUserName(t, sim, "小明"), NickName: "小明"}
	stop()
	commit := func(at time.Time, id, text string) {
		// A handle whose clock says when the crashed process committed.
		store, err := db.Open(context.Background(), r.cfg.Database, db.Options{Logger: quiet(), Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		b := &wx.Batch{Account: "main", Events: []wx.Event{
			&wx.Message{MsgID: id, Kind: wx.KindText, Time: at, Chat: group, Sender: sender, Text: text, MsgType: 1},
		}}
		if _, err := store.Commit(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	commit(time.Now().Add(-time.Hour), "9000000000000000001", "ping stale")
	commit(time.Now(), "9000000000000000002", "ping fresh")
	r.cfg.ReplayWindow = config.Duration(10 * time.Minute)
	r.start()
	eventually(t, "the fresh event answered after the restart", func() bool { return sentTo(sim, "周末徒步群", "pong ping fresh") == 1 })
	time.Sleep(300 * time.Millisecond)
	if n := sentTo(sim, "周末徒步群", "pong ping stale"); n != 0 {
		t.Errorf("an event committed longer ago than replay_window was answered %d times", n)
	}
}

func mustUserName(t *testing.T, sim *wxsim.Server, name string) string {
	t.Helper()
	u, err := sim.UserName(name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
