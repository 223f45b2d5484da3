package wx

import (
	"encoding/json"
	"errors"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// fixtureEntries returns the AddMsgList entries of testdata/messages: seeds for the fuzzers.
func fixtureEntries(f *testing.F) []RawMessage {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "messages", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	var out []RawMessage
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var raw RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			f.Fatalf("%s: %v", file, err)
		}
		out = append(out, raw)
	}
	return out
}

func FuzzDecodeContent(f *testing.F) {
	for _, raw := range fixtureEntries(f) {
		f.Add(raw.Content)
	}
	for _, s := range []string{
		`<span class="emoji emoji1f450"></span`, `<span class="emoji emoji1f1e81f1f3"></span>`,
		`<span class="emoji emoji3120e3"></span>`, `&lt;span class="emoji emoji1f602"&gt;`, "@管家\u2005hi",
		"@_@", "a@b.c", "&#xD800;", "&amp", "<br/", `<span class="emoji emojiffffff"></span>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := DecodeContent(s)
		name := DecodeName(s)
		if utf8.ValidString(s) && (!utf8.ValidString(out) || !utf8.ValidString(name)) {
			t.Fatalf("valid input %q decoded to invalid UTF-8 %q", s, out)
		}
		if !strings.ContainsAny(s, "<&") && (out != s || name != s) {
			t.Fatalf("text without markup changed: %q -> %q", s, out)
		}
		// Without markup, decoding is exactly HTML unescaping (the fast path must agree).
		if !strings.Contains(s, "<") && out != html.UnescapeString(s) {
			t.Fatalf("DecodeContent(%q) = %q, html.UnescapeString = %q", s, out, html.UnescapeString(s))
		}
		if len(out) > 4*len(s)+4 {
			t.Fatalf("decoding grew %d bytes to %d", len(s), len(out))
		}
		mentions := Mentions(out)
		if len(mentions) > 20 {
			mentions = mentions[:20] // each check below is linear: keep the target fast
		}
		for _, n := range mentions {
			if n == "" || !IsMentioned(out, n) {
				t.Fatalf("Mentions(%q) found %q but IsMentioned disagrees", out, n)
			}
			if stripped := StripMention(out, n); strings.Contains(stripped, MentionText(n)) && len(stripped) >= len(out) {
				t.Fatalf("StripMention(%q, %q) removed nothing", out, n)
			}
		}
		_ = xmlPayload(s)
	})
}

var fuzzSenders = []string{
	selfUser, ajieUser, xiaojuUser, groupUser, group2User, "", "fmessage", "filehelper", strangerUser, "@@unknown",
}

func FuzzClassify(f *testing.F) {
	for _, raw := range fixtureEntries(f) {
		from := uint8(0)
		for i, s := range fuzzSenders {
			if s == raw.FromUserName {
				from = uint8(i)
			}
		}
		f.Add(raw.Content, raw.MsgType, raw.AppMsgType, raw.SubMsgType, raw.StatusNotifyCode, from,
			raw.OriContent, raw.URL, raw.StatusNotifyUserName)
	}
	book := newTestBook()
	f.Fuzz(func(t *testing.T, content string, msgType, appMsgType, subMsgType, code int, from uint8,
		ori, url, notifyNames string) {
		raw := &RawMessage{
			MsgID: "7032145698741236985", NewMsgID: "7032145698741236985", CreateTime: 1546217453,
			FromUserName: fuzzSenders[int(from)%len(fuzzSenders)], ToUserName: selfUser,
			MsgType: msgType, AppMsgType: appMsgType, SubMsgType: subMsgType, StatusNotifyCode: code,
			Content: content, OriContent: ori, URL: url, StatusNotifyUserName: notifyNames,
			ImgWidth: 120, ImgHeight: 89,
		}
		if raw.FromUserName == selfUser {
			raw.ToUserName = fuzzSenders[(int(from)+3)%len(fuzzSenders)]
		}
		data, err := json.Marshal(raw)
		if err != nil {
			t.Skip("fuzz input not representable as JSON (invalid UTF-8 is replaced, not an error)")
		}
		m := Classify(raw, data, book)
		if m == nil || m.Kind == "" {
			t.Fatalf("no kind for %+v", raw)
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("message does not marshal: %v (%+v)", err, m)
		}
		details := 0
		for _, set := range []bool{m.Media != nil, m.File != nil, m.Location != nil, m.Card != nil,
			m.MiniProgram != nil, m.Recall != nil, m.Notice != nil, m.FriendRequest != nil, m.OwnerActivity != nil} {
			if set {
				details++
			}
		}
		if details > 1 {
			t.Fatalf("%d detail structs set on one message: %+v", details, m)
		}
		wantChat := raw.FromUserName
		if m.IsSelf {
			wantChat = raw.ToUserName
		}
		if m.Chat.UserName != wantChat && !(wantChat == selfUser && m.Chat.IsSelf) {
			t.Fatalf("chat %q, want %q", m.Chat.UserName, wantChat)
		}
		if m.Mentioned && (m.IsSelf || !m.Chat.IsGroup) {
			t.Fatalf("mentioned outside a received group message: %+v", m)
		}
		// JSON replaces invalid UTF-8, so only valid input must survive the round trip.
		valid := utf8.ValidString(content) && utf8.ValidString(ori) && utf8.ValidString(url) && utf8.ValidString(notifyNames)
		if again := Classify(nil, data, book); valid && (again.Kind != m.Kind || again.Text != m.Text) {
			t.Fatalf("Classify(nil, json) = %s %q, want %s %q", again.Kind, again.Text, m.Kind, m.Text)
		}
	})
}

func FuzzPayloadXML(f *testing.F) {
	for _, raw := range fixtureEntries(f) {
		if _, rest, ok := splitSenderPrefix(raw.Content); ok {
			f.Add(rest)
		} else {
			f.Add(raw.Content)
		}
		if raw.OriContent != "" {
			f.Add(raw.OriContent)
		}
	}
	f.Add(`<msg><emoji md5='x' len='1'/></msg>`)
	f.Add(`<?xml version="1.0" encoding="gbk"?><msg/>`)
	f.Add(`<msg><appmsg><type>2000</type><wcpayinfo><feedesc><![CDATA[￥1]]></feedesc></wcpayinfo></appmsg></msg>`)
	parsers := map[string]func(string) error{
		"appmsg":         func(s string) error { _, err := ParseAppMsg(s); return err },
		"revoke":         func(s string) error { _, err := ParseRevoke(s); return err },
		"card":           func(s string) error { _, err := ParseCard(s); return err },
		"friend request": func(s string) error { _, err := ParseFriendRequest(s); return err },
		"media":          func(s string) error { _, err := ParseMedia(s); return err },
		"location":       func(s string) error { _, err := ParseLocation(s); return err },
		"status notify":  func(s string) error { _, err := ParseStatusNotify(s); return err },
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, parse := range parsers {
			if err := parse(s); err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("%s: error %v does not wrap ErrMalformed", name, err)
			}
		}
		if p, err := ParseLocation(s); err == nil {
			if _, err := json.Marshal(p); err != nil {
				t.Fatalf("location %+v does not marshal: %v", p, err)
			}
		}
	})
}

// FuzzRawMessage: the one-pass entry decoder agrees with encoding/json on every entry it
// decodes, and leaves the others to it.
func FuzzRawMessage(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "messages", "*.json"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		`{"MsgId":"1","Content":"a\"b\u00e9\ud83d\ude00\n","NewMsgId":12345678901234567890,"FileSize":null}`,
		`{"msgid":"1"}`, `{"MsgType":1.5}`, `{"MsgType":"1"}`, `{"Content":"\ud83d"}`, `{"RecommendInfo":null,"AppInfo":{"Type":3,"x":[1,{"y":null}]}}`,
		`{"NewMsgId":"77","NewMsgId":null,"Status":null}`, `{"未知":1}`, `null`, `[]`, `{"CreateTime":99999999999999999999}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return // entries come from a validated answer
		}
		var fast RawMessage
		if !decodeRawMessage(b, &fast) {
			return
		}
		var slow RawMessage
		if err := json.Unmarshal(b, &slow); err != nil {
			t.Fatalf("decoded %s, encoding/json refuses it: %v", b, err)
		}
		if fast != slow {
			t.Fatalf("%s:\n fast %+v\n slow %+v", b, fast, slow)
		}
	})
}

