package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"qunguan/wx"
)

func TestPriorityBlockAndStop(t *testing.T) {
	h := newHarness(t, map[string]string{
		"a.lua": `
local bot = require("bot")
bot.hear("hello", function(msg) msg:reply("a low") end)
bot.hear("hello", function(msg) msg:reply("a high") end, {priority = 10})
bot.hear("stop", function(msg) msg:reply("a stopper"); return true end, {priority = 5})
bot.hear("block", function(msg) msg:reply("a blocker") end, {priority = 5, block = true})
`,
		"b.lua": `
local bot = require("bot")
bot.hear("hello", function(msg) msg:reply("b low") end)
bot.hear(".", function(msg) msg:reply("b any") end, {priority = 1})
`}, nil)
	h.dispatch(groupText(friend1, "hello"))
	h.expectTexts("g1: a high", "g1: b any", "g1: a low", "g1: b low")
	h.sender.reset()
	h.dispatch(groupText(friend1, "stop"), groupText(friend1, "block"))
	h.expectTexts("g1: a stopper", "g1: a blocker")
}

func TestFilters(t *testing.T) {
	h := newHarness(t, map[string]string{"f.lua": `
local bot = require("bot")
bot.hear("x", function(msg) msg:reply("groups") end, {groups = true})
bot.hear("x", function(msg) msg:reply("private") end, {private = true})
bot.hear("x", function(msg) msg:reply("in 徒步群") end, {chats = {"徒步群"}})
bot.hear("x", function(msg) msg:reply("from 小明") end, {from = "小明"})
bot.hear({"苹果", "香蕉"}, function(msg, m) msg:reply("kw " .. m[0]) end)
bot.hear("(?P<n>\\d+)元", function(msg, m) msg:reply("price " .. m.n .. " " .. m[1]) end)
`}, nil)
	h.dispatch(groupText(friend1, "x"))
	h.expectTexts("g1: groups", "g1: in 徒步群")
	h.sender.reset()
	h.dispatch(privateText(friend2, "x"))
	h.expectTexts("u2: private", "u2: from 小明")
	h.sender.reset()
	h.dispatch(groupText(friend1, "我要香蕉和苹果"), groupText(friend1, "一共12元"))
	h.expectTexts("g1: kw 苹果", "g1: price 12 12")
}

func TestRespondStripsMention(t *testing.T) {
	h := newHarness(t, map[string]string{"r.lua": `
local bot = require("bot")
bot.respond("^(.*几点.*)$", function(msg, m) msg:reply("[" .. m[0] .. "]", {at = true}) end)
`}, nil)
	mentioned := groupText(friend1, "@管家\u2005几点出发")
	mentioned.Mentioned, mentioned.Mentions = true, []string{"管家"}
	two := groupText(friend1, "@小明 @管家 几点集合")
	two.Mentioned, two.Mentions = true, []string{"小明", "管家"}
	h.dispatch(
		groupText(friend1, "几点出发"), // group, no mention: ignored
		mentioned,
		two,
		privateText(friend2, "几点吃饭"),
	)
	h.expectTexts("g1: [几点出发]", "g1: [@小明 几点集合]", "u2: [几点吃饭]")
	if at := h.sender.sent[0].AtIDs; len(at) != 1 || at[0] != "u1" {
		t.Errorf("reply at = %v, want [u1]", at)
	}
	if at := h.sender.sent[2].AtIDs; len(at) != 0 {
		t.Errorf("a private reply must not @: %v", at)
	}
}

func TestCooldownPerRulePerChat(t *testing.T) {
	h := newHarness(t, map[string]string{"c.lua": `
local bot = require("bot")
bot.hear("早", function(msg) msg:reply("早上好") end, {cooldown = "10m"})
`}, nil)
	h.dispatch(groupText(friend1, "早"), groupText(friend2, "早"), privateText(friend1, "早"))
	h.expectTexts("g1: 早上好", "u1: 早上好")
	h.advance(9 * time.Minute)
	h.dispatch(groupText(friend1, "早"))
	h.expectTexts("g1: 早上好", "u1: 早上好")
	h.advance(time.Minute)
	h.dispatch(groupText(friend1, "早"))
	h.expectTexts("g1: 早上好", "u1: 早上好", "g1: 早上好")
}

