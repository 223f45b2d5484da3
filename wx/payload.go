package wx

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// XML payloads (PROTOCOL.md §7). Every parser takes the Content as the message carries it,
// with the group sender prefix already removed: HTML-escaped, pretty-printed with <br/> and
// TABs or compact, with single- or double-quoted attributes, an optional <?xml …?> header and
// CDATA sections. Raw XML (a location's OriContent) is accepted too.

// ErrMalformed means a server body or payload did not have the documented shape. Errors that
// wrap it name the operation and what was wrong.
var ErrMalformed = errors.New("malformed")

// AppMsg is the payload of an app message (MsgType 49): link (5), music (3), app (7), file (6),
// mini-program (33, 36), chat history (0, 19), realtime location (17), transfer (2000), red
// packet (2001) and official-account articles (mmreader).
type AppMsg struct {
	Type           int    // <type>: the AppMsgType as the payload states it
	AppID          string // appid attribute of <appmsg>
	Title          string
	Description    string // <des>
	URL            string
	DataURL        string // music: the audio stream
	ThumbURL       string
	SourceName     string // <sourcedisplayname>: a mini-program's name
	SourceUserName string // <sourceusername>: the mini-program's or account's gh_… id
	AppName        string // <appinfo><appname>: the app that sent it ("微信电脑版")
	FromUserName   string // <fromusername>: a raw id when set
	MD5            string
	Attach         AppAttach
	WeApp          WeAppInfo
	Pay            PayInfo
	Articles       []Article // official-account pushes
}

// AppAttach is <appattach>: a file's size and extension, a mini-program's thumbnail.
type AppAttach struct {
	TotalLen     int64 // bytes
	AttachID     string
	FileExt      string
	EmoticonMD5  string
	CDNAttachURL string
	CDNThumbURL  string
}

// WeAppInfo is <weappinfo> of a mini-program.
type WeAppInfo struct {
	UserName string // gh_… raw id of the mini-program
	AppID    string // wx…
	PagePath string
	IconURL  string
	ShareID  string
}

// PayInfo is <wcpayinfo> of a transfer or red packet.
type PayInfo struct {
	PaySubType        int
	FeeDesc           string // "￥0.10"
	TransactionID     string // spelt transcationid on the wire
	TransferID        string
	InvalidTime       int64 // unix s
	BeginTransferTime int64 // unix s
	Memo              string
	ReceiverTitle     string // red packet greeting
	SenderTitle       string
}

// Amount is FeeDesc without its currency sign: "0.10".
func (p PayInfo) Amount() string {
	s := strings.TrimSpace(p.FeeDesc)
	for _, sign := range []string{"￥", "¥", "CNY", "RMB"} {
		s = strings.TrimPrefix(s, sign)
	}
	return strings.TrimSpace(s)
}

// Article is one item of an official-account push.
type Article struct {
	Title   string
	URL     string
	Cover   string
	Digest  string
	PubTime int64 // unix s
}

type appMsgDoc struct {
	AppMsg struct {
		AppID             string `xml:"appid,attr"`
		Title             string `xml:"title"`
		Des               string `xml:"des"`
		Type              string `xml:"type"`
		URL               string `xml:"url"`
		DataURL           string `xml:"dataurl"`
		ThumbURL          string `xml:"thumburl"`
		SourceUserName    string `xml:"sourceusername"`
		SourceDisplayName string `xml:"sourcedisplayname"`
		MD5               string `xml:"md5"`
		AppAttach         struct {
			TotalLen     string `xml:"totallen"`
			AttachID     string `xml:"attachid"`
			FileExt      string `xml:"fileext"`
			EmoticonMD5  string `xml:"emoticonmd5"`
			CDNAttachURL string `xml:"cdnattachurl"`
			CDNThumbURL  string `xml:"cdnthumburl"`
		} `xml:"appattach"`
		WeAppInfo struct {
			UserName string `xml:"username"`
			AppID    string `xml:"appid"`
			PagePath string `xml:"pagepath"`
			IconURL  string `xml:"weappiconurl"`
			ShareID  string `xml:"shareId"`
		} `xml:"weappinfo"`
		WCPayInfo struct {
			PaySubType        string `xml:"paysubtype"`
			FeeDesc           string `xml:"feedesc"`
			TransactionID     string `xml:"transcationid"` // sic: the wire's spelling
			TransferID        string `xml:"transferid"`
			InvalidTime       string `xml:"invalidtime"`
			BeginTransferTime string `xml:"begintransfertime"`
			PayMemo           string `xml:"pay_memo"`
			ReceiverTitle     string `xml:"receivertitle"`
			SenderTitle       string `xml:"sendertitle"`
		} `xml:"wcpayinfo"`
		MMReader struct {
			Items []struct {
				Title   string `xml:"title"`
				URL     string `xml:"url"`
				PubTime string `xml:"pub_time"`
				Cover   string `xml:"cover"`
				Digest  string `xml:"digest"`
			} `xml:"category>item"`
		} `xml:"mmreader"`
	} `xml:"appmsg"`
	FromUserName string `xml:"fromusername"`
	AppInfo      struct {
		AppName string `xml:"appname"`
	} `xml:"appinfo"`
}

