package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"time"

	"qunguan/wx"
)

// Sent is a message this client sent, as the outbox saw it when the server accepted it.
type Sent struct {
	MsgID    string // the MsgID the server returned: the echo will carry the same MsgId
	NewMsgID string // optional
	// ChatID is the chat's stable id. When empty, ChatUserName (the wire name it was sent
	// to in the current login) is looked up instead.
	ChatID       string
	ChatUserName string
	Kind         wx.Kind // default text
	Text         string  // the text, or a description of the media (file name)
	Path         string  // the local file sent, for media
	Time         time.Time
}

const (
	insertSent = `INSERT INTO messages (account, msg_id, new_msg_id, chat_id, sender_id, direction,
    origin, kind, msg_type, text, path, created_at, logged_at)
VALUES (?, ?, ?, ?, ?, 'out', 'bot', ?, 0, ?, ?, ?, ?)
ON CONFLICT (account, msg_id) DO UPDATE SET
    direction = 'out',
    origin = 'bot',
    path = excluded.path,
    text = CASE WHEN messages.text = '' THEN excluded.text ELSE messages.text END,
    new_msg_id = CASE WHEN messages.new_msg_id = '' THEN excluded.new_msg_id ELSE messages.new_msg_id END`
	selectContactID = `SELECT 1 FROM contacts WHERE account = ? AND id = ?`
)

// LogSent logs a message this client sent (direction out, origin bot) once. The server later
// echoes it into the sync stream with the same MsgId; Commit then finds it logged and drops
// the echo. If the echo was committed first, LogSent completes that row (path, origin)
// instead of adding a second one.
func (d *DB) LogSent(ctx context.Context, account string, s Sent) error {
	if err := d.logSent(ctx, account, s); err != nil {
		return fmt.Errorf("db: log sent %s: %w", s.MsgID, err)
	}
	return nil
}

func (d *DB) logSent(ctx context.Context, account string, s Sent) error {
	if s.MsgID == "" {
		return fmt.Errorf("no MsgID: %w", ErrInvalidArgument)
	}
	w, err := d.beginWrite(ctx, account)
	if err != nil {
		return err
	}
	defer w.rollback()
	chat := s.ChatID
	if chat == "" && s.ChatUserName != "" {
		if wx.IsSpecialUserName(s.ChatUserName) {
			chat = s.ChatUserName
			if err := w.ensureContact(chat, "special", &sighting{userName: chat}); err != nil {
				return err
			}
		} else {
			var gen int64
			err := w.tx.QueryRowContext(ctx, selectUserName, account, s.ChatUserName).Scan(&chat, &gen)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("chat %s: %w", s.ChatUserName, ErrNotFound)
			}
			if err != nil {
				return err
			}
		}
	} else if chat != "" {
		var one int
		err := w.tx.QueryRowContext(ctx, selectContactID, account, chat).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			if !wx.IsSpecialUserName(chat) {
				return fmt.Errorf("chat %s: %w", chat, ErrNotFound)
			}
			if err := w.ensureContact(chat, "special", &sighting{userName: chat}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	if chat == "" {
		return fmt.Errorf("no chat: %w", ErrInvalidArgument)
	}
	kind := s.Kind
	if kind == "" {
		kind = wx.KindText
	}
	created := ms(s.Time)
	if created == 0 {
		created = w.now
	}
	var sender any
	if w.acct.uin != 0 {
		sender = w.selfID()
		if err := w.ensureContact(w.selfID(), "self", &sighting{}); err != nil {
			return err
		}
	}
	if _, err := w.tx.ExecContext(ctx, insertSent, account, s.MsgID, s.NewMsgID, chat, sender,
		string(kind), s.Text, s.Path, created, w.now); err != nil {
		return err
	}
	w.touched[chat] = true
	return w.commit()
}
