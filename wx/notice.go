package wx

import (
	"strings"
)

// System notices (MsgType 10000, PROTOCOL.md §7.15, §7.18, §7.19, §7.21). They are plain
// text with raw ASCII quotes around names (U+201C/U+201D around a new group name), no sender
// prefix, and the names as the receiver sees them. Every function here takes the decoded text
// (DecodeContent): names carry emoji spans on the wire.

// Fixed pieces of the Chinese group notices.
const (
	zhSelf          = "你"
	zhInvited       = "邀请"
	zhJoined        = "加入了群聊"
	zhOthersAlso    = "，群聊参与人还有："
	zhViaQR         = "通过扫描"
	zhSharedQR      = "分享的二维码加入群聊"
	zhRemovedBySelf = "你将"
	zhRemovedSuffix = "移出了群聊"
	zhSelfRemovedBy = "你被"
	zhSelfRemoved   = "移出群聊"
	zhRenamed       = "修改群名为"
	nameSeparator   = "、" // several invitees inside one pair of quotes
)

// ParseGroupNotice recognises the group notices of PROTOCOL.md §7.18, Chinese and English:
// invitations, QR-code joins, removals and renames. Self is never named: ActorIsSelf and
// SelfIncluded say where "you" stood, and Targets lists only the other names. It returns nil
// for any other text (red packets, pats, and the rest are not group-membership notices).
func ParseGroupNotice(text string) *GroupNotice {
	t := strings.TrimSpace(text)
	if t == "" {
		return nil
	}
	if n := parseChineseNotice(t); n != nil {
		return n
	}
	return parseEnglishNotice(t)
}

func parseChineseNotice(t string) *GroupNotice {
	// Rename first: a new group name may contain any other notice's words. It always sits in
	// “…”; the actor is 你, a quoted name, or (some versions) a bare name.
	if i := strings.Index(t, zhRenamed); i >= 0 {
		actor, newName := t[:i], t[i+len(zhRenamed):]
		curly := strings.HasPrefix(newName, "“") && strings.HasSuffix(newName, "”") && len(newName) > len("“”")
		quoted := len(actor) >= 2 && actor[0] == '"' && actor[len(actor)-1] == '"'
		if curly && (quoted || actor != "" && !strings.Contains(actor, `"`)) {
			n := &GroupNotice{Kind: NoticeRename, NewName: unquoteName(newName)}
			if actor == zhSelf {
				n.ActorIsSelf = true
			} else {
				// Some versions leave the actor's quotes out.
				n.Actor = unquoteName(actor)
			}
			return n
		}
	}

	// 你邀请"Y、Z"加入了群聊␣␣ — possibly followed by a $revoke$ continuation.
	if rest, ok := strings.CutPrefix(t, zhSelf+zhInvited+`"`); ok {
		if i := strings.Index(rest, `"`+zhJoined); i >= 0 {
			return &GroupNotice{Kind: NoticeInvite, ActorIsSelf: true, Targets: splitNames(rest[:i])}
		}
	}

	// "X"邀请你加入了群聊，群聊参与人还有：A、B、C — the others are existing members.
	if i := strings.Index(t, `"`+zhInvited+zhSelf+zhJoined); i > 0 && t[0] == '"' {
		return &GroupNotice{Kind: NoticeInvite, Actor: unquoteName(t[:i+1]), SelfIncluded: true}
	}

	// "X"邀请你和"Y"加入了群聊
	if i := strings.Index(t, `"`+zhInvited+zhSelf+`和"`); i > 0 && t[0] == '"' {
		rest := t[i+len(`"`+zhInvited+zhSelf+`和"`):]
		if j := strings.LastIndex(rest, `"`+zhJoined); j >= 0 {
			return &GroupNotice{
				Kind: NoticeInvite, Actor: unquoteName(t[:i+1]), SelfIncluded: true,
				Targets: splitNames(rest[:j]),
			}
		}
	}

	// "X"邀请"Y、Z"加入了群聊
	if i := strings.Index(t, `"`+zhInvited+`"`); i > 0 && t[0] == '"' {
		rest := t[i+len(`"`+zhInvited+`"`):]
		if j := strings.LastIndex(rest, `"`+zhJoined); j >= 0 {
			return &GroupNotice{Kind: NoticeInvite, Actor: unquoteName(t[:i+1]), Targets: splitNames(rest[:j])}
		}
	}

	// "Y"通过扫描你分享的二维码加入群聊␣␣ and "Y"通过扫描"X"分享的二维码加入群聊
	if strings.HasSuffix(t, zhSharedQR) && t[0] == '"' {
		if i := strings.Index(t, `"`+zhViaQR); i > 0 {
			joiner := unquoteName(t[:i+1])
			by := t[i+len(`"`+zhViaQR) : len(t)-len(zhSharedQR)]
			n := &GroupNotice{Kind: NoticeQRJoin, Targets: []string{joiner}}
			if by == zhSelf {
				n.ActorIsSelf = true
			} else {
				n.Actor = unquoteName(by)
			}
			return n
		}
	}

	// 你将"Y"移出了群聊
	if rest, ok := strings.CutPrefix(t, zhRemovedBySelf); ok && strings.HasSuffix(rest, zhRemovedSuffix) {
		names := rest[:len(rest)-len(zhRemovedSuffix)]
		if names != "" {
			return &GroupNotice{Kind: NoticeRemoved, ActorIsSelf: true, Targets: splitNames(unquoteName(names))}
		}
	}

	// 你被"X"移出群聊
	if rest, ok := strings.CutPrefix(t, zhSelfRemovedBy); ok && strings.HasSuffix(rest, zhSelfRemoved) {
		by := rest[:len(rest)-len(zhSelfRemoved)]
		if by != "" {
			return &GroupNotice{Kind: NoticeSelfRemove, Actor: unquoteName(by), SelfIncluded: true}
		}
	}
	return nil
}

