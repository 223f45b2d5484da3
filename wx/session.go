package wx

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
)

// ErrNoSession is returned by SessionStore.LoadSession when nothing is saved for the account.
var ErrNoSession = errors.New("no saved session")

// SessionStore keeps what a hot login needs across restarts. The db package implements it; the
// store saves Batch.Session in the same transaction as the batch's messages, so the SyncKey on
// disk never runs ahead of the log.
type SessionStore interface {
	// LoadSession returns the saved session of the account, or ErrNoSession.
	LoadSession(ctx context.Context, account string) (*Session, error)
	// SaveSession replaces the saved session of the account.
	SaveSession(ctx context.Context, account string, s *Session) error
	// DeleteSession forgets the account's session (it was refused or ended).
	DeleteSession(ctx context.Context, account string) error
}

// Session is everything needed to resume a login without the phone (PROTOCOL.md §3.8).
type Session struct {
	Uin          int64       `json:"uin"`
	Host         string      `json:"host"` // API host of this login: wx2.qq.com, web.wechat.com, …
	Mode         string      `json:"mode,omitempty"`
	BaseRequest  BaseRequest `json:"base_request"`
	PassTicket   string      `json:"pass_ticket"` // as received: already URL-encoded
	Cookies      []Cookie    `json:"cookies"`
	SyncKey      SyncKey     `json:"sync_key"`
	SyncCheckKey SyncKey     `json:"sync_check_key"`
	SelfUserName string      `json:"self_user_name,omitempty"`
	SavedAt      time.Time   `json:"saved_at"`
}

// Clone returns a deep copy, so a Batch can carry the session while the client moves on.
func (s *Session) Clone() *Session {
	if s == nil {
		return nil
	}
	c := *s
	c.Cookies = append([]Cookie(nil), s.Cookies...)
	c.SyncKey.List = append([]KeyVal(nil), s.SyncKey.List...)
	c.SyncCheckKey.List = append([]KeyVal(nil), s.SyncCheckKey.List...)
	return &c
}

// Cookie is a cookie with its domain and path. Saving cookies without their domain is the
// classic hot-login bug: restored host-only, they never reach file.<host> or webpush.<host>.
type Cookie struct {
	Name     string    `json:"name"`
	Value    string    `json:"value"`
	Domain   string    `json:"domain"` // ".qq.com", ".wx2.qq.com", …
	Path     string    `json:"path"`
	Expires  time.Time `json:"expires,omitempty"`
	Secure   bool      `json:"secure,omitempty"`
	HTTPOnly bool      `json:"http_only,omitempty"`
}

// BaseRequest authenticates every JSON request (PROTOCOL.md §2.5).
type BaseRequest struct {
	Uin      int64  `json:"Uin"`
	Sid      string `json:"Sid"`
	Skey     string `json:"Skey"`
	DeviceID string `json:"DeviceID"`
}

// SyncKey is the sync cursor: webwxsync returns what happened after it.
type SyncKey struct {
	Count int      `json:"Count"`
	List  []KeyVal `json:"List"`
}

// KeyVal is one element of a SyncKey.
type KeyVal struct {
	Key int   `json:"Key"`
	Val int64 `json:"Val"`
}

// String renders the key the way synccheck's query wants it: Key_Val joined by '|'.
func (k SyncKey) String() string {
	var b strings.Builder
	for i, kv := range k.List {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(strconv.Itoa(kv.Key))
		b.WriteByte('_')
		b.WriteString(strconv.FormatInt(kv.Val, 10))
	}
	return b.String()
}

// IsZero reports whether the key is empty.
func (k SyncKey) IsZero() bool { return len(k.List) == 0 }