// ParseAppMsg parses the <msg><appmsg …> payload of MsgType 49.
func ParseAppMsg(content string) (*AppMsg, error) {
	var doc appMsgDoc
	if err := decodeXMLPayload("appmsg payload", content, &doc); err != nil {
		return nil, err
	}
	a := &doc.AppMsg
	m := &AppMsg{
		Type:           atoiLenient(a.Type),
		AppID:          a.AppID,
		Title:          strings.TrimSpace(a.Title),
		Description:    strings.TrimSpace(a.Des),
		URL:            strings.TrimSpace(a.URL),
		DataURL:        strings.TrimSpace(a.DataURL),
		ThumbURL:       strings.TrimSpace(a.ThumbURL),
		SourceName:     strings.TrimSpace(a.SourceDisplayName),
		SourceUserName: strings.TrimSpace(a.SourceUserName),
		AppName:        strings.TrimSpace(doc.AppInfo.AppName),
		FromUserName:   strings.TrimSpace(doc.FromUserName),
		MD5:            strings.TrimSpace(a.MD5),
		Attach: AppAttach{
			TotalLen:     atoi64Lenient(a.AppAttach.TotalLen),
			AttachID:     strings.TrimSpace(a.AppAttach.AttachID),
			FileExt:      strings.TrimSpace(a.AppAttach.FileExt),
			EmoticonMD5:  strings.TrimSpace(a.AppAttach.EmoticonMD5),
			CDNAttachURL: strings.TrimSpace(a.AppAttach.CDNAttachURL),
			CDNThumbURL:  strings.TrimSpace(a.AppAttach.CDNThumbURL),
		},
		WeApp: WeAppInfo{
			UserName: strings.TrimSpace(a.WeAppInfo.UserName),
			AppID:    strings.TrimSpace(a.WeAppInfo.AppID),
			PagePath: strings.TrimSpace(a.WeAppInfo.PagePath),
			IconURL:  strings.TrimSpace(a.WeAppInfo.IconURL),
			ShareID:  strings.TrimSpace(a.WeAppInfo.ShareID),
		},
		Pay: PayInfo{
			PaySubType:        atoiLenient(a.WCPayInfo.PaySubType),
			FeeDesc:           strings.TrimSpace(a.WCPayInfo.FeeDesc),
			TransactionID:     strings.TrimSpace(a.WCPayInfo.TransactionID),
			TransferID:        strings.TrimSpace(a.WCPayInfo.TransferID),
			InvalidTime:       atoi64Lenient(a.WCPayInfo.InvalidTime),
			BeginTransferTime: atoi64Lenient(a.WCPayInfo.BeginTransferTime),
			Memo:              strings.TrimSpace(a.WCPayInfo.PayMemo),
			ReceiverTitle:     strings.TrimSpace(a.WCPayInfo.ReceiverTitle),
			SenderTitle:       strings.TrimSpace(a.WCPayInfo.SenderTitle),
		},
	}
	for _, it := range a.MMReader.Items {
		m.Articles = append(m.Articles, Article{
			Title:   strings.TrimSpace(it.Title),
			URL:     strings.TrimSpace(it.URL),
			Cover:   strings.TrimSpace(it.Cover),
			Digest:  strings.TrimSpace(it.Digest),
			PubTime: atoi64Lenient(it.PubTime),
		})
	}
	return m, nil
}

// Revoke is the <sysmsg type="revokemsg"> payload of a recall (MsgType 10002).
type Revoke struct {
	Type       string // the sysmsg type: "revokemsg" for recalls
	Session    string // raw conversation id: wxid_… (1:1) or <digits>@chatroom
	OldMsgID   string // legacy 32-bit id
	MsgID      string // the recalled message's MsgId as delivered earlier; "0" = unknown
	ReplaceMsg string // `"阿杰" 撤回了一条消息`, `你撤回了一条消息`, English variants
}

