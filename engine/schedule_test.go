package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qunguan/wx"
)

func TestSleepResumesOnVirtualClock(t *testing.T) {
	h := newHarness(t, map[string]string{"sleepy.lua": `
local bot = require("bot")
bot.hear("^remind (%d+)$", function(msg, m) end)
bot.hear("^remind (\\d+)$", function(msg, m)
  msg:reply("ok, in " .. m[1] .. "s")
  bot.sleep(tonumber(m[1]))
  msg:reply("time's up " .. os.date("%H:%M:%S"))
end)
bot.hear("^ping$", function(msg) msg:reply("pong") end)
`}, nil)
	h.dispatch(groupText(friend1, "remind 90"), groupText(friend1, "ping"))
	h.expectTexts("g1: ok, in 90s", "g1: pong")
	h.advance(89 * time.Second)
	h.expectTexts("g1: ok, in 90s", "g1: pong")
	h.advance(time.Second)
	h.expectTexts("g1: ok, in 90s", "g1: pong", "g1: time's up 09:01:30")
}

func TestSleepOutsideHandlerFails(t *testing.T) {
	dir := t.TempDir()
	writeScripts(t, dir, map[string]string{"top.lua": `require("bot").sleep(1)`})
	e, err := New(Options{Dir: dir, Sender: &recSender{}})
	if err != nil {
		t.Fatal(err)
	}
	info := e.Scripts()
	if len(info) != 1 || info[0].Err == nil || !strings.Contains(info[0].Err.Error(), "bot.sleep can only be called from a handler") {
		t.Fatalf("scripts = %+v", info)
	}
}

func TestSchedulesFireAtVirtualTimesInZone(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	// testStart is 09:00 UTC = 17:00 in Shanghai, Monday 2026-01-05.
	h := newHarness(t, map[string]string{"sched.lua": `
local bot = require("bot")
local function say(what) return function() bot.send("徒步群", what .. " " .. os.date("%a %H:%M")) end end
bot.every("40m", say("every"))
bot.cron("30 18 * * 1-5", say("cron"))
bot.at("2026-01-05 18:10", say("at"))
bot.after("15m", say("after"))
bot.hear("^later$", function(msg) bot.after("5m", say("runtime after")) end)
local h = bot.every("1h", say("cancelled"))
h.cancel()
`}, func(o *Options) { o.Location = shanghai })
	h.dispatch(groupText(friend1, "later"))
	h.advance(2 * time.Hour)
	h.expectTexts(
		"g1: runtime after Mon 17:05",
		"g1: after Mon 17:15",
		"g1: every Mon 17:40",
		"g1: at Mon 18:10",
		"g1: every Mon 18:20",
		"g1: cron Mon 18:30",
		"g1: every Mon 19:00",
	)
	// The cron spec runs on weekdays only: from Friday evening to Monday it fires once more
	// on Friday… (advance to Tuesday 18:30 and count cron lines).
	h.sender.reset()
	h.advance(23*time.Hour + 30*time.Minute)
	var crons []string
	for _, s := range h.sender.texts() {
		if strings.Contains(s, "cron") {
			crons = append(crons, s)
		}
	}
	if len(crons) != 1 || crons[0] != "g1: cron Tue 18:30" {
		t.Fatalf("cron fired %q", crons)
	}
}

