package engine

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHTTPTimeoutSizeCapAndJSON(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2048)))
		case "/echo":
			body, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"got": ` + string(body) + `, "auth": "` + r.Header.Get("Authorization") + `", "id": 12345678901234567890}`))
		}
	}))
	defer srv.Close()
	defer close(release)
	h := newHarness(t, map[string]string{"web.lua": `
local bot = require("bot")
bot.hear("^get (.+)$", function(msg, m)
  local resp, err = bot.http.get(bot.config.base .. m[1], {timeout = m[1] == "/slow" and "100ms" or "5s"})
  if not resp then msg:reply("error " .. err) return end
  msg:reply("status " .. resp.status .. " len " .. #resp.body)
end)
bot.hear("^post$", function(msg)
  local resp = bot.http.post(bot.config.base .. "/echo", {json = {q = "你好", n = 2}, headers = {Authorization = "Bearer t"}})
  msg:reply(resp.json.got.q .. " " .. resp.json.got.n .. " " .. resp.json.auth .. " " .. resp.json.id)
end)
bot.hear("^bad$", function(msg)
  local ok, err = pcall(bot.http.get, "file:///etc/passwd")
  msg:reply(tostring(ok) .. " " .. err:match("web.lua:%d+: (.*)"))
end)
bot.hear("^ping$", function(msg) msg:reply("pong") end)
`}, func(o *Options) {
		o.HTTPMaxBody = 1024
		o.Config = map[string]map[string]any{"web": {"base": srv.URL}}
	})
	// The slow request suspends its handler; ping is answered meanwhile.
	h.dispatch(groupText(friend1, "get /slow"), groupText(friend1, "ping"))
	waitFor(t, h, 2)
	h.expectTexts("g1: pong", "g1: error bot.http.get: no response within 100ms")
	h.sender.reset()
	h.dispatch(groupText(friend1, "get /big"))
	waitFor(t, h, 1)
	h.dispatch(groupText(friend1, "post"))
	waitFor(t, h, 2)
	h.dispatch(groupText(friend1, "bad"))
	h.expectTexts("g1: error bot.http.get: response larger than 1024 bytes", "g1: 你好 2 Bearer t 12345678901234567890",
		`g1: false bot.http.get: only http:// and https:// URLs are allowed, not "file:///etc/passwd"`)
}

// waitFor waits until n messages were sent: HTTP results arrive from other goroutines.
func waitFor(t *testing.T, h *harness, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		h.sync()
		if len(h.sender.texts()) >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("only %d of %d messages sent: %q, errors %v", len(h.sender.texts()), n, h.sender.texts(), h.handlerErrors())
}

// Sync waits for bot.http answers, and for what the resumed handler does next (here a
// second request), so that script tests can check what a handler sent after a request.
func TestSyncWaitsForHTTPAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		w.Write([]byte(r.URL.Path))
	}))
	defer srv.Close()
	h := newHarness(t, map[string]string{"web.lua": `
local bot = require("bot")
bot.hear("^ask$", function(msg)
  local first = bot.http.get(bot.config.base .. "/one")
  local second = bot.http.get(bot.config.base .. "/two")
  msg:reply(first.body .. " " .. second.body)
end)
`}, func(o *Options) {
		o.Config = map[string]map[string]any{"web": {"base": srv.URL}}
	})
	h.dispatch(groupText(friend1, "ask"))
	h.sync()
	h.expectTexts("g1: /one /two")
}
