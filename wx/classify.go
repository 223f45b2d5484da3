package wx

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Classification (PROTOCOL.md §6, §7): one AddMsgList entry and the contact book in, one
// Message out. Classify is a pure function: it reads the book, never changes it, and never
// does I/O, so it is table-tested against fixtures and safe to call from any goroutine the
// book allows.
//
// Message.Text, by kind — what a log line or a notification shows:
//
//	text                    the decoded text (emoji as runes, <br/> as \n, entities unescaped)
//	image, voice, video     [图片], [语音], [视频]
//	emoticon                [表情]
//	location                [位置] <label>
//	card                    [名片] <nickname>
//	link                    [链接] <title>
//	file                    [文件] <file name>
//	miniprogram             [小程序] <title>
//	history                 [聊天记录] <title>
//	transfer                [转账] <feedesc, e.g. ￥0.10>
//	redpacket               the notice text (10000), or [红包] <title> (49/2001)
//	recall                  the replace text: "阿杰" 撤回了一条消息
//	join, rename, system    the notice text, trimmed (weixin:// links reduced to their text)
//	friend_request          the greeting
//	owner_active            ""
//	unknown                 the app message title when there is one, else ""
//
// The bracketed labels are the ones the phone shows in chat previews. A label is followed by a
// space and the title only when there is a title. Rules that care about media test Kind, not
// Text.
//
// Kind choices where the protocol leaves room:
//
//   - 49/1 (app text) and 49/57 (quote) are text: Text is the payload title, the typed words.
//   - 49/2 is an image, 49/8 an emoticon, 49/3 (music), 49/4 (video link), 49/5 and 49/7 links.
//   - 49/17 (realtime location started) is system: it has no coordinates to report, and its
//     end arrives as a 10000 notice, which is system too.
//   - 40 (friend suggestion), 50/52/53 (VOIP) and 9999 (SYSNOTICE) are system: things happened
//     that rules may log but should not answer.
//   - 51 from self with codes 1, 2, 4, 5 is owner_active; any other 51 is system.
//   - 10000 red-packet texts are redpacket, with Description "received", "sent" (the owner,
//     from the phone: Sender is self) or "collection" (RedPacketNotice values). In a group the
//     sender of a received packet is never known (Sender zero); in a 1:1 chat it is the peer.
//     49/2001 (declared, never captured) is redpacket too, Description "received", or "sent"
//     when it comes from self.
//   - Group notices: invitations and QR joins are join, renames rename, removals (of someone by
//     self, or of self) system; all of them with Notice filled. Other 10000 texts are system.
//   - 10002 whose payload is not a revokemsg, and every unlisted MsgType or AppMsgType, are
//     unknown, with Raw kept.

// Classify turns one AddMsgList entry into a Message. rawJSON is the entry as received; it is
// kept (not copied) in Message.Raw. When raw is nil, rawJSON is decoded. book may be nil: chats
// and senders are then Peers with only their wire names.
func Classify(raw *RawMessage, rawJSON []byte, book ContactLookup) *Message {
	if raw == nil {
		var r RawMessage
		if len(rawJSON) == 0 || json.Unmarshal(rawJSON, &r) != nil {
			return &Message{Kind: KindUnknown, Raw: rawJSON}
		}
		raw = &r
	}
	c := classifier{raw: raw, book: book}
	return c.classify(rawJSON)
}

type classifier struct {
	raw     *RawMessage
	book    ContactLookup
	self    *Contact
	group   *Contact // the chat, when it is a group the book knows
	isGroup bool     // the chat is a group, known or not
	m       *Message
	body    string // Content without the group sender prefix
}

