local t = require("test")

t.world{friends = {"阿杰"}, groups = {["家族群"] = {"阿杰", "二姨"}}}

function test_recall_shows_original()
  local id = t.say("家族群", "二姨", "明天中午吃饭改到六点")
  t.event{kind = "recall", chat = "家族群", from = "二姨", of = id}
  t.expect_sent{chat = "filehelper", text = "家族群 里 二姨 撤回了：明天中午吃饭改到六点"}
end

function test_recall_of_unknown_message()
  t.event{kind = "recall", chat = "家族群", from = "阿杰", of = "404"}
  t.expect_sent{chat = "filehelper", contains = "不在记录里"}
end

function test_every_third_red_packet_is_counted_after_a_pause()
  for _ = 1, 3 do t.event{kind = "redpacket", chat = "家族群"} end
  local sent = t.sent()
  t.eq(#sent, 3)
  t.eq(sent[1].text, "红包！家族群 09:00")
  t.advance("29s")
  t.expect_no_sent()
  t.advance("1s")
  t.expect_sent{text = "家族群 今天第 3 个红包"}
end
