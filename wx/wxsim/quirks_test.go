package wxsim

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestTolerantAuth: what different clients send must all authenticate, and credentials
// that disagree must not.
func TestTolerantAuth(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.login()
	if !strings.Contains(c.passTicket, "%") {
		t.Fatalf("seed 42 should give a pass_ticket with %%XX: %s", c.passTicket)
	}
	br := func(uin any) map[string]any {
		return map[string]any{"Uin": uin, "Sid": c.sid, "Skey": c.skey, "DeviceID": c.deviceID}
	}
	for _, tc := range []struct {
		name  string
		query string
		body  string
		want  int
	}{
		{"Uin as a string", "pass_ticket=" + c.passTicket, mustJSON(map[string]any{"BaseRequest": br(c.uin)}), 0},
		{"Uin as a number", "pass_ticket=" + c.passTicket, mustJSON(map[string]any{"BaseRequest": br(json.Number(c.uin))}), 0},
		{"double-encoded pass_ticket", "pass_ticket=" + url.QueryEscape(c.passTicket), mustJSON(map[string]any{"BaseRequest": br(c.uin)}), 0},
		{"literal pass_ticket", "pass_ticket=pass_ticket", mustJSON(map[string]any{"BaseRequest": br(c.uin)}), 0},
		{"no query at all, unknown fields and nulls", "", `{"BaseRequest":{"Uin":` + c.uin + `,"Sid":"` + c.sid + `","Skey":null,"DeviceID":null},"Extra":[1,{"a":null}],"rr":null}`, 0},
		{"query order, _, r", "_=1&r=-5&lang=zh_CN&pass_ticket=" + c.passTicket + "&skey=" + url.QueryEscape(c.skey), mustJSON(map[string]any{"BaseRequest": br(c.uin)}), 0},
		{"wrong pass_ticket", "pass_ticket=AAAA", mustJSON(map[string]any{"BaseRequest": br(c.uin)}), -14},
		{"wrong Uin", "", mustJSON(map[string]any{"BaseRequest": br("12345")}), 1101},
		{"unknown sid", "", `{"BaseRequest":{"Sid":"nope"}}`, 1101},
	} {
		r := e.post(api("webwxinit", tc.query), tc.body)
		if got := ret(t, r.body); got != tc.want {
			t.Errorf("%s: Ret %d, want %d", tc.name, got, tc.want)
		}
	}
	// A client without cookies or BaseRequest has no credentials: 1102.
	plain := e.plainClient()
	req, _ := http.NewRequest("POST", api("webwxinit", ""), strings.NewReader(`{}`))
	if r := e.do(plain, req); ret(t, r.body) != 1102 {
		t.Errorf("no credentials: %s", r.body)
	}

	// getcontact answers GET (openwechat) and POST (older clients) alike.
	get := e.get(api("webwxgetcontact", "seq=0&skey="+url.QueryEscape(c.skey)))
	post := e.post(api("webwxgetcontact", "seq=0&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br()})
	if get.body != post.body || ret(t, get.body) != 0 {
		t.Errorf("getcontact GET and POST differ:\n%.200s\n%.200s", get.body, post.body)
	}

	// Plain paths on 127.0.0.1 work with query credentials only.
	r := e.get("http://" + e.addr + "/cgi-bin/mmwebwx-bin/webwxgetcontact?seq=0&skey=" + url.QueryEscape(c.skey) + "&sid=" + c.sid)
	if ret(t, r.body) != 0 {
		t.Errorf("plain-path getcontact: %.200s", r.body)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestSyncCheckHosts: synccheck needs cookies (1102) and this login's push host (1100).
func TestSyncCheckHosts(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.loggedIn()
	for host, want := range map[string]string{
		"webpush.wx2.qq.com":    "0",
		"webpush.wx.qq.com":     "1102", // the jar sends wx2's cookies nowhere else
		"webpush.weixin.qq.com": "1102", // a legacy name
		"wx2.qq.com":            "1100", // the API host has the cookies but is not the push host
	} {
		got := e.synccheck(host, c, c.checkKey)
		if want := `window.synccheck={retcode:"` + want + `",selector:"0"}`; got != want {
			t.Errorf("%s: %s, want %s", host, got, want)
		}
	}
	// With the cookies forced onto another family's push host: 1100.
	u := "https://webpush.wx8.qq.com/cgi-bin/mmwebwx-bin/synccheck?sid=" + c.sid + "&skey=" + url.QueryEscape(c.skey) + "&uin=" + c.uin + "&synckey=" + url.QueryEscape(keyString(c.checkKey))
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Cookie", "wxsid="+c.sid+"; wxuin="+c.uin)
	plain := e.plainClient()
	if r := e.do(plain, req); r.body != `window.synccheck={retcode:"1100",selector:"0"}` {
		t.Errorf("wrong family push host: %s", r.body)
	}
	// No cookies at all: 1102.
	req, _ = http.NewRequest("GET", strings.Replace(u, "wx8", "wx2", 1), nil)
	if r := e.do(plain, req); r.body != `window.synccheck={retcode:"1102",selector:"0"}` {
		t.Errorf("no cookies: %s", r.body)
	}
}

// multipartChunk builds one webwxuploadmedia request with its fields in random order.
func multipartChunk(t *testing.T, rng *rand.Rand, fields map[string]string, data []byte) (string, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	names := []string{"filename"}
	for k := range fields {
		names = append(names, k)
	}
	rng.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	for _, k := range names {
		if k == "filename" {
			fw, _ := w.CreateFormFile("filename", fields["name"])
			fw.Write(data)
			continue
		}
		w.WriteField(k, fields[k])
	}
	w.Close()
	return w.FormDataContentType(), &b
}

// TestUpload: a 1.2 MiB file in three 512 KiB chunks with shuffled fields, sent as an
// image and as a file, downloaded back byte for byte.
func TestUpload(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.loggedIn()
	ajie, _ := e.contact("阿杰🏃")
	file := pseudoBytes("upload", 1258291) // 1.2 MiB
	sum := md5.Sum(file)
	ticketCookie := dataTicket(e)
	rng := rand.New(rand.NewPCG(1, 2))
	upload := func(host string, data []byte, extra map[string]string) map[string]any {
		t.Helper()
		req := map[string]any{"UploadType": 2, "BaseRequest": c.br(), "ClientMediaId": 1717232400123, "TotalLen": len(file),
			"StartPos": 0, "DataLen": len(file), "MediaType": 4, "FromUserName": c.self, "ToUserName": ajie, "FileMd5": hex.EncodeToString(sum[:])}
		fields := map[string]string{"id": "WU_FILE_0", "name": "photo.jpg", "type": "image/jpeg", "size": fmt.Sprint(len(file)),
			"lastModifiedDate": "Mon Jan 02 2006 15:04:05 GMT+0800 (中国标准时间)", "mediatype": "pic",
			"uploadmediarequest": mustJSON(req), "webwx_data_ticket": ticketCookie, "pass_ticket": c.passTicket}
		for k, v := range extra {
			if v == "" {
				delete(fields, k)
			} else {
				fields[k] = v
			}
		}
		ct, body := multipartChunk(t, rng, fields, data)
		hr, _ := http.NewRequest("POST", "https://"+host+"/cgi-bin/mmwebwx-bin/webwxuploadmedia?f=json", body)
		hr.Header.Set("Content-Type", ct)
		r := e.do(e.http, hr)
		if r.status != 200 {
			return map[string]any{"status": r.status}
		}
		return decode(t, r.body)
	}
	retOf := func(v map[string]any) int64 { return num(v["BaseResponse"].(map[string]any)["Ret"]) }

	if v := upload("wx2.qq.com", file, nil); v["status"] != 404 {
		t.Errorf("upload on the API host: %v, want 404", v)
	}
	if v := upload("file.wx2.qq.com", file, map[string]string{"webwx_data_ticket": ""}); retOf(v) != 1 {
		t.Errorf("upload without webwx_data_ticket: %v", v)
	}
	if v := upload("file.wx2.qq.com", file[:1000], map[string]string{"chunks": "2", "chunk": "0"}); retOf(v) != 1 {
		t.Errorf("a short non-last chunk: %v", v)
	}
	var mediaID string
	for i := range 3 {
		part := file[i*chunkSize : min((i+1)*chunkSize, len(file))]
		v := upload("file.wx2.qq.com", part, map[string]string{"chunks": "3", "chunk": fmt.Sprint(i)})
		id, has := v["MediaId"]
		switch {
		case retOf(v) != 0:
			t.Fatalf("chunk %d: %v", i, v)
		case i < 2 && has:
			t.Errorf("chunk %d answer has MediaId: %v", i, v)
		case i == 2:
			mediaID, _ = id.(string)
			if !strings.HasPrefix(mediaID, "@crypt_") || num(v["StartPos"]) != int64(len(file)) {
				t.Fatalf("last chunk: %v", v)
			}
		}
	}
	// One part without chunks/chunk (wechat-go) gives the MediaId at once.
	if v := upload("file.wx2.qq.com", file, map[string]string{"name": "whole.jpg"}); v["MediaId"] == nil {
		t.Errorf("single-part upload: %v", v)
	}
	// checkupload finds the uploaded file by MD5.
	r := e.post(api("webwxcheckupload", "pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br(),
		"FileMd5": hex.EncodeToString(sum[:]), "FileName": "photo.jpg", "FileSize": len(file), "FileType": 7})
	if v := decode(t, r.body); v["MediaId"] == "" || v["EncryFileName"] != "photo%2Ejpg" {
		t.Errorf("checkupload: %s", r.body)
	}

	// Send it as an image; download it by MsgID.
	r = e.post(api("webwxsendmsgimg", "fun=async&f=json&lang=zh_CN&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br(),
		"Msg": map[string]any{"Type": 3, "MediaId": mediaID, "Content": "", "FromUserName": c.self, "ToUserName": ajie, "LocalID": "1", "ClientMsgId": "1"}, "Scene": 0})
	msgID, _ := decode(t, r.body)["MsgID"].(string)
	if msgID == "" {
		t.Fatalf("sendmsgimg: %s", r.body)
	}
	img := e.get(api("webwxgetmsgimg", "MsgID="+msgID+"&skey="+url.QueryEscape(c.skey)))
	if !bytes.Equal([]byte(img.body), file) || img.header.Get("Content-Length") != fmt.Sprint(len(file)) {
		t.Errorf("getmsgimg returned %d bytes, want the %d uploaded", len(img.body), len(file))
	}
	// openwechat sends stickers with Type 1 and videos with the literal pass_ticket.
	r = e.post(api("webwxsendemoticon", "fun=sys&lang=zh_CN&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br(),
		"Msg": map[string]any{"Type": 1, "EmojiFlag": 2, "EMoticonMd5": "0123456789abcdef0123456789abcdef", "FromUserName": c.self, "ToUserName": ajie, "LocalID": "3", "ClientMsgId": "3"}})
	if ret(t, r.body) != 0 {
		t.Errorf("sendemoticon with Type 1: %s", r.body)
	}
	r = e.post(api("webwxsendvideomsg", "fun=async&f=json&pass_ticket=pass_ticket"), map[string]any{"BaseRequest": c.br(),
		"Msg": map[string]any{"Type": 43, "MediaId": mediaID, "FromUserName": c.self, "ToUserName": ajie, "LocalID": "4", "ClientMsgId": "4"}})
	if ret(t, r.body) != 0 {
		t.Errorf("sendvideomsg: %s", r.body)
	}
	if msgs, _ := e.syncAll(c); len(msgs) != 3 || num(msgs[1]["MsgType"]) != 47 || num(msgs[2]["MsgType"]) != 43 {
		t.Errorf("image, sticker and video echoes: %v", msgs)
	}
	// A bad MediaId: Ret -1.
	r = e.post(api("webwxsendmsgimg", "fun=async&f=json&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br(),
		"Msg": map[string]any{"Type": 3, "MediaId": "@crypt_bad", "FromUserName": c.self, "ToUserName": ajie}})
	if ret(t, r.body) != -1 {
		t.Errorf("bad MediaId: %s", r.body)
	}

	// Send it as a file, in both appmsg quote styles; download it from file.<host>.
	for _, x := range []string{
		`<appmsg appid='wxeb7ec651dd0aefa9' sdkver=''><title>photo.jpg</title><des></des><action></action><type>6</type><content></content><url></url><lowurl></lowurl><appattach><totallen>` + fmt.Sprint(len(file)) + `</totallen><attachid>` + mediaID + `</attachid><fileext>jpg</fileext></appattach><extinfo></extinfo></appmsg>`,
		`<appmsg appid="wxeb7ec651dd0aefa9" sdkver=""><type>6</type><title>photo.jpg</title><appattach><totallen>` + fmt.Sprint(len(file)) + `</totallen><attachid>` + mediaID + `</attachid></appattach></appmsg>`,
	} {
		r = e.post(api("webwxsendappmsg", "fun=async&f=json"), map[string]any{"BaseRequest": c.br(),
			"Msg": map[string]any{"Type": 6, "Content": x, "FromUserName": c.self, "ToUserName": ajie, "LocalID": "2", "ClientMsgId": "2"}, "Scene": 0})
		if ret(t, r.body) != 0 {
			t.Errorf("sendappmsg: %s", r.body)
		}
	}
	msgs, _ := e.syncAll(c)
	if len(msgs) != 2 || num(msgs[0]["AppMsgType"]) != 6 || msgs[1]["FileName"] != "photo.jpg" ||
		msgs[1]["FileSize"] != fmt.Sprint(len(file)) || msgs[1]["MediaId"] != mediaID {
		t.Errorf("echoes: %v", msgs)
	}
	got := e.get("https://file.wx2.qq.com/cgi-bin/mmwebwx-bin/webwxgetmedia?sender=" + c.self + "&mediaid=" + url.QueryEscape(mediaID) +
		"&encryfilename=photo%252Ejpg&fromuser=" + c.uin + "&pass_ticket=" + c.passTicket + "&webwx_data_ticket=" + url.QueryEscape(ticketCookie))
	if !bytes.Equal([]byte(got.body), file) {
		t.Errorf("getmedia returned %d bytes (%d)", len(got.body), got.status)
	}
	if sent := e.srv.Sent(); len(sent) != 5 || sent[0].Kind != "image" || sent[0].Chat != "阿杰🏃" || sent[3].Kind != "file" || sent[3].FileName != "photo.jpg" {
		t.Errorf("Sent = %+v", sent)
	}
}

// TestGroupOps: addmember vs invitemember at InviteStartCount, owner-only delmember,
// modtopic, createchatroom, verifyuser and remarks.
func TestGroupOps(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.loggedIn()
	un := func(name string) string { u, _ := e.contact(name); return u }
	update := func(fun string, body map[string]any) string {
		t.Helper()
		body["BaseRequest"] = c.br()
		return e.post(api("webwxupdatechatroom", "fun="+fun+"&lang=zh_CN&pass_ticket="+c.passTicket), body).body
	}
	big, hiking := un("小区业主交流群"), un("周末徒步群")
	notices := func() []string {
		msgs, _ := e.syncAll(c)
		var out []string
		for _, m := range msgs {
			out = append(out, m["Content"].(string))
		}
		return out
	}

	if r := update("addmember", map[string]any{"ChatRoomName": big, "AddMemberList": un("小美🌸")}); ret(t, r) != 1 {
		t.Errorf("addmember on a 45-member group: %s", r)
	}
	if r := update("invitemember", map[string]any{"ChatRoomName": big, "InviteMemberList": un("小美🌸")}); ret(t, r) != 0 || num(decode(t, r)["MemberCount"]) != 45 {
		t.Errorf("invitemember: %s", r)
	}
	if r := update("addmember", map[string]any{"ChatRoomName": hiking, "AddMemberList": un("老王")}); ret(t, r) != 0 || num(decode(t, r)["MemberCount"]) != 6 {
		t.Errorf("addmember on a small group: %s", r)
	}
	if got := notices(); len(got) != 1 || got[0] != `你邀请"老王"加入了群聊  ` {
		t.Errorf("addmember notices: %q", got)
	}
	if r := update("delmember", map[string]any{"ChatRoomName": big, "DelMemberList": un("阿杰🏃")}); ret(t, r) != 1 {
		t.Errorf("delmember as a non-owner: %s", r)
	}
	if r := update("", map[string]any{"ChatRoomName": hiking, "DelMemberList": un("老王")}); ret(t, r) != 1 {
		t.Errorf("delmember without fun: %s", r)
	}
	if r := update("delmember", map[string]any{"ChatRoomName": hiking, "DelMemberList": un("老王")}); ret(t, r) != 0 {
		t.Errorf("delmember as the owner: %s", r)
	}
	if r := update("modtopic", map[string]any{"ChatRoomName": hiking, "NewTopic": "周末徒步群2"}); ret(t, r) != 0 {
		t.Errorf("modtopic: %s", r)
	}
	if got := notices(); len(got) != 2 || got[0] != `你将"老王"移出了群聊` || got[1] != "你修改群名为“周末徒步群2”" {
		t.Errorf("delmember/modtopic notices: %q", got)
	}

	create := func(members ...string) string {
		var list []map[string]string
		for _, m := range members {
			list = append(list, map[string]string{"UserName": un(m)})
		}
		return e.post(api("webwxcreatechatroom", "r=1&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br(),
			"MemberCount": len(list), "MemberList": list, "Topic": "新群"}).body
	}
	if r := create("阿杰🏃"); ret(t, r) != 1 {
		t.Errorf("createchatroom with one friend: %s", r)
	}
	if r := create("阿杰🏃", "老王"); !strings.Contains(r, `"ErrMsg":"Everything is OK"`) || !strings.HasPrefix(decode(t, r)["ChatRoomName"].(string), "@@") ||
		num(decode(t, r)["MemberCount"]) != 3 {
		t.Errorf("createchatroom: %s", r)
	}
	notices()

	// A friend request accepted with verifyuser.
	e.inject(`{"kind":"friend_request","from":"路人甲","text":"你好"}`)
	msgs, _ := e.syncAll(c)
	rec := msgs[0]["RecommendInfo"].(map[string]any)
	verify := func(ticket string) string {
		return e.post(api("webwxverifyuser", "r=1&lang=zh_CN&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br(), "Opcode": 3,
			"VerifyUserListSize": 1, "VerifyUserList": []map[string]string{{"Value": rec["UserName"].(string), "VerifyUserTicket": ticket}},
			"VerifyContent": "", "SceneListCount": 1, "SceneList": []int{33}, "skey": c.skey}).body
	}
	if r := verify("v2_wrong@stranger"); ret(t, r) != 1 {
		t.Errorf("verifyuser with a wrong ticket: %s", r)
	}
	if r := verify(rec["Ticket"].(string)); ret(t, r) != 0 {
		t.Errorf("verifyuser: %s", r)
	}
	msgs, mods := e.syncAll(c)
	if len(mods) != 1 || mods[0]["UserName"] != rec["UserName"] || num(mods[0]["ContactFlag"]) != 3 {
		t.Errorf("ModContactList after verifyuser: %v", mods)
	}
	if len(msgs) != 1 || msgs[0]["Content"] != "你已添加了路人甲，现在可以开始聊天了。" || num(msgs[0]["Status"]) != 4 || msgs[0]["FromUserName"] != rec["UserName"] {
		t.Errorf("notice after verifyuser: %v", msgs)
	}

	// A remark via oplog.
	r := e.post(api("webwxoplog", "lang=zh_CN&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br(), "UserName": un("小美🌸"), "CmdId": 2, "RemarkName": "美食家小美"})
	if _, mods = e.syncAll(c); ret(t, r.body) != 0 || len(mods) != 1 || mods[0]["RemarkName"] != "美食家小美" {
		t.Errorf("oplog remark: %s %v", r.body, mods)
	}

	var kinds []string
	for _, s := range e.srv.Sent() {
		kinds = append(kinds, s.Kind+":"+s.Chat)
	}
	want := "invitemember:小区业主交流群 addmember:周末徒步群 delmember:周末徒步群 modtopic:周末徒步群2 createchatroom:新群 verifyuser:路人甲 remark:小美🌸"
	if strings.Join(kinds, " ") != want {
		t.Errorf("Sent = %v\nwant %s", kinds, want)
	}
}

// TestBatchLimitAndRevokeWindow: batchget takes at most 50; revokes after 2 minutes fail.
func TestBatchLimitAndRevokeWindow(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.loggedIn()
	hiking, _ := e.contact("周末徒步群")
	list := make([]map[string]string, 51)
	for i := range list {
		list[i] = map[string]string{"UserName": hiking, "EncryChatRoomId": ""}
	}
	if r := e.post(api("webwxbatchgetcontact", "type=ex&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br(), "Count": 51, "List": list}); ret(t, r.body) != 1 {
		t.Errorf("batchget of 51: %s", r.body)
	}
	if r := e.post(api("webwxbatchgetcontact", "type=ex&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br(), "Count": 50, "List": list[:50]}); ret(t, r.body) != 0 {
		t.Errorf("batchget of 50: %s", r.body)
	}

	revoke := func(id string) int {
		r := e.post(api("webwxrevokemsg", "pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br(), "ClientMsgId": "1", "SvrMsgId": id, "ToUserName": hiking})
		return ret(t, r.body)
	}
	id := decode(t, e.sendText(c, hiking, "late").body)["MsgID"].(string)
	e.clock.advance(2*time.Minute + time.Second)
	if got := revoke(id); got != 1 {
		t.Errorf("revoke after 2m1s: Ret %d, want 1", got)
	}
	if got := revoke("123"); got != 1 {
		t.Errorf("revoke of an unknown message: Ret %d, want 1", got)
	}
}