func (c *classifier) classify(rawJSON []byte) *Message {
	raw := c.raw
	m := &Message{
		MsgID:      raw.MsgID,
		NewMsgID:   string(raw.NewMsgID),
		MsgType:    raw.MsgType,
		AppMsgType: raw.AppMsgType,
		SubMsgType: raw.SubMsgType,
		Raw:        rawJSON,
	}
	c.m = m
	if m.MsgID == "" {
		m.MsgID = m.NewMsgID
	}
	if m.NewMsgID == "" {
		m.NewMsgID = m.MsgID
	}
	if raw.CreateTime > 0 {
		m.Time = time.Unix(raw.CreateTime, 0).UTC()
	}
	if c.book != nil {
		c.self = c.book.Self()
	}
	selfName := ""
	if c.self != nil {
		selfName = c.self.UserName
	}

	// Direction (§6.2): the owner's own messages (typed on the phone, or echoes of ours) come
	// From self and belong to the To conversation; web JS treats an empty From as self too.
	m.IsSelf = raw.FromUserName == "" || selfName != "" && raw.FromUserName == selfName
	chatName := raw.FromUserName
	if m.IsSelf {
		chatName = raw.ToUserName
	}
	c.isGroup = IsGroupUserName(chatName)
	if c.isGroup && c.book != nil {
		c.group = c.book.Contact(chatName)
	}
	m.Chat = c.peer(chatName)

	// Received group messages start with "<sender>:<br/>"; the owner's own and 10000 notices
	// don't, and a prefix-looking start of those is the text itself.
	c.body = raw.Content
	switch {
	case m.IsSelf:
		m.Sender = c.selfPeer()
	case c.isGroup && raw.MsgType != 10000 && raw.MsgType != 51:
		if sender, rest, ok := splitSenderPrefix(raw.Content); ok {
			c.body = rest
			m.Sender = c.memberPeer(sender)
		}
	case !c.isGroup && raw.MsgType != 10000:
		m.Sender = m.Chat
	}

	switch raw.MsgType {
	case 1:
		if isLocationMessage(raw) {
			c.location()
		} else {
			c.text(DecodeContent(c.body))
		}
	case 3:
		c.image()
	case 34:
		c.voice()
	case 43, 62:
		c.video()
	case 47:
		c.emoticon()
	case 42:
		c.card()
	case 48:
		c.location()
	case 49:
		c.appMessage()
	case 37:
		c.friendRequest()
	case 51:
		c.statusNotify()
	case 10000:
		c.notice()
	case 10002:
		c.recall()
	case 40:
		m.Kind, m.Text = KindSystem, "[好友推荐]"
	case 50, 52, 53:
		m.Kind, m.Text = KindSystem, "[通话]"
	case 9999:
		m.Kind, m.Text = KindSystem, "[系统通知]"
	default:
		m.Kind = KindUnknown
	}
	return m
}

// splitSenderPrefix splits "<sender>:<br/><rest>" on the first ":<br/>" only (text may hold
// more). The sender is a wire name ("@" + hex) or, as web JS also accepts, a raw id.
func splitSenderPrefix(content string) (sender, rest string, ok bool) {
	i := strings.Index(content, ":"+lineBreak)
	if i <= 0 {
		return "", content, false
	}
	name := content[:i]
	start := 0
	if name[0] == '@' {
		start = 1
		if len(name) == 1 {
			return "", content, false
		}
	}
	for j := start; j < len(name); j++ {
		ch := name[j]
		if !isASCIIAlnum(ch) && (start == 1 || ch != '_' && ch != '-') {
			return "", content, false
		}
	}
	return name, content[i+len(":"+lineBreak):], true
}

// peer snapshots a chat from the book.
func (c *classifier) peer(userName string) Peer {
	if c.self != nil && userName == c.self.UserName {
		return c.selfPeer()
	}
	if c.group != nil && userName == c.group.UserName {
		return c.group.Peer()
	}
	if c.book != nil {
		if ct := c.book.Contact(userName); ct != nil {
			return ct.Peer()
		}
	}
	return Peer{UserName: userName, IsGroup: IsGroupUserName(userName), IsSpecial: IsSpecialUserName(userName)}
}

func (c *classifier) selfPeer() Peer {
	if c.self == nil {
		return Peer{IsSelf: true}
	}
	p := c.self.Peer()
	p.IsSelf = true
	if c.group != nil {
		p.DisplayName = c.selfDisplayName()
	}
	return p
}