type revokeDoc struct {
	Type      string `xml:"type,attr"`
	RevokeMsg struct {
		Session    string `xml:"session"`
		OldMsgID   string `xml:"oldmsgid"`
		MsgID      string `xml:"msgid"`
		ReplaceMsg string `xml:"replacemsg"`
	} `xml:"revokemsg"`
}

// ParseRevoke parses the <sysmsg> payload of MsgType 10002. Other sysmsg types parse too, with
// only Type set; the caller decides on Type.
func ParseRevoke(content string) (*Revoke, error) {
	var doc revokeDoc
	if err := decodeXMLPayload("revokemsg payload", content, &doc); err != nil {
		return nil, err
	}
	r := doc.RevokeMsg
	return &Revoke{
		Type:       strings.TrimSpace(doc.Type),
		Session:    strings.TrimSpace(r.Session),
		OldMsgID:   strings.TrimSpace(r.OldMsgID),
		MsgID:      strings.TrimSpace(r.MsgID),
		ReplaceMsg: strings.TrimSpace(r.ReplaceMsg),
	}, nil
}

// CardPayload is the <msg …/> of a name card (MsgType 42). The wire has two spaces before
// shortpy; the XML decoder does not care.
type CardPayload struct {
	UserName        string // wxid_…, a custom id, or v1_…@stranger
	NickName        string
	Alias           string
	Province        string
	City            string
	Sign            string
	Sex             int
	Scene           int
	CertFlag        int
	RegionCode      string
	BigHeadImgURL   string
	SmallHeadImgURL string
	AntiSpamTicket  string // v2_…@stranger, when present
}

type cardDoc struct {
	UserName        string `xml:"username,attr"`
	NickName        string `xml:"nickname,attr"`
	Alias           string `xml:"alias,attr"`
	Province        string `xml:"province,attr"`
	City            string `xml:"city,attr"`
	Sign            string `xml:"sign,attr"`
	Sex             string `xml:"sex,attr"`
	Scene           string `xml:"scene,attr"`
	CertFlag        string `xml:"certflag,attr"`
	RegionCode      string `xml:"regionCode,attr"`
	BigHeadImgURL   string `xml:"bigheadimgurl,attr"`
	SmallHeadImgURL string `xml:"smallheadimgurl,attr"`
	AntiSpamTicket  string `xml:"antispamticket,attr"`
}

// ParseCard parses the payload of a name card (MsgType 42).
func ParseCard(content string) (*CardPayload, error) {
	var d cardDoc
	if err := decodeXMLPayload("card payload", content, &d); err != nil {
		return nil, err
	}
	return &CardPayload{
		UserName: d.UserName, NickName: d.NickName, Alias: d.Alias, Province: d.Province,
		City: d.City, Sign: d.Sign, Sex: atoiLenient(d.Sex), Scene: atoiLenient(d.Scene),
		CertFlag: atoiLenient(d.CertFlag), RegionCode: d.RegionCode, BigHeadImgURL: d.BigHeadImgURL,
		SmallHeadImgURL: d.SmallHeadImgURL, AntiSpamTicket: d.AntiSpamTicket,
	}, nil
}

// FriendRequestPayload is the <msg …> of a friend request (MsgType 37).
type FriendRequestPayload struct {
	FromUserName     string // the requester's raw id (wxid_…)
	EncryptUserName  string // v1_…@stranger
	FromNickName     string
	Content          string // the greeting
	Alias            string
	Country          string
	Province         string
	City             string
	Sign             string
	Sex              int
	Scene            int // 14: via a group (ChatRoomUserName set); 3, 6, 30 seen
	Ticket           string
	OpCode           int
	ChatRoomUserName string // <digits>@chatroom for scene 14
	SourceUserName   string
	SourceNickName   string
	BigHeadImgURL    string
	SmallHeadImgURL  string
}

