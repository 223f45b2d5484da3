package db

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirupsen/logrus/hooks/test"
)

func TestReadOnlyQueryRefusesWrites(t *testing.T) {
	d, _, _ := testDB(t)
	ctx := context.Background()
	loggedIn(t, d)
	if err := d.KVSet(ctx, "main", "s", "k", `1`, 0); err != nil {
		t.Fatal(err)
	}
	count := func() (n int) {
		d.writer.QueryRow(`SELECT (SELECT COUNT(*) FROM messages) + (SELECT COUNT(*) FROM kv) + (SELECT COUNT(*) FROM contacts)`).Scan(&n)
		return
	}
	before := count()

	rows, err := d.ReadOnlyQuery(ctx, `SELECT kind, text, created_at FROM messages WHERE text LIKE ? ORDER BY id LIMIT 2`, "%群%")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0]["text"] != "群消息" || rows[0]["kind"] != "text" {
		t.Errorf("rows = %v", rows)
	}
	if _, ok := rows[0]["created_at"].(int64); !ok {
		t.Errorf("created_at is %T", rows[0]["created_at"])
	}
	if _, err := d.ReadOnlyQuery(ctx, `SELECT * FROM chat_log LIMIT 5`); err != nil {
		t.Errorf("view: %v", err)
	}
	if _, err := d.ReadOnlyQuery(ctx, `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x < 10) SELECT x FROM n`); err != nil {
		t.Errorf("recursive CTE: %v", err)
	}
	if _, err := d.ReadOnlyQuery(ctx, `SELECT rowid FROM messages_fts WHERE messages_fts MATCH '"群消息"'`); err != nil {
		t.Errorf("FTS read: %v", err)
	}
	if _, err := d.ReadOnlyQuery(ctx, `PRAGMA table_info(messages)`); err != nil {
		t.Errorf("PRAGMA table_info: %v", err)
	}

	attachPath := filepath.Join(t.TempDir(), "other.db")
	for _, q := range []string{
		`INSERT INTO kv (account, script, key, value, updated_at) VALUES ('main', 's', 'x', '1', 0)`,
		`UPDATE messages SET text = 'pwned'`,
		`DELETE FROM messages`,
		`DELETE FROM kv`,
		`DROP TABLE messages`,
		`DROP VIEW chat_log`,
		`CREATE TABLE evil (x)`,
		`CREATE TEMP TABLE evil (x)`,
		`ALTER TABLE messages ADD COLUMN evil TEXT`,
		`ATTACH DATABASE '` + attachPath + `' AS other`,
		`PRAGMA query_only = OFF`,
		`PRAGMA journal_mode = DELETE`,
		`PRAGMA user_version = 99`,
		`PRAGMA writable_schema = ON`,
		`SELECT 1; DELETE FROM messages`,
		`REPLACE INTO kv (account, script, key, value, updated_at) VALUES ('main', 's', 'k', '2', 0)`,
		`INSERT INTO messages_fts (messages_fts) VALUES ('delete-all')`,
		`VACUUM`,
		`BEGIN IMMEDIATE`,
		`SELECT load_extension('/tmp/evil.so')`,
	} {
		_, err := d.ReadOnlyQuery(ctx, q)
		if err == nil {
			t.Errorf("%s: allowed", q)
		} else if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s: %v, want ErrReadOnly", q, err)
		}
	}
	if after := count(); after != before {
		t.Errorf("rows changed from %d to %d", before, after)
	}
	var text string
	d.writer.QueryRow(`SELECT text FROM messages LIMIT 1`).Scan(&text)
	if text == "pwned" {
		t.Error("UPDATE went through")
	}
}

func TestReadOnlyQueryLimits(t *testing.T) {
	ctx := context.Background()
	logger, _ := test.NewNullLogger()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "q.db"), Options{Logger: logger, QueryRowLimit: 100, QueryTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rows, err := d.ReadOnlyQuery(ctx, `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x < 100) SELECT x FROM n`)
	if err != nil || len(rows) != 100 {
		t.Errorf("100 rows: %d, %v", len(rows), err)
	}
	if _, err := d.ReadOnlyQuery(ctx, `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x < 101) SELECT x FROM n`); !errors.Is(err, ErrRowLimit) {
		t.Errorf("101 rows: %v, want ErrRowLimit", err)
	}
	start := time.Now()
	_, err = d.ReadOnlyQuery(ctx, `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n) SELECT COUNT(*) FROM n`)
	if err == nil {
		t.Error("endless query returned")
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("endless query stopped after %v, deadline 200ms", el)
	}
}
