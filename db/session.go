package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"qunguan/wx"
)

// Sessions (wx.SessionStore), keyed by the configured account name. The session is kept as
// the wx.Session JSON: cookies with their domain, path and expiry, BaseRequest, pass_ticket,
// host, and the SyncKey. Commit saves batch.Session in the batch's own transaction.

const (
	upsertSession = `INSERT INTO sessions (account, uin, host, sync_key, data, saved_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (account) DO UPDATE SET uin = excluded.uin, host = excluded.host,
    sync_key = excluded.sync_key, data = excluded.data, saved_at = excluded.saved_at`
	selectSession = `SELECT data FROM sessions WHERE account = ?`
	deleteSession = `DELETE FROM sessions WHERE account = ?`
)

// saveSession writes s for the account within tx (or on the writer).
func saveSession(ctx context.Context, x execer, account string, s *wx.Session, now int64) error {
	c := *s
	if c.SavedAt.IsZero() {
		c.SavedAt = fromMS(now)
	}
	data, err := json.Marshal(&c)
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	if _, err := x.ExecContext(ctx, upsertSession, account, c.Uin, c.Host, c.SyncKey.String(), string(data), now); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// execer is a *sql.Tx or *sql.DB.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// LoadSession returns the account's saved session, or an error wrapping wx.ErrNoSession.
func (d *DB) LoadSession(ctx context.Context, account string) (*wx.Session, error) {
	var data string
	err := d.readers.QueryRowContext(ctx, selectSession, account).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("db: load session %q: %w", account, wx.ErrNoSession)
	}
	if err != nil {
		return nil, fmt.Errorf("db: load session %q: %w", account, err)
	}
	var s wx.Session
	if err := json.Unmarshal([]byte(data), &s); err != nil {
		return nil, fmt.Errorf("db: load session %q: %w", account, err)
	}
	return &s, nil
}

// SaveSession replaces the account's saved session.
func (d *DB) SaveSession(ctx context.Context, account string, s *wx.Session) error {
	if account == "" || s == nil {
		return fmt.Errorf("db: save session: account and session required: %w", ErrInvalidArgument)
	}
	if err := saveSession(ctx, d.writer, account, s, d.now().UnixMilli()); err != nil {
		return fmt.Errorf("db: %w", err)
	}
	return nil
}

// DeleteSession forgets the account's session. Deleting a missing session is not an error.
func (d *DB) DeleteSession(ctx context.Context, account string) error {
	if _, err := d.writer.ExecContext(ctx, deleteSession, account); err != nil {
		return fmt.Errorf("db: delete session %q: %w", account, err)
	}
	return nil
}
