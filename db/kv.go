package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The per-script key-value store (bot.store): values are JSON text, keys live in a namespace
// per account and script, and a key may expire. Expired keys are invisible at once and are
// deleted lazily, by the next write to the store.

const (
	kvGet = `SELECT value FROM kv WHERE account = ? AND script = ? AND key = ?
    AND (expires_at IS NULL OR expires_at > ?)`
	kvSet = `INSERT INTO kv (account, script, key, value, expires_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (account, script, key) DO UPDATE SET value = excluded.value,
    expires_at = excluded.expires_at, updated_at = excluded.updated_at`
	kvDel   = `DELETE FROM kv WHERE account = ? AND script = ? AND key = ?`
	kvPrune = `DELETE FROM kv WHERE expires_at <= ?`
	kvIncr  = `SELECT value, expires_at FROM kv WHERE account = ? AND script = ? AND key = ?
    AND (expires_at IS NULL OR expires_at > ?)`
)

// KVGet returns the JSON value of key, and false when it is missing or expired.
func (d *DB) KVGet(ctx context.Context, account, script, key string) (string, bool, error) {
	var v string
	err := d.readers.QueryRowContext(ctx, kvGet, account, script, key, d.now().UnixMilli()).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("db: kv get %s/%s: %w", script, key, err)
	}
	return v, true, nil
}

// KVSet stores a JSON value (ErrInvalidJSON otherwise) for ttl (≤ 0: no expiry).
func (d *DB) KVSet(ctx context.Context, account, script, key, value string, ttl time.Duration) error {
	if !json.Valid([]byte(value)) {
		return fmt.Errorf("db: kv set %s/%s: %w", script, key, ErrInvalidJSON)
	}
	now := d.now().UnixMilli()
	err := d.kvWrite(ctx, now, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, kvSet, account, script, key, value, expiry(now, ttl), now)
		return err
	})
	if err != nil {
		return fmt.Errorf("db: kv set %s/%s: %w", script, key, err)
	}
	return nil
}

// KVIncr adds delta to the integer at key (missing or expired: 0) and returns the new value.
// ttl > 0 sets the key to expire ttl from now, at every call; ttl ≤ 0 keeps the key's
// current expiry (none for a new key) — the semantics of the engine's in-memory store, so
// scripts behave the same in tests. A value that is not a JSON integer is ErrNotInteger.
func (d *DB) KVIncr(ctx context.Context, account, script, key string, delta int64, ttl time.Duration) (int64, error) {
	now := d.now().UnixMilli()
	var n int64
	err := d.kvWrite(ctx, now, func(tx *sql.Tx) error {
		var v string
		var exp sql.NullInt64
		err := tx.QueryRowContext(ctx, kvIncr, account, script, key, now).Scan(&v, &exp)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			cur, perr := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if perr != nil {
				return fmt.Errorf("%s: %w", v, ErrNotInteger)
			}
			n = cur
		}
		var expires any
		if exp.Valid {
			expires = exp.Int64
		}
		if ttl > 0 {
			expires = expiry(now, ttl)
		}
		n += delta
		_, err = tx.ExecContext(ctx, kvSet, account, script, key, strconv.FormatInt(n, 10), expires, now)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("db: kv incr %s/%s: %w", script, key, err)
	}
	return n, nil
}

// KVDel deletes key; a missing key is not an error.
func (d *DB) KVDel(ctx context.Context, account, script, key string) error {
	now := d.now().UnixMilli()
	err := d.kvWrite(ctx, now, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, kvDel, account, script, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("db: kv del %s/%s: %w", script, key, err)
	}
	return nil
}

// kvWrite runs fn in a write transaction after deleting expired keys (an index range scan
// that finds nothing most of the time).
func (d *DB) kvWrite(ctx context.Context, now int64, fn func(*sql.Tx) error) error {
	tx, err := d.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, kvPrune, now); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// expiry is the expires_at value for a ttl: nil (never) when ttl ≤ 0.
func expiry(now int64, ttl time.Duration) any {
	if ttl <= 0 {
		return nil
	}
	return now + max(ttl.Milliseconds(), 1)
}