type friendRequestDoc struct {
	FromUserName     string `xml:"fromusername,attr"`
	EncryptUserName  string `xml:"encryptusername,attr"`
	FromNickName     string `xml:"fromnickname,attr"`
	Content          string `xml:"content,attr"`
	Alias            string `xml:"alias,attr"`
	Country          string `xml:"country,attr"`
	Province         string `xml:"province,attr"`
	City             string `xml:"city,attr"`
	Sign             string `xml:"sign,attr"`
	Sex              string `xml:"sex,attr"`
	Scene            string `xml:"scene,attr"`
	Ticket           string `xml:"ticket,attr"`
	OpCode           string `xml:"opcode,attr"`
	ChatRoomUserName string `xml:"chatroomusername,attr"`
	SourceUserName   string `xml:"sourceusername,attr"`
	SourceNickName   string `xml:"sourcenickname,attr"`
	BigHeadImgURL    string `xml:"bigheadimgurl,attr"`
	SmallHeadImgURL  string `xml:"smallheadimgurl,attr"`
}

// ParseFriendRequest parses the payload of a friend request (MsgType 37).
func ParseFriendRequest(content string) (*FriendRequestPayload, error) {
	var d friendRequestDoc
	if err := decodeXMLPayload("friend request payload", content, &d); err != nil {
		return nil, err
	}
	return &FriendRequestPayload{
		FromUserName: d.FromUserName, EncryptUserName: d.EncryptUserName, FromNickName: d.FromNickName,
		Content: d.Content, Alias: d.Alias, Country: d.Country, Province: d.Province, City: d.City,
		Sign: d.Sign, Sex: atoiLenient(d.Sex), Scene: atoiLenient(d.Scene), Ticket: d.Ticket,
		OpCode: atoiLenient(d.OpCode), ChatRoomUserName: d.ChatRoomUserName,
		SourceUserName: d.SourceUserName, SourceNickName: d.SourceNickName,
		BigHeadImgURL: d.BigHeadImgURL, SmallHeadImgURL: d.SmallHeadImgURL,
	}, nil
}

// MediaPayload holds the attributes of the media element of an image (<img>), voice
// (<voicemsg>), video (<videomsg>) or sticker (<emoji>) payload. Newer servers send an opaque
// "@<hex>" token instead, which does not parse: download the media rather than depend on this.
type MediaPayload struct {
	Element      string // "img", "voicemsg", "videomsg" or "emoji"
	Length       int64  // bytes (emoji: len)
	HDLength     int64  // img: bytes of the HD image, 0 if none
	MD5          string
	Width        int // emoji
	Height       int // emoji
	ThumbWidth   int // img, video: cdnthumbwidth
	ThumbHeight  int // img, video: cdnthumbheight
	VoiceLength  int // voicemsg: ms
	PlayLength   int // videomsg: s
	FromUserName string
	ProductID    string // emoji: set for store stickers
	CDNURL       string // emoji
	AESKey       string
}

var mediaElements = map[string]bool{"img": true, "voicemsg": true, "videomsg": true, "emoji": true}

// ParseMedia parses an image, voice, video or sticker payload: the attributes of its first
// <img>, <voicemsg>, <videomsg> or <emoji> element.
func ParseMedia(content string) (*MediaPayload, error) {
	const op = "media payload"
	d, err := newPayloadDecoder(op, content)
	if err != nil {
		return nil, err
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil, fmt.Errorf("%s: %w: no img, voicemsg, videomsg or emoji element", op, ErrMalformed)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %w", op, ErrMalformed, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || !mediaElements[se.Name.Local] {
			continue
		}
		m := &MediaPayload{Element: se.Name.Local}
		for _, a := range se.Attr {
			v := strings.TrimSpace(a.Value)
			switch a.Name.Local {
			case "length", "len":
				m.Length = atoi64Lenient(v)
			case "hdlength":
				m.HDLength = atoi64Lenient(v)
			case "md5":
				m.MD5 = v
			case "width":
				m.Width = atoiLenient(v)
			case "height":
				m.Height = atoiLenient(v)
			case "cdnthumbwidth":
				m.ThumbWidth = atoiLenient(v)
			case "cdnthumbheight":
				m.ThumbHeight = atoiLenient(v)
			case "voicelength":
				m.VoiceLength = atoiLenient(v)
			case "playlength":
				m.PlayLength = atoiLenient(v)
			case "fromusername":
				m.FromUserName = v
			case "productid":
				m.ProductID = v
			case "cdnurl":
				m.CDNURL = v
			case "aeskey":
				m.AESKey = v
			}
		}
		return m, nil
	}
}

// LocationPayload is the <location> of a shared position: x is the latitude, y the longitude.
type LocationPayload struct {
	Lat     float64
	Lng     float64
	Scale   int
	Label   string // the address
	PoiName string // "[位置]" or a place name
	PoiID   string
}

