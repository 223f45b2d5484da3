package wx

// Contact is a person, official account, special account or group as the contact book knows
// it. Names are decoded (emoji spans turned into runes, entities unescaped).
type Contact struct {
	UserName    string `json:"user_name"`
	RawID       string `json:"raw_id,omitempty"`
	Uin         int64  `json:"uin,omitempty"`
	NickName    string `json:"nickname"`
	RemarkName  string `json:"remark,omitempty"`
	Alias       string `json:"alias,omitempty"`
	Sex         int    `json:"sex,omitempty"`
	Province    string `json:"province,omitempty"`
	City        string `json:"city,omitempty"`
	Signature   string `json:"signature,omitempty"`
	VerifyFlag  int    `json:"verify_flag,omitempty"`
	ContactFlag int    `json:"contact_flag,omitempty"`
	KeyWord     string `json:"keyword,omitempty"`
	HeadImgURL  string `json:"head_img_url,omitempty"`

	// Groups only.
	OwnerUserName   string   `json:"owner_user_name,omitempty"`
	IsOwner         bool     `json:"is_owner,omitempty"` // self owns the group
	EncryChatRoomID string   `json:"encry_chat_room_id,omitempty"`
	MemberCount     int      `json:"member_count,omitempty"`
	Members         []Member `json:"members,omitempty"`
	// SelfDisplayName is self's DisplayName in this group ("" = none): mentions of the bot use
	// it before the nickname.
	SelfDisplayName string `json:"self_display_name,omitempty"`
}

// Member is one entry of a group's MemberList.
type Member struct {
	UserName    string `json:"user_name"`
	NickName    string `json:"nickname"`
	DisplayName string `json:"display_name,omitempty"` // the name shown in this group, "" if unset
	Uin         int64  `json:"uin,omitempty"`
	AttrStatus  int64  `json:"attr_status,omitempty"`
	KeyWord     string `json:"keyword,omitempty"`
}

// specialAccounts are fixed names of system accounts; bots skip them (PROTOCOL.md §4.1).
var specialAccounts = map[string]bool{
	"newsapp": true, "fmessage": true, "filehelper": true, "weibo": true, "qqmail": true,
	"tmessage": true, "qmessage": true, "qqsync": true, "floatbottle": true, "lbsapp": true,
	"shakeapp": true, "medianote": true, "qqfriend": true, "readerapp": true, "blogapp": true,
	"facebookapp": true, "masssendapp": true, "meishiapp": true, "feedsapp": true, "voip": true,
	"blogappweixin": true, "weixin": true, "brandsessionholder": true, "weixinreminder": true,
	"wxid_novlwrv3lqwv11": true, "gh_22b87fa7cb3c": true, "officialaccounts": true,
	"notification_messages": true, "wxitil": true, "userexperience_alarm": true,
}

// IsSpecialUserName reports whether name is one of the fixed system accounts (filehelper,
// fmessage, newsapp, …).
func IsSpecialUserName(name string) bool { return specialAccounts[name] }

// IsGroupUserName reports whether a wire name names a group: "@@…" or "…@chatroom".
func IsGroupUserName(name string) bool {
	return len(name) >= 2 && name[:2] == "@@" || len(name) > 9 && name[len(name)-9:] == "@chatroom"
}

// IsGroup reports whether the contact is a group.
func (c *Contact) IsGroup() bool { return IsGroupUserName(c.UserName) }

// IsOfficial reports whether the contact is an official account (VerifyFlag bit 8).
func (c *Contact) IsOfficial() bool { return c.VerifyFlag&8 != 0 }

// IsSpecial reports whether the contact is a fixed system account.
func (c *Contact) IsSpecial() bool { return IsSpecialUserName(c.UserName) }

// IsFriend reports whether the contact is a friend: a person in the address book.
func (c *Contact) IsFriend() bool {
	return !c.IsGroup() && !c.IsOfficial() && !c.IsSpecial() && c.ContactFlag&1 != 0
}

// Member returns the member with the given UserName, or nil.
func (c *Contact) Member(userName string) *Member {
	for i := range c.Members {
		if c.Members[i].UserName == userName {
			return &c.Members[i]
		}
	}
	return nil
}

// Peer returns the contact's snapshot for events.
func (c *Contact) Peer() Peer {
	return Peer{
		UserName: c.UserName, RawID: c.RawID, NickName: c.NickName, RemarkName: c.RemarkName,
		Alias: c.Alias, Sex: c.Sex, Province: c.Province, City: c.City, Signature: c.Signature,
		IsGroup: c.IsGroup(), IsFriend: c.IsFriend(), IsOfficial: c.IsOfficial(),
		IsSpecial: c.IsSpecial(), MemberCount: c.MemberCount,
	}
}

// ContactLookup is what message classification needs from the contact book. Lookups must be
// cheap: they run for every message.
type ContactLookup interface {
	// Self is the logged-in account.
	Self() *Contact
	// Contact returns the contact or group with this UserName, or nil when unknown.
	Contact(userName string) *Contact
}
