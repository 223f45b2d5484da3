package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded step: migrations/NNNN_name.sql, whose first line is a comment
// saying what the step does.
type migration struct {
	version int
	name    string
	about   string // the first line, without "-- "
	sql     string
}

// loadMigrations reads and checks the embedded steps: numbered 1, 2, 3… without gaps, each
// starting with a "-- " comment.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_what.sql", name)
		}
		b, err := fs.ReadFile(fsys, "migrations/"+name)
		if err != nil {
			return nil, err
		}
		text := string(b)
		first, _, _ := strings.Cut(text, "\n")
		if !strings.HasPrefix(first, "-- ") {
			return nil, fmt.Errorf("migration %s: first line must be a \"-- \" comment saying what it does", name)
		}
		ms = append(ms, migration{version: v, name: name, about: strings.TrimPrefix(first, "-- "), sql: text})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

const (
	createVersionTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT`
	selectSchemaVersion = `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`
	insertMigration     = `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`
)

// migrate brings the schema to the latest version, one transaction per step, so a crash
// between steps leaves a database at a recorded version. Another process migrating at the
// same time waits on the write lock and then finds the work done.
func (d *DB) migrate(ctx context.Context) error {
	steps, err := loadMigrations(migrationFiles)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return d.migrateTo(ctx, steps)
}

func (d *DB) migrateTo(ctx context.Context, steps []migration) error {
	if _, err := d.writer.ExecContext(ctx, createVersionTable); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for {
		done, err := d.migrateStep(ctx, steps)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// migrateStep applies the next pending step; done is true when there is none.
func (d *DB) migrateStep(ctx context.Context, steps []migration) (done bool, err error) {
	tx, err := d.writer.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, selectSchemaVersion).Scan(&v); err != nil {
		return false, fmt.Errorf("migrate: read version: %w", err)
	}
	if v > len(steps) {
		return false, fmt.Errorf("migrate: schema version %d, this binary knows up to %d: %w", v, len(steps), ErrSchemaTooNew)
	}
	if v == len(steps) {
		return true, nil
	}
	m := steps[v]
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("migrate: %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, insertMigration, m.version, m.name, d.now().UnixMilli()); err != nil {
		return false, fmt.Errorf("migrate: %s: %w", m.name, err)
	}
	// user_version mirrors the table for people poking at the file with sqlite3.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		return false, fmt.Errorf("migrate: %s: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migrate: %s: %w", m.name, err)
	}
	d.log.WithFields(logrus.Fields{"version": m.version, "step": m.about}).Info("database migrated")
	return false, nil
}

// SchemaVersion is the highest migration applied to the file.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := d.writer.QueryRowContext(ctx, selectSchemaVersion).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("db: schema version: %w", err)
	}
	return v, nil
}
