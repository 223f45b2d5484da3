package wx

import (
	"encoding/json"
	"time"
)

// Kind says what a Message is. Every entry of the protocol's message catalogue maps to one
// Kind; anything the classifier does not recognise is KindUnknown (and keeps its raw JSON).
type Kind string

// The kinds of message. The string values are what scripts and the log see.
const (
	KindText          Kind = "text"
	KindImage         Kind = "image"
	KindVoice         Kind = "voice"
	KindVideo         Kind = "video"
	KindEmoticon      Kind = "emoticon"
	KindCard          Kind = "card"
	KindLocation      Kind = "location"
	KindLink          Kind = "link"
	KindFile          Kind = "file"
	KindMiniProgram   Kind = "miniprogram"
	KindHistory       Kind = "history"
	KindRedPacket     Kind = "redpacket"
	KindTransfer      Kind = "transfer"
	KindRecall        Kind = "recall"
	KindSystem        Kind = "system"
	KindJoin          Kind = "join"
	KindLeave         Kind = "leave"
	KindRename        Kind = "rename"
	KindFriendRequest Kind = "friend_request"
	KindOwnerActive   Kind = "owner_active"
	KindUnknown       Kind = "unknown"
)

// Peer is a snapshot of a contact, group or group member as it was when an event was built.
// Events carry Peers by value so that later changes to the contact book never race with, or
// silently rewrite, an event already handed on.
type Peer struct {
	// UserName is the per-login wire name (@…, @@…, or a special name such as "filehelper").
	// It changes at every QR or push login: never use it as a key.
	UserName string `json:"user_name,omitempty"`
	// ID is the stable id that survives logins. The client leaves it empty; the store fills it
	// in (db.Commit) before events are dispatched.
	ID string `json:"id,omitempty"`
	// RawID is the permanent id (wxid_…, gh_…, <digits>@chatroom) when the protocol revealed it.
	RawID string `json:"raw_id,omitempty"`

	NickName    string `json:"nickname,omitempty"`
	RemarkName  string `json:"remark,omitempty"`
	DisplayName string `json:"display_name,omitempty"` // this member's name in the group, for members
	Alias       string `json:"alias,omitempty"`
	Sex         int    `json:"sex,omitempty"` // 0 unknown, 1 male, 2 female
	Province    string `json:"province,omitempty"`
	City        string `json:"city,omitempty"`
	Signature   string `json:"signature,omitempty"`

	IsSelf     bool `json:"is_self,omitempty"`
	IsGroup    bool `json:"is_group,omitempty"`
	IsFriend   bool `json:"is_friend,omitempty"`
	IsOfficial bool `json:"is_official,omitempty"`
	IsSpecial  bool `json:"is_special,omitempty"` // filehelper, fmessage, newsapp, …

	MemberCount int `json:"member_count,omitempty"` // groups only
}

// Name is how a person would refer to the peer: remark, else group display name, else nickname,
// else the wire name.
func (p Peer) Name() string {
	switch {
	case p.RemarkName != "":
		return p.RemarkName
	case p.DisplayName != "":
		return p.DisplayName
	case p.NickName != "":
		return p.NickName
	}
	return p.UserName
}

// Message is one AddMsgList entry, classified. It fires for every message the sync stream
// delivers: received ones, the owner's own from the phone (IsSelf), and echoes of what this
// client sent (IsSelf and Echo).
type Message struct {
	MsgID    string    `json:"msg_id"`     // the protocol's MsgId (a string: ids exceed 2^53)
	NewMsgID string    `json:"new_msg_id"` // the same value as NewMsgId, also as a string
	Kind     Kind      `json:"kind"`
	Time     time.Time `json:"time"` // CreateTime

	// Chat is the conversation: the peer of a 1:1 chat or the group. For the owner's own
	// messages it is the ToUserName side.
	Chat Peer `json:"chat"`
	// Sender wrote the message: the peer, the group member from the content prefix, or self.
	// Zero for notices that have no sender (red packets, most 10000 notices).
	Sender Peer `json:"sender"`

	// IsSelf: FromUserName is the logged-in account (typed on the phone, or an echo).
	IsSelf bool `json:"is_self,omitempty"`
	// Echo: this client sent it (its MsgID was returned by a send). Never dispatched to rules
	// as a new message and never logged twice.
	Echo bool `json:"echo,omitempty"`

	// Text is the decoded human text: emoji spans turned into runes, <br/> into newlines, HTML
	// entities unescaped, the group sender prefix removed. For notices it is the notice text;
	// for media it is a short description such as the link title or the file name.
	Text string `json:"text"`
	// Mentioned is true when the text @-mentions the logged-in account in a group.
	Mentioned bool `json:"mentioned,omitempty"`
	// Mentions are the names @-mentioned in the text, in order, without the '@'.
	Mentions []string `json:"mentions,omitempty"`

	MsgType    int `json:"msg_type"`
	AppMsgType int `json:"app_msg_type,omitempty"`
	SubMsgType int `json:"sub_msg_type,omitempty"`

	// Kind-specific detail. At most the one matching Kind is set.
	URL           string          `json:"url,omitempty"`   // link, location map URL, mini-program
	Title         string          `json:"title,omitempty"` // link, file, mini-program, history title
	Description   string          `json:"description,omitempty"`
	Media         *Media          `json:"media,omitempty"`          // image, voice, video, emoticon
	File          *File           `json:"file,omitempty"`           // file
	Location      *Location       `json:"location,omitempty"`       // location
	Card          *Card           `json:"card,omitempty"`           // card
	MiniProgram   *MiniProgram    `json:"mini_program,omitempty"`   // miniprogram
	Amount        string          `json:"amount,omitempty"`         // transfer: "0.10" (yuan, as sent)
	Recall        *Recall         `json:"recall,omitempty"`         // recall
	Notice        *GroupNotice    `json:"notice,omitempty"`         // join, rename, system group notices
	FriendRequest *FriendRequest  `json:"friend_request,omitempty"` // friend_request
	OwnerActivity *OwnerActivity  `json:"owner_activity,omitempty"` // owner_active
	Raw           json.RawMessage `json:"raw,omitempty"`            // the AddMsgList entry as received
}

