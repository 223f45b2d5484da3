package wx

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// contactFromRaw decodes a wire contact. Names carry emoji spans and entities; they are decoded
// once here so everything downstream compares plain text.
func contactFromRaw(r *RawContact, self *Contact) *Contact {
	c := &Contact{
		UserName: r.UserName, Uin: int64(r.Uin), NickName: DecodeName(r.NickName),
		RemarkName: DecodeName(r.RemarkName), Alias: r.Alias, Sex: r.Sex,
		Province: r.Province, City: r.City, Signature: DecodeName(r.Signature),
		VerifyFlag: r.VerifyFlag, ContactFlag: r.ContactFlag, KeyWord: r.KeyWord,
		HeadImgURL: r.HeadImgURL, EncryChatRoomID: r.EncryChatRoomID,
		MemberCount: r.MemberCount, OwnerUserName: r.ChatRoomOwner,
	}
	if !c.IsGroup() {
		return c
	}
	c.IsOwner = r.IsOwner == 1
	if len(r.MemberList) > 0 {
		c.Members = make([]Member, len(r.MemberList))
		for i, m := range r.MemberList {
			c.Members[i] = Member{
				UserName: m.UserName, NickName: DecodeName(m.NickName),
				DisplayName: DecodeName(m.DisplayName), Uin: int64(m.Uin),
				AttrStatus: m.AttrStatus, KeyWord: m.KeyWord,
			}
		}
		if c.MemberCount < len(c.Members) {
			c.MemberCount = len(c.Members)
		}
	}
	if self != nil {
		if sm := c.Member(self.UserName); sm != nil {
			c.SelfDisplayName = sm.DisplayName
		}
		if c.OwnerUserName == self.UserName || (r.OwnerUin != 0 && int64(r.OwnerUin) == self.Uin) {
			c.IsOwner = true
		}
	}
	return c
}

type getContactAnswer struct {
	MemberCount int
	MemberList  []RawContact
	Seq         int64
}

// fetchContacts pages through webwxgetcontact (friends, official accounts, saved groups).
func (c *Client) fetchContacts(ctx context.Context) ([]RawContact, error) {
	br, pt, h, err := c.creds()
	if err != nil {
		return nil, err
	}
	var all []RawContact
	seq := int64(0)
	for page := 0; page < 1000; page++ {
		u := apiURL(h.API, "webwxgetcontact", "lang", "zh_CN", "pass_ticket", pt, "r", nowMillis(),
			"seq", fmt.Sprint(seq), "skey", escape(br.Skey))
		data, err := c.do(ctx, "webwxgetcontact", http.MethodGet, u, nil, nil)
		if err != nil {
			return nil, err
		}
		var ans getContactAnswer
		if err := decodeAnswer("webwxgetcontact", data, &ans); err != nil {
			return nil, err
		}
		all = append(all, ans.MemberList...)
		if ans.Seq == 0 {
			return all, nil
		}
		seq = ans.Seq
	}
	return nil, fmt.Errorf("webwxgetcontact: more than 1000 pages: %w", ErrMalformed)
}

// batchItem names a contact for webwxbatchgetcontact. For a group member who is not a friend,
// EncryChatRoomID is the group's UserName: details of non-friends come only through the group.
type batchItem struct {
	UserName        string `json:"UserName"`
	EncryChatRoomID string `json:"EncryChatRoomId"`
}

const batchGetLimit = 50 // the server refuses larger batches

// batchGet looks contacts up, at most 50 per call.
func (c *Client) batchGet(ctx context.Context, items []batchItem) ([]RawContact, error) {
	br, pt, h, err := c.creds()
	if err != nil {
		return nil, err
	}
	var out []RawContact
	for len(items) > 0 {
		n := min(len(items), batchGetLimit)
		body := map[string]any{"BaseRequest": br, "Count": n, "List": items[:n]}
		var ans struct{ ContactList []RawContact }
		u := apiURL(h.API, "webwxbatchgetcontact", "type", "ex", "r", nowMillis(), "lang", "zh_CN", "pass_ticket", pt)
		if err := c.postJSON(ctx, "webwxbatchgetcontact", u, body, &ans); err != nil {
			return out, err
		}
		out = append(out, ans.ContactList...)
		items = items[n:]
	}
	return out, nil
}

// groupItems turns group UserNames into batch items, dropping duplicates.
func groupItems(names []string) []batchItem {
	seen := map[string]bool{}
	var items []batchItem
	for _, n := range names {
		if n == "" || seen[n] || !IsGroupUserName(n) {
			continue
		}
		seen[n] = true
		items = append(items, batchItem{UserName: n})
	}
	return items
}

// splitChatSet splits webwxinit's ChatSet ("filehelper,@@5e1c…,@a11c…,").
func splitChatSet(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func escape(s string) string { return url.QueryEscape(s) }
