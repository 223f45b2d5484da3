package wxsim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image/jpeg"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// confirmed runs jslogin, confirm, 201 and 200 and returns the redirect_uri.
func (e *env) confirmed(redirect string) string {
	e.t.Helper()
	uuid := e.jslogin(redirect)
	if status, v := e.control("POST", "/_sim/confirm", ""); status != 200 {
		e.t.Fatalf("confirm: %d %v", status, v)
	}
	e.poll(uuid) // 201
	return mustMatch(e.t, `window\.redirect_uri="([^"]+)"`, e.poll(uuid))[1]
}

const refusal = "<error><ret>1203</ret><message>为了你的帐号安全，此微信号不能登录网页微信。你可以使用Windows微信或Mac微信在电脑端登录。</message></error>"

// TestForbiddenAndDesktop: a web-forbidden account gets 1203 unless the newloginpage
// request is in desktop mode.
func TestForbiddenAndDesktop(t *testing.T) {
	sc, _ := DemoScenario()
	sc.WebForbidden = true
	spam := "Go8FCIkFEokFCggwMDAwMDAwMRAGGvAESySibk50w5Wb3uTl2c2h64jVVrV7gNs06GFlWplHQbY"
	sum := sha256.Sum256([]byte(spam))
	e := newEnv(t, Options{Scenario: sc, ExtspamSHA256: hex.EncodeToString(sum[:])})
	newLoginPage := func(u string, headers map[string]string) string {
		req, _ := http.NewRequest("GET", u+"&fun=new&version=v2", nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		return e.do(e.http, req).body
	}
	if got := newLoginPage(e.confirmed("https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxnewloginpage"), nil); got != refusal {
		t.Errorf("web-forbidden account: %s", got)
	}
	desktop := "https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxnewloginpage?mod=desktop"
	if got := newLoginPage(e.confirmed(desktop), map[string]string{"client-version": "2.0.0"}); got != refusal {
		t.Errorf("desktop mode without extspam: %s", got)
	}
	if got := newLoginPage(e.confirmed(desktop), map[string]string{"client-version": "2.0.0", "extspam": "other"}); got != refusal {
		t.Errorf("desktop mode with the wrong extspam: %s", got)
	}
	if got := newLoginPage(e.confirmed(desktop), map[string]string{"client-version": "2.0.0", "extspam": spam}); !strings.HasPrefix(got, "<error><ret>0</ret>") {
		t.Errorf("desktop mode: %s", got)
	}
}

// TestLoginVariants: newloginpage with or without fun/version, the 301 mode, QR expiry.
func TestLoginVariants(t *testing.T) {
	e := newEnv(t, Options{LoginPage301: true, QRExpiry: time.Minute})
	redirect := e.confirmed("")
	r := e.get(redirect)
	if r.status != 301 || r.header.Get("Location") != "" || !strings.HasPrefix(r.body, "<error><ret>0</ret>") {
		t.Errorf("301 mode: %d %q %q", r.status, r.header.Get("Location"), r.body)
	}
	if again := e.get(redirect + "&fun=new"); again.body != r.body {
		t.Errorf("redeeming the ticket again gave other credentials:\n%s\n%s", again.body, r.body)
	}
	if !strings.Contains(e.get(strings.Replace(redirect, "ticket=", "ticket=x", 1)).body, "<ret>1</ret>") {
		t.Error("a wrong ticket was accepted")
	}
	uuid := e.jslogin("")
	e.clock.advance(61 * time.Second)
	if got := e.poll(uuid); got != "window.code=400;" {
		t.Errorf("poll of an expired uuid = %q", got)
	}
	if status, _ := e.control("POST", "/_sim/confirm", `{"uuid":"`+uuid+`"}`); status != 409 {
		t.Errorf("confirming an expired uuid: %d", status)
	}
}

// TestPushLogin: a uin that logged in before gets a uuid the phone confirms without a
// QR (200 without 201); the new login gets new UserNames and ends the old one (1101).
func TestPushLogin(t *testing.T) {
	e := newEnv(t, Options{})
	pushURL := api("webwxpushloginurl", "uin=2100000001")
	if got := e.get(pushURL).body; got != `{"ret":"1","msg":"","uuid":""}` {
		t.Errorf("push login before any login: %s", got)
	}
	c1 := e.loggedIn()
	self1 := c1.self
	if got := e.get(api("webwxpushloginurl", "uin=999")).body; !strings.HasPrefix(got, `{"ret":"1"`) {
		t.Errorf("push login of another uin: %s", got)
	}
	body := e.get(pushURL).body
	uuid := mustMatch(t, `^\{"ret":"0","msg":"all ok","uuid":"([A-Za-z0-9_-]{10}==)"\}$`, body)[1]
	if got := e.poll(uuid); got != "window.code=408;" {
		t.Fatalf("push login poll before the phone confirms = %q", got)
	}
	if status, _ := e.control("POST", "/_sim/confirm", ""); status != 200 {
		t.Fatal("confirm failed")
	}
	got := e.poll(uuid) // a push login skips 201
	c2 := e.redeem(mustMatch(t, `window\.redirect_uri="([^"]+)"`, got)[1])
	e.init(c2)
	if c2.self == self1 || c2.sid == c1.sid {
		t.Errorf("push login kept the old session: %s %s", c2.self, c2.sid)
	}
	if got := e.synccheck("webpush.wx2.qq.com", c1, c1.checkKey); got != `window.synccheck={retcode:"1101",selector:"0"}` {
		t.Errorf("the old session after a new login: %s", got)
	}
}

// TestKick: /_sim/logout ends the session with the given retcode, everywhere.
func TestKick(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.loggedIn()
	if status, _ := e.control("POST", "/_sim/logout", `{"retcode":1100}`); status != 200 {
		t.Fatalf("logout: %d", status)
	}
	if got := e.synccheck("webpush.wx2.qq.com", c, c.checkKey); got != `window.synccheck={retcode:"1100",selector:"0"}` {
		t.Errorf("synccheck after a phone logout: %s", got)
	}
	if r := e.sendText(c, "filehelper", "x"); ret(t, r.body) != 1100 {
		t.Errorf("send after a phone logout: %s", r.body)
	}
	if status, _ := e.control("POST", "/_sim/logout", `{"retcode":1101}`); status != 409 {
		t.Errorf("second logout: %d", status)
	}
	if st := e.srv.State(); st.Accounts[0].LoggedIn || st.Accounts[0].Ended != 1100 {
		t.Errorf("state after logout: %+v", st.Accounts[0])
	}
}

// TestMedia: deterministic downloads with Content-Length, 206 for video ranges.
func TestMedia(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.loggedIn()
	img := e.inject(`{"kind":"image","chat":"阿杰🏃"}`)
	voice := e.inject(`{"kind":"voice","chat":"阿杰🏃","seconds":2}`)
	video := e.inject(`{"kind":"video","chat":"阿杰🏃","seconds":2}`)
	e.inject(`{"kind":"file","chat":"阿杰🏃","name":"a.txt","size":3000}`)
	msgs, _ := e.syncAll(c)
	file := msgs[len(msgs)-1]
	sk := "&skey=" + url.QueryEscape(c.skey)

	big := e.get(api("webwxgetmsgimg", "MsgID="+img+sk))
	if _, err := jpeg.Decode(strings.NewReader(big.body)); err != nil || big.header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("getmsgimg: %v %s", err, big.header.Get("Content-Type"))
	}
	if again := e.get(api("webwxgetmsgimg", "MsgID="+img+sk)); again.body != big.body {
		t.Error("the same MsgID downloaded different bytes")
	}
	if slave := e.get(api("webwxgetmsgimg", "MsgID="+img+sk+"&type=slave")); len(slave.body) >= len(big.body) {
		t.Errorf("thumbnail %d bytes, image %d", len(slave.body), len(big.body))
	}
	v := e.get(api("webwxgetvoice", "msgid="+voice+sk))
	if v.header.Get("Content-Type") != "audio/mpeg" || !bytes.HasPrefix([]byte(v.body), []byte{0xFF, 0xFB}) || v.header.Get("Content-Length") == "0" {
		t.Errorf("getvoice: %s %x", v.header.Get("Content-Type"), v.body[:4])
	}
	req, _ := http.NewRequest("GET", api("webwxgetvideo", "msgid="+video+sk), nil)
	req.Header.Set("Range", "bytes=0-")
	vid := e.do(e.http, req)
	if vid.status != 206 || vid.header.Get("Content-Type") != "video/mp4" || !strings.Contains(vid.body[:12], "ftyp") || vid.header.Get("Content-Range") == "" {
		t.Errorf("getvideo: %d %s %q", vid.status, vid.header.Get("Content-Type"), vid.body[:12])
	}
	f := e.get("https://file.wx2.qq.com/cgi-bin/mmwebwx-bin/webwxgetmedia?sender=" + file["FromUserName"].(string) + "&mediaid=" +
		url.QueryEscape(file["MediaId"].(string)) + "&fromuser=" + c.uin + "&pass_ticket=" + c.passTicket + "&webwx_data_ticket=" + url.QueryEscape(dataTicket(e)))
	if f.header.Get("Content-Length") != "3000" || len(f.body) != 3000 {
		t.Errorf("getmedia: %d %q", f.status, f.header.Get("Content-Length"))
	}
	if icon := e.get(api("webwxgeticon", "seq=0&username="+c.self+sk)); icon.header.Get("Content-Type") != "image/jpeg" || icon.header.Get("Content-Length") == "0" {
		t.Errorf("geticon: %v", icon.header)
	}
	plain := e.plainClient()
	req, _ = http.NewRequest("GET", api("webwxgetmsgimg", "MsgID="+img), nil)
	if r := e.do(plain, req); r.status != 401 {
		t.Errorf("download without credentials: %d", r.status)
	}
}

