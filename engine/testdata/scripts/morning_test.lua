local t = require("test")

t.world{groups = {["徒步群"] = {"阿杰"}}}
t.start("2026-01-09 08:00") -- a Friday

function test_greets_on_weekdays_only()
  t.advance("1h")
  t.expect_sent{chat = "徒步群", text = "早上好！今天是 2026-01-09"}
  t.advance("2d") -- Saturday and Sunday
  t.expect_no_sent()
  t.advance("1d")
  t.expect_sent{text = "早上好！今天是 2026-01-12"}
end

function test_welcome_waits_five_seconds()
  t.event{kind = "join", chat = "徒步群", members = {"小红", "小刚"}, inviter = "阿杰"}
  t.expect_no_sent()
  t.advance("5s")
  t.expect_sent{text = "欢迎 小红、小刚！请看群公告。"}
end
