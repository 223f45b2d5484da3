package wx

import (
	"errors"
	"strings"
	"testing"
)

func TestParseJSLogin(t *testing.T) {
	good := map[string]string{
		`window.QRLogin.code = 200; window.QRLogin.uuid = "gZ3kLm9QpA==";`:  "gZ3kLm9QpA==",
		`window.QRLogin.code=200;window.QRLogin.uuid="IZu2xb_hIQ==";`:       "IZu2xb_hIQ==",
		"window.QRLogin.code = 200;\nwindow.QRLogin.uuid = 'AbC-12_x9Q==';": "AbC-12_x9Q==",
	}
	for body, want := range good {
		uuid, err := ParseJSLogin([]byte(body))
		if err != nil || uuid != want {
			t.Errorf("ParseJSLogin(%q) = %q, %v; want %q", body, uuid, err, want)
		}
	}

	_, err := ParseJSLogin([]byte(`window.QRLogin.code = 400; window.QRLogin.uuid = "";`))
	var re *RetError
	if !errors.As(err, &re) || re.Ret != 400 || re.Op != "jslogin" {
		t.Errorf("code 400: %v", err)
	}
	for _, body := range []string{"", "<html>502 Bad Gateway</html>", `window.QRLogin.code = abc;`,
		`window.QRLogin.code = 200;`, `window.QRLogin.code = 200; window.QRLogin.uuid = "unterminated;`} {
		if _, err := ParseJSLogin([]byte(body)); !errors.Is(err, ErrMalformed) || !strings.HasPrefix(err.Error(), "jslogin:") {
			t.Errorf("ParseJSLogin(%q) error = %v", body, err)
		}
	}
}

func TestParseLoginPoll(t *testing.T) {
	redirect := "https://wx2.qq.com/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=A8f3kQ2rT0xY1bVcN7uW4sEo@qrticket_0&uuid=gZ3kLm9QpA==&lang=zh_CN&scan=1546217400"
	cases := []struct {
		body string
		want LoginPoll
	}{
		{`window.code=408;`, LoginPoll{Code: LoginPollWaiting}},
		{`window.code=201;window.userAvatar = 'data:img/jpg;base64,/9j/4AAQSkZJRg==';`, LoginPoll{Code: LoginPollScanned, Avatar: "data:img/jpg;base64,/9j/4AAQSkZJRg=="}},
		{`window.code=201;`, LoginPoll{Code: LoginPollScanned}},
		{`window.code=200;window.redirect_uri="` + redirect + `";`, LoginPoll{Code: LoginPollConfirmed, RedirectURI: redirect}},
		{"window.code=200;\nwindow.redirect_uri=\"" + redirect + "\";", LoginPoll{Code: LoginPollConfirmed, RedirectURI: redirect}},
		{`window.code=400;`, LoginPoll{Code: LoginPollExpired}},
		{`window.code = 500;`, LoginPoll{Code: 500}},
	}
	for _, c := range cases {
		got, err := ParseLoginPoll([]byte(c.body))
		if err != nil || got != c.want {
			t.Errorf("ParseLoginPoll(%q) = %+v, %v; want %+v", c.body, got, err, c.want)
		}
	}
	for _, body := range []string{"", "window.code=;", "window.code=abc;", `window.code=200;`, `window.code=200;window.redirect_uri="";`} {
		if _, err := ParseLoginPoll([]byte(body)); !errors.Is(err, ErrMalformed) || !strings.HasPrefix(err.Error(), "login poll:") {
			t.Errorf("ParseLoginPoll(%q) error = %v", body, err)
		}
	}
}

func TestParseSyncCheck(t *testing.T) {
	cases := []struct {
		body              string
		retcode, selector int
	}{
		{`window.synccheck={retcode:"0",selector:"2"}`, 0, 2},
		{`window.synccheck={retcode:"0",selector:"0"}`, 0, 0},
		{`window.synccheck={retcode:"0",selector:"7"};`, 0, 7},
		{`window.synccheck={retcode:"1101",selector:"0"}`, 1101, 0},
		{`window.synccheck={retcode:'1100', selector:'0'}`, 1100, 0},
		{"window.synccheck = { retcode : \"0\" , selector : \"6\" }\n", 0, 6},
	}
	for _, c := range cases {
		rc, sel, err := ParseSyncCheck([]byte(c.body))
		if err != nil || rc != c.retcode || sel != c.selector {
			t.Errorf("ParseSyncCheck(%q) = %d, %d, %v; want %d, %d", c.body, rc, sel, err, c.retcode, c.selector)
		}
	}
	for _, body := range []string{"", "<html></html>", `window.synccheck={retcode:"0"}`, `window.synccheck={retcode:"x",selector:"2"}`} {
		if _, _, err := ParseSyncCheck([]byte(body)); !errors.Is(err, ErrMalformed) || !strings.HasPrefix(err.Error(), "synccheck:") {
			t.Errorf("ParseSyncCheck(%q) error = %v", body, err)
		}
	}
}

