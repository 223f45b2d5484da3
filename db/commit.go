package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"

	"qunguan/wx"
)

// Direction says whether a message came in or went out.
type Direction string

// Directions.
const (
	In  Direction = "in"
	Out Direction = "out"
)

// Origin says who wrote a message: someone else, the owner on the phone, or this bot.
type Origin string

// Origins.
const (
	OriginReceived Origin = "received" // written by someone else
	OriginPhone    Origin = "phone"    // the owner typed it on the phone (IsSelf, not Echo)
	OriginBot      Origin = "bot"      // this client sent it (LogSent, or its echo)
)

// Pending is an event committed to the log and waiting in the dispatch queue.
type Pending struct {
	// Seq is the event's queue position: MarkDispatched(ctx, account, Seq) once the engine has
	// handled it and everything before it.
	Seq   int64
	Event wx.Event
}

// Committed is what Commit did with a batch.
type Committed struct {
	// Events are the batch's new events, in arrival order, with every wx.Peer.ID set to its
	// stable id; messages already in the log (redelivered, or our own sends' echoes after
	// LogSent) are left out. They are copies: Commit does not modify the batch.
	Events []Pending
	// Messages is the number of messages newly logged; Duplicates the number already there.
	Messages   int
	Duplicates int
	// LastSeq is the queue position of the last event (0 when there is none): after the
	// engine handled them all, MarkDispatched(ctx, account, LastSeq).
	LastSeq int64
}

// Commit stores a batch in one transaction: its contacts (UserNames mapped to stable ids), its
// messages (deduplicated on account + MsgId), member and contact changes, events, and
// batch.Session with the new SyncKey. Either all of it is on disk or none of it, so every
// message the server delivered is in the log exactly once across crashes: after a crash before
// the commit the old SyncKey is still saved and the server delivers the batch again.
//
// The new events are queued for dispatch in the same transaction; see Undispatched.
func (d *DB) Commit(ctx context.Context, b *wx.Batch) (*Committed, error) {
	if b == nil {
		return nil, fmt.Errorf("db: commit: nil batch: %w", ErrInvalidArgument)
	}
	res, err := d.commit(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("db: commit: %w", err)
	}
	return res, nil
}

// LogEvent commits a single event outside a sync batch (a LoginEvent after login, a
// LogoutEvent when the session ends): exactly what Commit does with a batch holding only that
// event and no session.
func (d *DB) LogEvent(ctx context.Context, account string, ev wx.Event) (*Committed, error) {
	if ev == nil {
		return nil, fmt.Errorf("db: log event: nil event: %w", ErrInvalidArgument)
	}
	res, err := d.commit(ctx, &wx.Batch{Account: account, Events: []wx.Event{ev}})
	if err != nil {
		return nil, fmt.Errorf("db: log event: %w", err)
	}
	return res, nil
}

func (d *DB) commit(ctx context.Context, b *wx.Batch) (*Committed, error) {
	w, err := d.beginWrite(ctx, b.Account)
	if err != nil {
		return nil, err
	}
	defer w.rollback()

	if err := w.prepareBatch(b); err != nil {
		return nil, err
	}
	if err := w.applyContacts(b.Contacts); err != nil {
		return nil, err
	}
	res := &Committed{}
	for _, ev := range b.Events {
		out, isNew, err := w.applyEvent(ev)
		if err != nil {
			return nil, err
		}
		if _, ok := ev.(*wx.Message); ok {
			if isNew {
				res.Messages++
			} else {
				res.Duplicates++
			}
		}
		if !isNew {
			continue
		}
		seq, err := w.enqueue(out)
		if err != nil {
			return nil, err
		}
		res.Events = append(res.Events, Pending{Seq: seq, Event: out})
		res.LastSeq = seq
	}
	if b.Session != nil {
		if err := saveSession(ctx, w.tx, b.Account, b.Session, w.now); err != nil {
			return nil, err
		}
	}
	if err := w.commit(); err != nil {
		return nil, err
	}
	if res.Duplicates > 0 {
		w.log.WithFields(logrus.Fields{"account": b.Account, "duplicates": res.Duplicates}).Debug("duplicate messages dropped")
	}
	return res, nil
}

