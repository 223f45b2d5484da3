package wx

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Login-side bodies (PROTOCOL.md §3.1, §3.3, §3.4, §5.2). They are JavaScript assignments or a
// one-line XML document; the spacing differs between them (jslogin has spaces around '=', the
// login poll has none) and real clients search rather than anchor, so these parsers search for
// each assignment and accept either spacing and either quote.

// ParseJSLogin reads the uuid from the jslogin body
// `window.QRLogin.code = 200; window.QRLogin.uuid = "gZ3kLm9QpA==";`. A code other than 200 is
// a *RetError for "jslogin".
func ParseJSLogin(body []byte) (uuid string, err error) {
	const op = "jslogin"
	s := string(body)
	codeText, ok := jsAssignment(s, "QRLogin.code")
	if !ok {
		return "", fmt.Errorf("%s: %w: no window.QRLogin.code in %q", op, ErrMalformed, clip(s))
	}
	code, err := strconv.Atoi(codeText)
	if err != nil {
		return "", fmt.Errorf("%s: %w: code %q is not a number", op, ErrMalformed, codeText)
	}
	if code != 200 {
		return "", &RetError{Op: op, Ret: code}
	}
	uuid, ok = jsAssignment(s, "QRLogin.uuid")
	if !ok || uuid == "" {
		return "", fmt.Errorf("%s: %w: no window.QRLogin.uuid in %q", op, ErrMalformed, clip(s))
	}
	return uuid, nil
}

// Login poll codes (§3.3).
const (
	LoginPollWaiting   = 408 // nothing yet: poll again
	LoginPollScanned   = 201 // scanned, not yet confirmed: keep polling
	LoginPollConfirmed = 200 // confirmed: follow RedirectURI
	LoginPollExpired   = 400 // the uuid expired: start over with jslogin
)

// LoginPoll is the answer to one login poll.
type LoginPoll struct {
	Code        int    // LoginPollWaiting, LoginPollScanned, LoginPollConfirmed, LoginPollExpired, or other
	RedirectURI string // Code 200: the webwxnewloginpage URL; its host is this login's API host
	Avatar      string // Code 201: the scanner's avatar as a data: URL, when sent
}

// ParseLoginPoll reads `window.code=408;`, `window.code=201;window.userAvatar = '…';`,
// `window.code=200;window.redirect_uri="…";` or `window.code=400;`. Unknown codes are returned,
// not refused: the caller decides. Code 200 without a redirect_uri is malformed.
func ParseLoginPoll(body []byte) (LoginPoll, error) {
	const op = "login poll"
	s := string(body)
	codeText, ok := jsAssignment(s, "window.code")
	if !ok {
		return LoginPoll{}, fmt.Errorf("%s: %w: no window.code in %q", op, ErrMalformed, clip(s))
	}
	code, err := strconv.Atoi(codeText)
	if err != nil {
		return LoginPoll{}, fmt.Errorf("%s: %w: code %q is not a number", op, ErrMalformed, codeText)
	}
	p := LoginPoll{Code: code}
	switch code {
	case LoginPollConfirmed:
		p.RedirectURI, ok = jsAssignment(s, "window.redirect_uri")
		if !ok || p.RedirectURI == "" {
			return LoginPoll{}, fmt.Errorf("%s: %w: code 200 without window.redirect_uri", op, ErrMalformed)
		}
	case LoginPollScanned:
		p.Avatar, _ = jsAssignment(s, "window.userAvatar")
	}
	return p, nil
}

// ParseSyncCheck reads the synccheck body `window.synccheck={retcode:"0",selector:"2"}`.
// Keys are unquoted, values quoted (either quote), and there is no trailing ';' — accepted with
// or without. retcode 0 is OK; 1100, 1101, 1102 mean the session ended and 1205 too often (see
// SyncCheckErr). selector 0 is nothing new; any other value means: call webwxsync.
func ParseSyncCheck(body []byte) (retcode, selector int, err error) {
	const op = "synccheck"
	s := string(body)
	if !strings.Contains(s, "synccheck") {
		return 0, 0, fmt.Errorf("%s: %w: no window.synccheck in %q", op, ErrMalformed, clip(s))
	}
	for _, f := range []struct {
		key string
		dst *int
	}{{"retcode", &retcode}, {"selector", &selector}} {
		v, ok := jsField(s, f.key)
		if !ok {
			return 0, 0, fmt.Errorf("%s: %w: no %s in %q", op, ErrMalformed, f.key, clip(s))
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w: %s %q is not a number", op, ErrMalformed, f.key, v)
		}
		*f.dst = n
	}
	return retcode, selector, nil
}

