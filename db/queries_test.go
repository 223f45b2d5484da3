package db

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"qunguan/wx"
)

func TestResolveChatAndContacts(t *testing.T) {
	d, _, _ := testDB(t)
	ctx := context.Background()
	w := loggedIn(t, d)
	ids := idsOf(t, d, w)
	for _, c := range []struct{ name, want, by string }{
		{ids["ajie"], ids["ajie"], "id"},
		{"杰哥", ids["ajie"], "remark"},
		{"阿杰🏃", ids["ajie"], "nickname"},
		{"ajie", ids["ajie"], "alias"},
		{"周末徒步群", ids["hike"], "nickname"},
		{"gh_weather01", ids["weather"], "raw_id"},
		{"filehelper", "filehelper", "id"},
		{"weixin", "weixin", "special"},
		{"  王总 ", ids["laowang"], "remark"},
	} {
		ref, err := d.ResolveChat(ctx, "main", c.name)
		if err != nil || ref.ID != c.want || ref.MatchedBy != c.by {
			t.Errorf("ResolveChat(%q) = %+v, %v; want %s by %s", c.name, ref, err, c.want, c.by)
			continue
		}
		if c.by != "special" && (!ref.Current || ref.UserName != w.names[keyOf(ids, c.want)]) && c.want != "filehelper" {
			t.Errorf("ResolveChat(%q): UserName %q current %v", c.name, ref.UserName, ref.Current)
		}
	}
	_, err := d.ResolveChat(ctx, "main", "小明")
	var amb *AmbiguousError
	if !errors.Is(err, ErrAmbiguous) || !errors.As(err, &amb) || len(amb.Candidates) != 2 {
		t.Fatalf("ResolveChat(小明) = %v, want ambiguous with 2 candidates", err)
	}
	if !strings.Contains(err.Error(), ids["xiaoming1"]) || !strings.Contains(err.Error(), "北京") {
		t.Errorf("ambiguity error does not list the candidates: %v", err)
	}
	if _, err := d.ResolveChat(ctx, "main", "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := d.ResolveChat(ctx, "alt", "杰哥"); !errors.Is(err, ErrNotFound) {
		t.Errorf("other account: %v", err)
	}

	// After a new login, contacts not seen again are not current.
	w2 := buildWorld(2)
	w2.persons = slices.DeleteFunc(w2.persons, func(c wx.Contact) bool { return c.NickName == "天气通" })
	mustCommit(t, d, w2.batch(false))
	if ref, _ := d.ResolveChat(ctx, "main", "天气通"); ref == nil || ref.Current {
		t.Errorf("contact absent from the new login is current: %+v", ref)
	}

	names := func(f ContactFilter) []string {
		cs, err := d.Contacts(ctx, "main", f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.Name())
		}
		return out
	}
	if got := names(ContactFilter{Sex: 2, FriendsOnly: true}); !slices.Equal(got, []string{"小明", "莉莉"}) {
		t.Errorf("female friends: %v", got)
	}
	if got := names(ContactFilter{Province: "广东"}); !slices.Equal(got, []string{"杰哥"}) {
		t.Errorf("广东: %v", got)
	}
	if got := names(ContactFilter{Remark: "王"}); !slices.Equal(got, []string{"王总"}) {
		t.Errorf("remark 王: %v", got)
	}
	if got := names(ContactFilter{Signature: "走"}); !slices.Equal(got, []string{"杰哥"}) {
		t.Errorf("signature: %v", got)
	}
	if got := names(ContactFilter{Kinds: []ContactKind{KindGroup}}); !slices.Equal(got, []string{"周末徒步群", "相亲相爱一家人"}) {
		t.Errorf("groups: %v", got)
	}
	if got := names(ContactFilter{Kinds: []ContactKind{KindOfficial}, CurrentOnly: true}); !slices.Equal(got, []string{"腾讯新闻"}) {
		t.Errorf("current officials: %v", got)
	}
	all := names(ContactFilter{})
	if slices.Contains(all, "群管家") || slices.Contains(all, "文件传输助手") || len(all) < 10 {
		t.Errorf("default filter: %v", all)
	}
}

