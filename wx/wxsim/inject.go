package wxsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ErrUnknownName is wrapped by Inject and Members when a chat, sender or label does not
// exist in the world.
var ErrUnknownName = errors.New("unknown name")

// messageKinds are the injection kinds that become one AddMsgList entry from a sender.
var messageKinds = []string{"text", "image", "voice", "video", "emoticon", "card", "location", "link",
	"file", "miniprogram", "redpacket", "transfer"}

// Inject delivers one message or event to the logged-in session (see Injection) and
// returns the MsgId it produced, "" for silent events (a leave). With nobody logged in
// the world still changes and labels are still recorded, but nothing is delivered: the
// web client never sees what happened while it was offline.
func (s *Server) Inject(in Injection) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := s.inject(in)
	if err != nil {
		kind := in.Kind
		if len(in.Raw) > 0 {
			kind = "raw"
		}
		return "", fmt.Errorf("wxsim: inject %s: %w", kind, err)
	}
	return id, nil
}

func (s *Server) inject(in Injection) (string, error) {
	if len(in.Raw) > 0 {
		return s.injectRaw(in)
	}
	switch in.Kind {
	case "recall":
		return s.injectRecall(in)
	case "join":
		return s.injectJoin(in)
	case "leave":
		return s.injectLeave(in)
	case "rename":
		return s.injectRename(in)
	case "friend_request":
		return s.injectFriendRequest(in)
	case "owner_active":
		return s.injectOwnerActive(in)
	}
	for _, k := range messageKinds {
		if k == in.Kind {
			return s.injectMessage(in)
		}
	}
	return "", fmt.Errorf("unknown kind %q (kinds: %s, recall, join, leave, rename, friend_request, owner_active, or raw)",
		in.Kind, strings.Join(messageKinds, ", "))
}

// liveSession is the session injections go to, nil when nobody is logged in.
func (s *Server) liveSession() *session {
	if s.active == nil || s.active.ended != 0 {
		return nil
	}
	return s.active
}

func (s *Server) remember(label, id string, chat, from *contact) {
	if label != "" {
		s.labels[label] = msgRef{id: id, chat: chat, from: from}
	}
}

// resolveChatFrom finds the conversation and the sender. In a group the sender must be a
// member; in private chats the sender is the peer unless it is "self".
func (s *Server) resolveChatFrom(in Injection) (chat, from *contact, err error) {
	name := firstOf(in.Chat, in.From)
	if name == "" || name == "self" {
		return nil, nil, errors.New("chat is required")
	}
	if chat = s.world.findChat(name); chat == nil {
		return nil, nil, fmt.Errorf("%w: chat %q", ErrUnknownName, name)
	}
	if chat.isGroup() {
		if chat.memberIndex(s.world.self) < 0 {
			return nil, nil, fmt.Errorf("self is not a member of %q", chat.nick)
		}
		if in.From == "" {
			return nil, nil, fmt.Errorf("from is required in group %q", chat.nick)
		}
		if _, from = s.world.findMember(chat, in.From); from == nil {
			return nil, nil, fmt.Errorf("%w: %q is not a member of %q", ErrUnknownName, in.From, chat.nick)
		}
		return chat, from, nil
	}
	switch p := s.world.findPerson(in.From); {
	case in.From == "":
		return chat, chat, nil
	case p == s.world.self || p == chat:
		return chat, p, nil
	default:
		return nil, nil, fmt.Errorf("from %q is not a side of the private chat with %q", in.From, chat.nick)
	}
}

func (s *Server) injectMessage(in Injection) (string, error) {
	chat, from, err := s.resolveChatFrom(in)
	if err != nil {
		return "", err
	}
	var card *contact
	if in.Kind == "card" {
		if card = s.world.findPerson(in.Card); card == nil || card == s.world.self {
			return "", fmt.Errorf("%w: card %q", ErrUnknownName, in.Card)
		}
	}
	return s.emit(in, chat, from, card), nil
}

// emit builds and delivers a message of one of messageKinds; the load generator calls
// it directly with resolved contacts.
func (s *Server) emit(in Injection, chat, from, card *contact) string {
	id := s.ids.nextMsgID()
	m := s.newMsg(id)
	s.remember(in.Label, m.MsgId, chat, from)
	sess := s.liveSession()
	if sess == nil {
		return m.MsgId
	}
	self := s.world.self
	prefix := ""
	if from == self {
		m.FromUserName, m.ToUserName = sess.userName(self), sess.userName(chat)
	} else {
		m.FromUserName, m.ToUserName = sess.userName(chat), sess.userName(self)
		if chat.isGroup() {
			prefix = sess.userName(from) + ":<br/>" // media, app messages and recalls too; 10000 notices never
		}
	}
	sel := s.fillMessage(sess, m, in, chat, from, card, prefix)
	s.deliverMsg(sess, m, sel)
	return m.MsgId
}

