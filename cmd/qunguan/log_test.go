package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"qunguan/cmd/qunguan/internal/logview"
	"qunguan/db"
	"qunguan/wx"
)

const logTestUin = 2100000001

// logTestName is a per-login UserName: '@' + 32 hex for persons, '@@' + 64 hex for groups.
func logTestName(key string, group bool) string {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	s := fmt.Sprintf("%032x", h)
	if group {
		return "@@" + s + s
	}
	return "@" + s
}

// logWorld is a small log built through the real store.
type logWorld struct {
	path  string
	store *db.DB
	ids   map[string]string // chat and sender names → stable ids
	dayA  time.Time         // three days ago, 10:00 local
	dayB  time.Time         // two hours ago
	hike  wx.Peer
	fam   wx.Peer
	peers map[string]wx.Peer
	total int
}

// newLogWorld logs, through db.Open and Commit: a login with two groups and three friends (two
// of them called 小明), group and private text in Chinese and emoji on two days, a red packet,
// an image, and a recall of an earlier message.
func newLogWorld(t *testing.T) *logWorld {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "log.db")
	store, err := db.Open(ctx, path, db.Options{Logger: newLogger(&bytes.Buffer{}, "warn", "text", false)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })

	self := wx.Contact{UserName: logTestName("self", false), Uin: logTestUin, NickName: "群管家", ContactFlag: 3}
	ajie := wx.Contact{UserName: logTestName("ajie", false), NickName: "阿杰🏃", RemarkName: "杰哥", Alias: "ajie",
		Sex: 1, Province: "广东", City: "深圳", ContactFlag: 3}
	xm1 := wx.Contact{UserName: logTestName("xm1", false), NickName: "小明", Sex: 1, Province: "北京", City: "海淀", Signature: "hi", ContactFlag: 3}
	xm2 := wx.Contact{UserName: logTestName("xm2", false), NickName: "小明", Sex: 2, Province: "上海", City: "浦东", Signature: "yo", ContactFlag: 3}
	stranger := wx.Member{UserName: logTestName("stranger", false), NickName: "路人甲"}
	aunt := wx.Member{UserName: logTestName("aunt", false), NickName: "大姨"}
	selfMember := wx.Member{UserName: self.UserName, NickName: "群管家", Uin: logTestUin}
	member := func(c wx.Contact) wx.Member { return wx.Member{UserName: c.UserName, NickName: c.NickName} }
	hike := wx.Contact{UserName: logTestName("hike", true), NickName: "周末徒步群", MemberCount: 4,
		Members: []wx.Member{selfMember, member(ajie), member(xm1), stranger}}
	fam := wx.Contact{UserName: logTestName("family", true), NickName: "相亲相爱一家人", MemberCount: 3,
		Members: []wx.Member{selfMember, member(xm2), aunt}}

	w := &logWorld{path: path, store: store, hike: hike.Peer(), fam: fam.Peer(), peers: map[string]wx.Peer{}}
	mp := func(m wx.Member) wx.Peer { return wx.Peer{UserName: m.UserName, NickName: m.NickName} }
	w.peers["ajie"], w.peers["stranger"], w.peers["aunt"], w.peers["xm2"] = mp(member(ajie)), mp(stranger), mp(aunt), mp(member(xm2))
	ajiePeer := ajie.Peer()

	now := time.Now()
	y, mo, d := now.Date()
	w.dayA = time.Date(y, mo, d-3, 10, 0, 0, 0, time.Local)
	w.dayB = now.Add(-2 * time.Hour).Truncate(time.Second)
	text := func(id string, chat, sender wx.Peer, s string, at time.Time) *wx.Message {
		return &wx.Message{MsgID: id, NewMsgID: "9" + id, Kind: wx.KindText, MsgType: 1, Time: at, Chat: chat, Sender: sender, Text: s}
	}
	selfPeer := self.Peer()
	selfPeer.IsSelf = true
	first := &wx.Batch{Account: "main", Uin: logTestUin,
		Contacts: []*wx.Contact{&self, &ajie, &xm1, &xm2, &hike, &fam},
		Events: []wx.Event{
			&wx.LoginEvent{Self: selfPeer, Uin: logTestUin, Method: wx.LoginQR, Time: w.dayA},
			text("a1", w.hike, w.peers["ajie"], "@管家 明早几点出发？", w.dayA),
			text("a2", w.hike, w.peers["stranger"], "明早七点，在地铁站集合\n别迟到", w.dayA.Add(time.Minute)),
			text("a3", w.fam, w.peers["aunt"], "生日快乐🎂🎉", w.dayA.Add(2*time.Minute)),
		}}
	if _, err := store.Commit(ctx, first); err != nil {
		t.Fatal(err)
	}
	at := func(min int) time.Time { return w.dayB.Add(time.Duration(min) * time.Minute) }
	img := text("b5", w.hike, w.peers["ajie"], "[图片]", at(4))
	img.Kind, img.MsgType = wx.KindImage, 3
	second := &wx.Batch{Account: "main", Uin: logTestUin, Events: []wx.Event{
		text("b1", ajiePeer, ajiePeer, "周末徒步去不去", at(0)),
		text("b2", w.hike, w.peers["stranger"], "说错话了", at(1)),
		&wx.Message{MsgID: "b3", Kind: wx.KindRecall, MsgType: 10002, Time: at(2), Chat: w.hike, Sender: w.peers["stranger"],
			Text: `"路人甲" 撤回了一条消息`, Recall: &wx.Recall{OriginalMsgID: "b2", ReplaceText: `"路人甲" 撤回了一条消息`, By: "路人甲"}},
		&wx.Message{MsgID: "b4", Kind: wx.KindRedPacket, MsgType: 10000, Time: at(3), Chat: w.fam,
			Text: "收到红包，请在手机上查看", Description: string(wx.RedPacketReceived)},
		img,
	}}
	if _, err := store.Commit(ctx, second); err != nil {
		t.Fatal(err)
	}
	w.total = 8

	w.ids = map[string]string{}
	for _, name := range []string{"周末徒步群", "相亲相爱一家人", "杰哥", "路人甲"} {
		ref, err := store.ResolveChat(ctx, "main", name)
		if err != nil {
			t.Fatalf("resolve %s: %v", name, err)
		}
		w.ids[name] = ref.ID
	}
	return w
}