// The bot's own messages never trigger rules unless a rule opts in, and echoes of what the
// bot sent never trigger anything — otherwise a reply to "hi" containing "hi" would loop.
func TestSelfLoopPrevention(t *testing.T) {
	h := newHarness(t, map[string]string{"s.lua": `
local bot = require("bot")
bot.hear("hi", function(msg) msg:reply("hi back") end)
bot.hear("hi", function(msg) msg:reply("self saw hi") end, {self = true})
bot.on("message", function(msg) msg:reply("any " .. msg.kind) end)
`}, nil)
	fromPhone := groupText(selfP, "hi from the phone")
	fromPhone.IsSelf = true
	echo := groupText(selfP, "hi back")
	echo.IsSelf, echo.Echo = true, true
	h.dispatch(echo, fromPhone)
	h.expectTexts("g1: self saw hi")
}

func TestUnlessOwnerActive(t *testing.T) {
	h := newHarness(t, map[string]string{"o.lua": `
local bot = require("bot")
bot.hear("在吗", function(msg) msg:reply("主人不在，我先回") end, {unless_owner_active = "2m"})
bot.hear("^check$", function(msg)
  msg:reply(tostring(bot.owner_active(msg.chat, "2m")) .. " " .. tostring(bot.owner_active(nil, "2m")) .. " " .. tostring(bot.owner_active("阿杰")))
end)
`}, nil)
	// The owner types in the group from the phone.
	fromPhone := groupText(selfP, "我在")
	fromPhone.IsSelf = true
	h.dispatch(fromPhone, groupText(friend1, "在吗"), privateText(friend2, "在吗"), groupText(friend1, "check"))
	h.expectTexts("u2: 主人不在，我先回", "g1: true true false")
	h.advance(2 * time.Minute)
	h.sender.reset()
	h.dispatch(groupText(friend1, "在吗"))
	h.expectTexts("g1: 主人不在，我先回")
	// The chat list sent after every login (code 4) is not the owner using the phone.
	h.advance(2 * time.Minute)
	h.sender.reset()
	h.dispatch(&wx.Message{MsgID: "sync", Kind: wx.KindOwnerActive, IsSelf: true, Chat: selfP, Sender: selfP,
		OwnerActivity: &wx.OwnerActivity{Code: 4}}, privateText(friend2, "在吗"))
	h.expectTexts("u2: 主人不在，我先回")
	// Using WeChat on the phone without a particular chat counts everywhere.
	h.sender.reset()
	h.dispatch(&wx.Message{MsgID: "oa", Kind: wx.KindOwnerActive, IsSelf: true, Chat: selfP, Sender: selfP,
		OwnerActivity: &wx.OwnerActivity{Code: 1}}, privateText(friend2, "在吗"))
	h.expectTexts()
}

type fakeHistory struct{ msgs map[string]*wx.Message }

func (f fakeHistory) Original(_ context.Context, id string) (*wx.Message, error) {
	if m, ok := f.msgs[id]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("message %s: %w", id, ErrNotFound)
}
func (f fakeHistory) Search(_ context.Context, q string, opts SearchOptions) ([]*wx.Message, error) {
	var out []*wx.Message
	for _, m := range f.msgs {
		if strings.Contains(m.Text, q) && (opts.ChatID == "" || m.Chat.ID == opts.ChatID) {
			out = append(out, m)
		}
	}
	return out, nil
}
func (f fakeHistory) Query(_ context.Context, sql string, args ...any) ([]map[string]any, error) {
	return []map[string]any{{"sql": sql, "n": int64(len(args)), "big": int64(1) << 60}}, nil
}

func TestRecallCarriesOriginal(t *testing.T) {
	orig := groupText(friend2, "这条我要撤回")
	h := newHarness(t, map[string]string{"recall.lua": `
local bot = require("bot")
bot.on("recall", function(ev)
  if ev.original then
    ev:reply(ev.original.sender.name .. " 撤回了: " .. ev.original.text .. " (" .. ev.original.kind .. ")")
  else
    ev:reply("撤回了一条不知道的消息 " .. ev.recalled_id)
  end
end)
bot.hear("^search (.+)$", function(msg, m)
  local found = bot.db.search(m[1], {chat = msg.chat, since = "1h", limit = 5})
  local rows = bot.db.query("select 1 where ? = ?", 1, "x")
  msg:reply(#found .. " " .. found[1].text .. " " .. rows[1].n .. " " .. rows[1].big)
end)
`}, func(o *Options) { o.History = fakeHistory{msgs: map[string]*wx.Message{orig.MsgID: orig}} })
	recall := func(id string) *wx.Message {
		return &wx.Message{MsgID: "r-" + id, Kind: wx.KindRecall, Chat: group1, Sender: friend2, Time: testStart,
			Recall: &wx.Recall{OriginalMsgID: id, ReplaceText: `"小明" 撤回了一条消息`}}
	}
	h.dispatch(recall(orig.MsgID), recall("unknown"), groupText(friend1, "search 撤回"))
	h.expectTexts("g1: 小明 撤回了: 这条我要撤回 (text)", "g1: 撤回了一条不知道的消息 unknown", "g1: 1 这条我要撤回 2 1152921504606846976")
}