func keyOf(ids map[string]string, id string) string {
	for k, v := range ids {
		if v == id {
			return k
		}
	}
	return ""
}

func TestStatsTailExport(t *testing.T) {
	d, ids, base := searchWorld(t)
	ctx := context.Background()

	byKind, err := d.Stats(ctx, Filter{Account: "main", Since: base}, ByKind)
	if err != nil {
		t.Fatal(err)
	}
	if len(byKind) != 2 || byKind[0].Key != "text" || byKind[0].Count != 8 || byKind[1].Key != "image" || byKind[1].Count != 1 {
		t.Errorf("by kind: %+v", byKind)
	}
	byChat, err := d.Stats(ctx, Filter{Since: base}, ByChat)
	if err != nil {
		t.Fatal(err)
	}
	if len(byChat) != 3 || byChat[0].Key != ids["hike"] || byChat[0].Name != "周末徒步群" || byChat[0].Count != 7 {
		t.Errorf("by chat: %+v", byChat)
	}
	bySender, err := d.Stats(ctx, Filter{ChatID: ids["hike"], Since: base}, BySender)
	if err != nil {
		t.Fatal(err)
	}
	if len(bySender) != 2 || bySender[0].Name != "杰哥" || bySender[0].Count != 5 {
		t.Errorf("by sender: %+v", bySender)
	}
	byDay, err := d.Stats(ctx, Filter{}, ByDay)
	if err != nil {
		t.Fatal(err)
	}
	if len(byDay) != 2 || byDay[1].Key != "2026-04-01" || byDay[1].Count != 9 {
		t.Errorf("by day: %+v", byDay)
	}
	if _, err := d.Stats(ctx, Filter{}, "hour"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("bad grouping: %v", err)
	}

	// Tail from the start pages through everything, oldest first.
	var all []LoggedMessage
	var after int64
	for {
		page, err := d.Tail(ctx, "main", after, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1].RowID
	}
	last, _ := d.LastRowID(ctx)
	if after != last || len(all) < 9 || all[len(all)-1].MsgID != "s9" {
		t.Errorf("tail ended at %d (last %d), %d messages", after, last, len(all))
	}
	if page, _ := d.Tail(ctx, "alt", 0, 10); len(page) != 0 {
		t.Errorf("tail of another account: %d", len(page))
	}

	// Export streams with raw JSON and stops on the callback's error.
	var exported []string
	err = d.Export(ctx, Filter{ChatID: ids["hike"], Since: base}, func(m LoggedMessage) error {
		exported = append(exported, m.MsgID)
		return nil
	})
	if err != nil || !slices.Equal(exported, []string{"s1", "s2", "s3", "s6", "s7", "s8", "s9"}) {
		t.Errorf("export: %v, %v", exported, err)
	}
	stop := errors.New("stop")
	n := 0
	err = d.Export(ctx, Filter{}, func(LoggedMessage) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("export with a failing callback: %v after %d", err, n)
	}
}