// commit logs one more message.
func (w *logWorld) commit(t *testing.T, id string, chat, sender wx.Peer, text string) {
	t.Helper()
	_, err := w.store.Commit(context.Background(), &wx.Batch{Account: "main", Uin: logTestUin, Events: []wx.Event{
		&wx.Message{MsgID: id, Kind: wx.KindText, MsgType: 1, Time: time.Now(), Chat: chat, Sender: sender, Text: text}}})
	if err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe to read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runLogCtx runs `qunguan log ARGS` in-process.
func runLogCtx(ctx context.Context, stdout, stderr *syncBuffer, args ...string) error {
	cmd := newLogCommand()
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	cmd.SetArgs(args)
	return cmd.ExecuteContext(ctx)
}

// runLog runs `qunguan log ARGS` and returns stdout and stderr.
func runLog(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut syncBuffer
	err := runLogCtx(context.Background(), &out, &errOut, args...)
	return out.String(), errOut.String(), err
}

// mustLog runs `qunguan log ARGS`, which must succeed, and returns stdout.
func mustLog(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := runLog(t, args...)
	if err != nil {
		t.Fatalf("qunguan log %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// tableRows returns the table's data lines (without the header).
func tableRows(t *testing.T, out string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "TIME") {
		t.Fatalf("no table header in:\n%s", out)
	}
	return lines[1:]
}

// jsonLines decodes JSON lines into messages.
func jsonLines(t *testing.T, out string) []logview.Message {
	t.Helper()
	var ms []logview.Message
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var m logview.Message
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		ms = append(ms, m)
	}
	return ms
}

func texts(ms []logview.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Text
	}
	return out
}

func TestLogSearchChinese(t *testing.T) {
	w := newLogWorld(t)
	// Two characters: a LIKE scan; newest first; the newline shown as ⏎.
	out := mustLog(t, "search", "明早", "--db", w.path)
	rows := tableRows(t, out)
	if len(rows) != 2 || !strings.Contains(rows[0], "明早七点，在地铁站集合⏎别迟到") || !strings.Contains(rows[1], "@管家 明早几点出发？") {
		t.Fatalf("search 明早:\n%s", out)
	}
	if !strings.Contains(rows[0], "周末徒步群") || !strings.Contains(rows[0], "路人甲") || !strings.Contains(rows[0], "text") ||
		!strings.Contains(rows[0], w.dayA.Add(time.Minute).Format("01-02 15:04:05")) {
		t.Errorf("row lacks time, chat, sender or kind: %q", rows[0])
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour escapes written to a non-terminal: %q", out)
	}
	// Longer: the trigram index.
	ms := jsonLines(t, mustLog(t, "search", "明早几点", "--db", w.path, "--json"))
	if !slices.Equal(texts(ms), []string{"@管家 明早几点出发？"}) {
		t.Errorf("search 明早几点: %q", texts(ms))
	}
	ms = jsonLines(t, mustLog(t, "search", "快乐🎂", "--db", w.path, "--json"))
	if !slices.Equal(texts(ms), []string{"生日快乐🎂🎉"}) {
		t.Errorf("search 快乐🎂: %q", texts(ms))
	}
	// Nothing found: an empty table and a word on stderr.
	out, errOut, err := runLog(t, "search", "不存在的内容", "--db", w.path)
	if err != nil || out != "" || !strings.Contains(errOut, "no messages match") {
		t.Errorf("no match: %q, %q, %v", out, errOut, err)
	}
	// The limit cuts and says so.
	out, errOut, err = runLog(t, "search", "", "--db", w.path, "--limit", "2")
	if err != nil || len(tableRows(t, out)) != 2 || !strings.Contains(errOut, "--limit") {
		t.Errorf("--limit 2: %q, %q, %v", out, errOut, err)
	}
}

func TestLogFilters(t *testing.T) {
	w := newLogWorld(t)
	search := func(args ...string) []string {
		t.Helper()
		return texts(jsonLines(t, mustLog(t, append([]string{"search", "", "--db", w.path, "--json"}, args...)...)))
	}
	if got := search("--chat", "周末徒步群"); !slices.Equal(got, []string{"[图片]", `"路人甲" 撤回了一条消息`, "说错话了",
		"明早七点，在地铁站集合\n别迟到", "@管家 明早几点出发？"}) {
		t.Errorf("--chat 周末徒步群: %q", got)
	}
	if got := search("--chat", w.ids["相亲相爱一家人"]); !slices.Equal(got, []string{"收到红包，请在手机上查看", "生日快乐🎂🎉"}) {
		t.Errorf("--chat <stable id>: %q", got)
	}
	// A friend's remark names the private chat; as --sender it finds them in groups too.
	if got := search("--chat", "杰哥"); !slices.Equal(got, []string{"周末徒步去不去"}) {
		t.Errorf("--chat 杰哥: %q", got)
	}
	if got := search("--sender", "杰哥"); !slices.Equal(got, []string{"[图片]", "周末徒步去不去", "@管家 明早几点出发？"}) {
		t.Errorf("--sender 杰哥: %q", got)
	}
	if got := search("--sender", "杰哥", "--chat", "周末徒步群"); !slices.Equal(got, []string{"[图片]", "@管家 明早几点出发？"}) {
		t.Errorf("--sender 杰哥 --chat 周末徒步群: %q", got)
	}
	if got := search("--kind", "image"); !slices.Equal(got, []string{"[图片]"}) {
		t.Errorf("--kind image: %q", got)
	}
	if got := search("--since", "2d", "--kind", "text"); !slices.Equal(got, []string{"说错话了", "周末徒步去不去"}) {
		t.Errorf("--since 2d: %q", got)
	}
	until := w.dayA.Add(90 * time.Second).Format("2006-01-02 15:04:05")
	if got := search("--until", until); !slices.Equal(got, []string{"明早七点，在地铁站集合\n别迟到", "@管家 明早几点出发？"}) {
		t.Errorf("--until %s: %q", until, got)
	}
	if got := search("--since", w.dayA.Format("2006-01-02"), "--until", w.dayA.Add(24*time.Hour).Format(time.RFC3339), "--chat", "相亲相爱一家人"); !slices.Equal(got, []string{"生日快乐🎂🎉"}) {
		t.Errorf("--since date --until RFC 3339: %q", got)
	}
	if got := search("--account", "main", "--kind", "redpacket"); len(got) != 1 {
		t.Errorf("--account main --kind redpacket: %q", got)
	}
}

func TestLogChatNameErrors(t *testing.T) {
	w := newLogWorld(t)
	_, _, err := runLog(t, "search", "", "--db", w.path, "--chat", "小明")
	if err == nil {
		t.Fatal("an ambiguous --chat was accepted")
	}
	ref1, _ := w.store.Contacts(context.Background(), "main", db.ContactFilter{Name: "小明"})
	if len(ref1) != 2 {
		t.Fatalf("test world: %d contacts called 小明", len(ref1))
	}
	for _, c := range ref1 {
		if !strings.Contains(err.Error(), c.ID) {
			t.Errorf("the ambiguity error does not list %s: %v", c.ID, err)
		}
	}
	if msg := err.Error(); !strings.Contains(msg, "stable id, e.g. --chat "+ref1[0].ID) || !strings.Contains(msg, "北京") || !strings.Contains(msg, "上海") {
		t.Errorf("the ambiguity error does not say how to choose: %v", err)
	}
	// The stable id chooses one.
	if got := texts(jsonLines(t, mustLog(t, "search", "", "--db", w.path, "--json", "--sender", ref1[1].ID))); len(got) != 0 {
		t.Errorf("--sender %s: %q", ref1[1].ID, got)
	}

	for _, flag := range []string{"--chat", "--sender"} {
		_, _, err = runLog(t, "search", "", "--db", w.path, flag, "没有这个人")
		if err == nil || !strings.Contains(err.Error(), `"没有这个人"`) || !strings.Contains(err.Error(), "no chat or contact") {
			t.Errorf("unknown %s: %v", flag, err)
		}
	}
	_, _, err = runLog(t, "search", "", "--db", w.path, "--account", "other")
	if err == nil || !strings.Contains(err.Error(), "main") {
		t.Errorf("unknown --account: %v", err)
	}
}

// TestLogAccounts: stable ids are per account, so a name resolved in one account narrows the
// filter to it, and a name that is a different chat in two accounts needs --account.
func TestLogAccounts(t *testing.T) {
	w := newLogWorld(t)
	const altUin = 2100000002
	self := wx.Contact{UserName: logTestName("alt-self", false), Uin: altUin, NickName: "小号", ContactFlag: 3}
	friend := wx.Member{UserName: logTestName("alt-friend", false), NickName: "老同学"}
	selfMember := wx.Member{UserName: self.UserName, NickName: "小号", Uin: altUin}
	mates := wx.Contact{UserName: logTestName("alt-mates", true), NickName: "老同学群", MemberCount: 2, Members: []wx.Member{selfMember, friend}}
	hike := wx.Contact{UserName: logTestName("alt-hike", true), NickName: "周末徒步群", MemberCount: 2, Members: []wx.Member{selfMember, friend}}
	selfPeer := self.Peer()
	selfPeer.IsSelf = true
	sender := wx.Peer{UserName: friend.UserName, NickName: friend.NickName}
	_, err := w.store.Commit(context.Background(), &wx.Batch{Account: "alt", Uin: altUin,
		Contacts: []*wx.Contact{&self, &mates, &hike},
		Events: []wx.Event{
			&wx.LoginEvent{Self: selfPeer, Uin: altUin, Method: wx.LoginQR, Time: w.dayB},
			&wx.Message{MsgID: "x1", Kind: wx.KindText, MsgType: 1, Time: w.dayB, Chat: mates.Peer(), Sender: sender, Text: "老同学聚会"},
			&wx.Message{MsgID: "x2", Kind: wx.KindText, MsgType: 1, Time: w.dayB, Chat: hike.Peer(), Sender: sender, Text: "另一个号的徒步群"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	altIDs := map[string]string{}
	for _, n := range []string{"老同学群", "周末徒步群"} {
		ref, err := w.store.ResolveChat(context.Background(), "alt", n)
		if err != nil {
			t.Fatal(err)
		}
		altIDs[n] = ref.ID
	}
	// The test needs a stable id that names different chats in the two accounts, for a name
	// only the main account has.
	clash := "相亲相爱一家人"
	if id := w.ids[clash]; id != altIDs["老同学群"] && id != altIDs["周末徒步群"] {
		t.Fatalf("%s is %s in main, which alt does not use (alt: %v)", clash, id, altIDs)
	}
	search := func(args ...string) []string {
		t.Helper()
		return texts(jsonLines(t, mustLog(t, append([]string{"search", "", "--db", w.path, "--json"}, args...)...)))
	}
	if got := search("--chat", clash); slices.ContainsFunc(got, func(s string) bool { return s == "老同学聚会" || s == "另一个号的徒步群" }) {
		t.Errorf("--chat %s (main only) shows the other account's chat with the same stable id: %q", clash, got)
	}
	if got := search("--chat", "老同学群"); !slices.Equal(got, []string{"老同学聚会"}) {
		t.Errorf("--chat 老同学群: %q", got)
	}
	_, _, err = runLog(t, "search", "", "--db", w.path, "--chat", "周末徒步群")
	if err == nil || !strings.Contains(err.Error(), "--account") {
		t.Errorf("a name in two accounts: %v, want a hint at --account", err)
	}
	if got := search("--chat", "周末徒步群", "--account", "alt"); !slices.Equal(got, []string{"另一个号的徒步群"}) {
		t.Errorf("--chat 周末徒步群 --account alt: %q", got)
	}
	if got := search("--account", "alt"); len(got) != 2 {
		t.Errorf("--account alt: %q", got)
	}
}

func TestLogUsageErrors(t *testing.T) {
	w := newLogWorld(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"search", "x", "--json", "--csv"}, "--json and --csv"},
		{[]string{"search", "x", "--since", "last tuesday"}, "--since"},
		{[]string{"search", "x", "--since", "1d", "--until", "2d"}, "not before --until"},
		{[]string{"search", "x", "--kind", "txt"}, "friend_request"},
		{[]string{"search"}, "QUERY"},
		{[]string{"stats", "--by", "hour"}, "day, chat, sender or kind"},
		{[]string{"tail", "extra"}, "no arguments"},
		{[]string{"recalls", "--kind", "text"}, "drop --kind"},
	} {
		_, _, err := runLog(t, append(c.args, "--db", w.path)...)
		var usage usageError
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error about %q", c.args, err, c.want)
		} else if !errors.As(err, &usage) {
			t.Errorf("%q: %v is not a usage error (which points at --help)", c.args, err)
		}
	}
}

func TestLogMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.db")
	_, _, err := runLog(t, "search", "x", "--db", missing)
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing --db: %v", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("the missing database was created: %v", err)
	}
	// A config whose database is missing.
	cfg := filepath.Join(dir, "q.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("database = %q\n", missing)), 0o600)
	_, _, err = runLog(t, "stats", "-c", cfg)
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), cfg) {
		t.Errorf("config with a missing database: %v", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("the missing database was created: %v", err)
	}
}