// fillMessage gives m the shape of its kind (PROTOCOL.md §7) and returns the selector.
func (s *Server) fillMessage(sess *session, m *wireMsg, in Injection, chat, from, card *contact, prefix string) int {
	ids := s.ids
	self := s.world.self
	content := func(xml string) { m.Content = prefix + encodeText(xml) }
	switch in.Kind {
	case "text":
		text := in.Text
		if chat.isGroup() {
			text = mentionize(chat, text)
		}
		m.MsgType = 1
		content(text)
	case "image":
		m.MsgType, m.ImgStatus, m.ImgHeight, m.ImgWidth = 3, 2, 120, 90
		content(fmt.Sprintf("<?xml version=\"1.0\"?>\n<msg>\n\t<img aeskey=\"%s\" encryver=\"0\" cdnthumbaeskey=\"%s\" cdnthumburl=\"%s\" cdnthumblength=\"6660\" cdnthumbheight=\"120\" cdnthumbwidth=\"90\" cdnmidheight=\"0\" cdnmidwidth=\"0\" cdnhdheight=\"0\" cdnhdwidth=\"0\" cdnmidimgurl=\"%s\" length=\"45956\" md5=\"%s\" />\n</msg>\n",
			ids.hex(32), ids.hex(32), ids.hex(96), ids.hex(96), ids.hex(32)))
	case "voice":
		ms := max(in.Seconds, 1) * 1000
		m.MsgType, m.VoiceLength = 34, ms
		content(fmt.Sprintf(`<msg><voicemsg endflag="1" cancelflag="0" forwardflag="0" voiceformat="4" voicelength="%d" length="%d" bufid="%d" clientmsgid="%s" fromusername="%s" /></msg>`,
			ms, ms*5/3, ids.r.Int64N(1e15), ids.hex(40), from.raw))
	case "video":
		secs := max(in.Seconds, 1)
		m.MsgType, m.PlayLength, m.ImgHeight, m.ImgWidth = 43, secs, 270, 480
		content(fmt.Sprintf("<?xml version=\"1.0\"?>\n<msg>\n\t<videomsg aeskey=\"%s\" cdnthumbaeskey=\"%s\" cdnvideourl=\"%s\" cdnthumburl=\"%s\" length=\"%d\" playlength=\"%d\" cdnthumblength=\"8192\" cdnthumbwidth=\"480\" cdnthumbheight=\"270\" fromusername=\"%s\" md5=\"%s\" newmd5=\"%s\" isad=\"0\" />\n</msg>\n",
			ids.hex(32), ids.hex(32), ids.hex(96), ids.hex(96), secs*250000, secs, from.raw, ids.hex(32), ids.hex(32)))
	case "emoticon":
		m.MsgType, m.ImgStatus, m.ImgHeight, m.ImgWidth = 47, 2, 210, 240
		to := self.raw
		if chat.isGroup() || from == self {
			to = chat.raw
		}
		md5 := ids.hex(32)
		content(fmt.Sprintf(`<msg><emoji fromusername="%s" tousername="%s" type="2" idbuffer="media:0_0" md5="%s" len="%d" productid="" androidmd5="%s" androidlen="%d" cdnurl="http://emoji.qpic.cn/wx_emoji/%s/" aeskey="%s" width="240" height="210"></emoji><gameext type="0" content="0"></gameext></msg>`,
			from.raw, to, md5, 20480, md5, 20480, ids.hex(48), ids.hex(32)))
		s.media[m.MsgId] = mediaItem{gif: true}
	case "card":
		m.MsgType = 42
		m.RecommendInfo = recommendInfo{UserName: sess.userName(card), NickName: encodeText(card.nick), Alias: card.alias,
			Province: card.province, City: card.city, Sex: card.sex, Scene: 17, AttrStatus: card.attr, VerifyFlag: verifyFlag(card)}
		head := "http://wx.qlogo.cn/mmhead/ver_1/" + ids.hex(64)
		// Two spaces before shortpy, as captured.
		content(fmt.Sprintf("<?xml version=\"1.0\"?>\n<msg bigheadimgurl=\"%s/0\" smallheadimgurl=\"%s/132\" username=\"%s\" nickname=\"%s\"  shortpy=\"\" alias=\"%s\" imagestatus=\"3\" scene=\"17\" province=\"%s\" city=\"%s\" sign=\"%s\" sex=\"%d\" certflag=\"0\" certinfo=\"\" brandIconUrl=\"\" brandHomeUrl=\"\" brandSubscriptConfigUrl=\"\" brandFlags=\"0\" regionCode=\"CN\" />\n",
			head, head, card.raw, xmlEscape(card.nick), xmlEscape(card.alias), xmlEscape(card.province), xmlEscape(card.city), xmlEscape(card.signature), card.sex))
	case "location":
		lat, lng := strconv.FormatFloat(in.Lat, 'f', -1, 64), strconv.FormatFloat(in.Lng, 'f', -1, 64)
		m.MsgType, m.SubMsgType = 1, 48
		m.Url = "http://apis.map.qq.com/uri/v1/geocoder?coord=" + lat + "," + lng
		m.Content = prefix + encodeText(in.Place) + ":<br/>/cgi-bin/mmwebwx-bin/webwxgetpubliclinkimg?url=xxx&msgid=" + m.MsgId + "&pictype=location"
		// OriContent is the one raw, unescaped payload, with real newlines and tabs.
		m.OriContent = fmt.Sprintf("<?xml version=\"1.0\"?>\n<msg>\n\t<location x=\"%s\" y=\"%s\" scale=\"16\" label=\"%s\" maptype=\"0\" poiname=\"[位置]\" poiid=\"\" />\n</msg>\n",
			lat, lng, xmlEscape(in.Place))
	case "link":
		m.MsgType, m.AppMsgType, m.ImgStatus = 49, 5, 2
		m.FileName, m.Url = in.Title, in.URL
		content(fmt.Sprintf("<msg>\n\t<appmsg appid=\"\" sdkver=\"0\">\n\t\t<title>%s</title>\n\t\t<des>%s</des>\n\t\t<type>5</type>\n\t\t<content></content>\n\t\t<url>%s</url>\n\t\t<thumburl>%s</thumburl>\n\t</appmsg>\n\t<appinfo>\n\t\t<version>1</version>\n\t\t<appname></appname>\n\t</appinfo>\n</msg>\n",
			xmlEscape(in.Title), xmlEscape(in.Desc), xmlEscape(in.URL), "http://mmbiz.qpic.cn/"+ids.hex(32)))
	case "file":
		name, size := firstOf(in.Name, "file.bin"), fileSize(in)
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			ext = name[i+1:]
		}
		m.MsgType, m.AppMsgType = 49, 6
		m.FileName, m.FileSize = name, strconv.FormatInt(size, 10)
		m.MediaId = ids.mediaID()
		m.EncryFileName = encryFileName(name)
		m.AppInfo.AppID = "wx6618f1cfc6c132f8"
		s.media[m.MediaId] = mediaItem{size: size}
		content(fmt.Sprintf(`<msg><appmsg appid="wx6618f1cfc6c132f8" sdkver="0"><title>%s</title><des></des><action>view</action><type>6</type><showtype>0</showtype><content></content><url></url><appattach><totallen>%d</totallen><attachid>@cdn_%s_1</attachid><emoticonmd5></emoticonmd5><fileext>%s</fileext><cdnattachurl>%s</cdnattachurl><aeskey>%s</aeskey><encryver>1</encryver></appattach><md5>%s</md5></appmsg><fromusername></fromusername><scene>0</scene><appinfo><version>7</version><appname>微信电脑版</appname></appinfo><commenturl></commenturl></msg>`,
			xmlEscape(name), size, ids.hex(64), xmlEscape(ext), ids.hex(96), ids.hex(32), ids.hex(32)))
	case "miniprogram":
		m.MsgType, m.AppMsgType, m.ImgStatus = 49, 33, 2
		m.FileName, m.Url = in.Title, in.URL
		content(fmt.Sprintf(`<msg><appmsg appid="" sdkver="0"><title>%s</title><des>%s</des><type>33</type><url>%s</url><sourcedisplayname>%s</sourcedisplayname><appattach><cdnthumburl>%s</cdnthumburl><cdnthumbaeskey>%s</cdnthumbaeskey></appattach><weappinfo><username>gh_%s@app</username><appid>wx%s</appid><pagepath>pages/index/index.html</pagepath><weappiconurl>http://mmbiz.qpic.cn/%s</weappiconurl><shareId>1_wx%s_%s</shareId></weappinfo></appmsg><fromusername>%s</fromusername><appinfo><version>1</version><appname></appname></appinfo></msg>`,
			xmlEscape(in.Title), xmlEscape(in.Desc), xmlEscape(in.URL), xmlEscape(in.App), ids.hex(96), ids.hex(32),
			ids.hex(12), ids.hex(16), ids.hex(32), ids.hex(16), ids.hex(16), from.raw))
	case "redpacket":
		// What really arrives is a plain notice without sender prefix: the sender is
		// never known (PROTOCOL.md §7.15).
		m.MsgType = 10000
		m.Content = "收到红包，请在手机上查看"
		if from == self {
			m.Content = "发出红包，请在手机上查看"
		}
		return selContact
	case "transfer":
		amount := firstOf(in.Amount, "0.10")
		m.MsgType, m.AppMsgType = 49, 2000
		m.FileName = "微信转账"
		now := s.now().Unix()
		content(fmt.Sprintf("<msg>\n<appmsg appid=\"\" sdkver=\"\">\n<title><![CDATA[微信转账]]></title>\n<des><![CDATA[%s向你转账%s元。如需收钱，请点此升级至最新版本]]></des>\n<action></action>\n<type>2000</type>\n<content><![CDATA[]]></content>\n<url><![CDATA[https://support.weixin.qq.com/cgi-bin/mmsupport-bin/readtemplate?t=page/common_page__upgrade&text=text001&btn_text=btn_text_0]]></url>\n<thumburl><![CDATA[https://support.weixin.qq.com/cgi-bin/mmsupport-bin/readtemplate?t=page/common_page__upgrade&text=text001&btn_text=btn_text_0]]></thumburl>\n<lowurl></lowurl>\n<extinfo>\n</extinfo>\n<wcpayinfo>\n<paysubtype>1</paysubtype>\n<feedesc><![CDATA[￥%s]]></feedesc>\n<transcationid><![CDATA[%s]]></transcationid>\n<transferid><![CDATA[%s]]></transferid>\n<invalidtime><![CDATA[%d]]></invalidtime>\n<begintransfertime><![CDATA[%d]]></begintransfertime>\n<effectivedate><![CDATA[1]]></effectivedate>\n<pay_memo><![CDATA[]]></pay_memo>\n</wcpayinfo>\n</appmsg>\n</msg>",
			from.nick, amount, amount, "1000050001"+ids.pick(digits, 18), "1000050001"+ids.pick(digits, 18), now+86400, now))
	}
	return selMessage
}

