package wxsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Wire types. Field order is the service's (encoding/json keeps struct order), names are
// its spelling (Statues, SKey vs Skey, MsgID vs MsgId), and answers are encoded without
// HTML escaping so <>& stay raw.

// flexInt accepts a number, a numeric string or null: clients disagree on the type of
// Uin, ClientMsgId, Code … (PROTOCOL.md §2.6).
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = flexInt(n)
		return nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("not a number: %s", b)
	}
	*f = flexInt(x)
	return nil
}

// flexString accepts a string or a number and keeps its digits: LocalID is a string for
// most clients and a number for wechat-go.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	*f = flexString(b)
	return nil
}

type baseRequest struct {
	Uin      flexInt
	Sid      string
	Skey     string
	DeviceID string
}

type baseResponse struct {
	Ret    int
	ErrMsg string
}

type retOnly struct {
	BaseResponse baseResponse
}

type keyVal struct {
	Key int64
	Val int64
}

type syncKey struct {
	Count int
	List  []keyVal
}

type keyValIn struct {
	Key flexInt
	Val flexInt
}

type syncKeyIn struct {
	List []keyValIn
}

// wireMsg is one AddMsgList entry with every field of PROTOCOL.md §6.1.
type wireMsg struct {
	MsgId                string
	FromUserName         string
	ToUserName           string
	MsgType              int
	Content              string
	Status               int
	ImgStatus            int
	CreateTime           int64
	VoiceLength          int
	PlayLength           int
	FileName             string
	FileSize             string
	MediaId              string
	Url                  string
	AppMsgType           int
	StatusNotifyCode     int
	StatusNotifyUserName string
	RecommendInfo        recommendInfo
	ForwardFlag          int
	AppInfo              appInfo
	HasProductId         int
	Ticket               string
	ImgHeight            int
	ImgWidth             int
	SubMsgType           int
	NewMsgId             uint64 // unquoted, > 2^53, equal to MsgId
	OriContent           string
	EncryFileName        string
}

type recommendInfo struct {
	UserName   string
	NickName   string
	QQNum      int
	Province   string
	City       string
	Content    string
	Signature  string
	Alias      string
	Scene      int
	VerifyFlag int
	AttrStatus int
	Sex        int
	Ticket     string
	OpCode     int
}

type appInfo struct {
	AppID string
	Type  int
}

// wireContact is a contact of webwxinit, webwxgetcontact and webwxbatchgetcontact (§4.2).
type wireContact struct {
	Uin              int64
	UserName         string
	NickName         string
	HeadImgUrl       string
	ContactFlag      int
	MemberCount      int
	MemberList       []wireMember
	RemarkName       string
	HideInputBarFlag int
	Sex              int
	Signature        string
	VerifyFlag       int
	OwnerUin         int64
	PYInitial        string
	PYQuanPin        string
	RemarkPYInitial  string
	RemarkPYQuanPin  string
	StarFriend       int
	AppAccountFlag   int
	Statues          int
	AttrStatus       int
	Province         string
	City             string
	Alias            string
	SnsFlag          int
	UniFriend        int
	DisplayName      string
	ChatRoomId       int
	KeyWord          string
	EncryChatRoomId  string
	IsOwner          int
}

type wireMember struct {
	Uin             int64
	UserName        string
	NickName        string
	AttrStatus      int
	PYInitial       string
	PYQuanPin       string
	RemarkPYInitial string
	RemarkPYQuanPin string
	MemberStatus    int
	DisplayName     string
	KeyWord         string
}

// wireModContact is a ModContactList entry: another field set and order (§5.4).
type wireModContact struct {
	UserName          string
	NickName          string
	Sex               int
	HeadImgUpdateFlag int
	ContactType       int
	Alias             string
	ChatRoomOwner     string
	HeadImgUrl        string
	ContactFlag       int
	MemberCount       int
	MemberList        []wireMember
	HideInputBarFlag  int
	Signature         string
	VerifyFlag        int
	RemarkName        string
	Statues           int
	AttrStatus        int
	Province          string
	City              string
	SnsFlag           int
	KeyWord           string
}

type wireDelContact struct {
	UserName    string
	ContactFlag int
}

// marshal encodes without HTML escaping and without the encoder's trailing newline.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only our own wire types reach here; a failure is a programming error.
		panic(fmt.Sprintf("wxsim: marshal %T: %v", v, err))
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