func TestLogFindsTheDemoDatabase(t *testing.T) {
	w := newLogWorld(t)
	w.store.Close()
	t.Chdir(t.TempDir())
	_, _, err := runLog(t, "stats")
	if err == nil || !strings.Contains(err.Error(), "no database here") || !strings.Contains(err.Error(), "qunguan demo") {
		t.Errorf("no database anywhere: %v", err)
	}
	data, err := os.ReadFile(w.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(demoDBPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runLog(t, "search", "生日")
	if err != nil || !strings.Contains(out, "生日快乐🎂🎉") || !strings.Contains(errOut, demoDBPath) {
		t.Errorf("demo database: %q, %q, %v", out, errOut, err)
	}
	// ./data/qunguan.db comes before the demo's, silently.
	os.Mkdir("data", 0o700)
	os.WriteFile(defaultDBPath, data, 0o600)
	if _, errOut, err := runLog(t, "stats"); err != nil || errOut != "" {
		t.Errorf("./data/qunguan.db: %q, %v", errOut, err)
	}
}

func TestLogTail(t *testing.T) {
	w := newLogWorld(t)
	rows := tableRows(t, mustLog(t, "tail", "--limit", "3", "--db", w.path))
	if len(rows) != 3 || !strings.Contains(rows[0], "撤回了一条消息") || !strings.Contains(rows[1], "收到红包") || !strings.Contains(rows[2], "[图片]") {
		t.Errorf("tail --limit 3, oldest first:\n%s", strings.Join(rows, "\n"))
	}
	ms := jsonLines(t, mustLog(t, "tail", "--db", w.path, "--json", "--chat", "相亲相爱一家人"))
	if !slices.Equal(texts(ms), []string{"生日快乐🎂🎉", "收到红包，请在手机上查看"}) {
		t.Errorf("tail --chat: %q", texts(ms))
	}
}

func TestLogTailFollow(t *testing.T) {
	w := newLogWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- runLogCtx(ctx, &out, &errOut, "tail", "-f", "--interval", "20ms", "--limit", "1",
			"--chat", "相亲相爱一家人", "--db", w.path)
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; stdout:\n%s\nstderr:\n%s", what, out.String(), errOut.String())
			}
			select {
			case err := <-done:
				t.Fatalf("tail -f ended before %s: %v\nstdout:\n%s", what, err, out.String())
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	waitFor("the backlog", func() bool { return strings.Contains(out.String(), "收到红包") })
	if strings.Contains(out.String(), "生日快乐") {
		t.Errorf("--limit 1 printed more than one message of backlog:\n%s", out.String())
	}
	// The bot logs while tail -f runs: another chat (filtered out), then this chat.
	w.commit(t, "f1", w.hike, w.peers["ajie"], "别的群的新消息")
	w.commit(t, "f2", w.fam, w.peers["xm2"], "新消息：大家好🙂\n第二行")
	waitFor("the new message", func() bool { return strings.Contains(out.String(), "新消息：大家好🙂⏎第二行") })
	w.commit(t, "f3", w.fam, w.peers["aunt"], "再来一条")
	waitFor("the second new message", func() bool { return strings.Contains(out.String(), "再来一条") })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("tail -f ended with %v on cancel, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("tail -f did not stop when its context was cancelled")
	}
	got := out.String()
	if strings.Contains(got, "别的群的新消息") {
		t.Errorf("tail -f --chat printed another chat's message:\n%s", got)
	}
	if strings.Count(got, "新消息：大家好") != 1 || strings.Count(got, "TIME") != 1 {
		t.Errorf("a message or the header printed twice:\n%s", got)
	}
}

func TestLogStats(t *testing.T) {
	w := newLogWorld(t)
	out := mustLog(t, "stats", "--db", w.path)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	dayA, dayB := w.dayA.Format("2006-01-02"), w.dayB.Format("2006-01-02")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "DAY") || !strings.HasPrefix(lines[1], dayA) ||
		strings.Fields(lines[1])[1] != "3" || !strings.HasPrefix(lines[2], dayB) || strings.Fields(lines[2])[1] != "5" ||
		!strings.HasPrefix(lines[3], "total") || strings.Fields(lines[3])[1] != "8" {
		t.Errorf("stats by day:\n%s", out)
	}

	var stats []logview.Stat
	for _, line := range strings.Split(strings.TrimSpace(mustLog(t, "stats", "--by", "chat", "--json", "--db", w.path)), "\n") {
		var s logview.Stat
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		stats = append(stats, s)
	}
	if len(stats) != 3 || stats[0].Name != "周末徒步群" || stats[0].Key != w.ids["周末徒步群"] || stats[0].Count != 5 ||
		stats[0].By != "chat" || stats[1].Name != "相亲相爱一家人" || stats[1].Count != 2 || stats[2].Name != "杰哥" {
		t.Errorf("stats by chat: %+v", stats)
	}

	out = mustLog(t, "stats", "--by", "kind", "--db", w.path, "--since", "2d")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "KIND") || !strings.HasPrefix(lines[1], "text") ||
		strings.Fields(lines[1])[1] != "2" || strings.Fields(lines[5])[1] != "5" {
		t.Errorf("stats by kind since 2d:\n%s", out)
	}
	out = mustLog(t, "stats", "--by", "sender", "--chat", "周末徒步群", "--db", w.path)
	if lines := strings.Split(out, "\n"); !strings.HasPrefix(lines[1], "路人甲") || !strings.Contains(lines[1], " 3 ") {
		t.Errorf("stats by sender in a chat:\n%s", out)
	}
}

