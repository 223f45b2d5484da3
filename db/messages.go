package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"qunguan/wx"
)

// LoggedMessage is a message as the log has it.
type LoggedMessage struct {
	RowID      int64 // the log's row id: Tail's cursor
	Account    string
	MsgID      string
	NewMsgID   string
	ChatID     string // stable id
	ChatName   string // remark, else nickname, else the id
	SenderID   string // stable id; "" for notices without a sender
	SenderName string // remark, else display name in the group, else nickname
	Direction  Direction
	Origin     Origin
	Kind       wx.Kind
	MsgType    int
	Text       string
	Path       string    // local file for media we sent
	Time       time.Time // server time
	LoggedAt   time.Time
	// RecallOf is the row id of the recalled message, for recall notices whose original is in
	// the log (0 otherwise).
	RecallOf int64
	// Detail holds the kind-specific fields (url, file, location, amount, recall, notice …) as
	// JSON, nil when there are none.
	Detail json.RawMessage
	// Raw is the AddMsgList entry as received, without its empty members; filled only by
	// MessageByMsgID and Export.
	Raw json.RawMessage
}

const messageColumns = `m.id, m.account, m.msg_id, m.new_msg_id, COALESCE(m.chat_id, ''),
    COALESCE(NULLIF(c.remark, ''), NULLIF(c.nickname, ''), m.chat_id, ''),
    COALESCE(m.sender_id, ''),
    COALESCE(NULLIF(s.remark, ''), NULLIF(gm.display_name, ''), NULLIF(s.nickname, ''), m.sender_id, ''),
    m.direction, m.origin, m.kind, m.msg_type, m.text, m.path, m.created_at, m.logged_at,
    COALESCE(m.recall_of, 0), m.detail`

const messageJoins = `
LEFT JOIN contacts c ON c.account = m.account AND c.id = m.chat_id
LEFT JOIN contacts s ON s.account = m.account AND s.id = m.sender_id
LEFT JOIN group_members gm ON gm.account = m.account AND gm.group_id = m.chat_id AND gm.member_id = m.sender_id`

func scanMessage(sc interface{ Scan(...any) error }, withRaw bool) (LoggedMessage, error) {
	var m LoggedMessage
	var created, logged int64
	var detail, raw sql.NullString
	dest := []any{&m.RowID, &m.Account, &m.MsgID, &m.NewMsgID, &m.ChatID, &m.ChatName, &m.SenderID,
		&m.SenderName, &m.Direction, &m.Origin, &m.Kind, &m.MsgType, &m.Text, &m.Path, &created,
		&logged, &m.RecallOf, &detail}
	if withRaw {
		dest = append(dest, &raw)
	}
	if err := sc.Scan(dest...); err != nil {
		return m, err
	}
	m.Time, m.LoggedAt = fromMS(created), fromMS(logged)
	if detail.Valid {
		m.Detail = json.RawMessage(detail.String)
	}
	if raw.Valid {
		m.Raw = json.RawMessage(raw.String)
	}
	return m, nil
}

