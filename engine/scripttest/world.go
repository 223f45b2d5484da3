package scripttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"qunguan/engine"
	"qunguan/wx"
)

// Sent is one message a script sent in a test.
type Sent struct {
	Kind   string   // text, image, file
	ChatID string   // stable id
	Chat   string   // the chat's name
	Text   string   // text messages
	Path   string   // images and files
	At     []string // names @-mentioned
}

// Action is one management operation a script asked for in a test.
type Action struct {
	Op      string   // kick, invite, rename, accept_friend, set_remark
	Target  string   // group or contact name
	Members []string // kick, invite: member names
	Value   string   // rename: new name; accept_friend / set_remark: remark
}

// World is the fake chat world of one test: the contact book, the log of delivered
// messages, and what scripts sent. It implements engine.Sender, engine.History and
// engine.Contacts in memory, and is safe for concurrent use.
type World struct {
	mu       sync.Mutex
	self     wx.Peer
	peers    []wx.Peer            // friends and groups
	members  map[string][]wx.Peer // by group id
	owned    map[string]bool      // groups the bot owns
	log      []*wx.Message
	sent     []Sent
	actions  []Action
	nextID   int
	consumed int // sent messages already checked by expect_sent / sent()
}

var (
	_ engine.Sender   = (*World)(nil)
	_ engine.History  = (*World)(nil)
	_ engine.Contacts = (*World)(nil)
)

// ErrNotOwner is what the fake Sender returns for kick and rename in groups the bot does not
// own, as the real service refuses them.
var ErrNotOwner = errors.New("the bot is not the owner of this group")

// friendSpec and groupSpec are what t.world declares.
type friendSpec struct {
	Name, Remark, Province, City, Signature string
	Sex                                     int
}

type groupSpec struct {
	Name    string
	Members []string
	Owner   bool
}

type worldSpec struct {
	Self     string
	Friends  []friendSpec
	Official []string // official accounts (公众号), by name
	Groups   []groupSpec
}

func defaultWorld() worldSpec {
	return worldSpec{
		Self:    "管家",
		Friends: []friendSpec{{Name: "阿杰"}, {Name: "小明"}},
		Groups:  []groupSpec{{Name: "测试群", Members: []string{"阿杰", "小明"}, Owner: true}},
	}
}

func userID(name string) string     { return "u_" + name }
func groupID(name string) string    { return "g_" + name }
func officialID(name string) string { return "o_" + name }

// fileHelper is the owner's file-transfer chat, which every account has.
var fileHelper = wx.Peer{ID: "filehelper", UserName: "filehelper", NickName: "文件传输助手", IsSpecial: true}

func newWorld(spec worldSpec) *World {
	w := &World{members: map[string][]wx.Peer{}, owned: map[string]bool{}}
	w.self = wx.Peer{ID: "self", NickName: spec.Self, IsSelf: true}
	friends := map[string]wx.Peer{}
	for _, f := range spec.Friends {
		p := wx.Peer{ID: userID(f.Name), NickName: f.Name, RemarkName: f.Remark, Province: f.Province, City: f.City,
			Signature: f.Signature, Sex: f.Sex, IsFriend: true}
		friends[f.Name] = p
		w.peers = append(w.peers, p)
	}
	for _, name := range spec.Official {
		w.peers = append(w.peers, wx.Peer{ID: officialID(name), NickName: name, IsOfficial: true})
	}
	for _, g := range spec.Groups {
		gp := wx.Peer{ID: groupID(g.Name), NickName: g.Name, IsGroup: true, MemberCount: len(g.Members) + 1}
		w.peers = append(w.peers, gp)
		w.owned[gp.ID] = g.Owner
		members := []wx.Peer{w.self}
		for _, name := range g.Members {
			if p, ok := friends[name]; ok {
				members = append(members, p)
			} else {
				members = append(members, wx.Peer{ID: userID(name), NickName: name})
			}
		}
		w.members[gp.ID] = members
	}
	return w
}

// chat finds a chat by name, remark or id.
func (w *World) chat(name string) (wx.Peer, bool) {
	if name == fileHelper.ID {
		return fileHelper, true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.peers {
		if p.ID == name || p.NickName == name || (p.RemarkName != "" && p.RemarkName == name) {
			return p, true
		}
	}
	return wx.Peer{}, false
}

// person finds someone in a group (or among friends when groupID is "").
func (w *World) person(groupID, name string) (wx.Peer, bool) {
	if name == w.self.NickName || name == "self" {
		return w.self, true
	}
	w.mu.Lock()
	candidates := w.members[groupID]
	if groupID == "" {
		candidates = w.peers
	}
	w.mu.Unlock()
	for _, p := range candidates {
		if !p.IsGroup && (p.ID == name || p.NickName == name || p.RemarkName == name) {
			return p, true
		}
	}
	return wx.Peer{}, false
}

func (w *World) nameOf(id string) string {
	if id == w.self.ID {
		return w.self.NickName
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.peers {
		if p.ID == id {
			return p.Name()
		}
	}
	for _, members := range w.members {
		for _, p := range members {
			if p.ID == id {
				return p.Name()
			}
		}
	}
	return id
}

// addFriend adds someone to the contact book (a contact_added event), or returns them when
// they are already in it.
func (w *World) addFriend(name, remark string) wx.Peer {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.peers {
		if !p.IsGroup && (p.NickName == name || p.ID == name) {
			return p
		}
	}
	p := wx.Peer{ID: userID(name), NickName: name, RemarkName: remark, IsFriend: true}
	w.peers = append(w.peers, p)
	return p
}

func (w *World) newMsgID() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nextID++
	return fmt.Sprintf("%d", 1000000+w.nextID)
}

func (w *World) remember(m *wx.Message) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log = append(w.log, m)
}

