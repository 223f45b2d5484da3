package wxsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSyncCursor: ContinueFlag pages a 500-message backlog, and an old SyncKey replays
// everything after it.
func TestSyncCursor(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.loggedIn()
	start := c.syncKey
	for i := range 500 {
		if _, err := e.srv.Inject(Injection{Kind: "text", Chat: "周末徒步群", From: "小明", Text: fmt.Sprintf("m%03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// A non-zero selector repeats until webwxsync advances the key.
	for range 2 {
		if got := e.synccheck("webpush.wx2.qq.com", c, start); got != `window.synccheck={retcode:"0",selector:"2"}` {
			t.Fatalf("synccheck with a backlog = %s", got)
		}
	}
	var ids []string
	var afterPage3 any
	for page := 1; ; page++ {
		a := e.sync(c)
		if len(a.msgs) != 50 {
			t.Fatalf("page %d has %d messages, want 50", page, len(a.msgs))
		}
		for _, m := range a.msgs {
			v := decode(t, m)
			if want := fmt.Sprintf("m%03d", len(ids)); !strings.HasSuffix(v["Content"].(string), want) {
				t.Fatalf("message %d = %v, want %s", len(ids), v["Content"], want)
			}
			ids = append(ids, v["MsgId"].(string))
		}
		flag := a.v["ContinueFlag"].(json.Number).String()
		if page < 10 && flag != "1" || page == 10 && flag != "0" {
			t.Fatalf("page %d: ContinueFlag %s", page, flag)
		}
		if page == 3 {
			afterPage3 = c.syncKey
		}
		if flag == "0" {
			break
		}
	}
	if got := e.synccheck("webpush.wx2.qq.com", c, c.checkKey); got != `window.synccheck={retcode:"0",selector:"0"}` {
		t.Errorf("synccheck after catching up = %s", got)
	}
	replay := func(key any) []string {
		c.syncKey = key
		msgs, _ := e.syncAll(c)
		var got []string
		for _, m := range msgs {
			got = append(got, m["MsgId"].(string))
		}
		return got
	}
	if got := replay(start); !slices.Equal(got, ids) {
		t.Errorf("replay from the first key gave %d messages, want the same 500", len(got))
	}
	if got := replay(afterPage3); !slices.Equal(got, ids[150:]) {
		t.Errorf("replay from page 3's key gave %d messages, want the last 350", len(got))
	}
}

// TestSyncCheckWakes: a synccheck held without news answers as soon as news arrives.
func TestSyncCheckWakes(t *testing.T) {
	e := newEnv(t, Options{LongPoll: 10 * time.Second})
	c := e.loggedIn()
	go func() {
		time.Sleep(50 * time.Millisecond) // let the poll start waiting; it answers either way
		e.srv.Inject(Injection{Kind: "owner_active", Chat: "周末徒步群"})
	}()
	t0 := time.Now()
	if got := e.synccheck("webpush.wx2.qq.com", c, c.checkKey); got != `window.synccheck={retcode:"0",selector:"7"}` || time.Since(t0) > 5*time.Second {
		t.Errorf("synccheck = %s after %v", got, time.Since(t0))
	}
}

// TestFaults injects each fault through /_sim/faults and observes it as a client would.
func TestFaults(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.loggedIn()
	setFaults := func(body string) {
		t.Helper()
		if status, v := e.control("POST", "/_sim/faults", body); status != 200 {
			t.Fatalf("faults %s: %d %v", body, status, v)
		}
	}
	initURL := api("webwxinit", "pass_ticket="+c.passTicket)
	initBody := map[string]any{"BaseRequest": c.br()}

	t.Run("5xx", func(t *testing.T) {
		setFaults(`{"error_rate":1}`)
		if _, v := e.control("GET", "/_sim/faults", ""); v["error_rate"] != json.Number("1") {
			t.Errorf("GET /_sim/faults = %v", v)
		}
		if r := e.post(initURL, initBody); r.status < 500 {
			t.Errorf("status %d with error_rate 1", r.status)
		}
		setFaults(`{}`)
		if r := e.post(initURL, initBody); r.status != 200 {
			t.Errorf("status %d after clearing faults", r.status)
		}
	})

	t.Run("latency", func(t *testing.T) {
		setFaults(`{"latency":"150ms"}`)
		t0 := time.Now()
		e.post(initURL, initBody)
		if d := time.Since(t0); d < 150*time.Millisecond {
			t.Errorf("answer after %v with 150ms latency", d)
		}
		setFaults(`{}`)
	})

	t.Run("connection reset", func(t *testing.T) {
		setFaults(`{"reset_rate":1}`)
		req, _ := http.NewRequest("GET", api("webwxgetcontact", "seq=0&skey="+c.skey), nil)
		if res, err := e.http.Do(req); err == nil {
			res.Body.Close()
			t.Errorf("got HTTP %d, want a broken connection", res.StatusCode)
		}
		setFaults(`{}`)
	})

	t.Run("duplicate delivery", func(t *testing.T) {
		setFaults(`{"duplicate_rate":1}`)
		for i := range 10 {
			e.srv.Inject(Injection{Kind: "text", Chat: "阿杰🏃", Text: fmt.Sprint("dup", i)})
		}
		seen := map[string]int{}
		for range 2 { // a page may come again with the next sync
			for _, m := range e.sync(c).msgs {
				seen[decode(t, m)["MsgId"].(string)]++
			}
		}
		setFaults(`{}`)
		dups := 0
		for _, n := range seen {
			dups += n - 1
		}
		if len(seen) != 10 || dups == 0 {
			t.Errorf("%d distinct messages, %d duplicates; want 10 and some", len(seen), dups)
		}
	})

	t.Run("1205 on sends", func(t *testing.T) {
		setFaults(`{"rate_1205":1}`)
		r := e.sendText(c, "filehelper", "hi")
		if ret(t, r.body) != 1205 || !strings.Contains(r.body, `"ErrMsg":"操作太频繁，请稍后再试。"`) {
			t.Errorf("send with rate_1205 1: %s", r.body)
		}
		setFaults(`{}`)
		if r := e.sendText(c, "filehelper", "hi"); ret(t, r.body) != 0 {
			t.Errorf("send after clearing: %s", r.body)
		}
	})

	if status, _ := e.control("POST", "/_sim/faults", `{"error_rate":2}`); status != 400 {
		t.Errorf("error_rate 2 accepted: %d", status)
	}
}

func (e *env) sendText(c *creds, to, text string) resp {
	e.t.Helper()
	return e.post(api("webwxsendmsg", "lang=zh_CN&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br(),
		"Msg": map[string]any{"Type": 1, "Content": text, "FromUserName": c.self, "ToUserName": to, "LocalID": 1717232400000123, "ClientMsgId": 1717232400000123}})
}

// TestSendRate: writes above the configured rate get 1205 until the bucket refills.
func TestSendRate(t *testing.T) {
	e := newEnv(t, Options{SendRate: Rate{Count: 2, Per: time.Minute}})
	c := e.loggedIn()
	for i, want := range []int{0, 0, 1205} {
		if r := e.sendText(c, "filehelper", "x"); ret(t, r.body) != want {
			t.Errorf("send %d: %s, want Ret %d", i, r.body, want)
		}
	}
	e.clock.advance(31 * time.Second)
	r := e.sendText(c, "filehelper", "x")
	if ret(t, r.body) != 0 || decode(t, r.body)["LocalID"] != "1717232400000123" {
		t.Errorf("send after refill: %s (a numeric LocalID is echoed as a string)", r.body)
	}
}
