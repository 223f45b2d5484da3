package engine

import (
	"strings"
	"testing"

	"qunguan/wx"
)

func TestHearReplyAndOrder(t *testing.T) {
	h := newHarness(t, map[string]string{"echo.lua": `
local bot = require("bot")
local count = 0
bot.hear("^echo (.+)$", function(msg, m)
  count = count + 1
  msg:reply(count .. ":" .. m[1])
end)
`}, nil)
	var events []wx.Event
	for i := range 20 {
		events = append(events, groupText(friend1, "echo "+string(rune('a'+i))))
	}
	h.dispatch(events[:7]...)
	h.dispatch(events[7:]...)
	var want []string
	for i := range 20 {
		want = append(want, "g1: "+itoa(i+1)+":"+string(rune('a'+i)))
	}
	h.expectTexts(want...)
}

func itoa(n int) string { return strings.TrimSpace(strings.Repeat("", 0) + fmtInt(n)) }

func fmtInt(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		n /= 10
		if n == 0 {
			return s
		}
	}
}