// English forms. Quoting of names is uncertain in some of them, so quotes are optional.
const (
	enYouInvited       = "You invited "
	enInvited          = " invited "
	enToGroup          = " to the group chat"
	enViaYourQR        = " joined group chat via the qr code you shared" // compared lower-cased
	enViaYourQRThe     = " joined the group chat via the qr code you shared"
	enViaQRSharedBy    = " joined the group chat via the qr code shared by "
	enYouRemoved       = "You removed "
	enFromGroup        = " from the group chat"
	enYouWereRemovedBy = "You were removed from the group chat by "
	enChangedName      = " changed the group name to "
	enYou              = "You"
)

func parseEnglishNotice(t string) *GroupNotice {
	// English notices end with a full stop in some versions and trailing spaces in others.
	t = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(t), "."))
	if i := strings.Index(t, enChangedName); i > 0 {
		actor := t[:i]
		n := &GroupNotice{Kind: NoticeRename, NewName: unquoteName(t[i+len(enChangedName):])}
		if actor == enYou {
			n.ActorIsSelf = true
		} else {
			n.Actor = unquoteName(actor)
		}
		return n
	}
	if by, ok := strings.CutPrefix(t, enYouWereRemovedBy); ok && by != "" {
		return &GroupNotice{Kind: NoticeSelfRemove, Actor: unquoteName(by), SelfIncluded: true}
	}
	if rest, ok := strings.CutPrefix(t, enYouRemoved); ok && strings.HasSuffix(rest, enFromGroup) {
		return &GroupNotice{Kind: NoticeRemoved, ActorIsSelf: true,
			Targets: splitNames(unquoteName(strings.TrimSuffix(rest, enFromGroup)))}
	}
	// The QR code's capitalisation varies ("QR Code"); compare the fixed parts case-blind.
	lower := strings.ToLower(t)
	for _, suffix := range []string{enViaYourQR, enViaYourQRThe} {
		if strings.HasSuffix(lower, suffix) && len(t) > len(suffix) {
			return &GroupNotice{Kind: NoticeQRJoin, ActorIsSelf: true,
				Targets: []string{unquoteName(t[:len(t)-len(suffix)])}}
		}
	}
	if i := strings.Index(lower, enViaQRSharedBy); i > 0 {
		return &GroupNotice{Kind: NoticeQRJoin, Actor: unquoteName(t[i+len(enViaQRSharedBy):]),
			Targets: []string{unquoteName(t[:i])}}
	}
	if rest, ok := strings.CutPrefix(t, enYouInvited); ok && strings.HasSuffix(rest, enToGroup) {
		return &GroupNotice{Kind: NoticeInvite, ActorIsSelf: true,
			Targets: splitNames(unquoteName(strings.TrimSuffix(rest, enToGroup)))}
	}
	if i := strings.Index(t, enInvited); i > 0 && strings.HasSuffix(t, enToGroup) {
		n := &GroupNotice{Kind: NoticeInvite, Actor: unquoteName(t[:i])}
		invitees := strings.TrimSuffix(t[i+len(enInvited):], enToGroup)
		// "X invited you and Y to the group chat" (uncertain form): self is not a name.
		switch {
		case invitees == "you":
			n.SelfIncluded = true
		case strings.HasPrefix(invitees, "you and "):
			n.SelfIncluded = true
			n.Targets = splitNames(unquoteName(strings.TrimPrefix(invitees, "you and ")))
		default:
			n.Targets = splitNames(unquoteName(invitees))
		}
		return n
	}
	return nil
}