func fileSize(in Injection) int64 {
	if in.Size > 0 {
		return in.Size
	}
	return 1024
}

// encryFileName is the file name percent-encoded byte by byte, dots included
// ("report%2Epdf").
func encryFileName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// mentionize writes @-mentions of members the way phones do: "@name" followed by U+2005
// (a typed space after the name becomes U+2005; at the very end U+2005 is appended).
// Longer names win, so "@小明明" is not read as "@小明".
func mentionize(g *contact, text string) string {
	if !strings.Contains(text, "@") {
		return text
	}
	names := make([]string, 0, len(g.members))
	for i := range g.members {
		names = append(names, mentionName(g, i))
	}
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '@')
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:i+1])
		text = text[i+1:]
		for _, n := range names {
			if n == "" || !strings.HasPrefix(text, n) {
				continue
			}
			b.WriteString(n)
			text = text[len(n):]
			switch {
			case text == "":
				b.WriteString("\u2005")
			case text[0] == ' ':
				b.WriteString("\u2005")
				text = text[1:]
			}
			break
		}
	}
}

// mentionName is what an @-mention writes: the group display name, else the nickname
// (PROTOCOL.md §7.4).
func mentionName(g *contact, i int) string {
	return firstOf(g.members[i].display, g.members[i].c.nick)
}