func FuzzSyncResponse(f *testing.F) {
	f.Add([]byte(syncAnswer))
	f.Add([]byte(`{"BaseResponse":{"Ret":1101,"ErrMsg":""}}`))
	f.Add([]byte(`{"BaseResponse":{"Ret":0},"AddMsgList":[null,{},{"NewMsgId":1e30}],"ModContactList":[{"Uin":"x"}]}`))
	f.Add([]byte(`{"AddMsgList":[{"MsgId":1,"NewMsgId":"12345678901234567890123"}]}`))
	book := newTestBook()
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := DecodeSyncResponse(body)
		// The one-pass path must agree with the field-by-field one on everything it accepts.
		if fast, ok := decodeSyncFast(body); ok {
			slow, serr := decodeSyncTolerant(body)
			if serr != nil {
				t.Fatalf("fast path accepted what the tolerant path refuses: %v", serr)
			}
			if diff := syncDiff(fast, slow); diff != "" {
				t.Fatalf("fast and tolerant paths differ: %s", diff)
			}
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if resp.BaseResponse.Ret != 0 {
			if resp.Err() == nil || len(resp.Messages) != 0 {
				t.Fatalf("Ret %d: Err %v, %d messages", resp.BaseResponse.Ret, resp.Err(), len(resp.Messages))
			}
			return
		}
		if len(resp.Messages) != len(resp.AddMsgList) {
			t.Fatalf("%d messages for %d entries", len(resp.Messages), len(resp.AddMsgList))
		}
		for _, e := range resp.Messages {
			if len(e.JSON) == 0 {
				t.Fatal("entry without its bytes")
			}
			if e.Err != nil && !errors.Is(e.Err, ErrMalformed) {
				t.Fatalf("entry error %v does not wrap ErrMalformed", e.Err)
			}
			if m := Classify(&e.Raw, e.JSON, book); m == nil || m.Kind == "" {
				t.Fatal("entry not classified")
			}
		}
	})
}

