package engine

import (
	"context"
	"testing"

	"qunguan/wx"
)

func TestOnRuleFiredNamesTheRule(t *testing.T) {
	var fired []RuleInfo
	h := newHarness(t, map[string]string{"k.lua": `
local bot = require("bot")
bot.hear("营业时间", function(msg) msg:reply("9:00–21:00") end)
bot.hear("never", function(msg) msg:reply("no") end)
`}, func(o *Options) {
		o.OnRuleFired = func(r RuleInfo, ev wx.Event) { fired = append(fired, r) } // loop goroutine only
	})
	h.dispatch(groupText(friend1, "请问营业时间"))
	h.expectTexts("g1: 9:00–21:00")
	if len(fired) != 1 || fired[0].Script != "k" || fired[0].Line != 3 {
		t.Fatalf("fired = %+v, want the one matching rule of k.lua at line 3", fired)
	}
}

func TestConfigDefaultsUnderTheScriptSection(t *testing.T) {
	h := newHarness(t, map[string]string{"a.lua": `
local bot = require("bot")
bot.hear("^where$", function(msg) msg:reply(bot.config.alert_to .. " " .. tostring(bot.config.own)) end)
`}, func(o *Options) {
		o.ConfigDefaults = map[string]any{"alert_to": "filehelper", "own": "default"}
		o.Config = map[string]map[string]any{"a": {"own": "mine"}}
	})
	h.dispatch(groupText(friend1, "where"))
	h.expectTexts("g1: filehelper mine")
}

func TestReloadConfigGivesScriptsTheNewSections(t *testing.T) {
	h := newHarness(t, map[string]string{"a.lua": `
local bot = require("bot")
bot.hear("^greet$", function(msg) msg:reply(bot.config.text or "none") end)
`}, func(o *Options) { o.Config = map[string]map[string]any{"a": {"text": "old"}} })
	h.dispatch(groupText(friend1, "greet"))
	h.expectTexts("g1: old")
	if err := h.e.ReloadConfig(context.Background(), map[string]map[string]any{"a": {"text": "new"}}); err != nil {
		t.Fatal(err)
	}
	h.sender.reset()
	h.dispatch(groupText(friend1, "greet"))
	h.expectTexts("g1: new")
}