// memberPeer snapshots a group member from the sender prefix: the contact when the book knows
// the person, with the DisplayName of this group; only the name when nobody knows them.
func (c *classifier) memberPeer(sender string) Peer {
	if !strings.HasPrefix(sender, "@") {
		return Peer{RawID: sender} // web JS's raw-id prefix: not a wire name
	}
	if c.self != nil && sender == c.self.UserName {
		return c.selfPeer()
	}
	p := Peer{UserName: sender}
	if c.book != nil {
		if ct := c.book.Contact(sender); ct != nil {
			p = ct.Peer()
		}
	}
	if c.group != nil {
		if mem := c.group.Member(sender); mem != nil {
			if p.NickName == "" {
				p.NickName = mem.NickName
			}
			p.DisplayName = mem.DisplayName
		}
	}
	return p
}

// selfDisplayName is self's name in the group: the mention target before the nickname.
func (c *classifier) selfDisplayName() string {
	if c.group == nil {
		return ""
	}
	if c.group.SelfDisplayName != "" {
		return c.group.SelfDisplayName
	}
	if c.self != nil {
		if mem := c.group.Member(c.self.UserName); mem != nil {
			return mem.DisplayName
		}
	}
	return ""
}

// selfMentionName is how members @-mention the owner in this group (§7.4).
func (c *classifier) selfMentionName() string {
	if n := c.selfDisplayName(); n != "" {
		return n
	}
	if c.self != nil {
		return c.self.NickName
	}
	return ""
}

func (c *classifier) text(text string) {
	m := c.m
	m.Kind, m.Text = KindText, text
	if !c.isGroup {
		return
	}
	if strings.IndexByte(text, '@') < 0 {
		return
	}
	m.Mentions = Mentions(text)
	if m.IsSelf {
		return
	}
	name := c.selfMentionName()
	// The book holds decoded names; a name that still carries spans or entities is matched
	// decoded as well, so neither side's encoding can hide a mention.
	m.Mentioned = IsMentioned(text, name)
	if !m.Mentioned {
		if decoded := DecodeName(name); decoded != name {
			m.Mentioned = IsMentioned(text, decoded)
		}
	}
}

// isLocationMessage is web JS's rule: MsgType 1 with SubMsgType 48 or a location picture link,
// and a map URL.
func isLocationMessage(raw *RawMessage) bool {
	return (raw.SubMsgType == 48 || strings.Contains(raw.Content, "pictype=location")) &&
		strings.Contains(raw.URL, "apis.map.qq.com")
}

func (c *classifier) location() {
	m, raw := c.m, c.raw
	m.Kind, m.URL = KindLocation, raw.URL
	loc := &Location{}
	p, err := ParseLocation(raw.OriContent)
	if err != nil && raw.MsgType == 48 {
		p, err = ParseLocation(c.body)
	}
	if err == nil {
		loc.Lat, loc.Lng, loc.Label = p.Lat, p.Lng, p.Label
	} else {
		loc.Lat, loc.Lng = coordFromMapURL(raw.URL)
	}
	if loc.Label == "" {
		// Content is "<label>:<br/>/cgi-bin/mmwebwx-bin/webwxgetpubliclinkimg?…".
		if label, _, ok := strings.Cut(c.body, ":"+lineBreak); ok && !strings.HasPrefix(label, "&lt;") {
			loc.Label = strings.TrimSpace(DecodeContent(label))
		}
	}
	m.Location = loc
	m.Text = labelled("[位置]", loc.Label)
}

