package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"

	"qunguan/wx"
)

// The dispatch queue holds committed events until the engine has handled them. Commit adds
// them in the same transaction as the log; MarkDispatched removes them; after a crash,
// Undispatched hands back the ones that were committed but never handled.

// No RETURNING: with go-sqlite3 a statement that returns rows costs several times an Exec.
const enqueueEvent = `INSERT INTO dispatch_queue (account, type, payload, event_time, committed_at)
VALUES (?, ?, ?, ?, ?)`

// enqueue queues a committed event and returns its position.
func (w *writeTx) enqueue(ev wx.Event) (int64, error) {
	typ, at := eventMeta(ev)
	if m, ok := ev.(*wx.Message); ok && len(m.Raw) > 0 {
		// The raw entry is in messages.raw already; Undispatched puts it back.
		c := *m
		c.Raw = nil
		ev = &c
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return 0, fmt.Errorf("queue %s: %w", typ, err)
	}
	res, err := w.tx.ExecContext(w.ctx, enqueueEvent, w.account, typ, string(payload), ms(at), w.now)
	if err != nil {
		return 0, fmt.Errorf("queue %s: %w", typ, err)
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("queue %s: %w", typ, err)
	}
	return seq, nil
}

// eventMeta names the event's type in the queue and returns its time.
func eventMeta(ev wx.Event) (string, time.Time) {
	switch e := ev.(type) {
	case *wx.Message:
		return "message", e.Time
	case *wx.MemberEvent:
		return "member", e.Time
	case *wx.ContactEvent:
		return "contact", e.Time
	case *wx.LoginEvent:
		return "login", e.Time
	case *wx.LogoutEvent:
		return "logout", e.Time
	}
	return fmt.Sprintf("%T", ev), time.Time{}
}

// decodeEvent turns a queued payload back into the event it was.
func decodeEvent(typ string, payload []byte) (wx.Event, error) {
	var ev wx.Event
	switch typ {
	case "message":
		ev = &wx.Message{}
	case "member":
		ev = &wx.MemberEvent{}
	case "contact":
		ev = &wx.ContactEvent{}
	case "login":
		ev = &wx.LoginEvent{}
	case "logout":
		ev = &wx.LogoutEvent{}
	default:
		return nil, fmt.Errorf("unknown event type %q", typ)
	}
	if err := json.Unmarshal(payload, ev); err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	if e, ok := ev.(*wx.LogoutEvent); ok && e.Code != 0 {
		// Err is not serialised; rebuild one that errors.Is-matches the protocol sentinel.
		e.Err = &wx.RetError{Op: "logout", Ret: e.Code, ErrMsg: wx.LogoutReason(e.Code)}
	}
	return ev, nil
}

const deleteDispatched = `DELETE FROM dispatch_queue WHERE account = ? AND seq <= ?`

// MarkDispatched records that the engine handled the account's queued events up to and
// including position upTo; they leave the queue.
func (d *DB) MarkDispatched(ctx context.Context, account string, upTo int64) error {
	if _, err := d.writer.ExecContext(ctx, deleteDispatched, account, upTo); err != nil {
		return fmt.Errorf("db: mark dispatched: %w", err)
	}
	return nil
}

// Replay is what Undispatched found.
type Replay struct {
	// Events were committed within the replay window but never dispatched, oldest first.
	Events []Pending
	// Skipped events were older than the window: removed from the queue without dispatch
	// (the log still has them). The caller logs the count; the store also records an event
	// of type dispatch_skipped. FirstSkipped and LastSkipped are their queue positions.
	Skipped                   int
	FirstSkipped, LastSkipped int64
}

const (
	lastTooOld = `SELECT COUNT(*), COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0) FROM dispatch_queue
WHERE account = ? AND seq <= (SELECT COALESCE(MAX(seq), 0) FROM dispatch_queue WHERE account = ? AND committed_at < ?)`
	selectQueued     = `SELECT seq, type, payload FROM dispatch_queue WHERE account = ? ORDER BY seq`
	selectMessageRaw = `SELECT raw FROM messages WHERE account = ? AND msg_id = ?`
	deleteQueued     = `DELETE FROM dispatch_queue WHERE seq = ?`
)

// Undispatched returns the account's events that were committed but not dispatched (the
// process died between Commit and MarkDispatched) and were committed within replayWindow
// before now. Older ones are dropped from the queue and counted, so that no stale
// auto-reply fires hours later and nothing is skipped silently. Skipping keeps the queue a
// suffix: everything up to the newest too-old event is skipped. replayWindow ≤ 0 skips all.
// Call it once at startup, before the first Commit of the account.
func (d *DB) Undispatched(ctx context.Context, account string, replayWindow time.Duration) (*Replay, error) {
	r, err := d.undispatched(ctx, account, replayWindow)
	if err != nil {
		return nil, fmt.Errorf("db: undispatched: %w", err)
	}
	return r, nil
}

func (d *DB) undispatched(ctx context.Context, account string, window time.Duration) (*Replay, error) {
	w, err := d.beginWrite(ctx, account)
	if err != nil {
		return nil, err
	}
	defer w.rollback()
	cutoff := w.now + 1 // window ≤ 0: everything committed so far is too old
	if window > 0 {
		cutoff = w.now - window.Milliseconds()
	}
	r := &Replay{}
	if err := w.tx.QueryRowContext(ctx, lastTooOld, account, account, cutoff).
		Scan(&r.Skipped, &r.FirstSkipped, &r.LastSkipped); err != nil {
		return nil, err
	}
	if r.Skipped > 0 {
		if _, err := w.tx.ExecContext(ctx, deleteDispatched, account, r.LastSkipped); err != nil {
			return nil, err
		}
	}
	rows, err := w.tx.QueryContext(ctx, selectQueued, account)
	if err != nil {
		return nil, err
	}
	var bad []int64
	for rows.Next() {
		var seq int64
		var typ string
		var payload []byte
		if err := rows.Scan(&seq, &typ, &payload); err != nil {
			rows.Close()
			return nil, err
		}
		ev, err := decodeEvent(typ, payload)
		if err != nil {
			d.log.WithFields(logrus.Fields{"account": account, "seq": seq}).WithError(err).
				Error("queued event cannot be decoded: skipped")
			bad = append(bad, seq)
			continue
		}
		r.Events = append(r.Events, Pending{Seq: seq, Event: ev})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, p := range r.Events {
		if m, ok := p.Event.(*wx.Message); ok {
			var raw sql.NullString
			if err := w.tx.QueryRowContext(ctx, selectMessageRaw, account, m.MsgID).Scan(&raw); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, err
			}
			if raw.Valid {
				m.Raw = json.RawMessage(raw.String)
			}
		}
	}
	for _, seq := range bad {
		if _, err := w.tx.ExecContext(ctx, deleteQueued, seq); err != nil {
			return nil, err
		}
		r.Skipped++
		if r.FirstSkipped == 0 || seq < r.FirstSkipped {
			r.FirstSkipped = seq
		}
		r.LastSkipped = max(r.LastSkipped, seq)
	}
	if r.Skipped > 0 {
		detail := map[string]any{"count": r.Skipped, "first_seq": r.FirstSkipped, "last_seq": r.LastSkipped,
			"replay_window": window.String()}
		text := fmt.Sprintf("%d events not dispatched after restart (older than %s)", r.Skipped, window)
		if err := w.insertEvent(eventRow{typ: "dispatch_skipped", text: text, detail: detail}); err != nil {
			return nil, err
		}
	}
	if err := w.commit(); err != nil {
		return nil, err
	}
	return r, nil
}
