package db

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"qunguan/wx"
)

// Benchmarks: go test -tags sqlite_fts5 -run '^$' -bench . ./db
//
// The search benchmarks share a fixture of QUNGUAN_BENCH_MESSAGES messages (default one
// million), built once per test binary in one transaction with prepared statements.

// phrases make realistic group-chat text: short, mostly Chinese, some emoji and English.
var phrases = []string{
	"明天早上几点集合", "我到地铁站了", "好的", "收到", "哈哈哈哈", "谁带了充电宝", "今晚吃火锅吗",
	"周末去爬山", "天气预报说有雨", "记得带伞", "我晚点到", "群主辛苦了", "红包拿来", "谢谢老板",
	"这个链接打不开", "刚刚发的照片好看", "下次一起", "在吗", "马上到", "路上堵车了", "已经出发了",
	"大家注意安全", "报名截止到周五", "费用AA", "我转给你", "发个位置", "看群公告", "新人报到",
	"欢迎欢迎", "这条路线不错", "海拔一千二", "休息一下", "水带够了吗", "有人拼车吗", "我开车",
	"还有两个座位", "几点的高铁", "票买好了", "酒店订了吗", "辛苦大家", "今天走了两万步",
	"腿好酸", "下山了", "拍了好多照片", "视频发群里", "晚安", "早上好", "周末愉快", "生日快乐",
	"恭喜恭喜", "这个价格可以", "我也想去", "算我一个", "请假了", "加班中", "开会", "稍等",
	"OK", "ok的", "thanks", "see you", "lol", "GPS坏了", "App更新了", "WiFi密码多少",
	"👍", "😂😂", "🎉🎉🎉", "🙏", "❤️", "🏃", "⛰️", "🍲",
	"的时候我们再说", "我们的时候", "时候到了", "说的是我们", "再说吧",
}

// rareMarker appears in exactly benchRare messages.
const (
	rareMarker = "量子纠缠咖啡机"
	benchRare  = 20
)

func benchText(r *rand.Rand) string {
	n := 1 + r.IntN(4)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = phrases[r.IntN(len(phrases))]
	}
	if r.IntN(10) < 4 {
		// Free text beyond the stock phrases: random characters from the first 2,500
		// CJK code points, so that the index sees a realistic vocabulary of trigrams.
		frag := make([]rune, 3+r.IntN(10))
		for i := range frag {
			frag[i] = rune(0x4E00 + r.IntN(2500))
		}
		parts = append(parts, string(frag))
	}
	sep := []string{"，", " ", "", "。"}[r.IntN(4)]
	return strings.Join(parts, sep)
}

// benchRaw is a realistic AddMsgList entry for a group text message (about 800 bytes).
func benchRaw(msgID, from, to, sender, text string, at int64) json.RawMessage {
	raw := wx.RawMessage{MsgID: msgID, FromUserName: from, ToUserName: to, MsgType: 1,
		Content: sender + ":<br/>" + text, Status: 3, ImgStatus: 1, CreateTime: at,
		NewMsgID: wx.FlexString("7" + msgID), FileSize: ""}
	b, _ := json.Marshal(raw)
	return b
}

// benchWorld is a contact book: groups with members, with fixed UserNames.
type benchWorld struct {
	groups  []wx.Peer
	members [][]wx.Peer
}

func newBenchWorld(groups, members int) *benchWorld {
	w := &benchWorld{}
	for g := 0; g < groups; g++ {
		w.groups = append(w.groups, wx.Peer{UserName: hexName(1, fmt.Sprintf("g%d", g), true),
			NickName: fmt.Sprintf("测试群%d", g), IsGroup: true})
		var ms []wx.Peer
		for m := 0; m < members; m++ {
			ms = append(ms, wx.Peer{UserName: hexName(1, fmt.Sprintf("g%dm%d", g, m), false),
				NickName: fmt.Sprintf("成员%d_%d", g, m)})
		}
		w.members = append(w.members, ms)
	}
	return w
}