func TestOtherEventKinds(t *testing.T) {
	h := newHarness(t, map[string]string{"ev.lua": `
local bot = require("bot")
bot.on("member_left", function(ev) bot.send(ev.chat, ev.member.name .. " left " .. ev.chat.name) end)
bot.on("join", function(ev) ev:reply("welcome " .. table.concat(ev.members, ",") .. " by " .. ev.inviter) end)
bot.on("friend_request", function(ev)
  local ok, err = bot.accept_friend(ev, {remark = "from bot"})
  bot.send("阿杰", "accepted " .. ev.nickname .. " saying " .. ev.greeting .. " " .. tostring(ok))
end)
bot.on("redpacket", function(ev) ev:reply("red packet in " .. ev.chat.name) end)
bot.on("login", function(ev) bot.send("filehelper", "logged in as " .. ev.who) end)
bot.on("logout", function(ev) bot.send("filehelper", "logged out: " .. ev.why) end)
bot.on("contact_renamed", function(ev) bot.send("filehelper", ev.old_name .. " -> " .. ev.new_name) end)
`}, nil)
	h.dispatch(
		&wx.MemberEvent{Change: wx.MemberLeft, Group: group1, Member: friend2},
		&wx.Message{MsgID: "j", Kind: wx.KindJoin, Chat: group1, Notice: &wx.GroupNotice{Kind: wx.NoticeInvite, Actor: "阿杰", Targets: []string{"小红", "小刚"}}},
		&wx.Message{MsgID: "f", Kind: wx.KindFriendRequest, Chat: wx.Peer{ID: "fmessage"}, FriendRequest: &wx.FriendRequest{NickName: "新朋友", Greeting: "你好"}},
		&wx.Message{MsgID: "rp", Kind: wx.KindRedPacket, Chat: group1},
		&wx.LoginEvent{Self: selfP},
		&wx.LogoutEvent{Code: 1101, Reason: "logged in elsewhere"},
		&wx.ContactEvent{Change: wx.GroupRenamed, Contact: wx.Peer{ID: "g1", NickName: "新名字", IsGroup: true}, OldName: "徒步群"},
	)
	h.expectTexts("g1: 小明 left 徒步群", "g1: welcome 小红,小刚 by 阿杰", "u1: accepted 新朋友 saying 你好 true",
		"g1: red packet in 徒步群", "filehelper: logged in as 管家", "filehelper: logged out: logged in elsewhere", "filehelper: 徒步群 -> 新名字")
	if len(h.sender.actions) != 1 || h.sender.actions[0] != "accept 新朋友 from bot" {
		t.Errorf("actions = %v", h.sender.actions)
	}
}

func TestGroupActionsReturnErrors(t *testing.T) {
	h := newHarness(t, map[string]string{"g.lua": `
local bot = require("bot")
bot.hear("^kick (.+)$", function(msg, m)
  local ok, err = bot.group.kick(msg.chat, m[1])
  msg:reply(tostring(ok) .. " " .. tostring(err))
end)
bot.hear("^ops$", function(msg)
  local a = bot.group.rename("徒步群", "新群名")
  local b = bot.group.invite("徒步群", {"小明", "阿杰"})
  local c, err = bot.send("nobody", "x")
  local members = bot.members("徒步群")
  local found = bot.find("阿杰")
  msg:reply(tostring(a) .. tostring(b) .. " " .. err .. " " .. #members .. " " .. found.id .. " " .. tostring(bot.find("nobody")) .. " " .. #bot.contacts())
end)
`}, nil)
	h.dispatch(groupText(friend1, "kick 小明"))
	h.sender.kickErr = errors.New("the bot is not the group owner")
	h.dispatch(groupText(friend1, "kick 阿杰"), groupText(friend1, "kick 路人"), groupText(friend1, "ops"))
	h.expectTexts("g1: true nil",
		"g1: nil bot.group.kick: the bot is not the group owner",
		`g1: nil bot.group.kick: no member named "路人" in the group: not found`,
		`g1: truetrue bot.send: no chat named "nobody": not found 3 u1 nil 3`)
	if strings.Join(h.sender.actions, ";") != "kick g1 u2;rename g1 新群名;invite g1 u2,u1" {
		t.Errorf("actions = %v", h.sender.actions)
	}
}