// unquoteName strips the quotes around a name in a notice ("X", “X”) and the space that
// sometimes sits inside them (`" Y"`).
func unquoteName(s string) string {
	s = strings.TrimSpace(s)
	for _, q := range [][2]string{{`"`, `"`}, {"“", "”"}} {
		if len(s) >= len(q[0])+len(q[1]) && strings.HasPrefix(s, q[0]) && strings.HasSuffix(s, q[1]) {
			s = s[len(q[0]) : len(s)-len(q[1])]
			break
		}
	}
	return strings.TrimSpace(s)
}

// splitNames splits invitees joined by 、 inside one pair of quotes.
func splitNames(s string) []string {
	var names []string
	for _, n := range strings.Split(s, nameSeparator) {
		if n = unquoteName(n); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// RedPacketNotice says which money notice a 10000 text is.
type RedPacketNotice string

// Red-packet notices. The web client never shows the packet itself: only these texts arrive,
// and in a group the sender is never known.
const (
	RedPacketReceived   RedPacketNotice = "received"   // 收到红包，请在手机上查看
	RedPacketSent       RedPacketNotice = "sent"       // 发出红包，请在手机上查看 (the owner, from the phone)
	RedPacketCollection RedPacketNotice = "collection" // 群收款消息，请在手机上查看
)

// ParseRedPacketNotice recognises the red-packet and group-collection notices, Simplified and
// Traditional (利是, 紅包), with either comma.
func ParseRedPacketNotice(text string) (RedPacketNotice, bool) {
	t := strings.TrimSpace(text)
	if !strings.Contains(t, "查看") || len(t) > 120 {
		return "", false
	}
	switch {
	case strings.HasPrefix(t, "群收款"):
		return RedPacketCollection, true
	case strings.HasPrefix(t, "收到红包") || strings.HasPrefix(t, "收到紅包") || strings.HasPrefix(t, "收到利是"):
		return RedPacketReceived, true
	case strings.HasPrefix(t, "发出红包") || strings.HasPrefix(t, "發出紅包") || strings.HasPrefix(t, "发出利是") ||
		strings.HasPrefix(t, "發出利是"):
		return RedPacketSent, true
	}
	return "", false
}

// ParseFriendAdded recognises the confirmations that follow a new friendship: "你已添加了X，
// 现在可以开始聊天了。" (self accepted), "X刚刚把你添加到通讯录，现在可以开始聊天了。" (X
// accepted ours), and the English "You have added X as your WeChat contact. Start chatting!".
// It returns the friend's name as shown.
func ParseFriendAdded(text string) (name string, ok bool) {
	t := strings.TrimSpace(text)
	const (
		zhAdded     = "你已添加了"
		zhAddedTail = "，现在可以开始聊天了。"
		zhTheyAdded = "刚刚把你添加到通讯录，现在可以开始聊天了。"
		enAdded     = "You have added "
		enAddedTail = " as your WeChat contact. Start chatting!"
	)
	if rest, found := strings.CutPrefix(t, zhAdded); found && strings.HasSuffix(rest, zhAddedTail) {
		return strings.TrimSpace(strings.TrimSuffix(rest, zhAddedTail)), true
	}
	if strings.HasSuffix(t, zhTheyAdded) && len(t) > len(zhTheyAdded) {
		return strings.TrimSpace(strings.TrimSuffix(t, zhTheyAdded)), true
	}
	if rest, found := strings.CutPrefix(t, enAdded); found && strings.HasSuffix(rest, enAddedTail) {
		return strings.TrimSpace(strings.TrimSuffix(rest, enAddedTail)), true
	}
	return "", false
}

// IsLocationSharingEnded recognises "位置共享已经结束", the notice that ends a realtime
// location share (49/17 started it).
func IsLocationSharingEnded(text string) bool {
	return strings.Contains(text, "位置共享已经结束")
}

// ParsePat recognises a "pat" (拍了拍, older 拍拍). patsSelf is true when exactly one
// "拍了拍我"/"拍拍我" occurs: the owner was patted (the full sentence format is uncertain).
func ParsePat(text string) (isPat, patsSelf bool) {
	if !strings.Contains(text, "拍了拍") && !strings.Contains(text, "拍拍") {
		return false, false
	}
	long := strings.Count(text, "拍了拍我")
	short := strings.Count(text, "拍拍我")
	return true, long+short == 1
}

// IsRateLimitNotice recognises the "sending too often" notices (发送消息过于频繁…).
func IsRateLimitNotice(text string) bool {
	return strings.Contains(text, "发送消息过于频繁")
}