func TestRecallsRedPacketsAndViews(t *testing.T) {
	d, hook, clock := testDB(t)
	ctx := context.Background()
	w := loggedIn(t, d)
	hike := w.groups[0].Peer()
	m := w.groups[0].Members[3]
	stranger := wx.Peer{UserName: m.UserName, NickName: m.NickName}
	at := clock.Now()
	orig := textMsg("o1", hike, stranger, "说错话了", at)
	recall := &wx.Message{MsgID: "r1", Kind: wx.KindRecall, MsgType: 10002, Time: at.Add(time.Minute), Chat: hike,
		Sender: stranger, Text: `"路人甲" 撤回了一条消息`,
		Recall: &wx.Recall{OriginalMsgID: "o1", ReplaceText: `"路人甲" 撤回了一条消息`, By: "路人甲", SessionRawID: "12345@chatroom"}}
	lost := &wx.Message{MsgID: "r2", Kind: wx.KindRecall, MsgType: 10002, Time: at.Add(2 * time.Minute), Chat: hike,
		Text: "撤回了一条消息", Recall: &wx.Recall{OriginalMsgID: "never-seen"}}
	red := &wx.Message{MsgID: "h1", Kind: wx.KindRedPacket, MsgType: 10000, Time: at.Add(3 * time.Minute), Chat: hike,
		Text: "收到红包，请在手机上查看"}
	res := mustCommit(t, d, &wx.Batch{Account: "main", Uin: selfUin, Events: []wx.Event{orig, recall, lost, red}})
	if len(res.Events) != 4 {
		t.Fatalf("%d events", len(res.Events))
	}

	rs, err := d.Recalls(ctx, Filter{Account: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Notice.MsgID != "r2" || rs[0].Original != nil || rs[1].Original == nil ||
		rs[1].Original.Text != "说错话了" || rs[1].Original.SenderName != "路人甲" {
		t.Errorf("recalls: %+v", rs)
	}
	// ev.original for scripts.
	o, err := d.MessageByMsgID(ctx, "main", "o1")
	if err != nil || o.Text != "说错话了" || o.Kind != wx.KindText || !o.Time.Equal(at.Truncate(time.Millisecond)) {
		t.Errorf("MessageByMsgID = %+v, %v", o, err)
	}
	if wm := o.Message(); wm.MsgID != "o1" || wm.Sender.NickName != "路人甲" || !wm.Chat.IsGroup || wm.Text != "说错话了" {
		t.Errorf("as wx.Message: %+v", wm)
	}
	if r, err := d.MessageByMsgID(ctx, "main", "r1"); err != nil || r.Message().Recall == nil || r.Message().Recall.OriginalMsgID != "o1" {
		t.Errorf("recall detail lost: %+v, %v", r, err)
	}
	if _, err := d.MessageByMsgID(ctx, "main", "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing message: %v", err)
	}
	// The recall revealed the group's raw id.
	if ref, err := d.ResolveChat(ctx, "main", "12345@chatroom"); err != nil || ref.Name() != "周末徒步群" {
		t.Errorf("raw id from recall: %+v, %v", ref, err)
	}

	reds, err := d.RedPackets(ctx, Filter{})
	if err != nil || len(reds) != 1 || reds[0].MsgID != "h1" {
		t.Errorf("red packets: %+v, %v", reds, err)
	}

	// The views people query with sqlite3.
	var chat, sender, original string
	if err := d.readers.QueryRow(`SELECT chat, sender, original_text FROM recalls WHERE original_msg_id = 'o1'`).Scan(&chat, &sender, &original); err != nil ||
		chat != "周末徒步群" || sender != "路人甲" || original != "说错话了" {
		t.Errorf("recalls view: %q %q %q %v", chat, sender, original, err)
	}
	var n int
	d.readers.QueryRow(`SELECT COUNT(*) FROM redpackets WHERE chat = '周末徒步群'`).Scan(&n)
	if n != 1 {
		t.Errorf("redpackets view: %d rows", n)
	}
	var tm, dir, kind, text string
	if err := d.readers.QueryRow(`SELECT time, chat, sender, direction, kind, text FROM chat_log WHERE msg_id = 'o1'`).
		Scan(&tm, &chat, &sender, &dir, &kind, &text); err != nil || chat != "周末徒步群" || sender != "路人甲" ||
		dir != "in" || kind != "text" || text != "说错话了" || tm != at.Format("2006-01-02 15:04:05") {
		t.Errorf("chat_log: %q %q %q %q %q %q %v", tm, chat, sender, dir, kind, text, err)
	}
	var typ string
	d.readers.QueryRow(`SELECT group_concat(type) FROM (SELECT type FROM events WHERE type IN ('recall', 'redpacket') ORDER BY id)`).Scan(&typ)
	if typ != "recall,recall,redpacket" {
		t.Errorf("events: %q", typ)
	}
	var linked int
	d.readers.QueryRow(`SELECT COUNT(*) FROM events e JOIN messages o ON o.id = e.original_id WHERE o.msg_id = 'o1'`).Scan(&linked)
	if linked != 1 {
		t.Error("recall event not linked to its original")
	}
	_ = hook
}
