local t = require("test")

function test_passes()
  t.say("测试群", "阿杰", "hi")
  t.expect_sent{text = "hello"}
end

function test_wrong_text()
  t.say("测试群", "阿杰", "hi")
  t.expect_sent{text = "goodbye"}
end

function test_script_error()
  t.say("测试群", "阿杰", "crash")
end

function test_expected_script_error()
  t.say("测试群", "阿杰", "crash")
  t.expect_error("crashed on purpose")
end

function test_eq()
  t.eq({1, 2}, {1, 3}, "lists")
end
