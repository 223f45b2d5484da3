package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"qunguan/wx"
)

// ContactKind is what a contact is.
type ContactKind string

// Contact kinds.
const (
	KindSelf     ContactKind = "self"
	KindPerson   ContactKind = "person"
	KindOfficial ContactKind = "official"
	KindSpecial  ContactKind = "special"
	KindGroup    ContactKind = "group"
)

// Contact is an entry of the contact book: a person, official or special account, group, or
// self, under its stable id.
type Contact struct {
	ID   string      // stable id: u<uin>, c<N>, g<N> or the special name
	Kind ContactKind // self, person, official, special, group
	// UserName is the latest wire name. It is usable to send only when Current is true: it
	// belongs to the current login.
	UserName string
	Current  bool

	RawID       string
	NickName    string
	RemarkName  string
	Alias       string
	Sex         int // 0 unknown, 1 male, 2 female
	Province    string
	City        string
	Signature   string
	IsFriend    bool
	MemberCount int // groups
	IsOwner     bool
	FirstSeen   time.Time
	LastSeen    time.Time
	Removed     bool // deleted, or self left the group
}

// Name is how a person refers to the contact: remark, else nickname, else the stable id.
func (c Contact) Name() string {
	switch {
	case c.RemarkName != "":
		return c.RemarkName
	case c.NickName != "":
		return c.NickName
	}
	return c.ID
}

// IsGroup reports whether the contact is a group.
func (c Contact) IsGroup() bool { return c.Kind == KindGroup }

func (c Contact) describe() string {
	var parts []string
	parts = append(parts, string(c.Kind))
	if c.NickName != "" {
		parts = append(parts, "nickname "+c.NickName)
	}
	if c.RemarkName != "" {
		parts = append(parts, "remark "+c.RemarkName)
	}
	if c.Province != "" || c.City != "" {
		parts = append(parts, strings.TrimSpace(c.Province+" "+c.City))
	}
	if !c.LastSeen.IsZero() {
		parts = append(parts, "last seen "+c.LastSeen.Format("2006-01-02"))
	}
	return strings.Join(parts, ", ")
}

// contactColumns is selected with the current login generation as the only parameter.
const contactColumns = `c.id, c.kind, c.user_name, c.login_gen = a.login_gen AND c.user_name <> '', c.raw_id,
    c.nickname, c.remark, c.alias, c.sex, c.province, c.city, c.signature, c.is_friend,
    c.member_count, c.is_owner, c.first_seen, c.last_seen, c.removed_at IS NOT NULL`

const contactFrom = ` FROM contacts c JOIN accounts a ON a.name = c.account `

func scanContact(sc interface{ Scan(...any) error }) (Contact, error) {
	var c Contact
	var first, last int64
	err := sc.Scan(&c.ID, &c.Kind, &c.UserName, &c.Current, &c.RawID, &c.NickName, &c.RemarkName,
		&c.Alias, &c.Sex, &c.Province, &c.City, &c.Signature, &c.IsFriend, &c.MemberCount,
		&c.IsOwner, &first, &last, &c.Removed)
	c.FirstSeen, c.LastSeen = fromMS(first), fromMS(last)
	if c.Kind == KindSpecial {
		c.UserName, c.Current = c.ID, true // fixed names never change
	}
	return c, err
}