// prepareBatch learns, before anything is matched, who self is in this login and which raw ids
// the batch reveals.
func (w *writeTx) prepareBatch(b *wx.Batch) error {
	uin := b.Uin
	var selfNames []string
	for _, ev := range b.Events {
		if e, ok := ev.(*wx.LoginEvent); ok {
			if uin == 0 {
				uin = e.Uin
			}
			selfNames = append(selfNames, e.Self.UserName)
		}
	}
	if uin == 0 && b.Session != nil {
		uin = b.Session.Uin
	}
	w.setUin(uin)
	for _, c := range b.Contacts {
		if c != nil && c.Uin != 0 && c.Uin == w.acct.uin && !c.IsGroup() {
			selfNames = append(selfNames, c.UserName)
		}
	}
	reveal := func(userName, rawID string) {
		if userName != "" && rawID != "" && !wx.IsSpecialUserName(userName) {
			w.revealed[userName] = rawID
		}
	}
	for _, ev := range b.Events {
		m, ok := ev.(*wx.Message)
		if !ok {
			continue
		}
		for _, p := range []*wx.Peer{&m.Chat, &m.Sender} {
			if p.IsSelf {
				selfNames = append(selfNames, p.UserName)
			}
			reveal(p.UserName, p.RawID)
		}
		if m.Recall != nil {
			reveal(m.Chat.UserName, m.Recall.SessionRawID)
		}
		if m.FriendRequest != nil {
			reveal(m.FriendRequest.UserName, m.FriendRequest.RawID)
		}
		// The 51/code-4 list is the only bulk UserName → raw id map the protocol gives.
		if a := m.OwnerActivity; a != nil && len(a.RawIDs) == len(a.Chats) {
			for i := range a.Chats {
				reveal(a.Chats[i], a.RawIDs[i])
			}
		}
	}
	if b.Session != nil {
		selfNames = append(selfNames, b.Session.SelfUserName)
	}
	for _, n := range selfNames {
		if err := w.noteSelfUserName(n); err != nil {
			return err
		}
	}
	return nil
}

// applyEvent stores one event and returns a copy with stable ids filled in. isNew is false
// for a message already in the log.
func (w *writeTx) applyEvent(ev wx.Event) (out wx.Event, isNew bool, err error) {
	switch e := ev.(type) {
	case *wx.Message:
		m := *e
		isNew, err := w.logMessage(&m)
		return &m, isNew, err
	case *wx.MemberEvent:
		c := *e
		return &c, true, w.applyMemberEvent(&c)
	case *wx.ContactEvent:
		c := *e
		return &c, true, w.applyContactEvent(&c)
	case *wx.LoginEvent:
		c := *e
		return &c, true, w.applyLoginEvent(&c)
	case *wx.LogoutEvent:
		c := *e
		detail := map[string]any{"code": c.Code, "reason": c.Reason}
		return &c, true, w.insertEvent(eventRow{typ: "logout", actor: w.selfID(), text: c.Reason, detail: detail, at: c.Time})
	case nil:
		return nil, false, nil
	default:
		w.log.WithField("type", fmt.Sprintf("%T", ev)).Warn("unknown event type not stored")
		return nil, false, nil
	}
}

// resolvePeer fills p.ID. group is the stable id of the group p was seen in, for members.
func (w *writeTx) resolvePeer(p *wx.Peer, group string) error {
	if p.UserName == "" {
		if p.IsSelf {
			p.ID = w.selfID()
		}
		return nil
	}
	s := sightingFromPeer(p)
	if !s.isGroup {
		s.group = group
	}
	id, err := w.resolve(&s, false)
	if err != nil {
		return err
	}
	p.ID = id
	return nil
}

// eventKinds are the message kinds that also get a row in events.
var eventKinds = map[wx.Kind]bool{
	wx.KindRedPacket: true, wx.KindTransfer: true, wx.KindRecall: true, wx.KindJoin: true,
	wx.KindLeave: true, wx.KindRename: true, wx.KindFriendRequest: true, wx.KindOwnerActive: true,
}

// messageDetail is what the messages.detail column keeps: the kind-specific fields.
type messageDetail struct {
	AppMsgType    int               `json:"app_msg_type,omitempty"`
	SubMsgType    int               `json:"sub_msg_type,omitempty"`
	Mentioned     bool              `json:"mentioned,omitempty"`
	Mentions      []string          `json:"mentions,omitempty"`
	URL           string            `json:"url,omitempty"`
	Title         string            `json:"title,omitempty"`
	Description   string            `json:"description,omitempty"`
	Media         *wx.Media         `json:"media,omitempty"`
	File          *wx.File          `json:"file,omitempty"`
	Location      *wx.Location      `json:"location,omitempty"`
	Card          *wx.Card          `json:"card,omitempty"`
	MiniProgram   *wx.MiniProgram   `json:"mini_program,omitempty"`
	Amount        string            `json:"amount,omitempty"`
	Recall        *wx.Recall        `json:"recall,omitempty"`
	Notice        *wx.GroupNotice   `json:"notice,omitempty"`
	FriendRequest *wx.FriendRequest `json:"friend_request,omitempty"`
	OwnerActivity *wx.OwnerActivity `json:"owner_activity,omitempty"`
}