type locationDoc struct {
	Location struct {
		X       string `xml:"x,attr"`
		Y       string `xml:"y,attr"`
		Scale   string `xml:"scale,attr"`
		Label   string `xml:"label,attr"`
		PoiName string `xml:"poiname,attr"`
		PoiID   string `xml:"poiid,attr"`
	} `xml:"location"`
}

// ParseLocation parses a location payload: the raw XML of OriContent or an escaped Content.
func ParseLocation(payload string) (*LocationPayload, error) {
	const op = "location payload"
	var d locationDoc
	if err := decodeXMLPayload(op, payload, &d); err != nil {
		return nil, err
	}
	l := d.Location
	lat, err := strconv.ParseFloat(strings.TrimSpace(l.X), 64)
	if err != nil || math.IsNaN(lat) || math.IsInf(lat, 0) {
		return nil, fmt.Errorf("%s: %w: latitude x=%q", op, ErrMalformed, l.X)
	}
	lng, err := strconv.ParseFloat(strings.TrimSpace(l.Y), 64)
	if err != nil || math.IsNaN(lng) || math.IsInf(lng, 0) {
		return nil, fmt.Errorf("%s: %w: longitude y=%q", op, ErrMalformed, l.Y)
	}
	return &LocationPayload{
		Lat: lat, Lng: lng, Scale: atoiLenient(l.Scale), Label: strings.TrimSpace(l.Label),
		PoiName: strings.TrimSpace(l.PoiName), PoiID: strings.TrimSpace(l.PoiID),
	}, nil
}

// StatusNotifyPayload is the <op> list of a status notify (MsgType 51), code 4: the raw ids of
// the recent chats, in the order of StatusNotifyUserName.
type StatusNotifyPayload struct {
	OpID   int      // 4 for the conversation list
	RawIDs []string // RAW1,RAW2,… split, empties dropped
	Unread []UnreadChat
}

// UnreadChat is one <chat> of <unreadchatlist>.
type UnreadChat struct {
	RawID        string
	LastReadTime int64 // unix s
}

type statusNotifyDoc struct {
	Op struct {
		ID       string `xml:"id,attr"`
		UserName string `xml:"username"`
		Unread   []struct {
			UserName     string `xml:"username"`
			LastReadTime string `xml:"lastreadtime"`
		} `xml:"unreadchatlist>chat"`
	} `xml:"op"`
}

// ParseStatusNotify parses the <msg><op id='4'> payload of a status notify.
func ParseStatusNotify(content string) (*StatusNotifyPayload, error) {
	var d statusNotifyDoc
	if err := decodeXMLPayload("status notify payload", content, &d); err != nil {
		return nil, err
	}
	p := &StatusNotifyPayload{OpID: atoiLenient(d.Op.ID), RawIDs: splitList(d.Op.UserName)}
	for _, c := range d.Op.Unread {
		p.Unread = append(p.Unread, UnreadChat{
			RawID: strings.TrimSpace(c.UserName), LastReadTime: atoi64Lenient(c.LastReadTime),
		})
	}
	return p, nil
}

// splitList splits a comma list ("a,b,", as StatusNotifyUserName and ChatSet end with ',')
// and drops empty items.
func splitList(s string) []string {
	var out []string
	for s != "" {
		item, rest, _ := strings.Cut(s, ",")
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
		s = rest
	}
	return out
}

// decodeXMLPayload unescapes a payload and decodes it into v.
func decodeXMLPayload(op, content string, v any) error {
	d, err := newPayloadDecoder(op, content)
	if err != nil {
		return err
	}
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%s: %w: %w", op, ErrMalformed, err)
	}
	return nil
}

func newPayloadDecoder(op, content string) (*xml.Decoder, error) {
	doc := xmlPayload(content)
	if !strings.HasPrefix(doc, "<") {
		return nil, fmt.Errorf("%s: %w: not XML", op, ErrMalformed)
	}
	d := xml.NewDecoder(strings.NewReader(doc))
	// Lenient: payloads come from many client versions; an unknown entity or a stray & must
	// not lose the whole message.
	d.Strict = false
	d.Entity = xml.HTMLEntity
	// The JSON already gave us UTF-8 whatever the header claims.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	return d, nil
}

// atoiLenient reads a number that may be empty or padded; garbage reads as 0.
func atoiLenient(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0
	}
	return n
}

func atoi64Lenient(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0
	}
	return n
}