func (d *DB) queryContacts(ctx context.Context, q string, args ...any) ([]Contact, error) {
	rows, err := d.readers.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ChatRef is a chat that ResolveChat found, with how the name matched.
type ChatRef struct {
	Contact
	MatchedBy string // "id", "raw_id", "alias", "remark", "nickname", "special"
}

const (
	resolveByID       = `SELECT ` + contactColumns + contactFrom + `WHERE c.account = ? AND c.id = ?`
	resolveByRawID    = `SELECT ` + contactColumns + contactFrom + `WHERE c.account = ? AND c.raw_id = ? ORDER BY c.id`
	resolveByAlias    = `SELECT ` + contactColumns + contactFrom + `WHERE c.account = ? AND c.alias = ? ORDER BY c.id`
	resolveByRemark   = `SELECT ` + contactColumns + contactFrom + `WHERE c.account = ? AND c.remark = ? ORDER BY c.id`
	resolveByNickname = `SELECT ` + contactColumns + contactFrom + `WHERE c.account = ? AND c.nickname = ? ORDER BY c.id`
)

// ResolveChat finds the chat a person or script names: by stable id, raw id, Alias, remark,
// then nickname or group name, the first rule that matches anything deciding. Removed
// contacts count only when nothing else matches. Several matches are an *AmbiguousError
// (errors.Is ErrAmbiguous) listing the candidates; none is ErrNotFound. Special accounts
// (filehelper, …) resolve even before they were ever seen.
func (d *DB) ResolveChat(ctx context.Context, account, nameOrID string) (*ChatRef, error) {
	name := strings.TrimSpace(nameOrID)
	if name == "" {
		return nil, fmt.Errorf("db: resolve chat: empty name: %w", ErrInvalidArgument)
	}
	for _, r := range []struct{ q, by string }{
		{resolveByID, "id"}, {resolveByRawID, "raw_id"}, {resolveByAlias, "alias"},
		{resolveByRemark, "remark"}, {resolveByNickname, "nickname"},
	} {
		cs, err := d.queryContacts(ctx, r.q, account, name)
		if err != nil {
			return nil, fmt.Errorf("db: resolve chat %q: %w", name, err)
		}
		if live := liveOnly(cs); len(live) > 0 {
			cs = live
		}
		switch len(cs) {
		case 0:
			continue
		case 1:
			return &ChatRef{Contact: cs[0], MatchedBy: r.by}, nil
		}
		return nil, fmt.Errorf("db: resolve chat: %w", &AmbiguousError{Name: name, MatchedBy: r.by, Candidates: cs})
	}
	if wx.IsSpecialUserName(name) {
		return &ChatRef{Contact: Contact{ID: name, Kind: KindSpecial, UserName: name, Current: true, NickName: name}, MatchedBy: "special"}, nil
	}
	return nil, fmt.Errorf("db: resolve chat %q: %w", name, ErrNotFound)
}

func liveOnly(cs []Contact) []Contact {
	var out []Contact
	for _, c := range cs {
		if !c.Removed {
			out = append(out, c)
		}
	}
	return out
}

// ContactFilter selects contacts. Zero fields do not filter.
type ContactFilter struct {
	Kinds       []ContactKind // e.g. {KindPerson}; empty: every kind but self and special
	FriendsOnly bool
	Sex         int    // 1 male, 2 female
	Province    string // exact
	City        string // exact
	Remark      string // substring of the remark
	Signature   string // substring of the signature
	Name        string // substring of the remark or nickname
	CurrentOnly bool   // only contacts seen in the current login (their UserName is usable)
	WithRemoved bool   // include removed contacts
	Limit       int    // 0: no limit
}

// Contacts lists the account's contact book (for bulk sends by sex, province, remark,
// signature …), ordered by stable id.
func (d *DB) Contacts(ctx context.Context, account string, f ContactFilter) ([]Contact, error) {
	var where []string
	args := []any{account}
	where = append(where, "c.account = ?")
	if len(f.Kinds) > 0 {
		ph := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			ph[i] = "?"
			args = append(args, string(k))
		}
		where = append(where, "c.kind IN ("+strings.Join(ph, ", ")+")")
	} else {
		where = append(where, "c.kind NOT IN ('self', 'special')")
	}
	if f.FriendsOnly {
		where = append(where, "c.is_friend = 1")
	}
	if f.Sex != 0 {
		where, args = append(where, "c.sex = ?"), append(args, f.Sex)
	}
	if f.Province != "" {
		where, args = append(where, "c.province = ?"), append(args, f.Province)
	}
	if f.City != "" {
		where, args = append(where, "c.city = ?"), append(args, f.City)
	}
	if f.Remark != "" {
		where, args = append(where, "instr(c.remark, ?) > 0"), append(args, f.Remark)
	}
	if f.Signature != "" {
		where, args = append(where, "instr(c.signature, ?) > 0"), append(args, f.Signature)
	}
	if f.Name != "" {
		where, args = append(where, "(instr(c.remark, ?) > 0 OR instr(c.nickname, ?) > 0)"), append(args, f.Name, f.Name)
	}
	if f.CurrentOnly {
		where = append(where, "c.login_gen = a.login_gen AND c.user_name <> ''")
	}
	if !f.WithRemoved {
		where = append(where, "c.removed_at IS NULL")
	}
	q := `SELECT ` + contactColumns + contactFrom + `WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY substr(c.id, 1, 1), CAST(substr(c.id, 2) AS INTEGER), c.id`
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	cs, err := d.queryContacts(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("db: contacts: %w", err)
	}
	return cs, nil
}