func detailOf(m *wx.Message) messageDetail {
	return messageDetail{
		AppMsgType: m.AppMsgType, SubMsgType: m.SubMsgType, Mentioned: m.Mentioned,
		Mentions: m.Mentions, URL: m.URL, Title: m.Title, Description: m.Description,
		Media: m.Media, File: m.File, Location: m.Location, Card: m.Card,
		MiniProgram: m.MiniProgram, Amount: m.Amount, Recall: m.Recall, Notice: m.Notice,
		FriendRequest: m.FriendRequest, OwnerActivity: m.OwnerActivity,
	}
}

const (
	insertMessage = `INSERT INTO messages (account, msg_id, new_msg_id, chat_id, sender_id, direction,
    origin, kind, msg_type, text, created_at, logged_at, recall_of, detail, raw)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (account, msg_id) DO NOTHING`
	selectMessageRowID = `SELECT id FROM messages WHERE account = ? AND msg_id = ?`
)

// logMessage resolves the message's peers and inserts it; isNew is false when the account
// already has a message with this MsgId.
func (w *writeTx) logMessage(m *wx.Message) (isNew bool, err error) {
	if err := w.resolvePeer(&m.Chat, ""); err != nil {
		return false, err
	}
	group := ""
	if m.Chat.IsGroup || wx.IsGroupUserName(m.Chat.UserName) {
		group = m.Chat.ID
	}
	if m.IsSelf && m.Sender.UserName == "" {
		m.Sender.IsSelf = true
	}
	if err := w.resolvePeer(&m.Sender, group); err != nil {
		return false, err
	}
	if group != "" && m.Sender.ID != "" && m.Sender.ID != w.selfID() && m.Sender.DisplayName != "" {
		// The sender's display name as this message showed it; members were otherwise only
		// known from member lists. Once per transaction is enough.
		key := [2]string{group, m.Sender.ID}
		if shown, ok := w.members[key]; !ok || shown != m.Sender.DisplayName {
			if err := w.upsertMember(group, m.Sender.ID, m.Sender.NickName, m.Sender.DisplayName, w.now); err != nil {
				return false, err
			}
			w.members[key] = m.Sender.DisplayName
		}
	}

	msgID := m.MsgID
	if msgID == "" {
		msgID = m.NewMsgID
	}
	if msgID == "" {
		// Without an id there is nothing to deduplicate on; keep the message anyway.
		msgID = "local-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		w.log.WithField("account", w.account).Warn("message without MsgId logged under a local id")
	}
	dir, origin := In, OriginReceived
	if m.IsSelf {
		dir, origin = Out, OriginPhone
		if m.Echo {
			origin = OriginBot
		}
	}
	var recallOf any
	if m.Recall != nil && m.Recall.OriginalMsgID != "" {
		var id int64
		err := w.tx.QueryRowContext(w.ctx, selectMessageRowID, w.account, m.Recall.OriginalMsgID).Scan(&id)
		switch {
		case err == nil:
			recallOf = id
		case !errors.Is(err, sql.ErrNoRows):
			return false, fmt.Errorf("recall of %s: %w", m.Recall.OriginalMsgID, err)
		}
	}
	detail, err := nullJSON(detailOf(m))
	if err != nil {
		return false, fmt.Errorf("message %s: %w", msgID, err)
	}
	var raw any
	if len(m.Raw) > 0 {
		raw = string(compactRaw(m.Raw))
	}
	created := ms(m.Time)
	if created == 0 {
		created = w.now
	}
	res, err := w.tx.ExecContext(w.ctx, insertMessage, w.account, msgID, m.NewMsgID, nullStr(m.Chat.ID),
		nullStr(m.Sender.ID), dir, origin, string(m.Kind), m.MsgType, m.Text, created, w.now,
		recallOf, detail, raw)
	if err != nil {
		return false, fmt.Errorf("message %s: %w", msgID, err)
	}
	// Triggers do not count in RowsAffected, and LastInsertId reverts after them: both are
	// the messages row's.
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err // n == 0: already logged
	}
	rowID, err := res.LastInsertId()
	if err != nil {
		return false, fmt.Errorf("message %s: %w", msgID, err)
	}
	if eventKinds[m.Kind] {
		var d any = detail
		if detail != nil {
			d = json.RawMessage(detail.(string))
		}
		row := eventRow{typ: string(m.Kind), chat: m.Chat.ID, actor: m.Sender.ID, message: rowID,
			original: recallOf, text: m.Text, detail: d, at: m.Time}
		if err := w.insertEvent(row); err != nil {
			return false, err
		}
	}
	return true, nil
}

const (
	memberLeft        = `UPDATE group_members SET left_at = ? WHERE account = ? AND group_id = ? AND member_id = ? AND left_at IS NULL`
	memberDisplayName = `UPDATE group_members SET display_name = ? WHERE account = ? AND group_id = ? AND member_id = ?`
)

