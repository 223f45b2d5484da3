package engine

import (
	"context"
	"errors"
	"time"

	"qunguan/wx"
)

// Errors callers branch on. Action errors reach scripts as the second return value (nil, "…"),
// so their text is written for the script author.
var (
	// ErrClosed is returned by Dispatch, DispatchSync, Reload and Sync once Run has returned.
	ErrClosed = errors.New("engine: closed")
	// ErrNotFound means a chat, contact or group named by a script does not exist. History and
	// Contacts implementations return it (wrapped or not) for "no such message/contact".
	ErrNotFound = errors.New("not found")
	// ErrAmbiguous means a name given to bot.send & co. matches more than one contact.
	ErrAmbiguous = errors.New("ambiguous name")
	// ErrUnsupported is what an implementation returns for an operation it cannot do (for
	// example bot.db.query inside script tests).
	ErrUnsupported = errors.New("not supported here")
	// ErrDeadline marks a handler stopped because it ran past Options.HandlerTimeout.
	ErrDeadline = errors.New("handler deadline exceeded")
)

// Outgoing is one message a script wants sent. Exactly one of Text, ImagePath, FilePath is set.
type Outgoing struct {
	ChatID    string   // stable id of the chat (friend or group)
	Text      string   // text message
	ImagePath string   // image to upload and send
	FilePath  string   // file to upload and send
	AtIDs     []string // stable ids of group members to @-mention in front of Text
	Script    string   // the script that asked, for logging and rate accounting
}

// Sender carries out the actions scripts ask for. The engine calls it on its loop goroutine,
// so every method must return quickly: validate, queue to the outbox, return. An error is
// shown to the script (as nil, err) — for example the group is not owned by the bot.
type Sender interface {
	Send(ctx context.Context, out Outgoing) error
	Kick(ctx context.Context, groupID string, memberIDs []string) error
	Invite(ctx context.Context, groupID string, memberIDs []string) error
	RenameGroup(ctx context.Context, groupID, name string) error
	AcceptFriend(ctx context.Context, req wx.FriendRequest, remark string) error
	SetRemark(ctx context.Context, contactID, remark string) error
}

// SearchOptions narrows History.Search.
type SearchOptions struct {
	ChatID string    // "" = every chat
	Since  time.Time // zero = no lower bound
	Limit  int       // 0 = the implementation's default
}

// History is read-only access to the chat log.
type History interface {
	// Original returns the message with this MsgID as logged earlier (for recalls), or an error
	// wrapping ErrNotFound.
	Original(ctx context.Context, msgID string) (*wx.Message, error)
	// Search finds messages whose text contains q, newest first.
	Search(ctx context.Context, q string, opts SearchOptions) ([]*wx.Message, error)
	// Query runs one SQL statement and returns its rows keyed by column name. It must run
	// read-only (the implementation's job: a query_only connection, not string checks).
	Query(ctx context.Context, sql string, args ...any) ([]map[string]any, error)
}

// KV is the persistent key-value store behind bot.store. Keys are namespaced by script name;
// values are JSON text. A ttl of 0 means no expiry.
type KV interface {
	Get(ctx context.Context, script, key string) (value string, ok bool, err error)
	Set(ctx context.Context, script, key, value string, ttl time.Duration) error
	// Incr adds delta to the integer stored at key (missing = 0) and returns the new value.
	Incr(ctx context.Context, script, key string, delta int64, ttl time.Duration) (int64, error)
	Delete(ctx context.Context, script, key string) error
}

// Contacts is the contact book, with stable ids.
type Contacts interface {
	// Contacts lists friends and groups.
	Contacts(ctx context.Context) ([]wx.Peer, error)
	// Find returns the contacts or groups whose stable id, remark, nickname or alias equals
	// name; several when the name is ambiguous, none when unknown.
	Find(ctx context.Context, name string) ([]wx.Peer, error)
	// Members lists a group's members (the bot included, with IsSelf set).
	Members(ctx context.Context, groupID string) ([]wx.Peer, error)
}

// Clock is the engine's source of time. Schedules, bot.sleep, cooldowns, os.time and
// owner-activity windows use it; handler deadlines do not (they bound real CPU time).
type Clock interface {
	Now() time.Time
	// AfterFunc calls f on its own goroutine after d. f must not block for long.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop prevents the call if it has not happened yet; it reports whether it did.
	Stop() bool
}
