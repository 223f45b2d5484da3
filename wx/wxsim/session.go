package wxsim

import (
	"strconv"
	"strings"
	"time"
)

type entryKind uint8

const (
	entryMsg entryKind = iota // AddMsgList
	entryMod                  // ModContactList
	entryDel                  // DelContactList
)

// Selectors synccheck reports for the first undelivered entry (PROTOCOL.md §5.2).
const (
	selMessage = 2
	selProfile = 4
	selContact = 6 // contact added/deleted; bots also read it as "maybe a red packet"
	selOwner   = 7
)

// entry is one event of a session's log, rendered once with the session's UserNames so
// that webwxsync only concatenates bytes.
type entry struct {
	kind     entryKind
	selector int
	data     []byte
	msgID    string // entryMsg: for OnUnfetched
}

// session is one login: QR or push login creates it, hot login resumes it, logout or a
// kick ends it. Its log is append-only and indexed by an absolute cursor: the SyncKey
// encodes that cursor, so an old key replays everything after it.
type session struct {
	ids     *idGen
	created time.Time

	sid        string
	skey       string
	passTicket string // as handed out: URL-encoded
	dataTicket string
	authTicket string
	uvid       string

	names   map[*contact]string
	byName  map[string]*contact
	encry   map[*contact]string // EncryChatRoomId per group
	keyBase int64               // SyncKey values are keyBase + cursor

	entries []entry
	base    int // absolute cursor of entries[0]; older entries were trimmed
	acked   int // cursor the last webwxsync answer handed out
	wake    chan struct{}
	ended   int // 0 while alive, else the retcode every call now gets

	sent      map[string]sentMsg // MsgID → own send, for webwxrevokemsg
	uploads   map[string]*upload
	redeliver []entry // duplicate-delivery fault: a page to deliver once more
}

// sentMsg is what webwxrevokemsg needs of an earlier send.
type sentMsg struct {
	at   time.Time
	chat *contact
}

func newSession(ids *idGen, w *world, now time.Time) *session {
	s := &session{
		ids:        ids,
		created:    now,
		sid:        ids.sid(),
		skey:       ids.skey(),
		passTicket: ids.passTicket(),
		dataTicket: ids.base64(36),
		authTicket: ids.base64(96),
		uvid:       ids.hex(32),
		names:      make(map[*contact]string, len(w.contacts)),
		byName:     make(map[string]*contact, len(w.contacts)),
		encry:      make(map[*contact]string),
		keyBase:    600_000_000 + ids.r.Int64N(100_000_000),
		sent:       make(map[string]sentMsg),
		uploads:    make(map[string]*upload),
	}
	// Every contact gets its fresh name now, in world order, so a seed reproduces them.
	for _, c := range w.contacts {
		s.userName(c)
	}
	return s
}

// userName is c's name in this login, made on first use for contacts that appear later.
func (s *session) userName(c *contact) string {
	if c.kind == kindSpecial {
		return c.raw
	}
	if n, ok := s.names[c]; ok {
		return n
	}
	n := s.ids.userName(c.isGroup())
	s.names[c] = n
	s.byName[n] = c
	return n
}

func (s *session) contactByName(name string, w *world) *contact {
	switch name {
	case w.filehelper.raw:
		return w.filehelper
	case w.fmessage.raw:
		return w.fmessage
	}
	return s.byName[name]
}

func (s *session) encryID(g *contact) string {
	if id, ok := s.encry[g]; ok {
		return id
	}
	id := "@" + s.ids.hex(32)
	s.encry[g] = id
	return id
}

func (s *session) end() int { return s.base + len(s.entries) }

func (s *session) at(cursor int) entry { return s.entries[cursor-s.base] }

// clamp maps a client's cursor into the log: keys from the future are treated as
// current, keys older than the trimmed backlog replay from the oldest kept entry.
func (s *session) clamp(cursor int) int {
	return max(s.base, min(cursor, s.end()))
}

func (s *session) append(e entry, maxBacklog int) {
	if s.ended != 0 {
		return
	}
	s.entries = append(s.entries, e)
	if len(s.entries) > maxBacklog {
		drop := len(s.entries) / 2
		s.entries = append(s.entries[:0:0], s.entries[drop:]...)
		s.base += drop
	}
	s.signal()
}

// signal wakes long polls; the channel exists only while someone waits, so the
// per-message path allocates nothing.
func (s *session) signal() {
	if s.wake != nil {
		close(s.wake)
		s.wake = nil
	}
}

func (s *session) waitChan() chan struct{} {
	if s.wake == nil {
		s.wake = make(chan struct{})
	}
	return s.wake
}

func (s *session) finish(retcode int) {
	if s.ended == 0 {
		s.ended = retcode
		s.signal()
	}
}

// syncKey encodes a cursor. Keys 1, 2, 3 and 11 all carry it (messages and contacts
// share one log); the time-like keys are decoration clients must replay, not read.
func (s *session) syncKey(cursor int, now time.Time, full bool) syncKey {
	v := s.keyBase + int64(cursor)
	if !full {
		return syncKey{Count: 4, List: []keyVal{{1, v}, {2, v}, {3, v}, {1000, s.created.Unix()}}}
	}
	return syncKey{Count: 7, List: []keyVal{{1, v}, {2, v}, {3, v}, {11, v}, {201, now.Unix()},
		{1000, s.created.Unix()}, {1001, now.Unix()}}}
}

// cursorOf decodes key 1 of a SyncKey; without it the client gets what it has not acked.
func (s *session) cursorOf(keys map[int64]int64) int {
	v, ok := keys[1]
	if !ok {
		return s.acked
	}
	return s.clamp(int(v - s.keyBase))
}

// parseSyncCheckKey reads synccheck's "1_698325105|2_698325111|…".
func parseSyncCheckKey(q string) map[int64]int64 {
	keys := make(map[int64]int64)
	for len(q) > 0 {
		var part string
		part, q, _ = strings.Cut(q, "|")
		k, v, ok := strings.Cut(part, "_")
		if !ok {
			continue
		}
		kn, err1 := strconv.ParseInt(k, 10, 64)
		vn, err2 := strconv.ParseInt(v, 10, 64)
		if err1 == nil && err2 == nil {
			keys[kn] = vn
		}
	}
	return keys
}