// coordFromMapURL reads "coord=<lat>,<lng>" from the map URL.
func coordFromMapURL(u string) (lat, lng float64) {
	i := strings.Index(u, "coord=")
	if i < 0 {
		return 0, 0
	}
	v := u[i+len("coord="):]
	if j := strings.IndexAny(v, "&#"); j >= 0 {
		v = v[:j]
	}
	a, b, ok := strings.Cut(v, ",")
	if !ok {
		return 0, 0
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lng, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err1 != nil || err2 != nil || lat != lat || lng != lng || lat > 90 || lat < -90 || lng > 180 || lng < -180 {
		return 0, 0
	}
	return lat, lng
}

func labelled(label, s string) string {
	if s == "" {
		return label
	}
	return label + " " + s
}

func (c *classifier) image() {
	m, raw := c.m, c.raw
	m.Kind, m.Text = KindImage, "[图片]"
	media := &Media{Width: raw.ImgWidth, Height: raw.ImgHeight}
	// Three payload eras: 2014 <img length hdlength/>, 2017 <img … md5/>, 2019 an opaque
	// "@<hex>" token with nothing to read.
	if p, err := ParseMedia(c.body); err == nil {
		media.Size, media.MD5 = p.Length, p.MD5
		if media.Width == 0 && media.Height == 0 {
			media.Width, media.Height = p.ThumbWidth, p.ThumbHeight
		}
	}
	m.Media = media
}

func (c *classifier) voice() {
	m, raw := c.m, c.raw
	m.Kind, m.Text = KindVoice, "[语音]"
	media := &Media{Duration: raw.VoiceLength}
	if p, err := ParseMedia(c.body); err == nil {
		media.Size = p.Length
		if media.Duration == 0 {
			media.Duration = p.VoiceLength
		}
	}
	m.Media = media
}

func (c *classifier) video() {
	m, raw := c.m, c.raw
	m.Kind, m.Text = KindVideo, "[视频]"
	media := &Media{Width: raw.ImgWidth, Height: raw.ImgHeight, Duration: raw.PlayLength * 1000}
	if p, err := ParseMedia(c.body); err == nil {
		media.Size, media.MD5 = p.Length, p.MD5
		if media.Duration == 0 {
			media.Duration = p.PlayLength * 1000
		}
	}
	m.Media = media
}

func (c *classifier) emoticon() {
	m, raw := c.m, c.raw
	m.Kind, m.Text = KindEmoticon, "[表情]"
	// Store stickers come with an empty Content and/or HasProductId 1; there is nothing to
	// download for them.
	media := &Media{Width: raw.ImgWidth, Height: raw.ImgHeight,
		Store: raw.HasProductID == 1 || strings.TrimSpace(c.body) == ""}
	if p, err := ParseMedia(c.body); err == nil {
		media.Size, media.MD5 = p.Length, p.MD5
		media.Store = media.Store || p.ProductID != ""
		if media.Width == 0 && media.Height == 0 {
			media.Width, media.Height = p.Width, p.Height
		}
	}
	m.Media = media
}

func (c *classifier) card() {
	m, ri := c.m, &c.raw.RecommendInfo
	card := &Card{
		UserName: ri.UserName, NickName: DecodeName(ri.NickName), Alias: ri.Alias,
		Province: DecodeName(ri.Province), City: DecodeName(ri.City), Sex: ri.Sex,
	}
	if p, err := ParseCard(c.body); err == nil {
		card.RawID = p.UserName
		card.NickName = firstNonEmpty(p.NickName, card.NickName)
		card.Alias = firstNonEmpty(card.Alias, p.Alias)
		card.Province = firstNonEmpty(card.Province, p.Province)
		card.City = firstNonEmpty(card.City, p.City)
		if card.Sex == 0 {
			card.Sex = p.Sex
		}
	}
	m.Kind, m.Card = KindCard, card
	m.Text = labelled("[名片]", card.NickName)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (c *classifier) appMessage() {
	m, raw := c.m, c.raw
	a, err := ParseAppMsg(c.body)
	if err != nil {
		a = &AppMsg{}
	}
	appType := raw.AppMsgType
	if appType == 0 && a.Type != 0 {
		appType = a.Type // the JSON's 0 is a default; the payload knows better
	}
	m.Title = firstNonEmpty(a.Title, DecodeName(raw.FileName))
	m.URL = firstNonEmpty(a.URL, raw.URL)
	m.Description = a.Description

	switch appType {
	case 3, 4, 5, 7:
		m.Kind = KindLink
		if appType == 3 && m.URL == "" {
			m.URL = a.DataURL
		}
		if len(a.Articles) > 0 { // an official-account push: the first article leads
			first := a.Articles[0]
			m.Title = firstNonEmpty(m.Title, first.Title)
			m.URL = firstNonEmpty(m.URL, first.URL)
			m.Description = firstNonEmpty(m.Description, first.Digest)
		}
		m.Text = labelled("[链接]", m.Title)
	case 6:
		f := &File{
			Name:          m.Title,
			Size:          atoi64Lenient(string(raw.FileSize)),
			Ext:           a.Attach.FileExt,
			MediaID:       raw.MediaID,
			EncryFileName: raw.EncryFileName,
		}
		if f.Size == 0 {
			f.Size = a.Attach.TotalLen
		}
		if f.Ext == "" {
			if i := strings.LastIndexByte(f.Name, '.'); i >= 0 && i < len(f.Name)-1 {
				f.Ext = f.Name[i+1:]
			}
		}
		m.Kind, m.File, m.URL = KindFile, f, ""
		m.Text = labelled("[文件]", f.Name)
	case 33, 36:
		m.Kind = KindMiniProgram
		m.MiniProgram = &MiniProgram{
			Name: a.SourceName, AppID: a.WeApp.AppID, PagePath: a.WeApp.PagePath,
			RawID: firstNonEmpty(a.WeApp.UserName, a.SourceUserName),
		}
		m.Text = labelled("[小程序]", m.Title)
	case 0, 19:
		m.Kind = KindHistory
		m.Text = labelled("[聊天记录]", m.Title)
	case 2000:
		m.Kind, m.Amount = KindTransfer, a.Pay.Amount()
		m.Text = labelled("[转账]", a.Pay.FeeDesc)
	case 2001:
		m.Kind, m.Description = KindRedPacket, string(RedPacketReceived)
		if m.IsSelf {
			m.Description = string(RedPacketSent)
		}
		m.Text = labelled("[红包]", m.Title)
	case 17:
		m.Kind, m.Text = KindSystem, m.Title
	case 1, 57:
		c.text(m.Title)
		m.Title, m.URL, m.Description = "", "", ""
	case 2:
		m.Kind, m.Text = KindImage, "[图片]"
		m.Media = &Media{Width: raw.ImgWidth, Height: raw.ImgHeight, Size: a.Attach.TotalLen}
	case 8:
		m.Kind, m.Text = KindEmoticon, "[表情]"
		m.Media = &Media{Width: raw.ImgWidth, Height: raw.ImgHeight, MD5: a.Attach.EmoticonMD5,
			Store: raw.HasProductID == 1}
	default:
		m.Kind, m.Text = KindUnknown, m.Title
	}
}

func (c *classifier) friendRequest() {
	m, ri := c.m, &c.raw.RecommendInfo
	fr := &FriendRequest{
		UserName: ri.UserName, Ticket: ri.Ticket, NickName: DecodeName(ri.NickName),
		Greeting: DecodeContent(ri.Content), Alias: ri.Alias, Province: DecodeName(ri.Province),
		City: DecodeName(ri.City), Sex: ri.Sex, Signature: DecodeContent(ri.Signature), Scene: ri.Scene,
	}
	if p, err := ParseFriendRequest(c.body); err == nil {
		fr.RawID = p.FromUserName
		fr.ChatRoomRawID = p.ChatRoomUserName
		fr.Ticket = firstNonEmpty(fr.Ticket, p.Ticket)
		fr.NickName = firstNonEmpty(fr.NickName, p.FromNickName)
		fr.Greeting = firstNonEmpty(fr.Greeting, p.Content)
		fr.Alias = firstNonEmpty(fr.Alias, p.Alias)
		fr.Province = firstNonEmpty(fr.Province, p.Province)
		fr.City = firstNonEmpty(fr.City, p.City)
		fr.Signature = firstNonEmpty(fr.Signature, p.Sign)
		if fr.Sex == 0 {
			fr.Sex = p.Sex
		}
		if fr.Scene == 0 {
			fr.Scene = p.Scene
		}
	}
	m.Kind, m.FriendRequest, m.Text = KindFriendRequest, fr, fr.Greeting
	m.Sender = Peer{
		UserName: fr.UserName, RawID: fr.RawID, NickName: fr.NickName, Alias: fr.Alias, Sex: fr.Sex,
		Province: fr.Province, City: fr.City, Signature: fr.Signature,
	}
}

func (c *classifier) statusNotify() {
	m, raw := c.m, c.raw
	code := raw.StatusNotifyCode
	if !m.IsSelf || code != 1 && code != 2 && code != 4 && code != 5 {
		m.Kind = KindSystem
		return
	}
	act := &OwnerActivity{Code: code, Chats: splitList(raw.StatusNotifyUserName)}
	if len(act.Chats) == 0 && code != 4 && raw.ToUserName != "" {
		act.Chats = []string{raw.ToUserName}
	}
	if code == 4 {
		// The op list's raw ids follow StatusNotifyUserName's order (ItChat pairs them). When
		// the counts differ the pairing is unknowable, and a wrong pair would map a chat to
		// another chat's permanent id: keep none.
		if p, err := ParseStatusNotify(c.body); err == nil && len(p.RawIDs) == len(act.Chats) {
			act.RawIDs = p.RawIDs
		}
	}
	m.Kind, m.OwnerActivity = KindOwnerActive, act
}

func (c *classifier) notice() {
	m := c.m
	text := strings.TrimSpace(stripLinks(DecodeContent(c.body)))
	m.Kind, m.Text = KindSystem, text
	if rp, ok := ParseRedPacketNotice(text); ok {
		m.Kind, m.Description = KindRedPacket, string(rp)
		switch {
		case rp == RedPacketSent:
			m.Sender = c.selfPeer()
		case rp == RedPacketReceived && !c.isGroup:
			m.Sender = m.Chat // in a 1:1 chat only the peer can have sent it
		}
		return
	}
	if !c.isGroup {
		return
	}
	if n := ParseGroupNotice(text); n != nil {
		m.Notice = n
		switch n.Kind {
		case NoticeInvite, NoticeQRJoin:
			m.Kind = KindJoin
		case NoticeRename:
			m.Kind = KindRename
		}
	}
}

// stripLinks reduces <a href="weixin://…">text</a> in a decoded notice to its text, as web JS
// does: the links point into the phone app.
func stripLinks(s string) string {
	if !strings.Contains(s, "<a ") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "<a ")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		s = s[i+j+1:]
		if k := strings.Index(s, "</a>"); k >= 0 {
			b.WriteString(s[:k])
			s = s[k+len("</a>"):]
		}
	}
	b.WriteString(s)
	return b.String()
}

