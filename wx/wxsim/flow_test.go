package wxsim

import (
	"bytes"
	"encoding/json"
	"image/jpeg"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

// TestFlow walks a whole session the way a web client does, asserting the exact shapes
// a client parses, and ends with a second login whose UserNames are all new.
func TestFlow(t *testing.T) {
	e := newEnv(t, Options{ContactPageSize: 3})

	// The QR image encodes https://login.weixin.qq.com/l/<uuid>: compare it module by
	// module with the expected code.
	uuid := e.jslogin("https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxnewloginpage")
	qr := e.get("https://login.weixin.qq.com/qrcode/" + uuid)
	if qr.status != 200 || qr.header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("qrcode: %d %s", qr.status, qr.header.Get("Content-Type"))
	}
	assertQR(t, []byte(qr.body), "https://login.weixin.qq.com/l/"+uuid)

	c := e.login()
	assertLoginCookies(t, e, c)

	// webwxinit: key order of §3.5, 4 sync keys, ChatSet ending with ','.
	r := e.post(api("webwxinit", "r=-1234&lang=zh_CN&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br()})
	wantKeys := []string{"BaseResponse", "Count", "ContactList", "SyncKey", "User", "ChatSet", "SKey", "ClientVersion",
		"SystemTime", "GrayScale", "InviteStartCount", "MPSubscribeMsgCount", "MPSubscribeMsgList", "ClickReportInterval"}
	if got := objectKeys(t, r.body); !slices.Equal(got, wantKeys) {
		t.Errorf("webwxinit keys = %v", got)
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Errorf("webwxinit Content-Type = %q", r.header.Get("Content-Type"))
	}
	initAns := e.init(c)
	if sk := keyString(initAns["SyncKey"]); !regexp.MustCompile(`^1_\d+\|2_\d+\|3_\d+\|1000_\d+$`).MatchString(sk) {
		t.Errorf("init SyncKey = %s", sk)
	}
	chatSet := initAns["ChatSet"].(string)
	if !strings.HasSuffix(chatSet, ",") || !strings.HasPrefix(chatSet, "filehelper,@@") {
		t.Errorf("ChatSet = %q", chatSet)
	}
	if num(initAns["InviteStartCount"]) != 40 || num(initAns["User"].(map[string]any)["Uin"]) != 2100000001 {
		t.Errorf("InviteStartCount/Uin wrong: %v %v", initAns["InviteStartCount"], initAns["User"])
	}
	initGroups := map[string]bool{}
	for _, x := range initAns["ContactList"].([]any) {
		ct := x.(map[string]any)
		if un := ct["UserName"].(string); strings.HasPrefix(un, "@@") {
			initGroups[un] = true
			stub := ct["MemberList"].([]any)[0].(map[string]any)
			if stub["UserName"] == "" || stub["NickName"] != "" {
				t.Errorf("init member stub %v: want a UserName and an empty NickName", stub)
			}
		}
	}
	if len(initGroups) != 3 {
		t.Errorf("init ContactList has %d groups, want 3 (incl. the unsaved one)", len(initGroups))
	}

	before := userNames(t, e, c, initAns)
	// A hot login (webwxinit again with the saved credentials) keeps every UserName.
	if again := userNames(t, e, c, e.init(c)); len(again) != len(before) {
		t.Errorf("hot login changed UserNames: %d then %d", len(before), len(again))
	} else {
		for un := range again {
			if !before[un] {
				t.Errorf("hot login gave the new UserName %s", un)
			}
		}
	}

	// statusnotify, Code 3.
	r = e.post(api("webwxstatusnotify", "lang=zh_CN&pass_ticket="+c.passTicket),
		map[string]any{"BaseRequest": c.br(), "Code": 3, "FromUserName": c.self, "ToUserName": c.self, "ClientMsgId": 1717232400000})
	if v := decode(t, r.body); ret(t, r.body) != 0 || !regexp.MustCompile(`^\d{19}$`).MatchString(v["MsgID"].(string)) {
		t.Errorf("statusnotify: %s", r.body)
	}

	// getcontact pages by Seq; saved groups only, MemberCount 0.
	var book []map[string]any
	seq := "0"
	for pages := 0; ; pages++ {
		r = e.get(api("webwxgetcontact", "lang=zh_CN&pass_ticket="+c.passTicket+"&r=1717232400000&seq="+seq+"&skey="+url.QueryEscape(c.skey)))
		v := decode(t, r.body)
		for _, x := range v["MemberList"].([]any) {
			book = append(book, x.(map[string]any))
		}
		if seq = v["Seq"].(json.Number).String(); seq == "0" {
			if pages < 2 {
				t.Errorf("getcontact took %d pages with page size 3", pages+1)
			}
			break
		}
	}
	names := map[string]map[string]any{}
	for _, ct := range book {
		names[ct["NickName"].(string)] = ct
	}
	for _, want := range []string{"周末徒步群", "小区业主交流群", "阿杰<span class=\"emoji emoji1f3c3\"></span>", "腾讯新闻", "Tom &amp; Jerry", "文件传输助手"} {
		if names[want] == nil {
			t.Errorf("getcontact lacks %q", want)
		}
	}
	if names["吃货小分队<span class=\"emoji emoji1f35c\"></span>"] != nil {
		t.Error("getcontact lists the unsaved group")
	}
	if g := names["周末徒步群"]; g != nil && (num(g["MemberCount"]) != 0 || len(g["MemberList"].([]any)) != 0) {
		t.Errorf("getcontact group has members: %v", g)
	}
	if f := names["阿杰<span class=\"emoji emoji1f3c3\"></span>"]; f != nil && (f["RemarkName"] != "杰哥" || num(f["ContactFlag"]) != 3) {
		t.Errorf("friend entry: %v", f)
	}

	// batchgetcontact: full groups; a member looked up with the group's id.
	var list []map[string]string
	for un := range initGroups {
		list = append(list, map[string]string{"UserName": un, "EncryChatRoomId": ""})
	}
	r = e.post(api("webwxbatchgetcontact", "type=ex&r=1717232400000&lang=zh_CN&pass_ticket="+c.passTicket),
		map[string]any{"BaseRequest": c.br(), "Count": len(list), "List": list})
	var hiking map[string]any
	for _, x := range decode(t, r.body)["ContactList"].([]any) {
		g := x.(map[string]any)
		if !regexp.MustCompile(`^@[0-9a-f]{32}$`).MatchString(g["EncryChatRoomId"].(string)) || num(g["OwnerUin"]) == 0 {
			t.Errorf("group %v: EncryChatRoomId/OwnerUin missing", g["NickName"])
		}
		if g["NickName"] == "周末徒步群" {
			hiking = g
		}
	}
	if hiking == nil || num(hiking["IsOwner"]) != 1 || num(hiking["MemberCount"]) != 5 {
		t.Fatalf("周末徒步群 from batchget: %v", hiking)
	}
	var ming string
	for _, x := range hiking["MemberList"].([]any) {
		m := x.(map[string]any)
		if m["NickName"] == "阿杰<span class=\"emoji emoji1f3c3\"></span>" && m["DisplayName"] != "领队阿杰" {
			t.Errorf("member display name: %v", m)
		}
		if m["NickName"] == "小明" {
			ming = m["UserName"].(string)
		}
	}
	r = e.post(api("webwxbatchgetcontact", "type=ex&r=1&lang=zh_CN&pass_ticket="+c.passTicket),
		map[string]any{"BaseRequest": c.br(), "Count": 1, "List": []map[string]string{{"UserName": ming, "EncryChatRoomId": hiking["UserName"].(string)}}})
	if got := decode(t, r.body)["ContactList"].([]any); len(got) != 1 || got[0].(map[string]any)["NickName"] != "小明" {
		t.Errorf("member lookup: %s", r.body)
	}

	// synccheck reports the pending 51/code 4; the first webwxsync carries it.
	if got := e.synccheck("webpush.wx2.qq.com", c, c.syncKey); got != `window.synccheck={retcode:"0",selector:"2"}` {
		t.Fatalf("synccheck = %q", got)
	}
	a := e.sync(c)
	assertSyncAnswer(t, a)
	first := decode(t, a.msgs[0])
	if num(first["MsgType"]) != 51 || num(first["StatusNotifyCode"]) != 4 || first["FromUserName"] != c.self || first["ToUserName"] != c.self {
		t.Fatalf("first message is not the 51/code 4: %s", a.msgs[0])
	}
	notifyNames := strings.Split(first["StatusNotifyUserName"].(string), ",")
	content := first["Content"].(string)
	if !strings.HasPrefix(content, "&lt;msg&gt;<br/>&lt;op id='4'&gt;<br/>&lt;username&gt;filehelper,") || len(notifyNames) < 4 {
		t.Errorf("51/code 4 Content = %q, names %v", content, notifyNames)
	}
	raws := strings.Split(mustMatch(t, `&lt;username&gt;([^&]+)&lt;/username&gt;`, content)[1], ",")
	if len(raws) != len(notifyNames) || !strings.HasSuffix(raws[1], "@chatroom") || !strings.HasPrefix(notifyNames[1], "@@") {
		t.Errorf("raw ids %v do not pair with %v", raws, notifyNames)
	}
	for _, name := range []string{"wxuin", "wxsid", "webwx_data_ticket", "wxpluginkey", "wxloadtime"} {
		if !strings.Contains(strings.Join(a.hdr.Values("Set-Cookie"), "\n"), name+"=") {
			t.Errorf("webwxsync does not re-set %s", name)
		}
	}

	// Nothing new: the long poll ends with selector 0.
	if got := e.synccheck("webpush.wx2.qq.com", c, c.checkKey); got != `window.synccheck={retcode:"0",selector:"0"}` {
		t.Errorf("idle synccheck = %q", got)
	}

	// Send: string MsgID, LocalID echoed, and the echo in our own stream.
	group := hiking["UserName"].(string)
	r = e.post(api("webwxsendmsg", "lang=zh_CN&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br(),
		"Msg": map[string]any{"Type": 1, "Content": "明天见 <b>\n@阿杰", "FromUserName": c.self, "ToUserName": group,
			"LocalID": "17172324000001234", "ClientMsgId": "17172324000001234"}, "Scene": 0})
	sent := decode(t, r.body)
	msgID, _ := sent["MsgID"].(string)
	if ret(t, r.body) != 0 || sent["LocalID"] != "17172324000001234" || !regexp.MustCompile(`^\d{19}$`).MatchString(msgID) {
		t.Fatalf("send: %s", r.body)
	}
	if got := e.synccheck("webpush.wx2.qq.com", c, c.checkKey); got != `window.synccheck={retcode:"0",selector:"2"}` {
		t.Errorf("synccheck after send = %q", got)
	}
	msgs, _ := e.syncAll(c)
	if len(msgs) != 1 || msgs[0]["MsgId"] != msgID || msgs[0]["FromUserName"] != c.self || msgs[0]["ToUserName"] != group ||
		msgs[0]["Content"] != "明天见 &lt;b&gt;<br/>@阿杰" {
		t.Fatalf("echo = %v", msgs)
	}

	// Revoke within two minutes: our stream gets "你撤回了一条消息" naming the MsgId.
	r = e.post(api("webwxrevokemsg", "lang=zh_CN&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br(),
		"ClientMsgId": "17172324000001234", "SvrMsgId": msgID, "ToUserName": group})
	if ret(t, r.body) != 0 || decode(t, r.body)["Introduction"] != "你可以撤回2分钟内发送的消息（部分旧版本微信不支持这个功能）。" {
		t.Fatalf("revoke: %s", r.body)
	}
	msgs, _ = e.syncAll(c)
	if len(msgs) != 1 || num(msgs[0]["MsgType"]) != 10002 || num(msgs[0]["Status"]) != 4 ||
		!strings.Contains(msgs[0]["Content"].(string), "&lt;msgid&gt;"+msgID+"&lt;/msgid&gt;") ||
		!strings.Contains(msgs[0]["Content"].(string), "你撤回了一条消息") {
		t.Fatalf("revoke echo = %v", msgs)
	}
	if got := e.srv.Sent(); len(got) != 2 || got[0].Kind != "text" || got[0].Chat != "周末徒步群" || got[0].Text != "明天见 <b>\n@阿杰" ||
		got[1].Kind != "revoke" || got[1].Of != msgID {
		t.Errorf("Sent = %+v", got)
	}

	// Logout: every call of this login now fails; hot login fails at webwxinit.
	if r = e.get(api("webwxlogout", "redirect=1&type=0&skey="+url.QueryEscape(c.skey))); ret(t, r.body) != 0 {
		t.Fatalf("logout: %s", r.body)
	}
	if got := e.synccheck("webpush.wx2.qq.com", c, c.checkKey); got != `window.synccheck={retcode:"1101",selector:"0"}` {
		t.Errorf("synccheck after logout = %q", got)
	}
	if a := e.sync(c); ret(t, a.raw) != 1101 {
		t.Errorf("webwxsync after logout: %s", a.raw)
	}
	r = e.post(api("webwxinit", "r=-1&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br()})
	if ret(t, r.body) != 1101 {
		t.Errorf("hot login after logout: %s", r.body)
	}

	// A second login: every UserName is new.
	c2 := e.login()
	after := userNames(t, e, c2, e.init(c2))
	for un := range after {
		if before[un] && un != "filehelper" {
			t.Errorf("UserName %s survived a new login", un)
		}
	}
	if len(after) < 10 {
		t.Errorf("only %d UserNames after the second login", len(after))
	}
}

// userNames collects every UserName a client learns from init, getcontact and the groups'
// member lists.
func userNames(t *testing.T, e *env, c *creds, initAns map[string]any) map[string]bool {
	t.Helper()
	seen := map[string]bool{c.self: true}
	var groups []map[string]string
	for _, x := range initAns["ContactList"].([]any) {
		un := x.(map[string]any)["UserName"].(string)
		seen[un] = true
		if strings.HasPrefix(un, "@@") {
			groups = append(groups, map[string]string{"UserName": un})
		}
	}
	r := e.post(api("webwxbatchgetcontact", "type=ex&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br(), "List": groups})
	for _, x := range decode(t, r.body)["ContactList"].([]any) {
		for _, m := range x.(map[string]any)["MemberList"].([]any) {
			seen[m.(map[string]any)["UserName"].(string)] = true
		}
	}
	return seen
}

func assertQR(t *testing.T, jpg []byte, content string) {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		t.Fatalf("qrcode is not a JPEG: %v", err)
	}
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	bm := q.Bitmap()
	size := img.Bounds().Dx()
	per := float64(size) / float64(len(bm))
	wrong := 0
	for y := range bm {
		for x := range bm[y] {
			r, _, _, _ := img.At(int((float64(x)+0.5)*per), int((float64(y)+0.5)*per)).RGBA()
			if dark := r < 0x8000; dark != bm[y][x] {
				wrong++
			}
		}
	}
	if wrong > len(bm) { // JPEG noise may flip a few modules, a different code flips hundreds
		t.Errorf("QR differs from %q in %d modules", content, wrong)
	}
}

func assertLoginCookies(t *testing.T, e *env, c *creds) {
	t.Helper()
	set := strings.Join(c.loginPage.header.Values("Set-Cookie"), "\n")
	for _, name := range []string{"wxuin", "wxsid", "webwx_auth_ticket", "webwxuvid", "wxloadtime", "mm_lang"} {
		mustMatch(t, `(?m)^`+name+`=[^;]+; Domain=wx2\.qq\.com; Path=/; Expires=`, set)
	}
	mustMatch(t, `(?m)^webwx_data_ticket=[^;]+; Domain=\.qq\.com; Path=/; Expires=`, set)
	has := func(host, name string) bool {
		u, _ := url.Parse("https://" + host + "/")
		for _, ck := range e.jar.Cookies(u) {
			if ck.Name == name {
				return true
			}
		}
		return false
	}
	for _, host := range []string{"wx2.qq.com", "webpush.wx2.qq.com", "file.wx2.qq.com"} {
		for _, name := range []string{"wxuin", "wxsid", "webwx_data_ticket"} {
			if !has(host, name) {
				t.Errorf("cookie %s does not reach %s", name, host)
			}
		}
	}
	if !has("wx.qq.com", "webwx_data_ticket") || has("wx.qq.com", "wxsid") {
		t.Error("webwx_data_ticket should cover .qq.com and wxsid only wx2.qq.com")
	}
}

// assertSyncAnswer checks the key order of §5.3 and that every message has every §6.1
// field in order, with NewMsgId an unquoted number equal to MsgId.
func assertSyncAnswer(t *testing.T, a syncAnswer) {
	t.Helper()
	want := []string{"BaseResponse", "AddMsgCount", "AddMsgList", "ModContactCount", "ModContactList", "DelContactCount",
		"DelContactList", "ModChatRoomMemberCount", "ModChatRoomMemberList", "Profile", "ContinueFlag", "SyncKey", "SKey", "SyncCheckKey"}
	if got := objectKeys(t, a.raw); !slices.Equal(got, want) {
		t.Errorf("webwxsync keys = %v", got)
	}
	if keyString(a.v["SyncKey"]) != keyString(a.v["SyncCheckKey"]) {
		t.Errorf("SyncKey %s and SyncCheckKey %s differ", keyString(a.v["SyncKey"]), keyString(a.v["SyncCheckKey"]))
	}
	fields := []string{"MsgId", "FromUserName", "ToUserName", "MsgType", "Content", "Status", "ImgStatus", "CreateTime",
		"VoiceLength", "PlayLength", "FileName", "FileSize", "MediaId", "Url", "AppMsgType", "StatusNotifyCode",
		"StatusNotifyUserName", "RecommendInfo", "ForwardFlag", "AppInfo", "HasProductId", "Ticket", "ImgHeight",
		"ImgWidth", "SubMsgType", "NewMsgId", "OriContent", "EncryFileName"}
	for _, m := range a.msgs {
		if got := objectKeys(t, m); !slices.Equal(got, fields) {
			t.Errorf("message keys = %v", got)
		}
		id := mustMatch(t, `"MsgId":"(\d+)"`, m)[1]
		if !strings.Contains(m, `"NewMsgId":`+id+`,`) || len(id) < 17 {
			t.Errorf("NewMsgId is not the unquoted MsgId %s > 2^53: %s", id, m)
		}
		if strings.Contains(m, `\u003c`) || strings.Contains(m, `\u0026`) {
			t.Errorf("HTML-escaped JSON: %s", m)
		}
	}
}
