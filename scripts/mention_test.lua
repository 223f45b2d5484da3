local t = require("test")

t.world{
  self = "管家",
  friends = {"阿杰", "小明"},
  official = {"腾讯新闻"},
  groups = {{name = "徒步群", members = {"阿杰", "小明"}}},
}
t.config{canned = "主人不在，稍后回复"}

function test_canned_answer_when_mentioned_in_a_group()
  t.say("徒步群", "小明", "@管家 明早几点出发")
  t.expect_sent{chat = "徒步群", text = "主人不在，稍后回复", at = "小明"}
  t.expect_no_sent()
end

function test_quiet_in_groups_without_a_mention()
  t.say("徒步群", "小明", "明早几点出发")
  t.say("徒步群", "小明", "@阿杰 明早几点出发")
  t.expect_no_sent()
end

function test_answers_private_chats()
  t.say("阿杰", "阿杰", "在吗")
  t.expect_sent{chat = "阿杰", text = "主人不在，稍后回复"}
end

function test_never_answers_official_accounts()
  t.say("腾讯新闻", "腾讯新闻", "今日要闻")
  t.expect_no_sent()
end

function test_quiet_while_the_owner_is_on_the_phone()
  t.owner_active("徒步群")
  t.say("徒步群", "小明", "@管家 在吗")
  t.expect_no_sent()
  t.say("阿杰", "阿杰", "在吗") -- another chat: the owner is not looking at it
  t.expect_sent{chat = "阿杰"}
  t.advance("2m")
  t.say("徒步群", "小明", "@管家 在吗")
  t.expect_sent{chat = "徒步群", at = "小明"}
end

function test_owner_window_is_configurable()
  t.config{unless_owner_active = "10s"}
  t.owner_active()
  t.say("阿杰", "阿杰", "在吗")
  t.expect_no_sent()
  t.advance("10s")
  t.say("阿杰", "阿杰", "在吗")
  t.expect_sent{chat = "阿杰", contains = "主人暂时不在"} -- the default canned answer
end

function test_groups_only()
  t.config{private = false}
  t.say("阿杰", "阿杰", "在吗")
  t.expect_no_sent()
  t.say("徒步群", "阿杰", "@管家 在吗")
  t.expect_sent{chat = "徒步群"}
end

function test_unreachable_ai_falls_back_to_the_canned_answer()
  t.config{ai_url = "http://127.0.0.1:1/v1/chat/completions", timeout = "3s", canned = "稍后回复"}
  t.say("徒步群", "小明", "@管家 明早几点出发")
  t.expect_sent{chat = "徒步群", text = "稍后回复", at = "小明"}
end

function test_bad_config_refuses_to_load()
  local ok, err = pcall(t.config, {groups = false, private = false})
  t.ok(not ok, "must not load")
  t.contains(err, "both false")
end
