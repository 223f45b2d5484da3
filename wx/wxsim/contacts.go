package wxsim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

type memberDetail uint8

const (
	noMembers   memberDetail = iota // webwxgetcontact: MemberCount 0, MemberList []
	memberStubs                     // webwxinit: UserNames with empty names
	fullMembers                     // webwxbatchgetcontact, ModContactList
)

func (s *Server) headImgURL(sess *session, c *contact) string {
	if c.isGroup() {
		return fmt.Sprintf("/cgi-bin/mmwebwx-bin/webwxgetheadimg?seq=%d&username=%s&skey=", c.headSeq, sess.userName(c))
	}
	return fmt.Sprintf("/cgi-bin/mmwebwx-bin/webwxgeticon?seq=%d&username=%s&skey=%s", c.headSeq, sess.userName(c), sess.skey)
}

func (s *Server) wireMembers(sess *session, g *contact, d memberDetail) []wireMember {
	list := make([]wireMember, 0, len(g.members))
	if d == noMembers {
		return list
	}
	for _, m := range g.members {
		wm := wireMember{UserName: sess.userName(m.c)}
		if d == fullMembers {
			wm.NickName = encodeText(m.c.nick)
			wm.AttrStatus = m.c.attr
			wm.DisplayName = encodeText(m.display)
		}
		list = append(list, wm)
	}
	return list
}

func contactFlag(c *contact) int {
	switch {
	case c.kind == kindStranger:
		return 0
	case c.isGroup() && !c.saved:
		return 2 // a chat, not an address-book entry
	}
	return 3
}

func verifyFlag(c *contact) int {
	if c.kind == kindOfficial {
		return 24
	}
	return 0
}

func keyWord(c *contact) string {
	switch c.kind {
	case kindOfficial:
		return "gh_"
	case kindFriend:
		return c.raw[:3]
	}
	return ""
}

func (s *Server) wireContact(sess *session, c *contact, d memberDetail) wireContact {
	wc := wireContact{
		UserName:    sess.userName(c),
		NickName:    encodeText(c.nick),
		HeadImgUrl:  s.headImgURL(sess, c),
		ContactFlag: contactFlag(c),
		MemberList:  []wireMember{},
		RemarkName:  encodeText(c.remark),
		Sex:         c.sex,
		Signature:   encodeText(c.signature),
		VerifyFlag:  verifyFlag(c),
		AttrStatus:  c.attr,
		Province:    c.province,
		City:        c.city,
		Alias:       c.alias,
		KeyWord:     keyWord(c),
	}
	if c.kind == kindFriend {
		wc.SnsFlag = 17
	}
	if c.isGroup() {
		wc.Statues = 1
		wc.MemberList = s.wireMembers(sess, c, d)
		wc.MemberCount = len(wc.MemberList)
		if d == fullMembers {
			wc.OwnerUin = c.owner.uin
			wc.EncryChatRoomId = sess.encryID(c)
			if c.owner == s.world.self {
				wc.IsOwner = 1
			}
		}
	}
	return wc
}

func (s *Server) wireModContact(sess *session, c *contact) wireModContact {
	mc := wireModContact{
		UserName:    sess.userName(c),
		NickName:    encodeText(c.nick),
		Sex:         c.sex,
		Alias:       c.alias,
		HeadImgUrl:  s.headImgURL(sess, c),
		ContactFlag: contactFlag(c),
		MemberList:  []wireMember{},
		Signature:   encodeText(c.signature),
		VerifyFlag:  verifyFlag(c),
		RemarkName:  encodeText(c.remark),
		AttrStatus:  c.attr,
		Province:    c.province,
		City:        c.city,
		KeyWord:     keyWord(c),
	}
	if c.isGroup() {
		mc.ChatRoomOwner = sess.userName(c.owner)
		mc.MemberList = s.wireMembers(sess, c, fullMembers)
		mc.MemberCount = len(mc.MemberList)
		mc.Statues = 1
	}
	return mc
}

