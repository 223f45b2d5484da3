local t = require("test")

t.world{
  self = "管家",
  friends = {"阿杰", {name = "小明", remark = "明哥"}},
  groups = {{name = "徒步群", members = {"阿杰", "小明"}}},
}
t.config{replies = {["营业时间"] = "每天 9:00–21:00", ["地址"] = "人民路 1 号"}}

function test_answers_with_mention()
  t.say("徒步群", "阿杰", "请问营业时间是？")
  t.expect_sent{chat = "徒步群", text = "每天 9:00–21:00", at = "阿杰"}
end

function test_cooldown_per_chat()
  t.say("徒步群", "阿杰", "营业时间")
  t.say("徒步群", "小明", "营业时间?")
  t.say("明哥", "明哥", "营业时间")
  t.expect_sent{chat = "徒步群"}
  t.expect_sent{chat = "明哥", text = "每天 9:00–21:00"}
  t.expect_no_sent()
  t.advance("1m")
  t.say("徒步群", "小明", "营业时间")
  t.expect_sent{chat = "徒步群", at = "明哥"}
end

function test_quiet_while_owner_is_on_the_phone()
  t.owner_active("徒步群")
  t.say("徒步群", "阿杰", "地址在哪")
  t.expect_no_sent()
  t.advance("2m")
  t.say("徒步群", "阿杰", "地址在哪")
  t.expect_sent{contains = "人民路"}
end

t.test("help only when mentioned", function()
  t.say("徒步群", "阿杰", "帮助")
  t.expect_no_sent()
  t.say("徒步群", "阿杰", "@管家 帮助")
  t.expect_sent{text = "可以问我：地址、营业时间"}
end)