// syncDiff compares two decoded answers, errors by their text.
func syncDiff(a, b *SyncResponse) string {
	norm := func(r *SyncResponse) string {
		c := *r
		type entry struct {
			Raw  RawMessage
			JSON string
			Err  string
		}
		var es []entry
		for _, e := range c.Messages {
			x := entry{Raw: e.Raw, JSON: string(e.JSON)}
			if e.Err != nil {
				x.Err = e.Err.Error()
			}
			es = append(es, x)
		}
		var ws []string
		for _, w := range c.Warnings {
			ws = append(ws, w.Error())
		}
		c.Messages, c.Warnings = nil, nil
		out, _ := json.Marshal(struct {
			R  SyncResponse
			E  []entry
			W  []string
			NM bool
		}{c, es, ws, r.Messages == nil})
		return string(out)
	}
	if x, y := norm(a), norm(b); x != y {
		return x + "\n  vs\n" + y
	}
	return ""
}

func FuzzLoginBodies(f *testing.F) {
	for _, s := range []string{
		`window.QRLogin.code = 200; window.QRLogin.uuid = "gZ3kLm9QpA==";`,
		`window.code=408;`,
		`window.code=201;window.userAvatar = 'data:img/jpg;base64,/9j/4AAQ';`,
		`window.code=200;window.redirect_uri="https://wx2.qq.com/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=A@qrticket_0&uuid=x&lang=zh_CN&scan=1";`,
		`window.synccheck={retcode:"0",selector:"2"}`,
		`<error><ret>0</ret><message></message><skey>@crypt_1_2</skey><wxsid>s</wxsid><wxuin>1</wxuin><pass_ticket>p</pass_ticket><isgrayscale>1</isgrayscale></error>`,
		`<error><ret>1203</ret><message>为了你的帐号安全</message></error>`,
	} {
		f.Add([]byte(s))
	}
	isExpected := func(err error) bool {
		var re *RetError
		return err == nil || errors.Is(err, ErrMalformed) || errors.As(err, &re)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if uuid, err := ParseJSLogin(body); !isExpected(err) || err == nil && uuid == "" {
			t.Fatalf("jslogin: %q, %v", uuid, err)
		}
		if p, err := ParseLoginPoll(body); !isExpected(err) || err == nil && p.Code == LoginPollConfirmed && p.RedirectURI == "" {
			t.Fatalf("login poll: %+v, %v", p, err)
		}
		if _, _, err := ParseSyncCheck(body); !isExpected(err) {
			t.Fatalf("synccheck: %v", err)
		}
		c, err := ParseNewLoginPage(body)
		if !isExpected(err) {
			t.Fatalf("newloginpage: %v", err)
		}
		if err == nil && (c.Skey == "" || c.Sid == "" || c.PassTicket == "") {
			t.Fatalf("newloginpage: credentials with empty fields: %+v", c)
		}
	})
}
