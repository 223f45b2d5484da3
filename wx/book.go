package wx

import (
	"sort"
	"sync"
	"time"
)

// Book is the contact book of one login: self, friends, official and special accounts, groups
// with their members. Contacts in it are never modified in place — an update stores a new
// *Contact — so a pointer read from the book stays valid and race-free forever.
type Book struct {
	mu     sync.RWMutex
	self   *Contact
	byUser map[string]*Contact
}

// NewBook returns an empty book.
func NewBook() *Book { return &Book{byUser: map[string]*Contact{}} }

// Self returns the logged-in account (nil before login).
func (b *Book) Self() *Contact {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.self
}

// Contact returns the contact with this UserName, or nil.
func (b *Book) Contact(userName string) *Contact {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.self != nil && userName == b.self.UserName {
		return b.self
	}
	return b.byUser[userName]
}

// Contacts returns every contact and group, sorted by UserName.
func (b *Book) Contacts() []*Contact {
	b.mu.RLock()
	out := make([]*Contact, 0, len(b.byUser))
	for _, c := range b.byUser {
		out = append(out, c)
	}
	b.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].UserName < out[j].UserName })
	return out
}

// Counts returns how many friends and groups the book holds.
func (b *Book) Counts() (friends, groups int) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, c := range b.byUser {
		switch {
		case c.IsGroup():
			groups++
		case c.IsFriend():
			friends++
		}
	}
	return friends, groups
}

// Find returns contacts whose remark, nickname or (for groups) name equals name.
func (b *Book) Find(name string) []*Contact {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []*Contact
	for _, c := range b.byUser {
		if c.RemarkName == name || c.NickName == name || c.UserName == name || c.RawID == name || (c.Alias != "" && c.Alias == name) {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserName < out[j].UserName })
	return out
}

// reset replaces the book's content after a (new) login.
func (b *Book) reset(self *Contact, contacts []*Contact) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.self = self
	b.byUser = make(map[string]*Contact, len(contacts))
	for _, c := range contacts {
		b.byUser[c.UserName] = c
	}
}

// begin starts a change set: lookups see the changes, the book only after commit. The sync
// loop applies a batch's contact changes this way so that a batch the handler refused leaves
// the book as it was, and its redelivery produces the same events again.
func (b *Book) begin() *bookTx {
	return &bookTx{book: b, changed: map[string]*Contact{}, removed: map[string]bool{}}
}

type bookTx struct {
	book    *Book
	self    *Contact
	changed map[string]*Contact
	removed map[string]bool
}

func (tx *bookTx) Self() *Contact {
	if tx.self != nil {
		return tx.self
	}
	return tx.book.Self()
}

func (tx *bookTx) Contact(userName string) *Contact {
	if tx.removed[userName] {
		return nil
	}
	if c, ok := tx.changed[userName]; ok {
		return c
	}
	return tx.book.Contact(userName)
}

func (tx *bookTx) put(c *Contact) {
	if s := tx.Self(); s != nil && c.UserName == s.UserName {
		tx.self = c
		return
	}
	delete(tx.removed, c.UserName)
	tx.changed[c.UserName] = c
}

func (tx *bookTx) remove(userName string) {
	delete(tx.changed, userName)
	tx.removed[userName] = true
}

func (tx *bookTx) commit() {
	b := tx.book
	b.mu.Lock()
	defer b.mu.Unlock()
	if tx.self != nil {
		b.self = tx.self
	}
	for u, c := range tx.changed {
		b.byUser[u] = c
	}
	for u := range tx.removed {
		delete(b.byUser, u)
	}
}

// upsert merges a contact as delivered (ModContactList, batchget) and returns the events the
// change implies: added, renamed, updated, members joined/left/renamed. A ModContactList group
// entry whose MemberList is shorter than MemberCount is partial (seen: 462 members, one
// listed): its members are not diffed, the caller re-fetches the group.
func (tx *bookTx) upsert(fresh *Contact, now time.Time) (events []Event, partial bool) {
	old := tx.Contact(fresh.UserName)
	if old != nil {
		// What the delivery leaves out, keep: raw ids learned earlier, members of a group
		// entry that came without a list, self's name in the group.
		if fresh.RawID == "" {
			fresh.RawID = old.RawID
		}
		if fresh.EncryChatRoomID == "" {
			fresh.EncryChatRoomID = old.EncryChatRoomID
		}
		if fresh.IsGroup() && len(fresh.Members) == 0 {
			fresh.Members = old.Members
			fresh.SelfDisplayName = old.SelfDisplayName
			if fresh.MemberCount == 0 {
				fresh.MemberCount = old.MemberCount
			}
			if fresh.OwnerUserName == "" {
				fresh.OwnerUserName = old.OwnerUserName
				fresh.IsOwner = old.IsOwner
			}
		}
	}
	partial = fresh.IsGroup() && len(fresh.Members) > 0 && fresh.MemberCount > len(fresh.Members)
	if partial && old != nil {
		fresh.Members, fresh.SelfDisplayName = old.Members, old.SelfDisplayName
	}
	tx.put(fresh)
	if old == nil {
		if !fresh.IsSpecial() {
			events = append(events, &ContactEvent{Change: ContactAdded, Contact: fresh.Peer(), Time: now})
		}
		return events, partial
	}
	switch {
	case fresh.IsGroup() && old.NickName != fresh.NickName:
		events = append(events, &ContactEvent{Change: GroupRenamed, Contact: fresh.Peer(), OldName: old.NickName, Time: now})
	case !fresh.IsGroup() && profileChanged(old, fresh):
		events = append(events, &ContactEvent{Change: ContactUpdated, Contact: fresh.Peer(), OldName: old.NickName, Time: now})
	}
	if fresh.IsGroup() && !partial && len(old.Members) > 0 {
		events = append(events, diffMembers(fresh, old.Members, fresh.Members, now)...)
	}
	return events, partial
}

func profileChanged(a, b *Contact) bool {
	return a.NickName != b.NickName || a.RemarkName != b.RemarkName || a.Signature != b.Signature ||
		a.Alias != b.Alias || a.Province != b.Province || a.City != b.City || a.Sex != b.Sex ||
		a.ContactFlag != b.ContactFlag
}

// diffMembers finds joins, leaves and display-name changes. Leaves are visible only this way:
// the service shows no notice when someone leaves.
func diffMembers(group *Contact, before, after []Member, now time.Time) []Event {
	prev := make(map[string]*Member, len(before))
	for i := range before {
		prev[before[i].UserName] = &before[i]
	}
	gp := group.Peer()
	var events []Event
	for i := range after {
		m := &after[i]
		old, ok := prev[m.UserName]
		switch {
		case !ok:
			events = append(events, &MemberEvent{Change: MemberJoined, Group: gp, Member: m.peer(), Time: now})
		case old.DisplayName != m.DisplayName:
			events = append(events, &MemberEvent{Change: MemberDisplayNameChanged, Group: gp, Member: m.peer(), OldDisplayName: old.DisplayName, Time: now})
		}
		delete(prev, m.UserName)
	}
	// Leaves in the order the old list had them, for stable output.
	for i := range before {
		if m, ok := prev[before[i].UserName]; ok {
			events = append(events, &MemberEvent{Change: MemberLeft, Group: gp, Member: m.peer(), Time: now})
		}
	}
	return events
}

func (m *Member) peer() Peer {
	return Peer{UserName: m.UserName, NickName: m.NickName, DisplayName: m.DisplayName}
}