func (s *Server) en() bool { return s.opts.Language == "en" }

// notice delivers a 10000 system notice of a chat: no sender prefix, raw quotes.
func (s *Server) notice(sess *session, chat *contact, text string, status int) string {
	m := s.newMsg(s.ids.nextMsgID())
	m.MsgType, m.Status = 10000, status
	m.FromUserName, m.ToUserName = sess.userName(chat), sess.userName(s.world.self)
	m.Content = encodeText(text)
	s.deliverMsg(sess, m, selMessage)
	return m.MsgId
}

func (s *Server) injectRecall(in Injection) (string, error) {
	ref, ok := s.labels[in.Of]
	if !ok || ref.chat == nil {
		return "", fmt.Errorf("%w: no high-level message labelled %q", ErrUnknownName, in.Of)
	}
	id := s.ids.nextMsgID()
	m := s.newMsg(id)
	s.remember(in.Label, m.MsgId, ref.chat, ref.from)
	if sess := s.liveSession(); sess != nil {
		s.deliverMsg(sess, s.recallMsg(sess, m, ref), selMessage)
	}
	return m.MsgId, nil
}

// recallMsg fills m as the 10002 for ref: <msgid> is the MsgId delivered earlier,
// <session> the raw conversation id. Private recalls use the pretty layout, group ones
// the compact one: clients must parse both.
func (s *Server) recallMsg(sess *session, m *wireMsg, ref msgRef) *wireMsg {
	self := s.world.self
	m.MsgType, m.Status = 10002, 4
	prefix := ""
	var replace string
	if ref.from == self {
		m.FromUserName, m.ToUserName = sess.userName(self), sess.userName(ref.chat)
		replace = "你撤回了一条消息"
		if s.en() {
			replace = "You recalled a message"
		}
	} else {
		m.FromUserName, m.ToUserName = sess.userName(ref.chat), sess.userName(self)
		if ref.chat.isGroup() {
			prefix = sess.userName(ref.from) + ":<br/>"
		}
		name := s.world.shownName(ref.chat, ref.from)
		replace = `"` + name + `" 撤回了一条消息`
		if s.en() {
			replace = `"` + name + `" has recalled a message.`
		}
	}
	old, _ := strconv.ParseUint(ref.id, 10, 64)
	format := "<sysmsg type=\"revokemsg\">\n\t<revokemsg>\n\t\t<session>%s</session>\n\t\t<oldmsgid>%d</oldmsgid>\n\t\t<msgid>%s</msgid>\n\t\t<replacemsg><![CDATA[%s]]></replacemsg>\n\t</revokemsg>\n</sysmsg>\n"
	if ref.chat.isGroup() {
		format = `<sysmsg type="revokemsg"><revokemsg><session>%s</session><oldmsgid>%d</oldmsgid><msgid>%s</msgid><replacemsg><![CDATA[%s]]></replacemsg></revokemsg></sysmsg>`
	}
	m.Content = prefix + encodeText(fmt.Sprintf(format, ref.chat.raw, 1_000_000_000+old%1_000_000_000, ref.id, replace))
	return m
}