func (d *DB) queryMessages(ctx context.Context, withRaw bool, q string, args ...any) ([]LoggedMessage, error) {
	rows, err := d.readers.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LoggedMessage
	for rows.Next() {
		m, err := scanMessage(rows, withRaw)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

const selectByMsgID = `SELECT ` + messageColumns + `, m.raw FROM messages m` + messageJoins + `
WHERE m.account = ? AND m.msg_id = ?`

// MessageByMsgID returns the logged message with this MsgId (for a recall's ev.original), or
// ErrNotFound.
func (d *DB) MessageByMsgID(ctx context.Context, account, msgID string) (*LoggedMessage, error) {
	ms, err := d.queryMessages(ctx, true, selectByMsgID, account, msgID)
	if err != nil {
		return nil, fmt.Errorf("db: message %s: %w", msgID, err)
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("db: message %s: %w", msgID, ErrNotFound)
	}
	return &ms[0], nil
}

// Filter selects messages. Zero fields do not filter.
type Filter struct {
	Account   string
	ChatID    string // stable id (ResolveChat turns names into ids)
	SenderID  string // stable id
	Kind      wx.Kind
	Direction Direction
	Since     time.Time // inclusive, server time
	Until     time.Time // exclusive
	Limit     int       // 0: the method's default
}

// where renders the filter as SQL conditions on m.
func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg any) { conds, args = append(conds, cond), append(args, arg) }
	if f.Account != "" {
		// Unary +: never drive the scan by the (account, msg_id) index, which would then have to
		// sort every row of the account by id. Accounts are few; chat, time and rowid order
		// are what narrow a search.
		add("+m.account = ?", f.Account)
	}
	if f.ChatID != "" {
		add("m.chat_id = ?", f.ChatID)
	}
	if f.SenderID != "" {
		add("m.sender_id = ?", f.SenderID)
	}
	if f.Kind != "" {
		add("m.kind = ?", string(f.Kind))
	}
	if f.Direction != "" {
		add("m.direction = ?", string(f.Direction))
	}
	if !f.Since.IsZero() {
		add("m.created_at >= ?", f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		add("m.created_at < ?", f.Until.UnixMilli())
	}
	if len(conds) == 0 {
		return "1", nil
	}
	return strings.Join(conds, " AND "), args
}

// SearchQuery is a full-text search with filters.
type SearchQuery struct {
	Filter
	// Text is searched as a literal substring of the message text, case-insensitively for
	// ASCII. "" lists the filtered messages.
	Text string
}

// Search limits.
const (
	DefaultSearchLimit = 50
	MaxSearchLimit     = 10000
)

// The search plans. With three or more characters the trigram index answers: the FTS table
// drives the loop in descending rowid order (which the FTS5 module delivers without sorting),
// each hit is joined to its message and filtered, and the loop stops at LIMIT. Shorter text
// cannot use trigrams and is a LIKE scan, newest first, also stopping at LIMIT.
const (
	searchFTS = `SELECT ` + messageColumns + `
FROM messages_fts f CROSS JOIN messages m ON m.id = f.rowid` + messageJoins + `
WHERE messages_fts MATCH ? AND %s
ORDER BY f.rowid DESC LIMIT ?`
	searchLike = `SELECT ` + messageColumns + `
FROM messages m` + messageJoins + `
WHERE m.text LIKE ? ESCAPE '\' AND %s
ORDER BY m.id DESC LIMIT ?`
	searchAll = `SELECT ` + messageColumns + `
FROM messages m` + messageJoins + `
WHERE %s
ORDER BY m.id DESC LIMIT ?`
)

// Search finds messages whose text contains q.Text, newest first (in the order they were
// logged), at most q.Limit (default 50). The text is always a literal: quotes, *, AND, - and
// the like have no query meaning.
func (d *DB) Search(ctx context.Context, q SearchQuery) ([]LoggedMessage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	limit = min(limit, MaxSearchLimit)
	// SQLite strings end at NUL: a NUL in the query would cut it, and could unbalance quotes.
	if text := strings.ReplaceAll(q.Text, "\x00", ""); text != q.Text {
		if text == "" {
			return nil, nil
		}
		q.Text = text
	}
	where, args := q.where()
	var query string
	switch {
	case q.Text == "":
		query = fmt.Sprintf(searchAll, where)
	case utf8.RuneCountInString(q.Text) >= 3:
		query = fmt.Sprintf(searchFTS, where)
		args = append([]any{ftsPhrase(q.Text)}, args...)
	default:
		query = fmt.Sprintf(searchLike, where)
		args = append([]any{"%" + likeEscape(q.Text) + "%"}, args...)
	}
	args = append(args, limit)
	out, err := d.queryMessages(ctx, false, query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: search %q: %w", q.Text, err)
	}
	return out, nil
}

// ftsPhrase quotes text as one FTS5 string, so that user input is a literal substring and can
// never be read as query syntax.
func ftsPhrase(text string) string {
	return `"` + strings.ReplaceAll(text, `"`, `""`) + `"`
}

// likeEscape escapes LIKE's wildcards for ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

const tailQuery = `SELECT ` + messageColumns + `
FROM messages m` + messageJoins + `
WHERE m.id > ? AND (? = '' OR m.account = ?)
ORDER BY m.id LIMIT ?`

// Tail returns up to limit messages logged after row afterRowID, oldest first (for
// `log tail -f`: pass the last RowID seen). account "" means every account.
func (d *DB) Tail(ctx context.Context, account string, afterRowID int64, limit int) ([]LoggedMessage, error) {
	if limit <= 0 {
		limit = 100
	}
	out, err := d.queryMessages(ctx, false, tailQuery, afterRowID, account, account, limit)
	if err != nil {
		return nil, fmt.Errorf("db: tail: %w", err)
	}
	return out, nil
}

// LastRowID is the newest message's row id (0 for an empty log): where `log tail -f` starts.
func (d *DB) LastRowID(ctx context.Context) (int64, error) {
	var id int64
	if err := d.readers.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM messages`).Scan(&id); err != nil {
		return 0, fmt.Errorf("db: last row id: %w", err)
	}
	return id, nil
}

// StatsBy is how Stats groups messages.
type StatsBy string

// Groupings.
const (
	ByDay    StatsBy = "day" // local calendar day, YYYY-MM-DD
	ByChat   StatsBy = "chat"
	BySender StatsBy = "sender"
	ByKind   StatsBy = "kind"
)

// Stat is one group of Stats.
type Stat struct {
	Key   string // the day, stable id or kind
	Name  string // chat or sender name; the key otherwise
	Count int64
	First time.Time
	Last  time.Time
}

const statsQuery = `SELECT %s AS k, %s, COUNT(*), MIN(m.created_at), MAX(m.created_at)
FROM messages m
LEFT JOIN contacts c ON c.account = m.account AND c.id = %s
WHERE %s
GROUP BY k ORDER BY %s`

// Stats counts the filtered messages by day, chat, sender or kind: days in calendar order,
// the rest by count, largest first. Filter.Limit caps the number of groups.
func (d *DB) Stats(ctx context.Context, f Filter, by StatsBy) ([]Stat, error) {
	var key, name, join, order string
	const named = "COALESCE(NULLIF(MAX(c.remark), ''), NULLIF(MAX(c.nickname), ''), %s)"
	switch by {
	case ByDay:
		key = "strftime('%Y-%m-%d', m.created_at / 1000, 'unixepoch', 'localtime')"
		name, join, order = key, "NULL", "k"
	case ByChat:
		key, join, order = "COALESCE(m.chat_id, '')", "m.chat_id", "COUNT(*) DESC, k"
		name = fmt.Sprintf(named, key)
	case BySender:
		key, join, order = "COALESCE(m.sender_id, '')", "m.sender_id", "COUNT(*) DESC, k"
		name = fmt.Sprintf(named, key)
	case ByKind:
		key, join, order = "m.kind", "NULL", "COUNT(*) DESC, k"
		name = key
	default:
		return nil, fmt.Errorf("db: stats by %q: want day, chat, sender or kind: %w", by, ErrInvalidArgument)
	}
	where, args := f.where()
	q := fmt.Sprintf(statsQuery, key, name, join, where, order)
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := d.readers.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("db: stats: %w", err)
	}
	defer rows.Close()
	var out []Stat
	for rows.Next() {
		var s Stat
		var first, last int64
		if err := rows.Scan(&s.Key, &s.Name, &s.Count, &first, &last); err != nil {
			return nil, fmt.Errorf("db: stats: %w", err)
		}
		s.First, s.Last = fromMS(first), fromMS(last)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: stats: %w", err)
	}
	return out, nil
}

// Recall is a recall notice with the message it took back, when the log has it.
type Recall struct {
	Notice   LoggedMessage  // the recall (kind recall): who, when, where
	Original *LoggedMessage // nil when the recalled message is not in the log
}

const selectByRowID = `SELECT ` + messageColumns + ` FROM messages m` + messageJoins + ` WHERE m.id = ?`

// Recalls lists recall notices, newest first (default limit 50), each with its original.
// Filter.Kind is ignored.
func (d *DB) Recalls(ctx context.Context, f Filter) ([]Recall, error) {
	f.Kind = wx.KindRecall
	notices, err := d.Search(ctx, SearchQuery{Filter: f})
	if err != nil {
		return nil, fmt.Errorf("db: recalls: %w", errors.Unwrap(err))
	}
	out := make([]Recall, len(notices))
	for i, n := range notices {
		out[i].Notice = n
		if n.RecallOf == 0 {
			continue
		}
		orig, err := d.queryMessages(ctx, false, selectByRowID, n.RecallOf)
		if err != nil {
			return nil, fmt.Errorf("db: recalls: %w", err)
		}
		if len(orig) == 1 {
			out[i].Original = &orig[0]
		}
	}
	return out, nil
}

// RedPackets lists red packet messages, newest first (default limit 50). Filter.Kind is
// ignored.
func (d *DB) RedPackets(ctx context.Context, f Filter) ([]LoggedMessage, error) {
	f.Kind = wx.KindRedPacket
	out, err := d.Search(ctx, SearchQuery{Filter: f})
	if err != nil {
		return nil, fmt.Errorf("db: red packets: %w", errors.Unwrap(err))
	}
	return out, nil
}

const exportQuery = `SELECT ` + messageColumns + `, m.raw FROM messages m` + messageJoins + `
WHERE %s ORDER BY m.id`

// Export streams the filtered messages, oldest first, with their raw JSON, to fn without
// holding them in memory; it reads one consistent snapshot while the daemon keeps writing. An
// error from fn stops the export and is returned. Filter.Limit 0 means no limit.
func (d *DB) Export(ctx context.Context, f Filter, fn func(LoggedMessage) error) error {
	where, args := f.where()
	q := fmt.Sprintf(exportQuery, where)
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := d.readers.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("db: export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMessage(rows, true)
		if err != nil {
			return fmt.Errorf("db: export: %w", err)
		}
		if err := fn(m); err != nil {
			return fmt.Errorf("db: export: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: export: %w", err)
	}
	return nil
}

// Message rebuilds the wx.Message the log holds (for the engine's History: a recall's
// ev.original, bot.db.search). Peers carry stable ids and names, not UserNames; kind-specific
// fields come back from Detail.
func (m LoggedMessage) Message() *wx.Message {
	out := &wx.Message{
		MsgID: m.MsgID, NewMsgID: m.NewMsgID, Kind: m.Kind, Time: m.Time, Text: m.Text,
		MsgType: m.MsgType, IsSelf: m.Direction == Out, Echo: m.Origin == OriginBot, Raw: m.Raw,
		Chat:   wx.Peer{ID: m.ChatID, NickName: m.ChatName, IsGroup: strings.HasPrefix(m.ChatID, "g")},
		Sender: wx.Peer{ID: m.SenderID, NickName: m.SenderName, IsSelf: m.Direction == Out},
	}
	if len(m.Detail) > 0 {
		var d messageDetail
		if json.Unmarshal(m.Detail, &d) == nil {
			out.AppMsgType, out.SubMsgType, out.Mentioned, out.Mentions = d.AppMsgType, d.SubMsgType, d.Mentioned, d.Mentions
			out.URL, out.Title, out.Description, out.Media, out.File = d.URL, d.Title, d.Description, d.Media, d.File
			out.Location, out.Card, out.MiniProgram, out.Amount = d.Location, d.Card, d.MiniProgram, d.Amount
			out.Recall, out.Notice, out.FriendRequest, out.OwnerActivity = d.Recall, d.Notice, d.FriendRequest, d.OwnerActivity
		}
	}
	return out
}