// Media describes an image, voice, video or sticker. The bytes are fetched on demand with
// Client.Download.
type Media struct {
	Width    int    `json:"width,omitempty"`
	Height   int    `json:"height,omitempty"`
	Duration int    `json:"duration_ms,omitempty"` // voice: VoiceLength (ms); video: PlayLength × 1000
	Size     int64  `json:"size,omitempty"`        // bytes, when the payload says
	MD5      string `json:"md5,omitempty"`
	Store    bool   `json:"store,omitempty"` // a store sticker: nothing to download
}

// File is an attachment (AppMsgType 6).
type File struct {
	Name          string `json:"name"`
	Size          int64  `json:"size"`
	Ext           string `json:"ext,omitempty"`
	MediaID       string `json:"media_id,omitempty"`
	EncryFileName string `json:"encry_file_name,omitempty"`
}

// Location is a shared position (MsgType 1 with SubMsgType 48).
type Location struct {
	Lat   float64 `json:"lat"`
	Lng   float64 `json:"lng"`
	Label string  `json:"label"`
}

// Card is a shared contact card (MsgType 42).
type Card struct {
	UserName string `json:"user_name,omitempty"` // per-login name, usable to send a friend request
	RawID    string `json:"raw_id,omitempty"`
	NickName string `json:"nickname"`
	Alias    string `json:"alias,omitempty"`
	Province string `json:"province,omitempty"`
	City     string `json:"city,omitempty"`
	Sex      int    `json:"sex,omitempty"`
}

// MiniProgram is a shared mini-program (AppMsgType 33 or 36).
type MiniProgram struct {
	Name     string `json:"name"` // sourcedisplayname
	AppID    string `json:"app_id,omitempty"`
	PagePath string `json:"page_path,omitempty"`
	RawID    string `json:"raw_id,omitempty"` // gh_… of the mini-program
}

// Recall says which message was recalled (MsgType 10002).
type Recall struct {
	// OriginalMsgID is the MsgId of the recalled message as it was delivered earlier: the key
	// to recover its content from the log.
	OriginalMsgID string `json:"original_msg_id"`
	ReplaceText   string `json:"replace_text"` // `"阿杰" 撤回了一条消息`
	By            string `json:"by,omitempty"` // the name in the replace text; "" when self recalled
	BySelf        bool   `json:"by_self,omitempty"`
	SessionRawID  string `json:"session_raw_id,omitempty"` // wxid_… or …@chatroom
}

// NoticeKind distinguishes group notices.
type NoticeKind string

// Group notice kinds (MsgType 10000 in groups).
const (
	NoticeInvite     NoticeKind = "invite"      // X invited Y (or self invited Y, or X invited self)
	NoticeQRJoin     NoticeKind = "qr_join"     // Y joined via X's (or self's) QR code
	NoticeRemoved    NoticeKind = "removed"     // self removed Y
	NoticeSelfRemove NoticeKind = "bot_removed" // self was removed by X
	NoticeRename     NoticeKind = "rename"      // X (or self) renamed the group
)

// GroupNotice is the parsed text of a group system notice. Names are as the notice shows them
// (display names as the receiver sees them), decoded.
type GroupNotice struct {
	Kind         NoticeKind `json:"kind"`
	Actor        string     `json:"actor,omitempty"` // who invited, shared the QR, removed or renamed; "" = self
	ActorIsSelf  bool       `json:"actor_is_self,omitempty"`
	Targets      []string   `json:"targets,omitempty"`       // who joined or was removed; may include self
	SelfIncluded bool       `json:"self_included,omitempty"` // self was invited / removed
	NewName      string     `json:"new_name,omitempty"`      // rename
}

// FriendRequest is an incoming friend request (MsgType 37 from fmessage).
type FriendRequest struct {
	UserName      string `json:"user_name"` // per-login name of the requester; with Ticket, accepts it
	Ticket        string `json:"ticket"`    // v2_…@stranger
	RawID         string `json:"raw_id,omitempty"`
	NickName      string `json:"nickname"`
	Greeting      string `json:"greeting"`
	Alias         string `json:"alias,omitempty"`
	Province      string `json:"province,omitempty"`
	City          string `json:"city,omitempty"`
	Sex           int    `json:"sex,omitempty"`
	Signature     string `json:"signature,omitempty"`
	Scene         int    `json:"scene,omitempty"` // 14: via a group; 3, 6, 30 seen
	ChatRoomRawID string `json:"chatroom_raw_id,omitempty"`
}

// OwnerActivity is a sign that the owner used WeChat on the phone (MsgType 51 from self).
type OwnerActivity struct {
	Code int `json:"code"` // StatusNotifyCode: 1 read, 2 entered a chat, 4 sync list, 5 left
	// Chats are the UserNames of the chats concerned (StatusNotifyUserName, split).
	Chats []string `json:"chats,omitempty"`
	// RawIDs pairs with Chats for code 4: the only bulk UserName → raw id map the protocol gives.
	RawIDs []string `json:"raw_ids,omitempty"`
}
