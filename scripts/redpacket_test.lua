local t = require("test")

t.world{
  friends = {"阿杰"},
  groups = {["家族群"] = {"阿杰", "二姨"}, ["徒步群"] = {"阿杰"}},
}
t.start("2026-01-05 23:00")

function test_alert_counts_per_group_and_in_total()
  t.event{kind = "redpacket", chat = "家族群"}
  t.expect_sent{chat = "filehelper", text = "🧧 红包：家族群 23:00\n今天这个群第 1 个，所有聊天共 1 个"}
  t.advance("1m")
  t.event{kind = "redpacket", chat = "家族群"}
  t.expect_sent{chat = "filehelper", text = "🧧 红包：家族群 23:01\n今天这个群第 2 个，所有聊天共 2 个"}
  t.event{kind = "redpacket", chat = "徒步群"}
  t.expect_sent{chat = "filehelper", contains = "今天这个群第 1 个，所有聊天共 3 个"}
  t.event{kind = "redpacket", chat = "阿杰"}
  t.expect_sent{chat = "filehelper", contains = "阿杰"}
  t.expect_no_sent()
end

function test_counters_start_again_at_midnight()
  t.event{kind = "redpacket", chat = "家族群"}
  t.event{kind = "redpacket", chat = "家族群"}
  t.sent()
  t.advance("59m59s")
  t.event{kind = "redpacket", chat = "家族群"}
  t.expect_sent{contains = "第 3 个"}
  t.advance("1s") -- 2026-01-06 00:00
  t.event{kind = "redpacket", chat = "家族群"}
  t.expect_sent{text = "🧧 红包：家族群 00:00\n今天这个群第 1 个，所有聊天共 1 个"}
end

function test_only_configured_groups_and_alert_target()
  t.config{groups = {"家族群"}, alert_to = "阿杰"}
  t.event{kind = "redpacket", chat = "徒步群"}
  t.event{kind = "redpacket", chat = "阿杰"}
  t.expect_no_sent()
  t.event{kind = "redpacket", chat = "家族群"}
  t.expect_sent{chat = "阿杰", contains = "家族群"}
end

function test_private_chats_can_be_left_out()
  t.config{private = false}
  t.event{kind = "redpacket", chat = "阿杰"}
  t.expect_no_sent()
  t.event{kind = "redpacket", chat = "徒步群"}
  t.expect_sent{contains = "徒步群"}
end
