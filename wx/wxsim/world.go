package wxsim

import (
	"fmt"
	"strings"
)

type contactKind uint8

const (
	kindSelf     contactKind = iota
	kindFriend               // ContactFlag 3
	kindOfficial             // VerifyFlag 24, KeyWord gh_
	kindStranger             // a group member or requester who is not a friend
	kindGroup
	kindSpecial // filehelper, fmessage: the UserName is the fixed raw id
)

// contact is one account or group of the world. Its raw id is permanent; its UserName
// exists only per session (session.userName).
type contact struct {
	kind      contactKind
	raw       string
	nick      string
	remark    string
	alias     string
	sex       int
	province  string
	city      string
	signature string
	uin       int64 // self: wxuin; others: never on the wire except as a group's OwnerUin
	attr      int   // AttrStatus
	headSeq   int

	// groups
	owner   *contact
	saved   bool
	members []member

	ticket string // a stranger who sent a friend request: its v2_…@stranger ticket
}

type member struct {
	c       *contact
	display string // nickname in this group, "" = none
}

func (c *contact) isGroup() bool { return c.kind == kindGroup }

// memberIndex is a linear scan: groups are hundreds of members and membership changes are
// rare next to messages, whose senders are resolved once per injection.
func (c *contact) memberIndex(p *contact) int {
	for i, m := range c.members {
		if m.c == p {
			return i
		}
	}
	return -1
}

// world is everything the scenario defines plus what happened since.
type world struct {
	self       *contact
	filehelper *contact
	fmessage   *contact
	contacts   []*contact // creation order: getcontact order and UserName generation order
}

func newWorld(sc *Scenario, ids *idGen) (*world, error) {
	w := &world{}
	self := sc.Self
	w.self = w.add(&contact{kind: kindSelf, raw: ids.wxid(), nick: self.Nickname, alias: self.Alias,
		sex: self.Sex, province: self.Province, city: self.City, signature: self.Signature, uin: self.Uin})
	if w.self.uin == 0 {
		w.self.uin = 2_000_000_000 + ids.r.Int64N(100_000_000)
	}
	w.filehelper = w.add(&contact{kind: kindSpecial, raw: "filehelper", nick: "文件传输助手"})
	w.fmessage = w.add(&contact{kind: kindSpecial, raw: "fmessage", nick: "朋友推荐消息"})
	for i, f := range sc.Friends {
		if f.Nickname == "" {
			return nil, fmt.Errorf("friends[%d]: nickname is empty", i)
		}
		w.add(&contact{kind: kindFriend, raw: ids.wxid(), nick: f.Nickname, remark: f.Remark, alias: f.Alias,
			sex: f.Sex, province: f.Province, city: f.City, signature: f.Signature, uin: ids.hiddenUin()})
	}
	for i, o := range sc.Official {
		if o.Nickname == "" {
			return nil, fmt.Errorf("official[%d]: nickname is empty", i)
		}
		w.add(&contact{kind: kindOfficial, raw: ids.ghID(), nick: o.Nickname, alias: o.Alias,
			signature: o.Signature, uin: ids.hiddenUin()})
	}
	for i, g := range sc.Groups {
		if g.Name == "" {
			return nil, fmt.Errorf("groups[%d]: name is empty", i)
		}
		grp := w.newGroup(ids, g.Name, g.Saved == nil || *g.Saved)
		grp.members = append(grp.members, member{c: w.self, display: g.SelfDisplay})
		for _, m := range g.Members {
			if m.Nickname == "" {
				return nil, fmt.Errorf("groups[%d] %s: a member has no nickname", i, g.Name)
			}
			p := w.personOrStranger(ids, m.Nickname)
			if grp.memberIndex(p) < 0 {
				grp.members = append(grp.members, member{c: p, display: m.Display})
			}
		}
		switch g.Owner {
		case "self":
			grp.owner = w.self
		case "":
			grp.owner = grp.members[len(grp.members)-1].c
		default:
			_, p := w.findMember(grp, g.Owner)
			if p == nil {
				return nil, fmt.Errorf("groups[%d] %s: owner %q is not a member", i, g.Name, g.Owner)
			}
			grp.owner = p
		}
	}
	return w, nil
}

func (w *world) add(c *contact) *contact {
	c.headSeq = 600000000 + len(w.contacts)*7919
	c.attr = []int{4133, 102469, 33656871, 2147584}[len(w.contacts)%4]
	w.contacts = append(w.contacts, c)
	return c
}

func (w *world) newGroup(ids *idGen, name string, saved bool) *contact {
	return w.add(&contact{kind: kindGroup, raw: ids.chatroomID(), nick: name, saved: saved})
}

// personOrStranger finds a person by name, or creates a stranger with that nickname (a
// member who is not a friend, or a new requester).
func (w *world) personOrStranger(ids *idGen, name string) *contact {
	if p := w.findPerson(name); p != nil {
		return p
	}
	return w.add(&contact{kind: kindStranger, raw: ids.wxid(), nick: name, uin: ids.hiddenUin(),
		sex: 1 + len(w.contacts)%2})
}

func (w *world) findPerson(name string) *contact {
	if name == "self" {
		return w.self
	}
	return w.find(name, func(c *contact) bool { return !c.isGroup() })
}

// findChat resolves a conversation: a group name, a person (nickname, remark, alias, raw
// id), or a special account.
func (w *world) findChat(name string) *contact {
	if g := w.find(name, (*contact).isGroup); g != nil {
		return g
	}
	return w.findPerson(name)
}

// find prefers the most specific match: raw id, then remark (the owner's own label), then
// nickname, then alias.
func (w *world) find(name string, ok func(*contact) bool) *contact {
	if name == "" {
		return nil
	}
	for _, match := range []func(*contact) string{
		func(c *contact) string { return c.raw },
		func(c *contact) string { return c.remark },
		func(c *contact) string { return c.nick },
		func(c *contact) string { return c.alias },
	} {
		for _, c := range w.contacts {
			if ok(c) && match(c) == name {
				return c
			}
		}
	}
	return nil
}

// findMember resolves a sender within a group by display name, nickname, remark or raw id.
func (w *world) findMember(g *contact, name string) (int, *contact) {
	if name == "self" {
		return g.memberIndex(w.self), w.self
	}
	for i, m := range g.members {
		if m.display == name || m.c.nick == name || m.c.remark == name || m.c.raw == name {
			return i, m.c
		}
	}
	return -1, nil
}

// shownName is how the receiving account sees someone in a chat: the group display name
// (else the nickname) inside a group, the remark (else the nickname) in private.
func (w *world) shownName(chat, p *contact) string {
	if chat != nil && chat.isGroup() {
		if i := chat.memberIndex(p); i >= 0 && chat.members[i].display != "" {
			return chat.members[i].display
		}
		return p.nick
	}
	if p.remark != "" {
		return p.remark
	}
	return p.nick
}

// joinNames joins display names the way notices list several people.
func joinNames(names []string) string { return strings.Join(names, "、") }
