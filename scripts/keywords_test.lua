local t = require("test")

t.world{
  self = "管家",
  friends = {"阿杰", {name = "小明", remark = "明哥"}},
  official = {"腾讯新闻"},
  groups = {{name = "徒步群", members = {"阿杰", "小明"}}, {name = "业主群", members = {"阿杰"}}},
}
t.config{
  replies = {["营业时间"] = "每天 9:00–21:00", ["时间"] = "现在是工作时间", ["地址"] = "{name} 你好，人民路 1 号"},
  patterns = {{pattern = "(?P<n>\\d+)号楼.*物业", reply = "{n} 号楼物业：8888-1234", chats = {"业主群"}}},
}

function test_answers_keyword_and_mentions_the_asker()
  t.say("徒步群", "阿杰", "请问营业时间是几点？")
  t.expect_sent{chat = "徒步群", text = "每天 9:00–21:00", at = "阿杰"}
  t.expect_no_sent()
end

function test_longest_keyword_wins_and_only_one_answer()
  t.say("徒步群", "阿杰", "营业时间")
  t.expect_sent{text = "每天 9:00–21:00"}
  t.expect_no_sent() -- "时间" matched too, but one answer is enough
  t.say("徒步群", "阿杰", "集合时间？")
  t.expect_sent{text = "现在是工作时间"}
end

function test_name_placeholder()
  t.say("明哥", "明哥", "地址在哪")
  t.expect_sent{chat = "明哥", text = "明哥 你好，人民路 1 号"}
end

function test_cooldown_per_keyword_and_chat()
  t.say("徒步群", "阿杰", "营业时间")
  t.say("徒步群", "小明", "营业时间?")
  t.say("明哥", "明哥", "营业时间")
  t.say("徒步群", "小明", "地址")
  t.expect_sent{chat = "徒步群", text = "每天 9:00–21:00"}
  t.expect_sent{chat = "明哥", text = "每天 9:00–21:00"}
  t.expect_sent{chat = "徒步群", contains = "人民路"}
  t.expect_no_sent()
  t.advance("1m")
  t.say("徒步群", "小明", "营业时间")
  t.expect_sent{chat = "徒步群", at = "明哥"}
end

function test_pattern_only_in_its_chats()
  t.say("徒步群", "阿杰", "3号楼的物业电话")
  t.expect_no_sent()
  t.say("业主群", "阿杰", "3号楼的物业电话")
  t.expect_sent{chat = "业主群", text = "3 号楼物业：8888-1234", at = "阿杰"}
end

function test_ignores_official_accounts_unless_configured()
  t.say("腾讯新闻", "腾讯新闻", "今日营业时间调整")
  t.expect_no_sent()
  t.config{replies = {["营业时间"] = "9–21"}, official = true}
  t.say("腾讯新闻", "腾讯新闻", "今日营业时间调整")
  t.expect_sent{chat = "腾讯新闻", text = "9–21"}
end

function test_chats_restriction_cooldown_and_owner_settings()
  t.config{replies = {["营业时间"] = "9–21"}, chats = {"徒步群"}, cooldown = "0", at = false, unless_owner_active = "2m"}
  t.say("业主群", "阿杰", "营业时间")
  t.expect_no_sent()
  t.say("徒步群", "阿杰", "营业时间")
  t.say("徒步群", "阿杰", "营业时间")
  local sent = t.sent()
  t.eq(#sent, 2, "no cooldown")
  t.eq(sent[1].at, {}, "no @-mention")
  t.owner_active("徒步群")
  t.say("徒步群", "阿杰", "营业时间")
  t.expect_no_sent()
end

function test_help_lists_keywords_when_mentioned()
  t.say("徒步群", "阿杰", "帮助")
  t.expect_no_sent()
  t.say("徒步群", "阿杰", "@管家 帮助")
  t.expect_sent{text = "可以问我：地址、时间、营业时间", at = "阿杰"}
end

function test_no_config_no_rules()
  t.config{}
  t.say("徒步群", "阿杰", "营业时间")
  t.say("徒步群", "阿杰", "@管家 帮助")
  t.expect_no_sent()
end

function test_bad_pattern_entry_is_a_clear_load_error()
  local ok, err = pcall(t.config, {patterns = {{pattern = "x"}}})
  t.ok(not ok, "the script must refuse to load")
  t.contains(err, "patterns[1] needs pattern")
end
