local t = require("test")

t.world{friends = {"阿杰"}, groups = {["徒步群"] = {"阿杰"}}}
t.config{keywords = {"徒步", "Hiking"}, remark = "徒步-{nickname}", invite_to = {"徒步群"}}

function test_accepts_a_matching_request_and_greets_the_new_friend()
  t.event{kind = "friend_request", nickname = "小周", greeting = "我是徒步群的小周，加个好友吧"}
  t.expect_action{op = "accept_friend", contact = "小周", remark = "徒步-小周"}
  t.expect_sent{chat = "filehelper", text = "✅ 已通过 小周 的好友申请（“我是徒步群的小周，加个好友吧”，关键词：徒步）"}
  t.expect_no_sent()
  t.event{kind = "contact_added", contact = "小周", remark = "徒步-小周"}
  t.expect_sent{chat = "徒步-小周", text = "你好 徒步-小周，我是群管家，已通过你的好友申请 😊"}
  t.expect_action{op = "invite", group = "徒步群", member = "徒步-小周"}
end

function test_keywords_ignore_case()
  t.event{kind = "friend_request", nickname = "Tom", greeting = "HIKING buddy here"}
  t.expect_action{op = "accept_friend", contact = "Tom", remark = "徒步-Tom"}
end

function test_other_requests_are_left_to_you()
  t.event{kind = "friend_request", nickname = "推销员", greeting = "您好，了解一下理财产品"}
  t.eq(#t.actions(), 0, "not accepted")
  t.expect_sent{chat = "filehelper", text = "🙋 推销员 想加你为好友：“您好，了解一下理财产品”。没有匹配的关键词，请在手机上处理。"}
end

function test_contacts_added_otherwise_are_not_greeted()
  t.event{kind = "contact_added", contact = "路人"}
  t.expect_no_sent()
  t.eq(#t.actions(), 0)
end

function test_without_keywords_nothing_is_accepted_and_quiet_when_asked()
  t.config{notify = false}
  t.event{kind = "friend_request", nickname = "小周", greeting = "徒步"}
  t.eq(#t.actions(), 0)
  t.expect_no_sent()
end

function test_no_remark_no_greeting()
  t.config{keywords = {"徒步"}, greeting = "", notify = false}
  t.event{kind = "friend_request", nickname = "小周", greeting = "徒步"}
  t.expect_action{op = "accept_friend", contact = "小周", remark = ""}
  t.event{kind = "contact_added", contact = "小周"}
  t.expect_no_sent()
end
