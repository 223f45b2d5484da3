local t = require("test")

t.world{
  friends = {"阿杰"},
  groups = {["家族群"] = {"阿杰", "二姨"}, ["公告群"] = {"阿杰", "二姨"}},
}
t.start("2026-01-05 09:41")

function test_alert_shows_who_and_the_original_text()
  local id = t.say("家族群", "二姨", "明天中午吃饭改到六点")
  t.advance("2m")
  t.event{kind = "recall", chat = "家族群", from = "二姨", of = id}
  t.expect_sent{chat = "filehelper", text = "↩️ 家族群 里 二姨 撤回了一条文字（09:41 发的）：\n明天中午吃饭改到六点"}
  t.expect_no_sent() -- 家族群 does not repost
end

function test_kind_of_a_recalled_image()
  local id = t.event{kind = "image", chat = "阿杰", from = "阿杰"}
  t.event{kind = "recall", chat = "阿杰", from = "阿杰", of = id}
  t.expect_sent{chat = "filehelper", text = "↩️ 阿杰 里 阿杰 撤回了一条图片（09:41 发的）：\n[图片]"}
end

function test_recall_of_a_message_not_in_the_log()
  t.event{kind = "recall", chat = "家族群", from = "阿杰", of = "404"}
  t.expect_sent{chat = "filehelper", text = "↩️ 家族群 里 阿杰 撤回了一条消息（原消息不在记录里）"}
end

function test_repost_in_opted_in_chats_only()
  t.config{repost_in = {"公告群"}}
  local id = t.say("公告群", "二姨", "周六停水")
  t.event{kind = "recall", chat = "公告群", from = "二姨", of = id}
  t.expect_sent{chat = "filehelper", contains = "周六停水"}
  t.expect_sent{chat = "公告群", text = "二姨 撤回了：周六停水"}
  id = t.say("家族群", "二姨", "不转发")
  t.event{kind = "recall", chat = "家族群", from = "二姨", of = id}
  t.expect_sent{chat = "filehelper"}
  t.expect_no_sent()
end

function test_no_alert_and_only_some_chats()
  t.config{alert = false, repost_in = {"公告群"}, chats = {"公告群"}}
  local id = t.say("家族群", "二姨", "a")
  t.event{kind = "recall", chat = "家族群", from = "二姨", of = id}
  t.expect_no_sent()
  id = t.say("公告群", "二姨", "b")
  t.event{kind = "recall", chat = "公告群", from = "二姨", of = id}
  t.expect_sent{chat = "公告群", text = "二姨 撤回了：b"}
  t.expect_no_sent()
end
