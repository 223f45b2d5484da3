package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"qunguan/db"
	"qunguan/engine"
	"qunguan/wx"
	"qunguan/wx/outbox"
)

// The engine declares what it needs (Sender, History, KV, Contacts); these adapters give it the
// real store, client and outbox of one account. They run on the engine's loop goroutine, so
// they only validate and queue: nothing here waits for the network.

var (
	_ engine.Sender   = (*sender)(nil)
	_ engine.History  = (*history)(nil)
	_ engine.Contacts = (*contacts)(nil)
)

// sender turns script actions into outbox jobs for one account.
type sender struct{ a *account }

// resolve finds a chat by stable id (or name) and checks it is usable in this login.
func (s *sender) resolve(ctx context.Context, id string) (*db.ChatRef, error) {
	ref, err := s.a.store.ResolveChat(ctx, s.a.name, id)
	if err != nil {
		return nil, notFoundForEngine(err)
	}
	if !ref.Current && ref.Kind != db.KindSpecial {
		return nil, fmt.Errorf("%s (%s) was not seen since the last login; cannot send to it now: %w", ref.Name(), ref.ID, engine.ErrNotFound)
	}
	if ref.UserName == "" {
		ref.UserName = ref.ID // special accounts: filehelper is its own wire name
	}
	return ref, nil
}

func (s *sender) Send(ctx context.Context, out engine.Outgoing) error {
	ref, err := s.resolve(ctx, out.ChatID)
	if err != nil {
		return err
	}
	job := outbox.Job{To: ref.UserName, ChatID: ref.ID, Origin: out.Script}
	switch {
	case out.ImagePath != "":
		job.Kind, job.Path = outbox.Image, out.ImagePath
	case out.FilePath != "":
		job.Kind, job.Path = outbox.File, out.FilePath
	default:
		job.Kind, job.Text = outbox.Text, out.Text
		if len(out.AtIDs) > 0 {
			prefix, err := s.mentions(ctx, ref, out.AtIDs)
			if err != nil {
				return err
			}
			job.Text = prefix + job.Text
		}
	}
	return s.a.outbox.Enqueue(job)
}

// mentions writes "@name\u2005" for each member, with the name the group shows (display name,
// else nickname) — what the recipients' clients recognise as a mention.
func (s *sender) mentions(ctx context.Context, group *db.ChatRef, ids []string) (string, error) {
	g := s.a.client.Book().Contact(group.UserName)
	var b strings.Builder
	for _, id := range ids {
		m, err := s.resolve(ctx, id)
		if err != nil {
			return "", err
		}
		name := m.NickName
		if g != nil {
			if member := g.Member(m.UserName); member != nil {
				name = member.NickName
				if member.DisplayName != "" {
					name = member.DisplayName
				}
			}
		}
		b.WriteString(wx.MentionText(name))
	}
	return b.String(), nil
}

// groupOp resolves a group and its members and queues op through the outbox, so group
// operations are paced like sends.
func (s *sender) groupOp(ctx context.Context, what, groupID string, memberIDs []string, needOwner bool,
	op func(ctx context.Context, group string, members ...string) error) error {
	g, err := s.resolve(ctx, groupID)
	if err != nil {
		return err
	}
	if g.Kind != db.KindGroup {
		return fmt.Errorf("%s: %s is not a group", what, g.Name())
	}
	if needOwner {
		if ct := s.a.client.Book().Contact(g.UserName); ct == nil || !ct.IsOwner {
			return fmt.Errorf("%s in %s: %w", what, g.Name(), wx.ErrNotOwner)
		}
	}
	members := make([]string, 0, len(memberIDs))
	for _, id := range memberIDs {
		m, err := s.resolve(ctx, id)
		if err != nil {
			return err
		}
		members = append(members, m.UserName)
	}
	return s.a.outbox.Enqueue(outbox.Job{To: g.UserName, ChatID: g.ID, Origin: what, Do: func(ctx context.Context) (wx.SendResult, error) {
		return wx.SendResult{}, op(ctx, g.UserName, members...)
	}})
}

func (s *sender) Kick(ctx context.Context, groupID string, memberIDs []string) error {
	return s.groupOp(ctx, "kick", groupID, memberIDs, true, s.a.client.RemoveMembers)
}

func (s *sender) Invite(ctx context.Context, groupID string, memberIDs []string) error {
	return s.groupOp(ctx, "invite", groupID, memberIDs, false, s.a.client.AddMembers)
}