func (s *Server) groupOf(name string) (*contact, error) {
	g := s.world.find(name, (*contact).isGroup)
	if g == nil {
		return nil, fmt.Errorf("%w: group %q", ErrUnknownName, name)
	}
	return g, nil
}

// actor resolves who did something in a group: "self" or a member.
func (s *Server) actor(g *contact, name string, role string) (*contact, error) {
	if name == "" {
		return nil, fmt.Errorf("%s requires from (the %s)", role, role)
	}
	_, p := s.world.findMember(g, name)
	if p == nil {
		return nil, fmt.Errorf("%w: %s %q is not a member of %q", ErrUnknownName, role, name, g.nick)
	}
	return p, nil
}

// injectJoin adds members and emits the notice the service shows, then the group's
// ModContactList entry. Invitees share one notice; QR joins get one each.
func (s *Server) injectJoin(in Injection) (string, error) {
	g, err := s.groupOf(in.Chat)
	if err != nil {
		return "", err
	}
	via := firstOf(in.Via, "invite")
	if via != "invite" && via != "qr" {
		return "", fmt.Errorf("via %q is not invite or qr", in.Via)
	}
	by, err := s.actor(g, in.From, map[string]string{"invite": "inviter", "qr": "QR sharer"}[via])
	if err != nil {
		return "", err
	}
	if len(in.Members) == 0 {
		return "", errors.New("join requires members")
	}
	var joined []*contact
	for _, name := range in.Members {
		p := s.world.personOrStranger(s.ids, name)
		if p == s.world.self {
			return "", errors.New("self joining a group is not modelled: the bot is in every scenario group")
		}
		if g.memberIndex(p) >= 0 {
			return "", fmt.Errorf("%q is already a member of %q", name, g.nick)
		}
		joined = append(joined, p)
	}
	return s.joinGroup(g, by, joined, via == "qr"), nil
}

// joinGroup adds members, then delivers the notice and the group's ModContactList entry.
func (s *Server) joinGroup(g, by *contact, joined []*contact, qr bool) string {
	for _, p := range joined {
		g.members = append(g.members, member{c: p})
	}
	sess := s.liveSession()
	if sess == nil {
		return ""
	}
	var id string
	for _, text := range s.joinTexts(g, by, joined, qr) {
		id = firstOf(id, s.notice(sess, g, text, 3))
	}
	s.deliverContact(sess, g)
	return id
}

