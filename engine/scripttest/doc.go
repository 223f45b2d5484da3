// Package scripttest runs script tests: scripts/foo_test.lua tests scripts/foo.lua. It is what
// `qunguan scripts test` runs.
//
// # Lifecycle
//
// RunFile compiles the test file once in its own LState (base, table, string, math and
// require("test")) and runs its top level, where t.world, t.config and t.start declare the
// defaults. Then, for each test function (globals named test_… in file order, then those
// given to t.test), it builds a fresh World (an in-memory Sender, History and Contacts), a
// fresh engine.VirtualClock, an engine.MemoryKV, and a fresh engine.Engine with the script
// loaded, runs the function, and stops the engine. Tests never share state.
//
// # Threading
//
// The test function runs on the caller's goroutine; the engine runs its own loop. Every
// t.say, t.event and t.advance waits until the engine has handled what it caused (Sync), so a
// test reads like a conversation. bot.http requests are real and not on the virtual clock;
// those waits also wait for their answers (in real time), so a test can check what a handler
// sent after a request, e.g. its fallback when the service is unreachable.
//
// # Usage
//
//	local t = require("test")
//	t.world{friends = {"阿杰"}, groups = {["徒步群"] = {"阿杰", "小明"}}}
//	t.config{replies = {["营业时间"] = "9–21"}}
//
//	function test_answers()
//	  t.say("徒步群", "阿杰", "营业时间？")
//	  t.expect_sent{chat = "徒步群", text = "9–21"}
//	  t.advance("1m")
//	end
//
// From Go:
//
//	results, err := scripttest.Run(ctx, "./scripts", scripttest.Options{})
//	if scripttest.Failed(results) { … }
package scripttest
