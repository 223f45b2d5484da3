local t = require("test")

local SEP = "\226\128\133" -- U+2005, the narrow space that ends an @-mention

t.world{
  self = "管家",
  friends = {"阿杰"},
  groups = {
    {name = "徒步群", members = {"阿杰", "小明", "广告哥"}},
    {name = "业主群", members = {"阿杰", "小明", "广告哥"}, owner = false},
    {name = "闲聊群", members = {"阿杰", "小明"}},
  },
}
t.config{managed_groups = {"徒步群", "业主群"}, admins = {"阿杰"}}

function test_welcomes_new_members_with_mentions()
  t.event{kind = "join", chat = "徒步群", members = {"小红", "阿强"}, inviter = "阿杰"}
  t.expect_sent{chat = "徒步群", text = "欢迎 @小红" .. SEP .. "@阿强" .. SEP .. "加入「徒步群」！请先看群公告，有事可以 @我。"}
  t.event{kind = "join", chat = "闲聊群", members = {"小周"}, inviter = "阿杰"}
  t.expect_no_sent() -- not a managed group
end

function test_custom_or_no_welcome()
  t.config{welcome = "{group} 欢迎 {name}"}
  t.event{kind = "join", chat = "闲聊群", members = {"小周"}, inviter = "阿杰"}
  t.expect_sent{text = "闲聊群 欢迎 @小周" .. SEP} -- no managed_groups: every group
  t.config{welcome = ""}
  t.event{kind = "join", chat = "徒步群", members = {"小周"}, inviter = "阿杰"}
  t.expect_no_sent()
end

function test_leaves_are_reported_when_asked()
  t.event{kind = "member_left", chat = "徒步群", member = "小明"}
  t.expect_no_sent() -- logged only
  t.config{report_leaves = true}
  t.event{kind = "member_left", chat = "徒步群", member = "小明"}
  t.expect_sent{chat = "filehelper", text = "👋 小明 离开了「徒步群」"}
end

function test_flooding_is_warned_then_removed()
  for _ = 1, 3 do t.say("徒步群", "小明", "快来看看") end
  t.expect_sent{chat = "徒步群", text = "请不要刷屏，再犯会被移出本群。", at = "小明"}
  t.expect_no_sent()
  for _ = 1, 3 do t.say("徒步群", "小明", "快来看看") end
  t.expect_action{op = "kick", group = "徒步群", member = "小明"}
  t.expect_sent{chat = "徒步群", text = "小明 因刷屏已被移出本群。"}
  t.expect_sent{chat = "filehelper", text = "🚫 已把 小明 移出「徒步群」：刷屏"}
end

function test_repeats_spread_out_or_different_are_fine()
  t.say("徒步群", "小明", "收到")
  t.say("徒步群", "小明", "收到")
  t.advance("61s")
  t.say("徒步群", "小明", "收到")
  t.say("徒步群", "小明", "好的")
  t.say("徒步群", "阿杰", "好的") -- someone else's repeat is not 小明's
  t.expect_no_sent()
  t.eq(#t.actions(), 0, "no kick")
end

function test_spam_link_is_warned_at_once_and_admins_are_exempt()
  t.say("徒步群", "阿杰", "路线见 https://example.com/route")
  t.expect_no_sent()
  t.say("徒步群", "广告哥", "扫码进群领红包")
  t.expect_sent{text = "请不要发广告，再犯会被移出本群。", at = "广告哥"}
  t.say("徒步群", "广告哥", "加我微信 abc123")
  t.expect_action{op = "kick", member = "广告哥"}
end

function test_warnings_are_forgotten()
  t.say("徒步群", "广告哥", "http://spam.example")
  t.expect_sent{contains = "请不要发广告"}
  t.advance("1d")
  t.say("徒步群", "广告哥", "http://spam.example")
  t.expect_sent{contains = "请不要发广告"} -- a warning again, not removal
  t.eq(#t.actions(), 0)
end

function test_not_the_owner_warns_and_alerts()
  t.say("业主群", "广告哥", "http://spam.example")
  t.expect_sent{chat = "业主群", contains = "请不要发广告"}
  t.say("业主群", "广告哥", "http://spam.example")
  t.expect_sent{chat = "业主群", contains = "请不要发广告"}
  t.expect_sent{chat = "filehelper", match = "广告哥 一直在发广告，但我移不出去：.*not the owner"}
  t.eq(#t.actions(), 0)
end

function test_kick_off_only_alerts()
  t.config{kick = false, warnings = 2, spam_kinds = {"link"}}
  for _ = 1, 3 do t.event{kind = "link", chat = "徒步群", from = "小明", url = "https://a.example", title = "好文"} end
  t.expect_sent{contains = "请不要发广告"}
  t.expect_sent{contains = "请不要发广告"}
  t.expect_sent{chat = "filehelper", text = "⚠️ 「徒步群」里 小明 警告后仍在发广告"}
  t.eq(#t.actions(), 0)
end

function test_member_count_on_request()
  t.say("徒步群", "小明", "群里现在多少人？")
  t.expect_sent{chat = "徒步群", text = "「徒步群」现在有 4 人。", at = "小明"}
  t.say("徒步群", "小明", "人数呢")
  t.expect_no_sent() -- cooldown
  t.advance("30s")
  t.say("徒步群", "管家", "我来统计一下人数") -- you, on the phone
  local sent = t.expect_sent{chat = "徒步群", text = "「徒步群」现在有 4 人。"}
  t.eq(sent.at, {}, "no @-mention of yourself")
  t.say("闲聊群", "小明", "多少人")
  t.expect_no_sent() -- not managed
end
