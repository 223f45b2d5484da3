package wx

import (
	"encoding/json"
	"strconv"
)

// Wire types: the JSON shapes of the protocol, decoded leniently. They are exported so that
// fixtures, fuzz targets and the store can speak about raw entries; most code wants Message
// and Contact instead.

// BaseResponse heads every JSON answer.
type BaseResponse struct {
	Ret    int    `json:"Ret"`
	ErrMsg string `json:"ErrMsg"`
}

// RawMessage is one AddMsgList entry (PROTOCOL.md §6.1).
type RawMessage struct {
	MsgID                string        `json:"MsgId"`
	FromUserName         string        `json:"FromUserName"`
	ToUserName           string        `json:"ToUserName"`
	MsgType              int           `json:"MsgType"`
	Content              string        `json:"Content"`
	Status               int           `json:"Status"`
	ImgStatus            int           `json:"ImgStatus"`
	CreateTime           int64         `json:"CreateTime"`
	VoiceLength          int           `json:"VoiceLength"`
	PlayLength           int           `json:"PlayLength"`
	FileName             string        `json:"FileName"`
	FileSize             FlexString    `json:"FileSize"`
	MediaID              string        `json:"MediaId"`
	URL                  string        `json:"Url"`
	AppMsgType           int           `json:"AppMsgType"`
	StatusNotifyCode     int           `json:"StatusNotifyCode"`
	StatusNotifyUserName string        `json:"StatusNotifyUserName"`
	RecommendInfo        RecommendInfo `json:"RecommendInfo"`
	ForwardFlag          int           `json:"ForwardFlag"`
	AppInfo              struct {
		AppID string `json:"AppID"`
		Type  int    `json:"Type"`
	} `json:"AppInfo"`
	HasProductID  int        `json:"HasProductId"`
	Ticket        string     `json:"Ticket"`
	ImgHeight     int        `json:"ImgHeight"`
	ImgWidth      int        `json:"ImgWidth"`
	SubMsgType    int        `json:"SubMsgType"`
	NewMsgID      FlexString `json:"NewMsgId"` // an unquoted 64-bit number: never a float64
	OriContent    string     `json:"OriContent"`
	EncryFileName string     `json:"EncryFileName"`
}

// RecommendInfo fills friend requests (37) and cards (42).
type RecommendInfo struct {
	UserName   string `json:"UserName"`
	NickName   string `json:"NickName"`
	QQNum      int64  `json:"QQNum"`
	Province   string `json:"Province"`
	City       string `json:"City"`
	Content    string `json:"Content"`
	Signature  string `json:"Signature"`
	Alias      string `json:"Alias"`
	Scene      int    `json:"Scene"`
	VerifyFlag int    `json:"VerifyFlag"`
	AttrStatus int64  `json:"AttrStatus"`
	Sex        int    `json:"Sex"`
	Ticket     string `json:"Ticket"`
	OpCode     int    `json:"OpCode"`
}

// RawContact is a contact object (PROTOCOL.md §4.2, §5.4), as webwxinit, webwxgetcontact,
// webwxbatchgetcontact and ModContactList deliver it.
type RawContact struct {
	Uin             FlexInt     `json:"Uin"`
	UserName        string      `json:"UserName"`
	NickName        string      `json:"NickName"`
	HeadImgURL      string      `json:"HeadImgUrl"`
	ContactFlag     int         `json:"ContactFlag"`
	MemberCount     int         `json:"MemberCount"`
	MemberList      []RawMember `json:"MemberList"`
	RemarkName      string      `json:"RemarkName"`
	Sex             int         `json:"Sex"`
	Signature       string      `json:"Signature"`
	VerifyFlag      int         `json:"VerifyFlag"`
	OwnerUin        FlexInt     `json:"OwnerUin"`
	Statues         int         `json:"Statues"`
	AttrStatus      int64       `json:"AttrStatus"`
	Province        string      `json:"Province"`
	City            string      `json:"City"`
	Alias           string      `json:"Alias"`
	DisplayName     string      `json:"DisplayName"`
	KeyWord         string      `json:"KeyWord"`
	EncryChatRoomID string      `json:"EncryChatRoomId"`
	IsOwner         int         `json:"IsOwner"`
	ChatRoomOwner   string      `json:"ChatRoomOwner"`
}

// RawMember is one MemberList entry of a group.
type RawMember struct {
	Uin          FlexInt `json:"Uin"`
	UserName     string  `json:"UserName"`
	NickName     string  `json:"NickName"`
	AttrStatus   int64   `json:"AttrStatus"`
	MemberStatus int     `json:"MemberStatus"`
	DisplayName  string  `json:"DisplayName"`
	KeyWord      string  `json:"KeyWord"`
}

// FlexString decodes a JSON string or number into its text, keeping every digit of 64-bit
// numbers (NewMsgId, FileSize and LocalID arrive as either).
type FlexString string

// UnmarshalJSON accepts a string, a number or null.
func (s *FlexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = FlexString(v)
		return nil
	}
	if string(b) == "null" {
		*s = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*s = FlexString(n.String())
	return nil
}

// FlexInt decodes a JSON number or a string of digits ("Uin" is either, depending on the
// client or server).
type FlexInt int64

// UnmarshalJSON accepts a number, a string of digits, "" or null.
func (i *FlexInt) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	if s == "" || s == "null" {
		*i = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return err
	}
	*i = FlexInt(n)
	return nil
}