func TestLogExport(t *testing.T) {
	w := newLogWorld(t)
	// JSON lines on stdout, oldest first, every message.
	ms := jsonLines(t, mustLog(t, "export", "--db", w.path))
	if len(ms) != w.total || ms[0].Text != "@管家 明早几点出发？" || ms[w.total-1].Text != "[图片]" {
		t.Fatalf("export: %d messages: %q", len(ms), texts(ms))
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].RowID <= ms[i-1].RowID {
			t.Errorf("export not in log order at %d", i)
		}
	}
	if m := ms[1]; m.Chat != "周末徒步群" || m.Sender != "路人甲" || m.Kind != "text" || m.Text != "明早七点，在地铁站集合\n别迟到" {
		t.Errorf("export record: %+v", m)
	}

	// CSV to a file, parsed back.
	file := filepath.Join(t.TempDir(), "out.csv")
	out, errOut, err := runLog(t, "export", "--csv", "-o", file, "--db", w.path, "--since", "2d")
	if err != nil || out != "" || errOut != "" {
		t.Fatalf("export -o: %q, %q, %v (stdout and stderr must stay quiet off a terminal)", out, errOut, err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 6 || !slices.Equal(recs[0], logview.MessageCSVHeader) {
		t.Fatalf("csv: %d records, header %q", len(recs), recs[0])
	}
	col := func(name string) int { return slices.Index(recs[0], name) }
	if r := recs[1]; r[col("text")] != "周末徒步去不去" || r[col("chat")] != "杰哥" || r[col("sender_id")] != w.ids["杰哥"] {
		t.Errorf("csv row: %q", r)
	}
	if r := recs[4]; r[col("kind")] != "redpacket" || !strings.Contains(r[col("detail")], `"description":"received"`) {
		t.Errorf("csv red packet row: %q", r)
	}
	if tm, err := time.Parse(time.RFC3339, recs[1][col("time")]); err != nil || !tm.Equal(w.dayB) {
		t.Errorf("csv time %q: %v, want %v", recs[1][col("time")], err, w.dayB)
	}
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Errorf("export left temporary files: %v", entries)
	}

	// A CSV with a multi-line field survives encoding/csv.
	out = mustLog(t, "export", "--csv", "--db", w.path, "--until", w.dayA.Add(90*time.Second).Format(time.RFC3339))
	recs, err = csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 3 || recs[2][slices.Index(recs[0], "text")] != "明早七点，在地铁站集合\n别迟到" {
		t.Errorf("csv with a newline: %q, %v", recs, err)
	}
}

