package db

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestMigrateEmptyToLatest(t *testing.T) {
	d, _, _ := testDB(t)
	ctx := context.Background()
	steps, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	v, err := d.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != len(steps) || v == 0 {
		t.Fatalf("schema version %d, want %d", v, len(steps))
	}
	for _, obj := range []string{"accounts", "sessions", "contacts", "user_names", "group_members",
		"messages", "messages_fts", "events", "dispatch_queue", "kv", "chat_log", "recalls",
		"redpackets", "group_changes"} {
		var n int
		if err := d.readers.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = ?`, obj).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%s missing after migration", obj)
		}
	}
	var mode string
	if err := d.writer.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk, sync int
	if err := d.writer.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
	if err := d.writer.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil || sync != 1 {
		t.Errorf("synchronous = %d, %v; want 1 (NORMAL)", sync, err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		st, err := os.Stat(d.Path() + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is readable by others: %v", d.Path()+suffix, st.Mode())
		}
	}
	var uv int
	if err := d.writer.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&uv); err != nil || uv != len(steps) {
		t.Errorf("user_version = %d, %v; want %d", uv, err, len(steps))
	}
}

func TestMigrateRerunIsNoop(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	d, err := Open(ctx, path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.KVSet(ctx, "main", "s", "k", `1`, 0); err != nil {
		t.Fatal(err)
	}
	var applied int
	d.writer.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied)
	d.Close()

	d, err = Open(ctx, path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var again int
	d.writer.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&again)
	if again != applied || applied == 0 {
		t.Errorf("migrations recorded: %d before reopen, %d after", applied, again)
	}
	if v, ok, err := d.KVGet(ctx, "main", "s", "k"); err != nil || !ok || v != "1" {
		t.Errorf("data lost on reopen: %q %v %v", v, ok, err)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	d, err := Open(ctx, path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.writer.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	d.Close()
	_, err = Open(ctx, path, quiet())
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer database: %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), "999") {
		t.Errorf("error does not say the version: %v", err)
	}
}

func TestMigrationsAppliedInOrderWithVersions(t *testing.T) {
	fsys := fstest.MapFS{
		"migrations/0002_second.sql": {Data: []byte("-- add b\nCREATE TABLE b (x INTEGER REFERENCES a (x));\n")},
		"migrations/0001_first.sql":  {Data: []byte("-- add a\nCREATE TABLE a (x INTEGER PRIMARY KEY);\n")},
	}
	steps, err := loadMigrations(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0].about != "add a" || steps[1].version != 2 {
		t.Fatalf("steps = %+v", steps)
	}
	// Start from a database whose version table was emptied, so the fake steps apply.
	d2, err := Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if _, err := d2.writer.Exec(`DELETE FROM schema_migrations`); err != nil {
		t.Fatal(err)
	}
	if err := d2.migrateTo(context.Background(), steps); err != nil {
		t.Fatal(err)
	}
	var names string
	d2.writer.QueryRow(`SELECT group_concat(name, ',') FROM (SELECT name FROM schema_migrations ORDER BY version)`).Scan(&names)
	if names != "0001_first.sql,0002_second.sql" {
		t.Errorf("recorded %q", names)
	}

	for name, body := range map[string]string{
		"migrations/0001_nocomment.sql": "CREATE TABLE a (x);",
		"migrations/first.sql":          "-- x\nSELECT 1;",
	} {
		if _, err := loadMigrations(fstest.MapFS{name: {Data: []byte(body)}}); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := loadMigrations(fstest.MapFS{"migrations/0002_gap.sql": {Data: []byte("-- x\nSELECT 1;")}}); err == nil {
		t.Error("a gap in versions accepted")
	}
}