// SyncCheckErr is nil for retcode 0, else a *RetError for "synccheck" that errors.Is maps to
// ErrLoggedOut (1100), ErrSessionInvalid (1101), ErrCookieInvalid (1102) or ErrTooOften (1205).
func SyncCheckErr(retcode int) error {
	if retcode == 0 {
		return nil
	}
	return &RetError{Op: "synccheck", Ret: retcode}
}

// LoginCredentials is what webwxnewloginpage grants (§3.4).
type LoginCredentials struct {
	Skey        string // <skey>: @crypt_…
	Sid         string // <wxsid>
	Uin         int64  // <wxuin>: the account's permanent number
	PassTicket  string // as received: already URL-encoded
	IsGrayscale int
	Message     string // "" or "OK" on success
}

type newLoginPageDoc struct {
	Ret         string `xml:"ret"`
	Message     string `xml:"message"`
	SKey        string `xml:"skey"`
	WxSid       string `xml:"wxsid"`
	WxUin       string `xml:"wxuin"`
	PassTicket  string `xml:"pass_ticket"`
	IsGrayscale string `xml:"isgrayscale"`
}

// ParseNewLoginPage reads the <error><ret>… document of webwxnewloginpage (the root is
// "error" even on success). A non-zero ret is a *RetError for "webwxnewloginpage" carrying the
// server's message; errors.Is(err, ErrWebLoginForbidden) for ret 1203, the account barred
// from web WeChat. Decide on ret only: the message has many variants.
func ParseNewLoginPage(body []byte) (*LoginCredentials, error) {
	const op = "webwxnewloginpage"
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '<' {
		return nil, fmt.Errorf("%s: %w: not XML: %q", op, ErrMalformed, clip(string(b)))
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	var doc newLoginPageDoc
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w: %w", op, ErrMalformed, err)
	}
	ret, err := strconv.Atoi(strings.TrimSpace(doc.Ret))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: ret %q is not a number", op, ErrMalformed, doc.Ret)
	}
	msg := strings.TrimSpace(doc.Message)
	if ret != 0 {
		return nil, &RetError{Op: op, Ret: ret, ErrMsg: msg}
	}
	c := &LoginCredentials{
		Skey: strings.TrimSpace(doc.SKey), Sid: strings.TrimSpace(doc.WxSid),
		PassTicket: strings.TrimSpace(doc.PassTicket), IsGrayscale: atoiLenient(doc.IsGrayscale),
		Message: msg,
	}
	for _, f := range []struct{ name, value string }{
		{"skey", c.Skey}, {"wxsid", c.Sid}, {"wxuin", doc.WxUin}, {"pass_ticket", c.PassTicket},
	} {
		if f.value == "" {
			return nil, fmt.Errorf("%s: %w: ret 0 without %s", op, ErrMalformed, f.name)
		}
	}
	if c.Uin, err = strconv.ParseInt(strings.TrimSpace(doc.WxUin), 10, 64); err != nil {
		return nil, fmt.Errorf("%s: %w: wxuin %q is not a number", op, ErrMalformed, doc.WxUin)
	}
	return c, nil
}

// jsAssignment finds `<name> = <value>` in a JavaScript body and returns the value: a quoted
// string (either quote) or a bare token up to ';', ',' '}' or space.
func jsAssignment(s, name string) (string, bool) {
	for from := 0; ; {
		i := strings.Index(s[from:], name)
		if i < 0 {
			return "", false
		}
		rest := strings.TrimLeft(s[from+i+len(name):], " \t\r\n")
		from += i + len(name)
		if v, ok := strings.CutPrefix(rest, "="); ok {
			return jsValue(strings.TrimLeft(v, " \t\r\n"))
		}
	}
}

// jsField finds `<key>:<value>` in an object literal such as {retcode:"0",selector:"2"}.
func jsField(s, key string) (string, bool) {
	for from := 0; ; {
		i := strings.Index(s[from:], key)
		if i < 0 {
			return "", false
		}
		rest := strings.TrimLeft(s[from+i+len(key):], " \t\r\n")
		from += i + len(key)
		if v, ok := strings.CutPrefix(rest, ":"); ok {
			return jsValue(strings.TrimLeft(v, " \t\r\n"))
		}
	}
}

func jsValue(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	if q := s[0]; q == '"' || q == '\'' {
		end := strings.IndexByte(s[1:], q)
		if end < 0 {
			return "", false
		}
		return s[1 : 1+end], true
	}
	end := strings.IndexAny(s, ";,} \t\r\n")
	if end < 0 {
		end = len(s)
	}
	if end == 0 {
		return "", false
	}
	return s[:end], true
}

// clip shortens a body for an error message.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
