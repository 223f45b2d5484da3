package wxsim

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// The simulator decodes what clients and people send it: protocol requests, control API
// bodies, scenario files. Whatever arrives, it answers (a protocol error, a 400) and never
// panics or answers 5xx on its own.

// fuzzEndpoints are the protocol POST endpoints a logged-in client calls (logout excluded:
// it would end the session every later input needs).
var fuzzEndpoints = []string{"webwxsync", "webwxsendmsg", "webwxsendmsgimg", "webwxsendvideomsg", "webwxsendemoticon",
	"webwxsendappmsg", "webwxrevokemsg", "webwxbatchgetcontact", "webwxupdatechatroom", "webwxcreatechatroom",
	"webwxverifyuser", "webwxoplog", "webwxstatusnotify", "webwxinit", "webwxgetcontact"}

func FuzzProtocolRequest(f *testing.F) {
	e := newEnv(f, Options{})
	c := e.loggedIn()
	group, _ := e.contact("周末徒步群")
	friend, _ := e.contact("阿杰🏃")
	br := c.br()
	seeds := map[string]any{
		"webwxsync":            map[string]any{"BaseRequest": br, "SyncKey": c.syncKey, "rr": -1},
		"webwxsendmsg":         map[string]any{"BaseRequest": br, "Msg": map[string]any{"Type": 1, "Content": "hi <&>", "FromUserName": c.self, "ToUserName": group, "LocalID": "1", "ClientMsgId": 1}},
		"webwxsendappmsg":      map[string]any{"BaseRequest": br, "Msg": map[string]any{"Type": 6, "Content": "<appmsg><title>a.pdf</title><type>6</type><attachid>x</attachid></appmsg>", "FromUserName": c.self, "ToUserName": friend}},
		"webwxsendemoticon":    map[string]any{"BaseRequest": br, "Msg": map[string]any{"Type": 47, "EmojiFlag": 2, "EMoticonMd5": "abc", "FromUserName": c.self, "ToUserName": friend}},
		"webwxrevokemsg":       map[string]any{"BaseRequest": br, "ClientMsgId": "1", "SvrMsgId": "123", "ToUserName": group},
		"webwxbatchgetcontact": map[string]any{"BaseRequest": br, "Count": 1, "List": []map[string]any{{"UserName": group, "EncryChatRoomId": ""}}},
		"webwxupdatechatroom":  map[string]any{"BaseRequest": br, "ChatRoomName": group, "NewTopic": "新名字"},
		"webwxcreatechatroom":  map[string]any{"BaseRequest": br, "MemberCount": 1, "MemberList": []map[string]any{{"UserName": friend}}, "Topic": "t"},
		"webwxverifyuser":      map[string]any{"BaseRequest": br, "Opcode": 3, "VerifyUserListSize": 1, "VerifyUserList": []map[string]any{{"Value": friend, "VerifyUserTicket": "v2_x@stranger"}}},
		"webwxoplog":           map[string]any{"BaseRequest": br, "CmdId": 2, "RemarkName": "r", "UserName": friend},
		"webwxstatusnotify":    map[string]any{"BaseRequest": br, "Code": 3, "FromUserName": c.self, "ToUserName": c.self, "ClientMsgId": 1},
	}
	for i, ep := range fuzzEndpoints {
		body := []byte(`{"BaseRequest":{}}`)
		if v, ok := seeds[ep]; ok {
			body, _ = json.Marshal(v)
		} else {
			body, _ = json.Marshal(map[string]any{"BaseRequest": br})
		}
		f.Add(uint8(i), body)
	}
	f.Add(uint8(0), []byte(`{"BaseRequest":{"Uin":"x","Sid":1},"SyncKey":{"Count":1,"List":[{"Key":"1","Val":1e99}]}}`))
	f.Add(uint8(1), []byte(`{"Msg":null}`))
	f.Add(uint8(2), []byte(`[]`))
	u, _ := url.Parse("https://wx2.qq.com/")
	cookies := e.jar.Cookies(u)
	f.Fuzz(func(t *testing.T, ep uint8, body []byte) {
		endpoint := fuzzEndpoints[int(ep)%len(fuzzEndpoints)]
		req := httptest.NewRequest(http.MethodPost, "https://wx2.qq.com"+cgi+endpoint+"?lang=zh_CN&pass_ticket="+c.passTicket, bytes.NewReader(body))
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s: HTTP %d for %q", endpoint, rec.Code, body)
		}
		if out := rec.Body.Bytes(); len(out) > 0 && out[0] == '{' && !json.Valid(out) {
			t.Fatalf("%s: invalid JSON answer %q", endpoint, out)
		}
	})
}

