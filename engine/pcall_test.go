package engine

import (
	"testing"
	"time"
)

// Yielding across pcall is not something Lua 5.1 supports; it must fail cleanly, not wedge
// the loop.
func TestSleepInsidePcallFailsCleanly(t *testing.T) {
	h := newHarness(t, map[string]string{"p.lua": `
local bot = require("bot")
bot.hear("^p$", function(msg)
  local ok, err = pcall(bot.sleep, 1)
  msg:reply("after pcall " .. tostring(ok) .. " " .. tostring(err):match("p%.lua:%d+: .*"))
end)
bot.hear("^ping$", function(msg) msg:reply("pong") end)
`}, nil)
	h.dispatch(groupText(friend1, "p"))
	h.advance(2 * time.Second)
	h.dispatch(groupText(friend1, "ping"))
	h.expectTexts("g1: after pcall false p.lua:4: bot.sleep cannot wait inside pcall or xpcall; call it directly in the handler", "g1: pong")
}
