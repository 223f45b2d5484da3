package wx

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// updateChatRoom calls webwxupdatechatroom with fun=op.
func (c *Client) updateChatRoom(ctx context.Context, op string, body map[string]any) error {
	br, pt, h, err := c.creds()
	if err != nil {
		return fmt.Errorf("webwxupdatechatroom %s: %w", op, err)
	}
	body["BaseRequest"] = br
	return c.postJSON(ctx, "webwxupdatechatroom "+op, apiURL(h.API, "webwxupdatechatroom", "fun", op, "lang", "zh_CN", "pass_ticket", pt), body, nil)
}

// AddMembers adds friends to a group. Below the server's InviteStartCount (40 members) they are
// added directly; from 40 on they get an invitation, as the service requires.
func (c *Client) AddMembers(ctx context.Context, group string, members ...string) error {
	g := c.book.Contact(group)
	if g == nil || !g.IsGroup() {
		return fmt.Errorf("add members: %q: %w", group, ErrUnknownContact)
	}
	c.mu.Lock()
	limit := c.inviteStartCount
	c.mu.Unlock()
	list := strings.Join(members, ",")
	if max(g.MemberCount, len(g.Members)) >= limit {
		return c.updateChatRoom(ctx, "invitemember", map[string]any{"ChatRoomName": group, "InviteMemberList": list})
	}
	return c.updateChatRoom(ctx, "addmember", map[string]any{"ChatRoomName": group, "AddMemberList": list})
}

// RemoveMembers removes members from a group the account owns. For a group it does not own
// it fails with ErrNotOwner before asking the server.
func (c *Client) RemoveMembers(ctx context.Context, group string, members ...string) error {
	g := c.book.Contact(group)
	if g == nil || !g.IsGroup() {
		return fmt.Errorf("remove members: %q: %w", group, ErrUnknownContact)
	}
	if !g.IsOwner {
		return fmt.Errorf("remove members from %q: %w", g.NickName, ErrNotOwner)
	}
	return c.updateChatRoom(ctx, "delmember", map[string]any{"ChatRoomName": group, "DelMemberList": strings.Join(members, ",")})
}

// RenameGroup changes a group's name.
func (c *Client) RenameGroup(ctx context.Context, group, name string) error {
	return c.updateChatRoom(ctx, "modtopic", map[string]any{"ChatRoomName": group, "NewTopic": name})
}

// CreateGroup creates a group with at least two friends besides self and returns its UserName.
func (c *Client) CreateGroup(ctx context.Context, topic string, members ...string) (string, error) {
	if len(members) < 2 {
		return "", fmt.Errorf("create group: needs at least 2 friends besides self, got %d", len(members))
	}
	br, pt, h, err := c.creds()
	if err != nil {
		return "", fmt.Errorf("webwxcreatechatroom: %w", err)
	}
	list := make([]map[string]string, len(members))
	for i, m := range members {
		list[i] = map[string]string{"UserName": m}
	}
	var ans struct{ ChatRoomName string }
	body := map[string]any{"BaseRequest": br, "MemberCount": len(members), "MemberList": list, "Topic": topic}
	u := apiURL(h.API, "webwxcreatechatroom", "r", nowMillis(), "pass_ticket", pt)
	if err := c.postJSON(ctx, "webwxcreatechatroom", u, body, &ans); err != nil {
		return "", err
	}
	return ans.ChatRoomName, nil
}

// AcceptFriend accepts a friend request (webwxverifyuser, Opcode 3).
func (c *Client) AcceptFriend(ctx context.Context, req *FriendRequest) error {
	br, pt, h, err := c.creds()
	if err != nil {
		return fmt.Errorf("webwxverifyuser: %w", err)
	}
	body := map[string]any{
		"BaseRequest": br, "Opcode": 3, "VerifyUserListSize": 1,
		"VerifyUserList": []map[string]string{{"Value": req.UserName, "VerifyUserTicket": req.Ticket}},
		"VerifyContent":  "", "SceneListCount": 1, "SceneList": []int{33}, "skey": br.Skey,
	}
	u := apiURL(h.API, "webwxverifyuser", "r", nowMillis(), "lang", "zh_CN", "pass_ticket", pt)
	return c.postJSON(ctx, "webwxverifyuser", u, body, nil)
}

// SetRemark sets the owner's label for a contact (webwxoplog CmdId 2).
func (c *Client) SetRemark(ctx context.Context, userName, remark string) error {
	br, pt, h, err := c.creds()
	if err != nil {
		return fmt.Errorf("webwxoplog: %w", err)
	}
	body := map[string]any{"BaseRequest": br, "UserName": userName, "CmdId": 2, "RemarkName": remark}
	return c.postJSON(ctx, "webwxoplog", apiURL(h.API, "webwxoplog", "lang", "zh_CN", "pass_ticket", pt), body, nil)
}

// Download fetches a message's media: image or sticker, voice, video, or file.
func (c *Client) Download(ctx context.Context, m *Message) ([]byte, error) {
	br, pt, h, err := c.creds()
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	skey := url.QueryEscape(br.Skey)
	var u string
	header := map[string][]string{"Referer": {"https://" + h.API + "/"}}
	switch m.Kind {
	case KindImage, KindEmoticon:
		u = apiURL(h.API, "webwxgetmsgimg", "MsgID", m.MsgID, "skey", skey)
	case KindVoice:
		u = apiURL(h.API, "webwxgetvoice", "msgid", m.MsgID, "skey", skey)
	case KindVideo:
		u = apiURL(h.API, "webwxgetvideo", "msgid", m.MsgID, "skey", skey)
		header["Range"] = []string{"bytes=0-"}
	case KindFile:
		if m.File == nil {
			return nil, fmt.Errorf("download: file message %s has no attachment", m.MsgID)
		}
		u = "https://" + h.File + cgiPath + "/webwxgetmedia?sender=" + url.QueryEscape(m.Sender.UserName) +
			"&mediaid=" + url.QueryEscape(m.File.MediaID) + "&encryfilename=" + url.QueryEscape(m.File.EncryFileName) +
			"&fromuser=" + fmt.Sprint(br.Uin) + "&pass_ticket=" + pt + "&webwx_data_ticket=" + url.QueryEscape(c.jar.value(h.File, "webwx_data_ticket"))
	default:
		return nil, fmt.Errorf("download: messages of kind %s have no media", m.Kind)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return c.do(ctx, "download "+string(m.Kind), "GET", u, nil, header)
}