func TestScheduleInfoAndBadSpecs(t *testing.T) {
	dir := t.TempDir()
	writeScripts(t, dir, map[string]string{
		"badcron.lua": `require("bot").cron("61 * * * *", function() end)`,
		"baddur.lua":  `require("bot").every("ten minutes", function() end)`,
		"badat.lua":   `require("bot").at("tomorrow", function() end)`,
		"badopt.lua":  "local bot = require('bot')\n\nbot.hear('x', function() end, {chat = 'g'})",
		"badre.lua":   `require("bot").hear("(unclosed", function() end)`,
		"badkind.lua": `require("bot").on("redpackets", function() end)`,
		"syntax.lua":  "local bot = require('bot')\nbot.hear('x', function()\n",
		"ok.lua":      `require("bot").cron("0 9 * * *", function() end)`,
	})
	e, err := New(Options{Dir: dir, Sender: &recSender{}, Clock: NewVirtualClock(testStart), Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"badcron": "invalid cron spec",
		"baddur":  `invalid duration "ten minutes"`,
		"badat":   `invalid time "tomorrow"`,
		"badopt":  `unknown option "chat" (did you mean "chats"?)`,
		"badre":   "invalid pattern",
		"badkind": `unknown kind "redpackets"`,
		"syntax":  "syntax error",
	}
	for _, s := range e.Scripts() {
		if s.Name == "ok" {
			if s.Err != nil || len(s.Schedules) != 1 || !s.Schedules[0].Next.Equal(time.Date(2026, 1, 6, 9, 0, 0, 0, time.UTC)) {
				t.Errorf("ok.lua: %+v", s)
			}
			continue
		}
		var lerr *LoadError
		if s.Err == nil || !strings.Contains(s.Err.Error(), want[s.Name]) {
			t.Errorf("%s: error %v, want it to contain %q", s.Name, s.Err, want[s.Name])
			continue
		}
		if !asLoadError(s.Err, &lerr) || lerr.Line == 0 {
			t.Errorf("%s: %v has no line", s.Name, s.Err)
		}
		if s.Name == "badopt" && lerr.Line != 3 {
			t.Errorf("badopt line = %d, want 3", lerr.Line)
		}
	}
}

func TestReloadKeepsOldVersionOnSyntaxError(t *testing.T) {
	h := newHarness(t, map[string]string{"ver.lua": `
local bot = require("bot")
bot.hear("^v$", function(msg) msg:reply("v1") end)
bot.every("1m", function() bot.send("徒步群", "tick v1") end)
`}, nil)
	h.dispatch(groupText(friend1, "v"))
	writeScripts(t, h.dir, map[string]string{"ver.lua": "local bot = require('bot')\nbot.hear('^v$', function(msg) msg:reply('v2') end\n"})
	err := h.e.Reload(t.Context())
	var lerr *LoadError
	if err == nil || !asLoadError(err, &lerr) || lerr.Line != 2 || !strings.Contains(err.Error(), "ver.lua:2: syntax error") {
		t.Fatalf("reload error = %v, want ver.lua:2 syntax error", err)
	}
	h.dispatch(groupText(friend1, "v"))
	h.advance(time.Minute)
	h.expectTexts("g1: v1", "g1: v1", "g1: tick v1")

	// A version that compiles but fails while registering is refused too.
	writeScripts(t, h.dir, map[string]string{"ver.lua": "local bot = require('bot')\nbot.hear('^v$', function(msg) msg:reply('v2') end)\nerror('half way')\n"})
	if err := h.e.Reload(t.Context()); err == nil || !strings.Contains(err.Error(), "ver.lua:3: half way") {
		t.Fatalf("reload error = %v", err)
	}
	h.sender.reset()
	h.dispatch(groupText(friend1, "v"))
	h.expectTexts("g1: v1")

	// A good version replaces the old one, rules and timers alike.
	writeScripts(t, h.dir, map[string]string{"ver.lua": `
local bot = require("bot")
bot.hear("^v$", function(msg) msg:reply("v3") end)
`})
	if err := h.e.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.sender.reset()
	h.dispatch(groupText(friend1, "v"))
	h.advance(5 * time.Minute)
	h.expectTexts("g1: v3")
}

func TestWatchReloadsChangedFile(t *testing.T) {
	h := newHarness(t, map[string]string{"w.lua": `require("bot").hear("^w$", function(msg) msg:reply("w1") end)`},
		func(o *Options) { o.Watch, o.WatchDebounce = true, 20*time.Millisecond })
	h.dispatch(groupText(friend1, "w"))
	if err := os.WriteFile(filepath.Join(h.dir, "w.lua"), []byte(`require("bot").hear("^w$", function(msg) msg:reply("w2") end)`), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(30 * time.Millisecond)
		h.sender.reset()
		h.dispatch(groupText(friend1, "w"))
		if got := h.sender.texts(); len(got) == 1 && got[0] == "g1: w2" {
			return
		}
	}
	t.Fatalf("the changed file was not reloaded: %v", h.sender.texts())
}

var _ wx.Event = (*wx.Message)(nil)
