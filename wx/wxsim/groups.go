package wxsim

import (
	"net/http"
	"strings"
)

// membersOf resolves a comma-joined list of UserNames; each must satisfy ok.
func (s *Server) membersOf(sess *session, list string, ok func(*contact) bool) ([]*contact, bool) {
	var cs []*contact
	for _, name := range strings.Split(list, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		c := sess.contactByName(name, s.world)
		if c == nil || !ok(c) {
			return nil, false
		}
		cs = append(cs, c)
	}
	return cs, len(cs) > 0
}

func nicks(cs []*contact) []string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.nick
	}
	return names
}

// handleUpdateChatroom: addmember only below InviteStartCount (40) — bigger groups need
// invitemember, which sends invitations and changes nothing yet; delmember only for the
// owner; modtopic renames. A missing fun fails, as openwechat's kick without fun does.
func (s *Server) handleUpdateChatroom(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BaseRequest      baseRequest
		ChatRoomName     string
		AddMemberList    string
		InviteMemberList string
		DelMemberList    string
		NewTopic         string
	}
	fun := r.URL.Query().Get("fun")
	s.api(w, r, &req, &req.BaseRequest, func(sess *session) any {
		self := s.world.self
		g := sess.contactByName(req.ChatRoomName, s.world)
		if g == nil || !g.isGroup() || g.memberIndex(self) < 0 {
			return fail(retBadArg, errMsgArgument)
		}
		if !s.writeAllowed() {
			return fail(retTooOften, errMsgTooOften)
		}
		isFriendOutside := func(c *contact) bool { return c.kind == kindFriend && g.memberIndex(c) < 0 }
		isMember := func(c *contact) bool { return c != self && g.memberIndex(c) >= 0 }
		rec := Sent{Kind: fun}
		switch fun {
		case "addmember":
			add, ok := s.membersOf(sess, req.AddMemberList, isFriendOutside)
			if !ok || len(g.members) >= inviteStartCount {
				return fail(retBadArg, errMsgArgument)
			}
			s.joinGroup(g, self, add, false)
			rec.Members = nicks(add)
		case "invitemember":
			inv, ok := s.membersOf(sess, req.InviteMemberList, isFriendOutside)
			if !ok {
				return fail(retBadArg, errMsgArgument)
			}
			rec.Members = nicks(inv)
		case "delmember":
			del, ok := s.membersOf(sess, req.DelMemberList, isMember)
			if !ok || g.owner != self {
				return fail(retBadArg, errMsgArgument)
			}
			rec.Members = nicks(del)
			s.leaveGroup(g, self, del)
		case "modtopic":
			if req.NewTopic == "" {
				return fail(retBadArg, errMsgArgument)
			}
			s.renameGroup(g, self, req.NewTopic)
			rec.Text = req.NewTopic
		default:
			return fail(retBadArg, errMsgArgument)
		}
		s.record(rec, g)
		list := s.wireMembers(sess, g, fullMembers)
		return struct {
			BaseResponse baseResponse
			MemberCount  int
			MemberList   []wireMember
		}{success(), len(list), list}
	})
}

// handleCreateChatroom needs at least two friends besides self.
func (s *Server) handleCreateChatroom(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BaseRequest baseRequest
		MemberList  []struct{ UserName string }
		Topic       string
	}
	s.api(w, r, &req, &req.BaseRequest, func(sess *session) any {
		seen := make(map[*contact]bool)
		var friends []*contact
		for _, m := range req.MemberList {
			c := sess.contactByName(m.UserName, s.world)
			if c == nil || c.kind != kindFriend {
				return fail(retBadArg, errMsgArgument)
			}
			if !seen[c] {
				seen[c] = true
				friends = append(friends, c)
			}
		}
		if len(friends) < 2 {
			return fail(retBadArg, errMsgArgument)
		}
		if !s.writeAllowed() {
			return fail(retTooOften, errMsgTooOften)
		}
		topic := firstOf(req.Topic, joinNames(nicks(friends)))
		g := s.world.newGroup(s.ids, topic, false)
		g.owner = s.world.self
		g.members = []member{{c: s.world.self}}
		s.joinGroup(g, s.world.self, friends, false)
		s.record(Sent{Kind: "createchatroom", Members: nicks(friends), Text: req.Topic}, g)
		list := s.wireMembers(sess, g, fullMembers)
		return struct {
			BaseResponse baseResponse
			Topic        string
			PYInitial    string
			QuanPin      string
			MemberCount  int
			MemberList   []wireMember
			ChatRoomName string
			BlackList    string
		}{baseResponse{ErrMsg: errMsgCreatedOK}, encodeText(topic), "", "", len(list), list, sess.userName(g), ""}
	})
}

// handleVerifyUser: Opcode 3 accepts a pending friend request (the requester becomes a
// friend: ModContactList and a 10000 with Status 4 from the new friend); Opcode 2 sends
// a request, which the simulated world never answers.
func (s *Server) handleVerifyUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BaseRequest    baseRequest
		Opcode         flexInt
		VerifyUserList []struct {
			Value            string
			VerifyUserTicket string
		}
		VerifyContent string
	}
	s.api(w, r, &req, &req.BaseRequest, func(sess *session) any {
		if len(req.VerifyUserList) == 0 || (req.Opcode != 2 && req.Opcode != 3) {
			return fail(retBadArg, errMsgArgument)
		}
		var who []*contact
		for _, v := range req.VerifyUserList {
			c := sess.contactByName(v.Value, s.world)
			if c == nil || c.kind != kindStranger || (req.Opcode == 3 && (c.ticket == "" || c.ticket != v.VerifyUserTicket)) {
				return fail(retBadArg, errMsgArgument)
			}
			who = append(who, c)
		}
		if !s.writeAllowed() {
			return fail(retTooOften, errMsgTooOften)
		}
		for _, c := range who {
			s.record(Sent{Kind: "verifyuser", Text: req.VerifyContent}, c)
			if req.Opcode != 3 {
				continue
			}
			c.kind, c.ticket = kindFriend, ""
			s.deliverContact(sess, c)
			text := "你已添加了" + c.nick + "，现在可以开始聊天了。"
			if s.en() {
				text = "You have added " + c.nick + " as your WeChat contact. Start chatting!"
			}
			s.notice(sess, c, text, 4)
		}
		return retOnly{success()}
	})
}

// handleOplog: CmdId 2 sets a remark (ModContactList follows); CmdId 3 pins, a no-op here.
func (s *Server) handleOplog(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BaseRequest baseRequest
		UserName    string
		CmdId       flexInt
		RemarkName  string
	}
	s.api(w, r, &req, &req.BaseRequest, func(sess *session) any {
		c := sess.contactByName(req.UserName, s.world)
		if c == nil || (req.CmdId != 2 && req.CmdId != 3) {
			return fail(retBadArg, errMsgArgument)
		}
		if req.CmdId == 2 {
			c.remark = req.RemarkName
			s.deliverContact(sess, c)
			s.record(Sent{Kind: "remark", Text: req.RemarkName}, c)
		}
		return retOnly{success()}
	})
}