// Send implements engine.Sender.
func (w *World) Send(_ context.Context, out engine.Outgoing) error {
	s := Sent{Kind: "text", ChatID: out.ChatID, Chat: w.nameOf(out.ChatID), Text: out.Text}
	switch {
	case out.ImagePath != "":
		s.Kind, s.Path = "image", out.ImagePath
	case out.FilePath != "":
		s.Kind, s.Path = "file", out.FilePath
	}
	for _, id := range out.AtIDs {
		s.At = append(s.At, w.nameOf(id))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sent = append(w.sent, s)
	return nil
}

func (w *World) act(a Action) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.actions = append(w.actions, a)
	return nil
}

func (w *World) names(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = w.nameOf(id)
	}
	return out
}

// Kick implements engine.Sender; it fails in groups the bot does not own.
func (w *World) Kick(_ context.Context, group string, ids []string) error {
	w.mu.Lock()
	owned := w.owned[group]
	w.mu.Unlock()
	if !owned {
		return ErrNotOwner
	}
	return w.act(Action{Op: "kick", Target: w.nameOf(group), Members: w.names(ids)})
}

// Invite implements engine.Sender.
func (w *World) Invite(_ context.Context, group string, ids []string) error {
	return w.act(Action{Op: "invite", Target: w.nameOf(group), Members: w.names(ids)})
}

// RenameGroup implements engine.Sender; it fails in groups the bot does not own.
func (w *World) RenameGroup(_ context.Context, group, name string) error {
	w.mu.Lock()
	owned := w.owned[group]
	w.mu.Unlock()
	if !owned {
		return ErrNotOwner
	}
	return w.act(Action{Op: "rename", Target: w.nameOf(group), Value: name})
}

// AcceptFriend implements engine.Sender.
func (w *World) AcceptFriend(_ context.Context, req wx.FriendRequest, remark string) error {
	return w.act(Action{Op: "accept_friend", Target: req.NickName, Value: remark})
}

// SetRemark implements engine.Sender.
func (w *World) SetRemark(_ context.Context, id, remark string) error {
	return w.act(Action{Op: "set_remark", Target: w.nameOf(id), Value: remark})
}

// Original implements engine.History over the messages delivered in this test.
func (w *World) Original(_ context.Context, msgID string) (*wx.Message, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range w.log {
		if m.MsgID == msgID {
			return m, nil
		}
	}
	return nil, fmt.Errorf("message %s: %w", msgID, engine.ErrNotFound)
}

// Search implements engine.History: newest first, substring match.
func (w *World) Search(_ context.Context, q string, opts engine.SearchOptions) ([]*wx.Message, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*wx.Message
	for i := len(w.log) - 1; i >= 0; i-- {
		m := w.log[i]
		if !strings.Contains(m.Text, q) || (opts.ChatID != "" && m.Chat.ID != opts.ChatID) || (!opts.Since.IsZero() && m.Time.Before(opts.Since)) {
			continue
		}
		out = append(out, m)
		if opts.Limit > 0 && len(out) == opts.Limit {
			break
		}
	}
	return out, nil
}

// Query implements engine.History: there is no SQL database in script tests.
func (w *World) Query(context.Context, string, ...any) ([]map[string]any, error) {
	return nil, fmt.Errorf("bot.db.query in script tests: %w", engine.ErrUnsupported)
}

// Contacts implements engine.Contacts.
func (w *World) Contacts(context.Context) ([]wx.Peer, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]wx.Peer(nil), w.peers...), nil
}

// Find implements engine.Contacts.
func (w *World) Find(_ context.Context, name string) ([]wx.Peer, error) {
	if name == "filehelper" {
		return []wx.Peer{{ID: "filehelper", NickName: "文件传输助手", IsSpecial: true}}, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []wx.Peer
	for _, p := range w.peers {
		if p.ID == name || p.NickName == name || (p.RemarkName != "" && p.RemarkName == name) {
			out = append(out, p)
		}
	}
	return out, nil
}

// Members implements engine.Contacts.
func (w *World) Members(_ context.Context, group string) ([]wx.Peer, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	members, ok := w.members[group]
	if !ok {
		return nil, fmt.Errorf("group %s: %w", group, engine.ErrNotFound)
	}
	return append([]wx.Peer(nil), members...), nil
}

// unconsumed returns the sent messages no expectation has looked at yet.
func (w *World) unconsumed() []Sent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Sent(nil), w.sent[w.consumed:]...)
}

func (w *World) consume(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.consumed = min(w.consumed+n, len(w.sent))
}

func (w *World) takeActions() []Action {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.actions
	w.actions = nil
	return out
}
