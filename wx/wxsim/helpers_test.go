package wxsim

// Test helpers: a client built from plain net/http that speaks the protocol to a real
// Server over loopback. The transport sends every request to the test listener but keeps
// the URL and Host header, so the cookie jar sees real host names (wx2.qq.com,
// webpush.wx2.qq.com, file.wx2.qq.com, .qq.com …).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	t     testing.TB
	srv   *Server
	addr  string
	http  *http.Client
	jar   *cookiejar.Jar
	clock *clock
}

func newEnv(t testing.TB, opts Options) *env {
	t.Helper()
	c := newClock()
	if opts.Now == nil {
		opts.Now = c.now
	}
	if opts.Seed == 0 {
		opts.Seed = 42
	}
	if opts.LongPoll == 0 {
		opts.LongPoll = 50 * time.Millisecond
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(srv)
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ts.Close()
	})
	e := &env{t: t, srv: srv, addr: ts.Listener.Addr().String(), clock: c}
	e.jar, e.http = e.newClient(tr)
	return e
}

func (e *env) newClient(tr *http.Transport) (*cookiejar.Jar, *http.Client) {
	jar, _ := cookiejar.New(nil)
	return jar, &http.Client{
		Jar:           jar,
		Transport:     rewrite{addr: e.addr, base: tr},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
}

// plainClient has the rewriting transport but no cookie jar.
func (e *env) plainClient() *http.Client {
	return &http.Client{Transport: rewrite{addr: e.addr, base: &http.Transport{}}, Timeout: 10 * time.Second}
}

type rewrite struct {
	addr string
	base http.RoundTripper
}

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = "http", rw.addr, r.URL.Host
	return rw.base.RoundTrip(r2)
}

type resp struct {
	status int
	body   string
	header http.Header
}

func (e *env) do(client *http.Client, req *http.Request) resp {
	e.t.Helper()
	res, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("read %s: %v", req.URL, err)
	}
	return resp{status: res.StatusCode, body: string(b), header: res.Header}
}

func (e *env) get(u string) resp {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return e.do(e.http, req)
}

func (e *env) post(u string, body any) resp {
	e.t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	default:
		b, _ = json.Marshal(v)
	}
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	return e.do(e.http, req)
}

// control calls the control API on the plain address.
func (e *env) control(method, path, body string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(method, "http://"+e.addr+path, strings.NewReader(body))
	r := e.do(e.http, req)
	var v map[string]any
	if strings.HasPrefix(r.body, "{") {
		v = decode(e.t, r.body)
	}
	return r.status, v
}

func (e *env) inject(body string) string {
	e.t.Helper()
	status, v := e.control("POST", "/_sim/inject", body)
	if status != 200 {
		e.t.Fatalf("inject %s: %d %v", body, status, v)
	}
	return v["MsgId"].(string)
}

// contact looks a contact up in /_sim/state: its UserName and raw id.
func (e *env) contact(name string) (userName, rawID string) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", "http://"+e.addr+"/_sim/state", nil)
	var st State
	if err := json.Unmarshal([]byte(e.do(e.http, req).body), &st); err != nil {
		e.t.Fatal(err)
	}
	for _, c := range st.Accounts[0].Contacts {
		if c.Name == name {
			return c.UserName, c.RawID
		}
	}
	e.t.Fatalf("no contact %q in state", name)
	return "", ""
}

func decode(t testing.TB, body string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return v
}

// objectKeys lists the top-level keys of a JSON object in wire order.
func objectKeys(t testing.TB, raw string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %.80s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func ret(t testing.TB, body string) int {
	t.Helper()
	v := decode(t, body)
	br, ok := v["BaseResponse"].(map[string]any)
	if !ok {
		t.Fatalf("no BaseResponse in %.200s", body)
	}
	n, _ := br["Ret"].(json.Number).Int64()
	return int(n)
}

func mustMatch(t testing.TB, re, s string) []string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%q does not match %s", s, re)
	}
	return m
}

// creds is what a client keeps of one login.
type creds struct {
	uin, sid, skey string
	passTicket     string // as handed out: URL-encoded
	deviceID       string
	self           string
	syncKey        any // the last SyncKey object
	checkKey       any // the last SyncCheckKey object
	loginPage      resp
}

func (c *creds) br() map[string]any {
	return map[string]any{"Uin": json.Number(c.uin), "Sid": c.sid, "Skey": c.skey, "DeviceID": c.deviceID}
}

func api(path, query string) string {
	return "https://wx2.qq.com/cgi-bin/mmwebwx-bin/" + path + "?" + query
}

func (e *env) jslogin(redirect string) string {
	e.t.Helper()
	r := e.get("https://login.wx.qq.com/jslogin?appid=wx782c26e4c19acffb&redirect_uri=" + url.QueryEscape(redirect) + "&fun=new&lang=zh_CN&_=1717232400000")
	return mustMatch(e.t, `^window\.QRLogin\.code = 200; window\.QRLogin\.uuid = "([A-Za-z0-9_-]{10}==)";$`, r.body)[1]
}

func (e *env) poll(uuid string) string {
	e.t.Helper()
	return e.get("https://login.wx.qq.com/cgi-bin/mmwebwx-bin/login?loginicon=true&uuid=" + uuid + "&tip=0&r=-979422099&_=1717232400001").body
}

