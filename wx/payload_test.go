package wx

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// escapeLikeServer does to an XML payload what the server does to every Content: < > &
// escaped, newlines as <br/>.
func escapeLikeServer(xml string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\n", "<br/>").Replace(xml)
}

func TestParseAppMsgLayouts(t *testing.T) {
	const compact = `<msg><appmsg appid="wx6618f1cfc6c132f8" sdkver="0"><title>report.pdf</title><des></des><type>6</type><appattach><totallen>1024</totallen><attachid>@cdn_1</attachid><fileext>pdf</fileext></appattach></appmsg><appinfo><appname>微信电脑版</appname></appinfo></msg>`
	const pretty = "<?xml version=\"1.0\"?>\n<msg>\n\t<appmsg appid='wx6618f1cfc6c132f8' sdkver='0'>\n\t\t<title><![CDATA[report.pdf]]></title>\n\t\t<des></des>\n\t\t<type>6</type>\n\t\t<appattach>\n\t\t\t<totallen> 1024 </totallen>\n\t\t\t<attachid>@cdn_1</attachid>\n\t\t\t<fileext>pdf</fileext>\n\t\t</appattach>\n\t</appmsg>\n\t<appinfo>\n\t\t<appname>微信电脑版</appname>\n\t</appinfo>\n</msg>\n"
	want := &AppMsg{Type: 6, AppID: "wx6618f1cfc6c132f8", Title: "report.pdf", AppName: "微信电脑版",
		Attach: AppAttach{TotalLen: 1024, AttachID: "@cdn_1", FileExt: "pdf"}}
	for name, xml := range map[string]string{"compact": compact, "pretty": pretty} {
		for form, content := range map[string]string{"escaped": escapeLikeServer(xml), "raw": xml} {
			got, err := ParseAppMsg(content)
			if err != nil {
				t.Fatalf("%s %s: %v", name, form, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s:\n got %+v\nwant %+v", name, form, got, want)
			}
		}
	}
}

func TestParseAppMsgKinds(t *testing.T) {
	t.Run("link with quote and ampersand", func(t *testing.T) {
		a, err := ParseAppMsg(escapeLikeServer(`<msg><appmsg appid="" sdkver="0"><title>说 &quot;走&quot;</title><des>a &amp; b</des><type>5</type><url>https://x.test/?a=1&amp;b=2</url><thumburl>https://x.test/t</thumburl></appmsg></msg>`))
		if err != nil {
			t.Fatal(err)
		}
		if a.Type != 5 || a.Title != `说 "走"` || a.Description != "a & b" || a.URL != "https://x.test/?a=1&b=2" || a.ThumbURL != "https://x.test/t" {
			t.Errorf("got %+v", a)
		}
	})
	t.Run("music", func(t *testing.T) {
		a, err := ParseAppMsg(escapeLikeServer(`<msg><appmsg><title>山歌</title><type>3</type><dataurl>http://m.test/s.mp3</dataurl></appmsg></msg>`))
		if err != nil || a.Type != 3 || a.DataURL != "http://m.test/s.mp3" {
			t.Errorf("got %+v, %v", a, err)
		}
	})
	t.Run("mini-program", func(t *testing.T) {
		a, err := ParseAppMsg(escapeLikeServer(`<msg><appmsg><title>拼车</title><type>33</type><sourceusername>gh_1@app</sourceusername><sourcedisplayname>滴滴</sourcedisplayname><weappinfo><username><![CDATA[gh_1@app]]></username><appid>wx1</appid><pagepath>p?a=1&amp;b=2</pagepath><weappiconurl>http://i</weappiconurl><shareId>s1</shareId></weappinfo></appmsg></msg>`))
		if err != nil {
			t.Fatal(err)
		}
		want := WeAppInfo{UserName: "gh_1@app", AppID: "wx1", PagePath: "p?a=1&b=2", IconURL: "http://i", ShareID: "s1"}
		if a.Type != 33 || a.SourceName != "滴滴" || a.SourceUserName != "gh_1@app" || a.WeApp != want {
			t.Errorf("got %+v", a)
		}
	})
	t.Run("transfer", func(t *testing.T) {
		a, err := ParseAppMsg(escapeLikeServer(`<msg><appmsg appid="" sdkver=""><title><![CDATA[微信转账]]></title><type>2000</type><wcpayinfo><paysubtype>1</paysubtype><feedesc><![CDATA[￥0.10]]></feedesc><transcationid><![CDATA[1000050101]]></transcationid><transferid><![CDATA[1000050102]]></transferid><invalidtime><![CDATA[1546303853]]></invalidtime><begintransfertime><![CDATA[1546217453]]></begintransfertime><pay_memo><![CDATA[车费]]></pay_memo></wcpayinfo></appmsg></msg>`))
		if err != nil {
			t.Fatal(err)
		}
		want := PayInfo{PaySubType: 1, FeeDesc: "￥0.10", TransactionID: "1000050101", TransferID: "1000050102",
			InvalidTime: 1546303853, BeginTransferTime: 1546217453, Memo: "车费"}
		if a.Pay != want || a.Pay.Amount() != "0.10" {
			t.Errorf("got %+v amount %q", a.Pay, a.Pay.Amount())
		}
	})
	t.Run("red packet", func(t *testing.T) {
		a, err := ParseAppMsg(escapeLikeServer(`<msg><appmsg><title>微信红包</title><type>2001</type><wcpayinfo><receivertitle><![CDATA[恭喜发财]]></receivertitle><sendertitle>大吉大利</sendertitle></wcpayinfo></appmsg></msg>`))
		if err != nil || a.Type != 2001 || a.Pay.ReceiverTitle != "恭喜发财" || a.Pay.SenderTitle != "大吉大利" {
			t.Errorf("got %+v, %v", a, err)
		}
	})
	t.Run("chat history and realtime location", func(t *testing.T) {
		for _, typ := range []string{"0", "19", "17"} {
			a, err := ParseAppMsg(escapeLikeServer(`<msg><appmsg><title>T</title><des>line1` + "\n" + `line2</des><type>` + typ + `</type></appmsg></msg>`))
			if err != nil || a.Title != "T" || a.Description != "line1\nline2" {
				t.Errorf("type %s: got %+v, %v", typ, a, err)
			}
		}
	})
	t.Run("official account articles", func(t *testing.T) {
		a, err := ParseAppMsg(escapeLikeServer(`<msg><appmsg><title>A</title><type>5</type><mmreader><category count="2"><item><title>A</title><url>http://a</url><pub_time>1546217000</pub_time><cover>http://c</cover><digest>d</digest></item><item><title>B</title><url>http://b</url></item></category></mmreader></appmsg></msg>`))
		if err != nil {
			t.Fatal(err)
		}
		want := []Article{{Title: "A", URL: "http://a", Cover: "http://c", Digest: "d", PubTime: 1546217000}, {Title: "B", URL: "http://b"}}
		if !reflect.DeepEqual(a.Articles, want) {
			t.Errorf("got %+v", a.Articles)
		}
	})
	t.Run("emoji span in title", func(t *testing.T) {
		a, err := ParseAppMsg(`&lt;msg&gt;&lt;appmsg&gt;&lt;title&gt;爬山<span class="emoji emoji1f3d4"></span>&lt;/title&gt;&lt;/appmsg&gt;&lt;/msg&gt;`)
		if err != nil || a.Title != "爬山\U0001F3D4" {
			t.Errorf("got %+v, %v", a, err)
		}
	})
}

func TestPayInfoAmount(t *testing.T) {
	for in, want := range map[string]string{"￥0.10": "0.10", "¥12.00": "12.00", " ￥ 3.5 ": "3.5", "8.88": "8.88", "": ""} {
		if got := (PayInfo{FeeDesc: in}).Amount(); got != want {
			t.Errorf("Amount(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseRevoke(t *testing.T) {
	pretty := "&lt;sysmsg type=\"revokemsg\"&gt;<br/>\t&lt;revokemsg&gt;<br/>\t\t&lt;session&gt;wxid_k2demo0001&lt;/session&gt;<br/>\t\t&lt;oldmsgid&gt;1651234567&lt;/oldmsgid&gt;<br/>\t\t&lt;msgid&gt;7032145698741236985&lt;/msgid&gt;<br/>\t\t&lt;replacemsg&gt;&lt;![CDATA[\"阿杰\" 撤回了一条消息]]&gt;&lt;/replacemsg&gt;<br/>\t&lt;/revokemsg&gt;<br/>&lt;/sysmsg&gt;<br/>"
	compact := `&lt;sysmsg type='revokemsg'&gt;&lt;revokemsg&gt;&lt;session&gt;1234567890@chatroom&lt;/session&gt;&lt;oldmsgid&gt;1088000001&lt;/oldmsgid&gt;&lt;msgid&gt;7032000000000000001&lt;/msgid&gt;&lt;replacemsg&gt;&lt;![CDATA["阿杰<span class="emoji emoji1f3c3"></span>" 撤回了一条消息]]&gt;&lt;/replacemsg&gt;&lt;/revokemsg&gt;&lt;/sysmsg&gt;`
	cases := []struct {
		name, in string
		want     Revoke
	}{
		{"pretty", pretty, Revoke{Type: "revokemsg", Session: "wxid_k2demo0001", OldMsgID: "1651234567", MsgID: "7032145698741236985", ReplaceMsg: `"阿杰" 撤回了一条消息`}},
		{"compact", compact, Revoke{Type: "revokemsg", Session: "1234567890@chatroom", OldMsgID: "1088000001", MsgID: "7032000000000000001", ReplaceMsg: "\"阿杰\U0001F3C3\" 撤回了一条消息"}},
		{"other sysmsg", `&lt;sysmsg type="pat"&gt;&lt;pat /&gt;&lt;/sysmsg&gt;`, Revoke{Type: "pat"}},
	}
	for _, c := range cases {
		got, err := ParseRevoke(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if *got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, *got, c.want)
		}
	}
}

func TestParseCard(t *testing.T) {
	in := escapeLikeServer(`<?xml version="1.0"?>` + "\n" + `<msg bigheadimgurl="http://h/0" smallheadimgurl="http://h/132" username="wxid_xiaohong01" nickname="小红 &amp; 小绿"  shortpy="" alias="xiaohong88" imagestatus="3" scene="17" province="广东" city="广州" sign="" sex="2" certflag="0" certinfo="" brandIconUrl="" regionCode="CN_Guangdong_Guangzhou" antispamticket="v2_ab@stranger" />` + "\n")
	got, err := ParseCard(in)
	if err != nil {
		t.Fatal(err)
	}
	want := CardPayload{UserName: "wxid_xiaohong01", NickName: "小红 & 小绿", Alias: "xiaohong88", Province: "广东", City: "广州",
		Sex: 2, Scene: 17, RegionCode: "CN_Guangdong_Guangzhou", BigHeadImgURL: "http://h/0", SmallHeadImgURL: "http://h/132",
		AntiSpamTicket: "v2_ab@stranger"}
	if *got != want {
		t.Errorf("got %+v\nwant %+v", *got, want)
	}
}

func TestParseFriendRequest(t *testing.T) {
	in := escapeLikeServer(`<msg fromusername="wxid_shanye01" encryptusername="v1_0f1e@stranger" fromnickname="山野" content="我是 &quot;山野&quot;"  shortpy="SY" imagestatus="3" scene="14" country="CN" province="Guangdong" city="Shenzhen" sign="走吧" percard="1" sex="1" alias="shanye_01" weibo="" bigheadimgurl="http://h/0" smallheadimgurl="http://h/132" ticket="v2_5f4e@stranger" opcode="2" googlecontact="" qrticket="" chatroomusername="1234567890@chatroom" sourceusername="" sourcenickname=""><brandlist count="0" ver="670000000"></brandlist></msg>`)
	got, err := ParseFriendRequest(in)
	if err != nil {
		t.Fatal(err)
	}
	want := FriendRequestPayload{FromUserName: "wxid_shanye01", EncryptUserName: "v1_0f1e@stranger", FromNickName: "山野",
		Content: `我是 "山野"`, Alias: "shanye_01", Country: "CN", Province: "Guangdong", City: "Shenzhen", Sign: "走吧", Sex: 1,
		Scene: 14, Ticket: "v2_5f4e@stranger", OpCode: 2, ChatRoomUserName: "1234567890@chatroom",
		BigHeadImgURL: "http://h/0", SmallHeadImgURL: "http://h/132"}
	if *got != want {
		t.Errorf("got %+v\nwant %+v", *got, want)
	}
}

func TestParseMedia(t *testing.T) {
	cases := []struct {
		name, in string
		want     MediaPayload
	}{
		{"image 2014", escapeLikeServer(`<msg><img length="95231" hdlength="0" /><commenturl></commenturl></msg>`),
			MediaPayload{Element: "img", Length: 95231}},
		{"image 2017 pretty", escapeLikeServer("<?xml version=\"1.0\"?>\n<msg>\n\t<img aeskey=\"k\" cdnthumbheight=\"120\" cdnthumbwidth=\"103\" length=\"45956\" hdlength=\"120000\" md5=\"e3b0\" />\n</msg>\n"),
			MediaPayload{Element: "img", Length: 45956, HDLength: 120000, MD5: "e3b0", ThumbWidth: 103, ThumbHeight: 120, AESKey: "k"}},
		{"voice", escapeLikeServer(`<msg><voicemsg endflag="1" voicelength="2340" length="3898" fromusername="wxid_a" /></msg>`),
			MediaPayload{Element: "voicemsg", Length: 3898, VoiceLength: 2340, FromUserName: "wxid_a"}},
		{"video", escapeLikeServer(`<msg><videomsg length="1048576" playlength="12" cdnthumbwidth="90" cdnthumbheight="160" md5="5d41" fromusername="wxid_a" /></msg>`),
			MediaPayload{Element: "videomsg", Length: 1048576, PlayLength: 12, MD5: "5d41", ThumbWidth: 90, ThumbHeight: 160, FromUserName: "wxid_a"}},
		{"sticker single quotes", escapeLikeServer(`<msg><emoji fromusername='wxid_a' md5='a1b2' len='40617' productid='' cdnurl='http://e/?a=1&amp;b=2' width='240' height='210'></emoji><gameext type="0" content="0"></gameext></msg>`),
			MediaPayload{Element: "emoji", Length: 40617, MD5: "a1b2", Width: 240, Height: 210, FromUserName: "wxid_a", CDNURL: "http://e/?a=1&b=2"}},
		{"store sticker", escapeLikeServer(`<msg><emoji md5="x" productid="com.tencent.xin.emoticon.person.stiker_1" /></msg>`),
			MediaPayload{Element: "emoji", MD5: "x", ProductID: "com.tencent.xin.emoticon.person.stiker_1"}},
	}
	for _, c := range cases {
		got, err := ParseMedia(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if *got != c.want {
			t.Errorf("%s: got %+v\nwant %+v", c.name, *got, c.want)
		}
	}
}

func TestParseLocation(t *testing.T) {
	raw := "<?xml version=\"1.0\"?>\n<msg>\n\t<location x=\"23.108902\" y=\"113.324520\" scale=\"16\" label=\"广州市天河区\" maptype=\"0\" poiname=\"[位置]\" poiid=\"\" />\n</msg>\n"
	want := LocationPayload{Lat: 23.108902, Lng: 113.32452, Scale: 16, Label: "广州市天河区", PoiName: "[位置]"}
	for form, in := range map[string]string{"raw OriContent": raw, "escaped Content": escapeLikeServer(raw)} {
		got, err := ParseLocation(in)
		if err != nil {
			t.Fatalf("%s: %v", form, err)
		}
		if *got != want {
			t.Errorf("%s: got %+v", form, *got)
		}
	}
	for _, bad := range []string{`<msg><location y="1" /></msg>`, `<msg><location x="NaN" y="1" /></msg>`, `<msg><location x="1" y="north" /></msg>`} {
		if _, err := ParseLocation(bad); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "location payload") {
			t.Errorf("ParseLocation(%q) error = %v", bad, err)
		}
	}
}

func TestParseStatusNotify(t *testing.T) {
	in := escapeLikeServer("<msg>\n<op id='4'>\n<username>wxid_k2demo0001,filehelper,1234567890@chatroom,</username>\n<unreadchatlist>\n<chat>\n<username>1234567890@chatroom</username>\n<lastreadtime>1546217400</lastreadtime>\n</chat>\n</unreadchatlist>\n<unreadfunctionlist>\n</unreadfunctionlist>\n</op>\n</msg>")
	got, err := ParseStatusNotify(in)
	if err != nil {
		t.Fatal(err)
	}
	want := &StatusNotifyPayload{OpID: 4, RawIDs: []string{"wxid_k2demo0001", "filehelper", "1234567890@chatroom"},
		Unread: []UnreadChat{{RawID: "1234567890@chatroom", LastReadTime: 1546217400}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
}

func TestPayloadErrors(t *testing.T) {
	bad := map[string]string{
		"opaque token": "@3f2a9c3f2a9c",
		"empty":        "",
		"truncated":    "&lt;msg&gt;&lt;appmsg&gt;&lt;title&gt;坏",
		"plain text":   "你好 &lt;朋友&gt;",
	}
	parsers := map[string]func(string) error{
		"appmsg payload":         func(s string) error { _, err := ParseAppMsg(s); return err },
		"revokemsg payload":      func(s string) error { _, err := ParseRevoke(s); return err },
		"card payload":           func(s string) error { _, err := ParseCard(s); return err },
		"friend request payload": func(s string) error { _, err := ParseFriendRequest(s); return err },
		"media payload":          func(s string) error { _, err := ParseMedia(s); return err },
		"location payload":       func(s string) error { _, err := ParseLocation(s); return err },
		"status notify payload":  func(s string) error { _, err := ParseStatusNotify(s); return err },
	}
	for op, parse := range parsers {
		for name, in := range bad {
			err := parse(in)
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s of %s: error %v does not wrap ErrMalformed", op, name, err)
				continue
			}
			if !strings.HasPrefix(err.Error(), op+":") {
				t.Errorf("%s of %s: error %q does not name the operation", op, name, err)
			}
		}
	}
	if _, err := ParseMedia(escapeLikeServer(`<msg><commenturl /></msg>`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("media without a media element: %v", err)
	}
}
