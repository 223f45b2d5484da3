package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// sqliteRecursive is SQLITE_RECURSIVE (a WITH RECURSIVE query), which go-sqlite3 does not
// export.
const sqliteRecursive = 33

// schemaPragmas describe the schema and take a table or index name as their argument;
// settingPragmas are read-only only without an argument (PRAGMA user_version = 9 writes).
var (
	schemaPragmas = map[string]bool{
		"table_info": true, "table_xinfo": true, "table_list": true, "index_list": true,
		"index_info": true, "index_xinfo": true, "foreign_key_list": true,
	}
	settingPragmas = map[string]bool{"user_version": true, "schema_version": true, "data_version": true}
)

// lockDown is the connect hook of the scripts' pool. The connection is already opened with
// mode=ro and query_only; on top of that no database may be attached (ATTACH could open any
// file on disk) and an authorizer refuses, at prepare time, every action that is not a read.
func lockDown(c *sqlite3.SQLiteConn) error {
	c.SetLimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
	c.RegisterAuthorizer(func(action int, arg1, arg2, _ string) int {
		switch action {
		case sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqliteRecursive:
			return sqlite3.SQLITE_OK
		case sqlite3.SQLITE_FUNCTION:
			if strings.EqualFold(arg2, "load_extension") {
				return sqlite3.SQLITE_DENY
			}
			return sqlite3.SQLITE_OK
		case sqlite3.SQLITE_PRAGMA:
			name := strings.ToLower(arg1)
			if schemaPragmas[name] || (arg2 == "" && settingPragmas[name]) {
				return sqlite3.SQLITE_OK
			}
		}
		return sqlite3.SQLITE_DENY
	})
	return nil
}

// ReadOnlyQuery runs one SQL query for a script (bot.db.query) and returns its rows as column
// → value maps (int64, float64, string, []byte for non-UTF-8 blobs, or nil). It can never
// write: it runs on a separate connection opened with mode=ro and query_only=ON, with ATTACH
// disabled and an authorizer that refuses every statement that is not a read (INSERT, UPDATE,
// DELETE, DROP, CREATE, ATTACH, PRAGMA with a value …: ErrReadOnly). It stops after
// Options.QueryTimeout and fails with ErrRowLimit beyond Options.QueryRowLimit rows.
func (d *DB) ReadOnlyQuery(ctx context.Context, query string, args ...any) ([]map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, d.opts.QueryTimeout)
	defer cancel()
	rows, err := d.scripts.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: read-only query: %w", readOnlyErr(err))
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("db: read-only query: %w", err)
	}
	var out []map[string]any
	for rows.Next() {
		if len(out) == d.opts.QueryRowLimit {
			return nil, fmt.Errorf("db: read-only query: more than %d rows: %w", d.opts.QueryRowLimit, ErrRowLimit)
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("db: read-only query: %w", err)
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			if b, ok := vals[i].([]byte); ok && utf8.Valid(b) {
				row[c] = string(b)
			} else {
				row[c] = vals[i]
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: read-only query: %w", readOnlyErr(err))
	}
	return out, nil
}

// readOnlyErr marks SQLite's refusals (authorizer, read-only file, query_only) as ErrReadOnly.
func readOnlyErr(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrAuth, sqlite3.ErrReadonly, sqlite3.ErrPerm:
			return fmt.Errorf("%w (%v)", ErrReadOnly, err)
		}
		if se.Code == sqlite3.ErrError && strings.Contains(se.Error(), "not authorized") {
			return fmt.Errorf("%w (%v)", ErrReadOnly, err)
		}
		if strings.Contains(se.Error(), "too many attached databases") {
			return fmt.Errorf("%w (%v)", ErrReadOnly, err)
		}
	}
	return err
}