func TestSyncCheckErr(t *testing.T) {
	if SyncCheckErr(0) != nil {
		t.Error("retcode 0 is not an error")
	}
	for code, sentinel := range map[int]error{1100: ErrLoggedOut, 1101: ErrSessionInvalid, 1102: ErrCookieInvalid, 1205: ErrTooOften} {
		if err := SyncCheckErr(code); !errors.Is(err, sentinel) || !strings.HasPrefix(err.Error(), "synccheck:") {
			t.Errorf("SyncCheckErr(%d) = %v", code, err)
		}
	}
}

func TestParseNewLoginPage(t *testing.T) {
	ok := `<error><ret>0</ret><message></message><skey>@crypt_5e1a9c3b_0f4d6e2a8b1c7d9e3f5a2b4c6d8e0f1a</skey><wxsid>Qk7yZ1xW3vB9nM2p</wxsid><wxuin>2130456789</wxuin><pass_ticket>h3Kq9Lx2%2FbN8vT1mR6wY0cZ4sE7uA5dG%2BfJ3pQ8iO2nV6kB1tX9yW4zC7aM0eL5</pass_ticket><isgrayscale>1</isgrayscale></error>`
	got, err := ParseNewLoginPage([]byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	want := LoginCredentials{Skey: "@crypt_5e1a9c3b_0f4d6e2a8b1c7d9e3f5a2b4c6d8e0f1a", Sid: "Qk7yZ1xW3vB9nM2p", Uin: 2130456789,
		PassTicket: "h3Kq9Lx2%2FbN8vT1mR6wY0cZ4sE7uA5dG%2BfJ3pQ8iO2nV6kB1tX9yW4zC7aM0eL5", IsGrayscale: 1}
	if *got != want {
		t.Errorf("got %+v\nwant %+v", *got, want)
	}
	if got, err := ParseNewLoginPage([]byte(strings.Replace(ok, "<message></message>", "<message>OK</message>", 1) + "\n")); err != nil || got.Message != "OK" {
		t.Errorf("message OK: %+v, %v", got, err)
	}

	const refusal = "为了你的帐号安全，此微信号不能登录网页微信。你可以使用Windows微信或Mac微信在电脑端登录。"
	_, err = ParseNewLoginPage([]byte(`<error><ret>1203</ret><message>` + refusal + `</message></error>`))
	if !errors.Is(err, ErrWebLoginForbidden) {
		t.Fatalf("1203: %v does not wrap ErrWebLoginForbidden", err)
	}
	var re *RetError
	if !errors.As(err, &re) || re.ErrMsg != refusal || re.Op != "webwxnewloginpage" || !strings.Contains(err.Error(), refusal) {
		t.Errorf("1203 error does not carry the server's message: %v", err)
	}
	if _, err := ParseNewLoginPage([]byte(`<error><ret>1</ret><message>登录失败。</message></error>`)); errors.Is(err, ErrWebLoginForbidden) || err == nil {
		t.Errorf("ret 1: %v", err)
	}

	bad := map[string]string{
		"empty":          "",
		"html":           "<html><body>301 Moved</body></html>",
		"text":           "Moved Permanently",
		"no skey":        strings.Replace(ok, "<skey>@crypt_5e1a9c3b_0f4d6e2a8b1c7d9e3f5a2b4c6d8e0f1a</skey>", "", 1),
		"no pass_ticket": strings.Replace(ok, "<pass_ticket>h3Kq9Lx2%2FbN8vT1mR6wY0cZ4sE7uA5dG%2BfJ3pQ8iO2nV6kB1tX9yW4zC7aM0eL5</pass_ticket>", "", 1),
		"bad wxuin":      strings.Replace(ok, "2130456789", "21304x", 1),
		"bad ret":        "<error><ret>ok</ret></error>",
	}
	for name, body := range bad {
		_, err := ParseNewLoginPage([]byte(body))
		if !errors.Is(err, ErrMalformed) || !strings.HasPrefix(err.Error(), "webwxnewloginpage:") {
			t.Errorf("%s: error = %v", name, err)
		}
	}
	_, err = ParseNewLoginPage([]byte(bad["no skey"]))
	if err == nil || !strings.Contains(err.Error(), "skey") {
		t.Errorf("error does not name the missing field: %v", err)
	}
}