// login runs a QR login: jslogin, a 408 poll (short long polls only), the phone's confirm, 201, 200, and the
// ticket redeemed at newloginpage.
func (e *env) login() *creds {
	e.t.Helper()
	uuid := e.jslogin("https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxnewloginpage")
	if e.srv.opts.LongPoll < time.Second { // else the poll would outwait the client
		if got := e.poll(uuid); got != "window.code=408;" {
			e.t.Fatalf("first poll = %q, want window.code=408;", got)
		}
	}
	if status, v := e.control("POST", "/_sim/confirm", `{"uuid":"`+uuid+`"}`); status != 200 {
		e.t.Fatalf("confirm: %d %v", status, v)
	}
	mustMatch(e.t, `^window\.code=201;window\.userAvatar = 'data:img/jpg;base64,[A-Za-z0-9+/]+=*';$`, e.poll(uuid))
	redirect := mustMatch(e.t, `^window\.code=200;window\.redirect_uri="(https://wx2\.qq\.com/cgi-bin/mmwebwx-bin/webwxnewloginpage\?ticket=[A-Za-z0-9]{24}@qrticket_0&uuid=`+regexp.QuoteMeta(uuid)+`&lang=zh_CN&scan=\d{10})";$`, e.poll(uuid))[1]
	return e.redeem(redirect + "&fun=new&version=v2")
}

func (e *env) redeem(u string) *creds {
	e.t.Helper()
	page := e.get(u)
	m := mustMatch(e.t, `^<error><ret>0</ret><message></message><skey>(@crypt_[0-9a-f]{8}_[0-9a-f]{32})</skey><wxsid>([A-Za-z0-9]{16})</wxsid><wxuin>(\d+)</wxuin><pass_ticket>([A-Za-z0-9%]{60,})</pass_ticket><isgrayscale>1</isgrayscale></error>$`, page.body)
	return &creds{skey: m[1], sid: m[2], uin: m[3], passTicket: m[4], deviceID: "e382047716530284", loginPage: page}
}

// init calls webwxinit and keeps self and the SyncKey.
func (e *env) init(c *creds) map[string]any {
	e.t.Helper()
	r := e.post(api("webwxinit", "r=-1234&lang=zh_CN&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br()})
	v := decode(e.t, r.body)
	if ret(e.t, r.body) != 0 {
		e.t.Fatalf("webwxinit: %s", r.body)
	}
	c.self = v["User"].(map[string]any)["UserName"].(string)
	c.syncKey = v["SyncKey"]
	return v
}

type syncAnswer struct {
	raw  string
	v    map[string]any
	msgs []string // AddMsgList entries, raw
	mods []string
	dels []string
	hdr  http.Header
}

func (e *env) sync(c *creds) syncAnswer {
	e.t.Helper()
	r := e.post(api("webwxsync", "sid="+c.sid+"&skey="+url.QueryEscape(c.skey)+"&lang=zh_CN&pass_ticket="+c.passTicket),
		map[string]any{"BaseRequest": c.br(), "SyncKey": c.syncKey, "rr": -1717232})
	a := syncAnswer{raw: r.body, v: decode(e.t, r.body), hdr: r.header}
	var lists struct{ AddMsgList, ModContactList, DelContactList []json.RawMessage }
	if err := json.Unmarshal([]byte(r.body), &lists); err != nil {
		e.t.Fatal(err)
	}
	for _, m := range lists.AddMsgList {
		a.msgs = append(a.msgs, string(m))
	}
	for _, m := range lists.ModContactList {
		a.mods = append(a.mods, string(m))
	}
	for _, m := range lists.DelContactList {
		a.dels = append(a.dels, string(m))
	}
	if sk, ok := a.v["SyncKey"].(map[string]any); ok && sk["Count"] != json.Number("0") {
		c.syncKey, c.checkKey = sk, a.v["SyncCheckKey"]
	}
	return a
}

// syncAll syncs until ContinueFlag is 0 and returns every new message, decoded.
func (e *env) syncAll(c *creds) (msgs []map[string]any, mods []map[string]any) {
	e.t.Helper()
	for i := 0; ; i++ {
		a := e.sync(c)
		if ret(e.t, a.raw) != 0 {
			e.t.Fatalf("webwxsync: %.300s", a.raw)
		}
		for _, m := range a.msgs {
			msgs = append(msgs, decode(e.t, m))
		}
		for _, m := range a.mods {
			mods = append(mods, decode(e.t, m))
		}
		if a.v["ContinueFlag"] == json.Number("0") {
			return msgs, mods
		}
		if i > 1000 {
			e.t.Fatal("ContinueFlag never 0")
		}
	}
}

func keyString(k any) string {
	var parts []string
	for _, kv := range k.(map[string]any)["List"].([]any) {
		m := kv.(map[string]any)
		parts = append(parts, fmt.Sprintf("%v_%v", m["Key"], m["Val"]))
	}
	return strings.Join(parts, "|")
}

func (e *env) synccheck(host string, c *creds, key any) string {
	e.t.Helper()
	q := "r=1717232400000&skey=" + url.QueryEscape(c.skey) + "&sid=" + c.sid + "&uin=" + c.uin + "&deviceid=" + c.deviceID +
		"&synckey=" + url.QueryEscape(keyString(key)) + "&_=1717232400001"
	return e.get("https://" + host + "/cgi-bin/mmwebwx-bin/synccheck?" + q).body
}

// loggedIn logs in and runs init and the first sync (which carries the 51/code 4).
func (e *env) loggedIn() *creds {
	e.t.Helper()
	c := e.login()
	e.init(c)
	e.syncAll(c)
	return c
}

func num(v any) int64 {
	n, _ := v.(json.Number).Int64()
	return n
}