func TestFailingScriptDisabledAndReportedOnce(t *testing.T) {
	h := newHarness(t, map[string]string{
		"flaky.lua": `
local bot = require("bot")
bot.hear("x", function(msg) error("always broken") end)
bot.every("1m", function() bot.send("徒步群", "flaky tick") end)
`,
		"steady.lua": `require("bot").hear("x", function(msg) msg:reply("steady") end)`,
	}, func(o *Options) { o.MaxFailures = 3 })
	for range 6 {
		h.dispatch(groupText(friend1, "x"))
	}
	h.advance(2 * time.Minute)
	h.expectTexts("g1: steady", "g1: steady", "g1: steady", "g1: steady", "g1: steady", "g1: steady")
	if n := len(h.handlerErrors()); n != 3 {
		t.Errorf("handler errors = %d, want 3 (then disabled)", n)
	}
	disabled := 0
	for _, entry := range h.logs.AllEntries() {
		if strings.Contains(entry.Message, "script disabled") {
			disabled++
			if entry.Data["script"] != "flaky" || entry.Data["line"] != 3 {
				t.Errorf("disable report fields = %v", entry.Data)
			}
		}
	}
	if disabled != 1 {
		t.Errorf("disable reported %d times, want once", disabled)
	}
	for _, s := range h.e.Scripts() {
		if s.Name == "flaky" && !s.Disabled {
			t.Errorf("flaky not marked disabled: %+v", s)
		}
	}
	// A success in between resets the count.
	h2 := newHarness(t, map[string]string{"sometimes.lua": `
local bot = require("bot")
bot.hear("bad", function(msg) error("no") end)
bot.hear("good", function(msg) msg:reply("fine") end)
`}, func(o *Options) { o.MaxFailures = 3 })
	h2.dispatch(groupText(friend1, "bad"), groupText(friend1, "bad"), groupText(friend1, "good"), groupText(friend1, "bad"), groupText(friend1, "bad"), groupText(friend1, "good"))
	h2.expectTexts("g1: fine", "g1: fine")
}

func TestConfigStoreAndModules(t *testing.T) {
	h := newHarness(t, map[string]string{"kw.lua": `
local bot = require("bot")
local json = require("json")
local re = require("re")
local utf8 = require("utf8")
bot.hear("^q (.+)$", function(msg, m)
  local answer = bot.config.replies[m[1]]
  if answer then msg:reply(answer) end
end)
bot.hear("^count$", function(msg)
  local n = bot.store.incr("count:" .. msg.chat.id)
  bot.store.set("last", {who = msg.sender.name, n = n}, "1h")
  local last = bot.store.get("last")
  msg:reply(n .. " " .. last.who .. " " .. last.n)
end)
bot.hear("^modules$", function(msg)
  local decoded = json.decode('{"id": 9007199254740993, "n": 3, "list": [1, 2], "empty": []}')
  local encoded = json.encode({n = 3, f = 1.5, list = json.array(), ok = true})
  local m = re.match("价格: 12元", "(?P<num>\\d+)元")
  local all = re.find_all("a1b22c333", "\\d+")
  local replaced, count = re.gsub("2026-01-05", "(\\d+)-(\\d+)-(\\d+)", "$3/$2/$1")
  local parts = re.split("a, b,c", ",\\s*")
  msg:reply(table.concat({
    decoded.id, tostring(decoded.n), #decoded.list, json.encode(decoded.empty), encoded,
    m.num, m[0], #all, all[3][0], replaced, count, #parts,
    utf8.len("群管家"), utf8.sub("群管家你好", 2, 3), table.concat(utf8.chars("你好"), "|"), utf8.reverse("abc群"),
  }, " "))
end)
`}, func(o *Options) {
		o.Config = map[string]map[string]any{"kw": {"replies": map[string]any{"营业时间": "每天 9:00–21:00"}}}
	})
	h.dispatch(groupText(friend1, "q 营业时间"), groupText(friend1, "q 别的"), groupText(friend1, "count"), groupText(friend2, "count"), groupText(friend1, "modules"))
	h.expectTexts("g1: 每天 9:00–21:00", "g1: 1 阿杰 1", "g1: 2 小明 2",
		`g1: 9007199254740993 3 2 [] {"f":1.5,"list":[],"n":3,"ok":true} 12 12元 3 333 05/01/2026 1 3 3 管家 你|好 群cba`)
	h.advance(2 * time.Hour)
	h.sender.reset()
	h.dispatch(groupText(friend1, "count"))
	h.expectTexts("g1: 3 阿杰 3")
}