// recentChats is what webwxinit and the 51/code-4 notice list: filehelper, the groups
// (saved or not — this is how clients find unsaved ones), a few friends and an official
// account.
func (s *Server) recentChats() []*contact {
	list := []*contact{s.world.filehelper}
	groups, friends, officials := 0, 0, 0
	for _, c := range s.world.contacts {
		if c.isGroup() && c.memberIndex(s.world.self) >= 0 && groups < 50 {
			groups++
			list = append(list, c)
		}
	}
	for _, c := range s.world.contacts {
		switch {
		case c.kind == kindFriend && friends < 3:
			friends++
		case c.kind == kindOfficial && officials < 1:
			officials++
		default:
			continue
		}
		list = append(list, c)
	}
	return list
}

// syncConvNotice is the 51/code-4 message of the first sync after login. Its Content pairs
// the StatusNotifyUserName list with raw ids — the only bulk UserName → raw id map.
func (s *Server) syncConvNotice(sess *session) *wireMsg {
	recent := s.recentChats()
	names := make([]string, len(recent))
	raws := make([]string, len(recent))
	for i, c := range recent {
		names[i], raws[i] = sess.userName(c), c.raw
	}
	var x strings.Builder
	fmt.Fprintf(&x, "<msg>\n<op id='4'>\n<username>%s</username>\n<unreadchatlist>\n", strings.Join(raws, ","))
	for _, raw := range raws[1:min(3, len(raws))] {
		fmt.Fprintf(&x, "<chat>\n<username>%s</username>\n<lastreadtime>%d</lastreadtime>\n</chat>\n", raw, s.now().Unix()-3600)
	}
	x.WriteString("</unreadchatlist>\n<unreadfunctionlist>\n</unreadfunctionlist>\n</op>\n</msg>")
	self := sess.userName(s.world.self)
	m := s.newMsg(s.ids.nextMsgID())
	m.FromUserName, m.ToUserName = self, self
	m.MsgType = 51
	m.StatusNotifyCode = 4
	m.StatusNotifyUserName = strings.Join(names, ",")
	m.Content = encodeText(x.String())
	return m
}

type initUser struct {
	Uin               int64
	UserName          string
	NickName          string
	HeadImgUrl        string
	RemarkName        string
	PYInitial         string
	PYQuanPin         string
	RemarkPYInitial   string
	RemarkPYQuanPin   string
	HideInputBarFlag  int
	StarFriend        int
	Sex               int
	Signature         string
	AppAccountFlag    int
	VerifyFlag        int
	ContactFlag       int
	WebWxPluginSwitch int
	HeadImgFlag       int
	SnsFlag           int
}

type mpArticle struct {
	Title  string
	Digest string
	Cover  string
	Url    string
}

type mpSubscribe struct {
	UserName       string
	MPArticleCount int
	MPArticleList  []mpArticle
	Time           int64
	NickName       string
}

// initAnswer keeps the key order of PROTOCOL.md §3.5.
type initAnswer struct {
	BaseResponse        baseResponse
	Count               int
	ContactList         []wireContact
	SyncKey             syncKey
	User                initUser
	ChatSet             string
	SKey                string
	ClientVersion       int
	SystemTime          int64
	GrayScale           int
	InviteStartCount    int
	MPSubscribeMsgCount int
	MPSubscribeMsgList  []mpSubscribe
	ClickReportInterval int
}

// inviteStartCount is the group size from which members must be invited, not added.
const inviteStartCount = 40