func (s *sender) RenameGroup(ctx context.Context, groupID, name string) error {
	return s.groupOp(ctx, "rename", groupID, nil, false, func(ctx context.Context, group string, _ ...string) error {
		return s.a.client.RenameGroup(ctx, group, name)
	})
}

func (s *sender) AcceptFriend(ctx context.Context, req wx.FriendRequest, remark string) error {
	if req.UserName == "" || req.Ticket == "" {
		return fmt.Errorf("accept friend: the request has no user name or ticket")
	}
	return s.a.outbox.Enqueue(outbox.Job{To: req.UserName, Origin: "accept_friend", Do: func(ctx context.Context) (wx.SendResult, error) {
		if err := s.a.client.AcceptFriend(ctx, &req); err != nil {
			return wx.SendResult{}, err
		}
		if remark != "" {
			return wx.SendResult{}, s.a.client.SetRemark(ctx, req.UserName, remark)
		}
		return wx.SendResult{}, nil
	}})
}

func (s *sender) SetRemark(ctx context.Context, contactID, remark string) error {
	c, err := s.resolve(ctx, contactID)
	if err != nil {
		return err
	}
	return s.a.outbox.Enqueue(outbox.Job{To: c.UserName, ChatID: c.ID, Origin: "set_remark", Do: func(ctx context.Context) (wx.SendResult, error) {
		return wx.SendResult{}, s.a.client.SetRemark(ctx, c.UserName, remark)
	}})
}

// notFoundForEngine makes the store's not-found and ambiguity errors the engine's, keeping
// the store's message (it lists the candidates).
func notFoundForEngine(err error) error {
	switch {
	case errors.Is(err, db.ErrNotFound):
		return fmt.Errorf("%w: %v", engine.ErrNotFound, err)
	case errors.Is(err, db.ErrAmbiguous):
		return fmt.Errorf("%w: %v", engine.ErrAmbiguous, err)
	}
	return err
}

// history is bot.db and ev.original.
type history struct {
	store   *db.DB
	account string
}

func (h *history) Original(ctx context.Context, msgID string) (*wx.Message, error) {
	m, err := h.store.MessageByMsgID(ctx, h.account, msgID)
	if err != nil {
		return nil, notFoundForEngine(err)
	}
	return m.Message(), nil
}

func (h *history) Search(ctx context.Context, q string, opts engine.SearchOptions) ([]*wx.Message, error) {
	rows, err := h.store.Search(ctx, db.SearchQuery{Text: q, Filter: db.Filter{
		Account: h.account, ChatID: opts.ChatID, Since: opts.Since, Limit: opts.Limit,
	}})
	if err != nil {
		return nil, err
	}
	out := make([]*wx.Message, len(rows))
	for i := range rows {
		out[i] = rows[i].Message()
	}
	return out, nil
}

func (h *history) Query(ctx context.Context, sql string, args ...any) ([]map[string]any, error) {
	return h.store.ReadOnlyQuery(ctx, sql, args...)
}

// contacts is bot.contacts, bot.find and bot.members.
type contacts struct {
	store   *db.DB
	account string
}

func (c *contacts) Contacts(ctx context.Context) ([]wx.Peer, error) {
	list, err := c.store.Contacts(ctx, c.account, db.ContactFilter{})
	if err != nil {
		return nil, err
	}
	out := make([]wx.Peer, len(list))
	for i, ct := range list {
		out[i] = ct.Peer()
	}
	return out, nil
}

func (c *contacts) Find(ctx context.Context, name string) ([]wx.Peer, error) {
	ref, err := c.store.ResolveChat(ctx, c.account, name)
	var amb *db.AmbiguousError
	switch {
	case errors.As(err, &amb):
		out := make([]wx.Peer, len(amb.Candidates))
		for i, ct := range amb.Candidates {
			out[i] = ct.Peer()
		}
		return out, nil
	case errors.Is(err, db.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return []wx.Peer{ref.Contact.Peer()}, nil
}

func (c *contacts) Members(ctx context.Context, groupID string) ([]wx.Peer, error) {
	list, err := c.store.Members(ctx, c.account, groupID)
	if err != nil {
		return nil, notFoundForEngine(err)
	}
	out := make([]wx.Peer, len(list))
	for i, m := range list {
		out[i] = m.Peer()
	}
	return out, nil
}
