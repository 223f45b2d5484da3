package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
	"github.com/sirupsen/logrus"

	"qunguan/wx"
)

var _ wx.SessionStore = (*DB)(nil)

// Options tune the store. The zero value is usable: every field says its default.
type Options struct {
	// Logger receives the store's log lines (with field module=db). Default: logrus's
	// standard logger.
	Logger logrus.FieldLogger
	// BusyTimeout is how long a connection waits for a lock held by another process (the CLI
	// reading while the daemon writes) before failing. Default 5 s.
	BusyTimeout time.Duration
	// ReadConns is the size of the read pool. Default 4.
	ReadConns int
	// QueryRowLimit caps the rows ReadOnlyQuery returns (more is ErrRowLimit). Default 1000.
	QueryRowLimit int
	// QueryTimeout is ReadOnlyQuery's deadline when the context has none shorter. Default 2 s.
	QueryTimeout time.Duration
	// Now is the clock, for tests. Default time.Now.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = logrus.StandardLogger()
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.ReadConns <= 0 {
		o.ReadConns = 4
	}
	if o.QueryRowLimit <= 0 {
		o.QueryRowLimit = 1000
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// DB is the store: one SQLite file, one writer connection, a read pool and a locked-down
// connection for scripts' queries. Its methods are safe for concurrent use; writes are
// serialised on the single writer connection.
type DB struct {
	path    string
	opts    Options
	log     *logrus.Entry
	writer  *sql.DB // exactly one connection: every write goes through it
	readers *sql.DB // mode=ro, query_only
	scripts *sql.DB // mode=ro, query_only, authorizer that allows reads only
}

// Open opens (creating if needed) the database at path, applies pending migrations and
// returns the store. A database written by a newer qunguan is refused with ErrSchemaTooNew.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	// The log and the saved cookies are private: create the file (and its directory) for the
	// owner only. SQLite gives the -wal and -shm files the same permissions.
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	f.Close()
	d := &DB{path: abs, opts: opts, log: opts.Logger.WithField("module", "db")}
	busy := opts.BusyTimeout.Milliseconds()

	// _txlock=immediate: a write transaction takes the write lock at BEGIN, so two processes
	// never both read-then-upgrade and deadlock into SQLITE_BUSY.
	d.writer = sql.OpenDB(connector{dsn: dsn(abs, "rwc",
		"_journal_mode=WAL", "_foreign_keys=1", "_synchronous=NORMAL",
		fmt.Sprintf("_busy_timeout=%d", busy), "_txlock=immediate", "_stmt_cache_size=64")})
	d.writer.SetMaxOpenConns(1)
	d.writer.SetMaxIdleConns(1)
	d.writer.SetConnMaxLifetime(0)
	d.writer.SetConnMaxIdleTime(0)

	if err := d.migrate(ctx); err != nil {
		d.writer.Close()
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}

	d.readers = sql.OpenDB(connector{dsn: dsn(abs, "ro",
		"_query_only=1", fmt.Sprintf("_busy_timeout=%d", busy), "_stmt_cache_size=32")})
	d.readers.SetMaxOpenConns(opts.ReadConns)
	d.readers.SetMaxIdleConns(opts.ReadConns)

	d.scripts = sql.OpenDB(connector{
		dsn:  dsn(abs, "ro", "_query_only=1", fmt.Sprintf("_busy_timeout=%d", busy)),
		hook: lockDown,
	})
	d.scripts.SetMaxOpenConns(2)
	d.scripts.SetMaxIdleConns(2)

	if err := d.readers.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("db: open %s: read pool: %w", path, err)
	}
	d.log.WithField("path", abs).Debug("database opened")
	return d, nil
}

// Close closes every connection. Calls in flight fail.
func (d *DB) Close() error {
	var first error
	for _, c := range []*sql.DB{d.scripts, d.readers, d.writer} {
		if c == nil {
			continue
		}
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return fmt.Errorf("db: close: %w", first)
	}
	return nil
}

// Path is the absolute path of the database file.
func (d *DB) Path() string { return d.path }

func (d *DB) now() time.Time { return d.opts.Now() }

// dsn builds a SQLite URI. The path is escaped so that '?', '#' and '%' in directory names
// cannot be read as URI syntax.
func dsn(path, mode string, params ...string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(filepath.ToSlash(path)) + "?mode=" + mode + "&" + strings.Join(params, "&")
}

// connector opens connections with our own driver value, so the package needs no global
// sql.Register and each pool can carry its own connect hook.
type connector struct {
	dsn  string
	hook func(*sqlite3.SQLiteConn) error
}

func (c connector) Connect(context.Context) (driver.Conn, error) {
	return c.Driver().Open(c.dsn)
}

func (c connector) Driver() driver.Driver { return &sqlite3.SQLiteDriver{ConnectHook: c.hook} }

// ms converts a time to the stored unix milliseconds; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS converts stored unix milliseconds back; 0 is the zero time.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}