func dataTicket(e *env) string {
	for _, ck := range e.jar.Cookies(&url.URL{Scheme: "https", Host: "file.wx2.qq.com", Path: "/"}) {
		if ck.Name == "webwx_data_ticket" {
			return ck.Value
		}
	}
	return ""
}

// TestDemoScenario: the built-in timeline injects cleanly and covers every kind.
func TestDemoScenario(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.loggedIn()
	kinds := map[string]bool{}
	for i, entry := range e.srv.opts.Scenario.Timeline {
		if _, err := e.srv.Inject(entry.Injection); err != nil {
			t.Errorf("timeline[%d]: %v", i, err)
		}
		kinds[entry.Kind] = true
	}
	for _, k := range append(messageKinds, "recall", "join", "leave", "rename", "friend_request", "owner_active") {
		if !kinds[k] {
			t.Errorf("the demo timeline lacks %s", k)
		}
	}
	// Every entry gives one message except the leave, which is silent.
	if msgs, _ := e.syncAll(c); len(msgs) != len(e.srv.opts.Scenario.Timeline)-1 {
		t.Errorf("%d messages from %d timeline entries", len(msgs), len(e.srv.opts.Scenario.Timeline))
	}
	big := 0
	for _, g := range e.srv.opts.Scenario.Groups {
		big = max(big, len(g.Members)+1)
	}
	if big <= 40 {
		t.Errorf("no demo group above InviteStartCount: largest has %d", big)
	}
}