// joinTexts are the exact notices of PROTOCOL.md §7.18, trailing spaces included.
func (s *Server) joinTexts(g, by *contact, joined []*contact, qr bool) []string {
	self := by == s.world.self
	x := s.world.shownName(g, by)
	names := make([]string, len(joined))
	for i, p := range joined {
		names[i] = s.world.shownName(g, p)
	}
	if !qr {
		switch {
		case self && s.en():
			return []string{"You invited " + joinNames(names) + " to the group chat.   "}
		case self:
			return []string{`你邀请"` + joinNames(names) + `"加入了群聊  `}
		case s.en():
			return []string{x + " invited " + joinNames(names) + " to the group chat"}
		default:
			return []string{`"` + x + `"邀请"` + joinNames(names) + `"加入了群聊`}
		}
	}
	texts := make([]string, len(names))
	for i, y := range names {
		switch {
		case self && s.en():
			texts[i] = `"` + y + `" joined group chat via the QR code you shared.  `
		case self:
			texts[i] = `"` + y + `"通过扫描你分享的二维码加入群聊  `
		case s.en():
			texts[i] = `"` + y + `" joined the group chat via the QR Code shared by "` + x + `".`
		default:
			texts[i] = `"` + y + `"通过扫描"` + x + `"分享的二维码加入群聊`
		}
	}
	return texts
}

// injectLeave removes members. Leaves have no notice text — clients see them only by
// diffing the ModContactList MemberList — except when self removes someone or is
// removed.
func (s *Server) injectLeave(in Injection) (string, error) {
	g, err := s.groupOf(in.Chat)
	if err != nil {
		return "", err
	}
	if len(in.Members) == 0 {
		return "", errors.New("leave requires members")
	}
	var by *contact
	if in.From != "" {
		if by, err = s.actor(g, in.From, "remover"); err != nil {
			return "", err
		}
		if by != g.owner {
			return "", fmt.Errorf("%q does not own %q and cannot remove members", in.From, g.nick)
		}
	}
	var left []*contact
	for _, name := range in.Members {
		_, p := s.world.findMember(g, name)
		if p == nil {
			return "", fmt.Errorf("%w: %q is not a member of %q", ErrUnknownName, name, g.nick)
		}
		left = append(left, p)
	}
	return s.leaveGroup(g, by, left), nil
}

// leaveGroup removes members (by is the remover, nil for a leave) and delivers what the
// service shows: a notice only when self removes or is removed, then ModContactList —
// or DelContactList when self is out.
func (s *Server) leaveGroup(g, by *contact, left []*contact) string {
	sess := s.liveSession()
	self := s.world.self
	var id string
	for _, p := range left {
		// The name as shown before leaving: the display name goes with the membership.
		if sess != nil && by != nil {
			name := s.world.shownName(g, p)
			switch {
			case by == self && s.en():
				id = s.notice(sess, g, `You removed "`+name+`" from the group chat`, 3)
			case by == self:
				id = s.notice(sess, g, `你将"`+name+`"移出了群聊`, 3)
			case p == self && s.en():
				id = s.notice(sess, g, `You were removed from the group chat by "`+s.world.shownName(g, by)+`"`, 3)
			case p == self:
				id = s.notice(sess, g, `你被"`+s.world.shownName(g, by)+`"移出群聊`, 3)
			}
		}
		if i := g.memberIndex(p); i >= 0 {
			g.members = append(g.members[:i], g.members[i+1:]...)
		}
	}
	if sess != nil {
		if g.memberIndex(self) < 0 {
			s.deliverDelContact(sess, g)
		} else {
			s.deliverContact(sess, g)
		}
	}
	return id
}

func (s *Server) injectRename(in Injection) (string, error) {
	g, err := s.groupOf(in.Chat)
	if err != nil {
		return "", err
	}
	by, err := s.actor(g, in.From, "renamer")
	if err != nil {
		return "", err
	}
	name := firstOf(in.Name, in.Text)
	if name == "" {
		return "", errors.New("rename requires name (the new group name)")
	}
	return s.renameGroup(g, by, name), nil
}

func (s *Server) renameGroup(g, by *contact, name string) string {
	g.nick = name
	sess := s.liveSession()
	if sess == nil {
		return ""
	}
	// The new name sits in CJK quotes “…”, the actor in ASCII ones.
	var text string
	switch {
	case by == s.world.self && s.en():
		text = `You changed the group name to "` + name + `"`
	case by == s.world.self:
		text = "你修改群名为“" + name + "”"
	case s.en():
		text = `"` + s.world.shownName(g, by) + `" changed the group name to "` + name + `"`
	default:
		text = `"` + s.world.shownName(g, by) + `"修改群名为“` + name + "”"
	}
	id := s.notice(sess, g, text, 3)
	s.deliverContact(sess, g)
	return id
}

