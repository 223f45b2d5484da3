package wxsim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// want describes one expected AddMsgList entry: field (dotted for nested objects) →
// string, int, *regexp.Regexp, or func(msgID string) string for values naming the id.
type want map[string]any

func checkMsg(t *testing.T, m map[string]any, w want) {
	t.Helper()
	id, _ := m["MsgId"].(string)
	for path, exp := range w {
		var v any = m
		for _, k := range strings.Split(path, ".") {
			v = v.(map[string]any)[k]
		}
		switch exp := exp.(type) {
		case string:
			if v != exp {
				t.Errorf("%s = %q, want %q", path, v, exp)
			}
		case int:
			if n, ok := v.(json.Number); !ok || n.String() != fmt.Sprint(exp) {
				t.Errorf("%s = %v, want %d", path, v, exp)
			}
		case *regexp.Regexp:
			if s, _ := v.(string); !exp.MatchString(s) {
				t.Errorf("%s = %q, does not match %s", path, s, exp)
			}
		case func(string) string:
			if v != exp(id) {
				t.Errorf("%s = %q, want %q", path, v, exp(id))
			}
		default:
			t.Fatalf("bad expectation type %T", exp)
		}
	}
}

func re(parts ...string) *regexp.Regexp {
	return regexp.MustCompile("^" + strings.Join(parts, "") + "$")
}

func q(s string) string { return regexp.QuoteMeta(s) }