func (c *classifier) recall() {
	m := c.m
	r, err := ParseRevoke(c.body)
	if err != nil || r.Type != "revokemsg" && r.MsgID == "" && r.ReplaceMsg == "" {
		m.Kind = KindUnknown
		return
	}
	rec := &Recall{OriginalMsgID: r.MsgID, ReplaceText: r.ReplaceMsg, SessionRawID: r.Session}
	if rec.OriginalMsgID == "0" {
		// web JS then assumes the last message self sent; only the caller can know it.
		rec.OriginalMsgID = ""
	}
	rec.By, rec.BySelf = recallActor(r.ReplaceMsg)
	if m.IsSelf {
		rec.By, rec.BySelf = "", true
	}
	// The session is the conversation's permanent id: a group's <digits>@chatroom, or the
	// peer's raw id in a 1:1 chat (whoever recalled).
	if r.Session != "" && m.Chat.RawID == "" && c.isGroup == strings.HasSuffix(r.Session, "@chatroom") {
		m.Chat.RawID = r.Session
	}
	m.Kind, m.Recall, m.Text = KindRecall, rec, rec.ReplaceText
}

// recallActor reads who recalled from the replace text: `"X" 撤回了一条消息`, `你撤回了一条消息`,
// `"X" has recalled a message.`, `You recalled a message`.
func recallActor(text string) (by string, self bool) {
	t := strings.TrimSpace(text)
	switch {
	case strings.HasPrefix(t, "你撤回了"), strings.HasPrefix(t, "You recalled"):
		return "", true
	}
	for _, tail := range []string{"撤回了一条消息", " has recalled a message"} {
		if i := strings.Index(t, tail); i > 0 {
			return unquoteName(t[:i]), false
		}
	}
	return "", false
}