// injectFriendRequest delivers a 37 from fmessage; webwxverifyuser with the
// RecommendInfo's UserName and Ticket accepts it.
func (s *Server) injectFriendRequest(in Injection) (string, error) {
	if in.From == "" || in.From == "self" {
		return "", errors.New("friend_request requires from (the requester)")
	}
	p := s.world.personOrStranger(s.ids, in.From)
	if p.kind != kindStranger {
		return "", fmt.Errorf("%q is already a contact", in.From)
	}
	scene, room := 30, ""
	if in.Chat != "" {
		g, err := s.groupOf(in.Chat)
		if err != nil {
			return "", err
		}
		scene, room = 14, g.raw // found through a group
	}
	p.ticket = "v2_" + s.ids.hex(64) + "@stranger"
	m := s.newMsg(s.ids.nextMsgID())
	s.remember(in.Label, m.MsgId, s.world.fmessage, p)
	sess := s.liveSession()
	if sess == nil {
		return m.MsgId, nil
	}
	m.MsgType = 37
	m.FromUserName, m.ToUserName = s.world.fmessage.raw, sess.userName(s.world.self)
	m.RecommendInfo = recommendInfo{UserName: sess.userName(p), NickName: encodeText(p.nick), Content: in.Text,
		Province: p.province, City: p.city, Signature: p.signature, Alias: p.alias, Scene: scene,
		AttrStatus: p.attr, Sex: p.sex, Ticket: p.ticket, OpCode: 2}
	head := "http://wx.qlogo.cn/mmhead/ver_1/" + s.ids.hex(64)
	m.Content = encodeText(fmt.Sprintf(`<msg fromusername="%s" encryptusername="v1_%s@stranger" fromnickname="%s" content="%s"  shortpy="" imagestatus="3" scene="%d" country="CN" province="%s" city="%s" sign="%s" percard="1" sex="%d" alias="%s" weibo="" weibonickname="" albumflag="0" albumstyle="0" albumbgimgid="" snsflag="49" snsbgimgid="" snsbgobjectid="0" mhash="" mfullhash="" bigheadimgurl="%s/0" smallheadimgurl="%s/132" ticket="%s" opcode="2" googlecontact="" qrticket="" chatroomusername="%s" sourceusername="" sourcenickname=""><brandlist count="0" ver="%d"></brandlist></msg>`,
		p.raw, s.ids.hex(64), xmlEscape(p.nick), xmlEscape(in.Text), scene, xmlEscape(p.province), xmlEscape(p.city),
		xmlEscape(p.signature), p.sex, xmlEscape(p.alias), head, head, p.ticket, room, 600000000+s.ids.r.IntN(100000000)))
	s.deliverMsg(sess, m, selMessage)
	return m.MsgId, nil
}

// injectOwnerActive is the owner opening a chat on the phone: 51 code 2 with selector 7.
func (s *Server) injectOwnerActive(in Injection) (string, error) {
	chat := s.world.findChat(in.Chat)
	if chat == nil || chat == s.world.self {
		return "", fmt.Errorf("%w: chat %q", ErrUnknownName, in.Chat)
	}
	m := s.newMsg(s.ids.nextMsgID())
	sess := s.liveSession()
	if sess == nil {
		return m.MsgId, nil
	}
	m.MsgType, m.StatusNotifyCode = 51, 2
	m.FromUserName, m.ToUserName = sess.userName(s.world.self), sess.userName(chat)
	m.StatusNotifyUserName = m.ToUserName
	s.deliverMsg(sess, m, selOwner)
	return m.MsgId, nil
}