// TestRunTimeline: entries fire relative to the login, in order.
func TestRunTimeline(t *testing.T) {
	sc, _ := DemoScenario()
	sc.Timeline = []TimelineEntry{
		{At: 20 * time.Millisecond, Injection: Injection{Kind: "text", Chat: "阿杰🏃", Text: "second"}},
		{At: 0, Injection: Injection{Kind: "text", Chat: "阿杰🏃", Text: "first"}},
		{At: 10 * time.Millisecond, Injection: Injection{Kind: "text", Chat: "nobody", Text: "skipped"}},
	}
	e := newEnv(t, Options{Scenario: sc})
	done := make(chan error, 1)
	go func() { done <- e.srv.RunTimeline(context.Background()) }()
	c := e.login()
	e.init(c)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	msgs, _ := e.syncAll(c)
	if len(msgs) != 3 || num(msgs[0]["MsgType"]) != 51 || msgs[1]["Content"] != "first" || msgs[2]["Content"] != "second" {
		t.Errorf("messages after login: %v", msgs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.srv.RunTimeline(ctx); err == nil {
		t.Error("a cancelled timeline reported success")
	}
}

// TestAutoConfirm: the phone confirms by itself; the poll answers as soon as it does.
func TestAutoConfirm(t *testing.T) {
	e := newEnv(t, Options{AutoConfirm: 20 * time.Millisecond, LongPoll: 5 * time.Second})
	uuid := e.jslogin("")
	t0 := time.Now()
	if got := e.poll(uuid); !strings.HasPrefix(got, "window.code=201;") || time.Since(t0) > 2*time.Second {
		t.Errorf("poll = %.30q after %v", got, time.Since(t0))
	}
	if got := e.poll(uuid); !strings.HasPrefix(got, "window.code=200;") {
		t.Errorf("second poll = %.30q", got)
	}
}

// TestRunLoad: generated traffic arrives at about the rate asked, in generated groups.
func TestRunLoad(t *testing.T) {
	e := newEnv(t, Options{SyncPageSize: 500})
	c := e.loggedIn()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	spec := LoadSpec{Groups: 3, Members: 10, Rate: 1000, Mix: map[string]float64{"text": 0.6, "image": 0.1, "recall": 0.1, "join": 0.1, "leave": 0.1}}
	t0 := time.Now()
	if err := e.srv.RunLoad(ctx, spec); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(t0)
	msgs, mods := e.syncAll(c)
	// Never more than the rate allows; on a loaded machine possibly fewer, but some.
	if len(msgs) < 50 || len(msgs) > int(1000*elapsed.Seconds())+10 {
		t.Errorf("%d messages in %v at 1000/s", len(msgs), elapsed)
	}
	groups := map[string]bool{}
	for _, m := range mods {
		groups[m["UserName"].(string)] = true
	}
	if len(groups) != 3 {
		t.Errorf("ModContactList names %d groups, want the 3 generated", len(groups))
	}
	if err := e.srv.RunLoad(ctx, LoadSpec{Groups: 1, Members: 5, Rate: 1, Mix: map[string]float64{"dance": 1}}); err == nil {
		t.Error("an unknown mix kind was accepted")
	}
}

// TestDeterministic: the same seed and the same requests give the same UserNames and ids.
func TestDeterministic(t *testing.T) {
	run := func() (string, string) {
		e := newEnv(t, Options{Seed: 7})
		c := e.loggedIn()
		id := e.inject(`{"kind":"text","chat":"阿杰🏃","text":"x"}`)
		return c.self + c.sid + c.skey, id
	}
	a1, b1 := run()
	a2, b2 := run()
	if a1 != a2 || b1 != b2 {
		t.Errorf("seed 7 gave %s/%s then %s/%s", a1, b1, a2, b2)
	}
}

// TestMembersControl: /_sim/members changes display names and nicknames (ModContactList
// only) and joins like the inject kind.
func TestMembersControl(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.loggedIn()
	hiking, _ := e.contact("周末徒步群")
	member := func(mod map[string]any, nick string) map[string]any {
		for _, m := range mod["MemberList"].([]any) {
			if m.(map[string]any)["NickName"] == nick {
				return m.(map[string]any)
			}
		}
		return nil
	}
	if status, v := e.control("POST", "/_sim/members", `{"chat":"周末徒步群","op":"display","members":["小明"],"name":"明明 & 🏃"}`); status != 200 {
		t.Fatalf("display: %d %v", status, v)
	}
	msgs, mods := e.syncAll(c)
	if len(msgs) != 0 || len(mods) != 1 || mods[0]["UserName"] != hiking || member(mods[0], "小明")["DisplayName"] != `明明 &amp; <span class="emoji emoji1f3c3"></span>` {
		t.Errorf("display change: %v %v", msgs, mods)
	}
	e.control("POST", "/_sim/members", `{"chat":"周末徒步群","op":"nickname","members":["杰哥"],"name":"阿杰2"}`)
	if _, mods = e.syncAll(c); len(mods) != 2 || mods[0]["NickName"] != "阿杰2" || member(mods[1], "阿杰2") == nil {
		t.Errorf("nickname change: %v", mods)
	}
	_, v := e.control("POST", "/_sim/members", `{"chat":"周末徒步群","op":"join","members":["新人"],"from":"小明"}`)
	if msgs, _ = e.syncAll(c); len(msgs) != 1 || msgs[0]["MsgId"] != v["MsgId"] || msgs[0]["Content"] != `"明明 &amp; <span class="emoji emoji1f3c3"></span>"邀请"新人"加入了群聊` {
		t.Errorf("join via members: %v %v", v, msgs)
	}
	if status, _ := e.control("POST", "/_sim/members", `{"chat":"周末徒步群","op":"fly"}`); status != 400 {
		t.Errorf("unknown op: %d", status)
	}
}

// TestParseScenario: JSON is valid too, durations parse, typos are errors.
func TestParseScenario(t *testing.T) {
	sc, err := ParseScenario([]byte(`{"self":{"nickname":"bot"},"groups":[{"name":"g","members":[{"nickname":"a"}]}],"timeline":[{"at":"1.5s","kind":"text","chat":"g","from":"a","text":"hi"},{"at":"2s","raw":{"MsgType":1,"NewMsgId":7032145698741236985}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Timeline[0].At != 1500*time.Millisecond || sc.Timeline[0].Text != "hi" || !strings.Contains(string(sc.Timeline[1].Raw), "7032145698741236985") {
		t.Errorf("parsed %+v", sc.Timeline)
	}
	if _, err := ParseScenario([]byte("self: {nickname: bot}\nfreinds: []\n")); err == nil {
		t.Error("a misspelt key was accepted")
	}
	if _, err := New(Options{Scenario: &Scenario{Self: Person{Nickname: "bot"}, Groups: []Group{{Name: "g", Owner: "x"}}}}); err == nil {
		t.Error("an owner who is not a member was accepted")
	}
}

// TestWeChatComFamily: the redirect names the configured host, and its cookies cover it
// and .wechat.com.
func TestWeChatComFamily(t *testing.T) {
	e := newEnv(t, Options{Host: "web.wechat.com"})
	redirect := e.confirmed("")
	if !strings.HasPrefix(redirect, "https://web.wechat.com/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=") {
		t.Fatalf("redirect = %s", redirect)
	}
	set := strings.Join(e.get(redirect).header.Values("Set-Cookie"), "\n")
	mustMatch(t, `(?m)^webwx_data_ticket=[^;]+; Domain=\.wechat\.com; Path=/`, set)
	mustMatch(t, `(?m)^wxsid=[^;]+; Domain=web\.wechat\.com; Path=/`, set)
	if _, err := New(Options{Host: "wx9.qq.com"}); err == nil {
		t.Error("an unknown host family was accepted")
	}
}