// Member is a current member of a group.
type Member struct {
	Contact
	DisplayName string // the name shown in this group, "" if unset
	JoinedAt    time.Time
}

// Name is the member's name as the group shows it to the owner: remark, else display name,
// else nickname.
func (m Member) Name() string {
	switch {
	case m.RemarkName != "":
		return m.RemarkName
	case m.DisplayName != "":
		return m.DisplayName
	}
	return m.Contact.Name()
}

const selectMembers = `SELECT ` + contactColumns + `, gm.display_name, gm.joined_at
FROM group_members gm
JOIN contacts c ON c.account = gm.account AND c.id = gm.member_id
JOIN accounts a ON a.name = c.account
WHERE gm.account = ? AND gm.group_id = ? AND gm.left_at IS NULL
ORDER BY gm.joined_at, c.id`

const selectGroupKind = `SELECT kind FROM contacts WHERE account = ? AND id = ?`

// Members lists the current members of a group (by its stable id), self included, in the
// order they joined. Former members are in the group_members table with left_at set.
func (d *DB) Members(ctx context.Context, account, groupID string) ([]Member, error) {
	var kind string
	err := d.readers.QueryRowContext(ctx, selectGroupKind, account, groupID).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && kind != string(KindGroup)) {
		return nil, fmt.Errorf("db: members of %q: no such group: %w", groupID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("db: members of %q: %w", groupID, err)
	}
	rows, err := d.readers.QueryContext(ctx, selectMembers, account, groupID)
	if err != nil {
		return nil, fmt.Errorf("db: members of %q: %w", groupID, err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		var first, last, joined int64
		c := &m.Contact
		if err := rows.Scan(&c.ID, &c.Kind, &c.UserName, &c.Current, &c.RawID, &c.NickName, &c.RemarkName,
			&c.Alias, &c.Sex, &c.Province, &c.City, &c.Signature, &c.IsFriend, &c.MemberCount,
			&c.IsOwner, &first, &last, &c.Removed, &m.DisplayName, &joined); err != nil {
			return nil, fmt.Errorf("db: members of %q: %w", groupID, err)
		}
		c.FirstSeen, c.LastSeen, m.JoinedAt = fromMS(first), fromMS(last), fromMS(joined)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("db: members of %q: %w", groupID, err)
	}
	return out, nil
}

// Peer is the contact as an event snapshot (for the engine's contact book): stable id, the
// current UserName when it belongs to this login, names and attributes.
func (c Contact) Peer() wx.Peer {
	p := wx.Peer{ID: c.ID, RawID: c.RawID, NickName: c.NickName, RemarkName: c.RemarkName,
		Alias: c.Alias, Sex: c.Sex, Province: c.Province, City: c.City, Signature: c.Signature,
		IsSelf: c.Kind == KindSelf, IsGroup: c.Kind == KindGroup, IsFriend: c.IsFriend,
		IsOfficial: c.Kind == KindOfficial, IsSpecial: c.Kind == KindSpecial, MemberCount: c.MemberCount}
	if c.Current {
		p.UserName = c.UserName
	}
	return p
}

// Peer is the member as an event snapshot, with the group display name.
func (m Member) Peer() wx.Peer {
	p := m.Contact.Peer()
	p.DisplayName = m.DisplayName
	return p
}
