package wx

import "time"

// Event is anything a Batch reports: *Message, *MemberEvent, *ContactEvent, *LoginEvent or
// *LogoutEvent. Events are values built once and never changed after they are handed on.
type Event interface{ eventTime() time.Time }

func (m *Message) eventTime() time.Time      { return m.Time }
func (e *MemberEvent) eventTime() time.Time  { return e.Time }
func (e *ContactEvent) eventTime() time.Time { return e.Time }
func (e *LoginEvent) eventTime() time.Time   { return e.Time }
func (e *LogoutEvent) eventTime() time.Time  { return e.Time }

// MemberChange says what happened to a group member.
type MemberChange string

// Member changes, found by diffing a group's member list (leaves are visible only this way).
const (
	MemberJoined             MemberChange = "joined"
	MemberLeft               MemberChange = "left"
	MemberDisplayNameChanged MemberChange = "display_name_changed"
)

// MemberEvent fires when a group's member list, as delivered by ModContactList or a batch
// lookup, differs from the one the client knew: a member joined, left, or changed the name
// they show in that group.
type MemberEvent struct {
	Change         MemberChange `json:"change"`
	Group          Peer         `json:"group"`
	Member         Peer         `json:"member"`
	OldDisplayName string       `json:"old_display_name,omitempty"`
	Time           time.Time    `json:"time"`
}

// ContactChange says what happened to a contact or group.
type ContactChange string

// Contact changes, from ModContactList and DelContactList.
const (
	ContactAdded   ContactChange = "added"   // a new friend, or a group newly joined or saved
	ContactUpdated ContactChange = "updated" // nickname, remark, signature… changed
	ContactRemoved ContactChange = "removed" // deleted, or self left / was removed from the group
	GroupRenamed   ContactChange = "renamed" // a group's NickName changed
)

// ContactEvent fires when the contact book changes.
type ContactEvent struct {
	Change  ContactChange `json:"change"`
	Contact Peer          `json:"contact"`
	OldName string        `json:"old_name,omitempty"` // renamed: the previous NickName
	Time    time.Time     `json:"time"`
}

// LoginMethod says how a session was obtained.
type LoginMethod string

// Login methods, in the order the client tries them.
const (
	LoginHot  LoginMethod = "hot"  // resumed a saved session: no phone needed
	LoginPush LoginMethod = "push" // the phone confirmed a prompt
	LoginQR   LoginMethod = "qr"   // the phone scanned the QR code
)

// LoginEvent fires once the client is logged in and has loaded the contact book.
type LoginEvent struct {
	Self    Peer        `json:"self"`
	Uin     int64       `json:"uin"`
	Method  LoginMethod `json:"method"`
	Host    string      `json:"host"`
	Friends int         `json:"friends"`
	Groups  int         `json:"groups"`
	Time    time.Time   `json:"time"`
}

// LogoutEvent fires when the server ends the session (retcode 1100, 1101 or 1102) or the
// client logs out. Err is the protocol error (errors.Is with ErrLoggedOut, ErrSessionInvalid,
// ErrCookieInvalid), nil for a logout we asked for.
type LogoutEvent struct {
	Code   int       `json:"code"`
	Reason string    `json:"reason"` // in plain words: "logged out on the phone", …
	Err    error     `json:"-"`
	Time   time.Time `json:"time"`
}

// Batch is what one webwxsync (with its ContinueFlag pages) delivered, ready to be committed
// in one transaction. Run hands a Batch to the handler and uses Session.SyncKey only after the
// handler returned nil: a handler that fails sees the same messages again.
type Batch struct {
	// Account is the configured account name the client runs for.
	Account string
	// Uin is the logged-in account's permanent number.
	Uin int64
	// Events in arrival order: AddMsgList messages first, then the contact and member changes
	// that ModContactList and DelContactList implied. Duplicated deliveries are already dropped.
	Events []Event
	// Contacts are the contacts and groups whose attributes arrived in this batch (changed,
	// added, or looked up to resolve a sender), so the store can keep its UserName → stable id
	// map current. Group entries carry their member lists when a list arrived (or was looked
	// up) in this batch; a group without Members only had attributes change (its raw id):
	// its members are unchanged, not gone.
	Contacts []*Contact
	// Session is the session as it stands after this batch: the new SyncKey and cookies. The
	// store saves it in the same transaction as the messages.
	Session *Session
}