// TestInjectKinds injects every high-level kind over the control API and checks the exact
// protocol shape a client then syncs (PROTOCOL.md §7). Cases run in order: recalls refer
// to labels of earlier cases and member counts add up.
func TestInjectKinds(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.loggedIn()
	self := c.self
	un := func(name string) string { u, _ := e.contact(name); return u }
	raw := func(name string) string { _, r := e.contact(name); return r }
	hiking, hikingRaw, food := un("周末徒步群"), raw("周末徒步群"), un("吃货小分队🍜")
	ids := map[string]string{}
	idOf := func(label string) string { return ids[label] }
	span := func(hex string) string { return `<span class="emoji emoji` + hex + `"></span>` }

	cases := []struct {
		name     string
		body     string
		sel      string // expected synccheck selector before the sync
		msgs     []want
		mod      want // the first ModContactList entry, if any
		del      bool // a DelContactList entry
		rawEntry bool // skip the §6.1 field check
	}{
		{name: "group text with mention, escaping, newline, emoji", sel: "2",
			body: `{"kind":"text","chat":"周末徒步群","from":"小明","text":"@管家 几点出发？ 5 > 3 & <b>\n😂","label":"q1"}`,
			msgs: []want{{"MsgType": 1, "FromUserName": hiking, "ToUserName": self, "Status": 3, "ImgStatus": 1,
				"Content": un("小明") + ":<br/>@管家\u2005几点出发？ 5 &gt; 3 &amp; &lt;b&gt;<br/>" + span("1f602")}}},
		{name: "mention by display name at the end", sel: "2",
			body: `{"kind":"text","chat":"周末徒步群","from":"刘队","text":"明早@领队阿杰"}`,
			msgs: []want{{"Content": un("大刘") + ":<br/>明早@领队阿杰\u2005"}}},
		{name: "private text with multi-code-point emoji", sel: "2",
			body: `{"kind":"text","chat":"杰哥","text":"🇨🇳 1️⃣ ❤️ #️⃣","label":"pm"}`,
			msgs: []want{{"MsgType": 1, "FromUserName": un("阿杰🏃"), "ToUserName": self,
				"Content": span("1f1e81f1f3") + " " + span("3120e3") + " " + span("2764") + " " + span("2320e3")}}},
		{name: "owner typed on the phone: no prefix", sel: "2",
			body: `{"kind":"text","chat":"周末徒步群","from":"self","text":"我来统计一下人数","label":"mine"}`,
			msgs: []want{{"FromUserName": self, "ToUserName": hiking, "Content": "我来统计一下人数"}}},
		{name: "image", sel: "2",
			body: `{"kind":"image","chat":"吃货小分队🍜","from":"美食家"}`,
			msgs: []want{{"MsgType": 3, "ImgStatus": 2, "ImgHeight": 120, "ImgWidth": 90, "FromUserName": food,
				"Content": re(q(un("小美🌸")+`:<br/>&lt;?xml version="1.0"?&gt;<br/>&lt;msg&gt;<br/>`+"\t"+`&lt;img aeskey="`), `[0-9a-f]{32}" .* md5="[0-9a-f]{32}" /&gt;<br/>&lt;/msg&gt;<br/>`)}}},
		{name: "voice", sel: "2",
			body: `{"kind":"voice","chat":"小美🌸","seconds":4}`,
			msgs: []want{{"MsgType": 34, "VoiceLength": 4000, "FromUserName": un("小美🌸"),
				"Content": re(q(`&lt;msg&gt;&lt;voicemsg endflag="1" cancelflag="0" forwardflag="0" voiceformat="4" voicelength="4000" length="`), `\d+" bufid="\d+" clientmsgid="[0-9a-f]+" fromusername="`, q(raw("小美🌸")+`" /&gt;&lt;/msg&gt;`))}}},
		{name: "video", sel: "2",
			body: `{"kind":"video","chat":"吃货小分队🍜","from":"Tom & Jerry","seconds":12}`,
			msgs: []want{{"MsgType": 43, "PlayLength": 12, "ImgStatus": 1,
				"Content": re(q(un("Tom & Jerry")+`:<br/>&lt;?xml version="1.0"?&gt;<br/>&lt;msg&gt;<br/>`+"\t"+`&lt;videomsg `), `.* playlength="12" .* fromusername="`, q(raw("Tom & Jerry")), `" .*/&gt;<br/>&lt;/msg&gt;<br/>`)}}},
		{name: "sticker", sel: "2",
			body: `{"kind":"emoticon","chat":"周末徒步群","from":"小明"}`,
			msgs: []want{{"MsgType": 47, "ImgStatus": 2,
				"Content": re(q(un("小明")+`:<br/>&lt;msg&gt;&lt;emoji fromusername="`+raw("小明")+`" tousername="`+hikingRaw+`" type="2" `), `.*&lt;/emoji&gt;&lt;gameext type="0" content="0"&gt;&lt;/gameext&gt;&lt;/msg&gt;`)}}},
		{name: "name card", sel: "2",
			body: `{"kind":"card","chat":"老王","card":"李姐"}`,
			msgs: []want{{"MsgType": 42, "FromUserName": un("老王"), "RecommendInfo.UserName": un("店长李姐"),
				"RecommendInfo.NickName": "店长李姐", "RecommendInfo.Scene": 17, "RecommendInfo.Sex": 2,
				"Content": re(q(`&lt;?xml version="1.0"?&gt;<br/>&lt;msg bigheadimgurl="`), `[^"]+/0" smallheadimgurl="[^"]+/132" `,
					q(`username="`+raw("店长李姐")+`" nickname="店长李姐"  shortpy="" alias="" imagestatus="3" scene="17" province="广东" city="广州" sign="营业时间 9:00-21:00" sex="2" `), `.* /&gt;<br/>`)}}},
		{name: "location", sel: "2",
			body: `{"kind":"location","chat":"周末徒步群","from":"领队阿杰","place":"梧桐山北门 & <东>","lat":22.58,"lng":114.21}`,
			msgs: []want{{"MsgType": 1, "SubMsgType": 48, "Url": "http://apis.map.qq.com/uri/v1/geocoder?coord=22.58,114.21",
				"Content": func(id string) string {
					return un("阿杰🏃") + ":<br/>梧桐山北门 &amp; &lt;东&gt;:<br/>/cgi-bin/mmwebwx-bin/webwxgetpubliclinkimg?url=xxx&msgid=" + id + "&pictype=location"
				},
				"OriContent": "<?xml version=\"1.0\"?>\n<msg>\n\t<location x=\"22.58\" y=\"114.21\" scale=\"16\" label=\"梧桐山北门 &amp; &lt;东&gt;\" maptype=\"0\" poiname=\"[位置]\" poiid=\"\" />\n</msg>\n"}}},
		{name: "link from an official account", sel: "2",
			body: `{"kind":"link","chat":"腾讯新闻","title":"天气 \"晴\"","desc":"适合户外","url":"https://news.qq.com/a?x=1&y=2"}`,
			msgs: []want{{"MsgType": 49, "AppMsgType": 5, "ImgStatus": 2, "FileName": `天气 "晴"`, "Url": "https://news.qq.com/a?x=1&y=2",
				"FromUserName": un("腾讯新闻"),
				"Content":      re(q("&lt;msg&gt;<br/>\t&lt;appmsg appid=\"\" sdkver=\"0\"&gt;<br/>\t\t&lt;title&gt;天气 &amp;quot;晴&amp;quot;&lt;/title&gt;<br/>\t\t&lt;des&gt;适合户外&lt;/des&gt;<br/>\t\t&lt;type&gt;5&lt;/type&gt;<br/>\t\t&lt;content&gt;&lt;/content&gt;<br/>\t\t&lt;url&gt;https://news.qq.com/a?x=1&amp;amp;y=2&lt;/url&gt;"), `.*`)}}},
		{name: "file", sel: "2",
			body: `{"kind":"file","chat":"小区业主交流群","from":"物业老王","name":"停水通知.pdf","size":204800}`,
			msgs: []want{{"MsgType": 49, "AppMsgType": 6, "FileName": "停水通知.pdf", "FileSize": "204800",
				"MediaId": re(`@crypt_[0-9a-f]{8}_[0-9a-f]+`), "EncryFileName": "%E5%81%9C%E6%B0%B4%E9%80%9A%E7%9F%A5%2Epdf",
				"AppInfo.AppID": "wx6618f1cfc6c132f8",
				"Content":       re(q(un("老王")+`:<br/>&lt;msg&gt;&lt;appmsg appid="wx6618f1cfc6c132f8" sdkver="0"&gt;&lt;title&gt;停水通知.pdf&lt;/title&gt;`), `.*`, q(`&lt;totallen&gt;204800&lt;/totallen&gt;`), `.*`)}}},
		{name: "mini-program", sel: "2",
			body: `{"kind":"miniprogram","chat":"吃货小分队🍜","from":"阿花","title":"拼单","app":"美团外卖","url":"https://mp.weixin.qq.com/x"}`,
			msgs: []want{{"MsgType": 49, "AppMsgType": 33, "ImgStatus": 2, "FileName": "拼单",
				"Content": re(q(un("阿花")+":<br/>&lt;msg&gt;&lt;appmsg"), `.*`, q(`&lt;type&gt;33&lt;/type&gt;`), `.*`, q(`&lt;sourcedisplayname&gt;美团外卖&lt;/sourcedisplayname&gt;`), `.*&lt;weappinfo&gt;.*`)}}},
		{name: "red packet: a notice without sender", sel: "6",
			body: `{"kind":"redpacket","chat":"周末徒步群","from":"大刘"}`,
			msgs: []want{{"MsgType": 10000, "FromUserName": hiking, "ToUserName": self, "Content": "收到红包，请在手机上查看"}}},
		{name: "red packet sent from the phone", sel: "6",
			body: `{"kind":"redpacket","chat":"阿杰🏃","from":"self"}`,
			msgs: []want{{"MsgType": 10000, "FromUserName": self, "ToUserName": un("阿杰🏃"), "Content": "发出红包，请在手机上查看"}}},
		{name: "transfer", sel: "2",
			body: `{"kind":"transfer","chat":"阿杰🏃","amount":"88.00"}`,
			msgs: []want{{"MsgType": 49, "AppMsgType": 2000, "FileName": "微信转账",
				"Content": re(q(`&lt;msg&gt;<br/>&lt;appmsg appid="" sdkver=""&gt;<br/>&lt;title&gt;&lt;![CDATA[微信转账]]&gt;&lt;/title&gt;<br/>&lt;des&gt;&lt;![CDATA[阿杰`+span("1f3c3")+`向你转账88.00元。如需收钱，请点此升级至最新版本]]&gt;&lt;/des&gt;`), `.*`,
					q(`&lt;feedesc&gt;&lt;![CDATA[￥88.00]]&gt;&lt;/feedesc&gt;<br/>&lt;transcationid&gt;`), `.*`)}}},
		{name: "group recall: compact layout with prefix", sel: "2",
			body: `{"kind":"recall","of":"q1"}`,
			msgs: []want{{"MsgType": 10002, "Status": 4, "FromUserName": hiking,
				"Content": func(string) string {
					return un("小明") + `:<br/>&lt;sysmsg type="revokemsg"&gt;&lt;revokemsg&gt;&lt;session&gt;` + hikingRaw + `&lt;/session&gt;&lt;oldmsgid&gt;` +
						oldMsgID(idOf("q1")) + `&lt;/oldmsgid&gt;&lt;msgid&gt;` + idOf("q1") + `&lt;/msgid&gt;&lt;replacemsg&gt;&lt;![CDATA["小明" 撤回了一条消息]]&gt;&lt;/replacemsg&gt;&lt;/revokemsg&gt;&lt;/sysmsg&gt;`
				}}}},
		{name: "private recall: pretty layout, remark as name", sel: "2",
			body: `{"kind":"recall","of":"pm"}`,
			msgs: []want{{"MsgType": 10002, "Status": 4, "FromUserName": un("阿杰🏃"),
				"Content": func(string) string {
					return "&lt;sysmsg type=\"revokemsg\"&gt;<br/>\t&lt;revokemsg&gt;<br/>\t\t&lt;session&gt;" + raw("阿杰🏃") + "&lt;/session&gt;<br/>\t\t&lt;oldmsgid&gt;" +
						oldMsgID(idOf("pm")) + "&lt;/oldmsgid&gt;<br/>\t\t&lt;msgid&gt;" + idOf("pm") + "&lt;/msgid&gt;<br/>\t\t&lt;replacemsg&gt;&lt;![CDATA[\"杰哥\" 撤回了一条消息]]&gt;&lt;/replacemsg&gt;<br/>\t&lt;/revokemsg&gt;<br/>&lt;/sysmsg&gt;<br/>"
				}}}},
		{name: "recall of the owner's own phone message", sel: "2",
			body: `{"kind":"recall","of":"mine"}`,
			msgs: []want{{"FromUserName": self, "ToUserName": hiking, "Content": re(q(`&lt;sysmsg type="revokemsg"&gt;&lt;revokemsg&gt;`), `.*`, q(`&lt;![CDATA[你撤回了一条消息]]&gt;`), `.*`)}}},
		{name: "invited by a member", sel: "2",
			body: `{"kind":"join","chat":"周末徒步群","from":"阿杰🏃","members":["小红","阿强"]}`,
			msgs: []want{{"MsgType": 10000, "FromUserName": hiking, "Content": `"领队阿杰"邀请"小红、阿强"加入了群聊`}},
			mod:  want{"UserName": hiking, "MemberCount": 7, "ChatRoomOwner": self}},
		{name: "joined through self's QR code: two trailing spaces", sel: "2",
			body: `{"kind":"join","chat":"周末徒步群","from":"self","via":"qr","members":["小周"]}`,
			msgs: []want{{"Content": `"小周"通过扫描你分享的二维码加入群聊  `}}, mod: want{"MemberCount": 8}},
		{name: "joined through a member's QR code", sel: "2",
			body: `{"kind":"join","chat":"周末徒步群","from":"大刘","via":"qr","members":["小李"]}`,
			msgs: []want{{"Content": `"小李"通过扫描"刘队"分享的二维码加入群聊`}}, mod: want{"MemberCount": 9}},
		{name: "self invited: two trailing spaces", sel: "2",
			body: `{"kind":"join","chat":"吃货小分队🍜","from":"self","members":["老王"]}`,
			msgs: []want{{"FromUserName": food, "Content": `你邀请"老王"加入了群聊  `}}, mod: want{"UserName": food, "MemberCount": 5}},
		{name: "a leave has no text", sel: "4",
			body: `{"kind":"leave","chat":"周末徒步群","members":["阿强"]}`,
			mod:  want{"UserName": hiking, "MemberCount": 8}},
		{name: "self removes a member", sel: "2",
			body: `{"kind":"leave","chat":"周末徒步群","from":"self","members":["小红"]}`,
			msgs: []want{{"Content": `你将"小红"移出了群聊`}}, mod: want{"MemberCount": 7}},
		{name: "rename: CJK quotes around the new name", sel: "2",
			body: `{"kind":"rename","chat":"吃货小分队🍜","from":"美食家","name":"吃货小分队🍰"}`,
			msgs: []want{{"Content": `"美食家"修改群名为“吃货小分队` + span("1f370") + `”`}}, mod: want{"NickName": "吃货小分队" + span("1f370")}},
		{name: "friend request from fmessage", sel: "2",
			body: `{"kind":"friend_request","from":"徒步新人小周","chat":"周末徒步群","text":"我是\"小周\"，加个好友"}`,
			msgs: []want{{"MsgType": 37, "Status": 3, "FromUserName": "fmessage", "ToUserName": self,
				"RecommendInfo.NickName": "徒步新人小周", "RecommendInfo.Content": `我是"小周"，加个好友`, "RecommendInfo.OpCode": 2,
				"RecommendInfo.Scene": 14, "RecommendInfo.Ticket": re(`v2_[0-9a-f]{64}@stranger`), "RecommendInfo.UserName": re(`@[0-9a-f]{32}([0-9a-f]{32})?`),
				"Content": re(q(`&lt;msg fromusername="`), `wxid_[a-z0-9]{14}" encryptusername="v1_[0-9a-f]{64}@stranger" `,
					q(`fromnickname="徒步新人小周" content="我是&amp;quot;小周&amp;quot;，加个好友"  shortpy="" imagestatus="3" scene="14" country="CN" `),
					`.* ticket="v2_[0-9a-f]{64}@stranger" `, q(`opcode="2" googlecontact="" qrticket="" chatroomusername="`+hikingRaw+`" sourceusername="" sourcenickname=""&gt;&lt;brandlist count="0" ver="`), `\d+`, q(`"&gt;&lt;/brandlist&gt;&lt;/msg&gt;`))}}},
		{name: "owner opened a chat on the phone", sel: "7",
			body: `{"kind":"owner_active","chat":"周末徒步群"}`,
			msgs: []want{{"MsgType": 51, "StatusNotifyCode": 2, "FromUserName": self, "ToUserName": hiking, "StatusNotifyUserName": hiking, "Content": ""}}},
		{name: "self removed by the owner: DelContactList", sel: "2",
			body: `{"kind":"leave","chat":"小区业主交流群","from":"老王","members":["self"]}`,
			msgs: []want{{"MsgType": 10000, "FromUserName": un("小区业主交流群"), "Content": `你被"物业老王"移出群聊`}}, del: true},
		{name: "raw entry with placeholders", sel: "2", rawEntry: true,
			body: `{"raw":{"FromUserName":"{{group:周末徒步群}}","ToUserName":"{{self}}","MsgType":1,"Content":"{{user:小明}}:<br/>{{wxid:小明}} {{chatroom:周末徒步群}} {{msgid:q1}}"}}`,
			msgs: []want{{"FromUserName": hiking, "ToUserName": self, "MsgId": re(`\d{19}`), "CreateTime": re(``),
				"Content": func(string) string {
					return un("小明") + ":<br/>" + raw("小明") + " " + hikingRaw + " " + idOf("q1")
				}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := e.inject(tc.body)
			var in struct{ Label string }
			_ = json.Unmarshal([]byte(tc.body), &in)
			ids[in.Label] = id
			if got := e.synccheck("webpush.wx2.qq.com", c, c.checkKey); got != `window.synccheck={retcode:"0",selector:"`+tc.sel+`"}` {
				t.Errorf("synccheck = %s, want selector %s", got, tc.sel)
			}
			a := e.sync(c)
			if !tc.rawEntry {
				assertSyncAnswer(t, a)
			}
			if len(a.msgs) != len(tc.msgs) {
				t.Fatalf("%d messages, want %d: %v", len(a.msgs), len(tc.msgs), a.msgs)
			}
			for i, w := range tc.msgs {
				m := decode(t, a.msgs[i])
				checkMsg(t, m, w)
				if i == 0 && id != "" && m["MsgId"] != id {
					t.Errorf("MsgId %v, inject answered %s", m["MsgId"], id)
				}
			}
			if (tc.mod != nil) != (len(a.mods) > 0) {
				t.Fatalf("ModContactList = %v, want %v", a.mods, tc.mod)
			}
			if tc.mod != nil {
				checkMsg(t, decode(t, a.mods[0]), tc.mod)
			}
			if tc.del != (len(a.dels) > 0) {
				t.Errorf("DelContactList = %v, want one entry: %v", a.dels, tc.del)
			}
		})
	}
	if p := e.srv.State().Accounts[0].Pending; p != 0 {
		t.Errorf("pending after the last sync: %d", p)
	}
}

func oldMsgID(id string) string {
	var n uint64
	fmt.Sscan(id, &n)
	return fmt.Sprint(1_000_000_000 + n%1_000_000_000)
}

// TestInjectEnglish checks the notices of an English account.
func TestInjectEnglish(t *testing.T) {
	e := newEnv(t, Options{Language: "en"})
	c := e.loggedIn()
	for _, tc := range []struct{ body, text string }{
		{`{"kind":"join","chat":"周末徒步群","from":"self","members":["小红","小蓝"]}`, "You invited 小红、小蓝 to the group chat.   "},
		{`{"kind":"join","chat":"周末徒步群","from":"self","via":"qr","members":["小周"]}`, `"小周" joined group chat via the QR code you shared.  `},
		{`{"kind":"join","chat":"周末徒步群","from":"小明","via":"qr","members":["小李"]}`, `"小李" joined the group chat via the QR Code shared by "小明".`},
		{`{"kind":"leave","chat":"周末徒步群","from":"self","members":["小红"]}`, `You removed "小红" from the group chat`},
		{`{"kind":"rename","chat":"周末徒步群","from":"小明","name":"Hiking"}`, `"小明" changed the group name to "Hiking"`},
		{`{"kind":"join","chat":"Hiking","from":"小明","members":["小白"]}`, `小明 invited 小白 to the group chat`},
		{`{"kind":"leave","chat":"小区业主交流群","from":"老王","members":["self"]}`, `You were removed from the group chat by "物业老王"`},
		{`{"kind":"text","chat":"小美🌸","text":"x","label":"en1"}`, "x"},
		{`{"kind":"recall","of":"en1"}`, `&lt;![CDATA["美美" has recalled a message.]]&gt;`},
	} {
		e.inject(tc.body)
		msgs, _ := e.syncAll(c)
		if len(msgs) != 1 || !strings.Contains(msgs[0]["Content"].(string), tc.text) {
			t.Errorf("%s: got %v, want %q", tc.body, msgs, tc.text)
		}
	}
}

// TestInjectErrors checks that mistakes in control requests are clear 4xx answers.
func TestInjectErrors(t *testing.T) {
	e := newEnv(t, Options{})
	if status, v := e.control("POST", "/_sim/inject", `{"raw":{"MsgType":1}}`); status != 409 || v["error"] == nil {
		t.Errorf("raw before login: %d %v", status, v)
	}
	e.loggedIn()
	for body, wantErr := range map[string]string{
		`{"kind":"text","chat":"不存在的群","from":"小明","text":"x"}`:           `unknown name: chat "不存在的群"`,
		`{"kind":"text","chat":"周末徒步群","from":"老王","text":"x"}`:           `"老王" is not a member of "周末徒步群"`,
		`{"kind":"text","chat":"周末徒步群","text":"x"}`:                       "from is required",
		`{"kind":"dance","chat":"周末徒步群"}`:                                 `unknown kind "dance"`,
		`{"kind":"recall","of":"nope"}`:                                   `no high-level message labelled "nope"`,
		`{"kind":"leave","chat":"小区业主交流群","from":"阿杰🏃","members":["老王"]}`: "cannot remove members",
		`{"raw":{"FromUserName":"{{user:nobody}}"}}`:                      "unknown name: {{user:nobody}}",
		`{"kind":"text","chat":`:                                          "decode",
	} {
		status, v := e.control("POST", "/_sim/inject", body)
		if msg, _ := v["error"].(string); status != 400 || !strings.Contains(msg, wantErr) {
			t.Errorf("%s: %d %v, want 400 with %q", body, status, v, wantErr)
		}
	}
}