var controlPaths = []string{"/_sim/inject", "/_sim/members", "/_sim/faults", "/_sim/confirm"}

func FuzzControlAPI(f *testing.F) {
	e := newEnv(f, Options{})
	e.loggedIn()
	for _, body := range []string{
		`{"kind":"text","chat":"周末徒步群","from":"小明","text":"@管家 明早几点出发","label":"m1"}`,
		`{"kind":"recall","of":"m1"}`,
		`{"kind":"join","chat":"周末徒步群","from":"小明","members":["新人"],"via":"qr"}`,
		`{"kind":"card","chat":"阿杰🏃","card":"小明"}`,
		`{"raw":{"MsgType":1,"FromUserName":"{{user:阿杰🏃}}","ToUserName":"{{self}}","Content":"{{msgid:m1}}"}}`,
		`{"kind":"friend_request","from":"陌生人","text":"你好"}`,
		`{"kind":"owner_active","chat":"周末徒步群"}`,
		`{"kind":"redpacket","chat":"周末徒步群","from":"小明","amount":"1.00"}`,
	} {
		f.Add(uint8(0), []byte(body))
	}
	f.Add(uint8(1), []byte(`{"group":"周末徒步群","join":["新人"],"by":"小明"}`))
	f.Add(uint8(2), []byte(`{"error_rate":0.5,"latency":"-1s"}`))
	f.Add(uint8(3), []byte(`{"uuid":"x"}`))
	f.Fuzz(func(t *testing.T, p uint8, body []byte) {
		path := controlPaths[int(p)%len(controlPaths)]
		if path == "/_sim/faults" {
			// Faults would slow or break every later input (latency, resets): decode only.
			var fl Faults
			if err := json.Unmarshal(body, &fl); err == nil {
				_ = fl.validate()
			}
			return
		}
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1"+path, bytes.NewReader(body))
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 409:
		default:
			t.Fatalf("%s: HTTP %d for %q", path, rec.Code, body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s: invalid JSON answer %q", path, rec.Body.String())
		}
	})
}

func FuzzScenario(f *testing.F) {
	sc, err := DemoScenario()
	if err != nil {
		f.Fatal(err)
	}
	demo, _ := json.Marshal(sc)
	f.Add(demo)
	for _, s := range []string{
		"self: {nickname: 群管家, uin: 1}\n",
		"self: {nickname: x}\ngroups:\n  - name: g\n    owner: nobody\n    members: [{nickname: a}]\n",
		"self: {nickname: x}\ntimeline:\n  - {at: 2s, kind: recall, of: nothing}\n",
		"self: {nickname: x}\nload: {groups: 2, members: 3, rate: 10, mix: {text: 1}}\n",
		"self: {nickname: x}\nfriends: [{nickname: x}]\n", "{}", "self: [", "self: {nickname: x, typo: 1}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := ParseScenario(data)
		if err != nil {
			return
		}
		if sc.Load != nil && (sc.Load.Groups > 50 || sc.Load.Members > 50) {
			return // big worlds are slow to build, not wrong
		}
		srv, err := New(Options{Scenario: sc, Seed: 1})
		if err != nil {
			return // refused with a reason
		}
		if st := srv.State(); len(st.Accounts) != 1 || st.Accounts[0].Nickname != sc.Self.Nickname {
			t.Fatalf("state of an accepted world: %+v", st)
		}
	})
}

func FuzzSyncCheckKey(f *testing.F) {
	for _, s := range []string{"1_698325105|2_698325111|3_698325050|1000_1546210682", "", "|", "1_", "_1", "1_2|1_3", "x_y|-1_-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		keys := parseSyncCheckKey(s)
		if len(keys) > 0 && !strings.Contains(s, "_") {
			t.Fatalf("keys %v from %q without a separator", keys, s)
		}
		// What it read, written canonically, reads back the same.
		var parts []string
		for k, v := range keys {
			parts = append(parts, strconv.FormatInt(k, 10)+"_"+strconv.FormatInt(v, 10))
		}
		if again := parseSyncCheckKey(strings.Join(parts, "|")); !maps.Equal(again, keys) {
			t.Fatalf("%q: %v reads back as %v", s, keys, again)
		}
	})
}
