package engine

import (
	"strings"
	"testing"
	"time"
)

// Each escape attempt must fail inside the script with a message that says what is not
// allowed, and the engine must keep answering.
func TestSandboxRefusesEscapes(t *testing.T) {
	h := newHarness(t, map[string]string{"probe.lua": `
local bot = require("bot")
local attempts = {
  ["os.execute"] = function() return os.execute("true") end,
  ["os.exit"] = function() return os.exit(1) end,
  ["os.getenv"] = function() return os.getenv("HOME") end,
  ["io.open"] = function() return io.open("/etc/passwd") end,
  ["dofile"] = function() return dofile("/etc/passwd") end,
  ["loadfile"] = function() return loadfile("/etc/passwd") end,
  ["load"] = function() return load("return 1") end,
  ["loadstring"] = function() return loadstring("return 1") end,
  ["require"] = function() return require("os") end,
  ["require file"] = function() return require("./evil") end,
  ["string.rep"] = function() return string.rep("x", 1e10) end,
  ["method rep"] = function() return ("xy"):rep(1e9) end,
  ["gsub bomb"] = function() return string.gsub(string.rep("x", 1e6), "", string.rep("y", 100)) end,
  ["concat bomb"] = function()
    local s, t = string.rep("x", 1e6), {}
    for i = 1, 100 do t[i] = s end
    return table.concat(t)
  end,
}
bot.hear("^try (.+)$", function(msg, m)
  local ok, err = pcall(attempts[m[1]])
  msg:reply(m[1] .. " ok=" .. tostring(ok) .. " " .. tostring(err))
end)
bot.hear("^ping$", function(msg) msg:reply("pong") end)
`}, func(o *Options) { o.MaxStringSize, o.HandlerTimeout = 10<<20, 5*time.Second })
	cases := map[string]string{
		"os.execute":   "os.execute is not available in qunguan scripts",
		"os.exit":      "os.exit is not available in qunguan scripts",
		"os.getenv":    "os.getenv is not available",
		"io.open":      "io.open is not available in qunguan scripts",
		"dofile":       "dofile is not available in qunguan scripts",
		"loadfile":     "loadfile is not available",
		"load":         "load is not available",
		"loadstring":   "loadstring is not available",
		"require":      `require "os": not allowed`,
		"require file": `require "./evil": not allowed`,
		"string.rep":   "string.rep: result too large",
		"method rep":   "string.rep: result too large",
		"gsub bomb":    "string.gsub: result too large",
		"concat bomb":  "table.concat: result too large",
	}
	for name, want := range cases {
		h.sender.reset()
		h.dispatch(groupText(friend1, "try "+name), groupText(friend1, "ping"))
		got := h.sender.texts()
		if len(got) != 2 || !strings.Contains(got[0], "ok=false") || !strings.Contains(got[0], want) || got[1] != "g1: pong" {
			t.Errorf("%s: sent %q, want an error containing %q and then pong", name, got, want)
		}
	}
	if errs := h.handlerErrors(); len(errs) != 0 {
		t.Errorf("pcall'ed failures must not count as handler errors: %v", errs)
	}
}

func TestSandboxKeepsSafeLibraries(t *testing.T) {
	h := newHarness(t, map[string]string{"libs.lua": `
local bot = require("bot")
bot.hear("^libs$", function(msg)
  local parts = {
    string.format("%d-%s", 7, string.upper("x")),
    tostring(math.floor(2.7)),
    table.concat({"a", "b"}, ","),
    tostring(coroutine.wrap(function() coroutine.yield(5) end)()),
    os.date("%Y-%m-%d %H:%M", os.time()),
    tostring(os.time{year=2026, month=1, day=5, hour=9}),
    string.rep("ab", 3, "-"),
    (string.gsub("hello", "l", "L")),
  }
  msg:reply(table.concat(parts, "|"))
end)
`}, nil)
	h.dispatch(groupText(friend1, "libs"))
	h.expectTexts("g1: 7-X|2|a,b|5|2026-01-05 09:00|" + itoa(int(testStart.Unix())) + "|ab-ab-ab|heLLo")
}

// An endless loop is stopped at its deadline; the other script still answers, and so does
// the looping script's next handler call.
func TestDeadlineStopsEndlessLoop(t *testing.T) {
	h := newHarness(t, map[string]string{
		"a_loop.lua": `
local bot = require("bot")
bot.hear("^spin$", function(msg)
  while true do end
end)
bot.hear("^spin pcall$", function(msg)
  while true do pcall(function() while true do end end) end
end)
bot.hear("^alive$", function(msg) msg:reply("loop script alive") end)
`,
		"b_other.lua": `
local bot = require("bot")
bot.hear(".", function(msg) msg:reply("other: " .. msg.text) end)
`}, func(o *Options) { o.HandlerTimeout = 50 * time.Millisecond })
	start := time.Now()
	h.dispatch(groupText(friend1, "spin"), groupText(friend1, "spin pcall"), groupText(friend1, "alive"))
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("dispatch took %v; the deadline did not stop the loops", elapsed)
	}
	h.expectTexts("g1: other: spin", "g1: other: spin pcall", "g1: loop script alive", "g1: other: alive")
	errs := h.handlerErrors()
	if len(errs) != 2 {
		t.Fatalf("handler errors = %v, want 2 deadline errors", errs)
	}
	for _, err := range errs {
		if !strings.Contains(err.Error(), "deadline") || err.Line == 0 || err.Script != "a_loop" {
			t.Errorf("error %q (line %d) should name the deadline, the script and the line", err, err.Line)
		}
	}
}

// A handler that raises does not stop the other scripts, and a Go panic inside an action is
// recovered.
func TestErrorsStayInTheirScript(t *testing.T) {
	h := newHarness(t, map[string]string{
		"a_bad.lua": `
local bot = require("bot")
bot.hear("boom", function(msg) error("kaboom") end)
bot.hear("nil", function(msg) local x = nil; return x.field end)
`,
		"b_good.lua": `
local bot = require("bot")
bot.hear(".", function(msg) msg:reply("ok " .. msg.text) end)
`}, nil)
	h.dispatch(groupText(friend1, "boom"), groupText(friend1, "nil"))
	h.expectTexts("g1: ok boom", "g1: ok nil")
	errs := h.handlerErrors()
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), "kaboom") || errs[0].Line != 3 || errs[1].Line != 4 {
		t.Fatalf("errors = %v (lines %v)", errs, errs)
	}
}