// BenchmarkCommit is the end-to-end write path: Commit of batches of 100 realistic messages
// (identity lookups, dedupe, FTS index, dispatch queue, session) plus MarkDispatched, as the
// sync loop does it.
func BenchmarkCommit(b *testing.B) {
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"), quiet())
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	w := newBenchWorld(20, 50)
	r := rand.New(rand.NewPCG(1, 2))
	// Map the contact book once, as the login batch would.
	var contacts []*wx.Contact
	for g, gp := range w.groups {
		c := &wx.Contact{UserName: gp.UserName, NickName: gp.NickName}
		for _, m := range w.members[g] {
			c.Members = append(c.Members, wx.Member{UserName: m.UserName, NickName: m.NickName})
		}
		contacts = append(contacts, c)
	}
	if _, err := d.Commit(ctx, &wx.Batch{Account: "main", Uin: selfUin, Contacts: contacts,
		Session: &wx.Session{SelfUserName: "@self"}}); err != nil {
		b.Fatal(err)
	}
	const perBatch = 100
	batches := make([]*wx.Batch, 0, 64)
	msgID := 0
	mk := func() *wx.Batch {
		bt := &wx.Batch{Account: "main", Uin: selfUin, Session: &wx.Session{SelfUserName: "@self",
			SyncKey: wx.SyncKey{Count: 1, List: []wx.KeyVal{{Key: 1, Val: int64(msgID)}}}}}
		for i := 0; i < perBatch; i++ {
			msgID++
			g := r.IntN(len(w.groups))
			s := w.members[g][r.IntN(len(w.members[g]))]
			text := benchText(r)
			id := strconv.Itoa(1_000_000_000 + msgID)
			m := textMsg(id, w.groups[g], s, text, time.Unix(1_750_000_000+int64(msgID), 0))
			m.Raw = benchRaw(id, w.groups[g].UserName, "@self", s.UserName, text, m.Time.Unix())
			bt.Events = append(bt.Events, m)
		}
		return bt
	}
	for range cap(batches) {
		batches = append(batches, mk())
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		bt := batches[i%len(batches)]
		if i >= len(batches) {
			bt = mk() // fresh ids: duplicates would be cheaper
		}
		b.StartTimer()
		res, err := d.Commit(ctx, bt)
		if err != nil {
			b.Fatal(err)
		}
		if res.Messages != perBatch {
			b.Fatalf("%d new of %d", res.Messages, perBatch)
		}
		if err := d.MarkDispatched(ctx, "main", res.LastSeq); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0 // includes the untimed batch building: an upper bound
	perMsg := float64(b.Elapsed().Nanoseconds()) / float64(b.N*perBatch)
	b.ReportMetric(perMsg/1000, "µs/msg")
	b.ReportMetric(1e9/perMsg, "msgs/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*perBatch), "cpu-µs/msg")
}

// cpuTime is the CPU time (user + system) the process used so far: on a shared machine a
// steadier measure than the wall clock, which includes waiting for a CPU.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// fixture is the shared million-message database.
type fixture struct {
	d        *DB
	n        int
	chat     string        // a group's stable id
	buildDur time.Duration // inserting the messages
	loginDur time.Duration // mapping the contact book: 100 groups of 200 members
	size     int64
	err      error
}

var (
	fixtureOnce sync.Once
	benchFix    fixture
	fixtureDir  string
)

func benchFixture(b *testing.B) *fixture {
	fixtureOnce.Do(func() {
		n := 1_000_000
		if v, err := strconv.Atoi(os.Getenv("QUNGUAN_BENCH_MESSAGES")); err == nil && v > 0 {
			n = v
		}
		fixtureDir, benchFix.err = os.MkdirTemp("", "qunguan-bench-")
		if benchFix.err != nil {
			return
		}
		benchFix.n = n
		benchFix.err = buildFixture(&benchFix, filepath.Join(fixtureDir, "fixture.db"), n)
	})
	if benchFix.err != nil {
		b.Fatal(benchFix.err)
	}
	return &benchFix
}

const fixtureInsert = `INSERT INTO messages (account, msg_id, new_msg_id, chat_id, sender_id, direction, origin,
    kind, msg_type, text, created_at, logged_at, raw)
VALUES ('main', ?, ?, ?, ?, 'in', 'received', 'text', 1, ?, ?, ?, ?)`

// buildFixture writes n messages in 100 groups of 200 members straight into the tables (the
// FTS trigger indexes them), in one transaction.
func buildFixture(f *fixture, path string, n int) error {
	ctx := context.Background()
	d, err := Open(ctx, path, quiet())
	if err != nil {
		return err
	}
	f.d = d
	start := time.Now()
	w := newBenchWorld(100, 200)
	var contacts []*wx.Contact
	for g, gp := range w.groups {
		c := &wx.Contact{UserName: gp.UserName, NickName: gp.NickName}
		for _, m := range w.members[g] {
			c.Members = append(c.Members, wx.Member{UserName: m.UserName, NickName: m.NickName})
		}
		contacts = append(contacts, c)
	}
	if _, err := d.Commit(ctx, &wx.Batch{Account: "main", Uin: selfUin, Contacts: contacts,
		Session: &wx.Session{SelfUserName: "@self"}}); err != nil {
		return err
	}
	ids := map[string]string{}
	rows, err := d.writer.Query(`SELECT user_name, contact_id FROM user_names`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var u, id string
		rows.Scan(&u, &id)
		ids[u] = id
	}
	rows.Close()
	f.chat = ids[w.groups[0].UserName]

	f.loginDur = time.Since(start)
	start = time.Now()
	if _, err := d.writer.Exec(`PRAGMA cache_size = -262144`); err != nil { // 256 MiB while building
		return err
	}
	tx, err := d.writer.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare(fixtureInsert)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(3, 4))
	rare := map[int]bool{}
	for len(rare) < benchRare {
		rare[r.IntN(n)] = true
	}
	t0 := int64(1_700_000_000_000)
	for i := 0; i < n; i++ {
		g := r.IntN(len(w.groups))
		s := w.members[g][r.IntN(len(w.members[g]))]
		text := benchText(r)
		if rare[i] {
			text += "，" + rareMarker
		}
		id := strconv.Itoa(2_000_000_000 + i)
		at := t0 + int64(i)*1000 // one message a second
		raw := compactRaw(benchRaw(id, w.groups[g].UserName, "@self", s.UserName, text, at/1000))
		if _, err := stmt.Exec(id, "7"+id, ids[w.groups[g].UserName], ids[s.UserName], text, at, at, string(raw)); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	f.buildDur = time.Since(start)
	if _, err := d.writer.Exec(`PRAGMA cache_size = -2000`); err != nil {
		return err
	}
	if _, err := d.writer.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	f.size = st.Size()
	return nil
}

func BenchmarkSearch1M(b *testing.B) {
	f := benchFixture(b)
	ctx := context.Background()
	b.Logf("fixture: contact book mapped in %v; %d messages inserted in %v (%.1f µs/msg); file %.0f MB",
		f.loginDur.Round(time.Millisecond), f.n, f.buildDur.Round(time.Millisecond),
		float64(f.buildDur.Microseconds())/float64(f.n), float64(f.size)/1e6)
	cases := []struct {
		name string
		q    SearchQuery
	}{
		{"fts_common_3chars", SearchQuery{Text: "火锅吗"}},
		{"fts_common_phrase", SearchQuery{Text: "明天早上几点集合"}},
		{"fts_rare", SearchQuery{Text: rareMarker}},
		{"fts_no_match", SearchQuery{Text: "完全不存在的句子"}},
		{"fts_common_trigrams_rare_phrase", SearchQuery{Text: "我们的时候我们"}},
		{"fts_english", SearchQuery{Text: "THANKS"}},
		{"fts_common_in_chat", SearchQuery{Text: "火锅吗", Filter: Filter{ChatID: f.chat}}},
		{"fts_rare_in_chat", SearchQuery{Text: rareMarker, Filter: Filter{ChatID: f.chat}}},
		{"fts_common_since_last_day", SearchQuery{Text: "火锅吗", Filter: Filter{Since: time.UnixMilli(1_700_000_000_000 + int64(f.n-86400)*1000)}}},
		{"like_2chars_common", SearchQuery{Text: "好的"}},
		{"like_2chars_rare", SearchQuery{Text: "咖啡"}},
		{"like_1emoji", SearchQuery{Text: "👍"}},
		{"no_text_chat_newest", SearchQuery{Filter: Filter{ChatID: f.chat}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			c.q.Account = "main"
			var n int
			for i := 0; i < b.N; i++ {
				got, err := f.d.Search(ctx, c.q)
				if err != nil {
					b.Fatal(err)
				}
				n = len(got)
			}
			b.ReportMetric(float64(n), "results")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/search")
		})
	}
}

// BenchmarkSize1M reports the database file size per million messages (after a checkpoint),
// and what the raw JSON and the text take of it.
func BenchmarkSize1M(b *testing.B) {
	f := benchFixture(b)
	var raw, text, idx float64
	f.d.readers.QueryRow(`SELECT SUM(length(raw)), SUM(length(CAST(text AS BLOB))) FROM messages`).Scan(&raw, &text)
	f.d.readers.QueryRow(`SELECT SUM(length(block)) FROM messages_fts_data`).Scan(&idx)
	per := 1e6 / float64(f.n)
	b.ResetTimer() // nothing to time: the figures are the metrics
	b.ReportMetric(float64(f.size)*per/1e6, "MB/1M-msgs")
	b.ReportMetric(raw*per/1e6, "raw-MB/1M-msgs")
	b.ReportMetric(text*per/1e6, "text-MB/1M-msgs")
	b.ReportMetric(idx*per/1e6, "fts-MB/1M-msgs")
	b.ReportMetric(float64(f.buildDur.Nanoseconds())/float64(f.n)/1000, "fixture-µs/msg")
	b.ReportMetric(float64(f.loginDur.Milliseconds()), "login-20k-members-ms")
}