func TestLogRecallsShowTheOriginal(t *testing.T) {
	w := newLogWorld(t)
	out := mustLog(t, "recalls", "--db", w.path)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "TIME") || !strings.Contains(lines[1], "说错话了") ||
		!strings.Contains(lines[1], "路人甲") || !strings.Contains(lines[1], "周末徒步群") {
		t.Errorf("recalls:\n%s", out)
	}
	var r logview.Recall
	if err := json.Unmarshal([]byte(mustLog(t, "recalls", "--json", "--db", w.path)), &r); err != nil {
		t.Fatal(err)
	}
	if r.Kind != "recall" || r.Original == nil || r.Original.Text != "说错话了" || r.Original.MsgID != "b2" || r.Chat != "周末徒步群" {
		t.Errorf("recalls --json: %+v", r)
	}
	if out, errOut, _ := runLog(t, "recalls", "--db", w.path, "--chat", "相亲相爱一家人"); out != "" || !strings.Contains(errOut, "no recalls") {
		t.Errorf("recalls in a chat without any: %q %q", out, errOut)
	}
}

func TestLogRedPackets(t *testing.T) {
	w := newLogWorld(t)
	out := mustLog(t, "redpackets", "--db", w.path)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "WHAT") || !strings.Contains(lines[1], "相亲相爱一家人") ||
		!strings.Contains(lines[1], "received") || !strings.Contains(lines[1], "收到红包") {
		t.Errorf("redpackets:\n%s", out)
	}
	ms := jsonLines(t, mustLog(t, "redpackets", "--json", "--db", w.path))
	if len(ms) != 1 || ms[0].Kind != "redpacket" || ms[0].ChatID != w.ids["相亲相爱一家人"] {
		t.Errorf("redpackets --json: %+v", ms)
	}
}

