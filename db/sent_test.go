package db

import (
	"context"
	"errors"
	"testing"
	"time"

	"qunguan/wx"
)

func TestLogSentAndEcho(t *testing.T) {
	d, _, clock := testDB(t)
	ctx := context.Background()
	w := loggedIn(t, d)
	hike := w.groups[0].Peer()
	hikeRef, err := d.ResolveChat(ctx, "main", "周末徒步群")
	if err != nil {
		t.Fatal(err)
	}
	selfPeer := w.self.Peer()
	selfPeer.IsSelf = true
	echo := func(id, text string) *wx.Message {
		m := textMsg(id, hike, selfPeer, text, clock.Now())
		m.IsSelf, m.Echo = true, true
		return m
	}
	row := func(id string) (dir, origin, path, text string, n int) {
		d.readers.QueryRow(`SELECT COUNT(*), MAX(direction), MAX(origin), MAX(path), MAX(text) FROM messages WHERE msg_id = ?`, id).
			Scan(&n, &dir, &origin, &path, &text)
		return
	}

	// Sent, then echoed: one row, out, by the bot; the echo is not a new event.
	if err := d.LogSent(ctx, "main", Sent{MsgID: "s1", ChatID: hikeRef.ID, Text: "明早7点", Time: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	res := mustCommit(t, d, &wx.Batch{Account: "main", Uin: selfUin, Events: []wx.Event{echo("s1", "明早7点")}})
	if len(res.Events) != 0 || res.Duplicates != 1 {
		t.Errorf("echo after LogSent: %+v", res)
	}
	if dir, origin, _, _, n := row("s1"); n != 1 || dir != "out" || origin != "bot" {
		t.Errorf("s1: %d rows, %s/%s", n, dir, origin)
	}
	m, err := d.MessageByMsgID(ctx, "main", "s1")
	if err != nil || m.SenderID != "u2100000001" || m.ChatID != hikeRef.ID || m.Direction != Out {
		t.Errorf("s1 = %+v, %v", m, err)
	}

	// The echo wins the race: LogSent completes the row instead of adding one.
	mustCommit(t, d, &wx.Batch{Account: "main", Uin: selfUin, Events: []wx.Event{echo("s2", "photo.jpg")}})
	if err := d.LogSent(ctx, "main", Sent{MsgID: "s2", ChatUserName: hike.UserName, Kind: wx.KindImage,
		Text: "photo.jpg", Path: "/tmp/photo.jpg"}); err != nil {
		t.Fatal(err)
	}
	if dir, origin, path, _, n := row("s2"); n != 1 || dir != "out" || origin != "bot" || path != "/tmp/photo.jpg" {
		t.Errorf("s2: %d rows, %s/%s path %q", n, dir, origin, path)
	}

	// The owner typing on the phone: out, origin phone, and an event for the engine.
	phone := textMsg("p1", hike, selfPeer, "我来了", clock.Now())
	phone.IsSelf = true
	res = mustCommit(t, d, &wx.Batch{Account: "main", Uin: selfUin, Events: []wx.Event{phone}})
	if len(res.Events) != 1 {
		t.Errorf("phone message: %+v", res)
	}
	if dir, origin, _, _, n := row("p1"); n != 1 || dir != "out" || origin != "phone" {
		t.Errorf("p1: %d rows, %s/%s", n, dir, origin)
	}
	// Received messages are in / received.
	if dir, origin, _, _, _ := row("L1-g10"); dir != "in" || origin != "received" {
		t.Errorf("received message: %s/%s", dir, origin)
	}

	// Sending to filehelper before it was ever seen works; an unknown chat does not.
	if err := d.LogSent(ctx, "main", Sent{MsgID: "s3", ChatID: "filehelper", Text: "alert"}); err != nil {
		t.Errorf("LogSent to filehelper: %v", err)
	}
	if err := d.LogSent(ctx, "main", Sent{MsgID: "s4", ChatID: "c999", Text: "x"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("LogSent to unknown chat: %v", err)
	}
	if err := d.LogSent(ctx, "main", Sent{ChatID: hikeRef.ID, Text: "x"}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("LogSent without MsgID: %v", err)
	}
	out, err := d.Search(ctx, SearchQuery{Filter: Filter{Account: "main", Direction: Out}})
	if err != nil || len(out) != 4 {
		t.Errorf("outgoing messages: %d, %v", len(out), err)
	}
	_ = time.Second
}
