package db

import (
	"context"
	"fmt"
	"testing"
	"time"

	"qunguan/wx"
)

func TestPrune(t *testing.T) {
	d, _, clock := testDB(t)
	ctx := context.Background()
	w := loggedIn(t, d)
	old := clock.Now().Add(-40 * 24 * time.Hour)
	recent := clock.Now().Add(-time.Hour)
	hike := w.groups[0].Peer()
	m := w.groups[0].Members[3]
	sender := wx.Peer{UserName: m.UserName, NickName: m.NickName}
	b := &wx.Batch{Account: "main", Uin: selfUin}
	for i := 0; i < 12; i++ {
		b.Events = append(b.Events, textMsg(fmt.Sprintf("old%d", i), hike, sender, fmt.Sprintf("旧消息 number %d", i), old))
		b.Events = append(b.Events, textMsg(fmt.Sprintf("new%d", i), hike, sender, fmt.Sprintf("新消息 number %d", i), recent))
	}
	// A recent recall of an old message: the recall stays, its link goes.
	b.Events = append(b.Events, &wx.Message{MsgID: "rc", Kind: wx.KindRecall, Time: recent, Chat: hike, Sender: sender,
		Text: "撤回了一条消息", Recall: &wx.Recall{OriginalMsgID: "old3"}})
	b.Events = append(b.Events, &wx.Message{MsgID: "hb", Kind: wx.KindRedPacket, Time: old, Chat: hike, Text: "红包"})
	mustCommit(t, d, b)

	search := func(text string) int {
		got, err := d.Search(ctx, SearchQuery{Text: text, Filter: Filter{Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	if search("旧消息") != 12 || search("number") != 24 {
		t.Fatal("fixture not searchable")
	}
	p, err := d.Prune(ctx, clock.Now().Add(-30*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if p.Messages != 13 || p.Events != 1 {
		t.Errorf("pruned %+v, want 13 messages and 1 event (the red packet)", p)
	}
	if n := search("旧消息"); n != 0 {
		t.Errorf("%d pruned messages still found by full-text search", n)
	}
	if n := search("number"); n != 12 {
		t.Errorf("%d recent messages found, want 12", n)
	}
	if n := search("旧消"); n != 0 {
		t.Errorf("%d pruned messages still found by LIKE", n)
	}
	var link int
	if _, err := d.writer.Exec(`INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Errorf("FTS index inconsistent with its content after prune: %v", err)
	}
	d.readers.QueryRow(`SELECT COUNT(*) FROM messages WHERE msg_id = 'rc' AND recall_of IS NULL`).Scan(&link)
	if link != 1 {
		t.Error("recall of a pruned message kept a dangling link")
	}
	var fk int
	d.writer.QueryRow(`SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&fk)
	if fk != 0 {
		t.Errorf("%d foreign key violations", fk)
	}
	// Pruning again deletes nothing.
	if p, _ := d.Prune(ctx, clock.Now().Add(-30*24*time.Hour)); p.Messages != 0 || p.Events != 0 {
		t.Errorf("second prune: %+v", p)
	}
}