// injectRaw delivers an AddMsgList entry as given, after substituting placeholders and
// adding MsgId, NewMsgId and CreateTime when absent. The bytes are kept, so a NewMsgId
// above 2^53 survives.
func (s *Server) injectRaw(in Injection) (string, error) {
	sess := s.liveSession()
	if sess == nil {
		return "", fmt.Errorf("%w: raw messages are written with a login's UserNames", ErrNotLoggedIn)
	}
	text, err := s.substitute(sess, string(in.Raw))
	if err != nil {
		return "", err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &fields); err != nil {
		return "", fmt.Errorf("raw is not a JSON object: %w", err)
	}
	id := ""
	if v, ok := fields["MsgId"]; ok {
		var fs flexString
		_ = json.Unmarshal(v, &fs)
		id = string(fs)
	} else if v, ok := fields["NewMsgId"]; ok {
		id = string(v)
	}
	var extra []string
	if id == "" {
		id = strconv.FormatUint(s.ids.nextMsgID(), 10)
	}
	if _, ok := fields["MsgId"]; !ok {
		extra = append(extra, `"MsgId":"`+id+`"`)
	}
	if _, ok := fields["NewMsgId"]; !ok {
		extra = append(extra, `"NewMsgId":`+id)
	}
	if _, ok := fields["CreateTime"]; !ok {
		extra = append(extra, `"CreateTime":`+strconv.FormatInt(s.now().Unix(), 10))
	}
	body := bytes.TrimSpace([]byte(text))
	body = body[:len(body)-1] // the closing '}'
	if len(extra) > 0 {
		if len(fields) > 0 {
			body = append(body, ',')
		}
		body = append(body, strings.Join(extra, ",")...)
	}
	body = append(body, '}')
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		return "", fmt.Errorf("raw: %w", err)
	}
	s.remember(in.Label, id, nil, nil)
	s.appendMsg(sess, id, entry{kind: entryMsg, selector: selMessage, data: compact.Bytes()})
	return id, nil
}

// substitute replaces {{self}}, {{user:NAME}}, {{group:NAME}}, {{wxid:NAME}},
// {{chatroom:NAME}} and {{msgid:LABEL}}.
func (s *Server) substitute(sess *session, text string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(text, "{{")
		j := strings.Index(text[max(i, 0):], "}}")
		if i < 0 || j < 0 {
			b.WriteString(text)
			return b.String(), nil
		}
		b.WriteString(text[:i])
		kind, name, _ := strings.Cut(text[i+2:i+j], ":")
		var v string
		var c *contact
		switch kind {
		case "self":
			c = s.world.self
		case "user", "wxid":
			c = s.world.findPerson(name)
		case "group", "chatroom":
			c = s.world.find(name, (*contact).isGroup)
		case "msgid":
			ref, ok := s.labels[name]
			if !ok {
				return "", fmt.Errorf("%w: label %q", ErrUnknownName, name)
			}
			v = ref.id
		default:
			return "", fmt.Errorf("unknown placeholder {{%s}}", text[i+2:i+j])
		}
		switch {
		case kind == "msgid":
		case c == nil:
			return "", fmt.Errorf("%w: {{%s}}", ErrUnknownName, text[i+2:i+j])
		case kind == "wxid" || kind == "chatroom":
			v = c.raw
		default:
			v = sess.userName(c)
		}
		b.WriteString(v)
		text = text[i+j+2:]
	}
}

// MembersChange is a /_sim/members body: Op "join", "leave" or "rename" (the group) work
// as the injection kinds of the same name; "display" sets the Members' display name in
// the group and "nickname" their nickname to Name — both visible only in ModContactList.
type MembersChange struct {
	Chat    string   `json:"chat"`
	Op      string   `json:"op"`
	Members []string `json:"members"`
	From    string   `json:"from"` // join: inviter or QR sharer; leave: remover; rename: renamer
	Via     string   `json:"via"`  // join: "invite" or "qr"
	Name    string   `json:"name"` // rename, display, nickname: the new name
}

// Members applies a membership or name change and returns the MsgId of the notice it
// produced, if any.
func (s *Server) Members(ch MembersChange) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := s.members(ch)
	if err != nil {
		return "", fmt.Errorf("wxsim: members %s: %w", ch.Op, err)
	}
	return id, nil
}

func (s *Server) members(ch MembersChange) (string, error) {
	in := Injection{Kind: ch.Op, Chat: ch.Chat, From: ch.From, Members: ch.Members, Via: ch.Via, Name: ch.Name}
	switch ch.Op {
	case "join":
		return s.injectJoin(in)
	case "leave":
		return s.injectLeave(in)
	case "rename":
		return s.injectRename(in)
	case "display", "nickname":
	default:
		return "", fmt.Errorf("op %q is not join, leave, rename, display or nickname", ch.Op)
	}
	g, err := s.groupOf(ch.Chat)
	if err != nil {
		return "", err
	}
	var changed []*contact
	for _, name := range ch.Members {
		i, p := s.world.findMember(g, name)
		if p == nil {
			return "", fmt.Errorf("%w: %q is not a member of %q", ErrUnknownName, name, g.nick)
		}
		if ch.Op == "display" {
			g.members[i].display = ch.Name
		} else {
			p.nick = ch.Name
			changed = append(changed, p)
		}
	}
	if sess := s.liveSession(); sess != nil {
		for _, p := range changed {
			if p.kind == kindFriend {
				s.deliverContact(sess, p)
			}
		}
		s.deliverContact(sess, g)
	}
	return "", nil
}