func TestLogJSONFields(t *testing.T) {
	w := newLogWorld(t)
	out := mustLog(t, "search", "周末徒步", "--json", "--db", w.path)
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	want := map[string]any{
		"account": "main", "chat": "杰哥", "chat_id": w.ids["杰哥"], "sender": "杰哥", "sender_id": w.ids["杰哥"],
		"direction": "in", "origin": "received", "kind": "text", "text": "周末徒步去不去", "msg_id": "b1",
		"new_msg_id": "9b1", "msg_type": float64(1),
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("field %q = %#v, want %#v", k, m[k], v)
		}
	}
	if id, ok := m["row_id"].(float64); !ok || id <= 0 {
		t.Errorf("row_id = %#v", m["row_id"])
	}
	tm, err := time.Parse(time.RFC3339, fmt.Sprint(m["time"]))
	if err != nil || !tm.Equal(w.dayB) {
		t.Errorf("time = %v (%v), want %v", m["time"], err, w.dayB)
	}
	if strings.Contains(out, `\u`) {
		t.Errorf("JSON escapes Chinese or emoji: %s", out)
	}
}

func TestLogHelpHasExamples(t *testing.T) {
	cmd := newLogCommand()
	if cmd.Example == "" {
		t.Error("qunguan log has no example")
	}
	var names []string
	for _, sub := range cmd.Commands() {
		names = append(names, sub.Name())
		if !strings.Contains(sub.Example, "qunguan log "+sub.Name()) {
			t.Errorf("qunguan log %s --help has no example", sub.Name())
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"export", "recalls", "redpackets", "search", "stats", "tail"}) {
		t.Errorf("subcommands: %v", names)
	}
	out := mustLog(t, "tail", "--help")
	for _, want := range []string{"Examples:", "--follow", "--since", "--chat", "--json", "--csv"} {
		if !strings.Contains(out, want) {
			t.Errorf("tail --help lacks %q", want)
		}
	}
}

func TestLogRegisteredOnRoot(t *testing.T) {
	root := newRootCommand()
	if c, _, err := root.Find([]string{"log", "search"}); err != nil || c.Name() != "search" {
		t.Errorf("qunguan log search is not reachable from the root: %v", err)
	}
}