func (w *writeTx) applyMemberEvent(e *wx.MemberEvent) error {
	if err := w.resolvePeer(&e.Group, ""); err != nil {
		return err
	}
	if err := w.resolvePeer(&e.Member, e.Group.ID); err != nil {
		return err
	}
	at := ms(e.Time)
	if at == 0 {
		at = w.now
	}
	typ := "member_" + string(e.Change)
	var err error
	switch e.Change {
	case wx.MemberJoined:
		err = w.upsertMember(e.Group.ID, e.Member.ID, e.Member.NickName, e.Member.DisplayName, at)
	case wx.MemberLeft:
		_, err = w.tx.ExecContext(w.ctx, memberLeft, at, w.account, e.Group.ID, e.Member.ID)
	case wx.MemberDisplayNameChanged:
		typ = "member_display_name"
		_, err = w.tx.ExecContext(w.ctx, memberDisplayName, e.Member.DisplayName, w.account, e.Group.ID, e.Member.ID)
	}
	if err != nil {
		return fmt.Errorf("member event: %w", err)
	}
	detail := map[string]any{"display_name": e.Member.DisplayName, "nickname": e.Member.NickName}
	if e.OldDisplayName != "" {
		detail["old_display_name"] = e.OldDisplayName
	}
	return w.insertEvent(eventRow{typ: typ, chat: e.Group.ID, actor: e.Member.ID,
		text: e.Member.Name(), detail: detail, at: e.Time})
}

const (
	contactRemoved = `UPDATE contacts SET removed_at = ? WHERE account = ? AND id = ?`
	groupRenamed   = `UPDATE contacts SET nickname = ? WHERE account = ? AND id = ?`
)

func (w *writeTx) applyContactEvent(e *wx.ContactEvent) error {
	if err := w.resolvePeer(&e.Contact, ""); err != nil {
		return err
	}
	at := ms(e.Time)
	if at == 0 {
		at = w.now
	}
	var err error
	switch e.Change {
	case wx.ContactRemoved:
		_, err = w.tx.ExecContext(w.ctx, contactRemoved, at, w.account, e.Contact.ID)
	case wx.GroupRenamed:
		if e.Contact.NickName != "" {
			_, err = w.tx.ExecContext(w.ctx, groupRenamed, e.Contact.NickName, w.account, e.Contact.ID)
		}
	}
	if err != nil {
		return fmt.Errorf("contact event: %w", err)
	}
	typ := "contact_" + string(e.Change)
	var chat any
	if e.Contact.IsGroup || wx.IsGroupUserName(e.Contact.UserName) {
		chat = e.Contact.ID
	}
	if e.Change == wx.GroupRenamed {
		typ = "group_renamed"
	}
	detail := map[string]any{"name": e.Contact.NickName}
	if e.OldName != "" {
		detail["old_name"] = e.OldName
	}
	row := eventRow{typ: typ, actor: e.Contact.ID, text: e.Contact.Name(), detail: detail, at: e.Time}
	if chat != nil {
		row.chat, row.actor = e.Contact.ID, ""
	}
	return w.insertEvent(row)
}

func (w *writeTx) applyLoginEvent(e *wx.LoginEvent) error {
	e.Self.IsSelf = true
	if e.Self.UserName != "" {
		s := sightingFromPeer(&e.Self)
		s.isSelf, s.full, s.uin = true, true, e.Uin
		id, err := w.resolve(&s, false)
		if err != nil {
			return err
		}
		e.Self.ID = id
	} else {
		e.Self.ID = w.selfID()
	}
	detail := map[string]any{"method": e.Method, "host": e.Host, "uin": e.Uin,
		"friends": e.Friends, "groups": e.Groups, "login_gen": w.acct.gen}
	return w.insertEvent(eventRow{typ: "login", actor: e.Self.ID, text: e.Self.Name(), detail: detail, at: e.Time})
}

// eventRow is one row of the events table.
type eventRow struct {
	typ      string
	chat     string
	actor    string
	message  int64
	original any // row id or nil
	text     string
	detail   any // encoded as JSON
	at       time.Time
}

const insertEventSQL = `INSERT INTO events (account, type, chat_id, actor_id, message_id, original_id, text, detail, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

func (w *writeTx) insertEvent(r eventRow) error {
	detail, err := nullJSON(r.detail)
	if err != nil {
		return fmt.Errorf("event %s: %w", r.typ, err)
	}
	var msg any
	if r.message != 0 {
		msg = r.message
	}
	at := ms(r.at)
	if at == 0 {
		at = w.now
	}
	if _, err := w.tx.ExecContext(w.ctx, insertEventSQL, w.account, r.typ, nullStr(r.chat), nullStr(r.actor),
		msg, r.original, r.text, detail, at); err != nil {
		return fmt.Errorf("event %s: %w", r.typ, err)
	}
	return nil
}