// handleInit answers webwxinit. A hot login lands here with saved credentials: it works
// while the session lives and fails with the session's end code afterwards.
func (s *Server) handleInit(w http.ResponseWriter, r *http.Request) {
	var req struct{ BaseRequest baseRequest }
	s.api(w, r, &req, &req.BaseRequest, func(sess *session) any {
		self := s.world.self
		a := initAnswer{
			SyncKey: sess.syncKey(sess.acked, s.now(), false),
			User: initUser{Uin: self.uin, UserName: sess.userName(self), NickName: encodeText(self.nick),
				HeadImgUrl: s.headImgURL(sess, self), Sex: self.sex, Signature: encodeText(self.signature),
				ContactFlag: 3, WebWxPluginSwitch: 3, HeadImgFlag: 1, SnsFlag: 17},
			SKey:                sess.skey,
			ClientVersion:       369297683,
			SystemTime:          s.now().Unix(),
			GrayScale:           1,
			InviteStartCount:    inviteStartCount,
			MPSubscribeMsgList:  []mpSubscribe{},
			ClickReportInterval: 600000,
		}
		var chatSet strings.Builder
		for _, c := range s.recentChats() {
			a.ContactList = append(a.ContactList, s.wireContact(sess, c, memberStubs))
			chatSet.WriteString(sess.userName(c) + ",") // ends with ',' like the service's
		}
		a.Count = len(a.ContactList)
		a.ChatSet = chatSet.String()
		for _, c := range s.world.contacts {
			if c.kind == kindOfficial {
				a.MPSubscribeMsgList = append(a.MPSubscribeMsgList, mpSubscribe{
					UserName: sess.userName(c), MPArticleCount: 1, Time: s.now().Unix() - 600, NickName: encodeText(c.nick),
					MPArticleList: []mpArticle{{Title: "今日要闻", Digest: "", Cover: "https://mmbiz.qpic.cn/cover.jpg",
						Url: "http://mp.weixin.qq.com/s?__biz=MzA&mid=1&idx=1&sn=" + c.raw}},
				})
			}
		}
		a.MPSubscribeMsgCount = len(a.MPSubscribeMsgList)
		return a
	})
}

// handleStatusNotify answers Code 3 (inited) and Code 1 (read) alike.
func (s *Server) handleStatusNotify(w http.ResponseWriter, r *http.Request) {
	var req struct{ BaseRequest baseRequest }
	s.api(w, r, &req, &req.BaseRequest, func(*session) any {
		return struct {
			BaseResponse baseResponse
			MsgID        string
		}{success(), strconv.FormatUint(s.ids.nextMsgID(), 10)}
	})
}

// handleGetContact pages the address book by Seq: friends, official accounts and only
// the groups saved to it, each with MemberCount 0. GET (openwechat) or POST (older
// clients) alike.
func (s *Server) handleGetContact(w http.ResponseWriter, r *http.Request) {
	var req struct{ BaseRequest baseRequest }
	s.api(w, r, &req, &req.BaseRequest, func(sess *session) any {
		start, _ := strconv.Atoi(r.URL.Query().Get("seq"))
		var book []*contact
		for _, c := range s.world.contacts {
			if c.kind == kindFriend || c.kind == kindOfficial || c == s.world.filehelper ||
				(c.isGroup() && c.saved && c.memberIndex(s.world.self) >= 0) {
				book = append(book, c)
			}
		}
		start = min(max(start, 0), len(book))
		end := min(start+s.opts.ContactPageSize, len(book))
		list := make([]wireContact, 0, end-start)
		for _, c := range book[start:end] {
			list = append(list, s.wireContact(sess, c, noMembers))
		}
		next := 0
		if end < len(book) {
			next = end
		}
		return struct {
			BaseResponse baseResponse
			MemberCount  int
			MemberList   []wireContact
			Seq          int
		}{success(), len(list), list, next}
	})
}

// maxBatch is the most webwxbatchgetcontact takes in one call.
const maxBatch = 50

// handleBatchGetContact: groups come with their full MemberList, EncryChatRoomId and
// OwnerUin; a member looked up with its group's EncryChatRoomId comes with what the group
// knows of it; a stranger looked up without one comes back nearly empty.
func (s *Server) handleBatchGetContact(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BaseRequest baseRequest
		List        []struct {
			UserName        string
			EncryChatRoomId string
		}
	}
	s.api(w, r, &req, &req.BaseRequest, func(sess *session) any {
		if len(req.List) > maxBatch {
			return fail(retBadArg, errMsgArgument)
		}
		list := make([]wireContact, 0, len(req.List))
		for _, it := range req.List {
			c := sess.contactByName(it.UserName, s.world)
			if c == nil {
				continue
			}
			wc := s.wireContact(sess, c, fullMembers)
			if c.kind == kindStranger && it.EncryChatRoomId == "" {
				wc = wireContact{UserName: wc.UserName, HeadImgUrl: wc.HeadImgUrl, MemberList: []wireMember{}}
			}
			list = append(list, wc)
		}
		return struct {
			BaseResponse baseResponse
			Count        int
			ContactList  []wireContact
		}{success(), len(list), list}
	})
}
