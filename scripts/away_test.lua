local t = require("test")

t.world{
  self = "管家",
  friends = {"李姐", "阿杰"},
  official = {"腾讯新闻"},
  groups = {["徒步群"] = {"李姐", "阿杰"}},
}
t.config{after = "5m", text = "我不在，稍后回复"}

function test_away_reply_after_five_minutes_once()
  t.say("李姐", "李姐", "请问营业时间？")
  t.advance("4m59s")
  t.expect_no_sent()
  t.advance("1s")
  t.expect_sent{chat = "李姐", text = "我不在，稍后回复"}
  t.say("李姐", "李姐", "还在吗？")
  t.advance("10m")
  t.expect_no_sent() -- told once in this away period
end

function test_later_messages_do_not_restart_the_clock()
  t.say("李姐", "李姐", "在吗")
  t.advance("3m")
  t.say("李姐", "李姐", "在吗？？")
  t.advance("2m")
  t.expect_sent{chat = "李姐"}
end

function test_no_reply_when_the_owner_answered()
  t.say("李姐", "李姐", "在吗")
  t.advance("1m")
  t.say("李姐", "管家", "在的") -- you, on the phone
  t.advance("10m")
  t.expect_no_sent()
end

function test_quiet_while_the_owner_is_on_the_phone()
  t.say("李姐", "李姐", "在吗")
  t.advance("4m")
  t.owner_active() -- WeChat opened on the phone, no chat in particular
  t.advance("1m")
  t.expect_no_sent()
  -- The owner read it but did not answer; the next message starts the clock again.
  t.advance("5m")
  t.say("李姐", "李姐", "在吗？")
  t.advance("5m")
  t.expect_sent{chat = "李姐"}
end

function test_owner_active_in_another_chat_does_not_count()
  t.say("李姐", "李姐", "在吗")
  t.advance("4m")
  t.owner_active("徒步群")
  t.advance("1m")
  t.expect_sent{chat = "李姐"}
end

function test_a_new_away_period_after_the_owner_was_back()
  t.say("李姐", "李姐", "在吗")
  t.advance("5m")
  t.expect_sent{chat = "李姐"}
  t.owner_active("阿杰") -- back for a moment (in another chat)…
  t.advance("3m")
  t.say("李姐", "李姐", "在吗？")  -- …and away again
  t.advance("5m")
  t.expect_sent{chat = "李姐"}
end

function test_only_private_chats_and_no_official_accounts()
  t.say("徒步群", "李姐", "大家好")
  t.say("腾讯新闻", "腾讯新闻", "今日要闻")
  t.event{kind = "recall", chat = "阿杰", from = "阿杰", of = "1"}
  t.advance("10m")
  t.expect_no_sent()
end

function test_switch_off_and_on_from_the_file_transfer_chat()
  t.say("李姐", "李姐", "在吗")
  t.say("filehelper", "管家", "回来了")
  t.expect_sent{chat = "filehelper", text = "欢迎回来，离开模式已关闭。"}
  t.advance("10m")
  t.say("阿杰", "阿杰", "在吗")
  t.advance("10m")
  t.expect_no_sent()
  t.say("filehelper", "管家", "Away ON")
  t.expect_sent{chat = "filehelper", text = "好的，离开模式已开启：私聊 5m 内没回复时，我会替你说一声。"}
  t.say("阿杰", "阿杰", "在吗")
  t.advance("5m")
  t.expect_sent{chat = "阿杰"}
end

function test_the_words_work_only_from_you_in_the_control_chat()
  t.say("阿杰", "阿杰", "回来了")
  t.say("阿杰", "管家", "回来了") -- you, but to 阿杰
  t.expect_no_sent()
  t.say("李姐", "李姐", "在吗")
  t.advance("5m")
  t.expect_sent{chat = "李姐"} -- still on
end

function test_disabled_by_config_and_short_timeouts()
  t.config{enabled = false, after = "10s"}
  t.say("李姐", "李姐", "在吗")
  t.advance("1m")
  t.expect_no_sent()
  t.say("filehelper", "管家", "离开")
  t.expect_sent{chat = "filehelper", contains = "10s"}
  t.say("李姐", "李姐", "在吗")
  t.advance("10s")
  t.expect_sent{chat = "李姐", contains = "看到后会尽快回复您"} -- the default text
end
